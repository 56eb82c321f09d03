"""Invitations, passwords and the second factor (issue 24 §1), as staff and administrators see them."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import credentials
from accounts.models import Invitation, User
from accounts.roles import Role
from accounts.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/sign-in/"
NEW_PASSWORD = "lantern-orchard-pebble-91"


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    """Production's rule: password sign-in always asks for the second factor."""
    settings.PLO_PASSWORD_2FA_REQUIRED = True


@pytest.fixture
def eager_celery():
    """Run the email job in-process when the outbox publishes it after commit."""
    from plo_tracker.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def admin_client(make_user):
    """An administrator's browser (its own client: `client` stays the worker's)."""
    admin = make_user(Role.ADMINISTRATOR, username="ada.admin", team=None)
    browser = Client()
    browser.force_login(admin)
    browser.admin = admin  # type: ignore[attr-defined]  # the test's own note of who signed in
    return browser


def new_starter(make_user, **kwargs):
    """A social worker added on the staff pages: no password yet."""
    user = make_user(Role.SOCIAL_WORKER, username=kwargs.pop("username", "nina.new"), **kwargs)
    user.set_unusable_password()
    user.save()
    return user


def link_in(message) -> str:
    match = re.search(r"http://\S+/accounts/set-up/\?token=(\S+)", message.body)
    assert match, message.body
    return match.group(1)


def invite(admin_client, person, django_capture_on_commit_callbacks) -> str:
    """The administrator presses "Send an invitation"; returns the emailed token."""
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("accounts:staff-invite", args=[person.pk]))
    assert response.status_code == 302
    return link_in(mail.outbox[-1])


def set_up(client, token: str, password: str = NEW_PASSWORD) -> pyotp.TOTP:
    """Follow the link, choose a password, enrol an authenticator; returns the app's TOTP."""
    assert client.post(reverse("accounts:set-up"), {"token": token}).status_code == 302
    response = client.post(
        reverse("accounts:set-up-password"), {"new_password": password, "confirm_password": password}
    )
    assert response.status_code == 302, response.content.decode()
    html = client.get(reverse("accounts:set-up-second-factor")).content.decode()
    found = re.search(r'data-testid="secret">([A-Z2-7 ]+)<', html)
    assert found, html
    secret = found.group(1).replace(" ", "")
    totp = pyotp.TOTP(secret)
    response = client.post(reverse("accounts:set-up-second-factor"), {"code": totp.now()})
    assert response.status_code == 302, response.content.decode()
    return totp


