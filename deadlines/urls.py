from django.urls import path, re_path

from . import golive_views, history_views, views

app_name = "deadlines"
urlpatterns = [
    path("team/", views.team_dashboard, name="team-dashboard"),
    path("tracker/", views.tracker, name="tracker"),
    path("tracker/print/", views.tracker_print, name="tracker-print"),
    path("tracker/export.<str:fmt>", views.tracker_export, name="tracker-export"),
    path("weekly/", views.weekly, name="weekly"),
    path("weekly/history/", history_views.weekly_history, name="weekly-history"),
    path("weekly/history/export.<str:fmt>", history_views.weekly_history_export, name="weekly-history-export"),
    path("weekly/history/<str:week_ending>/", history_views.weekly_history_week, name="weekly-history-week"),
    path("go-live/", golive_views.go_live, name="go-live"),
    path("alerts/", views.alert_list, name="alert-list"),
    path("calendar/", views.calendar_subscription, name="calendar"),
    path("calendar/feed.ics", views.calendar_feed, name="calendar-feed"),
    # The old address form, token in the path (43 characters then): "renew your link" (issue 24 §4).
    re_path(
        r"^calendar/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$", views.calendar_feed_retired, name="calendar-feed-retired"
    ),
]
