"""Compute an episode's timetable: every milestone's due date and status under a policy.

Pure function of (policy, recorded events, calendar, today, decision path). Counting follows
timescales.md §1, milestone keys §2, each council's rules §3. The hot loop works on date
ordinals and a policy precompiled at load (rules already in dependency order), so a full
timetable costs tens of microseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .calendar import WorkingCalendar
from .policies import UNIT_CALENDAR_DAYS, UNIT_WEEKS, UNIT_WORKING_DAYS, Policy, Step
from .rules import OUTCOMES, as_phrase

__all__ = [
    "COURT_EXTENSION_MAX_WEEKS",
    "COURT_WEEKS",
    "FIRST_YEAR",
    "LAST_YEAR",
    "Milestone",
    "Status",
    "Timetable",
    "timetable",
]

_END = "pre_proceedings_end"
_ISSUED = "proceedings_issued"
#: Children Act 1989 s32(1)(a)(ii): care proceedings are to be disposed of "without delay, and in
#: any event within twenty-six weeks beginning with the day on which the application was issued".
COURT_WEEKS = 26
#: s32(5): the court may extend the 26 weeks by "no more than eight weeks" at a time.
COURT_EXTENSION_MAX_WEEKS = 8
#: The years the working-day calendar covers (bank holidays are known for them); a date outside
#: them is a typing mistake (year 1, 9999), refused with a clear message instead of a traceback.
#: The last is a year short of the calendar's (deadlines.engine.calendar: 2100, the last year with
#: known bank holidays), so a deadline counted on from 31 December still lands in a known year.
FIRST_YEAR, LAST_YEAR = 1900, 2099

#: Events that happen once per episode: a second date is a mistake, not a second occurrence.
_ONCE = frozenset(
    {
        "lpm_request",
        "lpm_approved",
        "lpm_held",
        "letter_before_proceedings",
        "initial_meeting",
        "final_meeting",
        "pre_proceedings_end",
        "issue_decision",
        "proceedings_issued",
    }
)
#: (later event, earlier event, what the later one is): the later one cannot come first (its
#: first date is compared with the earlier one's first date).
_ORDER = (
    ("letter_before_proceedings", "lpm_held", "the letter before proceedings cannot be delivered before the LPM"),
    ("initial_meeting", "lpm_held", "the initial meeting cannot be held before the LPM"),
    ("review_meeting", "initial_meeting", "a review meeting cannot be held before the initial meeting"),
    ("final_meeting", "initial_meeting", "the final meeting cannot be held before the initial meeting"),
    ("proceedings_issued", "issue_decision", "proceedings cannot be issued before the decision to issue"),
    (
        "proposed_agreement_to_legal",
        "lpm_held",
        "the proposed agreement cannot be sent to legal before the LPM decided to start pre-proceedings",
    ),
    (
        "initial_meeting",
        "proposed_agreement_to_legal",
        "the proposed agreement goes to legal for comment before the initial meeting, not after it",
    ),
    ("gateway_review", "lpm_held", "a review LPM cannot be held before the LPM that started pre-proceedings"),
    ("issue_decision", "lpm_held", "the decision to issue cannot be made before the LPM that made it"),
    (
        "review_issue_decision",
        "lpm_held",
        "a review LPM cannot decide to issue before the LPM that started pre-proceedings",
    ),
)
#: (event, later event, what is wrong): no date of ``event`` may come after ``later``'s first date.
_NOT_AFTER = (
    (
        "gateway_review",
        "proceedings_issued",
        "a review LPM cannot be held after care proceedings were issued: pre-proceedings ended with the issue",
    ),
    (
        "review_issue_decision",
        "proceedings_issued",
        "the decision to issue cannot come after the proceedings it decided on",
    ),
)
#: Events that record a decision to issue care proceedings, most specific first: once one is
#: recorded, the court path applies whatever the first LPM decided (002 §9c, App. 2).
_ISSUE_DECISIONS = ("review_issue_decision", "issue_decision")
_OUTCOME_SET = frozenset(OUTCOMES)
_NO_DATE = dt.date.max.toordinal() + 1  # sorts milestones without any date last
_MAX_OCCURRENCES = 100  # a recurring meeting every week for two years; guards bad input


class Status(StrEnum):
    """Derived status of a deadline (docs/timescales.md §1, "Status")."""

    UPCOMING = "upcoming"
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"
    #: Passed unmet, then overtaken by a later event (the LPM held without the papers): a miss
    #: that stays a miss, counted in timeliness (timescales.md §4 "A miss stays a miss").
    MISSED = "missed"

    @property
    def is_open(self) -> bool:
        """Still to be done (upcoming, due soon, due today or overdue)."""
        return self in _OPEN


_OPEN = frozenset({Status.UPCOMING, Status.DUE_SOON, Status.DUE_TODAY, Status.OVERDUE})


@dataclass(frozen=True, slots=True)
class Milestone:
    """One deadline of an episode: when it is due, whether it was met, and who owns it."""

    key: str
    label: str
    #: 1-based: which review meeting, which gateway review, which meeting's minutes.
    occurrence: int
    #: Firm due date; ``None`` while waiting for the event it counts from.
    due: dt.date | None
    #: While waiting: the due date if what it waits for happens on its own latest date.
    provisional: dt.date | None
    #: Keys of the events this milestone waits for (any one of them); empty when not waiting.
    waiting_for: tuple[str, ...]
    status: Status
    met_on: dt.date | None
    #: Working days late: met late (due -> met_on) or overdue (due -> today); else 0.
    days_late: int
    source: str
    responsible_role: str
    #: The due date is entered by a person (e.g. set by the CLO), not computed.
    entered: bool = False
    #: For per-meeting milestones (minutes): the meeting key they belong to.
    of: str | None = None
    waived_reason: str | None = None
    optional: bool = False
    #: ``Rule.ident`` of the policy rule that set the date (for "why this date").
    rule: str = ""
    #: Why it is missed or not applicable, in plain words (shown on the case page).
    reason: str | None = None

    @property
    def record_key(self) -> str:
        """The ``events`` key its date is recorded under (``approved_minutes:review_meeting``)."""
        return self.key if self.of is None else f"{self.key}:{self.of}"

    @property
    def ref(self) -> str:
        """Unique reference within a timetable, e.g. ``review_meeting#2``; usable in ``waived``."""
        return f"{self.record_key}#{self.occurrence}"

    @property
    def is_open(self) -> bool:
        """Still to be done."""
        return self.status in _OPEN

    @property
    def is_waiting(self) -> bool:
        """Its due date depends on something not yet recorded."""
        return bool(self.waiting_for)

    @property
    def sort_date(self) -> dt.date | None:
        """The date it is ordered by: due, else provisional, else the date it was met."""
        return self.due or self.provisional or self.met_on


