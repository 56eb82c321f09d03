"""The header navigation each role sees."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from .roles import Role

# (label, url name, roles that see it). An entry whose page does not exist yet is left out.
NAVIGATION: list[tuple[str, str, frozenset[Role]]] = [
    ("Home", "home", frozenset(Role)),
    ("My cases", "cases:my-cases", frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER})),
    ("Team dashboard", "deadlines:team-dashboard", frozenset({Role.TEAM_MANAGER, Role.SERVICE_MANAGER})),
    ("Families", "cases:family-list", frozenset(Role) - {Role.ADMINISTRATOR}),
    (
        "Pre-action tracker",
        "deadlines:tracker",
        frozenset(
            {
                Role.COURT_LIAISON_OFFICER,
                Role.TEAM_MANAGER,
                Role.SERVICE_MANAGER,
                Role.HEAD_OF_SERVICE,
                Role.ASSISTANT_DIRECTOR,
                Role.BUSINESS_SUPPORT,
                Role.LEGAL_ADVISER,
                Role.READ_ONLY,
            }
        ),
    ),
    (
        "Weekly tracker",
        "deadlines:weekly",
        frozenset({Role.HEAD_OF_SERVICE, Role.ASSISTANT_DIRECTOR, Role.SERVICE_MANAGER}),
    ),
    ("Alerts", "deadlines:alert-list", frozenset(Role) - {Role.ADMINISTRATOR}),
    ("Audit trail", "audit-history", frozenset({Role.ADMINISTRATOR})),
    ("Administration", "admin:index", frozenset({Role.ADMINISTRATOR})),
]


def navigation_for(request: HttpRequest) -> list[dict[str, object]]:
    """Navigation items for the signed-in user, marking the current one."""
    roles = request.user.roles  # type: ignore[union-attr]
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
