"""Issue 20 in a real browser: the court's 26 weeks under St Helens (a policy whose file names no
court step), and a deadline that passed unmet before a later event overtook it staying missed.

St Helens panel on Wed 6 Jan 2027 decides to issue; the papers were due Mon 4 Jan (the Monday
before the panel, 004 ToR §7: P - 2 days) and never recorded. Proceedings issued Mon 11 Jan 2027:
today, Tue 26 Jan 2027, is day 16, so week 3 of 26.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.roles import Role
from cases import services as cs
from cases.models import CareProceedings
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from conftest import axe_violations, sign_in
from meetings import services as ms
from meetings.models import LPMOutcome, Recommendation, RequestStatus
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.datetime(2027, 1, 26, 9, 30, tzinfo=dt.UTC)
DOCS = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment", "swet"), ("present", ""))


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=True):
        yield


@pytest.fixture
def issued_under_st_helens(settings, make_user, team):
    settings.PLO_POLICY = "st_helens"
    tm = make_user(Role.TEAM_MANAGER, username="tara.manager")
    hos = make_user(Role.HEAD_OF_SERVICE, username="helen.hos", team=None)
    clo = make_user(Role.COURT_LIAISON_OFFICER, username="clara.clo", first_name="Clara", last_name="Clo", team=None)
    sw = make_user(Role.SOCIAL_WORKER, username="sam.social")
    family = FamilyFactory.create(
        team=team, social_worker=sw, team_manager=tm, name="Okafor family", reference="PLO-03101"
    )
    ChildFactory(family=family, first_name="Ada", date_of_birth=dt.date(2022, 3, 3), case_system_id="LL9401")
    PersonFactory(family=family, full_name="Grace Okafor", relationship="mother")
    today = TODAY.date()
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2026, 12, 21),
        recommendation=Recommendation.ISSUE,
        concerns="Injury to a baby, unexplained.",
        documents=DOCS,
        by=tm,
        today=today,
    )
    ms.lpm_request_decide(
        request=request,
        expected_version=request.version,
        status=RequestStatus.APPROVED,
        decided_on=dt.date(2026, 12, 22),
        by=hos,
        today=today,
    )
    lpm = ms.lpm_list(episode=request.episode, panel_date=dt.date(2027, 1, 6), by=clo, today=today)
    ms.lpm_record_outcome(
        lpm=lpm,
        expected_version=lpm.version,
        held_on=dt.date(2027, 1, 6),
        outcome=LPMOutcome.ISSUE,
        chair=hos,
        by=hos,
        today=today,
    )
    proceedings = CareProceedings.objects.get(episode=request.episode)
    cs.proceedings_update(
        proceedings=proceedings,
        expected_version=proceedings.version,
        by=clo,
        today=today,
        letter_of_issue_on=dt.date(2027, 1, 7),
        issued_on=dt.date(2027, 1, 11),
        court_reference="LV27C00101",
    )
    return family, clo


def row(page, key: str):
    return page.locator(f"[data-testid=deadlines] tr[data-key='{key}']").first


def test_st_helens_week_3_of_26_with_the_final_hearing_and_a_missed_step_that_stays_missed(
    page, live_server, issued_under_st_helens
):
    family, clo = issued_under_st_helens
    base = live_server.url
    sign_in(page, base, clo.username)
    page.goto(f"{base}/cases/families/{family.pk}/")
    assert "Week 3 of 26" in page.inner_text("[data-testid=episode-summary]")
    # s32: 26 weeks beginning with Mon 11 Jan 2027 end Sun 11 Jul 2027 (issue + 181 days), so the
    # final hearing is due the working day before, Fri 9 Jul 2027, though st_helens.toml names no court step.
    assert "Fri 9 Jul 2027" in row(page, "final_hearing").inner_text()
    # The panel's own decision started the letter of issue: due Fri 8 Jan (2 working days), met 7 Jan.
    assert "Met" in row(page, "letter_of_issue").inner_text()
    # The papers were due Mon 4 Jan and the panel sat on Wed 6 Jan without them: missed, and why.
    papers = row(page, "lpm_papers")
    assert "Missed" in papers.inner_text() and "Not applicable" not in papers.inner_text()
    assert papers.locator("[data-testid=deadline-reason]").inner_text() == (
        "Missed: due 4 Jan 2027 and not done before the LPM / legal gateway panel held was recorded on 6 Jan 2027"
    )
    papers.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "case-st-helens-week-3-of-26-missed-papers.png"), full_page=True)
    assert axe_violations(page) == []

    page.goto(f"{base}/deadlines/tracker/")
    tracker_row = page.locator("tr", has_text="PLO-03101").first.inner_text()
    assert "Week 3 of 26" in tracker_row
    page.screenshot(path=str(SHOTS / "tracker-st-helens-week-3-of-26.png"), full_page=True)
