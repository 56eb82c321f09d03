"""Every change is attributable: the audit trail records who, when, what and through which request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from cases import services as cs
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

    hos = make_user(Role.HEAD_OF_SERVICE, username="helen.hos", team=None)
    client.force_login(hos)
    html = client.get(reverse("audit-history"), {"record": "child", "record_id": child.pk}).content.decode()
    assert "Sam Social (sam.social)" in html
    assert f"POST /cases/children/{child.pk}/edit/" in html
    assert "first_name" in html and "Mia" in html and "Amelia" in html

    # The administrator sees that the change happened, by whom and when, but no case content.
    admin = make_user(Role.ADMINISTRATOR, username="ada.admin")
    client.force_login(admin)
    html = client.get(reverse("audit-history"), {"record": "child", "record_id": child.pk}).content.decode()
    assert "Sam Social (sam.social)" in html
    assert f"POST /cases/children/{child.pk}/edit/" in html
    assert "details withheld" in html
    for content in ("Mia", "Amelia", "LL7001", family.name):
        assert content not in html, content


def test_only_administrators_and_heads_of_service_can_read_the_audit_trail(client, make_user):
    for role in (Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.LEGAL_ADVISER, Role.READ_ONLY):
        client.force_login(make_user(role))
        assert client.get(reverse("audit-history")).status_code == 403


def test_privileged_advice_and_restricted_cases_show_only_to_readers_of_the_record(client, make_user, team):
    """Issue 9 §3: legal advice and a restricted case's history show what changed only to people
    who may read that record itself; others see a change happened, by whom and when."""
    import datetime as dt

    import pghistory

    from meetings import services as ms

    tm = make_user(Role.TEAM_MANAGER, username="tm")
    hos = make_user(Role.HEAD_OF_SERVICE, username="hos", team=None)
    legal = make_user(Role.LEGAL_ADVISER, username="leo.legal", first_name="Leo", last_name="Legal", team=None)
    admin = make_user(Role.ADMINISTRATOR, username="ada.admin")
    family = FamilyFactory.create(team=team, team_manager=tm, name="Quill family")
    ChildFactory.create(family=family, first_name="Zebedee")
    docs = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment"), ("present", ""))
    today = dt.date(2027, 2, 1)
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2027, 1, 4),
        recommendation="pre_proceedings",
        concerns="x",
        documents=docs,
        by=tm,
        today=today,
    )
    ms.lpm_request_decide(
        request=request, expected_version=None, status="approved", decided_on=dt.date(2027, 1, 5), by=hos, today=today
    )
    lpm = ms.lpm_list(episode=request.episode, panel_date=dt.date(2027, 1, 7), by=tm, today=today)
    with pghistory.context(user=legal.pk):  # as the page's request would attach it
        advice = ms.legal_advice_record(lpm=lpm, advice="Draft advice", minutes="", by=legal, expected_version=None)
        advice = ms.legal_advice_record(
            lpm=lpm,
            advice="Threshold crossed: privileged",
            minutes="Minutes: privileged",
            by=legal,
            expected_version=advice.version,
        )
    url = reverse("audit-history")
    client.force_login(admin)
    html = client.get(url, {"record": "legal-advice", "record_id": advice.pk}).content.decode()
    assert "Leo Legal (leo.legal)" in html and "details withheld" in html
    assert "Threshold crossed" not in html and "Minutes: privileged" not in html
    client.force_login(hos)
    html = client.get(url, {"record": "legal-advice", "record_id": advice.pk}).content.decode()
    assert "Threshold crossed: privileged" in html

    # Restricted, and the head of service is not named: only who and when.
    cs.family_restrict(family=family, restricted=True, people=[tm], reason="Staff family", by=hos)
    for reader in (hos, admin):
        client.force_login(reader)
        for record, pk in (("family", family.pk), ("child", family.children.get().pk)):
            html = client.get(url, {"record": record, "record_id": pk}).content.decode()
            assert "details withheld" in html, (reader.username, record)
            for content in ("Quill", "Zebedee", "Staff family"):
                assert content not in html, (reader.username, record, content)


def test_bulk_changes_are_audited_too(make_user, team):
    """A queryset update (no save()) still leaves a trail: pghistory uses database triggers."""
    from pghistory.models import Events

    from cases.models import Child

    family = FamilyFactory.create(team=team)
    child = ChildFactory.create(family=family, date_of_birth=dt.date(2020, 1, 1))
    Child.objects.filter(pk=child.pk).update(legal_status="s20")
    labels = [e.pgh_diff for e in Events.objects.tracks(child).order_by("pgh_created_at")]
    assert any(d and "legal_status" in d for d in labels)
