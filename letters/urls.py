from django.urls import path

from . import views

app_name = "letters"
urlpatterns = [
    path("templates/", views.template_list, name="template-list"),
    path("templates/upload/", views.template_upload, name="template-upload"),
    path("templates/<int:pk>/download/", views.template_download, name="template-download"),
    path("episodes/<int:pk>/draft/", views.DraftCreate.as_view(), name="draft"),
    path("drafts/<int:pk>/", views.draft_preview, name="draft-preview"),
    path("drafts/<int:pk>/download/", views.draft_download, name="draft-download"),
    path("tracker-meetings/<int:pk>/minutes.docx", views.minutes_download, name="minutes-download"),
]
