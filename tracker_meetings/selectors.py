"""Reads for tracker meetings and panels: who may see which record, the agenda candidates, one
meeting with its agenda and actions, and the people an action can be given to."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from accounts.roles import TRACKER_ROLES
from cases.models import Stage
from cases.selectors import MinutesStep, can_see_legal_advice, minutes_steps
from deadlines.engine import WorkingCalendar
from deadlines.forecast import overrun_forecasts
from deadlines.models import Deadline, DeadlineState
from deadlines.screens import episodes_visible
from deadlines.selectors.tracker import TrackerRow, tracker_rows
from meetings.models import LPM, REQUIRED_DOCUMENTS, DocumentState, LPMKind, LPMRequestDocument

from .models import AgendaItem, AgendaReason, MeetingAction, PapersState, TrackerMeeting, TrackerMeetingKind
from .scopes import agenda_items_visible_to, tracker_meetings_visible_to

if TYPE_CHECKING:
    from accounts.models import User

# Attendance slots at the legal gateway panel are 20 minutes apart (004 §7).
SLOT_MINUTES = 20
# A case due back at legal gateway within this many days of the meeting is "due for review" (000:
# back at legal gateway two weeks before the final review).
REVIEW_WINDOW_DAYS = 14


# --- Who may see what ------------------------------------------------------------------------


def minutes_staff() -> QuerySet[User]:
    """The staff who may read tracker meetings: the people minutes can be drafted, approved and sent by or to."""
    from accounts.selectors import staff_with

    return staff_with(*TRACKER_ROLES)


# --- Building an agenda ----------------------------------------------------------------------


@dataclass(slots=True)
class Candidate:
    """An episode that belongs on a meeting's agenda, and why."""

    episode_id: int
    reasons: list[str] = field(default_factory=list)
    rank: tuple[int, dt.date, str] = (9, dt.date.max, "")
    slot_order: int | None = None
    papers: str = ""
    papers_missing: str = ""


def papers_due(meets_on: dt.date, calendar: WorkingCalendar) -> dt.datetime:
    """Panel papers are due by 12:00 on the Monday of the panel's week, or the working day before
    if that Monday is not a working day (004 §7)."""
    from django.utils import timezone

    monday = meets_on - dt.timedelta(days=meets_on.weekday())
    if not calendar.is_working_day(monday):
        monday = calendar.roll_back(monday - dt.timedelta(days=1))
    return timezone.make_aware(dt.datetime.combine(monday, dt.time(12, 0)))


def agenda_candidates(
    *, kind: str, meets_on: dt.date, user: User, today: dt.date, calendar: WorkingCalendar
) -> list[Candidate]:
    """The cases a meeting should discuss, built from the tracker (issue 13 §3).

    Every kind: red and amber cases, cases predicted to overrun (escalated to the assistant director
    by the same forecast, deadlines/forecast.py), cases due for review (a
    review date set at an earlier meeting, or a legal gateway review due within two weeks) and
    cases with actions still open from earlier meetings. The court tracker meeting adds every case
    under a legal framework (001: "HOS oversight on all cases where legal frameworks apply"). The
    panel adds the LPMs listed for that day, with papers and attendance slots (004 §7).
    Queries: the tracker's five, the forecast's three, plus four.
    """
    rows = {r.episode_id: r for r in tracker_rows(user=user, today=today, calendar=calendar, with_details=False)}
    agenda = _Agenda()
    if kind == TrackerMeetingKind.PANEL:
        _panel_candidates(agenda, user=user, meets_on=meets_on, calendar=calendar)
    _tracker_candidates(agenda, rows, kind=kind, user=user, today=today)
    _review_and_action_candidates(agenda, rows, meets_on=meets_on)
    return sorted(agenda.found.values(), key=lambda c: c.rank)


class _Agenda:
    """The candidates so far, each with every reason it is on the agenda and its best rank."""

    def __init__(self) -> None:
        self.found: dict[int, Candidate] = {}

    def add(self, episode_id: int, reason: str, rank: tuple[int, dt.date, str]) -> Candidate:
        c = self.found.setdefault(episode_id, Candidate(episode_id))
        if reason not in c.reasons:
            c.reasons.append(reason)
        c.rank = min(c.rank, rank)
        return c


