"""Single sign-on against a real OpenID provider (npm `oidc-provider` under node), issue #12 §2.

No OAuth response is mocked: the product redirects to the provider, the provider's login page
signs the person in, the provider redirects back with a code, and the product exchanges it for
tokens over HTTP and checks the ID token's signature with the provider's keys.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.oidc import Provider, provider_login, provider_start

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/accounts/sso/callback/"
SAM_OID = "0b7f3c2a-4d1e-4f6a-9c8b-2e5d7a1f9c30"  # an Entra object id, as the provider sends it


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    running = provider_start(
        redirect_uris=[CALLBACK],
        accounts={
            "sam": {
                "email": "Sam.Whitlock@northmoor.example",
                "groups": ["grp-sw", "grp-other"],
                "oid": SAM_OID,
            },
            # Someone whose email matches a member of staff but whose object id nobody holds.
            "lookalike": {"email": "sam.whitlock@northmoor.example", "oid": "9d1e6b8c-0000-4000-8000-00000000dead"},
            "stranger": {"email": "stranger@elsewhere.example"},
            "gone": {"email": "gone@northmoor.example"},
        },
    )
    yield running
    running.stop()


@pytest.fixture
def sso(provider: Provider) -> Iterator[Provider]:
    with override_settings(**provider.settings()):
        yield provider


def sign_in_through(client: Any, provider: Provider, login: str) -> tuple[Any, str]:
    start = client.get(reverse("accounts:oidc-start"))
    assert start.status_code == 302 and start["Location"].startswith(provider.discovery["authorization_endpoint"])
    back = provider_login(provider, start["Location"], login)
    assert back.startswith(CALLBACK)
    return client.get(back.removeprefix("http://testserver")), back


def test_a_member_of_staff_signs_in_with_the_council_account_and_sees_their_cases(client, make_user, sso):
    sam = make_user(Role.SOCIAL_WORKER, username="sam.w", email="sam.whitlock@northmoor.example")
    response, _ = sign_in_through(client, sso, "sam")
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert home.wsgi_request.user == sam
    # The 12-hour limit applies: the sign-in time is recorded as for a password sign-in.
    assert "signed_in_at" in client.session
    # Roles stay managed in the product unless a group claim is configured.
    sam.refresh_from_db()
    assert [r.value for r in sam.roles] == ["social_worker"]


def test_roles_come_from_the_group_claim_when_configured(client, make_user, provider):
    sam = make_user(Role.READ_ONLY, username="sam.w", email="sam.whitlock@northmoor.example")
    with override_settings(
        **provider.settings(
            PLO_OIDC_ROLES_CLAIM="groups",
            PLO_OIDC_ROLE_MAP={"grp-sw": "social_worker"},
            OIDC_RP_SCOPES="openid email profile groups",
        )
    ):
        response, _ = sign_in_through(client, provider, "sam")
    assert response.status_code == 302
    sam = type(sam).objects.get(pk=sam.pk)
    assert sam.roles == frozenset({Role.SOCIAL_WORKER})


@pytest.mark.parametrize(
    ("login", "title"),
    [
        ("stranger", "Your account is not set up in this service"),
        ("gone", "Your account has been switched off"),
    ],
)
def test_unknown_and_deactivated_people_are_refused_with_a_plain_page(client, make_user, sso, caplog, login, title):
    gone = make_user(Role.SOCIAL_WORKER, username="gone", email="gone@northmoor.example", is_active=False)
    with caplog.at_level(logging.DEBUG):
        response, _ = sign_in_through(client, sso, login)
    assert response.status_code == 403
    assert title in response.content.decode()
    assert "_auth_user_id" not in client.session
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "single sign-on refused" in logged
    assert "@" not in logged and "stranger" not in logged and "gone" not in logged.replace("single sign-on", "")
    if login == "gone":
        assert f"(user {gone.pk})" in logged


def test_a_token_from_another_issuer_is_refused(client, make_user, provider, caplog):
    make_user(Role.SOCIAL_WORKER, username="sam.w", email="sam.whitlock@northmoor.example")
    # The product trusts a different issuer than the one that signed this token.
    with override_settings(**provider.settings(PLO_OIDC_ISSUER="https://login.council.example/tenant")):
        response, _ = sign_in_through(client, provider, "sam")
    assert response.status_code == 403
    assert "That sign-in came from the wrong place" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert "single sign-on refused: issuer" in caplog.text


def test_a_replayed_callback_is_refused(client, make_user, sso, caplog):
    make_user(Role.SOCIAL_WORKER, username="sam.w", email="sam.whitlock@northmoor.example")
    response, back = sign_in_through(client, sso, "sam")
    assert response.status_code == 302
    client.post(reverse("accounts:sign-out"))
    # The same code and state again (someone replaying the URL from a log or history).
    again = client.get(back.removeprefix("http://testserver"))
    assert again.status_code == 403
    assert "That sign-in link has already been used or has expired" in again.content.decode()
    assert "_auth_user_id" not in client.session
    assert "single sign-on refused: state" in caplog.text


def test_a_state_from_another_browser_is_refused(client, make_user, sso):
    make_user(Role.SOCIAL_WORKER, username="sam.w", email="sam.whitlock@northmoor.example")
    start = client.get(reverse("accounts:oidc-start"))
    back = provider_login(sso, start["Location"], "sam")
    from django.test import Client

    other = Client()
    response = other.get(back.removeprefix("http://testserver"))
    assert response.status_code == 403 and "_auth_user_id" not in other.session


def test_refused_sign_ins_count_towards_the_lockout(client, make_user, sso, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_user(Role.SOCIAL_WORKER, username="gone", email="gone@northmoor.example", is_active=False)
    response, _ = sign_in_through(client, sso, "gone")
    assert "switched off" in response.content.decode()
    # The second failure reaches the limit: django-axes answers with its lockout page.
    response, _ = sign_in_through(client, sso, "gone")
    assert response.status_code == 429 and "Too many" in response.content.decode()
    # Locked out: refused before any staff record is looked at.
    response, _ = sign_in_through(client, sso, "gone")
    assert response.status_code == 403 and "Too many failed sign-ins" in response.content.decode()


def test_password_sign_in_can_be_switched_off(client, make_user, sso):
    make_user(Role.SOCIAL_WORKER, username="pat", password="correct-horse-battery")
    with override_settings(PLO_PASSWORD_SIGN_IN=False):
        page = client.get(reverse("accounts:sign-in")).content.decode()
        assert "Sign in with your council account" in page and 'name="password"' not in page
        client.post(reverse("accounts:sign-in"), {"username": "pat", "password": "correct-horse-battery"})
        assert "_auth_user_id" not in client.session
    page = client.get(reverse("accounts:sign-in")).content.decode()
    assert "Sign in with your council account" in page and 'name="password"' in page
    client.post(reverse("accounts:sign-in"), {"username": "pat", "password": "correct-horse-battery"})
    assert "_auth_user_id" in client.session


def test_without_an_issuer_the_sign_in_page_offers_passwords_only(client):
    page = client.get(reverse("accounts:sign-in")).content.decode()
    assert "council account" not in page and 'name="password"' in page
    assert "Single sign-on is not set up" in client.get(reverse("accounts:oidc-start")).content.decode()


BY_ID = {"oid": SAM_OID.upper(), "sub": "sam"}  # the id as an administrator typed it on the staff page


@pytest.mark.parametrize("claim", ["oid", "sub"])
def test_a_member_of_staff_is_matched_by_their_object_id_not_their_email(client, make_user, provider, claim):
    # Their email changed at the council (a new surname) but their object id did not.
    sam = make_user(
        Role.SOCIAL_WORKER, username="sam.w", email="sam.hughes@northmoor.example", oidc_subject=BY_ID[claim]
    )
    with override_settings(**provider.settings(PLO_OIDC_MATCH_CLAIM=claim, PLO_OIDC_MATCH_FIELD="oidc_subject")):
        response, _ = sign_in_through(client, provider, "sam")
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.get("/").wsgi_request.user == sam


def test_an_object_id_nobody_holds_is_refused_even_when_the_email_matches(client, make_user, provider, caplog):
    make_user(Role.SOCIAL_WORKER, username="sam.w", email="sam.whitlock@northmoor.example", oidc_subject=SAM_OID)
    with override_settings(**provider.settings(PLO_OIDC_MATCH_CLAIM="oid", PLO_OIDC_MATCH_FIELD="oidc_subject")):
        response, _ = sign_in_through(client, provider, "lookalike")
    assert response.status_code == 403
    assert "Your account is not set up in this service" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert "single sign-on refused: unknown" in caplog.text
    assert "dead" not in caplog.text and "@" not in caplog.text  # neither the id nor the email is logged


def test_a_match_field_that_names_nothing_stops_the_service_starting(provider):
    from django.core import checks

    with override_settings(**provider.settings(PLO_OIDC_MATCH_FIELD="object_id")):
        errors = [m for m in checks.run_checks(tags=[checks.Tags.security]) if m.id == "accounts.E001"]
    assert errors and "PLO_OIDC_MATCH_FIELD must be one of email, username, oidc_subject" in errors[0].msg