@dataclass(frozen=True, slots=True)
class Timetable:
    """An episode's milestones in due order, with the week count of the episode (§1)."""

    policy: str
    policy_version: str
    today: dt.date
    outcome: str | None
    #: Date the clock started (the policy's ``clock_start`` event), if recorded.
    clock_start: dt.date | None
    #: "Week k" of the episode today (day 0 = clock start is week 1); None before the start.
    week: int | None
    #: Standard length plus agreed extension: "week 9 of 16".
    of_weeks: int
    extension_weeks: int
    #: When pre-proceedings ended, else are due to end (else provisionally), else None.
    projected_end: dt.date | None
    milestones: tuple[Milestone, ...]
    #: Court extensions of the 26 weeks (s32(5)) in all, in weeks.
    court_extension_weeks: int = 0
    #: The date care proceedings were issued (week 1, day 1 of the 26 weeks), if recorded.
    issued: dt.date | None = None
    #: "Week k of 26" in care proceedings today (the issue day is week 1, day 1).
    court_week: int | None = None
    #: The last day of the 26 weeks plus court extensions: issue + 181 days + 7 per week granted.
    court_limit: dt.date | None = None
    #: The date the final hearing is listed for, if recorded.
    final_hearing_listed: dt.date | None = None

    @property
    def court_of_weeks(self) -> int:
        """The 26 weeks plus any extension the court granted: "week 9 of 26"."""
        return COURT_WEEKS + self.court_extension_weeks

    @property
    def final_hearing_past_limit(self) -> bool:
        """A final hearing is listed after the last day of the (extended) 26 weeks."""
        return (
            self.final_hearing_listed is not None
            and self.court_limit is not None
            and self.final_hearing_listed > self.court_limit
        )

    def next_due(self) -> Milestone | None:
        """The first open milestone by due (or provisional) date."""
        for m in self.milestones:
            if m.status in _OPEN:
                return m
        return None

    def get(self, key: str, occurrence: int = 1, *, of: str | None = None) -> Milestone | None:
        """The milestone ``key`` (its ``occurrence``-th; for minutes, of meeting ``of``)."""
        for m in self.milestones:
            if m.key == key and m.occurrence == occurrence and m.of == of:
                return m
        return None

    def open(self) -> tuple[Milestone, ...]:
        """Milestones still to be done, in due order."""
        return tuple(m for m in self.milestones if m.status in _OPEN)

    def overdue(self) -> tuple[Milestone, ...]:
        """Overdue milestones, in due order."""
        return tuple(m for m in self.milestones if m.status is Status.OVERDUE)


