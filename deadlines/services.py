"""Writes for deadlines: keep each episode's stored deadlines true to the engine; heartbeats.

`deadlines_recompute` is called by every service that changes a recorded date, inside that
service's transaction (a service, not a signal), so no screen ever shows a stale due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Value
from django.utils import timezone

from accounts.roles import WAIVE_ROLES, Role
from accounts.scopes import authorize
from plo_tracker.bulk import audited_insert

from .engine import Policy, Status, Timetable, WorkingCalendar, timetable
from .engine.rules import MILESTONE_KEYS
from .engine.timetable import EventOrderError, Milestone
from .locking import episode_lock_for_deadlines
from .models import ClosureDay, Deadline, DeadlineState, ExtraBankHoliday, GoLive, WorkerHeartbeat
from .pinning import policy_for

if TYPE_CHECKING:
    from accounts.models import User
    from cases.models import Episode
    from meetings.models import LPM

# Stored key prefix of an action set at a tracker meeting ("meeting_action:<action id>").
ACTION_KEY = "meeting_action"

_STATE_OF = {
    Status.MET: DeadlineState.MET,
    Status.MET_LATE: DeadlineState.MET_LATE,
    Status.WAIVED: DeadlineState.WAIVED,
    Status.NOT_APPLICABLE: DeadlineState.NOT_APPLICABLE,
    Status.MISSED: DeadlineState.MISSED,
}


@lru_cache(maxsize=8)
def _calendar(closures: tuple[dt.date, ...], extra: tuple[dt.date, ...]) -> WorkingCalendar:
    return WorkingCalendar(closures=closures, extra_holidays=extra)


def calendar_current() -> WorkingCalendar:
    """The working-day calendar with this council's closure days and extra bank holidays."""
    # One query for both tables (every screen and job asks for the calendar).
    both = (
        ClosureDay.objects.annotate(extra=Value(False))
        .values_list("date", "extra")
        .union(ExtraBankHoliday.objects.annotate(extra=Value(True)).values_list("date", "extra"), all=True)
        .order_by("date")
    )
    closures: list[dt.date] = []
    extra: list[dt.date] = []
    for day, is_extra in both:
        (extra if is_extra else closures).append(day)
    return _calendar(tuple(closures), tuple(extra))


def calendar_day_names() -> dict[dt.date, str]:
    """The council's closure days and extra bank holidays by their recorded names, for "why this
    date" ("Christmas closure, a council closure day")."""
    names = {day: f"{name}, a bank holiday" for day, name in ExtraBankHoliday.objects.values_list("date", "name")}
    names.update(
        {day: f"{reason}, a council closure day" for day, reason in ClosureDay.objects.values_list("date", "reason")}
    )
    return names


def non_working_day_error(
    day: dt.date | None, *, calendar: WorkingCalendar | None = None, court: bool = False
) -> str | None:
    """Why a date a person chooses cannot be used, naming the day ("25 Dec 2026 is Christmas Day, a
    bank holiday: choose a working day"), or None for a working day (issue 20 §8).

    Refused for the dates that set someone's deadline or book a meeting (a deferral, an action's due
    date, a letter deadline, a panel or meeting booked): nobody is at work to meet them. ``court``
    is for a hearing the court listed: the court sits on the council's closure days, so only
    weekends and bank holidays are refused.
    """
    if day is None:
        return None
    calendar = calendar or calendar_current()
    if calendar.is_working_day(day):
        return None
    when = f"{day:%-d %b %Y}"
    if day.weekday() >= 5:
        what = f"a {day:%A}"
    else:
        from .explain import bank_holiday_name

        named = calendar_day_names().get(day) or ""
        holiday = bank_holiday_name(day)
        if holiday:
            what = f"{holiday}, a bank holiday"
        elif named.endswith(", a council closure day"):
            if court:
                return None  # the court is open on the council's own closure days
            what = f"a council closure day ({named.removesuffix(', a council closure day')})"
        else:
            what = named or "not a working day"
    if court:
        return f"{when} is {what}, when the court does not sit: enter the date the court listed"
    return f"{when} is {what}: choose a working day"


#: Dates people choose that set a deadline: a record made before they were refused on a
#: non-working day (imported, or older) is due on the next working day, never before the date
#: chosen (timescales.md §4: nothing is due before the event it counts from).
CHOSEN_EVENTS = frozenset({"lpm_deferred_until", "letter_deadline"})


#: The milestone a review LPM is held for; its numbered rules are the policy's review points.
REVIEW_KEY = "gateway_review"


