"""One journey done by keyboard only (issue 13, Accessibility): Tab, Enter, Space and typing, never
the mouse. (It was the last test of test_browser_accessibility.py; it has a file of its own so that
the page-by-page walk there keeps its demo council for the whole module.)"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from conftest import sign_in
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUS_VISIBLE = """() => {
    const el = document.activeElement, s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    return outline || shadow || s.backgroundColor === 'rgb(255, 221, 0)';
}"""


@pytest.fixture
def in_jan_2027():
    with time_machine.travel(dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC), tick=True):
        yield


@pytest.fixture
def world(in_jan_2027, make_user, team):
    from cases.tests import test_case_screens as screens

    staff = screens.staff.__wrapped__(make_user, team)  # type: ignore[attr-defined]  # the fixture's own function
    family = screens.family.__wrapped__(team, staff)  # type: ignore[attr-defined]  # the fixture's own function
    episode = screens.in_pre_proceedings.__wrapped__(family, staff)  # type: ignore[attr-defined]  # the fixture's own function
    return staff, family, episode


def _tab_to(page, test: str, what: str, most: int = 80) -> None:
    """Press Tab until `test` (run on the focused element) holds; each stop must show its focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return {test}; }}"):
            assert page.evaluate(FOCUS_VISIBLE), f"{what} has focus but does not show it"
            return
    pytest.fail(f"{what} cannot be reached with Tab")


def test_a_social_worker_books_the_initial_meeting_by_keyboard_only(page, live_server, world):
    """From the case page to the saved meeting with Tab, Enter, Space and typing, never the mouse:
    the error summary takes focus, its link moves focus to the field, and every stop shows focus."""
    staff, family, episode = world
    base = live_server.url
    sign_in(page, base, staff["sw"].username)
    page.goto(f"{base}{reverse('cases:family-detail', args=[family.pk])}")
    _tab_to(page, "el.textContent.trim() === 'Book or record the initial meeting'", "the initial meeting link")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "Initial pre-proceedings meeting"

    # Sent with nothing filled in: the error summary takes focus and says what is missing.
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Save')", "the Save button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary")
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    page.screenshot(path=str(SHOTS / "keyboard-error-summary.png"), full_page=True)
    # Its first link, followed with Enter, puts focus on the field it names.
    _tab_to(page, "el.closest('.govuk-error-summary__list') !== null", "the error summary's link")
    target = page.evaluate("document.activeElement.getAttribute('href')").lstrip("#")
    page.keyboard.press("Enter")
    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith(target.removesuffix("_0")), (focused, target)
    assert page.evaluate(FOCUS_VISIBLE), "the field the error summary sent focus to does not show it"
    assert focused.endswith("_0"), "focus should land on the day of the date"

    for value in ("27", "1", "2027"):  # day, month, year: typing, then Tab to the next box
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Save')", "the Save button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-notification-banner")
    meeting = episode.meetings.get()
    assert meeting.kind == "initial_meeting" and meeting.scheduled_for == dt.date(2027, 1, 27)
    assert "The meeting has been saved" in page.inner_text(".govuk-notification-banner")
