from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    verbose_name = "LPMs and meetings"
    name = "meetings"