def review_points(policy: Policy) -> dict[int, str]:
    """The policy's review LPMs a review is held for (e.g. 1: "Care planning LPM (week 7/8)"),
    by number; empty when the policy times none (or repeats them)."""
    return {
        r.occurrence: r.label
        for r in sorted(policy.rules, key=lambda r: r.occurrence)
        if r.key == REVIEW_KEY and not r.recurring and not r.for_each
    }


def review_point_label(lpm: LPM) -> str:
    """Which of the policy's review LPMs this one is held for, in words ("" if not a review)."""
    from meetings.models import LPMKind

    if lpm.kind != LPMKind.REVIEW:
        return ""
    if lpm.review_point is None:
        return "An extra review, not one of the policy's review points"
    try:
        points = review_points(policy_for(lpm.episode))
    except LookupError:
        points = {}
    return points.get(lpm.review_point, f"Review point {lpm.review_point}")


def stored_key(key: str, of: str | None) -> str:
    """The key a milestone is stored under: per-meeting milestones carry their meeting."""
    return f"{key}:{of}" if of else key


def episode_inputs(episode: Episode, *, today: dt.date | None = None) -> dict[str, Any]:
    """Everything recorded on an episode, in the engine's vocabulary (timescales.md §2)."""
    today = today or timezone.localdate()
    events: dict[str, Any] = {}
    _request_events(episode, events)
    lpms = list(episode.lpms.all())
    decisive = _lpm_events(episode, lpms, events)
    occurrences = _review_lpm_events(lpms, events)
    _letter_and_agreement_events(episode, events)
    _meeting_events(episode, events)
    proceedings, court_extension_weeks = _court_events(episode, events, today)
    _end_event(episode, events)
    waived = {
        f"{d.key}#{d.occurrence}": d.waived_reason for d in episode.deadlines.all() if d.state == DeadlineState.WAIVED
    }
    return {
        "events": events,
        "outcome": _outcome(episode, proceedings, decisive),
        "extension_weeks": sum(e.weeks for e in episode.extensions.all()),
        "court_extension_weeks": court_extension_weeks,
        "waived": waived,
        "occurrences": occurrences,
    }


def _request_events(episode: Episode, events: dict[str, Any]) -> None:
    """The LPM request: made, decided (approved or declined), deferred."""
    from meetings.models import LPMRequest, RequestStatus

    request = _one(episode, "lpm_request", LPMRequest)
    if request is not None:
        events["lpm_request"] = request.requested_on
        if request.status in (RequestStatus.APPROVED, RequestStatus.DECLINED):
            events["lpm_request_decision"] = request.decided_on
        if request.status == RequestStatus.APPROVED:
            events["lpm_approved"] = request.decided_on
        if request.deferred_until:
            events["lpm_deferred_until"] = request.deferred_until


def _lpm_events(episode: Episode, lpms: list[Any], events: dict[str, Any]) -> Any:
    """The LPM on the decision path (the panel date, papers, decision, minutes), and a further
    LPM after a deferral; returns the LPM whose decision set the path, if any."""
    from meetings.models import LPMKind, LPMOutcome

    path_lpms = [x for x in lpms if x.kind != LPMKind.REVIEW]
    initial = next((x for x in path_lpms if x.kind == LPMKind.INITIAL), None)
    decisive = max((x for x in path_lpms if x.outcome), key=lambda x: (x.held_on, x.pk), default=None)
    further = [x for x in path_lpms if x.kind == LPMKind.FURTHER]
    listed = decisive or (further[-1] if further else initial)
    if listed is not None:
        events["panel_date"] = listed.panel_date
        if listed.papers_submitted_on:
            events["lpm_papers"] = listed.papers_submitted_on
    if decisive is not None:
        # D: the LPM whose decision set the path (a further LPM after a deferral restarts it).
        events["lpm_held"] = decisive.held_on
        if decisive.outcome_recorded_on:
            events["lpm_outcome_recorded"] = decisive.outcome_recorded_on
        if decisive.minutes_circulated_on:
            events["lpm_minutes"] = decisive.minutes_circulated_on
        advice = _advice_of(decisive)
        if advice is not None and advice.sent_to_head_of_service_on:
            events["advice_to_head_of_service"] = advice.sent_to_head_of_service_on
    if initial is not None and initial.outcome == LPMOutcome.DEFER and further:
        held = [x.held_on for x in further if x.held_on]
        if held:
            events["further_lpm"] = held[0]
        if further[0].papers_submitted_on:
            events["revised_papers"] = further[0].papers_submitted_on
    if episode.decision_date is not None:
        events["lpm_held"] = episode.decision_date
    return decisive


