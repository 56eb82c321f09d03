"""Tracker exports (CSV, XLSX) and the calendar feed (ICS) (issue #5 §3, §5).

Exports carry what the tracker table shows and nothing more: never legal advice. Any text a
spreadsheet would run as a formula (starting = + - @ tab or carriage return) is prefixed with a
single quote (OWASP "CSV injection"), and hidden bidirectional and control characters are removed
(plo_tracker.text.safe_cell).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone

from plo_tracker.text import safe_cell

from .screens import RAG_LABELS
from .selectors.calendar import CalendarEvent
from .selectors.tracker import TrackerRow
from .status import STATUS_LABELS

COLUMNS: Sequence[tuple[str, Callable[[TrackerRow], Any]]] = (
    ("Family reference", lambda r: r.reference),
    ("Family", lambda r: r.family_name),
    ("Children (case system ID)", lambda r: r.children_text),
    ("Social worker", lambda r: r.social_worker),
    ("Team", lambda r: r.team),
    ("Stage", lambda r: r.stage_label),
    ("Decision date", lambda r: r.decision_date),
    ("Letter delivered", lambda r: r.letter_delivered),
    ("Letter due", lambda r: r.letter_due),
    ("Initial meeting", lambda r: r.initial_meeting),
    ("Initial meeting held", lambda r: "Yes" if r.initial_meeting_held else "No"),
    ("Next meeting", lambda r: r.next_meeting),
    ("Next meeting is", lambda r: r.next_meeting_label),
    ("Week", lambda r: r.court_week if r.court_week is not None else r.week),
    (
        "Of weeks",
        lambda r: r.court_of_weeks if r.court_week is not None else (r.of_weeks if r.week is not None else None),
    ),
    ("Next deadline", lambda r: r.next_label),
    ("Next deadline due", lambda r: r.next_due),
    ("Next deadline status", lambda r: STATUS_LABELS.get(r.next_status, "")),
    ("Overdue deadlines", lambda r: r.overdue_count),
    ("Assessments outstanding", lambda r: r.assessments_outstanding),
    ("Assessments overdue", lambda r: r.assessments_overdue),
    ("Extension (weeks)", lambda r: r.extension_weeks),
    ("RAG", lambda r: RAG_LABELS[r.rag]),
    ("Ended on", lambda r: r.ended_on),
)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")  # UK dates (docs/conventions.md "Words, dates and time")
    return safe_cell(value)


def tracker_csv(rows: Iterable[TrackerRow]) -> bytes:
    """The tracker as CSV (UTF-8 with a byte order mark, so Excel reads the names right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in COLUMNS])
    for row in rows:
        writer.writerow([_csv_value(get(row)) for _, get in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def tracker_xlsx(rows: Iterable[TrackerRow], *, title: str = "Pre-action tracker") -> bytes:
    """The tracker as an Excel workbook: real dates in UK format, text cells formula-safe, the
    header row frozen with filters on every column, and each column as wide as its content."""
    from plo_tracker.xlsx import xlsx_table

    def values(row: TrackerRow) -> list[Any]:
        # Text is quoted when a spreadsheet would run it as a formula (OWASP CSV injection).
        return [safe_cell(get(row)) for _, get in COLUMNS]

    return xlsx_table([name for name, _ in COLUMNS], (values(r) for r in rows), title=title)


def calendar_ics(events: Iterable[CalendarEvent]) -> bytes:
    """An iCalendar feed of all-day events; summaries carry the family reference only (§5)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", f"-//{settings.COUNCIL_NAME}//{settings.SERVICE_NAME}//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", settings.SERVICE_NAME)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    host = settings.PLO_SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "plo-tracker"
    for item in events:
        event = Event()
        event.add("uid", f"{item.uid}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.day)
        event.add("dtend", item.day + dt.timedelta(days=1))
        event.add("summary", item.summary)
        event.add("url", settings.PLO_SITE_URL + item.path)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
