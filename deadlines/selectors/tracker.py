"""The tracker (issue #5 §1, issue 14): one row per episode the user may see, filtered, sorted and
paged, its figures counted from the same rows (`tracker_counts`), in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import CharField, DateField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

from cases.models import Episode, EpisodeChild, Stage
from meetings.models import LPMKind, MeetingKind

from ..engine import WorkingCalendar
from ..engine.timetable import COURT_WEEKS
from ..models import Deadline, DeadlineState
from ..scopes import deadline_keys_hidden_from, deadlines_visible_to
from ..screens import (
    OUTCOME_GROUPS,
    RAG_LABELS,
    RAG_ORDER,
    PolicyFacts,
    TrackerFilters,
    episodes_visible,
    policy_facts,
    policy_names,
    soon_before,
    week_band,
)
from ..status import STATUS_LABELS, open_status

if TYPE_CHECKING:
    from accounts.models import User


_R = TypeVar("_R", "TrackerRow", "TrackerKey")


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
        missed = deadlines_visible_to(user).filter(
            _missed_q(filters.missed, filters.due_since, today), episode=OuterRef("pk")
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
        from ..forecast import overrun_forecasts

        qs = qs.filter(pk__in=list(overrun_forecasts(qs, today=today)))
    if filters.ends_within_weeks:
        qs = ending_by(qs, today + dt.timedelta(weeks=filters.ends_within_weeks))
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


def ending_by(episodes: QuerySet[Episode], near: dt.date) -> QuerySet[Episode]:
    """The open pre-proceedings among ``episodes`` whose end (the first end-of-pre-proceedings
    deadline) is still open and due on or before ``near``: past their end, or ending soon. The
    head of service's "Extensions to decide" lists these and its count opens the tracker filtered
    by this same selector (``ends_within``)."""
    end = Deadline.objects.filter(
        episode=OuterRef("pk"),
        key="pre_proceedings_end",
        occurrence=1,
        state=DeadlineState.OPEN,
        due_on__lte=near,
    )
    return episodes.filter(ended_on__isnull=True, stage=Stage.PRE_PROCEEDINGS).filter(Exists(end))


# The tracker's per-episode figures, as correlated subqueries written out in SQL (issue 14).
# Built with the ORM (Subquery, OuterRef, filter) the same ten subqueries cost more to assemble
# and compile in Python than PostgreSQL takes to plan and run them for a page of rows; as RawSQL
# they are constant strings with their dates as parameters. They only read rows of the episode
# they stand beside ("cases_episode"."id", the outer query's own table), so the episodes listed
# are still exactly the scope's (episodes_visible_to): nothing here widens or narrows it.
# Each takes the state, then the privileged keys this user may not see (deadlines.scopes
# deadline_keys_hidden_from: an empty list for those who may read the advice).
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
    hidden = deadline_keys_hidden_from(user)
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


def _meetings_of(
    meetings: Iterable[tuple[str, dt.date | None, dt.date | None]], lpms: Iterable[tuple[str, dt.date]]
) -> tuple[dt.date | None, dt.date | None, dt.date | None, str]:
    """(initial meeting held, initial meeting booked, the next meeting or panel, its label)."""
    initial_held: dt.date | None = None
    initial_booked: dt.date | None = None
    upcoming: list[tuple[dt.date, str]] = []
    for kind, scheduled_for, held_on in meetings:
        if kind == MeetingKind.INITIAL:
            initial_held, initial_booked = held_on, scheduled_for
        if held_on is None and scheduled_for is not None:
            upcoming.append((scheduled_for, _MEETING_LABELS.get(kind, "Meeting")))
    for kind, panel_date in lpms:
        upcoming.append((panel_date, _LPM_LABELS.get(kind, "LPM")))
    # The next meeting still to happen; one booked in the past but not recorded shows first.
    next_meeting, next_meeting_label = min(upcoming) if upcoming else (None, "")
    return initial_held, initial_booked, next_meeting, next_meeting_label


def _court_week(e: Mapping[str, Any], today: dt.date) -> int | None:
    """The week of the court's 26 in care proceedings (issue day = week 1, day 1), else None."""
    if e["stage"] == Stage.PROCEEDINGS:
        # In court the 26 weeks count, not the pre-proceedings weeks (issue day = week 1, day 1).
        issued = e["issued_on"]
        if issued is not None and today >= issued:
            return (today - issued).days // 7 + 1
    return None


def _rag_reasons(e: Mapping[str, Any], facts: PolicyFacts, past_standard: bool) -> list[str]:
    """Why a row is red or amber, in words."""
    reasons: list[str] = []
    if e["overdue_count"]:
        reasons.append(f"{e['overdue_count']} overdue")
    elif e["soon_count"]:
        reasons.append("due today or soon")
    if past_standard:
        reasons.append(f"past {facts.standard_weeks} weeks")
    return reasons


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
    initial_held, initial_booked, next_meeting, next_meeting_label = _meetings_of(
        meetings.get(pk, ()), lpms.get(pk, ())
    )

    start, week, past_standard = _clock(facts, e["stage"], e["decision_date"], initial_held, e["ended_on"], today)
    extension = _capped_extension(facts, e["extension_total"])
    of_weeks = facts.standard_weeks + extension
    court_of_weeks = COURT_WEEKS + e["court_extension_total"]
    next_due = e["next_due"]
    status = open_status(next_due, today, e["soon_limit"]) if next_due else ""
    rag = _rag(bool(e["overdue_count"]), bool(e["soon_count"]), past_standard)

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
        rag_reasons=_rag_reasons(e, facts, past_standard),
        court_week=_court_week(e, today),
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
        **_rag_inputs(soon, soon_params, deadline_keys_hidden_from(user)),
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
