"""The calendar feed (issue #5 §5): a user's deadlines, meetings, panels and hearings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

from accounts.roles import Role
from cases.models import Episode, Hearing, HearingKind, Stage
from cases.scopes import families_visible_to
from meetings.models import LPM, LPMKind, Meeting, MeetingKind, RequestStatus

from ..models import Deadline, DeadlineState
from ..scopes import deadlines_visible_to
from ..screens import visible_q

if TYPE_CHECKING:
    from accounts.models import User


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
        deadlines_visible_to(user)
        .filter(episode__in=episodes, state=DeadlineState.OPEN, due_on__isnull=False)
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
