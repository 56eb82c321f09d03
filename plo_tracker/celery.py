"""The Celery app: settings from Django (namespace CELERY), tasks autodiscovered from each app."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plo_tracker.settings.base")

app = Celery("plo_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def _catch_up_on_start(**_: Any) -> None:
    """Alerts from the first minute (issue #12 §4): a worker or beat that starts asks for today's
    scan and any missed days at once rather than waiting for 07:00. Both may send it: the
    catch-up is idempotent. A broker that is down only delays it to the next start or 07:00."""
    try:
        app.send_task("deadlines.alert_catch_up")
    except Exception as exc:  # starting must not fail because the broker is away
        logger.warning("alert catch-up not sent on start: %s", type(exc).__name__)


worker_ready.connect(_catch_up_on_start, weak=False)
beat_init.connect(_catch_up_on_start, weak=False)
