"""Reads of staff that other apps' pages and reads share."""

from __future__ import annotations

from typing import Any

from .models import User
from .roles import Role


def staff_with(*roles: Role) -> Any:
    """Active staff holding any of the roles, for a choice list."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[r.label for r in roles])
        .distinct()
        .order_by("first_name", "last_name")
    )