EventDates = Mapping[str, dt.date | Sequence[dt.date] | None]


def _normalise(policy: Policy, events: EventDates) -> dict[str, tuple[int, ...]]:
    """Recorded dates as sorted ordinals; unknown keys are an error (they are typos)."""
    accepted = policy.event_keys
    rec: dict[str, tuple[int, ...]] = {}
    for key, value in events.items():
        if value is None:
            continue
        if key not in accepted:
            raise ValueError(f"unknown event {key!r} for policy {policy.name!r}")
        if isinstance(value, dt.date):
            _check_year(key, value)
            rec[key] = (value.toordinal(),)
            continue
        if isinstance(value, str | bytes):
            raise TypeError(f"event {key!r}: expected a date or a sequence of dates, not {value!r}")
        try:
            ords = tuple(sorted(d.toordinal() for d in value if d is not None))
        except (AttributeError, TypeError):
            raise TypeError(f"event {key!r}: expected a date or a sequence of dates, not {value!r}") from None
        for d in value:
            if d is not None:
                _check_year(key, d)
        if ords:
            if len(ords) > 1 and key in _ONCE:
                dates = ", ".join(dt.date.fromordinal(o).isoformat() for o in ords)
                raise ValueError(
                    f"{key} is given more than once ({dates}): it happens once per episode; record one date"
                )
            rec[key] = ords
    _check_order(rec)
    return rec


def _check_year(key: str, d: dt.date) -> None:
    if not FIRST_YEAR <= d.year <= LAST_YEAR:
        raise ValueError(
            f"{key}: {d.isoformat()} is not a date the calendar covers; use a date from {FIRST_YEAR} to {LAST_YEAR}"
        )


class EventOrderError(ValueError):
    """Two recorded events in an impossible order. The message names the engine's keys and ISO
    dates (for the command line and logs of the engine alone); the fields let a caller say it in
    people's words (deadlines/services.py `order_words`)."""

    def __init__(self, event: str, on: dt.date, relation: str, other: str, other_on: dt.date, what: str) -> None:
        self.event, self.on, self.relation, self.other, self.other_on, self.what = (
            event,
            on,
            relation,
            other,
            other_on,
            what,
        )
        super().__init__(f"{event} ({on.isoformat()}) is {relation} {other} ({other_on.isoformat()}): {what}")


def _check_order(rec: Mapping[str, tuple[int, ...]]) -> None:
    """Refuse events recorded out of order (the web forms refuse them too)."""
    for later, earlier, what in _ORDER:
        a, b = rec.get(later), rec.get(earlier)
        if a and b and a[0] < b[0]:
            raise EventOrderError(later, dt.date.fromordinal(a[0]), "before", earlier, dt.date.fromordinal(b[0]), what)
    for key, limit, what in _NOT_AFTER:
        a, b = rec.get(key), rec.get(limit)
        if a and b and a[-1] > b[0]:
            raise EventOrderError(key, dt.date.fromordinal(a[-1]), "after", limit, dt.date.fromordinal(b[0]), what)


def _pinned(
    policy: Policy, rec: Mapping[str, tuple[int, ...]], occurrences: Mapping[str, Mapping[int, dt.date]]
) -> dict[str, dict[int, int]]:
    """``occurrences`` as ordinals, checked: known keys, recorded dates, numbers in date order."""
    out: dict[str, dict[int, int]] = {}
    for key, by_number in occurrences.items():
        numbered = {s.occurrence: s for s in policy.steps if s.key == key and not s.recurring and not s.for_each}
        if not numbered:
            raise ValueError(f"occurrences: policy {policy.name!r} has no numbered rules for {key!r}")
        held = rec.get(key, ())
        ords: dict[int, int] = {}
        for number, day in by_number.items():
            if type(number) is not int or number < 1:
                raise ValueError(f"occurrences of {key}: {number!r} is not a number from 1")
            _check_year(key, day)
            o = day.toordinal()
            if o not in held:
                raise ValueError(f"occurrences of {key}: {day.isoformat()} is not a recorded date of {key}")
            ords[number] = o
        ordered = sorted(ords.items())
        for (n1, o1), (n2, o2) in zip(ordered, ordered[1:], strict=False):
            if o2 < o1:
                first = numbered[n1].label if n1 in numbered else f"{key} {n1}"
                second = numbered[n2].label if n2 in numbered else f"{key} {n2}"
                raise ValueError(
                    f"{key} {n2} ({dt.date.fromordinal(o2).isoformat()}) is before {key} {n1} "
                    f"({dt.date.fromordinal(o1).isoformat()}): the {as_phrase(second)} cannot be held before "
                    f"the {as_phrase(first)}"
                )
        out[key] = ords
    return out


