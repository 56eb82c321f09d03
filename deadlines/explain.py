""" "Why this date": a deadline's rule in plain words, with the sentence of the source it comes from.

Shown next to each due date on the case page (a GOV.UK details component). Everything comes from
the policy the episode is pinned to: the rule as it is counted, how that kind of count works
(timescales.md §1), the source and the sentence it quotes, and, where the text does not force
the reading, the policy's interpretation and its reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import holidays

from .engine import Policy, Rule, WorkingCalendar
from .engine.rules import Unit, as_phrase

#: The council documents a policy cites by number (000 to 004; see docs/timescales-sources.md).
SOURCE_NAMES = {
    "000": "the pre-action flowchart",
    "001": "Sutton's practice directive",
    "002": "Gloucestershire's LPM protocol",
    "003": "the guide to meetings and documents",
    "004": "St Helens' pre-proceedings protocol",
}


@dataclass(frozen=True, slots=True)
class Why:
    """The explanation of one deadline's date."""

    rule: str
    counting: str
    source: str
    quote: str
    reading: str
    #: The date it counted from and the days it skipped (None for an entered or listed date).
    working: Working | None = None


def _counting(rule: Rule) -> str:
    if rule.entered:
        return "This date is entered by a person, not worked out by the tracker."
    if rule.unit is Unit.WORKING_DAYS:
        way = "forward" if rule.amount >= 0 else "back"
        return (
            f"Counted {way} in working days: weekends, bank holidays in England and Wales and the council's "
            "closure days are skipped, and the day it counts from is not itself counted."
        )
    return (
        "Counted in calendar days. If that day is a weekend, a bank holiday or a closure day, the deadline is "
        "the working day before it, so it is never met by waiting for the weekend."
    )


def source_in_words(source: str) -> str:
    """ "002 §9b ii" -> "Gloucestershire's LPM protocol (002) §9b ii"."""
    number, _, rest = source.partition(" ")
    name = SOURCE_NAMES.get(number)
    if name is None:
        return source
    return f"{name[0].upper()}{name[1:]} ({number}) {rest}".strip()


def why_this_date(policy: Policy, rule: Rule) -> Why:
    """A deadline's rule in plain words (``rule_in_words``), how it is counted, and its source."""
    counting = _counting(rule)
    if rule.listed:
        counting += " Once the court has listed the hearing, the listed date is used instead."
    if rule.optional:
        counting += " It is held only if needed, so it lapses instead of going overdue."
    return Why(
        rule=rule_in_words(policy, rule),
        counting=counting,
        source=source_in_words(rule.source),
        quote=rule.quote,
        reading=rule.interpretation,
    )


def rule_for(policy: Policy, key: str, occurrence: int, ident: str = "") -> Rule | None:
    """The policy rule behind a stored deadline: by its recorded ``Rule.ident``, else by key and
    occurrence (per-meeting keys such as ``approved_minutes:review_meeting`` name the meeting)."""
    if ident:
        found = policy.rule_by_ident(ident)
        if found is not None:
            return found
    base, _, meeting = key.partition(":")
    candidates = [r for r in policy.rules if r.key == base]
    if meeting:
        candidates = [r for r in candidates if meeting in r.for_each]
    else:
        candidates = [r for r in candidates if not r.for_each]
        exact = [r for r in candidates if r.occurrence == occurrence]
        recurring = [r for r in candidates if r.recurring]
        candidates = exact or recurring
    return candidates[0] if len(candidates) == 1 else None


# --- Phrases written for people (issue 20 §6) ---------------------------------------------------

#: What a rule counts from when it names alternatives (the first one recorded wins), written as a
#: person would say it. Every alternative set in a policy needs one (a test walks every policy),
#: so no screen joins two labels with "and" or "or" ("Waiting for the LPM request approved by the
#: head of service and the head of service decision on the LPM request").
ALTERNATIVES: Mapping[frozenset[str], str] = MappingProxyType(
    {
        frozenset({"lpm_approved", "lpm_request_decision"}): "the head of service's decision on the LPM request",
        frozenset({"panel_date", "lpm_held"}): (
            "the LPM panel date the case is listed for (or the day the LPM was held)"
        ),
        frozenset({"issue_decision", "lpm_held"}): "the decision to issue care proceedings",
        # An issue decided at a review LPM counts from that LPM, never from the first one (002 §9c iii).
        frozenset({"review_issue_decision", "issue_decision", "lpm_held"}): (
            "the decision to issue care proceedings (at the review LPM that decided it, or at the first LPM)"
        ),
        frozenset({"final_meeting", "pre_proceedings_end"}): "the final meeting (or the end of pre-proceedings)",
    }
)
#: Single events whose label reads badly mid-sentence ("after the LPM / legal gateway panel held").
EVENT_PHRASES: Mapping[str, str] = MappingProxyType(
    {
        "lpm_held": "the LPM",
        "proceedings_issued": "the issue of care proceedings",
        "lpm_deferred_until": "the date the head of service deferred the decision to",
    }
)
#: "Not needed once ...": the events that make a step moot, as a clause.
MOOT_CLAUSES: Mapping[frozenset[str], str] = MappingProxyType(
    {
        frozenset({"lpm_approved", "lpm_held"}): "the LPM request is approved or the LPM is held",
        frozenset({"lpm_held"}): "the LPM has been held",
        frozenset({"lpm_deferred_until"}): "the head of service has deferred the decision",
    }
)


