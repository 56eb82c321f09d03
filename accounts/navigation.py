"""The header navigation each role sees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from .roles import TEAM_DASHBOARD_ROLES, TRACKER_ROLES, WEEKLY_ROLES, Role

if TYPE_CHECKING:
    from .models import User

# (label, url name, roles that see it). An entry whose page does not exist yet is left out.
NAVIGATION: list[tuple[str, str, frozenset[Role]]] = [
    ("Home", "home", frozenset(Role)),
    ("My cases", "cases:my-cases", frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER})),
    ("Team dashboard", "deadlines:team-dashboard", TEAM_DASHBOARD_ROLES),
    ("Families", "cases:family-list", frozenset(Role) - {Role.ADMINISTRATOR}),
    ("Pre-action tracker", "deadlines:tracker", TRACKER_ROLES),
    ("Weekly tracker", "deadlines:weekly", WEEKLY_ROLES),
    ("Meetings", "tracker_meetings:list", TRACKER_ROLES),
    ("Alerts", "deadlines:alert-list", frozenset(Role) - {Role.ADMINISTRATOR}),
    (
        "Import tracker",
        "imports:upload",
        frozenset({Role.COURT_LIAISON_OFFICER, Role.BUSINESS_SUPPORT, Role.SERVICE_MANAGER, Role.HEAD_OF_SERVICE}),
    ),
    ("Staff and teams", "accounts:staff-list", frozenset({Role.ADMINISTRATOR})),
    ("Go-live date", "deadlines:go-live", frozenset({Role.ADMINISTRATOR})),
    ("Letter templates", "letters:template-list", frozenset({Role.ADMINISTRATOR})),
    ("Audit trail", "audit-history", frozenset({Role.ADMINISTRATOR})),
    ("Administration", "admin:index", frozenset({Role.ADMINISTRATOR})),
]


def navigation_for(request: HttpRequest, user: User) -> list[dict[str, object]]:
    """Navigation items for the signed-in user, marking the current one."""
    roles = user.roles
    items = []
    for label, name, allowed in NAVIGATION:
        if not roles.intersection(allowed):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        current = request.path == url if name == "home" else request.path.startswith(url)
        items.append({"label": label, "url": url, "current": current})
    return items