def _check_waived(policy: Policy, waived: Mapping[str, str]) -> None:
    for ref in waived:
        key = ref.split("#", 1)[0].split(":", 1)[0]
        if not any(s.key == key for s in policy.steps):
            raise ValueError(f"cannot waive {ref!r}: policy {policy.name!r} has no such milestone")


def timetable(
    policy: Policy,
    events: EventDates,
    calendar: WorkingCalendar,
    today: dt.date,
    *,
    outcome: str | None = None,
    extension_weeks: int = 0,
    waived: Mapping[str, str] | None = None,
    court_extension_weeks: int = 0,
    occurrences: Mapping[str, Mapping[int, dt.date]] | None = None,
) -> Timetable:
    """Every milestone of one episode with its due date and status on ``today``.

    ``events`` maps event keys (timescales.md §2 plus the policy's declared events) to the date
    recorded, or to a sequence of dates for repeated events (review meetings, gateway reviews;
    for minutes, ``"approved_minutes:review_meeting"`` lists them meeting by meeting). Keys the
    policy does not know raise ``ValueError`` (they are typos); ``None`` values are ignored.

    ``outcome`` is the decision path (``None`` before a decision, else one of ``OUTCOMES``).
    Rules whose ``when`` does not match are left out, unless a date was recorded for them, in
    which case they show as not applicable. Pre-proceedings rules (``when`` has "initiate")
    also apply once pre-proceedings ran (``pre_proceedings_end`` recorded, or the outcome is
    "step_down"), and once ``pre_proceedings_end`` is recorded those not met become not
    applicable, except minutes of meetings that were held, which are still owed.

    Status (README "What the product must know"): a recorded date makes a milestone met (or
    met late, by working days); then waived; then not applicable (off path, ended, made moot
    by a later event, or an optional meeting whose date passed); a milestone *waiting* for an
    unrecorded event is upcoming whatever its provisional date, because the lateness belongs
    to the event it waits for, which carries its own status; otherwise overdue, due today,
    due soon (within ``due_soon_working_days`` working days) or upcoming.

    ``extension_weeks`` is the agreed extension (0 .. ``policy.max_extension_weeks``, else
    ``ValueError``; no limit when the policy states none); it moves rules marked ``extends``
    (the end, and final meetings tied to it). ``court_extension_weeks`` is what the court added
    to the 26 weeks (s32(5)); it moves rules marked ``court_extends`` (the final hearing).

    Events out of order (a letter before the LPM, a review before the initial meeting), an
    event that happens once given twice, and dates outside the calendar raise ``ValueError``.
    ``waived`` maps a milestone key (all occurrences) or a ``Milestone.ref`` such as
    ``review_meeting#2`` (one occurrence) to the reason it was waived.

    ``occurrences`` says which recorded date meets which numbered rule of a key, e.g.
    ``{"gateway_review": {1: d1, 2: d2, 4: d4}}``: the review LPMs held for weeks 8, 12 and 20,
    with the optional week-14 one skipped. Without it the recorded dates meet the numbered rules
    in date order. Each date must be one recorded under the key (a held meeting not numbered is
    an extra one: it meets no rule), and a later number cannot be held before an earlier one.
    """
    _check_arguments(policy, today, outcome, extension_weeks, court_extension_weeks, waived)
    rec = _normalise(policy, events)
    pinned = _pinned(policy, rec, occurrences) if occurrences else {}
    run = _Run(
        policy,
        calendar,
        today,
        rec,
        pinned,
        _path(policy, outcome, rec),
        waived,
        extension_weeks,
        court_extension_weeks,
    )
    for st in policy.steps:  # in dependency order: every rule after the rules it counts from
        run.step(st)
    return run.result()


def _check_arguments(
    policy: Policy,
    today: dt.date,
    outcome: str | None,
    extension_weeks: int,
    court_extension_weeks: int,
    waived: Mapping[str, str] | None,
) -> None:
    """Refuse an unknown outcome, a bad or over-long extension, a day the calendar does not cover,
    and a waiver of a milestone the policy does not have."""
    if outcome is not None and outcome not in _OUTCOME_SET:
        raise ValueError(f"unknown outcome {outcome!r}; use None or one of {list(OUTCOMES)}")
    if type(extension_weeks) is not int or extension_weeks < 0:
        raise ValueError(f"extension_weeks must be a whole number of weeks >= 0, not {extension_weeks!r}")
    if type(court_extension_weeks) is not int or court_extension_weeks < 0:
        raise ValueError(f"court_extension_weeks must be a whole number of weeks >= 0, not {court_extension_weeks!r}")
    if not FIRST_YEAR <= today.year <= LAST_YEAR:
        raise ValueError(f"today: {today.isoformat()} is not a date the calendar covers")
    if not policy.extension_allowed(extension_weeks):
        raise ValueError(
            f"extension of {extension_weeks} weeks exceeds the {policy.title} limit of "
            f"{policy.max_extension_weeks} weeks"
        )
    if waived:
        _check_waived(policy, waived)