def _the(label: str) -> str:
    """A label as a noun phrase mid-sentence: "the letter before proceedings delivered to parents"."""
    text = as_phrase(label)
    return text if text.split(" ", 1)[0] in {"the", "a", "an", "each"} else f"the {text}"


def event_phrase(policy: Policy, keys: Iterable[str]) -> str:
    """What a step counts from or waits for, in words; alternatives by their written phrase."""
    keys = tuple(keys)
    if not keys:
        return ""
    written = ALTERNATIVES.get(frozenset(keys))
    if written is not None:
        return written
    phrases = [EVENT_PHRASES.get(k) or _the(policy.label_for(k)) for k in keys]
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _moot_clause(policy: Policy, keys: tuple[str, ...]) -> str:
    written = MOOT_CLAUSES.get(frozenset(keys))
    if written is not None:
        return written
    return " or ".join(f"{_the(policy.label_for(k))} is recorded" for k in keys)


def _amount_words(amount: int, unit: Unit) -> str:
    one, many = {Unit.WORKING_DAYS: ("working day", "working days"), Unit.CALENDAR_DAYS: ("day", "days")}.get(
        unit, ("week", "weeks")
    )
    n = abs(amount)
    return f"{n} {one if n == 1 else many}"


def rule_in_words(policy: Policy, rule: Rule) -> str:
    """The rule as a sentence for people: "10 working days after the head of service's decision on
    the LPM request, never later than ...". Alternatives and moot events read as written phrases."""
    if rule.for_each:
        anchor = "each " + " or ".join(as_phrase(policy.label_for(k)) for k in rule.for_each)
        anchor += " is held" if rule.amount == 0 else ""
    else:
        anchor = event_phrase(policy, rule.anchor)
    if rule.amount == 0:
        text = f"on {anchor}" if anchor.startswith("the date") else f"on the day of {anchor}"
    else:
        way = "after" if rule.amount > 0 else "before"
        text = f"{_amount_words(rule.amount, rule.unit)} {way} {anchor}"
    if rule.recurring:
        text = f"every {_amount_words(rule.amount, rule.unit)}: the first {text}, then after the previous one"
    if rule.extends:
        text += ", plus any agreed extension"
    if rule.weekdays:
        days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        text += ", at the next " + " or ".join(days[w] for w in rule.weekdays) + " panel"
    if rule.not_after is not None:
        cap = rule.not_after
        text += f", never later than {_amount_words(cap.amount, cap.unit)} after {event_phrase(policy, [cap.anchor])}"
    if rule.not_before is not None:
        floor = rule.not_before
        later = event_phrase(policy, [floor.anchor])
        if floor.amount:
            later = f"{_amount_words(floor.amount, floor.unit)} after {later}"
        text += f", or {later} if that is later"
    if rule.court_extends:
        text += ", plus any extension the court grants"
    if rule.moot_after:
        text += f"; not needed once {_moot_clause(policy, rule.moot_after)}"
    if rule.requires:
        text += f" (only once {_moot_clause(policy, rule.requires)})"
    return f"{text[0].upper()}{text[1:]}."


# --- The working: what it counted from and which days it skipped (issue 20 §6) -----------------


@lru_cache(maxsize=64)
def _bank_holiday_names(year: int) -> Mapping[dt.date, str]:
    return MappingProxyType(dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items()))


