"""The Celery app: settings from Django (namespace CELERY), tasks autodiscovered from each app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plo_tracker.settings.base")

app = Celery("plo_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
