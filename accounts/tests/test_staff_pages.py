"""Staff, teams and roles on the product's own pages (issue #12 §1)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pghistory.models import Events

from accounts.models import ServiceArea, Team, User
from accounts.roles import Role
from accounts.tests.factories import TEST_PASSWORD
from cases.models import Family
from cases.tests.factories import FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, username="ada.admin", team=None)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_an_administrator_adds_a_team_and_a_social_worker_with_several_roles(admin_client, admin, make_user):
    area = ServiceArea.objects.create(name="Safeguarding North")
    tm = make_user(Role.TEAM_MANAGER, username="tara")
    response = admin_client.post(
        reverse("accounts:team-add"), {"name": "Riverside Team", "service_area": area.pk, "managers": [tm.pk]}
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Riverside Team")
    assert list(team.managers.all()) == [tm] and team.service_area == area
    response = admin_client.post(
        reverse("accounts:staff-add"),
        {
            "first_name": "Sam",
            "last_name": "Whitlock",
            "username": "sam.w",
            "email": "sam@council.example",
            "team": team.pk,
            "roles": ["social_worker", "business_support"],
        },
    )
    assert response.status_code == 302
    sam = User.objects.get(username="sam.w")
    assert sam.team == team and sam.roles == {Role.SOCIAL_WORKER, Role.BUSINESS_SUPPORT}
    assert not sam.has_usable_password()  # signs in with single sign-on, or a password set by IT
    page = admin_client.get(reverse("accounts:staff-list")).content.decode()
    assert "Sam Whitlock" in page and "Social worker, Business support" in page
    # Audited under the administrator: the person, their roles and the team's managers.
    for model_events in (
        Events.objects.references(sam).filter(pgh_label="insert"),
        Events.objects.references(team),
    ):
        assert model_events.exists()
        assert {e.pgh_context["user"] for e in model_events} == {admin.pk}
    from accounts.models import UserRoleEvent  # type: ignore[attr-defined]  # made by pghistory at run time

    role_events = UserRoleEvent.objects.filter(user=sam).select_related("pgh_context")
    assert [e.pgh_context.metadata["user"] for e in role_events] == [admin.pk, admin.pk]


def test_a_duplicate_username_or_email_is_shown_beside_its_field(admin_client, make_user):
    make_user(Role.SOCIAL_WORKER, username="sam.w", email="sam@council.example")
    page = admin_client.post(
        reverse("accounts:staff-add"),
        {
            "first_name": "Sam",
            "last_name": "Other",
            "username": "SAM.W",
            "email": "Sam@Council.example",
            "roles": ["social_worker"],
        },
    ).content.decode()
    assert "Someone already has this username" in page and "Someone already has this email address" in page
    assert 'value="Other"' in page  # what was typed is kept


def test_the_last_administrator_cannot_remove_their_own_role_or_switch_themselves_off(admin_client, admin):
    url = reverse("accounts:staff-edit", args=[admin.pk])
    base = {"first_name": "Ada", "last_name": "Admin", "email": "ada@council.example", "active": "on"}
    page = admin_client.post(url, {**base, "roles": ["read_only"]}).content.decode()
    assert "This is the last administrator" in page
    page = admin_client.post(url, {**base, "roles": ["administrator"], "active": ""}).content.decode()
    assert "This is the last administrator" in page
    admin.refresh_from_db()
    assert admin.is_active and User.objects.get(pk=admin.pk).has_role(Role.ADMINISTRATOR)


def test_a_deactivated_person_keeps_their_history_and_cannot_sign_in(admin_client, make_user, client):
    sam = make_user(Role.SOCIAL_WORKER, username="sam.w")
    reference = FamilyFactory(social_worker=sam, team=sam.team).reference
    family_pk = Family.objects.get(reference=reference).pk
    response = admin_client.post(
        reverse("accounts:staff-edit", args=[sam.pk]),
        {
            "first_name": sam.first_name,
            "last_name": sam.last_name,
            "email": sam.email,
            "team": sam.team_id,
            "roles": ["social_worker"],
            "active": "",
        },
    )
    assert response.status_code == 302
    sam.refresh_from_db()
    assert not sam.is_active
    assert Family.objects.get(pk=family_pk).social_worker == sam  # their name stays on the record
    admin_client.post(reverse("accounts:sign-out"))
    page = client.post(reverse("accounts:sign-in"), {"username": "sam.w", "password": TEST_PASSWORD})
    assert "_auth_user_id" not in client.session and page.status_code == 200


def test_moving_a_worker_between_teams(admin_client, make_user):
    other = Team.objects.create(name="Hillside Team")
    tm = make_user(Role.TEAM_MANAGER, username="tara")
    old = tm.team
    assert tm in old.managers.all()
    admin_client.post(
        reverse("accounts:staff-edit", args=[tm.pk]),
        {
            "first_name": "Tara",
            "last_name": "M",
            "email": tm.email,
            "team": other.pk,
            "roles": ["team_manager"],
            "active": "on",
        },
    )
    tm.refresh_from_db()
    assert tm.team == other
    assert tm in other.managers.all() and tm not in old.managers.all()


def test_a_leavers_whole_caseload_moves_in_one_step(admin_client, make_user):
    leaver = make_user(Role.SOCIAL_WORKER, username="leaver")
    newcomer = make_user(Role.SOCIAL_WORKER, username="newcomer")
    family_pks = [
        Family.objects.get(reference=FamilyFactory(social_worker=leaver, team=leaver.team).reference).pk
        for _ in range(3)
    ]
    url = reverse("accounts:staff-reallocate", args=[leaver.pk])
    page = admin_client.post(url, {}).content.decode()
    assert "Choose who takes on the families allocated to them" in page
    response = admin_client.post(url, {"social_worker": newcomer.pk})
    assert response.status_code == 302
    for family in Family.objects.filter(pk__in=family_pks):
        assert family.social_worker == newcomer
        assert Events.objects.references(family).filter(pgh_label="update").exists()


def test_an_administrator_records_a_single_sign_on_id_and_a_duplicate_is_refused(admin_client, make_user):
    make_user(Role.SOCIAL_WORKER, username="kim", oidc_subject="0b7f3c2a-4d1e-4f6a-9c8b-2e5d7a1f9c30")
    sam = make_user(Role.SOCIAL_WORKER, username="sam.w")
    url = reverse("accounts:staff-edit", args=[sam.pk])
    base = {
        "first_name": "Sam",
        "last_name": "Whitlock",
        "email": sam.email,
        "team": sam.team_id,
        "roles": ["social_worker"],
        "active": "on",
    }
    # The same id in capitals (as copied from another screen) is still the same id.
    page = admin_client.post(url, {**base, "oidc_subject": "0B7F3C2A-4D1E-4F6A-9C8B-2E5D7A1F9C30"}).content.decode()
    assert "Someone already has this single sign-on id" in page
    assert 'value="0B7F3C2A-4D1E-4F6A-9C8B-2E5D7A1F9C30"' in page  # what was typed is kept
    response = admin_client.post(url, {**base, "oidc_subject": " 5e2a9d10-7c4b-4b0e-a1f2-6d3c8e9b7a41 "})
    assert response.status_code == 302
    sam.refresh_from_db()
    assert sam.oidc_subject == "5e2a9d10-7c4b-4b0e-a1f2-6d3c8e9b7a41"
    assert "5e2a9d10-7c4b-4b0e-a1f2-6d3c8e9b7a41" in admin_client.get(url).content.decode()


def test_the_database_refuses_two_people_with_one_single_sign_on_id(make_user):
    from django.db import IntegrityError, transaction

    make_user(Role.SOCIAL_WORKER, username="kim", oidc_subject="abc-123")
    make_user(Role.SOCIAL_WORKER, username="lee", oidc_subject="")
    make_user(Role.SOCIAL_WORKER, username="max", oidc_subject="")  # blank is "none", not a duplicate
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user(Role.SOCIAL_WORKER, username="sam", oidc_subject="ABC-123")


@pytest.mark.parametrize("hidden", ["\x01", "\x1b", "\u202e", "\x7f", " \x08"])
def test_a_name_that_is_an_existing_one_plus_a_control_character_is_a_duplicate(admin_client, admin, hidden):
    """Issue 24 §8: the text is cleaned (plo_tracker.text) before its uniqueness is checked, in the
    form and in the service, so "North" plus a hidden character is "North": a form error, not a 500."""
    from django.core.exceptions import ValidationError

    from accounts import staff

    area = ServiceArea.objects.create(name="Northern area")
    Team.objects.create(name="North", service_area=area)
    teams, areas = Team.objects.count(), ServiceArea.objects.count()
    for url, data, message in (
        (reverse("accounts:team-add"), {"name": f"North{hidden}", "service_area": area.pk}, "already a team"),
        (reverse("accounts:area-add"), {"name": f"{hidden}northern area"}, "already a service area"),
    ):
        response = admin_client.post(url, data)
        assert response.status_code == 200
        html = response.content.decode()
        assert "govuk-error-summary" in html and message in html
    assert Team.objects.count() == teams and ServiceArea.objects.count() == areas
    # The service alone (an import, the shell) answers the same.
    with pytest.raises(ValidationError) as error:
        staff.team_save(team=None, name=f"North{hidden}", service_area=area, managers=[], by=admin)
    assert error.value.message_dict == {"name": ["There is already a team with this name"]}
    with pytest.raises(ValidationError):
        staff.service_area_save(area=None, name=f"Northern area{hidden}", managers=[], by=admin)
