"""Reads for the tracker screens, the alert list and the calendar feed (issue #5).

Every selector here runs a fixed number of queries whatever the number of rows: one query with
subquery annotations for the episodes, then one flat read per related table, joined in Python
in a single pass. No model instances are built for the big tables (2,000 episodes render in well
under the 500 ms budget; see docs/benchmarks.md). The tracker's episodes come through the scope
(`episodes_visible_to`) as a queryset; its per-episode figures are constant SQL subqueries on
the episode's own id, and the detail reads take the ids that query returned (issue 14: the ORM
spent longer assembling them than PostgreSQL took to run them).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

from accounts.models import Team
from accounts.roles import Role
from accounts.scopes import (
    alerts_visible_to,
    episodes_visible_to,
    families_visible_to,
    family_q,
    privileged_deadline_keys_hidden_from,
    privileged_deadlines_q,
)
from cases.models import (
    Assessment,
    EndOutcome,
    Episode,
    EpisodeChild,
    Hearing,
    HearingKind,
    Stage,
)
from meetings.models import LPM, LPMKind, Meeting, MeetingKind, RequestStatus

from .engine import WorkingCalendar, available_policies, load_policy
from .engine.timetable import COURT_WEEKS
from .models import Alert, AlertKind, Deadline, DeadlineState
from .status import STATUS_LABELS, open_status, soon_horizon

if TYPE_CHECKING:
    from accounts.models import User

_R = TypeVar("_R", "TrackerRow", "TrackerKey")

# --- Policies: the few numbers the screens need, per policy name ----------------------------


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    """What a screen needs from an episode's policy (timescales.md §3)."""

    clock_start: str
    standard_weeks: int
    max_extension_weeks: int | None
    due_soon_working_days: int
    #: Who the policy says is told about a predicted overrun / a repeat episode (its
    #: ``[escalations]``, e.g. 004: the assistant director); empty when the source names no one.
    overrun_to: tuple[str, ...] = ()
    repeat_to: tuple[str, ...] = ()


@lru_cache(maxsize=32)
def _facts(name: str) -> PolicyFacts | None:
    try:
        policy = load_policy(name)
    except (OSError, ValueError, LookupError):
        return None
    overrun, repeat = policy.escalation("overrun"), policy.escalation("repeat_episode")
    return PolicyFacts(
        policy.clock_start,
        policy.standard_weeks,
        policy.max_extension_weeks,
        policy.due_soon_working_days,
        overrun.to if overrun else (),
        repeat.to if repeat else (),
    )


def policy_facts(name: str) -> PolicyFacts:
    """The policy's facts; an unknown name (an archived file) falls back to the deployment's policy."""
    facts = _facts(name) or _facts(settings.PLO_POLICY)
    if facts is None:  # pragma: no cover - the deployment's own policy always loads
        raise LookupError(f"policy {settings.PLO_POLICY} cannot be loaded")
    return facts


def policy_names() -> list[str]:
    """Every policy an episode may be pinned to."""
    return sorted(set(available_policies()) | {settings.PLO_POLICY})


def soon_before(today: dt.date, calendar: WorkingCalendar, policy_name: str) -> dt.date:
    """Open deadlines due before this date are due soon, today or overdue, under this policy."""
    return soon_horizon(today, calendar, policy_facts(policy_name).due_soon_working_days)


RAG_LABELS = {"red": "Red", "amber": "Amber", "green": "Green"}
RAG_ORDER = {"red": 0, "amber": 1, "green": 2}

OUTCOME_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "step_down": ("Stepped down", (EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN)),
    "issue": ("Care proceedings issued", (EndOutcome.ISSUE,)),
    "nfa": ("No further action", (EndOutcome.NFA,)),
}

WEEK_BANDS: dict[str, tuple[str, int, int]] = {
    "1-4": ("Weeks 1 to 4", 1, 4),
    "5-8": ("Weeks 5 to 8", 5, 8),
    "9-12": ("Weeks 9 to 12", 9, 12),
    "13-16": ("Weeks 13 to 16", 13, 16),
    "17+": ("Week 17 or later", 17, 10_000),
}


def week_band(week: int | None) -> str | None:
    """The weekly screen's band for an episode in week `week` (None before the clock starts)."""
    if week is None:
        return None
    for slug, (_, low, high) in WEEK_BANDS.items():
        if low <= week <= high:
            return slug
    return None


# --- Who may see what ------------------------------------------------------------------------


def episodes_visible(user: User) -> QuerySet[Episode]:
    """Episodes the user may see (an alias of accounts.scopes.episodes_visible_to)."""
    return episodes_visible_to(user)


def visible_q(user: User, prefix: str) -> Q:
    """The same scope for a queryset reaching the family through `prefix` (e.g. "episode__family")."""
    q = family_q(user, f"{prefix}__")
    return Q(pk__in=[]) if q is None else q


# --- The tracker -----------------------------------------------------------------------------


@dataclass(slots=True)
class TrackerRow:
    """One episode on the pre-action tracker, with everything the table, exports and figures need."""

    episode_id: int
    family_id: int
    reference: str
    family_name: str
    children: list[tuple[str, str]]
    social_worker_id: int
    social_worker: str
    team_id: int
    team: str
    stage: str
    stage_label: str
    policy_name: str
    decision_date: dt.date | None
    letter_delivered: dt.date | None
    letter_due: dt.date | None
    initial_meeting: dt.date | None
    initial_meeting_held: bool
    initial_meeting_due: dt.date | None
    next_meeting: dt.date | None
    next_meeting_label: str
    clock_start: dt.date | None
    week: int | None
    of_weeks: int
    standard_weeks: int
    past_standard: bool
    next_label: str
    next_due: dt.date | None
    next_status: str
    overdue_count: int
    soon_count: int
    assessments_outstanding: int
    assessments_overdue: int
    extension_weeks: int
    end_due: dt.date | None
    ended_on: dt.date | None
    end_outcome: str
    rag: str
    rag_reasons: list[str] = field(default_factory=list)
    #: In care proceedings: "week k of 26" from the issue day (week 1, day 1; s32(1)(a)(ii)).
    court_week: int | None = None
    court_of_weeks: int = COURT_WEEKS
    #: Imported families: steps due before go-live with no date in the tracker (deadlines/golive.py).
    not_tracked_count: int = 0
    #: The decision to issue care proceedings and the issue, once recorded.
    issue_decision_on: dt.date | None = None
    issued_on: dt.date | None = None

    @property
    def children_text(self) -> str:
        """Children with their case system IDs, for exports."""
        return "; ".join(f"{name} ({csid})" for name, csid in self.children)

    @property
    def week_text(self) -> str:
        """'week 9 of 16' (timescales.md §1), in care proceedings 'week 3 of 26', or '' before
        the clock starts."""
        if self.stage == Stage.PROCEEDINGS:
            return f"Week {self.court_week} of {self.court_of_weeks}" if self.court_week is not None else ""
        return f"Week {self.week} of {self.of_weeks}" if self.week is not None else ""

    @property
    def next_status_label(self) -> str:
        """'Overdue', 'Due soon', ... for the next deadline's tag."""
        return STATUS_LABELS.get(self.next_status, "")

    @property
    def rag_label(self) -> str:
        """'Red', 'Amber' or 'Green'."""
        return RAG_LABELS[self.rag]

    @property
    def band(self) -> str | None:
        """Which band of the weekly screen this episode falls in."""
        return week_band(self.week)


