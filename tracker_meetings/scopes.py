"""The visibility scope of each tracker meeting record kind (docs/security.md): meetings by role
(no case details), agenda items and actions also by the family rule, through the episodes scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from accounts.roles import TRACKER_ROLES
from cases.scopes import episodes_visible_to as episodes_visible

from .models import AgendaItem, MeetingAction, TrackerMeeting

if TYPE_CHECKING:
    from accounts.models import User


def tracker_meetings_visible_to(user: User) -> QuerySet[TrackerMeeting]:
    """Meetings (kind, date, chair: no case details) for the roles that work from the tracker."""
    if not user.roles & TRACKER_ROLES:
        return TrackerMeeting.objects.none()
    return TrackerMeeting.objects.all()


def agenda_items_visible_to(user: User) -> QuerySet[AgendaItem]:
    """Agenda items of meetings the user may see, about episodes the user may see."""
    return AgendaItem.objects.filter(meeting__in=tracker_meetings_visible_to(user), episode__in=episodes_visible(user))


def meeting_actions_visible_to(user: User) -> QuerySet[MeetingAction]:
    """Actions on agenda items the user may see, and any action the user owns on a case they may see."""
    mine = MeetingAction.objects.filter(owner_id=user.pk, item__episode__in=episodes_visible(user))
    return MeetingAction.objects.filter(Q(item__in=agenda_items_visible_to(user)) | Q(pk__in=mine.values("pk")))