def _review_lpm_events(lpms: list[Any], events: dict[str, Any]) -> dict[str, dict[int, dt.date]]:
    """Review LPMs held and their minutes; returns which review point each one was held for."""
    from meetings.models import LPMKind

    reviews = sorted(
        (x for x in lpms if x.kind == LPMKind.REVIEW and x.held_on),
        key=lambda x: x.held_on or dt.date.min,
    )
    occurrences: dict[str, dict[int, dt.date]] = {}
    if reviews:
        events["gateway_review"] = [x.held_on for x in reviews]
        # Each review LPM meets the review point it was held for, not the next one in date order
        # (so skipping the optional week-14 LPM does not make the week-20 one count as week 14).
        occurrences[REVIEW_KEY] = {x.review_point: x.held_on for x in reviews if x.review_point and x.held_on}
        circulated = _leading([x.minutes_circulated_on for x in reviews])
        if circulated:
            events["approved_minutes:gateway_review"] = circulated
    return occurrences


def _letter_and_agreement_events(episode: Episode, events: dict[str, Any]) -> None:
    """The letter before proceedings (delivered to every parent with parental responsibility),
    the letters to legal, the exit letter and the signed agreements."""
    deliveries = list(episode.letter_deliveries.all())
    recipients = [p for p in episode.family.people.all() if p.parental_responsibility]
    delivered_to = {d.person_id for d in deliveries}
    if deliveries and all(p.pk in delivered_to for p in recipients):
        # Met when every parent with parental responsibility has the letter.
        events["letter_before_proceedings"] = max(d.delivered_on for d in deliveries)
    for key, value in (
        ("letter_deadline", episode.letter_due_on),
        ("letter_to_legal", episode.letter_to_legal_on),
        ("proposed_agreement_to_legal", episode.proposed_agreement_to_legal_on),
        ("exit_letter", episode.exit_letter_on),
        ("signed_agreement", episode.agreement_signed_on),
        ("signed_agreement_final", episode.final_agreement_signed_on),
    ):
        if value:
            events[key] = value


def _meeting_events(episode: Episode, events: dict[str, Any]) -> None:
    """Pre-proceedings meetings held (initial, reviews, final) and their minutes."""
    from meetings.models import MeetingKind

    meetings = sorted((m for m in episode.meetings.all() if m.held_on), key=lambda m: m.held_on or dt.date.min)
    for kind in MeetingKind:
        of_kind = [m for m in meetings if m.kind == kind]
        if not of_kind:
            continue
        events[kind.value] = of_kind[0].held_on if kind != MeetingKind.REVIEW else [m.held_on for m in of_kind]
        drafted = _leading([m.minutes_drafted_on for m in of_kind])
        approved = _leading([m.minutes_circulated_on or m.minutes_approved_on for m in of_kind])
        if drafted:
            events[f"draft_minutes:{kind.value}"] = drafted
        if approved:
            events[f"approved_minutes:{kind.value}"] = approved


def _court_events(episode: Episode, events: dict[str, Any], today: dt.date) -> tuple[Any, int]:
    """The decision to issue, the court steps and hearings; returns the care proceedings (or
    None) and the weeks the court extended the 26 weeks by."""
    from cases.models import CareProceedings

    proceedings = _one(episode, "proceedings", CareProceedings)
    if proceedings is None:
        return None, 0
    events["issue_decision"] = proceedings.issue_decision_on
    if episode.decision_date is not None and proceedings.issue_decision_on >= episode.decision_date:
        # Decided after pre-proceedings started: at a review or care-planning LPM (002 §11a i,
        # App. 2 weeks 7/8, 12, 14), not at the first LPM (which leaves decision_date empty).
        events["review_issue_decision"] = proceedings.issue_decision_on
    court_extension_weeks = sum(x.weeks for x in proceedings.court_extensions.all())
    for key, value in (
        ("letter_of_issue", proceedings.letter_of_issue_on),
        ("swet_to_legal", proceedings.swet_to_legal_on),
        ("proceedings_issued", proceedings.issued_on),
        ("la_final_evidence", proceedings.final_evidence_filed_on),
        ("irh_advocates_meeting", proceedings.irh_advocates_meeting_on),
    ):
        if value:
            events[key] = value
    latest: dict[str, Any] = {}
    for hearing in sorted(proceedings.hearings.all(), key=lambda h: h.pk):
        if hearing.kind in ("cmh", "irh", "final_hearing"):
            latest[hearing.kind] = hearing  # a later record of the same hearing is a relisting
    for hearing_kind, hearing in latest.items():
        # The listed date replaces the computed one (002 App. 3) ...
        events[f"{hearing_kind}_listed"] = hearing.hearing_date
        # ... and a hearing listed for a future date has not happened yet: it meets nothing.
        if hearing.hearing_date <= today:
            events[hearing_kind] = hearing.hearing_date
    return proceedings, court_extension_weeks


