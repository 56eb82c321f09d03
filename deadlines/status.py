"""The status of a stored deadline on a given day (shared/domain/README.md "What the product must know")."""

from __future__ import annotations

import datetime as dt

from .engine import Status, WorkingCalendar

WAITING = "waiting"


def deadline_status(
    *, state: str, due_on: dt.date | None, today: dt.date, calendar: WorkingCalendar, due_soon_working_days: int = 2
) -> str:
    """Upcoming, due soon, due today or overdue for an open deadline; its stored state otherwise."""
    if state != "open":
        return state
    if due_on is None:
        return WAITING
    if due_on < today:
        return Status.OVERDUE.value
    if due_on == today:
        return Status.DUE_TODAY.value
    if calendar.working_days_between(today, due_on) <= due_soon_working_days:
        return Status.DUE_SOON.value
    return Status.UPCOMING.value


STATUS_LABELS = {
    "upcoming": "Upcoming",
    "due_soon": "Due soon",
    "due_today": "Due today",
    "overdue": "Overdue",
    "met": "Met",
    "met_late": "Met late",
    "not_applicable": "Not applicable",
    "waived": "Waived",
    WAITING: "Waiting",
}