#: (sort date, order emitted, milestone): the timetable's rows before sorting.
_Row = tuple[int, int, Milestone]


class _Run:
    """One timetable being worked out, rule by rule: the recorded events, the due and provisional
    date of each milestone so far (later rules count from them), and the rows emitted."""

    __slots__ = (
        "add_wd",
        "between",
        "calendar",
        "court_extension_weeks",
        "due_of",
        "extension_weeks",
        "path",
        "pinned",
        "policy",
        "projected",
        "prov_of",
        "rec",
        "roll",
        "rows",
        "soon",
        "t",
        "today",
        "waived",
    )

    def __init__(
        self,
        policy: Policy,
        calendar: WorkingCalendar,
        today: dt.date,
        rec: Mapping[str, tuple[int, ...]],
        pinned: Mapping[str, Mapping[int, int]],
        path: _Path,
        waived: Mapping[str, str] | None,
        extension_weeks: int,
        court_extension_weeks: int,
    ) -> None:
        self.policy = policy
        self.calendar = calendar
        # The calendar's ordinal arithmetic, bound once (this runs for every milestone).
        self.add_wd = calendar._add_wd
        self.roll = calendar._roll_back
        self.between = calendar._between
        self.soon = policy.due_soon_working_days
        self.today = today
        self.t = today.toordinal()
        self.rec = rec
        self.pinned = pinned
        self.path = path
        self.waived = waived
        self.extension_weeks = extension_weeks
        self.court_extension_weeks = court_extension_weeks
        #: Firm due dates (first occurrence) by key, and provisional ones while waiting.
        self.due_of: dict[str, int] = {}
        self.prov_of: dict[str, int] = {}
        self.rows: list[_Row] = []
        #: When pre-proceedings ended or are due to end, once the end's rule has run.
        self.projected: int | None = None

    # -- which kind of rule ------------------------------------------------------------------

    def step(self, st: Step) -> None:
        """Add the milestones of one rule."""
        rec = self.rec
        if (st.requires and not any(r in rec for r in st.requires)) or any(x in rec for x in st.excluded_by):
            return  # the other variant of this milestone applies
        if st.when and not (st.when & self.path.outcomes) and not (st.pre_proceedings and self.path.ran):
            self.off_path(st)
        elif st.for_each:
            self.per_meeting_held(st)
        elif st.recurring:
            self.recurring(st)
        else:
            self.once(st)

    def off_path(self, st: Step) -> None:
        """Off the current decision path: keep any recorded history, as not applicable."""
        recorded = self.rec.get(st.key)
        if not recorded or st.for_each:
            return
        picks: tuple[int, ...]
        if st.recurring:
            picks = recorded
        elif st.key in self.pinned:
            held_for = self.pinned[st.key].get(st.occurrence)
            picks = () if held_for is None else (held_for,)
        else:
            picks = recorded[st.occurrence - 1 : st.occurrence]
        rows = self.rows
        for i, held_on in enumerate(picks):
            occ = i + 1 if st.recurring else st.occurrence
            rows.append((held_on, len(rows), _not_applicable(st, occ, dt.date.fromordinal(held_on))))

    def per_meeting_held(self, st: Step) -> None:
        """Minutes and the like: one per meeting actually held. They outlive the end of
        pre-proceedings (the final meeting's minutes are due after it), so never lapse."""
        for meeting, record_key, phrase, numbered in st.for_each:
            held = self.rec.get(meeting, ())
            done = self.rec.get(record_key, ())
            for i, m in enumerate(held):
                o = self.offset(m, st.amount, st.unit)
                met = done[i] if i < len(done) else None
                label = f"{st.label}: {phrase} {i + 1}" if numbered else f"{st.label}: {phrase}"
                self.emit(st, i + 1, o, True, (), met, label, None, meeting)

    def recurring(self, st: Step) -> None:
        """A meeting held every so often until pre-proceedings end (§1 "Recurring"): each due the
        interval after the previous one was held, or was due if it was not held."""
        lapsed = _lapse(self.policy, st, self.rec, self.path)
        base, firm = self.counted_from(st)
        waiting = () if firm else st.anchors
        amount = self.amount(st)
        recorded = self.rec.get(st.key, ())
        path = self.path
        end = path.end if path.end is not None else self.due_of.get(_END, self.prov_of.get(_END))
        occ = 1
        while occ <= _MAX_OCCURRENCES:
            o = None if base is None else self.offset(base, amount, st.unit)
            met = recorded[occ - 1] if occ <= len(recorded) else None
            if occ > 1 and met is None and (o is None or end is None or o > end):
                break
            if occ == 1 and o is not None:
                (self.due_of if firm else self.prov_of)[st.key] = o
            self.emit(st, occ, o, firm, waiting, met, f"{st.label} {occ}", lapsed)
            if met is not None:
                # §1 "Recurring": due 4 weeks after the previous one was held ...
                base, firm, waiting = met, True, ()
            else:
                # ... or was due, if it has not been held.
                base = o
            occ += 1

    def once(self, st: Step) -> None:
        """A milestone (or one numbered occurrence of it) counted from its anchor, kept within the
        policy's bounds, or on the date the court listed it."""
        rec = self.rec
        lapsed = _lapse(self.policy, st, rec, self.path)
        base, firm = self.counted_from(st)
        waiting = () if firm else st.anchors
        o = None if base is None else self.offset(base, self.amount(st), st.unit)
        if o is not None and not (st.listed is not None and st.listed in rec):
            o = self.bounded(st, o)
        if st.listed is not None:
            listed = rec.get(st.listed)
            if listed:
                # The court listed the hearing: its date replaces the computed one (002 App. 3).
                o, firm = listed[-1], True
                waiting = ()
        if o is not None and st.occurrence == 1:
            (self.due_of if firm else self.prov_of)[st.key] = o
        met = self.held_for(st)
        if st.key == _END:
            # Ended by a decision to issue: concluded that day (late if after the end was due).
            met = met if met is not None else self.path.end
            lapsed = None
            self.projected = self.path.end if self.path.end is not None else o
        self.emit(st, st.occurrence, o, firm, waiting, met, st.label, lapsed)

    # -- counting ----------------------------------------------------------------------------

    def counted_from(self, st: Step) -> tuple[int | None, bool]:
        """The day a rule counts from, and whether it is firm: the first alternative anchor
        recorded wins; otherwise an anchor milestone's due date (firm if the rule does not wait)
        or its provisional date."""
        rec = self.rec
        for a in st.anchors:
            r = rec.get(a)
            if r is not None:
                return r[0], True
        for a in st.anchors:
            d = self.due_of.get(a)
            if d is not None:
                return d, not st.wait
            d = self.prov_of.get(a)
            if d is not None:
                return d, False
        return None, False

    def amount(self, st: Step) -> int:
        """The rule's timescale, plus the agreed extension (rules marked ``extends``) and the
        court's extension of the 26 weeks (rules marked ``court_extends``)."""
        amount = st.amount + self.extension_weeks if st.extends else st.amount
        if st.court_extends:
            amount += self.court_extension_weeks * (1 if st.unit == UNIT_WEEKS else 7)
        return amount

    def offset(self, base: int, amount: int, unit: int) -> int:
        """``amount`` working days, calendar days or weeks from ``base``, on a working day."""
        if unit == UNIT_WORKING_DAYS:
            return self.add_wd(base, amount)
        o = self.roll(base + (amount if unit == UNIT_CALENDAR_DAYS else 7 * amount))
        # Rolling back off a weekend never puts a step before the day it counts from (an event
        # recorded on a Saturday, + 1 day): it is due the next working day instead.
        return _on_or_after(self.calendar, base) if amount >= 0 and o < base else o

    def bounded(self, st: Step, o: int) -> int:
        """A computed date moved to the policy's panel weekdays, no later than its cap, and no
        earlier than its floor."""
        rec = self.rec
        if st.weekdays:
            o = _next_on_weekdays(self.calendar, o, st.weekdays)
        if st.cap is not None:
            cap_anchor, cap_amount, cap_unit = st.cap
            cap_rec = rec.get(cap_anchor)
            cap_base = cap_rec[0] if cap_rec else self.due_of.get(cap_anchor)
            if cap_base is not None:
                o = min(o, self.offset(cap_base, cap_amount, cap_unit))
        if st.floor is not None:
            # Only a recorded event moves a deadline later (a deferral someone agreed).
            floor_anchor, floor_amount, floor_unit = st.floor
            floor_rec = rec.get(floor_anchor)
            if floor_rec:
                o = max(o, self.offset(floor_rec[-1], floor_amount, floor_unit))
        return o

    def held_for(self, st: Step) -> int | None:
        """The recorded date that meets this occurrence, if any."""
        occurrence = st.occurrence
        if st.key in self.pinned:
            # Matched by the review point each meeting was held for, not by date order.
            return self.pinned[st.key].get(occurrence)
        recorded = self.rec.get(st.key, ())
        return recorded[occurrence - 1] if len(recorded) >= occurrence else None

    # -- status ------------------------------------------------------------------------------

    def emit(
        self,
        st: Step,
        occurrence: int,
        o: int | None,
        firm: bool,
        waiting: tuple[str, ...],
        met: int | None,
        label: str,
        lapsed: tuple[int, str] | None,
        of: str | None = None,
    ) -> None:
        """Add one milestone: due on ``o`` (provisionally, unless ``firm``), met on ``met``."""
        due = o if firm else None
        status, late, reason, why = self.status(st, occurrence, due, met, lapsed, of)
        # Only a milestone still waiting (no firm date, nothing recorded, waived or overtaken)
        # says what it waits for.
        waiting_for = waiting if due is None and status is Status.UPCOMING else ()
        from_ord = dt.date.fromordinal
        sort = o if o is not None else (met if met is not None else _NO_DATE)
        rows = self.rows
        rows.append(
            (
                sort,
                len(rows),
                Milestone(
                    st.key,
                    label,
                    occurrence,
                    None if due is None else from_ord(due),
                    None if firm or o is None else from_ord(o),
                    waiting_for,
                    status,
                    None if met is None else from_ord(met),
                    late,
                    st.source,
                    st.role,
                    st.entered,
                    of,
                    reason,
                    st.optional,
                    st.rule.ident,
                    why,
                ),
            )
        )

    def status(
        self,
        st: Step,
        occurrence: int,
        due: int | None,
        met: int | None,
        lapsed: tuple[int, str] | None,
        of: str | None,
    ) -> tuple[Status, int, str | None, str | None]:
        """(status, working days late, waiver reason, why) in the README's order: met (or met
        late), waived, overtaken (missed or not applicable), else open: overdue (or, if optional,
        not needed), due today, due soon or upcoming."""
        if met is not None:
            if due is None or met <= due:
                return Status.MET, 0, None, None
            # At least 1: met on the weekend after a Friday deadline is still late.
            return Status.MET_LATE, max(1, self.between(due, met)), None, None
        waived = self.waived
        if waived and (reason := _waiver(waived, st.key, of, occurrence)) is not None:
            return Status.WAIVED, 0, reason, None
        if lapsed is not None:
            status, why = _overtaken(st, due, lapsed)
            late = max(1, self.between(due, lapsed[0])) if status is Status.MISSED and due is not None else 0
            return status, late, None, why
        # Still to be done on ``today``.
        if due is None:
            # Waiting: lateness is charged to what it waits for, which has its own status, so
            # one slip raises one alert instead of a cascade down the timetable.
            return Status.UPCOMING, 0, None, None
        t = self.t
        if t > due:
            if st.optional:
                # An optional meeting not held by its date was not needed (001 midway review).
                return Status.NOT_APPLICABLE, 0, None, f"Optional, and not held by {_uk(due)}: it was not needed"
            return Status.OVERDUE, max(1, self.between(due, t)), None, None
        if t == due:
            return Status.DUE_TODAY, 0, None, None
        if self.between(t, due) <= self.soon:
            return Status.DUE_SOON, 0, None, None
        return Status.UPCOMING, 0, None, None

    # -- the whole timetable -----------------------------------------------------------------

    def result(self) -> Timetable:
        """The milestones in due order, with the episode's week and the court's 26 weeks."""
        rows = self.rows
        rows.sort(key=_row_order)
        rec, t, policy = self.rec, self.t, self.policy
        from_ord = dt.date.fromordinal
        clock = rec.get(policy.clock_start)
        clock_start = clock[0] if clock else None
        week = None if clock_start is None or t < clock_start else (t - clock_start) // 7 + 1
        issued_rec = rec.get(_ISSUED)
        issued = issued_rec[0] if issued_rec else None
        court_week = None if issued is None or t < issued else (t - issued) // 7 + 1
        # The 26 weeks begin with the issue day (day 1), so the last day is issue + 26 * 7 - 1.
        court_limit = None if issued is None else issued + 7 * (COURT_WEEKS + self.court_extension_weeks) - 1
        fh_listed = rec.get("final_hearing_listed") or rec.get("final_hearing")
        projected = self.projected
        return Timetable(
            policy=policy.name,
            policy_version=policy.version,
            today=self.today,
            outcome=self.path.outcome,
            clock_start=None if clock_start is None else from_ord(clock_start),
            week=week,
            of_weeks=policy.standard_weeks + self.extension_weeks,
            extension_weeks=self.extension_weeks,
            projected_end=None if projected is None else from_ord(projected),
            milestones=tuple(row[2] for row in rows),
            court_extension_weeks=self.court_extension_weeks,
            issued=None if issued is None else from_ord(issued),
            court_week=court_week,
            court_limit=None if court_limit is None else from_ord(court_limit),
            final_hearing_listed=None if not fh_listed else from_ord(fh_listed[-1]),
        )