def _end_event(episode: Episode, events: dict[str, Any]) -> None:
    """Pre-proceedings ended other than by issuing (an issue ends them in the engine)."""
    from cases.models import EndOutcome

    if episode.ended_on and episode.end_outcome != EndOutcome.ISSUE:
        events["pre_proceedings_end"] = episode.ended_on
    elif episode.end_decision_date and episode.decision_date:
        events["pre_proceedings_end"] = episode.end_decision_date


def _outcome(episode: Episode, proceedings: Any, decisive: Any) -> str | None:
    """The decision path in the engine's words (``None`` before a decision)."""
    from cases.models import EndOutcome
    from meetings.models import LPMOutcome

    if episode.end_outcome in (EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN):
        return "step_down"
    if episode.end_outcome == EndOutcome.NFA:
        return "nfa"
    if proceedings is not None:
        # Issue decided after pre-proceedings began (a review LPM, the panel): the first decision
        # stands, and the engine adds the issue path from the decision's date (issue 20 §2).
        return "initiate" if episode.decision_date is not None else "issue"
    if decisive is not None:
        return {
            LPMOutcome.INITIATE: "initiate",
            LPMOutcome.DEFER: "defer",
            LPMOutcome.NFA: "nfa",
            LPMOutcome.ISSUE: "issue",
        }.get(LPMOutcome(decisive.outcome))
    return None


def _one(episode: Episode, name: str, model: Any) -> Any:
    """The episode's one-to-one record `name` (or None): from a prefetch when the batch recompute
    made one, else read now (never an object cached on the instance by some earlier read)."""
    if getattr(type(episode), name).is_cached(episode):
        return getattr(episode, name, None)
    return model.objects.filter(episode_id=episode.pk).first()


def _advice_of(lpm: Any) -> Any:
    """The LPM's legal advice (or None), from a prefetch or join when one was made, else read now."""
    from meetings.models import LPM, LegalAdvice

    if LPM.legal_advice.is_cached(lpm):
        return getattr(lpm, "legal_advice", None)
    return LegalAdvice.objects.filter(lpm_id=lpm.pk).first()


# What `episode_inputs` reads, for prefetching a batch of episodes in a fixed number of queries.
INPUT_PREFETCH = (
    "lpm_request",
    "lpms__legal_advice",
    "letter_deliveries",
    "family__people",
    "meetings",
    "proceedings__court_extensions",
    "proceedings__hearings",
    "extensions",
    "deadlines",
    "assessments",  # for the overrun forecast
)


def _leading(dates: list[dt.date | None]) -> list[dt.date]:
    """Dates recorded for the first meetings in order, stopping at the first meeting without one."""
    out: list[dt.date] = []
    for value in dates:
        if value is None:
            break
        out.append(value)
    return out


def episode_timetable(
    episode: Episode, *, today: dt.date | None = None, calendar: WorkingCalendar | None = None
) -> Timetable:
    """The engine's timetable for an episode as recorded now."""
    inputs = episode_inputs(episode, today=today)
    policy = policy_for(episode)
    extension = inputs["extension_weeks"]
    if policy.max_extension_weeks is not None:
        extension = min(extension, policy.max_extension_weeks)
    # Each council's policy names only the events it uses; the rest of the record is not its concern.
    events = {key: value for key, value in inputs["events"].items() if key in policy.event_keys}
    # A waiver left from another policy version (before a re-base) names a key this one lacks.
    rule_keys = {rule.key for rule in policy.rules}
    waived = {ref: why for ref, why in inputs["waived"].items() if ref.split("#")[0].split(":")[0] in rule_keys}
    # Review points count only under a policy that numbers its review LPMs.
    occurrences = {key: points for key, points in inputs["occurrences"].items() if review_points(policy)}
    calendar = calendar or calendar_current()
    for key in CHOSEN_EVENTS & events.keys():
        chosen = events[key]
        if isinstance(chosen, dt.date) and not calendar.is_working_day(chosen):
            events[key] = calendar.next_working_day(chosen)
    return timetable(
        policy,
        events,
        calendar,
        today or timezone.localdate(),
        outcome=inputs["outcome"],
        extension_weeks=extension,
        waived=waived,
        court_extension_weeks=inputs["court_extension_weeks"],
        occurrences=occurrences or None,
    )


