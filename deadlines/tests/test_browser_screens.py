"""The three tracker screens in a real browser, each signed in as the role that works from it.

Loaded with the demo council; the cases each screen must show are worked out from the database
(issue #5 acceptance: "a browser test signs in as each of the three roles").
"""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse

from accounts.models import User
from cases.models import Episode, Stage
from cases.selectors import families_visible_to
from conftest import DEMO_NOW, DEMO_TODAY, axe_violations, demo_council_copied, sign_in
from deadlines.models import Deadline, DeadlineState
from plo_tracker.tests.shots import SHOTS

# Not transactional: the tests only read the demo, which the module fixture below copies in once.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

TODAY = DEMO_TODAY  # Monday 23 November 2026
PASSWORD = "demo-password-2026"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo council (`manage.py demo_data` for TODAY, built once per run and copied in for
    this file), with a web server of its own.

    pytest-django's live_server would make every test transactional and empty the database after
    each one, so this file runs its own server thread; the empty database is put back when the
    file is done.
    """
    from pytest_django.live_server_helper import LiveServer

    with demo_council_copied(django_db_blocker), django_db_blocker.unblock(), time_machine.travel(DEMO_NOW, tick=True):
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server.url
        finally:
            server._live_server_modified_settings.disable()
            server.stop()


def _references(page) -> set[str]:
    return set(re.findall(r"PLO-\d{4}-\d{3}", page.inner_text("main")))


def _open_references(user: User, **filters) -> set[str]:
    episodes = Episode.objects.filter(ended_on__isnull=True, family__in=families_visible_to(user), **filters)
    return set(episodes.values_list("family__reference", flat=True))


def _tracker_references(user: User) -> set[str]:
    """What the tracker lists: open episodes, and care proceedings until their final hearing is met."""
    in_court = Episode.objects.filter(
        family__in=families_visible_to(user),
        stage=Stage.PROCEEDINGS,
        deadlines__key="final_hearing",
        deadlines__state=DeadlineState.OPEN,
    )
    return _open_references(user) | set(in_court.values_list("family__reference", flat=True))


def test_the_team_manager_sees_their_teams_cases(page, demo):
    tm = User.objects.get(username="tara.manager")
    sign_in(page, demo, "tara.manager", PASSWORD)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Team dashboard").click()
    page.wait_for_selector("h1:has-text('Team dashboard')")
    assert tm.team is not None and tm.team.name in page.inner_text("main")
    shown = _references(page)
    theirs = _open_references(tm, family__team=tm.team)
    others = _open_references(tm) - theirs
    # The overdue table lists exactly the team's families with a deadline past its date.
    late = set(
        Deadline.objects.filter(
            episode__family__reference__in=theirs, state=DeadlineState.OPEN, due_on__lt=TODAY
        ).values_list("episode__family__reference", flat=True)
    )
    overdue_table = set(re.findall(r"PLO-\d{4}-\d{3}", page.inner_text("[data-testid=overdue]")))
    assert late and overdue_table == late
    assert shown <= set(Episode.objects.filter(family__team=tm.team).values_list("family__reference", flat=True))
    assert not shown & others
    assert axe_violations(page) == []


def test_the_court_liaison_officer_sees_every_open_episode_they_may_see(page, demo):
    clo = User.objects.get(username="clara.clo")
    sign_in(page, demo, "clara.clo", PASSWORD)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Pre-action tracker").click()
    page.wait_for_selector("h1:has-text('Pre-action tracker')")
    expected = _tracker_references(clo)
    assert _references(page) == expected
    assert f"{len(expected)} episodes (" in page.inner_text("main")
    page.fill("input[name=q]", sorted(expected)[0])
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert _references(page) == {sorted(expected)[0]}
    assert axe_violations(page) == []


def test_the_head_of_service_sees_the_whole_service_each_week(page, demo):
    hos = User.objects.get(username="helen.hos")
    sign_in(page, demo, "helen.hos", PASSWORD)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Weekly tracker").click()
    page.wait_for_selector("h1:has-text('Weekly tracker')")
    expected = _open_references(hos)
    assert f"{len(expected)} open episodes across the service" in page.inner_text("main")
    in_pre = _open_references(hos, stage="pre_proceedings")
    page.locator("table").get_by_role("link", name=str(len(in_pre))).first.click()
    page.wait_for_selector("h1:has-text('Pre-action tracker')")
    assert _references(page) == in_pre
    assert axe_violations(page) == []


def test_the_tracker_pages_through_every_open_episode_keeping_the_sort(page, demo, monkeypatch):
    """Issue 14: a page of rows at a time, GOV.UK pagination, the sort kept from page to page."""
    clo = User.objects.get(username="clara.clo")
    expected = _tracker_references(clo)
    per_page = max(2, len(expected) // 3)  # the demo holds a few dozen; the service 100 a page
    monkeypatch.setattr("deadlines.selectors.tracker.PAGE_SIZE", per_page)
    sign_in(page, demo, "clara.clo", PASSWORD)
    page.goto(f"{demo}{reverse('deadlines:tracker')}?sort=family")
    page.wait_for_selector("h1:has-text('Pre-action tracker')")
    main = page.inner_text("main")
    assert f"Showing 1–{per_page} of {len(expected)} episodes, {per_page} a page" in main
    first = _references(page)
    assert len(first) == per_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("[data-testid=tracker-pagination]").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "tracker-paginated.png"), full_page=True)
    assert axe_violations(page) == []
    seen = set(first)
    while page.locator("[data-testid=tracker-pagination] a[rel=next]").count():
        page.locator("[data-testid=tracker-pagination] a[rel=next]").click()
        page.wait_for_load_state()
        assert "sort=family" in page.url
        shown = _references(page)
        assert shown and not shown & seen
        seen |= shown
    assert seen == expected
