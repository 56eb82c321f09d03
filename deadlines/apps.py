from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    verbose_name = "Deadlines and calendar"
    name = "deadlines"