# Episodes whose recompute a bulk load has put off, with the `today` each was last asked for.
_deferred: ContextVar[dict[int, dt.date | None] | None] = ContextVar("deadlines_deferred", default=None)


@contextmanager
def deadlines_recompute_deferred() -> Iterator[None]:
    """For bulk loads (the demo council): services inside only note which episodes changed, and
    each is recomputed once on leaving, instead of after every step (issue #14 §4).

    Only for a loader that records many steps in one go and reads no deadline in between. It must
    call `deadlines_recompute_pending()` before each step that changes an episode's path, or the
    milestones of the old path (met, or kept as "not applicable") are never stored. Nothing is
    recomputed if the block raises (its transaction is rolled back anyway).
    """
    pending: dict[int, dt.date | None] = {}
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    _recompute_pending(pending)


def deadlines_recompute_pending() -> None:
    """Inside deadlines_recompute_deferred(): recompute what is waiting now. A loader calls it
    before a step that changes an episode's path (an LPM decision, issue, step down), so the
    milestones met on the old path are stored, as recording step by step would have."""
    pending = _deferred.get()
    if pending:
        token = _deferred.set(None)
        try:
            _recompute_pending(pending)
        finally:
            _deferred.reset(token)
        pending.clear()


def _recompute_pending(pending: dict[int, dt.date | None]) -> None:
    calendar = calendar_current()
    by_day: dict[dt.date | None, list[int]] = {}
    for episode_id, today in pending.items():
        by_day.setdefault(today, []).append(episode_id)
    for today, ids in by_day.items():
        refused = deadlines_recompute_many(episode_ids=ids, today=today, calendar=calendar)
        if refused:
            raise refused[min(refused)]


#: The events the engine checks the order of, as people say them (issue 20: never the keys).
ORDER_WORDS: Mapping[str, str] = {
    "lpm_held": "the LPM",
    "letter_before_proceedings": "the letter before proceedings",
    "initial_meeting": "the initial meeting",
    "review_meeting": "a review meeting",
    "final_meeting": "the final meeting",
    "proceedings_issued": "the issue of care proceedings",
    "issue_decision": "the decision to issue",
    "review_issue_decision": "the review LPM's decision to issue",
    "proposed_agreement_to_legal": "sending the proposed agreement to legal",
    "gateway_review": "the review LPM",
}


class EventOrderRefused(ValidationError):
    """Two recorded events in an impossible order, in people's words; `events` names the two (the
    later one first) so a page can show the message beside the date that records one of them."""

    def __init__(self, exc: EventOrderError) -> None:
        super().__init__(order_words(exc), code="event_order")
        self.events = (exc.event, exc.other)


def order_words(exc: EventOrderError) -> str:
    """'The decision to issue (06/01/2027) cannot be before the LPM (07/01/2027)'."""

    def words(key: str) -> str:
        return ORDER_WORDS.get(key) or "the " + (MILESTONE_KEYS.get(key) or key.replace("_", " ")).lower()

    first = words(exc.event)
    return (
        f"{first[:1].upper()}{first[1:]} ({exc.on:%d/%m/%Y}) cannot be {exc.relation} "
        f"{words(exc.other)} ({exc.other_on:%d/%m/%Y})"
    )


def waiting_words(keys: Iterable[str], event_labels: Mapping[str, str]) -> str:
    """What a deadline waits for, as the events people know ("the LPM panel date the case is
    listed for (or the day the LPM was held)"), never the engine's keys (issue 13 §1) nor two
    labels joined by a machine (issue 20 §6): alternatives read as their written phrase."""
    from .explain import ALTERNATIVES

    keys = tuple(keys)
    written = ALTERNATIVES.get(frozenset(keys)) if len(keys) > 1 else None
    if written is not None:
        return written

    def words(key: str) -> str:
        label = event_labels.get(key) or MILESTONE_KEYS.get(key) or key.replace("_", " ")
        label = label if label[:2].isupper() else label[:1].lower() + label[1:]
        return label if label.startswith("the ") else f"the {label}"

    phrases = []
    for key in keys:
        base, _, of = key.partition(":")
        if of:
            # "the approved minutes of the review meeting", not "the minutes approved ... of the ...".
            phrases.append(f"{_MINUTES_WORDS.get(base, words(base))} of {words(of)}")
        else:
            phrases.append(words(base))
    if len(phrases) < 2:
        return "".join(phrases)
    # Alternatives: the first one recorded is counted from (Rule.anchor), so "or", never "and".
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


