"""Values every template needs: council name, service name, the signed-in user's roles."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """Council name, service name and the navigation for the signed-in user's roles."""
    from accounts.navigation import navigation_for

    user = getattr(request, "user", None)
    return {
        "council_name": settings.COUNCIL_NAME,
        "service_name": settings.SERVICE_NAME,
        "navigation": navigation_for(request) if user is not None and user.is_authenticated else [],
    }
