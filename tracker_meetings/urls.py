from django.urls import path

from . import views

app_name = "tracker_meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_prepare, name="prepare"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/refresh/", views.meeting_refresh, name="refresh"),
    path("<int:pk>/held/", views.meeting_held, name="held"),
    path("<int:pk>/minutes/", views.meeting_minutes, name="minutes"),
    path("<int:pk>/minutes/record/", views.minutes_record, name="minutes-record"),
    path("items/<int:pk>/", views.item_record, name="item"),
    path("items/<int:pk>/actions/new/", views.action_add, name="action-add"),
    path("actions/<int:pk>/done/", views.action_done, name="action-done"),
]
