"""Alerts from the first minute (issue #12 §4): run the scan for today when a worker or beat
starts and after demo data loads, and catch up the working days missed while nothing ran.

Kept apart from `alerts.py` (which builds one day's scan) so the catch-up rule lives in one
place: a day is scanned once it is recorded in `AlertScanDay`; the next run scans every working
day after the last recorded one, oldest first, up to today. Each day's scan is idempotent (the
`alert_once` constraint), so a catch-up that overlaps another run raises nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from django.db.models import F, Max
from django.utils import timezone

from . import alerts
from .models import AlertScanDay

logger = logging.getLogger(__name__)

# Longest downtime worth catching up: alerts raised for a day two weeks ago tell nobody anything
# the overdue alerts raised today do not already say.
CATCH_UP_MAX_DAYS = 14


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What one catch-up did (counts and days only: logs carry no personal data)."""

    days: tuple[dt.date, ...]
    raised: int


def alert_scan_days_due(*, today: dt.date, last: dt.date | None) -> list[dt.date]:
    """The days to scan: every day after `last` up to today (at most CATCH_UP_MAX_DAYS back);
    today alone when nothing has ever been scanned. Today is always included: re-scanning it is
    harmless and picks up deadlines created since the last run."""
    if last is None or last >= today:
        return [today]
    first = max(last + dt.timedelta(days=1), today - dt.timedelta(days=CATCH_UP_MAX_DAYS - 1))
    return [first + dt.timedelta(days=i) for i in range((today - first).days + 1)]


def alert_scan_last_day() -> dt.date | None:
    """The latest day the alert scan has run for, or None if it never has."""
    last: dt.date | None = AlertScanDay.objects.aggregate(last=Max("day"))["last"]
    return last


def alert_scan_catch_up(*, today: dt.date | None = None, recompute: bool = True) -> CatchUp:
    """Scan every day missed since the last scan, then today; record each day scanned.

    With `recompute`, live episodes are recomputed first when today has not yet been scanned (the
    06:30 recompute may have been missed too, and the scan reads stored states).
    """
    from .services import calendar_current, deadlines_recompute_open

    today = today or timezone.localdate()
    last = alert_scan_last_day()
    if recompute and (last is None or last < today):
        deadlines_recompute_open(today=today)
    calendar = calendar_current()
    days = alert_scan_days_due(today=today, last=last)
    raised = 0
    for day in days:
        started = time.monotonic()
        result = alerts.alert_scan(today=day, calendar=calendar)
        seconds = time.monotonic() - started
        raised += result.created
        row, created = AlertScanDay.objects.get_or_create(
            day=day, defaults={"raised": result.created, "ran_at": timezone.now(), "seconds": seconds}
        )
        if not created:
            # An UPDATE of the stored count, not of the copy read above: a catch-up running
            # alongside (a worker and beat starting together) adds its count instead of losing it.
            AlertScanDay.objects.filter(pk=row.pk).update(
                raised=F("raised") + result.created, ran_at=timezone.now(), seconds=seconds
            )
    if len(days) > 1:
        logger.info("alert scan caught up %d days to %s: %d alerts raised", len(days), today.isoformat(), raised)
    return CatchUp(days=tuple(days), raised=raised)