@dataclass(frozen=True, slots=True)
class TrackerFilters:
    """What the tracker is narrowed to (all optional); built from the filter form."""

    team: int | None = None
    worker: int | None = None
    stage: str | None = None
    status: str | None = None
    weeks: str | None = None
    past_standard: bool = False
    extended: bool = False
    outcome: str | None = None
    ended_since: dt.date | None = None
    missed: str | None = None
    due_since: dt.date | None = None
    q: str = ""
    #: Also list care proceedings still before their final hearing ("week k of 26"); the weekly
    #: figures count open episodes only, so their links turn this off (``open_only=1``).
    in_court: bool = True
    #: Only the episodes predicted to run past the end of pre-proceedings (deadlines/forecast.py):
    #: the senior managers' homes link their "Predicted to overrun" count here.
    overrun: bool = False

    @property
    def includes_ended(self) -> bool:
        """Drill-downs from outcomes and timeliness reach episodes that have ended."""
        return bool(self.outcome or self.missed)


def _missed_q(key: str, since: dt.date | None, today: dt.date) -> Q:
    """Deadlines of milestone `key` (any occurrence / meeting) met late, missed or still overdue."""
    q = (Q(key=key) | Q(key__startswith=f"{key}:")) & (
        Q(state__in=[DeadlineState.MET_LATE, DeadlineState.MISSED]) | Q(state=DeadlineState.OPEN, due_on__lt=today)
    )
    if since is not None:
        q &= Q(due_on__gte=since, due_on__lt=today)
    return q


def _episode_scope(user: User, today: dt.date, filters: TrackerFilters) -> QuerySet[Episode]:
    """The episodes the tracker lists for these filters (before anything computed per row)."""
    qs = episodes_visible(user)
    if filters.outcome:
        outcomes = OUTCOME_GROUPS.get(filters.outcome, ("", (filters.outcome,)))[1]
        qs = qs.filter(ended_on__isnull=False, end_outcome__in=outcomes)
        if filters.ended_since:
            qs = qs.filter(ended_on__gte=filters.ended_since)
    elif filters.missed:
        missed = Deadline.objects.filter(
            _missed_q(filters.missed, filters.due_since, today), privileged_deadlines_q(user), episode=OuterRef("pk")
        )
        qs = qs.filter(Exists(missed))
    else:
        # Open episodes, and care proceedings whose court timeline runs until the final hearing.
        if filters.in_court:
            court = Deadline.objects.filter(episode=OuterRef("pk"), key="final_hearing", state=DeadlineState.OPEN)
            qs = qs.filter(Q(ended_on__isnull=True) | (Q(stage=Stage.PROCEEDINGS) & Exists(court)))
        else:
            qs = qs.filter(ended_on__isnull=True)
    if filters.team:
        qs = qs.filter(family__team_id=filters.team)
    if filters.worker:
        qs = qs.filter(family__social_worker_id=filters.worker)
    if filters.overrun:
        from .forecast import overrun_forecasts

        qs = qs.filter(pk__in=list(overrun_forecasts(qs, today=today)))
    if filters.q:
        term = filters.q.strip()
        child_match = EpisodeChild.objects.filter(episode=OuterRef("pk")).filter(
            Q(child__case_system_id__icontains=term)
            | Q(child__first_name__icontains=term)
            | Q(child__last_name__icontains=term)
        )
        full_name = (
            EpisodeChild.objects.filter(episode=OuterRef("pk"))
            .annotate(full=Concat("child__first_name", Value(" "), "child__last_name", output_field=CharField()))
            .filter(full__icontains=term)
        )
        qs = qs.filter(
            Q(family__reference__icontains=term)
            | Q(family__name__icontains=term)
            | Exists(child_match)
            | Exists(full_name)
        )

    return qs


# The tracker's per-episode figures, as correlated subqueries written out in SQL (issue 14).
# Built with the ORM (Subquery, OuterRef, filter) the same ten subqueries cost more to assemble
# and compile in Python than PostgreSQL takes to plan and run them for a page of rows; as RawSQL
# they are constant strings with their dates as parameters. They only read rows of the episode
# they stand beside ("cases_episode"."id", the outer query's own table), so the episodes listed
# are still exactly the scope's (episodes_visible_to): nothing here widens or narrows it.
# Each takes the state, then the privileged keys this user may not see (accounts.scopes
# privileged_deadline_keys_hidden_from: an empty list for those who may read the advice).
_OPEN_DATED_SQL = (
    'FROM "deadlines_deadline" d WHERE d."episode_id" = "cases_episode"."id" '
    'AND d."state" = %s AND NOT (d."key" = ANY(%s)) AND d."due_on" IS NOT NULL'
)
_NEXT_LABEL_SQL = f'SELECT d."label" {_OPEN_DATED_SQL} ORDER BY d."due_on", d."id" LIMIT 1'
_OVERDUE_SQL = f'SELECT count(*) {_OPEN_DATED_SQL} AND d."due_on" < %s'
_IN_STATE_SQL = (
    'SELECT count(*) FROM "deadlines_deadline" d WHERE d."episode_id" = "cases_episode"."id" AND d."state" = %s '
    'AND NOT (d."key" = ANY(%s))'
)
_OUTSTANDING_SQL = (
    'SELECT count(*) FROM "cases_assessment" s WHERE s."episode_id" = "cases_episode"."id" AND s."completed_on" IS NULL'
)
_EXTENSION_SQL = (
    'SELECT COALESCE(sum(x."weeks"), 0) FROM "cases_extension" x WHERE x."episode_id" = "cases_episode"."id"'
)
_COURT_EXTENSION_SQL = (
    'SELECT COALESCE(sum(x."weeks"), 0) FROM "cases_courtextension" x '
    'JOIN "cases_careproceedings" p ON p."id" = x."proceedings_id" WHERE p."episode_id" = "cases_episode"."id"'
)
# The earliest open dated deadline: min() reads one entry of the open-deadline index.
_EARLIEST_DUE_SQL = f'SELECT min(d."due_on") {_OPEN_DATED_SQL}'
# An episode has at most one initial meeting (the constraint one_initial_and_one_final_meeting).
_INITIAL_HELD_SQL = (
    'SELECT m."held_on" FROM "meetings_meeting" m WHERE m."episode_id" = "cases_episode"."id" AND m."kind" = %s'
)


def _sql(sql: str, params: tuple[Any, ...], output_field: Any) -> RawSQL:
    return RawSQL(sql, params, output_field=output_field)  # noqa: S611  # nosec B611 (constant SQL, values as parameters)


def _soon_sql(today: dt.date, calendar: WorkingCalendar) -> tuple[str, tuple[Any, ...]]:
    """The due-soon horizon of the episode's policy, as SQL (one WHEN per policy name)."""
    names = policy_names()
    params: list[Any] = []
    for name in names:
        params += [name, soon_before(today, calendar, name)]
    params.append(soon_before(today, calendar, settings.PLO_POLICY))
    return 'CASE "cases_episode"."policy_name"' + " WHEN %s THEN %s::date" * len(names) + " ELSE %s::date END", tuple(
        params
    )