_MINUTES_WORDS = {"draft_minutes": "the draft minutes", "approved_minutes": "the approved minutes"}


DEADLINE_FIELDS = [
    "label",
    "due_on",
    "provisional_on",
    "waiting_for",
    "state",
    "met_on",
    "days_late",
    "responsible_role",
    "source",
    "rule",
    "entered",
    "reason",
    "computed_at",
]


# Stored states that say a step is settled one way or another: never "not tracked before go-live".
_SETTLED = frozenset({DeadlineState.MET, DeadlineState.MET_LATE, DeadlineState.WAIVED, DeadlineState.NOT_APPLICABLE})


def _untracked(episode: Episode, go_live: dt.date | None) -> tuple[dt.date, str] | None:
    """For an imported episode under a go-live date: that date and the import's choice for the
    steps due before it (deadlines/golive.py); None for everything else."""
    if go_live is None:
        return None
    from .golive import before_go_live_choice

    choice = before_go_live_choice(episode)
    return None if choice is None else (go_live, choice)


def _plan(
    episode: Episode, today: dt.date | None, calendar: WorkingCalendar | None, go_live: dt.date | None = None
) -> tuple[list[Deadline], list[Deadline]]:
    """The deadlines to create and the stored ones to change so the episode's match the engine
    (reads `episode.deadlines.all()`, prefetched or not); met ones keep when they were met.

    On an imported episode, a deadline due before `go_live` with no recorded date is "not tracked
    before go-live" (or recorded as done at import, by the import's choice): deadlines/golive.py.
    """
    from .forecast import END_KEY
    from .golive import untracked_state

    untracked = _untracked(episode, go_live)
    tt = _timetable_or_refusal(episode, today, calendar)
    event_labels = policy_for(episode).events
    # Actions set at tracker meetings are deadlines the engine does not know: leave them alone.
    existing = {(d.key, d.occurrence): d for d in episode.deadlines.all() if not d.key.startswith(ACTION_KEY)}
    seen: set[tuple[str, int]] = set()
    to_create: list[Deadline] = []
    to_update: list[Deadline] = []
    for m in tt.milestones:
        ident = (stored_key(m.key, m.of), m.occurrence)
        if ident in seen:
            continue
        seen.add(ident)
        state = _STATE_OF.get(m.status, DeadlineState.OPEN)
        if (
            untracked is not None
            and state not in _SETTLED
            and m.met_on is None
            and m.due is not None
            and m.due < untracked[0]
        ):
            # The end of pre-proceedings is never "done" while the family is still open: a case
            # past its end at go-live is listed for the head of service instead (golive.py).
            state = DeadlineState.NOT_TRACKED if m.key == END_KEY else untracked_state(untracked[1])
        values = _stored_values(m, state, event_labels)
        row = existing.get(ident)
        if row is None:
            to_create.append(Deadline(episode=episode, key=ident[0], occurrence=ident[1], **values))
            continue
        if row.state == DeadlineState.WAIVED:
            continue
        if any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            to_update.append(row)
    to_update.extend(_off_the_path(existing, seen, today or timezone.localdate()))
    return to_create, to_update


def _timetable_or_refusal(episode: Episode, today: dt.date | None, calendar: WorkingCalendar | None) -> Timetable:
    """The episode's timetable, or the step refused (``ValidationError``) with the reason the
    engine cannot work it out, in people's words."""
    try:
        return episode_timetable(episode, today=today, calendar=calendar)
    except ValueError as exc:
        from .engine import PolicyError

        if isinstance(exc, PolicyError):
            raise
        # The engine refuses dates out of order (issue #10): the step is refused with the reason,
        # in the service's transaction, instead of a deadline silently going quiet or a crash;
        # two events in an impossible order are named in people's words with UK dates (issue 20).
        if isinstance(exc, EventOrderError):
            raise EventOrderRefused(exc) from exc
        raise ValidationError(f"These dates cannot all be right: {exc}") from exc


def _stored_values(m: Milestone, state: str, event_labels: Mapping[str, str]) -> dict[str, Any]:
    """A milestone as the stored deadline's fields (texts cut to their columns)."""
    return {
        "label": m.label[:160],
        "due_on": m.due,
        "provisional_on": m.provisional,
        "waiting_for": waiting_words(m.waiting_for, event_labels)[:200],
        "state": state,
        "met_on": m.met_on,
        "days_late": m.days_late if m.status == Status.MET_LATE else 0,
        "responsible_role": m.responsible_role,
        "source": m.source[:120],
        "rule": m.rule[:200],
        "entered": m.entered,
        "reason": (m.reason or "")[:300],
    }


