"""Reads of staff that other apps' pages and reads share."""

from __future__ import annotations

from typing import Any

from .models import User
from .roles import Role


def staff_with(*roles: Role) -> Any:
    """Active staff holding any of the roles, for a choice list. Each choice is labelled with the
    person's team (StaffChoiceField), read in the same query: one query whatever the staff count."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[r.label for r in roles])
        .select_related("team")
        .distinct()
        .order_by("first_name", "last_name")
    )
