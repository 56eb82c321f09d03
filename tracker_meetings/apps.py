from django.apps import AppConfig


class TrackerMeetingsConfig(AppConfig):
    verbose_name = "Tracker meetings and panels"
    name = "tracker_meetings"
