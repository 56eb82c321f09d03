"""Acceptance (issue 24 §1): an administrator invites a new social worker; the emailed link sets a
password and enrols an authenticator app (codes computed with pyotp); the worker signs in with
both and sees their caseload; the link cannot be used twice, nor after it expires."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.credentials import staff_invite
from accounts.models import User
from accounts.roles import Role
from cases.tests.factories import FamilyFactory
from conftest import axe_violations, sign_in
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "lantern-orchard-pebble-91"


@pytest.fixture
def eager_celery():
    """The outbox runs the email job in the live server's thread after commit (no worker here)."""
    from plo_tracker.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


def emailed_link(base: str) -> str:
    match = re.search(r"http://\S+(/accounts/set-up/\?token=\S+)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return base + match.group(1)


def test_an_invited_social_worker_sets_up_a_password_and_second_factor_and_sees_their_caseload(
    page, live_server, make_user, settings, eager_celery
):
    base = live_server.url
    settings.PLO_OIDC_ISSUER = "https://login.council.example/"  # so the list can show a single sign-on user
    settings.PLO_OIDC_MATCH_FIELD = "oidc_subject"
    admin = make_user(Role.ADMINISTRATOR, username="ada.admin", first_name="Ada", last_name="Admin", team=None)
    make_user(Role.TEAM_MANAGER, username="sso.tom", first_name="Tom", last_name="Single", oidc_subject="5a1b-77")
    make_user(Role.SOCIAL_WORKER, username="otto.off", first_name="Otto", last_name="Leaver", is_active=False)
    enrolled = make_user(Role.COURT_LIAISON_OFFICER, username="cleo.clo", first_name="Cleo", last_name="Court")
    TOTPDevice.objects.create(user=enrolled, name="Authenticator app", confirmed=True)

    # The administrator (no second factor: the test settings' relaxation) adds Nina and invites her.
    sign_in(page, base, admin.username)
    settings.PLO_PASSWORD_2FA_REQUIRED = True  # from here on, production's rule
    page.goto(f"{base}/accounts/staff/add/")
    page.fill("#id_first_name", "Nina")
    page.fill("#id_last_name", "Newton")
    page.fill("#id_username", "nina.newton")
    page.fill("#id_email", "nina.newton@council.example")
    page.select_option("#id_team", index=1)
    page.check("input[name=roles][value=social_worker]")
    page.get_by_role("button", name="Save").click()
    nina = User.objects.get(username="nina.newton")
    FamilyFactory(social_worker=nina, team=nina.team, name="Ashworth family")
    FamilyFactory(social_worker=nina, team=nina.team, name="Bellamy family")

    page.get_by_role("link", name="Nina Newton").click()
    assert "Cannot sign in" in page.inner_text("[data-testid=sign-in-state]")
    page.screenshot(path=str(SHOTS / "staff-edit-sign-in.png"), full_page=True)
    page.get_by_role("button", name="Send an invitation").click()
    assert "Nina Newton has been emailed an invitation" in page.inner_text("main")
    states = dict(
        zip(
            page.locator("[data-testid=staff] tbody tr td:nth-child(2)").all_inner_texts(),
            page.locator("[data-testid=sign-in-state]").all_inner_texts(),
            strict=True,
        )
    )
    expires = timezone.localtime(nina.invitations.get().expires_at).strftime("%-d %b %Y %H:%M")
    assert states["nina.newton"].startswith(f"Invited (link expires {expires})")
    assert states["sso.tom"] == "Single sign-on"
    assert states["cleo.clo"] == "Password and second factor"
    assert states["otto.off"].startswith("Cannot sign in")
    page.screenshot(path=str(SHOTS / "staff-list-sign-in-states.png"), full_page=True)
    assert axe_violations(page) == []

    message = mail.outbox[-1]
    assert message.to == ["nina.newton@council.example"]
    (SHOTS / "invitation-email.txt").write_text(f"To: {message.to[0]}\nSubject: {message.subject}\n\n{message.body}\n")
    link = emailed_link(base)
    page.get_by_role("button", name="Sign out").click()

    # Nina opens the link: continue, choose a password, enrol her authenticator app.
    page.context.clear_cookies()
    page.goto(link)
    assert page.locator("h1").inner_text() == "Set up your account"
    page.screenshot(path=str(SHOTS / "set-up-start.png"), full_page=True)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Continue").click()
    page.fill("#id_new_password", "short")
    page.fill("#id_confirm_password", "short")
    page.get_by_role("button", name="Save password and continue").click()
    assert "This password is too short" in page.inner_text(".govuk-error-summary")
    page.fill("#id_new_password", PASSWORD)
    page.fill("#id_confirm_password", PASSWORD)
    page.screenshot(path=str(SHOTS / "set-password.png"), full_page=True)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save password and continue").click()

    assert page.locator("h1").inner_text() == "Set up your second factor"
    assert page.locator("[data-testid=qr-code] svg").is_visible()
    page.screenshot(path=str(SHOTS / "enrol-second-factor.png"), full_page=True)
    assert axe_violations(page) == []
    totp = pyotp.TOTP(page.inner_text("[data-testid=secret]").replace(" ", ""))
    page.fill("#id_code", "123456" if totp.now() != "123456" else "654321")
    page.get_by_role("button", name="Continue").click()
    assert "That code is not right" in page.inner_text(".govuk-error-summary")
    assert axe_violations(page) == []
    page.fill("#id_code", totp.now())
    page.get_by_role("button", name="Continue").click()
    assert len(page.locator("[data-testid=recovery-codes] li").all()) == 10
    page.screenshot(path=str(SHOTS / "recovery-codes.png"), full_page=True)
    assert axe_violations(page) == []
    page.get_by_role("link", name="Continue to your home page").click()
    assert "Ashworth family" in page.inner_text("main")
    page.get_by_role("button", name="Sign out").click()

    # Signing in: the password, then the code from the app.
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/sign-in/")
    page.fill("#id_username", "nina.newton")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    assert page.locator("h1").inner_text() == "Enter the code from your authenticator app"
    page.screenshot(path=str(SHOTS / "sign-in-second-factor.png"), full_page=True)
    assert axe_violations(page) == []
    page.fill("#id_code", "12345x")
    page.get_by_role("button", name="Continue").click()
    assert "That code is not right" in page.inner_text(".govuk-error-summary")
    assert axe_violations(page) == []
    # The enrolment used this window's code, and the wrong code above slows the next try down.
    TOTPDevice.objects.filter(user=nina).update(last_t=-1, throttling_failure_count=0)
    page.fill("#id_code", totp.now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("[data-testid=signed-in-as]")
    main = page.inner_text("main")
    assert "Ashworth family" in main and "Bellamy family" in main

    # The link cannot be used twice.
    page.context.clear_cookies()
    page.goto(link)
    assert page.locator("h1").inner_text() == "This link cannot be used"
    assert "already been used" in page.inner_text("[data-testid=link-reason]")
    page.screenshot(path=str(SHOTS / "link-used.png"), full_page=True)
    assert axe_violations(page) == []

    # Nor after it expires (72 hours).
    late_starter = make_user(Role.SOCIAL_WORKER, username="larry.late")
    late_starter.set_unusable_password()
    late_starter.save()
    staff_invite(user=late_starter, by=admin)
    late = emailed_link(base)
    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1)):
        page.goto(late)
        assert "This link has expired" in page.inner_text("[data-testid=link-reason]")

    # The administrator's other buttons: invite everyone new, and revoke Nina's second factor.
    settings.PLO_PASSWORD_2FA_REQUIRED = False  # the administrator here has no second factor
    sign_in(page, base, admin.username)
    settings.PLO_PASSWORD_2FA_REQUIRED = True
    page.goto(f"{base}/accounts/staff/")
    page.get_by_role("link", name="Invite everyone who cannot sign in yet").click()
    page.screenshot(path=str(SHOTS / "staff-invite-all.png"), full_page=True)
    assert "nina.newton" not in page.inner_text("main")  # she has signed in
    page.goto(f"{base}/accounts/staff/{nina.pk}/")
    page.get_by_role("link", name="Sign them out and remove their second factor").click()
    page.screenshot(path=str(SHOTS / "staff-revoke.png"), full_page=True)
    page.get_by_role("button", name="Sign them out and remove it").click()
    assert "second factor removed" in page.inner_text("main")
    assert "Cannot sign in" in page.inner_text("[data-testid=sign-in-state]")
    assert not TOTPDevice.objects.filter(user=nina).exists()
