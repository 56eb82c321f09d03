"""The status of a stored deadline on a given day (docs/timescales.md §1, "Status")."""

from __future__ import annotations

import datetime as dt

from .engine import Status, WorkingCalendar

WAITING = "waiting"


def soon_horizon(today: dt.date, calendar: WorkingCalendar, due_soon_working_days: int) -> dt.date:
    """Open deadlines due before this date are due soon, today or overdue.

    Due soon means at most `due_soon_working_days` working days in (today, due], which is the
    same as due before the (n+1)th working day after today: one calendar call for a whole screen.
    """
    return calendar.add_working_days(today, due_soon_working_days + 1)


def open_status(due_on: dt.date | None, today: dt.date, soon: dt.date) -> str:
    """An open deadline's status on `today`, given the due-soon horizon from `soon_horizon`."""
    if due_on is None:
        return WAITING
    if due_on < today:
        return Status.OVERDUE.value
    if due_on == today:
        return Status.DUE_TODAY.value
    if due_on < soon:
        return Status.DUE_SOON.value
    return Status.UPCOMING.value


def deadline_status(
    *, state: str, due_on: dt.date | None, today: dt.date, calendar: WorkingCalendar, due_soon_working_days: int = 2
) -> str:
    """Upcoming, due soon, due today or overdue for an open deadline; its stored state otherwise."""
    if state != "open":
        return state
    return open_status(due_on, today, soon_horizon(today, calendar, due_soon_working_days))


STATUS_LABELS = {
    "upcoming": "Upcoming",
    "due_soon": "Due soon",
    "due_today": "Due today",
    "overdue": "Overdue",
    "met": "Met",
    "met_late": "Met late",
    "not_applicable": "Not applicable",
    "waived": "Waived",
    "not_tracked": "Not tracked before go-live",
    "done_at_import": "Met (done before go-live)",
    "missed": "Missed",
    WAITING: "Waiting",
}
