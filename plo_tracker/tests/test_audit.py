"""Every change is attributable: the audit trail records who, when, what and through which request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from cases.tests.factories import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db


def test_a_change_in_the_browser_is_recorded_with_the_user_and_request(client, make_user, team):
    sw = make_user(Role.SOCIAL_WORKER, username="sam.social", first_name="Sam", last_name="Social")
    family = FamilyFactory.create(team=team, social_worker=sw)
    child = ChildFactory.create(family=family, first_name="Mia", case_system_id="LL7001")
    client.force_login(sw)
    response = client.post(
        reverse("cases:child-edit", args=[child.pk]),
        {
            "first_name": "Amelia",
            "last_name": child.last_name,
            "date_of_birth_0": "4",
            "date_of_birth_1": "5",
            "date_of_birth_2": "2019",
            "expected_date_of_birth_0": "",
            "expected_date_of_birth_1": "",
            "expected_date_of_birth_2": "",
            "gender": "female",
            "case_system_id": "LL7001",
            "legal_status": "cp",
            "cp_plan_count": "1",
            "previous_pre_proceedings": "0",
            "previous_care_proceedings": "0",
            "version": child.version,
        },
    )
    assert response.status_code == 302

    admin = make_user(Role.ADMINISTRATOR, username="ada.admin")
    client.force_login(admin)
    html = client.get(reverse("audit-history"), {"record": "child", "record_id": child.pk}).content.decode()
    assert "Sam Social (sam.social)" in html
    assert f"POST /cases/children/{child.pk}/edit/" in html
    assert "first_name" in html and "Mia" in html and "Amelia" in html


def test_only_administrators_can_read_the_audit_trail(client, make_user):
    for role in (Role.SOCIAL_WORKER, Role.HEAD_OF_SERVICE, Role.READ_ONLY):
        client.force_login(make_user(role))
        assert client.get(reverse("audit-history")).status_code == 403


def test_bulk_changes_are_audited_too(make_user, team):
    """A queryset update (no save()) still leaves a trail: pghistory uses database triggers."""
    from pghistory.models import Events

    from cases.models import Child

    family = FamilyFactory.create(team=team)
    child = ChildFactory.create(family=family, date_of_birth=dt.date(2020, 1, 1))
    Child.objects.filter(pk=child.pk).update(legal_status="s20")
    labels = [e.pgh_diff for e in Events.objects.tracks(child).order_by("pgh_created_at")]
    assert any(d and "legal_status" in d for d in labels)