def _off_the_path(
    existing: Mapping[tuple[str, int], Deadline], seen: set[tuple[str, int]], day: dt.date
) -> list[Deadline]:
    """Open stored deadlines the path no longer has (say, after a deferral was resolved): kept,
    missed if their date had already passed (a miss stays a miss), else moot."""
    changed = []
    for ident, row in existing.items():
        if ident not in seen and row.state == DeadlineState.OPEN:
            if row.due_on is not None and row.due_on < day:
                row.state = DeadlineState.MISSED
                row.reason = f"Missed: due {row.due_on.day} {row.due_on:%b %Y}; the episode then took another path"
            else:
                row.state = DeadlineState.NOT_APPLICABLE
                row.reason = "Not needed: the episode's decision took another path"
            changed.append(row)
    return changed


def _store(to_create: list[Deadline], to_update: list[Deadline], *, many: bool = False) -> None:
    if to_create and many:
        audited_insert(Deadline, to_create)  # one statement per batch, audit events included
    elif to_create:
        Deadline.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        now = timezone.now()
        for row in to_update:
            row.computed_at = now
        Deadline.objects.bulk_update(to_update, DEADLINE_FIELDS, batch_size=BATCH)


# Rows per INSERT / UPDATE statement when many episodes are recomputed at once.
BATCH = 2000


@transaction.atomic
def deadlines_recompute(
    *, episode: Episode, today: dt.date | None = None, calendar: WorkingCalendar | None = None
) -> list[Deadline]:
    """Recompute and store an episode's deadlines; met ones keep when they were met."""
    from cases.models import Episode as EpisodeModel

    pending = _deferred.get()
    if pending is not None:  # inside deadlines_recompute_deferred(): done once on leaving it
        pending[episode.pk] = today
        return []

    # Under the episode's row lock: a second recompute of it (the daily job, a second beat, a
    # person saving a step) waits and then reads what this one stored (deadlines/locking.py).
    episode_lock_for_deadlines(episode.pk)
    episode = EpisodeModel.objects.select_related("family", "imported_from").get(pk=episode.pk)
    go_live = None
    if hasattr(episode, "imported_from"):  # only an imported family reads the go-live date
        from .golive import go_live_date

        go_live = go_live_date()
    _store(*_plan(episode, today, calendar, go_live))
    stored = list(episode.deadlines.all())
    # The overrun forecast follows every change of date (an extension, a rebooked meeting), so
    # its alert is raised, or cleared, now, never left standing on an old forecast.
    from .forecast import overrun_alerts_sync

    overrun_alerts_sync(episode=episode, deadlines=stored, today=today or timezone.localdate())
    return stored