def bank_holiday_name(day: dt.date) -> str | None:
    """The England and Wales bank holiday on ``day`` by its name ("Christmas Day"), if any."""
    return _bank_holiday_names(day.year).get(day)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A weekday that was not a working day, with what it was."""

    day: dt.date
    name: str


@dataclass(frozen=True, slots=True)
class Working:
    """How a due date was reached: the date counted from, and the days skipped on the way."""

    #: The recorded event (or the step whose due date) it counted from, in words.
    counted_from: str
    counted_from_on: dt.date
    #: Counted from another step's due date because that step is not recorded yet.
    from_due_date: bool
    skipped: tuple[Skipped, ...]
    #: Weekends the count crossed (each Saturday and Sunday pair counts once).
    weekends: int
    #: A sentence when the counted date was then moved (a panel day, a cap, a deferral, a weekend).
    moved: str = ""

    @property
    def skipped_words(self) -> str:
        """ "Fri 25 Dec 2026 (Christmas Day, a bank holiday) ... and 2 weekends"."""
        parts = [f"{s.day:%a} {s.day.day} {s.day:%b %Y} ({s.name})" for s in self.skipped]
        if self.weekends:
            parts.append(f"{self.weekends} weekend{'s' if self.weekends != 1 else ''}")
        if not parts:
            return ""
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _weekends(a: dt.date, b: dt.date) -> int:
    """Saturday-Sunday weekends with a day in [a, b]."""
    if b < a:
        return 0
    # The Saturday of the first weekend touching [a, b] (a Sunday's is the day before it).
    first_sat = a + dt.timedelta(days=5 - a.weekday()) if a.weekday() < 5 else a - dt.timedelta(days=a.weekday() - 5)
    if max(first_sat, a) > b:
        return 0
    return (b - first_sat).days // 7 + 1


def _skipped(
    calendar: WorkingCalendar, a: dt.date, b: dt.date, names: Mapping[dt.date, str]
) -> tuple[tuple[Skipped, ...], int]:
    """The non-working weekdays in [a, b] by name, and the weekends touched."""
    out = []
    for day in calendar.holidays_between(a, b):
        if day in names:
            out.append(Skipped(day, names[day]))
        else:
            name = bank_holiday_name(day)
            out.append(Skipped(day, f"{name}, a bank holiday" if name else "a bank holiday"))
    return tuple(out), _weekends(a, b)


def _first(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    dates = sorted(d for d in value if d is not None)
    return dates[0] if dates else None


def working_for(
    *,
    policy: Policy,
    rule: Rule,
    key: str,
    occurrence: int,
    due: dt.date | None,
    events: Mapping[str, Any],
    due_dates: Mapping[str, dt.date],
    calendar: WorkingCalendar,
    day_names: Mapping[dt.date, str],
    extension_weeks: int = 0,
    court_extension_weeks: int = 0,
) -> Working | None:
    """The working behind a firm due date: the recorded date it counted from (name and date), and
    every non-working day the count skipped, by name (``day_names`` names the council's closure
    days and extra bank holidays; the rest are named from the ``holidays`` package). None when the
    date was entered or listed by a person, or there is nothing to count from."""
    if due is None or rule.entered:
        return None
    if rule.listed and events.get(rule.listed):
        return None
    base: dt.date | None = None
    name = ""
    from_due = False
    if rule.for_each:
        meeting = key.partition(":")[2]
        held = events.get(meeting)
        held_list = sorted(held) if isinstance(held, list | tuple) else ([held] if held else [])
        if occurrence <= len(held_list):
            base, name = held_list[occurrence - 1], policy.label_for(meeting)
    elif rule.recurring and occurrence > 1:
        done = events.get(rule.key)
        done_list = sorted(done) if isinstance(done, list | tuple) else ([done] if done else [])
        if occurrence - 1 <= len(done_list):
            base, name = done_list[occurrence - 2], f"{rule.label} {occurrence - 1} (the previous one)"
    else:
        for anchor in rule.anchor:
            recorded = _first(events.get(anchor))
            if recorded is not None:
                base, name = recorded, policy.label_for(anchor)
                break
        else:
            for anchor in rule.anchor:
                if anchor in due_dates:
                    base, name, from_due = due_dates[anchor], policy.label_for(anchor), True
                    break
    if base is None:
        return None
    amount = rule.amount
    if rule.extends:
        amount += extension_weeks if rule.unit is Unit.WEEKS else 7 * extension_weeks
    if rule.court_extends:
        amount += court_extension_weeks if rule.unit is Unit.WEEKS else 7 * court_extension_weeks
    moved = ""
    if rule.unit is Unit.WORKING_DAYS:
        counted = calendar.add_working_days(base, amount)
        lo, hi = (base + dt.timedelta(days=1), counted) if amount >= 0 else (counted, base - dt.timedelta(days=1))
        skipped, weekends = _skipped(calendar, lo, hi, day_names)
    else:
        target = base + dt.timedelta(days=amount * (7 if rule.unit is Unit.WEEKS else 1))
        counted = calendar.roll_back(target)
        skipped, weekends = _skipped(calendar, counted + dt.timedelta(days=1), target, day_names)
        if counted != target:
            moved = (
                f"{target:%a} {target.day} {target:%b %Y} is not a working day, so the deadline is the working "
                "day before it."
            )
    if counted != due:
        # A panel day, a latest date, a deferral or a repeat moved it: say so, with the days passed.
        if due > counted:
            more, more_weekends = _skipped(calendar, counted + dt.timedelta(days=1), due, day_names)
            skipped, weekends = skipped + more, weekends + more_weekends
        reason = (
            "the next panel day"
            if rule.weekdays
            else "the latest date allowed"
            if rule.not_after is not None and due < counted
            else "the date the decision was deferred to"
            if rule.not_before is not None and due > counted
            else "the policy's other limits"
        )
        moved = f"The count gives {counted:%a} {counted.day} {counted:%b %Y}; {reason} makes it this date."
    return Working(
        counted_from=name,
        counted_from_on=base,
        from_due_date=from_due,
        skipped=skipped,
        weekends=weekends,
        moved=moved,
    )