def test_an_invitation_email_carries_a_single_use_link_that_expires_in_72_hours(
    admin_client, make_user, eager_celery, django_capture_on_commit_callbacks
):
    person = new_starter(make_user, first_name="Nina", last_name="Newton")
    invite(admin_client, person, django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.to == [person.email]
    assert message.subject == "Set up your PLO Tracker account"
    assert "Your username is: nina.new" in message.body
    invitation = Invitation.objects.get(user=person)
    expected = timezone.localtime(invitation.created_at + timedelta(hours=72)).strftime("%H:%M on %-d %b %Y")
    assert f"The link works once, and until {expected}" in message.body
    # The database holds no usable link: the token is an HMAC of the id and a nonce.
    assert invitation.nonce not in message.body


def test_the_staff_list_shows_each_persons_true_sign_in_state(
    admin_client, make_user, eager_celery, django_capture_on_commit_callbacks, settings
):
    invited = new_starter(make_user, username="ivy.invited", last_name="Aaron")
    enrolled = new_starter(make_user, username="eve.enrolled", last_name="Baker")
    switched_off = make_user(Role.SOCIAL_WORKER, username="otto.off", is_active=False)
    never = new_starter(make_user, username="nora.never")
    with time_machine.travel("2026-12-06 14:00 +00:00"):
        set_up(Client(), invite(admin_client, enrolled, django_capture_on_commit_callbacks))
        invite(admin_client, invited, django_capture_on_commit_callbacks)
        html = admin_client.get(reverse("accounts:staff-list")).content.decode()
    rows = {}
    for u in (invited, enrolled, switched_off, never):
        found = re.search(rf">{re.escape(u.username)}</td>.*?data-testid=\"sign-in-state\">(.*?)</td>", html, re.S)
        assert found, u.username
        rows[u.username] = found.group(1)
    assert "Invited (link expires 9 Dec 2026 14:00)" in rows["ivy.invited"]
    assert "Password and second factor" in rows["eve.enrolled"]
    assert "Cannot sign in" in rows["otto.off"] and "Switched off" in rows["otto.off"]
    assert "Cannot sign in" in rows["nora.never"]
    assert "Can sign in" not in html
    # With single sign-on matching by id, a person with an id signs in that way.
    settings.PLO_OIDC_ISSUER = "https://login.council.example/"
    settings.PLO_OIDC_MATCH_FIELD = "oidc_subject"
    never.oidc_subject = "0b7f3c2a-4d1e-4f6a-9c8b-2e5d7a1f9c30"
    never.save()
    assert credentials.sign_in_status(never).label == "Single sign-on"


def test_an_invited_worker_sets_a_password_and_a_second_factor_then_signs_in_with_both(
    admin_client, make_user, client, eager_celery, django_capture_on_commit_callbacks
):
    person = new_starter(make_user)
    token = invite(admin_client, person, django_capture_on_commit_callbacks)
    worker = Client()
    totp = set_up(worker, token)
    # Signed in straight after enrolling, and shown ten recovery codes once.
    page = worker.get(reverse("accounts:recovery-codes")).content.decode()
    codes = re.findall(r"<li><code>(\w+)</code></li>", page)
    assert len(codes) == 10
    assert "<li><code>" not in worker.get(reverse("accounts:recovery-codes")).content.decode()
    # Password sign-in now has a second step; the password alone does not sign in.
    response = client.post(SIGN_IN, {"username": "nina.new", "password": NEW_PASSWORD})
    assert response["Location"] == reverse("accounts:second-factor")
    assert client.get("/").status_code == 302  # not signed in yet
    TOTPDevice.objects.filter(user=person).update(last_t=-1)  # the enrolment's code was this window's
    response = client.post(reverse("accounts:second-factor"), {"code": totp.now()})
    assert response.status_code == 302
    assert "My cases" in client.get("/", follow=True).content.decode()


def test_recovery_codes_work_once_each(
    admin_client, make_user, client, eager_celery, django_capture_on_commit_callbacks
):
    person = new_starter(make_user)
    set_up(Client(), invite(admin_client, person, django_capture_on_commit_callbacks))
    code = StaticToken.objects.filter(device__user=person).first().token
    for attempt in range(2):
        client.logout()
        client.post(SIGN_IN, {"username": "nina.new", "password": NEW_PASSWORD})
        response = client.post(reverse("accounts:second-factor"), {"code": code})
        if attempt == 0:
            assert response.status_code == 302
        else:
            assert response.status_code == 200
            assert "That code is not right" in response.content.decode()
    assert StaticToken.objects.filter(device__user=person).count() == 9


def test_the_link_cannot_be_used_twice_or_after_it_expires(
    admin_client, make_user, eager_celery, django_capture_on_commit_callbacks
):
    person = new_starter(make_user)
    token = invite(admin_client, person, django_capture_on_commit_callbacks)
    set_up(Client(), token)
    again = Client().get(reverse("accounts:set-up"), {"token": token})
    assert again.status_code == 410
    assert "already been used" in again.content.decode()

    other = new_starter(make_user, username="late.larry")
    late = invite(admin_client, other, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1)):
        response = Client().get(reverse("accounts:set-up"), {"token": late})
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    # A forged or altered token is refused like an unknown one.
    forged = late[:-1] + ("0" if late[-1] != "0" else "1")
    assert Client().get(reverse("accounts:set-up"), {"token": forged}).status_code == 410


def test_a_new_invitation_withdraws_the_old_link(
    admin_client, make_user, eager_celery, django_capture_on_commit_callbacks
):
    person = new_starter(make_user)
    first = invite(admin_client, person, django_capture_on_commit_callbacks)
    invite(admin_client, person, django_capture_on_commit_callbacks)
    response = Client().get(reverse("accounts:set-up"), {"token": first})
    assert response.status_code == 410
    assert "replaced by a newer one" in response.content.decode()