def _panel_candidates(agenda: _Agenda, *, user: User, meets_on: dt.date, calendar: WorkingCalendar) -> None:
    """The LPMs listed for the panel's day, in slot order, with their papers: received, late or
    missing, and which required documents are missing (004 §7)."""
    add = agenda.add
    visible = episodes_visible(user)
    listed = list(
        LPM.objects.filter(episode__in=visible, panel_date=meets_on, held_on__isnull=True)
        .select_related("episode__family")
        .order_by("kind", "episode__family__reference", "id")
    )
    deadline = papers_due(meets_on, calendar)
    missing: dict[int, list[str]] = defaultdict(list)
    for request_episode, kind_value in LPMRequestDocument.objects.filter(
        request__episode_id__in=[x.episode_id for x in listed],
        kind__in=REQUIRED_DOCUMENTS,
        state=DocumentState.MISSING,
    ).values_list("request__episode_id", "kind"):
        missing[request_episode].append(kind_value)
    labels = dict(LPMRequestDocument._meta.get_field("kind").choices or [])
    for order, lpm in enumerate(listed):
        reason = AgendaReason.PANEL_REVIEW if lpm.kind == LPMKind.REVIEW else AgendaReason.NEW_REQUEST
        c = add(lpm.episode_id, reason, (0, meets_on, lpm.episode.family.reference))
        c.slot_order = order
        if lpm.papers_submitted_on is None:
            c.papers = PapersState.MISSING
        elif lpm.papers_submitted_on > deadline.date():
            c.papers = PapersState.LATE
        else:
            c.papers = PapersState.RECEIVED
        c.papers_missing = "; ".join(str(labels.get(k, k)) for k in missing.get(lpm.episode_id, []))[:300]


def _tracker_candidates(agenda: _Agenda, rows: dict[int, TrackerRow], *, kind: str, user: User, today: dt.date) -> None:
    """Red and amber cases, those predicted to overrun, and (at the court tracker meeting) every
    case under a legal framework."""
    add = agenda.add
    # Predicted to overrun: the same forecast, by the same rule, as the escalation to the assistant
    # director (004) and the senior managers' homes (deadlines/forecast.py), not a rule of its own.
    overruns = overrun_forecasts(episodes_visible(user), today=today)
    for r in rows.values():
        key = (1 if r.rag == "red" else 2, r.next_due or dt.date.max, r.reference)
        if r.rag == "red":
            add(r.episode_id, AgendaReason.RED, key)
        elif r.rag == "amber" and (r.soon_count or r.episode_id not in overruns):
            add(r.episode_id, AgendaReason.AMBER, key)
        if r.episode_id in overruns:
            add(r.episode_id, AgendaReason.OVERRUN, key)
        if kind == TrackerMeetingKind.COURT and r.stage in (Stage.PRE_PROCEEDINGS, Stage.PROCEEDINGS):
            add(r.episode_id, AgendaReason.LEGAL_FRAMEWORK, (4, r.next_due or dt.date.max, r.reference))


def _review_and_action_candidates(agenda: _Agenda, rows: dict[int, TrackerRow], *, meets_on: dt.date) -> None:
    """Cases due for review (a legal gateway review due within the window, or a review date an
    earlier meeting set) and cases with actions still open from earlier meetings."""
    add = agenda.add
    review_by = meets_on + dt.timedelta(days=REVIEW_WINDOW_DAYS)
    for episode_id in (
        Deadline.objects.filter(
            episode_id__in=list(rows),
            state=DeadlineState.OPEN,
            due_on__lte=review_by,
        )
        .filter(Q(key="gateway_review") | Q(key__startswith="gateway_review:"))
        .values_list("episode_id", flat=True)
    ):
        add(episode_id, AgendaReason.REVIEW_DUE, (3, meets_on, rows[episode_id].reference))
    # The latest review date a meeting set for each case; due when it falls on or before this meeting.
    latest: dict[int, dt.date | None] = {}
    for episode_id, review_on in (
        AgendaItem.objects.filter(episode_id__in=list(rows), meeting__meets_on__lt=meets_on)
        .order_by("episode_id", "meeting__meets_on", "id")
        .values_list("episode_id", "review_on")
    ):
        latest[episode_id] = review_on
    for episode_id, review_on in latest.items():
        if review_on is not None and review_on <= meets_on:
            add(episode_id, AgendaReason.REVIEW_DUE, (3, review_on, rows[episode_id].reference))
    for episode_id in (
        MeetingAction.objects.filter(
            completed_on__isnull=True, item__episode_id__in=list(rows), item__meeting__meets_on__lt=meets_on
        )
        .values_list("item__episode_id", flat=True)
        .distinct()
    ):
        add(episode_id, AgendaReason.ACTIONS, (3, meets_on, rows[episode_id].reference))