def _rag_inputs(soon: str, soon_params: tuple[Any, ...], hidden: list[str]) -> dict[str, RawSQL]:
    """The two columns an episode's RAG is worked out from, the same for the keys and the full
    rows (so a page's rows and the counts over every key always agree): the policy's due-soon
    horizon and the earliest open deadline."""
    return {
        "soon_limit": _sql(soon, soon_params, DateField()),
        "next_due": _sql(_EARLIEST_DUE_SQL, (DeadlineState.OPEN, hidden), DateField()),
    }


def _extension_total() -> RawSQL:
    return _sql(_EXTENSION_SQL, (), IntegerField())


def _episode_query(
    user: User,
    today: dt.date,
    calendar: WorkingCalendar,
    filters: TrackerFilters,
    episode_ids: list[int] | None = None,
    scope: QuerySet[Episode] | None = None,
) -> QuerySet[Episode]:
    qs = _episode_scope(user, today, filters) if scope is None else scope
    if episode_ids is not None:
        qs = qs.filter(pk__in=episode_ids)
    soon, soon_params = _soon_sql(today, calendar)
    hidden = privileged_deadline_keys_hidden_from(user)
    is_open = (DeadlineState.OPEN, hidden)
    qs = qs.annotate(
        **_rag_inputs(soon, soon_params, hidden),
        next_label=_sql(_NEXT_LABEL_SQL, is_open, CharField()),
        overdue_count=_sql(_OVERDUE_SQL, (*is_open, today), IntegerField()),
        not_tracked_count=_sql(_IN_STATE_SQL, (DeadlineState.NOT_TRACKED, hidden), IntegerField()),
        soon_count=_sql(
            f'SELECT count(*) {_OPEN_DATED_SQL} AND d."due_on" >= %s AND d."due_on" < ({soon})',
            (*is_open, today, *soon_params),
            IntegerField(),
        ),
        assessments_outstanding=_sql(_OUTSTANDING_SQL, (), IntegerField()),
        assessments_overdue=_sql(f'{_OUTSTANDING_SQL} AND s."due_on" < %s', (today,), IntegerField()),
        issued_on=F("proceedings__issued_on"),
        issue_decision_on=F("proceedings__issue_decision_on"),
        court_extension_total=_sql(_COURT_EXTENSION_SQL, (), IntegerField()),
        extension_total=_extension_total(),
    )
    return qs


_EPISODE_FIELDS = (
    "id",
    "family_id",
    "family__reference",
    "family__name",
    "family__social_worker_id",
    "family__social_worker__first_name",
    "family__social_worker__last_name",
    "family__social_worker__username",
    "family__team_id",
    "family__team__name",
    "stage",
    "policy_name",
    "decision_date",
    "ended_on",
    "end_outcome",
    "soon_limit",
    "next_due",
    "next_label",
    "overdue_count",
    "not_tracked_count",
    "soon_count",
    "assessments_outstanding",
    "assessments_overdue",
    "extension_total",
    "issued_on",
    "issue_decision_on",
    "court_extension_total",
)

_KEY_DEADLINES = ("letter_before_proceedings", "initial_meeting", "pre_proceedings_end")
_STAGE_LABELS = dict(Stage.choices)
_LPM_LABELS: dict[str, str] = {
    LPMKind.INITIAL: "LPM",
    LPMKind.FURTHER: "Further LPM",
    LPMKind.REVIEW: "Legal gateway review",
}
_MEETING_LABELS: dict[str, str] = {
    MeetingKind.INITIAL: "Initial meeting",
    MeetingKind.REVIEW: "Review meeting",
    MeetingKind.FINAL: "Final meeting",
}


_CHILDREN_SQL = (
    'SELECT ec."episode_id", c."first_name", c."last_name", c."case_system_id" FROM "cases_episodechild" ec '
    'JOIN "cases_child" c ON c."id" = ec."child_id" WHERE ec."episode_id" = ANY(%s) '
    'ORDER BY c."last_name", c."first_name", c."id"'
)
_KEY_DEADLINES_SQL = (
    'SELECT "episode_id", "key", "due_on", "met_on", "state" FROM "deadlines_deadline" '
    'WHERE "episode_id" = ANY(%s) AND "key" = ANY(%s) AND "occurrence" = 1'
)
_MEETINGS_SQL = (
    'SELECT "episode_id", "kind", "scheduled_for", "held_on" FROM "meetings_meeting" WHERE "episode_id" = ANY(%s) '
    'ORDER BY "held_on", "scheduled_for", "id"'
)
_LPMS_SQL = (
    'SELECT "episode_id", "kind", "panel_date" FROM "meetings_lpm" WHERE "episode_id" = ANY(%s) '
    'AND "held_on" IS NULL ORDER BY "panel_date", "id"'
)


