"""Values every template needs: council name, service name, the signed-in user's roles."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """Council name, service name, the navigation for the signed-in user's roles, and their alert count."""
    from accounts.navigation import navigation_for

    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "council_name": settings.COUNCIL_NAME,
        "service_name": settings.SERVICE_NAME,
        "navigation": navigation_for(request) if signed_in else [],
        "header_alert_count": _alert_count(user) if signed_in else None,
    }


def _alert_count(user: object) -> int | None:
    """Unacknowledged alerts for the header (issue 5): one indexed COUNT, only for case roles."""
    from accounts.roles import CASE_READERS
    from deadlines.selectors import alert_count_unacknowledged

    if not user.has_role(*CASE_READERS):  # type: ignore[attr-defined]
        return None
    return alert_count_unacknowledged(user=user)  # type: ignore[arg-type]
