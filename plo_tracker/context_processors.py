"""Values every template needs: council name, service name, the signed-in user's roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest

if TYPE_CHECKING:
    from accounts.models import User


def site(request: HttpRequest) -> dict[str, object]:
    """Council name, service name, the navigation for the signed-in user's roles, and their alert count."""
    from accounts.models import User
    from accounts.navigation import navigation_for

    user = getattr(request, "user", None)
    staff = user if isinstance(user, User) and user.is_authenticated else None
    return {
        "council_name": settings.COUNCIL_NAME,
        "service_name": settings.SERVICE_NAME,
        "navigation": navigation_for(request, staff) if staff else [],
        "header_alert_count": _alert_count(staff) if staff else None,
    }


def _alert_count(user: User) -> int | None:
    """Unacknowledged alerts for the header (issue 5): one indexed COUNT, only for case roles."""
    from accounts.roles import CASE_READERS
    from deadlines.selectors.alerts import alert_count_unacknowledged

    if not user.has_role(*CASE_READERS):
        return None
    return alert_count_unacknowledged(user=user)
