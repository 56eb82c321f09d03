"""The visibility scope of each deadlines record kind (docs/security.md): stored deadlines and
alerts by the family rule (`accounts.scopes.family_q`), weekly figures by team."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from accounts.scopes import (
    filter_visible,
    privileged_deadline_keys_hidden_from,
    privileged_deadlines_q,
    sees_whole_service,
    teams_visible_to,
)

from .models import Alert, Deadline, WeeklySnapshot

if TYPE_CHECKING:
    from accounts.models import User

_filter = filter_visible


def weekly_snapshots_visible_to(user: User) -> QuerySet[Any]:
    """Stored weekly figures: the whole service's row only for service-wide roles; anyone else
    reads the rows of the teams they work with (a count is a read like any other)."""
    if sees_whole_service(user):
        return WeeklySnapshot.objects.all()
    return WeeklySnapshot.objects.filter(team__in=teams_visible_to(user).values("pk"))


def deadlines_visible_to(user: User) -> QuerySet[Any]:
    """Stored deadlines of episodes on families the user may see (privileged ones: advice readers only)."""
    return _filter(Deadline.objects.all(), user, "episode__family__").filter(privileged_deadlines_q(user))


def deadline_keys_hidden_from(user: User) -> list[str]:
    """The same scope as `deadlines_visible_to`, for figures worked out in SQL over episodes the
    user may already see (the tracker's and dashboard's per-episode counts): the deadline keys to
    leave out for this user. Empty for those who may read the legal advice of every family they see."""
    return privileged_deadline_keys_hidden_from(user)


def alerts_visible_to(user: User) -> QuerySet[Any]:
    """Alerts about families the user may see (whoever they were raised for; privileged deadlines'
    alerts: advice readers only)."""
    return _filter(Alert.objects.all(), user, "episode__family__").filter(
        Q(deadline__isnull=True) | privileged_deadlines_q(user, "deadline__")
    )