@dataclass(frozen=True, slots=True)
class _Path:
    """Which decision paths an episode's recorded events put it on (issue 20 §2)."""

    #: Outcomes whose rules apply: the decision recorded, plus "issue" once an issue is decided.
    outcomes: frozenset[str | None]
    #: Pre-proceedings ran (so their rules apply, and lapse at ``end``).
    ran: bool
    #: The recorded end of pre-proceedings, if any.
    end_recorded: int | None
    #: The day pre-proceedings ended: the recorded end, or a decision to issue taken after they began.
    end: int | None
    #: What ended them, for the reason shown on a step they overtook.
    end_why: str
    #: The outcome the timetable reports: "issue" once an issue is decided.
    outcome: str | None


def _path(policy: Policy, outcome: str | None, rec: Mapping[str, tuple[int, ...]]) -> _Path:
    """The episode's path: a decision to issue at any LPM (first or review) puts it on the issue
    path whatever the first outcome was; taken after pre-proceedings began, it ends them."""
    end_seq = rec.get(_END)
    end_rec = end_seq[0] if end_seq else None
    decided = next((k for k in _ISSUE_DECISIONS if k in rec), None)
    to_court = outcome == "issue" or decided is not None or _ISSUED in rec
    outcomes: frozenset[str | None] = frozenset({outcome, "issue"} if to_court else {outcome})
    ran = end_rec is not None or outcome == "step_down" or "review_issue_decision" in rec
    end, end_why = end_rec, ("" if end_rec is None else f"pre-proceedings ended on {_uk(end_rec)}")
    if to_court and (outcome == "initiate" or "review_issue_decision" in rec):
        on = rec[decided][0] if decided is not None else rec[_ISSUED][0]
        if end is None or on < end:
            what = "decided to issue care proceedings" if decided is not None else "issued care proceedings"
            end, end_why = on, f"the council {what} on {_uk(on)}"
        ran = True
    return _Path(outcomes, ran, end_rec, end, end_why, "issue" if to_court else outcome)


