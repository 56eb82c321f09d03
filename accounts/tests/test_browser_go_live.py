"""Acceptance (issue #12): an administrator creates a team and a social worker on the staff
pages, moves a leaver's caseload to them, and the worker signs in through the local OpenID
provider (npm `oidc-provider`, a real one) and sees their caseload."""

from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.roles import Role
from accounts.tests.oidc import provider_start
from cases.tests.factories import FamilyFactory
from conftest import axe_violations, sign_in
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_sets_up_a_worker_who_signs_in_with_the_council_account(page, live_server, make_user):
    base = live_server.url
    admin = make_user(Role.ADMINISTRATOR, username="ada.admin", team=None)
    leaver = make_user(Role.SOCIAL_WORKER, username="leaver", first_name="Lee", last_name="Leaver")
    families = [FamilyFactory(social_worker=leaver, team=leaver.team, name=f"Ashworth-{i} family") for i in range(2)]

    provider = provider_start(
        redirect_uris=[f"{base}/accounts/sso/callback/"], accounts={"sam": {"email": "sam.whitlock@council.example"}}
    )
    try:
        with override_settings(**provider.settings()):
            sign_in(page, base, admin.username)
            page.get_by_role("link", name="Staff and teams").first.click()
            page.get_by_role("link", name="Add a team").click()
            page.fill("#id_name", "Riverside Family Safeguarding Team")
            page.get_by_role("button", name="Save").click()
            assert "Riverside Family Safeguarding Team has been saved" in page.inner_text("main")

            page.get_by_role("link", name="Add a member of staff").click()
            page.fill("#id_first_name", "Sam")
            page.fill("#id_last_name", "Whitlock")
            page.fill("#id_username", "sam.whitlock")
            page.fill("#id_email", "sam.whitlock@council.example")
            page.select_option("#id_team", label="Riverside Family Safeguarding Team")
            page.check("input[name=roles][value=social_worker]")
            page.screenshot(path=str(SHOTS / "staff-add.png"), full_page=True)
            assert axe_violations(page) == []
            page.get_by_role("button", name="Save").click()
            assert "Sam Whitlock has been added" in page.inner_text("main")
            page.screenshot(path=str(SHOTS / "staff-list.png"), full_page=True)
            assert axe_violations(page) == []

            # The leaver's caseload moves to Sam in one step.
            page.get_by_role("link", name="Lee Leaver").click()
            page.get_by_role("link", name="Move all of them to someone else").click()
            page.select_option("#id_social_worker", label="Sam Whitlock (sam.whitlock)")
            page.get_by_role("button", name="Move the families").click()
            assert "2 families moved from Lee Leaver" in page.inner_text("main")
            page.get_by_role("button", name="Sign out").click()

            # Sam signs in with the council account at the identity provider.
            page.context.clear_cookies()
            page.goto(f"{base}/accounts/sign-in/")
            page.screenshot(path=str(SHOTS / "sign-in-sso.png"), full_page=True)
            page.get_by_role("button", name="Sign in with your council account").click()
            page.wait_for_url(f"{provider.issuer}/**")
            page.fill("input[name=login]", "sam")
            page.fill("input[name=password]", "anything")
            page.click("button[type=submit]")
            page.wait_for_selector("[data-testid=signed-in-as]")
            assert page.inner_text("[data-testid=signed-in-as]") == "Sam Whitlock"
            page.get_by_role("link", name="My cases").first.click()
            text = page.inner_text("main")
            for family in families:
                assert family.reference in text
            page.screenshot(path=str(SHOTS / "sso-caseload.png"), full_page=True)
    finally:
        provider.stop()
