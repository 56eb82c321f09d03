"""The visibility scope of each meetings record kind (docs/security.md), each filtered by the
family rule (`accounts.scopes.family_q`); legal advice by its own, narrower role table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from accounts.scopes import ADVICE_READ_SCOPE, filter_visible

from .models import LPM, LegalAdvice, LPMRequest, LPMRequestPreparation, Meeting, PermanencyPlanningMeeting

if TYPE_CHECKING:
    from accounts.models import User

_filter = filter_visible


def lpm_preparations_visible_to(user: User) -> QuerySet[Any]:
    """LPM requests being prepared (or prepared) on families the user may see."""
    return _filter(LPMRequestPreparation.objects.all(), user, "family__")


def lpm_requests_visible_to(user: User) -> QuerySet[Any]:
    """LPM requests on families the user may see."""
    return _filter(LPMRequest.objects.all(), user, "episode__family__")


def lpms_visible_to(user: User) -> QuerySet[Any]:
    """Legal planning meetings (panels) on families the user may see; their advice has its own scope."""
    return _filter(LPM.objects.all(), user, "episode__family__")


def legal_advice_visible_to(user: User) -> QuerySet[Any]:
    """Privileged legal advice and LPM minutes: legal advisers, heads of service, the case's team managers."""
    return _filter(LegalAdvice.objects.all(), user, "lpm__episode__family__", ADVICE_READ_SCOPE)


def meetings_visible_to(user: User) -> QuerySet[Any]:
    """Pre-proceedings meetings on families the user may see."""
    return _filter(Meeting.objects.all(), user, "episode__family__")


def permanency_meetings_visible_to(user: User) -> QuerySet[Any]:
    """Permanency planning meetings on families the user may see."""
    return _filter(PermanencyPlanningMeeting.objects.all(), user, "family__")
