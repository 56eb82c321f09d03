from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/columns/", views.columns, name="columns"),
    path("<int:pk>/", views.preview, name="preview"),
    path("done/", views.done, name="done"),
    path("<int:pk>/progress/", views.job, name="job"),
]