def _lapse(policy: Policy, st: Step, rec: Mapping[str, tuple[int, ...]], path: _Path) -> tuple[int, str] | None:
    """The day (and the event, in words) that overtook a milestone, if one did: the end of
    pre-proceedings for their steps, else the first recorded event that makes it moot."""
    if st.pre_proceedings and path.end is not None and st.key != _END:
        return path.end, path.end_why
    moot = [(rec[m][0], m) for m in st.moot_after if m in rec]
    if not moot:
        return None
    on, key = min(moot)
    return on, f"the {as_phrase(policy.label_for(key))} was recorded on {_uk(on)}"


def _overtaken(st: Step, due: int | None, lapsed: tuple[int, str]) -> tuple[Status, str]:
    """Missed if its date had passed unmet when it was overtaken, else not applicable: either way
    with the reason in words (a miss stays a miss, timescales.md §4)."""
    on, why = lapsed
    if due is not None and due < on and not st.optional:
        return Status.MISSED, f"Missed: due {_uk(due)} and not done before {why}"
    return Status.NOT_APPLICABLE, f"Not needed: {why} before it was due"


def _uk(o: int) -> str:
    d = dt.date.fromordinal(o)
    return f"{d.day} {d:%b %Y}"


def _on_or_after(calendar: WorkingCalendar, o: int) -> int:
    while not calendar._is_working(o):
        o += 1
    return o


