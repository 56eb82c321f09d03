"""Celery jobs: thin wrappers that take ids (or an ISO date) and call services; safe to run twice."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import alerts, scans, services


@shared_task(name="deadlines.worker_heartbeat", acks_late=True, max_retries=3)
def worker_heartbeat(name: str = "worker") -> str:
    """Record that a worker is alive and can reach the database; returns the time recorded."""
    return services.heartbeat_record(name=name).isoformat()


@shared_task(name="deadlines.alert_scan", acks_late=True, max_retries=3)
def alert_scan(today: str | None = None) -> int:
    """The 07:00 alert scan (issue #5 §1): catches up days missed since the last scan, then today
    (issue #12 §4); `today` (ISO date) re-runs that one day only. Returns alerts raised."""
    if today:
        return alerts.alert_scan(today=dt.date.fromisoformat(today)).created
    return scans.alert_scan_catch_up(recompute=False).raised


@shared_task(name="deadlines.alert_catch_up", acks_late=True, max_retries=3)
def alert_catch_up() -> int:
    """Sent when a worker or beat starts (issue #12 §4): recompute if today is not yet scanned,
    scan the days missed during downtime and today. Returns alerts raised."""
    return scans.alert_scan_catch_up().raised


@shared_task(name="deadlines.alert_email", acks_late=True, max_retries=3)
def alert_email() -> int:
    """Email alerts not yet emailed (issue #5 §1); only those with emailed_at null. Returns emails sent."""
    return alerts.alerts_email_pending()


@shared_task(name="deadlines.recompute_open", acks_late=True, max_retries=3)
def recompute_open(today: str | None = None) -> int:
    """Recompute every live episode before the alert scan: some stored states depend on the day
    (a listed hearing that has now been held, an optional review whose date has passed)."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return services.deadlines_recompute_open(today=day)


@shared_task(name="deadlines.weekly_snapshot", acks_late=True, max_retries=3)
def weekly_snapshot(week_ending: str | None = None) -> int:
    """Monday 06:45: store last week's weekly tracker figures (issue 13 §5); a week already
    stored is left as it was. Returns snapshots stored."""
    from . import history

    day = dt.date.fromisoformat(week_ending) if week_ending else history.week_ending_for(timezone.localdate())
    return history.weekly_snapshot_take(week_ending=day)
