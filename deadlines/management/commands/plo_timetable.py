"""Print the timetable a policy gives for a set of recorded dates (issue #3 item 3).

For checking a council's policy file against its protocol by hand, and for answering "when is
this due?" without opening a case: no case data is read, only the council's closure days and
extra bank holidays (so the dates match what the tracker shows).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from deadlines.engine import OUTCOMES, Milestone, Policy, PolicyError, Timetable, available_policies, load_policy
from deadlines.engine import timetable as compute_timetable
from deadlines.engine.rules import as_phrase
from deadlines.engine.timetable import COURT_EXTENSION_MAX_WEEKS, FIRST_YEAR, LAST_YEAR
from deadlines.services import calendar_current

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NO_OUTCOME = "none"


def uk_date(d: dt.date) -> str:
    """A date as the tracker shows it, e.g. "Thu 24 Dec 2026" (locale-independent)."""
    return f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def _one_line(text: object) -> str:
    """Collapse whitespace so an error is always a single line on stderr."""
    return " ".join(str(text).split())


def parse_date(value: str, what: str) -> dt.date:
    """A YYYY-MM-DD date, or a CommandError naming ``what`` and the expected format."""
    text = value.strip()
    if not _ISO_DATE.match(text):
        raise CommandError(f"{what}: {value!r} is not a date; use the format YYYY-MM-DD, e.g. 2026-12-17")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{what}: {value!r} is not a real date ({exc}); use the format YYYY-MM-DD") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CommandError(f"{what}: {value!r} is outside the dates the calendar covers ({FIRST_YEAR} to {LAST_YEAR})")
    return day


class Command(BaseCommand):
    help = (
        "Print the timetable of milestones a council policy gives for the dates you record, counted "
        "with this deployment's calendar (bank holidays, closure days and extra bank holidays). "
        "Example: plo_timetable --policy gloucestershire --event lpm_held=2026-12-17 "
        "--event letter_before_proceedings=2026-12-24 --today 2027-01-05"
    )
    # Read-only and often used to debug a deployment: don't refuse to run (or add lines to a
    # one-line error) because of an unrelated system check.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--policy",
            default=None,
            help=(
                "Policy name (one of: {}) or the path of a policy .toml file. "
                "Default: this deployment's PLO_POLICY setting ({!r}).".format(
                    ", ".join(available_policies()), settings.PLO_POLICY
                )
            ),
        )
        parser.add_argument(
            "--event",
            action="append",
            default=[],
            metavar="KEY=YYYY-MM-DD",
            help=(
                "A recorded date, e.g. lpm_held=2026-12-17 (keys: timescales.md §2 plus the policy's own "
                "events). Repeat for more events; repeating a key (e.g. review_meeting) records "
                "each occurrence. KEY#N=... says which numbered rule the date meets, e.g. "
                "gateway_review#4=2027-05-06 for the review LPM held for the week-20 review point; "
                "without it dates meet the numbered rules in date order."
            ),
        )
        parser.add_argument(
            "--today",
            default=None,
            metavar="YYYY-MM-DD",
            help="The day statuses are worked out for. Default: today in Europe/London.",
        )
        parser.add_argument(
            "--outcome",
            default=None,
            metavar="OUTCOME",
            help=(
                "The LPM decision path: one of {} or {!r} (no decision yet). Default: 'initiate' when "
                "lpm_held is given, otherwise none.".format(", ".join(OUTCOMES), _NO_OUTCOME)
            ),
        )
        parser.add_argument(
            "--extension-weeks",
            default="0",
            metavar="N",
            help="Agreed extension in whole weeks (0 up to the policy's limit). Default: 0.",
        )
        parser.add_argument(
            "--court-extension-weeks",
            default="0",
            metavar="N",
            help=(
                "Weeks the court has extended the 26 weeks by, in all (Children Act 1989 s32(5): up to "
                f"{COURT_EXTENSION_MAX_WEEKS} weeks each time). Default: 0."
            ),
        )
        parser.add_argument("--json", action="store_true", help="Print a JSON list of milestones instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        # Everything that can be wrong with the arguments is checked before the database is read.
        policy = self._policy(options["policy"] or settings.PLO_POLICY)
        events, occurrences = self._events(policy, options["event"])
        today = parse_date(options["today"], "--today") if options["today"] is not None else timezone.localdate()
        outcome = self._outcome(options["outcome"], events)
        extension = self._extension(policy, options["extension_weeks"])
        court = options["court_extension_weeks"].strip()
        if not court.isdigit():
            raise CommandError(f"--court-extension-weeks {court!r}: give a whole number of weeks, 0 or more")

        try:
            tt = compute_timetable(
                policy,
                events,
                calendar_current(),
                today,
                outcome=outcome,
                extension_weeks=extension,
                court_extension_weeks=int(court),
                occurrences=occurrences or None,
            )
        except ValueError as exc:  # events out of order, an event given twice, a date out of range
            raise CommandError(_one_line(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps([_as_json(m) for m in tt.milestones], indent=2, ensure_ascii=False))
        else:
            self.stdout.write(render_table(policy, tt))

    # -- argument checks (each failure is one line: "CommandError: ...") ---------------------------

    @staticmethod
    def _policy(name: str) -> Policy:
        known = available_policies()
        looks_like_path = name.endswith(".toml") or "/" in name or "\\" in name
        if not looks_like_path and name not in known:
            raise CommandError(f"unknown policy {name!r}; available policies: {', '.join(known)}")
        try:
            return load_policy(Path(name) if looks_like_path else name)
        except PolicyError as exc:
            raise CommandError(_one_line(exc)) from None

    @staticmethod
    def _events(
        policy: Policy, raw: list[str]
    ) -> tuple[dict[str, dt.date | list[dt.date]], dict[str, dict[int, dt.date]]]:
        events: dict[str, dt.date | list[dt.date]] = {}
        occurrences: dict[str, dict[int, dt.date]] = {}
        for item in raw:
            key, sep, value = item.partition("=")
            key, _, number = key.strip().partition("#")
            if not sep or not key:
                raise CommandError(f"--event {item!r}: expected KEY=YYYY-MM-DD, e.g. lpm_held=2026-12-17")
            if number and not (number.isdigit() and int(number) >= 1):
                raise CommandError(f"--event {item!r}: after # give which numbered rule, e.g. gateway_review#4=...")
            if key not in policy.event_keys:
                accepted = ", ".join(sorted(policy.event_keys))
                raise CommandError(f"unknown event {key!r} for policy {policy.name!r}; it accepts: {accepted}")
            day = parse_date(value, f"--event {key}")
            if number:
                occurrences.setdefault(key, {})[int(number)] = day
            previous = events.get(key)
            if previous is None:
                events[key] = day
            elif isinstance(previous, list):
                previous.append(day)
            else:
                events[key] = [previous, day]
        return events, occurrences

    @staticmethod
    def _outcome(raw: str | None, events: dict[str, Any]) -> str | None:
        if raw is None:
            return "initiate" if "lpm_held" in events else None
        value = raw.strip().lower()
        if value == _NO_OUTCOME:
            return None
        if value not in OUTCOMES:
            raise CommandError(f"--outcome {raw!r}: use one of {', '.join(OUTCOMES)} or {_NO_OUTCOME!r}")
        return value

    @staticmethod
    def _extension(policy: Policy, raw: str) -> int:
        text = raw.strip()
        limit = policy.max_extension_weeks
        if not text.isdigit():
            span = f"from 0 to {limit}" if limit is not None else "0 or more"
            raise CommandError(f"--extension-weeks {raw!r}: give a whole number of weeks {span}")
        weeks = int(text)
        if limit is not None and weeks > limit:
            raise CommandError(
                f"--extension-weeks {weeks}: {policy.title} ({policy.name}) allows an extension of at most "
                f"{policy.max_extension_weeks} weeks"
            )
        return weeks


# -- output ------------------------------------------------------------------------------------


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def _as_json(m: Milestone) -> dict[str, Any]:
    return {
        "key": m.key,
        "label": m.label,
        "occurrence": m.occurrence,
        "of": m.of,
        "due": _iso(m.due),
        "provisional": _iso(m.provisional),
        "waiting_for": list(m.waiting_for),
        "status": m.status.value,
        "met_on": _iso(m.met_on),
        "days_late": m.days_late,
        "entered": m.entered,
        "optional": m.optional,
        "source": m.source,
        "responsible_role": m.responsible_role,
    }


def _due_cell(policy: Policy, m: Milestone) -> str:
    waiting = " or ".join(as_phrase(policy.label_for(k)) for k in m.waiting_for)
    if m.due is not None:
        text = uk_date(m.due)
        return f"{text} (entered)" if m.entered else text
    if m.provisional is not None:
        text = f"provisional {uk_date(m.provisional)}"
        return f"{text} (waiting for: {waiting})" if waiting else text
    if waiting:
        return f"waiting for: {waiting}"
    return "-"


def _status_cell(m: Milestone) -> str:
    text = m.status.value.replace("_", " ")
    if m.met_on is not None:
        return f"{text} {uk_date(m.met_on)}"
    if m.waived_reason:
        return f"{text}: {m.waived_reason}"
    return text


def _header(policy: Policy, tt: Timetable) -> list[str]:
    clock_label = as_phrase(policy.label_for(policy.clock_start))
    if tt.clock_start is None:
        clock = f"clock start not yet recorded ({clock_label})"
    else:
        clock = f"clock start {uk_date(tt.clock_start)} ({clock_label})"
    week = f"week {tt.week} of {tt.of_weeks}" if tt.week is not None else f"not started (of {tt.of_weeks} weeks)"
    end = tt.get("pre_proceedings_end")
    if tt.projected_end is None:
        projected = "projected end not yet known"
    elif end is not None and end.met_on is not None:
        projected = f"ended {uk_date(end.met_on)}"
    elif end is not None and end.due is None:
        projected = f"projected end provisional {uk_date(tt.projected_end)}"
    else:
        projected = f"projected end {uk_date(tt.projected_end)}"
    outcome = tt.outcome or "none yet"
    lines = [
        f"{policy.title} (policy {policy.name}, version {policy.version}); {clock}; {week}; {projected}",
        f"Today {uk_date(tt.today)}; outcome {outcome}; extension {tt.extension_weeks} weeks",
    ]
    if tt.issued is not None and tt.court_limit is not None:
        court_week = f"week {tt.court_week} of {tt.court_of_weeks}" if tt.court_week else "not yet issued"
        lines.append(
            f"Care proceedings issued {uk_date(tt.issued)}; {court_week}; the {tt.court_of_weeks} weeks end "
            f"{uk_date(tt.court_limit)} (court extension {tt.court_extension_weeks} weeks)"
        )
        if tt.final_hearing_past_limit and tt.final_hearing_listed is not None:
            lines.append(
                f"WARNING: the final hearing is listed for {uk_date(tt.final_hearing_listed)}, after the end of "
                f"week {tt.court_of_weeks}: record the court's extension (s32(5))"
            )
    return lines


def render_table(policy: Policy, tt: Timetable) -> str:
    """The timetable as a plain-text table under a header line."""
    heads = ("key", "milestone", "due", "status", "days late", "source")
    rows = [
        (
            m.record_key if m.occurrence == 1 else f"{m.record_key}#{m.occurrence}",
            m.label,
            _due_cell(policy, m),
            _status_cell(m),
            str(m.days_late) if m.days_late else "",
            m.source,
        )
        for m in tt.milestones
    ]
    widths = [max(len(row[i]) for row in [heads, *rows]) for i in range(len(heads))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    out = [*_header(policy, tt), "", line(heads), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in rows)
    if not rows:
        out.append("(no milestones: record the events the policy counts from)")
    return "\n".join(out)
