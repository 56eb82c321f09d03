"""Recorded hearings drive the court timeline, in a real browser (issue #10 acceptance).

A court liaison officer lists the CMH and sees the CMH deadline and the advocates' meeting move;
lists the final hearing after week 26, sees the warning, and records the court's extension. Every
date was counted by hand: proceedings issued Mon 11 Jan 2027 = week 1, day 1.
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

TODAY = dt.datetime(2027, 1, 18, 9, 30, tzinfo=dt.UTC)  # Monday 18 January 2027: week 2 of 26
DOCS = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment", "swet"), ("present", ""))


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=True):
        yield


def fill_date(page, name: str, value: dt.date) -> None:
    page.fill(f"#id_{name}_0", str(value.day))
    page.fill(f"#id_{name}_1", str(value.month))
    page.fill(f"#id_{name}_2", str(value.year))


def row(page, key: str) -> str:
    return page.locator(f"[data-testid=deadlines] tr[data-key='{key}']").first.inner_text()


def action(page, text: str) -> None:
    page.locator("[data-testid=actions]").get_by_role("link", name=text).first.click()
    page.wait_for_selector("form")


def submit(page, label: str) -> None:
    page.get_by_role("button", name=label).click()
    page.wait_for_load_state()


@pytest.fixture
def issued(make_user, team):
    """A family whose LPM on Mon 4 Jan 2027 decided to issue; issued Mon 11 Jan 2027."""
    tm = make_user(Role.TEAM_MANAGER, username="tara.manager")
    hos = make_user(Role.HEAD_OF_SERVICE, username="helen.hos", team=None)
    clo = make_user(Role.COURT_LIAISON_OFFICER, username="clara.clo", first_name="Clara", last_name="Clo", team=None)
    sw = make_user(Role.SOCIAL_WORKER, username="sam.social")
    family = FamilyFactory.create(
        team=team, social_worker=sw, team_manager=tm, name="Nowak family", reference="PLO-03001"
    )
    ChildFactory(family=family, first_name="Mia", date_of_birth=dt.date(2023, 5, 5), case_system_id="LL9301")
    PersonFactory(family=family, full_name="Ola Nowak", relationship="mother")
    today = dt.date(2027, 1, 18)
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2026, 12, 21),
        recommendation=Recommendation.ISSUE,
        concerns="Serious injury unexplained.",
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
    lpm = ms.lpm_list(episode=request.episode, panel_date=dt.date(2027, 1, 4), by=clo, today=today)
    ms.lpm_record_outcome(
        lpm=lpm,
        expected_version=lpm.version,
        held_on=dt.date(2027, 1, 4),
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
        letter_of_issue_on=dt.date(2027, 1, 5),
        swet_to_legal_on=dt.date(2027, 1, 8),
        issued_on=dt.date(2027, 1, 11),
        court_reference="NM27C00077",
    )
    return family, clo


def test_listed_hearings_move_the_court_deadlines_and_week_26_needs_the_courts_extension(page, live_server, issued):
    family, clo = issued
    base = live_server.url
    sign_in(page, base, clo.username)
    page.goto(f"{base}/cases/families/{family.pk}/")
    assert "Week 2 of 26" in page.inner_text("[data-testid=episode-summary]")
    # App. 3: CMH by day 18 = Thu 28 Jan 2027 (issue + 17 days); advocates 2 working days before.
    assert "Thu 28 Jan 2027" in row(page, "cmh")
    assert "Tue 26 Jan 2027" in row(page, "advocates_meeting")
    # Week 26 ends Sun 11 Jul 2027 (issue + 181 days), so the final hearing is due Fri 9 Jul.
    assert "Fri 9 Jul 2027" in row(page, "final_hearing")

    # The court lists the CMH for Tue 2 Feb 2027: it replaces day 18, and the advocates' meeting
    # moves to 2 working days before it (Mon 1 Feb, Fri 29 Jan).
    action(page, "Add a court hearing")
    page.check("input[name=kind][value=cmh]")
    fill_date(page, "hearing_date", dt.date(2027, 2, 2))
    submit(page, "Save")
    assert "The hearing has been added" in page.inner_text("main")
    assert "Tue 2 Feb 2027" in row(page, "cmh")
    assert "Fri 29 Jan 2027" in row(page, "advocates_meeting")
    assert "Case management hearing" in page.inner_text("[data-testid=coming-up]")
    assert "Case management hearing" not in page.inner_text("[data-testid=timeline]")

    # The final hearing is listed for Tue 20 Jul 2027, after the end of week 26.
    action(page, "Add a court hearing")
    page.check("input[name=kind][value=final_hearing]")
    fill_date(page, "hearing_date", dt.date(2027, 7, 20))
    submit(page, "Save")
    warning = page.inner_text("[data-testid=past-26-weeks]")
    assert "20 Jul 2027" in warning and "11 Jul 2027" in warning
    page.locator("tr[data-key='final_hearing'] .govuk-details__summary").click()
    why = page.inner_text("tr[data-key='final_hearing'] [data-testid=why-this-date]")
    assert "181 days after" in why and "beginning with the day on which the application was issued" in why
    page.screenshot(path=str(SHOTS / "court-final-hearing-past-week-26.png"), full_page=True)
    assert axe_violations(page) == []

    # Record the court's extension: more than 8 weeks at a time is refused, with what was typed kept.
    page.get_by_role("link", name="Record the court’s extension").first.click()
    page.wait_for_selector("form")
    page.fill("#id_weeks", "9")
    fill_date(page, "granted_on", dt.date(2027, 1, 15))
    page.fill("#id_reasons", "Expert report on the injury not available until June.")
    submit(page, "Record the extension")
    assert "no more than 8 weeks at a time" in page.inner_text(".govuk-error-summary")
    assert page.input_value("#id_reasons").startswith("Expert report")
    page.screenshot(path=str(SHOTS / "court-extension-error.png"), full_page=True)
    page.fill("#id_weeks", "2")
    submit(page, "Record the extension")
    assert "The court's extension has been recorded" in page.inner_text("main")
    # 26 + 2 weeks end Sun 25 Jul 2027: the hearing on 20 Jul is now within them.
    assert page.locator("[data-testid=past-26-weeks]").count() == 0
    assert "Sun 25 Jul 2027" in page.inner_text("[data-testid=court-limit]")
    assert "Week 2 of 28" in page.inner_text("[data-testid=episode-summary]")
    assert "Tue 20 Jul 2027" in row(page, "final_hearing")
    page.screenshot(path=str(SHOTS / "court-extension-recorded.png"), full_page=True)

    # The pre-action tracker shows the case in court at its week of the (extended) 26 weeks.
    page.goto(f"{base}/deadlines/tracker/")
    tracker_row = page.locator("tr", has_text="PLO-03001").first.inner_text()
    assert "Week 2 of 28" in tracker_row and "of 16" not in tracker_row
