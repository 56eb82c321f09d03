"""The whole story on the case page, in a real browser: a deferral that the later approval does
not erase, an earlier episode opened from its one-line summary, and a booked meeting under
"Coming up" rather than "What has happened" (issue 13 §2 acceptance)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.roles import Role
from cases import services as cs
from cases.models import Episode
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from conftest import axe_violations, sign_in
from meetings import services as ms
from meetings.models import LPMOutcome, Recommendation, RequestStatus
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2027, 3, 3)
DOCS = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment"), ("present", ""))


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2027, 3, 3, 9, 30, tzinfo=dt.UTC), tick=True):
        yield


def _episode(family, staff, *, requested: dt.date, deferred: dt.date, approved: dt.date, panel: dt.date) -> Episode:
    request = ms.lpm_request_create(
        family=family,
        requested_on=requested,
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=DOCS,
        by=staff["tm"],
        today=requested,
    )
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.DEFERRED,
        decided_on=deferred,
        deferred_until=deferred + dt.timedelta(days=7),
        note="Need an up-to-date genogram",
        by=staff["hos"],
        today=deferred,
    )
    request.refresh_from_db()
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.APPROVED,
        decided_on=approved,
        by=staff["hos"],
        today=approved,
    )
    lpm = ms.lpm_list(episode=request.episode, panel_date=panel, by=staff["tm"], today=approved)
    ms.lpm_record_outcome(
        lpm=lpm,
        expected_version=None,
        held_on=panel,
        outcome=LPMOutcome.INITIATE,
        chair=staff["hos"],
        by=staff["hos"],
        today=panel,
    )
    return Episode.objects.get(pk=request.episode_id)


def test_the_case_timeline_keeps_a_deferral_and_an_earlier_episode(page, live_server, make_user, team):
    staff = {
        "sw": make_user(Role.SOCIAL_WORKER, username="sam.social", first_name="Sam", last_name="Social"),
        "tm": make_user(Role.TEAM_MANAGER, username="tara.manager", first_name="Tara", last_name="Manager"),
        "hos": make_user(Role.HEAD_OF_SERVICE, username="helen.hos", first_name="Helen", last_name="Hos", team=None),
    }
    family = FamilyFactory.create(team=team, social_worker=staff["sw"], team_manager=staff["tm"], name="Hart family")
    ChildFactory(family=family, first_name="Rosa", date_of_birth=dt.date(2019, 5, 2))
    PersonFactory(family=family, full_name="Jade Hart", relationship="mother")

    first = _episode(
        family,
        staff,
        requested=dt.date(2026, 5, 4),
        deferred=dt.date(2026, 5, 6),
        approved=dt.date(2026, 5, 13),
        panel=dt.date(2026, 5, 21),
    )
    cs.episode_end(
        episode=first,
        expected_version=None,
        ended_on=dt.date(2026, 8, 27),
        end_outcome="step_down_cp",
        end_reason="Home conditions improved",
        by=staff["tm"],
        today=dt.date(2026, 8, 27),
    )
    second = _episode(
        family,
        staff,
        requested=dt.date(2027, 1, 18),
        deferred=dt.date(2027, 1, 20),
        approved=dt.date(2027, 1, 27),
        panel=dt.date(2027, 2, 4),
    )
    ms.meeting_record(
        episode=second, kind="initial_meeting", scheduled_for=dt.date(2027, 3, 10), by=staff["tm"], today=TODAY
    )

    sign_in(page, live_server.url, "sam.social")
    page.goto(f"{live_server.url}/cases/families/{family.pk}/")
    story = page.inner_text("[data-testid=timeline]")
    # The approval on 27 Jan did not erase the deferral of 20 Jan.
    assert "LPM request deferred until 27 Jan 2027" in story
    assert "by Helen Hos: Need an up-to-date genogram" in story
    assert "LPM request approved" in story
    assert story.index("deferred until 27 Jan 2027") < story.index("LPM request approved")
    # The meeting booked for next week is coming up, not something that has happened.
    assert "Initial pre-proceedings meeting booked" not in story
    assert "Initial pre-proceedings meeting booked" in page.inner_text("[data-testid=coming-up]")

    earlier = page.locator("[data-testid=earlier-episodes] details").first
    summary = "LPM requested 4 May 2026, ended 27 Aug 2026: Step down to a child protection plan"
    assert earlier.locator("summary").inner_text() == summary
    assert not earlier.locator("[class=app-timeline]").is_visible()  # collapsed until opened
    earlier.locator("summary").click()
    told = earlier.locator(".app-timeline").inner_text()
    assert "LPM request deferred until 13 May 2026" in told
    assert "Legal planning meeting held" in told and "Pre-proceedings ended" in told
    assert axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "case-timeline-earlier-episode.png"), full_page=True)