def _fetch(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of one of the constant statements above (its values are parameters)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _person(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def tracker_rows(
    *,
    user: User,
    today: dt.date,
    calendar: WorkingCalendar,
    filters: TrackerFilters | None = None,
    with_details: bool = True,
    episode_ids: list[int] | None = None,
    scope: QuerySet[Episode] | None = None,
) -> list[TrackerRow]:
    """Every open episode the user may see, as tracker rows (issue #5 §3; 000 "pre-action tracker").

    Queries: the episodes (one, with subquery annotations), then with `with_details` the
    children, the key deadlines, the pre-proceedings meetings and the LPMs not yet held: five
    in all, whatever the number of episodes. RAG: red if any deadline is overdue; amber if one
    is due today or soon (the policy's `due_soon_working_days`), or the episode is past its
    standard length; green otherwise. `episode_ids` narrows it to those episodes (one page).
    """
    filters = filters or TrackerFilters()
    query = _episode_query(user, today, calendar, filters, episode_ids, scope)
    episodes = list(query.values(*_EPISODE_FIELDS).order_by())
    ids = [e["id"] for e in episodes]

    children: dict[int, list[tuple[str, str]]] = defaultdict(list)
    keyed: dict[tuple[int, str], tuple[dt.date | None, dt.date | None, str]] = {}
    meetings: dict[int, list[tuple[str, dt.date | None, dt.date | None]]] = defaultdict(list)
    lpms: dict[int, list[tuple[str, dt.date]]] = defaultdict(list)
    # The details of episodes the scoped query above returned, by their ids: plain SQL, as the
    # ORM would spend longer building these four statements than PostgreSQL takes to run them.
    if ids and with_details:
        for episode_id, first, last, csid in _fetch(_CHILDREN_SQL, ids):
            children[episode_id].append((f"{first} {last}", csid))
    if ids:
        for episode_id, key, due_on, met_on, state in _fetch(_KEY_DEADLINES_SQL, ids, list(_KEY_DEADLINES)):
            keyed[(episode_id, key)] = (due_on, met_on, state)
        for episode_id, kind, scheduled_for, held_on in _fetch(_MEETINGS_SQL, ids):
            meetings[episode_id].append((kind, scheduled_for, held_on))
    if ids and with_details:
        for episode_id, kind, panel_date in _fetch(_LPMS_SQL, ids):
            lpms[episode_id].append((kind, panel_date))

    rows: list[TrackerRow] = []
    for e in episodes:
        rows.append(_row(e, today, children, keyed, meetings, lpms))
    return _narrow_and_order(rows, filters)


# The filters worked out per row, from columns every key and row has: a figure whose filters
# differ from another's only in these is counted from the same read (tracker_counts).
PER_ROW_FILTERS = ("stage", "status", "weeks", "past_standard", "extended")


def _narrow_and_order(rows: list[_R], filters: TrackerFilters) -> list[_R]:
    """The filters worked out per row (stage, RAG, week band, past standard, extension), then the
    default order: red first, then by next deadline, then by reference."""
    if filters.stage:
        rows = [r for r in rows if r.stage == filters.stage]
    if filters.extended:
        rows = [r for r in rows if r.extension_weeks]
    if filters.status:
        rows = [r for r in rows if r.rag == filters.status]
    if filters.weeks:
        rows = [r for r in rows if r.band == filters.weeks]
    if filters.past_standard:
        rows = [r for r in rows if r.past_standard]
    rows.sort(key=lambda r: (RAG_ORDER[r.rag], r.next_due or dt.date.max, r.reference))
    return rows


def _clock(
    facts: PolicyFacts,
    stage: str,
    decision_date: dt.date | None,
    initial_held: dt.date | None,
    ended_on: dt.date | None,
    today: dt.date,
) -> tuple[dt.date | None, int | None, bool]:
    """(clock start, week, past the standard length) of an episode (timescales.md §1). In care
    proceedings the court's 26 weeks count instead, so there is no pre-proceedings week."""
    # Clock start: the LPM decision, or for Sutton the initial meeting (001).
    start = initial_held if facts.clock_start == "initial_meeting" else decision_date
    as_of = min(today, ended_on) if ended_on else today
    week = (as_of - start).days // 7 + 1 if start is not None and as_of >= start else None
    if stage == Stage.PROCEEDINGS:
        return start, None, False
    return start, week, week is not None and week > facts.standard_weeks


def _rag(overdue: bool, soon: bool, past_standard: bool) -> str:
    """Red if any deadline is overdue; amber if one is due today or soon, or past the standard length."""
    if overdue:
        return "red"
    return "amber" if soon or past_standard else "green"


def _row(
    e: Mapping[str, Any],
    today: dt.date,
    children: Mapping[int, list[tuple[str, str]]],
    keyed: Mapping[tuple[int, str], tuple[dt.date | None, dt.date | None, str]],
    meetings: Mapping[int, list[tuple[str, dt.date | None, dt.date | None]]],
    lpms: Mapping[int, list[tuple[str, dt.date]]],
) -> TrackerRow:
    pk = e["id"]
    facts = policy_facts(e["policy_name"])
    letter_due, letter_met, _ = keyed.get((pk, "letter_before_proceedings"), (None, None, ""))
    initial_due, _, _ = keyed.get((pk, "initial_meeting"), (None, None, ""))
    end_due, _, end_state = keyed.get((pk, "pre_proceedings_end"), (None, None, ""))

    initial_held: dt.date | None = None
    initial_booked: dt.date | None = None
    upcoming: list[tuple[dt.date, str]] = []
    for kind, scheduled_for, held_on in meetings.get(pk, ()):
        if kind == MeetingKind.INITIAL:
            initial_held, initial_booked = held_on, scheduled_for
        if held_on is None and scheduled_for is not None:
            upcoming.append((scheduled_for, _MEETING_LABELS.get(kind, "Meeting")))
    for kind, panel_date in lpms.get(pk, ()):
        upcoming.append((panel_date, _LPM_LABELS.get(kind, "LPM")))
    # The next meeting still to happen; one booked in the past but not recorded shows first.
    next_meeting, next_meeting_label = min(upcoming) if upcoming else (None, "")

    start, week, past_standard = _clock(facts, e["stage"], e["decision_date"], initial_held, e["ended_on"], today)
    extension = _capped_extension(facts, e["extension_total"])
    of_weeks = facts.standard_weeks + extension
    court_week = None
    court_of_weeks = COURT_WEEKS + e["court_extension_total"]
    if e["stage"] == Stage.PROCEEDINGS:
        # In court the 26 weeks count, not the pre-proceedings weeks (issue day = week 1, day 1).
        issued = e["issued_on"]
        if issued is not None and today >= issued:
            court_week = (today - issued).days // 7 + 1

    next_due = e["next_due"]
    status = open_status(next_due, today, e["soon_limit"]) if next_due else ""
    rag = _rag(bool(e["overdue_count"]), bool(e["soon_count"]), past_standard)
    reasons: list[str] = []
    if e["overdue_count"]:
        reasons.append(f"{e['overdue_count']} overdue")
    elif e["soon_count"]:
        reasons.append("due today or soon")
    if past_standard:
        reasons.append(f"past {facts.standard_weeks} weeks")

    return TrackerRow(
        episode_id=pk,
        family_id=e["family_id"],
        reference=e["family__reference"],
        family_name=e["family__name"],
        children=children.get(pk, []),
        social_worker_id=e["family__social_worker_id"],
        social_worker=_person(
            e["family__social_worker__first_name"],
            e["family__social_worker__last_name"],
            e["family__social_worker__username"],
        ),
        team_id=e["family__team_id"],
        team=e["family__team__name"],
        stage=e["stage"],
        stage_label=_STAGE_LABELS.get(e["stage"], e["stage"]),
        policy_name=e["policy_name"],
        decision_date=e["decision_date"],
        letter_delivered=letter_met,
        letter_due=letter_due if letter_met is None else None,
        initial_meeting=initial_held or initial_booked,
        initial_meeting_held=initial_held is not None,
        initial_meeting_due=initial_due if initial_held is None else None,
        next_meeting=next_meeting,
        next_meeting_label=next_meeting_label,
        clock_start=start,
        week=week,
        of_weeks=of_weeks,
        standard_weeks=facts.standard_weeks,
        past_standard=past_standard,
        next_label=e["next_label"] or "",
        next_due=next_due,
        next_status=status,
        overdue_count=e["overdue_count"],
        soon_count=e["soon_count"],
        assessments_outstanding=e["assessments_outstanding"],
        assessments_overdue=e["assessments_overdue"],
        extension_weeks=extension,
        end_due=end_due if end_state == DeadlineState.OPEN else None,
        ended_on=e["ended_on"],
        end_outcome=e["end_outcome"],
        rag=rag,
        rag_reasons=reasons,
        court_week=court_week,
        court_of_weeks=court_of_weeks,
        not_tracked_count=e["not_tracked_count"],
        issue_decision_on=e["issue_decision_on"],
        issued_on=e["issued_on"],
    )


SORT_KEYS: dict[str, Any] = {
    "reference": lambda r: r.reference,
    "family": lambda r: r.family_name.lower(),
    "children": lambda r: r.children_text.lower(),
    "worker": lambda r: r.social_worker.lower(),
    "team": lambda r: r.team.lower(),
    "stage": lambda r: r.stage_label,
    "decision": lambda r: r.decision_date,
    "letter": lambda r: r.letter_delivered,
    "initial": lambda r: r.initial_meeting,
    "next_meeting": lambda r: r.next_meeting,
    "week": lambda r: r.week,
    "next_due": lambda r: r.next_due,
    "assessments": lambda r: r.assessments_outstanding,
    "extension": lambda r: r.extension_weeks,
    "rag": lambda r: RAG_ORDER[r.rag],
}


def tracker_sort(rows: list[_R], key: str, descending: bool = False) -> list[_R]:
    """Sort rows by a column; empty values always go last, whichever the direction."""
    getter = SORT_KEYS.get(key)
    if getter is None:
        return rows
    present = [r for r in rows if getter(r) is not None]
    missing = [r for r in rows if getter(r) is None]
    present.sort(key=lambda r: (getter(r), r.reference), reverse=descending)
    return present + missing


# --- The tracker a page at a time -------------------------------------------------------------
# The screen shows PAGE_SIZE rows a page. Which rows, in what order, and the red/amber/green
# counts depend on every episode in scope, so one cheap query reads what ordering and filtering
# need for all of them (the next deadline is one probe of the open-deadline index per episode:
# it alone decides red and amber); the full row (counts, assessments, children, key dates,
# meetings) is then built for the page's episodes only. The printout and exports keep every row.

PAGE_SIZE = 100


@dataclass(slots=True)
class TrackerKey:
    """What orders, filters and counts an episode on the tracker (the columns of the cheap sorts)."""

    episode_id: int
    reference: str
    family_name: str
    social_worker: str
    team: str
    stage: str
    stage_label: str
    decision_date: dt.date | None
    week: int | None
    next_due: dt.date | None
    rag: str
    past_standard: bool
    #: Weeks of agreed extension, as the full row counts them (read only when asked for).
    extension_weeks: int = 0
    #: Listed for its court timeline: pre-proceedings ended when proceedings were issued.
    in_court: bool = False

    @property
    def band(self) -> str | None:
        return week_band(self.week)


#: Sorts the keys can do; the others (children, key dates, next meeting, assessments, extension)
#: need every full row, so those pages cost what the whole table does.
KEY_SORTS = frozenset({"rag", "family", "worker", "team", "stage", "decision", "week", "next_due", "reference"})
_NAME_SORTS = frozenset({"family", "worker", "team"})


def tracker_keys(
    *,
    user: User,
    today: dt.date,
    calendar: WorkingCalendar,
    filters: TrackerFilters,
    sort: str = "",
    scope: QuerySet[Episode] | None = None,
    with_extension: bool = False,
) -> list[TrackerKey]:
    """Every episode the tracker lists for these filters, in its default order (one query).

    The RAG is the full row's: an open deadline is overdue exactly when the earliest one is
    before today, and one is due soon exactly when the earliest is before the policy's horizon.
    The family, social worker and team names are filled in only for a sort on them (`sort`);
    the extension only for the extension filter or `with_extension` (the weekly figures).
    """
    return _narrow_and_order(_keys(user, today, calendar, filters, sort, scope, with_extension), filters)


def _keys(
    user: User,
    today: dt.date,
    calendar: WorkingCalendar,
    filters: TrackerFilters,
    sort: str,
    scope: QuerySet[Episode] | None,
    with_extension: bool,
) -> list[TrackerKey]:
    """The keys of every episode in the filters' scope, before the per-row filters (one query)."""
    soon, soon_params = _soon_sql(today, calendar)
    qs = (_episode_scope(user, today, filters) if scope is None else scope).annotate(
        **_rag_inputs(soon, soon_params, privileged_deadline_keys_hidden_from(user)),
        initial_held=_sql(_INITIAL_HELD_SQL, (MeetingKind.INITIAL,), DateField()),
    )
    # The names are read only for the sorts on them: 2,000 rows of names cost more to fetch and
    # build than anything else here, and no other order, filter or count looks at them.
    columns = ["id", "family__reference", "stage", "policy_name", "decision_date", "ended_on", "soon_limit"]
    columns += ["next_due", "initial_held"]
    extension = with_extension or filters.extended
    if extension:
        qs = qs.annotate(extension_total=_extension_total())
        columns.append("extension_total")
    if sort in _NAME_SORTS:
        columns += ["family__name", "family__social_worker__first_name", "family__social_worker__last_name"]
        columns += ["family__social_worker__username", "family__team__name"]
    keys: list[TrackerKey] = []
    for pk, ref, stage, policy, decision, ended, limit, nxt, held, *more in qs.order_by().values_list(*columns):
        weeks = more.pop(0) if extension else 0
        name, first, last, username, team = more or ("", "", "", "", "")
        facts = policy_facts(policy)
        _, week, past = _clock(facts, stage, decision, held, ended, today)
        keys.append(
            TrackerKey(
                episode_id=pk,
                reference=ref,
                family_name=name,
                social_worker=_person(first, last, username),
                team=team,
                stage=stage,
                stage_label=_STAGE_LABELS.get(stage, stage),
                decision_date=decision,
                week=week,
                next_due=nxt,
                rag=_rag(nxt is not None and nxt < today, nxt is not None and today <= nxt < limit, past),
                past_standard=past,
                extension_weeks=_capped_extension(facts, weeks),
                in_court=ended is not None,
            )
        )
    return keys


def _capped_extension(facts: PolicyFacts, weeks: int) -> int:
    """Agreed extension weeks as they count: no more than the policy allows."""
    return weeks if facts.max_extension_weeks is None else min(weeks, facts.max_extension_weeks)


def tracker_counts(
    *,
    user: User,
    today: dt.date,
    calendar: WorkingCalendar,
    base: TrackerFilters,
    figures: Mapping[str, TrackerFilters],
) -> dict[str, list[TrackerKey]]:
    """The keys the tracker lists for each figure's filters, from one read of `base`'s scope.

    Each figure's filters may differ from `base` only in PER_ROW_FILTERS, so each figure is
    exactly ``tracker_keys(filters=...)`` (the list its link opens), without a query per figure.
    """
    for name, filters in figures.items():
        if replace(filters, **{f: getattr(base, f) for f in PER_ROW_FILTERS}) != base:
            raise ValueError(f"figure {name} differs from the base filters in more than the per-row filters")
    keys = _keys(user, today, calendar, base, "", None, True)
    return {name: _narrow_and_order(list(keys), filters) for name, filters in figures.items()}


@dataclass(frozen=True, slots=True)
class TrackerPage:
    """One page of the tracker: its full rows, and what the whole filtered table holds."""

    rows: list[TrackerRow]
    total: int
    counts: dict[str, int]
    number: int
    pages: int
    per_page: int
    #: Of `total`, care proceedings issued (pre-proceedings ended) and before their final hearing.
    in_court: int = 0

    @property
    def open(self) -> int:
        """Of `total`, the episodes still open."""
        return self.total - self.in_court

    @property
    def first(self) -> int:
        """The position of the page's first row (1-based; 0 when nothing matches)."""
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.number * self.per_page, self.total)


def rag_counts(rows: list[TrackerRow] | list[TrackerKey]) -> dict[str, int]:
    """How many rows are red, amber and green."""
    counts = {"red": 0, "amber": 0, "green": 0}
    for r in rows:
        counts[r.rag] += 1
    return counts


def tracker_page(
    *,
    user: User,
    today: dt.date,
    calendar: WorkingCalendar,
    filters: TrackerFilters | None = None,
    sort: str = "",
    descending: bool = False,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> TrackerPage:
    """Page `page` (clamped to the pages there are) of the filtered, sorted tracker.

    Queries: the keys of every episode in scope (one), then `tracker_rows` for the page's
    episodes (five). A sort outside KEY_SORTS builds every full row instead (five).
    """
    filters = filters or TrackerFilters()
    if sort and sort not in KEY_SORTS:
        everything = tracker_sort(
            tracker_rows(user=user, today=today, calendar=calendar, filters=filters), sort, descending
        )
        number, pages = _page_number(page, len(everything), per_page)
        window = everything[(number - 1) * per_page : number * per_page]
        in_court = sum(1 for r in everything if r.ended_on is not None)
        return TrackerPage(window, len(everything), rag_counts(everything), number, pages, per_page, in_court)
    # One scope for both reads (a queryset is never changed in place: each read filters a copy).
    scope = _episode_scope(user, today, filters)
    keys = tracker_keys(user=user, today=today, calendar=calendar, filters=filters, sort=sort, scope=scope)
    if sort:
        keys = tracker_sort(keys, sort, descending)
    number, pages = _page_number(page, len(keys), per_page)
    chosen = keys[(number - 1) * per_page : number * per_page]
    full = {
        r.episode_id: r
        for r in tracker_rows(
            user=user,
            today=today,
            calendar=calendar,
            filters=filters,
            episode_ids=[k.episode_id for k in chosen],
            scope=scope,
        )
    }
    # An episode changed between the two reads (ended, moved team) drops out rather than show stale.
    rows = [full[k.episode_id] for k in chosen if k.episode_id in full]
    in_court = sum(1 for k in keys if k.in_court)
    return TrackerPage(rows, len(keys), rag_counts(keys), number, pages, per_page, in_court)


def _page_number(page: int, total: int, per_page: int) -> tuple[int, int]:
    pages = max(1, -(-total // per_page))
    return min(max(page, 1), pages), pages


# --- Team manager dashboard ------------------------------------------------------------------


@dataclass(slots=True)
class WorkerCounts:
    """Per social worker figures on the team dashboard."""

    user_id: int
    name: str
    episodes: int = 0
    overdue: int = 0
    due_soon: int = 0
    assessments_overdue: int = 0
    alerts: int = 0


@dataclass(slots=True)
class TeamDashboard:
    """Everything on a team manager's dashboard (issue #5 §2)."""

    team: Team
    rows: list[TrackerRow]
    deadlines: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    alerts_total: int
    # Only worked out when nothing is waiting (issue #12 §4: never "all acknowledged" when
    # nothing was raised): were alerts ever raised on the team's cases, and when the scan last ran.
    near_end: list[TrackerRow]
    assessments: list[dict[str, Any]]
    workers: list[WorkerCounts]
    alerts_ever: bool = False
    last_scan: dt.date | None = None

    @property
    def overdue(self) -> list[dict[str, Any]]:
        """The team's overdue deadlines, oldest first."""
        return [d for d in self.deadlines if d["status"] == "overdue"]

    @property
    def due_soon(self) -> list[dict[str, Any]]:
        """The team's deadlines due today or soon."""
        return [d for d in self.deadlines if d["status"] in ("due_today", "due_soon")]


NEAR_END_WEEKS = 4
# The tag colour of each kind of alert (static/scss/app.scss app-status--*).
ALERT_TAG_CLASSES: dict[str, str] = {
    AlertKind.DUE_SOON: "app-status--due_soon",
    AlertKind.DUE_TODAY: "app-status--due_today",
    AlertKind.OVERDUE: "app-status--overdue",
    AlertKind.ESCALATION: "app-status--overdue",
    AlertKind.OVERRUN: "app-status--overdue",
    AlertKind.REPEAT_EPISODE: "govuk-tag--purple",
}
ALERTS_SHOWN = 100


def _family_columns(row: TrackerRow) -> dict[str, Any]:
    """The family's columns of a dashboard list entry, from the episode's tracker row."""
    return {
        "episode__family_id": row.family_id,
        "episode__family__reference": row.reference,
        "episode__family__name": row.family_name,
        "episode__family__social_worker_id": row.social_worker_id,
    }


def team_dashboard(*, user: User, team: Team, today: dt.date, calendar: WorkingCalendar) -> TeamDashboard:
    """A team's overdue and due-soon deadlines, unacknowledged alerts, cases near their end,
    overdue assessments and per-worker counts (issue #5 §2). Fixed number of queries."""
    rows = tracker_rows(
        user=user, today=today, calendar=calendar, filters=TrackerFilters(team=team.pk), with_details=False
    )
    horizon = max(soon_before(today, calendar, name) for name in policy_names())
    team_open = Q(episode__family__team_id=team.pk, episode__ended_on__isnull=True) & visible_q(user, "episode__family")
    team_open &= Q(deadline__isnull=True) | privileged_deadlines_q(user, "deadline__")  # of the alerts
    soon_of = {r.episode_id: soon_before(today, calendar, r.policy_name) for r in rows}
    # The deadlines and assessments of the episodes the scoped read above returned, by their ids,
    # with the family's columns from those rows: joined to episodes and families again, PostgreSQL
    # chose to scan every episode of the service (issue 14: a team's page must cost what the
    # team holds, whatever the size of the service).
    by_episode = {r.episode_id: r for r in rows}
    deadlines: list[dict[str, Any]] = []
    for values in (
        Deadline.objects.filter(episode_id__in=list(by_episode), state=DeadlineState.OPEN, due_on__lt=horizon)
        .exclude(key__in=privileged_deadline_keys_hidden_from(user))  # as the rows count them, with no join
        .order_by("due_on", "id")
        .values("id", "episode_id", "label", "due_on")
    ):
        d: dict[str, Any] = {**values, **_family_columns(by_episode[values["episode_id"]])}
        d["status"] = open_status(d["due_on"], today, soon_of[d["episode_id"]])
        if d["status"] in ("overdue", "due_today", "due_soon"):
            d["days_late"] = calendar.working_days_between(d["due_on"], today) if d["status"] == "overdue" else 0
            deadlines.append(d)

    alert_qs = Alert.objects.filter(team_open, acknowledged_at__isnull=True)
    alerts: list[dict[str, Any]] = [
        dict(a)
        for a in alert_qs.order_by("-raised_on", "-id").values(
            "id",
            "kind",
            "raised_on",
            "due_on",
            "recipient_id",
            "recipient__first_name",
            "recipient__last_name",
            "recipient__username",
            "deadline__label",
            "episode__family_id",
            "episode__family__reference",
            "episode__family__name",
            "episode__family__social_worker_id",
        )[:ALERTS_SHOWN]
    ]
    kind_labels = dict(AlertKind.choices)
    for a in alerts:
        a["kind_label"] = kind_labels.get(a["kind"], a["kind"])
        a["tag_class"] = ALERT_TAG_CLASSES.get(a["kind"], "govuk-tag--grey")
        a["recipient"] = _person(a["recipient__first_name"], a["recipient__last_name"], a["recipient__username"])
    alert_counts = dict(
        alert_qs.order_by().values("recipient_id").annotate(n=Count("id")).values_list("recipient_id", "n")
    )

    near_limit = today + dt.timedelta(weeks=NEAR_END_WEEKS)
    near_end = sorted(
        (r for r in rows if r.end_due is not None and r.end_due <= near_limit),
        key=lambda r: r.end_due or dt.date.max,
    )

    assessments: list[dict[str, Any]] = [
        {**a, **_family_columns(by_episode[a["episode_id"]])}
        for a in Assessment.objects.filter(episode_id__in=list(by_episode), completed_on__isnull=True, due_on__lt=today)
        .order_by("due_on", "id")
        .values("id", "kind", "provider", "due_on", "episode_id")
    ]
    from cases.models import AssessmentKind

    kinds = dict(AssessmentKind.choices)
    for a in assessments:
        a["kind_label"] = kinds.get(a["kind"], a["kind"])
        a["days_late"] = calendar.working_days_between(a["due_on"], today)

    workers: dict[int, WorkerCounts] = {}
    for uid, first, last, username in (
        team.members.filter(is_active=True, groups__name=Role.SOCIAL_WORKER.label)
        .order_by("last_name", "first_name")
        .values_list("id", "first_name", "last_name", "username")
    ):
        workers[uid] = WorkerCounts(uid, _person(first, last, username))
    for r in rows:
        w = workers.setdefault(r.social_worker_id, WorkerCounts(r.social_worker_id, r.social_worker))
        w.episodes += 1
        w.overdue += r.overdue_count
        w.due_soon += r.soon_count
        w.assessments_overdue += r.assessments_overdue
    for uid, w in workers.items():
        w.alerts = alert_counts.get(uid, 0)
    alerts_total = sum(alert_counts.values())
    alerts_ever, last_scan = True, None
    if not alerts_total:
        from .models import AlertScanDay

        alerts_ever = Alert.objects.filter(team_open).exists()
        last_scan = AlertScanDay.objects.aggregate(last=Max("day"))["last"]
    return TeamDashboard(
        team=team,
        rows=rows,
        deadlines=deadlines,
        alerts=alerts,
        alerts_total=alerts_total,
        alerts_ever=alerts_ever,
        last_scan=last_scan,
        near_end=near_end,
        assessments=assessments,
        workers=sorted(workers.values(), key=lambda w: (-w.overdue, w.name)),
    )


# --- Weekly tracker (head of service) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    """One number on the weekly screen, with the tracker filter that lists the cases behind it."""

    label: str
    value: int
    query: dict[str, str]


@dataclass(frozen=True, slots=True)
class Timeliness:
    """% of a milestone's deadlines met on time: met / (met + met late + not met), where not met
    is still open past its date or missed (overtaken by a later event: a miss stays a miss)."""

    key: str
    label: str
    met: int
    met_late: int
    overdue: int
    query: dict[str, str]

    @property
    def total(self) -> int:
        """Deadlines that count (due in the window and either done or overdue)."""
        return self.met + self.met_late + self.overdue

    @property
    def percent(self) -> int | None:
        """Whole per cent met on time; None when nothing was due."""
        return round(100 * self.met / self.total) if self.total else None

    @property
    def missed(self) -> int:
        """Met late or still overdue."""
        return self.met_late + self.overdue


@dataclass(slots=True)
class OutcomePeriod:
    """Outcomes of episodes that ended in the last `weeks` weeks."""

    weeks: int
    since: dt.date
    figures: list[Figure]
    median_weeks: float | None
    ended: int


@dataclass(slots=True)
class WeeklyFigures:
    """The weekly tracker screen's figures (issue #5 §4)."""

    today: dt.date
    open: Figure
    by_stage: list[Figure]
    by_week: list[Figure]
    past_standard: Figure
    extended: Figure
    extension_weeks_total: int
    outcomes: list[OutcomePeriod]
    timeliness: list[Timeliness]
    timeliness_since: dt.date

    @property
    def open_total(self) -> int:
        """Open episodes across the user's scope (the headline)."""
        return self.open.value


TIMELINESS_WEEKS = 13


#: The weekly figures count open episodes: their links narrow the tracker to those (it also lists
#: care proceedings issued and before their final hearing).
WEEKLY_SCOPE: dict[str, str] = {"open_only": "1"}


def weekly_figures(*, user: User, today: dt.date, calendar: WorkingCalendar) -> WeeklyFigures:
    """Open episodes by stage and week, overruns, extensions, outcomes, median length and
    timeliness per milestone (issue #5 §4). Every figure carries its tracker drill-down query,
    and its count is the number of episodes the tracker lists for that query: the filters are
    read from the query as the tracker reads them, and counted by tracker_counts (issue 20 §5)."""
    from .filters import filters_from_query

    queries: dict[str, dict[str, str]] = {"open": {}, "past": {"past_standard": "1"}, "extended": {"extended": "1"}}
    queries |= {f"stage:{value}": {"stage": value} for value, _ in Stage.choices if value != Stage.ENDED}
    queries |= {f"weeks:{slug}": {"weeks": slug} for slug in WEEK_BANDS}
    queries = {name: {**WEEKLY_SCOPE, **q} for name, q in queries.items()}
    counted = tracker_counts(
        user=user,
        today=today,
        calendar=calendar,
        base=filters_from_query(WEEKLY_SCOPE, user=user),
        figures={name: filters_from_query(q, user=user) for name, q in queries.items()},
    )

    def figure(name: str, label: str) -> Figure:
        return Figure(label, len(counted[name]), queries[name])

    by_stage = [figure(f"stage:{value}", label) for value, label in Stage.choices if value != Stage.ENDED]
    by_week = [figure(f"weeks:{slug}", label) for slug, (label, _, _) in WEEK_BANDS.items()]
    past = figure("past", "Past their standard length")
    extended = figure("extended", "With an agreed extension")
    open_figure = figure("open", "Open episodes")

    since_13 = today - dt.timedelta(weeks=13)
    ended = list(
        episodes_visible(user)
        .filter(ended_on__gte=since_13, ended_on__lte=today)
        .order_by()
        .values_list("end_outcome", "ended_on", "decision_date")
    )
    outcomes: list[OutcomePeriod] = []
    for weeks in (4, 13):
        since = today - dt.timedelta(weeks=weeks)
        in_period = [x for x in ended if x[1] is not None and x[1] >= since]
        figures = [
            Figure(
                label,
                sum(1 for x in in_period if x[0] in values),
                {"outcome": slug, "ended_since": since.isoformat()},
            )
            for slug, (label, values) in OUTCOME_GROUPS.items()
        ]
        # Length of pre-proceedings: from the LPM decision (D) to the end, for those that had one.
        lengths = [(x[1] - x[2]).days / 7 for x in in_period if x[1] is not None and x[2] is not None]
        median = round(statistics.median(lengths), 1) if lengths else None
        outcomes.append(OutcomePeriod(weeks, since, figures, median, len(in_period)))

    since_t = today - dt.timedelta(weeks=TIMELINESS_WEEKS)
    base_key = Func(F("key"), Value(":"), Value(1), function="split_part", output_field=CharField())
    grouped = (
        Deadline.objects.filter(visible_q(user, "episode__family"), due_on__gte=since_t, due_on__lt=today)
        .filter(privileged_deadlines_q(user))
        .annotate(milestone=base_key)
        .order_by()
        .values("milestone")
        .annotate(
            met=Count("id", filter=Q(state=DeadlineState.MET)),
            met_late=Count("id", filter=Q(state=DeadlineState.MET_LATE)),
            overdue=Count("id", filter=Q(state__in=[DeadlineState.OPEN, DeadlineState.MISSED])),
        )
        .values_list("milestone", "met", "met_late", "overdue")
    )
    labels = milestone_labels()
    order = {key: i for i, key in enumerate(labels)}
    timeliness = [
        Timeliness(
            key,
            labels.get(key, key.replace("_", " ").capitalize()),
            met,
            met_late,
            overdue,
            {"missed": key, "due_since": since_t.isoformat()},
        )
        for key, met, met_late, overdue in grouped
        if met + met_late + overdue
    ]
    timeliness.sort(key=lambda t: (order.get(t.key, len(order)), t.key))
    return WeeklyFigures(
        today=today,
        open=open_figure,
        by_stage=by_stage,
        by_week=by_week,
        past_standard=past,
        extended=extended,
        extension_weeks_total=sum(k.extension_weeks for k in counted["extended"]),
        outcomes=outcomes,
        timeliness=timeliness,
        timeliness_since=since_t,
    )


@lru_cache(maxsize=1)
def _milestone_labels_cached(policy: str) -> tuple[tuple[str, str], ...]:
    loaded = load_policy(policy)
    seen: dict[str, str] = {}
    for rule in loaded.rules:
        seen.setdefault(rule.key, loaded.label_for(rule.key))
    return tuple(seen.items())


def milestone_labels() -> dict[str, str]:
    """Milestone key -> label, in the order of the deployment's policy."""
    return dict(_milestone_labels_cached(settings.PLO_POLICY))


# --- Alerts ----------------------------------------------------------------------------------

ACKNOWLEDGED_SHOWN = 100


def alert_inbox(*, user: User) -> tuple[list[Alert], list[Alert]]:
    """The user's unacknowledged alerts (all) and their latest acknowledged ones (issue #5 §6)."""
    base = alerts_visible_to(user).filter(recipient=user).select_related("episode__family", "deadline")
    fields = (
        "id",
        "kind",
        "due_on",
        "raised_on",
        "acknowledged_at",
        "episode__id",
        "episode__family__id",
        "episode__family__reference",
        "episode__family__name",
        "deadline__id",
        "deadline__label",
    )
    pending = list(base.filter(acknowledged_at__isnull=True).only(*fields).order_by("-raised_on", "-id"))
    done = list(
        base.filter(acknowledged_at__isnull=False)
        .only(*fields)
        .order_by("-acknowledged_at", "-id")[:ACKNOWLEDGED_SHOWN]
    )
    for alert in pending:
        alert.tag_class = ALERT_TAG_CLASSES.get(alert.kind, "govuk-tag--grey")  # for the template only
    return pending, done


def alert_count_unacknowledged(*, user: User) -> int:
    """How many alerts the user has not acknowledged (the header badge; one indexed COUNT)."""
    return alerts_visible_to(user).filter(recipient_id=user.pk, acknowledged_at__isnull=True).count()


# --- Calendar feed ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """An all-day event in a user's calendar feed; the summary names the family reference only."""

    uid: str
    day: dt.date
    summary: str
    path: str


def calendar_events(*, user: User, today: dt.date) -> list[CalendarEvent]:
    """Deadlines, meetings, LPM panels and court hearings of the user's own cases, plus (heads of
    service) LPM requests awaiting a decision (issue #5 §5). Five queries, whatever the caseload.

    A case in care proceedings stays in the feed after pre-proceedings end: its hearings and
    meetings are the dates that matter most then (issue 13 §8).
    """
    from django.urls import reverse

    mine = Q(social_worker_id=user.pk) | Q(team_manager_id=user.pk)
    families = families_visible_to(user).filter(mine)
    episodes = Episode.objects.filter(family__in=families).filter(Q(ended_on__isnull=True) | Q(stage=Stage.PROCEEDINGS))
    events: list[CalendarEvent] = []

    def path(family_id: int) -> str:
        return reverse("cases:family-detail", args=[family_id])

    for pk, label, due_on, ref, family_id in (
        Deadline.objects.filter(episode__in=episodes, state=DeadlineState.OPEN, due_on__isnull=False)
        .filter(privileged_deadlines_q(user))
        .order_by("due_on", "id")
        .values_list("id", "label", "due_on", "episode__family__reference", "episode__family_id")
    ):
        if due_on is not None:  # always (filtered above); tells the type checker
            events.append(CalendarEvent(f"deadline-{pk}", due_on, f"{ref}: {label} due", path(family_id)))
    for pk, kind, scheduled_for, held_on, ref, family_id in Meeting.objects.filter(episode__in=episodes).values_list(
        "id", "kind", "scheduled_for", "held_on", "episode__family__reference", "episode__family_id"
    ):
        day = held_on or scheduled_for
        if day is not None:
            events.append(CalendarEvent(f"meeting-{pk}", day, f"{ref}: {MeetingKind(kind).label}", path(family_id)))
    for pk, kind, panel_date, held_on, ref, family_id in LPM.objects.filter(episode__in=episodes).values_list(
        "id", "kind", "panel_date", "held_on", "episode__family__reference", "episode__family_id"
    ):
        events.append(
            CalendarEvent(f"lpm-{pk}", held_on or panel_date, f"{ref}: {LPMKind(kind).label}", path(family_id))
        )
    for pk, kind, hearing_date, ref, family_id in Hearing.objects.filter(proceedings__episode__in=episodes).values_list(
        "id", "kind", "hearing_date", "proceedings__episode__family__reference", "proceedings__episode__family_id"
    ):
        label = HearingKind(kind).label
        events.append(CalendarEvent(f"hearing-{pk}", hearing_date, f"{ref}: {label}", path(family_id)))
    if user.has_role(Role.HEAD_OF_SERVICE):
        awaiting = (
            Deadline.objects.filter(
                visible_q(user, "episode__family"),
                key="lpm_request_decision",
                state=DeadlineState.OPEN,
                due_on__isnull=False,
                episode__ended_on__isnull=True,
                # 002 §6b: only a deferred request has a decision date (the date deferred to).
                episode__lpm_request__status__in=[RequestStatus.AWAITING, RequestStatus.DEFERRED],
            )
            .order_by("due_on", "id")
            .values_list("id", "due_on", "episode__family__reference", "episode__family_id")
        )
        for pk, due_on, ref, family_id in awaiting:
            if due_on is None:  # never (filtered above); tells the type checker
                continue
            events.append(
                CalendarEvent(
                    f"lpm-request-{pk}", due_on, f"{ref}: LPM request awaiting your decision", path(family_id)
                )
            )
    events.sort(key=lambda e: (e.day, e.summary))
    return events
