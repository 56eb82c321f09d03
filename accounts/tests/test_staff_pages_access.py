"""The staff pages (people, teams, service areas, caseload moves, staff import) are for
administrators only: every other role is refused every one of them, to read or to change
(issue 23: the test of this once tried one role on one page)."""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from accounts.roles import Role
from accounts.tests.factories import ServiceAreaFactory

pytestmark = pytest.mark.django_db

STAFF_PAGE_PREFIXES = ("staff", "team-", "area-")


def _staff_pages() -> list[tuple[str, list[str]]]:
    """Every accounts URL name for the staff pages, with the names of its arguments."""
    pages = []
    accounts = get_resolver().namespace_dict["accounts"][1]
    for pattern in accounts.url_patterns:
        name = getattr(pattern, "name", None) or ""
        if name.startswith(STAFF_PAGE_PREFIXES):
            pages.append((name, list(pattern.pattern.converters)))
    return sorted(pages)


def test_the_staff_pages_are_all_found():
    names = {name for name, _ in _staff_pages()}
    assert {
        "staff-list",
        "staff-add",
        "staff-edit",
        "staff-reallocate",
        "staff-import",
        "team-add",
        "area-add",
    } <= names


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMINISTRATOR], ids=lambda r: r.value)
def test_every_staff_page_refuses_every_role_but_the_administrator(client, make_user, team, role):
    someone = make_user(Role.SOCIAL_WORKER, username="someone")
    area = ServiceAreaFactory.create(name="Northern area")
    ids = {"staff": someone.pk, "team": team.pk, "area": area.pk}
    client.force_login(make_user(role, username=f"as-{role.value}"))
    admin = make_user(Role.ADMINISTRATOR, username="the-admin")
    for name, args in _staff_pages():
        url = reverse(f"accounts:{name}", args=[ids.get(name.split("-")[0], 1) for _ in args])
        assert client.get(url).status_code == 403, (role, url)
        assert client.post(url, {"first_name": "Changed", "name": "Changed"}).status_code == 403, (role, url)
    someone.refresh_from_db()
    team.refresh_from_db()
    assert someone.first_name != "Changed" and team.name != "Changed"
    # The administrator opens the same pages.
    client.force_login(admin)
    assert client.get(reverse("accounts:staff-list")).status_code == 200
    assert client.get(reverse("accounts:staff-edit", args=[someone.pk])).status_code == 200
    assert client.get(reverse("accounts:team-edit", args=[team.pk])).status_code == 200
