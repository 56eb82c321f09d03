"""Every change is attributable: the audit trail records who, when, what and through which request."""

from __future__ import annotations

import datetime as dt
from typing import Any

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

    # Restricted, and the head of service is not named: no row at all, and its records are not
    # found (issue 24 §8), as a restricted case answers everywhere else.
    cs.family_restrict(family=family, restricted=True, people=[tm], reason="Staff family", by=hos)
    for reader in (hos, admin):
        client.force_login(reader)
        for record, pk in (
            ("family", family.pk),
            ("child", family.children.get().pk),
            ("legal-advice", advice.pk),
            ("lpm-request", request.pk),
        ):
            response = client.get(url, {"record": record, "record_id": pk})
            assert response.status_code == 404, (reader.username, record)
            for content in ("Quill", "Zebedee", "Staff family", f"/families/{family.pk}/"):
                assert content not in response.content.decode(), (reader.username, record, content)
    # Named on it, a head of service reads its history in full again.
    from cases.models import FamilyRestriction

    FamilyRestriction.objects.create(family=family, user=hos)
    client.force_login(hos)
    html = client.get(url, {"record": "family", "record_id": family.pk}).content.decode()
    assert "Staff family" in html and "Quill" in html


def test_an_administrator_sees_no_row_about_a_restricted_case_she_is_not_named_on(client, make_user, team):
    """Looking up a person's staff record lists the rows of records pointing at them: a restricted
    case's restriction rows (which would say it is restricted and who is named) and its own rows
    are not among them, nor are its request paths (issue 24 §8, docs/security.md)."""
    from pghistory.models import Events

    sw = make_user(Role.SOCIAL_WORKER, username="sid.sw", first_name="Sid", last_name="Worker")
    tm = make_user(Role.TEAM_MANAGER, username="tia.tm")
    hos = make_user(Role.HEAD_OF_SERVICE, username="hal.hos", team=None)
    admin = make_user(Role.ADMINISTRATOR, username="ada.audit")
    open_family = FamilyFactory.create(team=team, social_worker=sw, team_manager=tm, name="Open family")
    hidden = FamilyFactory.create(team=team, social_worker=sw, team_manager=tm, name="Hidden family")
    ChildFactory.create(family=hidden, first_name="Zebedee")
    client.force_login(hos)
    response = client.post(
        reverse("cases:family-restriction", args=[hidden.pk]),
        {"restricted": "on", "restricted_to": [sw.pk, tm.pk], "reason": "Staff family", "version": hidden.version},
    )
    assert response.status_code == 302
    hidden.refresh_from_db()
    assert hidden.restricted
    # The rows exist: the restriction and the family's own, from that request.
    restriction_rows = Events.objects.filter(pgh_obj_model="cases.FamilyRestriction")
    assert restriction_rows.count() >= 2
    url = reverse("audit-history")
    client.force_login(admin)
    for record, pk in (("staff", sw.pk), ("staff", tm.pk), ("team", team.pk)):
        html = client.get(url, {"record": record, "record_id": pk}).content.decode()
        assert f"/families/{hidden.pk}/" not in html, (record, pk)
        assert "FamilyRestriction" not in html, (record, pk)
        assert f"Family {hidden.pk}:" not in html, (record, pk)
    html = client.get(url, {"record": "staff", "record_id": sw.pk}).content.decode()
    assert f"Family {open_family.pk}:" in html  # the open case's rows are still there
    assert client.get(url, {"record": "family", "record_id": hidden.pk}).status_code == 404
    assert client.get(url, {"record": "family", "record_id": open_family.pk}).status_code == 200
    # Named on it, the social worker's record still lists them for a reader named on the case.
    from plo_tracker.record_scopes import audit_entries_visible_to

    mine = {e.pgh_obj_model for e in audit_entries_visible_to(tm, sw)}
    theirs = {e.pgh_obj_model for e in audit_entries_visible_to(admin, sw)}
    assert "cases.FamilyRestriction" in mine and "cases.FamilyRestriction" not in theirs
    assert {e.pgh_obj_id for e in audit_entries_visible_to(admin, sw) if e.pgh_obj_model == "cases.Family"} == {
        str(open_family.pk)
    }


def test_bulk_changes_are_audited_too(make_user, team):
    """A queryset update (no save()) still leaves a trail: pghistory uses database triggers."""
    from pghistory.models import Events

    from cases.models import Child

    family = FamilyFactory.create(team=team)
    child = ChildFactory.create(family=family, date_of_birth=dt.date(2020, 1, 1))
    Child.objects.filter(pk=child.pk).update(legal_status="s20")
    labels = [e.pgh_diff for e in Events.objects.tracks(child).order_by("pgh_created_at")]
    assert any(d and "legal_status" in d for d in labels)


def _family_path(model, depth: int = 4) -> str | None:
    """The shortest chain of foreign keys from a model to cases.Family (None if there is none)."""
    from django.db import models as m

    from cases.models import Family

    queue = [(model, "")]
    for _ in range(depth + 1):
        following = []
        for current, path in queue:
            if current is Family:
                return path
            for field in current._meta.concrete_fields:
                related = field.related_model if isinstance(field, m.ForeignKey) else None
                if isinstance(related, type) and related._meta.app_label != "accounts":
                    following.append((related, f"{path}{field.name}__"))
        queue = following
    return None


def test_every_audited_record_kind_tied_to_a_family_is_hidden_with_a_restricted_case():
    """A new audited model under a family must be added to FAMILY_PATHS, or its rows would show an
    administrator a restricted case she is not named on."""
    import pghistory.models
    from django.apps import apps

    from plo_tracker.record_scopes import FAMILY_PATHS

    tracked: set[Any] = {
        m.pgh_tracked_model
        for m in apps.get_models()
        if issubclass(m, pghistory.models.Event) and getattr(m, "pgh_tracked_model", None) is not None
    }
    tied = {t._meta.label: path for t in tracked if (path := _family_path(t)) is not None}
    assert "cases.Hearing" in tied and "cases.Family" in tied  # the walk finds what it should
    assert set(tied) == set(FAMILY_PATHS), sorted(set(tied) ^ set(FAMILY_PATHS))
    for label, path in FAMILY_PATHS.items():
        apps.get_model(label)._default_manager.filter(**{f"{path}pk": 1}).exists()  # the path resolves
