"""Test-only Celery tasks, loaded by worker subprocesses with `--include plo_tracker.tests.fault_tasks`.

`slow_effect` records its effect idempotently (a unique name, get_or_create), then sleeps on its
first run: a test kills the worker during the sleep and checks that, after redelivery, the task
ran again and exactly one effect exists.
"""

from __future__ import annotations

import time

from celery import shared_task
from django.utils import timezone

from deadlines.models import WorkerHeartbeat


@shared_task(name="plo_tracker.tests.fault_tasks.slow_effect", acks_late=True)
def slow_effect(name: str, sleep_seconds: float, started_marker: str) -> str:
    """Write the effect row (once, whatever the number of runs), mark each start, sleep, then finish."""
    WorkerHeartbeat.objects.get_or_create(name=name, defaults={"seen_at": timezone.now()})
    # One extra row per run (names are unique), so the test can see the task really ran again.
    runs = WorkerHeartbeat.objects.filter(name__startswith=started_marker).count()
    WorkerHeartbeat.objects.create(name=f"{started_marker}{runs + 1}", seen_at=timezone.now())
    if runs == 0:
        time.sleep(sleep_seconds)  # only the first run is slow: the one the test kills
    WorkerHeartbeat.objects.update_or_create(name=f"{name}:done", defaults={"seen_at": timezone.now()})
    return name


@shared_task(name="plo_tracker.tests.fault_tasks.explode")
def explode(text: str) -> None:
    """Fail with `text` in the exception message (the log test checks it is withheld)."""
    raise ValueError(f"could not process {text}")