def test_the_password_must_pass_djangos_validators_and_nothing_typed_elsewhere_is_lost(
    admin_client, make_user, eager_celery, django_capture_on_commit_callbacks
):
    person = new_starter(make_user)
    token = invite(admin_client, person, django_capture_on_commit_callbacks)
    worker = Client()
    worker.post(reverse("accounts:set-up"), {"token": token})
    response = worker.post(reverse("accounts:set-up-password"), {"new_password": "short", "confirm_password": "short"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "This password is too short. It must contain at least 12 characters." in html
    response = worker.post(
        reverse("accounts:set-up-password"), {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "x"}
    )
    assert "The two passwords are different" in response.content.decode()
    person.refresh_from_db()
    assert not person.has_usable_password()


def test_a_wrong_code_counts_towards_the_lockout(
    admin_client, make_user, client, eager_celery, django_capture_on_commit_callbacks
):
    person = new_starter(make_user)
    totp = set_up(Client(), invite(admin_client, person, django_capture_on_commit_callbacks))
    for _ in range(9):
        client.post(SIGN_IN, {"username": "nina.new", "password": NEW_PASSWORD})
        response = client.post(reverse("accounts:second-factor"), {"code": "000000"})
    assert response.status_code == 200
    client.post(SIGN_IN, {"username": "nina.new", "password": NEW_PASSWORD})
    locked = client.post(reverse("accounts:second-factor"), {"code": "000001"})
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    # Locked: even the right password and code do not sign in.
    TOTPDevice.objects.filter(user=person).update(last_t=-1, throttling_failure_count=0)
    response = client.post(SIGN_IN, {"username": "nina.new", "password": NEW_PASSWORD})
    assert response.status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        client.post(SIGN_IN, {"username": "nina.new", "password": NEW_PASSWORD})
        assert client.post(reverse("accounts:second-factor"), {"code": totp.now()}).status_code == 302


def test_a_password_user_without_a_second_factor_cannot_sign_in_with_the_password_alone(client, make_user, settings):
    make_user(Role.SOCIAL_WORKER, username="pat.password")
    response = client.post(SIGN_IN, {"username": "pat.password", "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "second factor is not set up yet" in response.content.decode()
    assert client.get("/").status_code == 302
    # The embedded demo's relaxation lets them in with the password alone.
    settings.PLO_PASSWORD_2FA_REQUIRED = False
    assert client.post(SIGN_IN, {"username": "pat.password", "password": TEST_PASSWORD}).status_code == 302
    assert client.get("/").status_code == 200


def test_the_second_step_expires_after_five_minutes(
    admin_client, make_user, client, eager_celery, django_capture_on_commit_callbacks
):
    person = new_starter(make_user)
    totp = set_up(Client(), invite(admin_client, person, django_capture_on_commit_callbacks))
    client.post(SIGN_IN, {"username": "nina.new", "password": NEW_PASSWORD})
    TOTPDevice.objects.filter(user=person).update(last_t=-1)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = client.post(reverse("accounts:second-factor"), {"code": totp.now()})
    assert "Enter the code from your authenticator app within 5 minutes" in response.content.decode()
    assert client.get("/").status_code == 302


def test_password_reset_never_says_whether_an_address_exists(
    client, make_user, eager_celery, django_capture_on_commit_callbacks
):
    make_user(Role.SOCIAL_WORKER, username="rita.reset", email="rita@council.example")
    answers = []
    for email in ("rita@council.example", "nobody@council.example"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:password-reset"), {"email": email})
        answers.append(response.content.decode().replace("csrfmiddlewaretoken", ""))
    assert answers[0] == answers[1]
    assert "Check your email" in answers[0]
    assert [m.to for m in mail.outbox] == [["rita@council.example"]]
    assert mail.outbox[0].subject == "Reset your PLO Tracker password"


def test_a_reset_keeps_the_second_factor_and_then_asks_for_it(
    admin_client, make_user, client, eager_celery, django_capture_on_commit_callbacks
):
    person = new_starter(make_user)
    totp = set_up(Client(), invite(admin_client, person, django_capture_on_commit_callbacks))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password-reset"), {"email": person.email})
    token = link_in(mail.outbox[-1])
    client.post(reverse("accounts:set-up"), {"token": token})
    changed = "quiet-harbour-lamp-2027"
    response = client.post(reverse("accounts:set-up-password"), {"new_password": changed, "confirm_password": changed})
    assert response["Location"] == reverse("accounts:sign-in")
    assert client.get(reverse("accounts:set-up"), {"token": token}).status_code == 410
    response = client.post(SIGN_IN, {"username": "nina.new", "password": changed})
    assert response["Location"] == reverse("accounts:second-factor")
    TOTPDevice.objects.filter(user=person).update(last_t=-1)
    assert client.post(reverse("accounts:second-factor"), {"code": totp.now()}).status_code == 302


def test_single_sign_on_users_never_get_a_password(
    admin_client, make_user, client, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.PLO_OIDC_ISSUER = "https://login.council.example/"
    settings.PLO_OIDC_MATCH_FIELD = "oidc_subject"
    person = new_starter(make_user, username="sso.sam", oidc_subject="5a1b")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("accounts:staff-invite", args=[person.pk]))
    message = mail.outbox[-1]
    assert "You sign in with your council account" in message.body
    assert "set-up" not in message.body
    assert not Invitation.objects.filter(user=person).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password-reset"), {"email": person.email})
    assert len(mail.outbox) == 1
    person.refresh_from_db()
    assert not person.has_usable_password()


def test_inviting_everyone_new_after_an_import(
    admin_client, make_user, eager_celery, django_capture_on_commit_callbacks
):
    a = new_starter(make_user, username="imp.one")
    b = new_starter(make_user, username="imp.two")
    make_user(Role.SOCIAL_WORKER, username="old.hand", last_login=timezone.now())
    page = admin_client.get(reverse("accounts:staff-invite-all")).content.decode()
    assert "imp.one" in page and "imp.two" in page and "old.hand" not in page
    assert "ada.admin" not in page  # force_login signed the administrator in
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("accounts:staff-invite-all"), follow=True)
    assert "2 invitations sent" in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([a.email, b.email])
    # Nobody is invited twice: they now have a live link.
    assert "Everyone who is switched on" in admin_client.get(reverse("accounts:staff-invite-all")).content.decode()


def test_invite_staff_command(make_user, eager_celery, django_capture_on_commit_callbacks, capsys):
    admin = make_user(Role.ADMINISTRATOR, username="ada.admin", team=None)
    person = new_starter(make_user)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("invite_staff", "nina.new", "--by", "ada.admin")
    assert "nina.new: invitation emailed" in capsys.readouterr().out
    assert mail.outbox[-1].to == [person.email]
    invitation = Invitation.objects.get(user=person)
    assert invitation.created_by == admin
    event = invitation.events.order_by("pgh_id").first()  # type: ignore[attr-defined]  # pghistory's events
    assert event.pgh_context.metadata["user"] == admin.pk


def test_revoking_ends_sessions_and_forces_re_enrolment(
    admin_client, make_user, client, eager_celery, django_capture_on_commit_callbacks
):
    person = new_starter(make_user)
    token = invite(admin_client, person, django_capture_on_commit_callbacks)
    worker = Client()
    set_up(worker, token)
    assert worker.get("/").status_code == 200
    page = admin_client.get(reverse("accounts:staff-edit", args=[person.pk])).content.decode()
    assert "Sign them out and remove their second factor" in page
    response = admin_client.post(reverse("accounts:staff-revoke", args=[person.pk]), follow=True)
    assert "signed out of 1 session" in response.content.decode()
    assert worker.get("/").status_code == 302
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not StaticToken.objects.filter(device__user=person).exists()
    response = client.post(SIGN_IN, {"username": "nina.new", "password": NEW_PASSWORD})
    assert "second factor is not set up yet" in response.content.decode()
    assert credentials.sign_in_status(User.objects.get(pk=person.pk)).label == "Cannot sign in"
    # Audited with who did it.
    event = person.events.order_by("-pgh_id").first()
    assert event.second_factor_enrolled_at is None
    assert event.pgh_context.metadata["user"] == admin_client.admin.pk
    assert not Session.objects.filter(session_key=worker.session.session_key).exists()


def test_the_admin_site_refuses_signed_in_staff_who_are_not_administrators(client_as):
    client = client_as(Role.SOCIAL_WORKER)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()
    client.logout()
    assert client_as(Role.ADMINISTRATOR, team=None).get("/admin/").status_code == 200


def test_check_deploy_warns_when_the_second_factor_is_relaxed(settings):
    from accounts.checks import second_factor_check

    settings.PLO_PASSWORD_2FA_REQUIRED = True
    assert second_factor_check() == []
    settings.PLO_PASSWORD_2FA_REQUIRED = False
    assert [m.id for m in second_factor_check()] == ["accounts.W002"]