def _row_order(row: tuple[int, int, Milestone]) -> tuple[int, int]:
    return (row[0], row[1])


def _waiver(waived: Mapping[str, str], key: str, of: str | None, occurrence: int) -> str | None:
    """The reason a milestone was waived: by exact ref, by record key, or by key."""
    record_key = key if of is None else f"{key}:{of}"
    for ref in (f"{record_key}#{occurrence}", record_key, key):
        reason = waived.get(ref)
        if reason is not None:
            return reason
    return None


def _not_applicable(st: Step, occurrence: int, met: dt.date) -> Milestone:
    label = f"{st.label} {occurrence}" if st.recurring else st.label
    return Milestone(
        st.key, label, occurrence, None, None, (), Status.NOT_APPLICABLE, met, 0,
        st.source, st.role, st.entered, None, None, st.optional, st.rule.ident,
        "Recorded, but the episode's decision took another path",
    )  # fmt: skip


def _next_on_weekdays(calendar: WorkingCalendar, o: int, weekdays: frozenset[int]) -> int:
    """First working day on or after ``o`` that falls on one of ``weekdays`` (panel days)."""
    for _ in range(400):
        if (o + 6) % 7 in weekdays and calendar._is_working(o):
            return o
        o += 1
    raise ValueError("no working day on the policy's panel weekdays within a year")