@transaction.atomic
def deadlines_recompute_many(
    *, episode_ids: Iterable[int], today: dt.date | None = None, calendar: WorkingCalendar | None = None
) -> dict[int, ValidationError]:
    """`deadlines_recompute` for many episodes at once (a bulk load), in a fixed number of queries
    whatever their number: the episodes are locked and read with everything the engine needs in
    one go, and their deadlines written in batches of `BATCH` rows.

    Returns the episodes whose recorded dates the engine refused, with the reason (as
    `deadlines_recompute` raises it); the others' deadlines are stored all the same, so a caller
    that refuses the lot rolls its transaction back.
    """
    from cases.models import Episode as EpisodeModel

    ids = sorted(set(episode_ids))
    if not ids:
        return {}
    calendar = calendar or calendar_current()
    # Locked in id order, as one recompute at a time would take them (deadlines/locking.py).
    list(EpisodeModel.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk"))
    episodes = list(
        EpisodeModel.objects.filter(pk__in=ids)
        .select_related("family", "imported_from")
        .prefetch_related(*INPUT_PREFETCH)
        .order_by("pk")
    )
    refused: dict[int, ValidationError] = {}
    to_create: list[Deadline] = []
    to_update: list[Deadline] = []
    planned: list[tuple[Episode, list[Deadline]]] = []
    from .golive import go_live_date

    # Only a batch with an imported family reads the go-live date.
    go_live = go_live_date() if any(hasattr(e, "imported_from") for e in episodes) else None
    for episode in episodes:
        try:
            create, update = _plan(episode, today, calendar, go_live)
        except ValidationError as exc:
            refused[episode.pk] = exc
            continue
        to_create += create
        to_update += update
        planned.append((episode, create))
    _store(to_create, to_update, many=True)
    # As deadlines_recompute: the overrun forecast of each, its alerts raised or cleared now.
    from .forecast import overrun_alerts_sync_many

    stored = {
        episode.pk: [d for d in episode.deadlines.all() if d.pk] + created for episode, created in planned
    }  # the prefetched rows (changed in place) and the new ones
    overrun_alerts_sync_many(
        episodes=[episode for episode, _ in planned], deadlines=stored, today=today or timezone.localdate()
    )
    return refused


def deadlines_recompute_open(*, today: dt.date | None = None) -> int:
    """Recompute every open episode's deadlines under today's calendar; returns how many were recomputed.

    Each episode is recomputed in its own transaction (savepoint), so one episode whose pinned
    policy cannot be loaded does not stop the others; those failures are raised together at the
    end as an ``ExceptionGroup`` (never swallowed).
    """
    from cases.models import Episode as EpisodeModel

    calendar = calendar_current()  # built once: a closure-day change affects every episode alike
    today = today or timezone.localdate()
    done = 0
    failures: list[Exception] = []
    # A list, not .iterator(): no server-side cursor held open across one transaction per episode.
    # Open pre-proceedings, and families in care proceedings (their court timeline is still running).
    live = EpisodeModel.objects.filter(Q(ended_on__isnull=True) | Q(stage="proceedings"))
    for episode in list(live.only("pk").order_by("pk")):
        try:
            deadlines_recompute(episode=episode, today=today, calendar=calendar)
        except (LookupError, ValueError, ValidationError) as exc:  # policy missing or invalid; dates out of order
            exc.add_note(f"episode {episode.pk}")
            failures.append(exc)
        else:
            done += 1
    if failures:
        raise ExceptionGroup(f"deadlines of {len(failures)} open episode(s) could not be recomputed", failures)
    return done


@transaction.atomic
def deadline_waive(*, deadline: Deadline, reason: str, by: User, today: dt.date | None = None) -> Deadline:
    """Waive a deadline with a reason (a step a decision made unnecessary, agreed by a manager)."""
    authorize(by, WAIVE_ROLES, deadline.episode.family)
    from django.core.exceptions import ValidationError

    from accounts.roles import Role

    # The daily recompute rewrites this row under the episode's lock: take it, then re-read the
    # row, so a recompute running now cannot overwrite the waiver with the state it read before.
    episode_lock_for_deadlines(deadline.episode_id)
    deadline.refresh_from_db()
    errors: dict[str, list[str]] = {}
    if not by.has_role(Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.HEAD_OF_SERVICE):
        errors["__all__"] = ["Only a team manager or more senior manager can waive a deadline"]
    if not reason.strip():
        errors["reason"] = ["Enter the reason the deadline is waived"]
    if deadline.state != DeadlineState.OPEN:
        errors.setdefault("__all__", []).append("Only an open deadline can be waived")
    if errors:
        raise ValidationError(errors)
    deadline.state = DeadlineState.WAIVED
    deadline.waived_reason = reason.strip()
    deadline.waived_by = by
    deadline.waived_on = today or timezone.localdate()
    deadline.full_clean()
    deadline.save()
    return deadline


@transaction.atomic
def heartbeat_record(*, name: str) -> datetime:
    """Upsert the named heartbeat with the current time."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen_at": now})
    return now


# --- The council's go-live date (issue 24 §2; what it means: deadlines/golive.py) -----------


@transaction.atomic
def go_live_set(*, date: dt.date, by: User, today: dt.date | None = None) -> GoLive:
    """Set the council's go-live date (administrators); every imported family's deadlines are
    recomputed under it at once, so screens, alerts and figures follow."""
    today = today or timezone.localdate()
    if not by.has_role(Role.ADMINISTRATOR):
        raise ValidationError("Only an administrator can set the go-live date")
    if date > today + dt.timedelta(days=366):
        raise ValidationError({"date": ["The go-live date must be within a year from today"]})
    if date < dt.date(2000, 1, 1):
        raise ValidationError({"date": ["The go-live date must be in 2000 or later"]})
    row = GoLive(date=date, set_by=by)
    row.full_clean()
    row.save()
    from cases.models import Episode

    ids = list(Episode.objects.filter(imported_from__isnull=False).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        refused = deadlines_recompute_many(episode_ids=ids[start : start + 500], today=today)
        if refused:
            raise next(iter(refused.values()))
    return row
