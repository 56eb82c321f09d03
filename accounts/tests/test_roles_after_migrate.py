"""Each role's group holds exactly its declared permissions after a migrate or a flush, and the
roles are set once for it, when every app's permissions exist (accounts/apps.py)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts import services
from accounts.roles import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.django_db(transaction=True)


def _held() -> dict[str, set[str]]:
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }


def test_after_a_flush_every_role_holds_exactly_its_permissions_set_once():
    """A flush empties the permission table, and Django creates each app's permissions again in
    that app's turn of post_migrate: set on an earlier turn, the groups would miss the case,
    meeting and deadline permissions (the pages' permission checks would refuse their own roles)."""
    Group.objects.all().delete()
    with mock.patch.object(services, "roles_ensure", wraps=services.roles_ensure) as ensure:
        call_command("flush", interactive=False, verbosity=0)
    assert ensure.call_count == 1
    held = _held()
    assert set(held) == {role.label for role in Role}
    for role in Role:
        assert held[role.label] == set(ROLE_PERMISSIONS.get(role, [])), role
    assert held[Role.LEGAL_ADVISER.label] >= {"meetings.add_legaladvice", "cases.view_family"}
