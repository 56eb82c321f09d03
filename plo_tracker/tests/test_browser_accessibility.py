"""axe-core on every kind of page, with no violation of any impact, and one journey by keyboard
only (issue 13, Accessibility): sign-in, each role's home, the case page, step forms (with their
error summaries), the tracker screens and charts, exports and the calendar page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.roles import Role
from cases.tests import test_case_screens as screens
from conftest import axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC), tick=True):
        yield


@pytest.fixture
def world(make_user, team):
    staff = screens.staff.__wrapped__(make_user, team)  # type: ignore[attr-defined]  # the fixture's own function
    family = screens.family.__wrapped__(team, staff)  # type: ignore[attr-defined]  # the fixture's own function
    episode = screens.in_pre_proceedings.__wrapped__(family, staff)  # type: ignore[attr-defined]  # the fixture's own function
    staff["sm"] = make_user(Role.SERVICE_MANAGER, username="sm", team=None)
    staff["ad"] = make_user(Role.ASSISTANT_DIRECTOR, username="ad", team=None)
    return staff, family, episode


SHOTS = {
    "/people/": "person-edit.png",
    "/national-data/": "national-export.png",
    "/minutes/": "minutes-form.png",
}


def _check(page, url: str, found: dict[str, list[dict[str, object]]]) -> None:
    page.goto(url)
    page.wait_for_selector("main")
    for part, name in SHOTS.items():
        if part in url:
            page.screenshot(path=f"docs/screenshots/{name}", full_page=True)
    problems = axe_violations(page)
    if problems:
        found[url] = problems


def test_every_kind_of_page_has_no_accessibility_violations(page, live_server, world):
    staff, family, episode = world
    base = live_server.url
    found: dict[str, list[dict[str, object]]] = {}
    _check(page, f"{base}{reverse('accounts:sign-in')}", found)
    for who in ("sw", "tm", "hos", "legal", "clo", "sm", "ad", "ro"):
        sign_in(page, base, staff[who].username)
        _check(page, f"{base}/", found)
    sign_in(page, base, staff["sw"].username)
    lpm = episode.lpms.get()
    person = family.people.get()
    for url in (
        reverse("cases:family-detail", args=[family.pk]),
        reverse("cases:family-list"),
        reverse("cases:person-edit", args=[person.pk]),
        reverse("cases:letter-deliver", args=[episode.pk]),
        reverse("cases:assessment-add", args=[episode.pk]),
        reverse("deadlines:alert-list"),
        reverse("deadlines:calendar"),
    ):
        _check(page, base + url, found)
    # A form sent back with errors: the error summary and the messages beside the fields.
    page.goto(base + reverse("cases:letter-deliver", args=[episode.pk]))
    page.click("button:has-text('Save')")
    page.wait_for_selector(".govuk-error-summary")
    page.screenshot(path="docs/screenshots/letter-delivery-errors.png", full_page=True)
    if problems := axe_violations(page):
        found["letter-deliver with errors"] = problems
    sign_in(page, base, staff["clo"].username)
    for url in (
        reverse("deadlines:tracker"),
        reverse("cases:national-export"),
        reverse("meetings:lpm-minutes", args=[lpm.pk]),
    ):
        _check(page, base + url, found)
    sign_in(page, base, staff["hos"].username)
    for url in (reverse("deadlines:weekly"), reverse("deadlines:weekly-history")):
        _check(page, base + url, found)
    sign_in(page, base, staff["tm"].username)
    _check(page, base + reverse("deadlines:team-dashboard"), found)
    assert found == {}


def test_recording_the_letter_by_keyboard_only(page, live_server, world):
    """Tab to the action, fill the form and submit it without touching the mouse."""
    staff, family, episode = world
    base = live_server.url
    sign_in(page, base, staff["sw"].username)
    page.goto(f"{base}/cases/families/{family.pk}/")
    link = page.get_by_role("link", name="Record the letter being delivered")
    for _ in range(80):  # Tab until the link has focus, as a keyboard user would
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the action link cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("form")
    page.keyboard.press("Tab")  # skip link, then on through the page to the first radio
    for _ in range(40):
        if page.evaluate("document.activeElement.name") == "person":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    for name, value in (("delivered_on_0", "23"), ("delivered_on_1", "12"), ("delivered_on_2", "2026")):
        while page.evaluate("document.activeElement.name") != name:
            page.keyboard.press("Tab")
        page.keyboard.type(value)
    while page.evaluate("document.activeElement.tagName") != "BUTTON":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-notification-banner, .govuk-panel, [role=alert], main")
    assert "The delivery has been recorded" in page.inner_text("main")
    assert episode.letter_deliveries.count() == 1
