"""Writes for staff accounts: role groups and their permissions, calendar addresses."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .roles import ROLE_PERMISSIONS, Role


@transaction.atomic
def roles_ensure() -> None:
    """Create a group per role and grant it exactly its declared permissions (idempotent)."""
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_key = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").all()
        if f"{p.content_type.app_label}.{p.codename}" in wanted
    }
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.label)
        group.permissions.set([by_key[p] for p in ROLE_PERMISSIONS.get(role, []) if p in by_key])


@transaction.atomic
def user_set_roles(*, user, roles: list[Role]) -> None:
    """Give a user exactly these roles; administrators may use the admin site."""
    groups = [Group.objects.get_or_create(name=r.label)[0] for r in roles]
    user.groups.set(groups)
    user.is_staff = Role.ADMINISTRATOR in roles
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("roles", None)


@transaction.atomic
def calendar_token_regenerate(*, user, by) -> str:
    """Give the user a new private calendar address; the old one stops working (issue #5 §5).

    Its owner or an administrator may do it (issue 24 §4); who did it and when are recorded on the
    user, so the audit trail has every reset and never the token."""
    from .models import new_calendar_token

    if by.pk != user.pk and not (by.is_active and Role.ADMINISTRATOR in by.roles):
        raise PermissionDenied("Only its owner or an administrator may reset a calendar address.")
    user.calendar_token = new_calendar_token()
    user.calendar_token_reset_at = timezone.now()
    user.calendar_token_reset_by = by
    user.save(update_fields=["calendar_token", "calendar_token_reset_at", "calendar_token_reset_by"])
    return user.calendar_token