# --- One meeting -----------------------------------------------------------------------------


@dataclass(slots=True)
class ItemView:
    """An agenda item as the meeting page and the minutes show it."""

    item: AgendaItem
    row: TrackerRow | None
    actions: list[MeetingAction]
    carried: list[MeetingAction]
    show_legal_advice: bool


@dataclass(slots=True)
class MeetingPage:
    """A meeting with its agenda in order, each case with its actions and those carried over."""

    meeting: TrackerMeeting
    items: list[ItemView]
    hidden_items: int
    open_actions: int

    @property
    def legal_advice_withheld(self) -> bool:
        """Some case on this copy has legal advice this reader may not see."""
        return any(i.item.legal_advice and not i.show_legal_advice for i in self.items)

    @property
    def discussed(self) -> int:
        """Cases with something recorded."""
        return sum(1 for i in self.items if i.item.discussed)

    @property
    def minutes_recipients(self) -> str:
        """The staff the minutes went to, by name."""
        return ", ".join(u.get_full_name() or u.username for u in self.meeting.minutes_recipients.all())

    @property
    def minutes_steps(self) -> list[MinutesStep]:
        """Drafted by, approved by, circulated to: the same steps as a case meeting's minutes."""
        return minutes_steps(self.meeting, sent_to=self.minutes_recipients)


def meeting_page(*, user: User, meeting: TrackerMeeting, today: dt.date, calendar: WorkingCalendar) -> MeetingPage:
    """One meeting's agenda as this user may see it; legal advice only where they may read it.

    Queries: the items with their families (one), the actions on them and the actions carried
    over from earlier meetings (two), the total number of items (one) and the tracker rows (five).
    """
    action_qs = MeetingAction.objects.select_related("owner").order_by("due_on", "id")
    items = list(
        agenda_items_visible_to(user)
        .filter(meeting=meeting)
        .select_related("episode__family", "recorded_by")
        .prefetch_related(Prefetch("actions", queryset=action_qs))
        .order_by("position", "id")
    )
    total = AgendaItem.objects.filter(meeting=meeting).count()
    episode_ids = [i.episode_id for i in items]
    carried: dict[int, list[MeetingAction]] = defaultdict(list)
    for action in (
        action_qs.filter(
            item__episode_id__in=episode_ids, completed_on__isnull=True, item__meeting__meets_on__lt=meeting.meets_on
        )
        .exclude(item__meeting=meeting)
        .select_related("item__meeting")
    ):
        carried[action.item.episode_id].append(action)
    rows = {
        r.episode_id: r
        for r in tracker_rows(user=user, today=today, calendar=calendar, with_details=False)
        if r.episode_id in set(episode_ids)
    }
    views = [
        ItemView(
            item=i,
            row=rows.get(i.episode_id),
            actions=list(i.actions.all()),
            carried=carried.get(i.episode_id, []),
            show_legal_advice=can_see_legal_advice(user, i.episode.family),
        )
        for i in items
    ]
    open_actions = sum(1 for v in views for a in v.actions if a.is_open) + sum(len(v.carried) for v in views)
    return MeetingPage(meeting=meeting, items=views, hidden_items=total - len(items), open_actions=open_actions)


def meeting_list(*, user: User) -> list[TrackerMeeting]:
    """Meetings the user may see, the latest first, with how many cases and open actions each has."""
    from django.db.models import Count

    return list(
        tracker_meetings_visible_to(user)
        .select_related("prepared_by", "chair")
        .annotate(
            item_count=Count("items", distinct=True),
            open_action_count=Count(
                "items__actions", filter=Q(items__actions__completed_on__isnull=True), distinct=True
            ),
        )
        .order_by("-meets_on", "kind")[:200]
    )
