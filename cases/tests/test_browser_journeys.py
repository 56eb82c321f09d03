"""Two families walked through the PLO in a real browser, each step done by the role that does it.

One family goes from LPM request to step-down, the other to the issue of care proceedings; after
each step the test reads the deadlines the case page shows (issue #4 acceptance).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.roles import Role
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from conftest import axe_violations, sign_in
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.datetime(2027, 3, 3, 9, 30, tzinfo=dt.UTC)  # Wednesday 3 March 2027


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=True):
        yield


@pytest.fixture
def staff(make_user, team):
    return {
        "sw": make_user(Role.SOCIAL_WORKER, username="sam.social", first_name="Sam", last_name="Social"),
        "tm": make_user(Role.TEAM_MANAGER, username="tara.manager", first_name="Tara", last_name="Manager"),
        "hos": make_user(Role.HEAD_OF_SERVICE, username="helen.hos", first_name="Helen", last_name="Hos", team=None),
        "clo": make_user(
            Role.COURT_LIAISON_OFFICER, username="clara.clo", first_name="Clara", last_name="Clo", team=None
        ),
        "legal": make_user(Role.LEGAL_ADVISER, username="leo.legal", first_name="Leo", last_name="Legal", team=None),
    }


def fill_date(page, name: str, value: dt.date) -> None:
    page.fill(f"#id_{name}_0", str(value.day))
    page.fill(f"#id_{name}_1", str(value.month))
    page.fill(f"#id_{name}_2", str(value.year))


def deadline_row(page, key: str) -> str:
    return page.locator(f"[data-testid=deadlines] tr[data-key='{key}']").first.inner_text()


def open_case(page, base: str, family) -> None:
    page.goto(f"{base}/cases/families/{family.pk}/")
    page.wait_for_selector("h1")


def click_action(page, text: str) -> None:
    page.locator("[data-testid=actions]").get_by_role("link", name=text).first.click()
    page.wait_for_selector("form")


def submit(page, label: str) -> None:
    page.get_by_role("button", name=label).click()
    page.wait_for_load_state()


def request_lpm(page, base, family, staff, *, requested_on: dt.date, recommendation: str) -> None:
    sign_in(page, base, staff["tm"].username)
    open_case(page, base, family)
    click_action(page, "Request a legal planning meeting")
    fill_date(page, "requested_on", requested_on)
    page.check(f"input[name=recommendation][value={recommendation}]")
    page.fill("#id_concerns", "Persistent neglect despite a child protection plan.")
    for doc in ("plo_summary", "chronology", "genogram", "single_assessment", "swet"):
        page.check(f"input[name=doc_{doc}_state][value=present]")
    submit(page, "Send the request")
    assert "The LPM request has been sent" in page.inner_text("main")


def approve_and_hold(page, base, family, staff, *, approved_on, panel, outcome) -> None:
    sign_in(page, base, staff["hos"].username)
    page.get_by_role("link", name=f"Decide on {family.reference}").click()
    page.check("input[name=status][value=approved]")
    fill_date(page, "decided_on", approved_on)
    submit(page, "Record the decision")
    assert "Your decision has been recorded" in page.inner_text("main")

    sign_in(page, base, staff["clo"].username)
    open_case(page, base, family)
    click_action(page, "List the case at a panel")
    fill_date(page, "panel_date", panel)
    submit(page, "List the case")
    click_action(page, "Record the outcome")
    fill_date(page, "held_on", panel)
    page.check(f"input[name=outcome][value={outcome}]")
    submit(page, "Record the outcome")
    assert "The outcome has been recorded" in page.inner_text("main")


def test_a_family_from_lpm_request_to_step_down(page, live_server, staff, team):
    base = live_server.url
    family = FamilyFactory.create(
        team=team, social_worker=staff["sw"], team_manager=staff["tm"], name="Fletcher family", reference="PLO-02001"
    )
    ChildFactory(family=family, first_name="Leo", date_of_birth=dt.date(2018, 6, 1), case_system_id="LL9001")
    ChildFactory(family=family, first_name="Ivy", date_of_birth=dt.date(2021, 9, 9), case_system_id="LL9002")
    kerry = PersonFactory.create(family=family, full_name="Kerry Fletcher", relationship="mother")
    dean = PersonFactory.create(family=family, full_name="Dean Fletcher", relationship="father")

    request_lpm(page, base, family, staff, requested_on=dt.date(2027, 1, 4), recommendation="pre_proceedings")
    # 002 §6b limits only a deferral of the head of service's decision, so no decision date yet.
    assert page.locator("[data-testid=deadlines] tr[data-key='lpm_request_decision']").count() == 0
    assert axe_violations(page) == []

    approve_and_hold(
        page, base, family, staff, approved_on=dt.date(2027, 1, 6), panel=dt.date(2027, 1, 14), outcome="initiate"
    )
    # 002 §9b ii: letter before proceedings D + 5 working days: Thu 14 Jan -> Thu 21 Jan 2027.
    assert "Thu 21 Jan 2027" in deadline_row(page, "letter_before_proceedings")
    # "Why this date": the rule in plain words, how it is counted, and the sentence it comes from.
    page.locator("tr[data-key='letter_before_proceedings'] .govuk-details__summary").click()
    why = page.inner_text("tr[data-key='letter_before_proceedings'] [data-testid=why-this-date]")
    assert "5 working days after" in why and "no later than five working days from the LPM" in why
    page.locator("tr[data-key='letter_before_proceedings']").screenshot(path=str(SHOTS / "why-this-date.png"))
    assert "Waiting for" in deadline_row(page, "initial_meeting")

    sign_in(page, base, staff["sw"].username)
    for person, delivered in ((kerry, dt.date(2027, 1, 19)), (dean, dt.date(2027, 1, 20))):
        open_case(page, base, family)
        click_action(page, "Record the letter being delivered")
        page.check(f"input[name=person][value='{person.pk}']")
        fill_date(page, "delivered_on", delivered)
        submit(page, "Save")
        assert "The delivery has been recorded" in page.inner_text("main")
    assert "Met" in deadline_row(page, "letter_before_proceedings")
    # 002 §9b iii: initial meeting L + 10 working days: Wed 20 Jan -> Wed 3 Feb 2027.
    assert "Wed 3 Feb 2027" in deadline_row(page, "initial_meeting")

    sign_in(page, base, staff["tm"].username)
    open_case(page, base, family)
    click_action(page, "Book or record the initial meeting")
    fill_date(page, "held_on", dt.date(2027, 2, 2))
    page.fill("#id_attendees", "Kerry Fletcher, mother\nDean Fletcher, father\nTara Manager, chair")
    page.check("#id_plan_agreed")
    submit(page, "Save the meeting")
    assert "Met" in deadline_row(page, "initial_meeting")
    # St Helens' 4-weekly reviews in the standard policy: 2 Feb + 4 weeks = Tue 2 Mar 2027, now overdue.
    review = deadline_row(page, "review_meeting")
    assert "Tue 2 Mar 2027" in review and "Overdue" in review
    assert "Week 7 of 16" in page.inner_text("[data-testid=episode-summary]")

    click_action(page, "End pre-proceedings")
    page.check("input[name=end_outcome][value=step_down_cp]")
    fill_date(page, "ended_on", dt.date(2027, 3, 2))
    fill_date(page, "exit_letter_on", dt.date(2027, 3, 2))
    page.fill("#id_end_reason", "Sustained progress: home conditions and school attendance improved.")
    # What will close is listed, and nothing ends until it is confirmed (issue #10 §6).
    assert "closes" in page.inner_text("main") and "Pre-proceedings review meeting" in page.inner_text("main")
    submit(page, "End pre-proceedings")
    assert "Confirm that the open deadlines listed above should close" in page.inner_text(".govuk-error-summary")
    page.screenshot(path=str(SHOTS / "end-pre-proceedings-confirm.png"), full_page=True)
    assert page.input_value("#id_end_reason").startswith("Sustained progress")  # nothing typed is lost
    # Each deadline that will close is an item of a list: its name and due date.
    closing = page.locator("[data-testid=closing-deadlines] li").all_inner_texts()
    assert "Pre-proceedings review meeting 1: due Tue 2 Mar 2027" in closing
    # An end date before the start is refused beside the field, even once confirmed.
    fill_date(page, "ended_on", dt.date(2027, 1, 13))
    page.check("#id_confirm")
    submit(page, "End pre-proceedings")
    assert "End date must be on or after the start of pre-proceedings (14/01/2027)" in page.inner_text(
        ".govuk-error-summary"
    )
    page.screenshot(path=str(SHOTS / "end-pre-proceedings-before-start.png"), full_page=True)
    fill_date(page, "ended_on", dt.date(2027, 3, 2))
    page.check("#id_confirm")
    submit(page, "End pre-proceedings")
    assert "The end of pre-proceedings has been recorded" in page.inner_text("main")
    assert "Ended" in page.inner_text("[data-testid=episode-summary]")
    assert "Not applicable" in deadline_row(page, "review_meeting")
    assert "Child protection plan" in page.inner_text("[data-testid=children]")


def test_a_family_to_the_issue_of_care_proceedings(page, live_server, staff, team):
    base = live_server.url
    family = FamilyFactory(
        team=team, social_worker=staff["sw"], team_manager=staff["tm"], name="Okafor family", reference="PLO-02002"
    )
    ChildFactory(family=family, first_name="Zara", date_of_birth=dt.date(2024, 2, 2), case_system_id="LL9101")
    PersonFactory(family=family, full_name="Grace Okafor", relationship="mother")

    request_lpm(page, base, family, staff, requested_on=dt.date(2027, 2, 1), recommendation="issue")
    approve_and_hold(
        page, base, family, staff, approved_on=dt.date(2027, 2, 2), panel=dt.date(2027, 2, 11), outcome="issue"
    )
    # 002 §9c: letter of issue D + 1, SWET to legal D + 5, issue by D + 10 working days (D = Thu 11 Feb 2027).
    assert "Fri 12 Feb 2027" in deadline_row(page, "letter_of_issue")
    assert "Thu 18 Feb 2027" in deadline_row(page, "swet_to_legal")
    assert "Thu 25 Feb 2027" in deadline_row(page, "proceedings_issued")

    # The legal adviser reads the case but records legal advice only (issue 9): the court liaison
    # officer records the proceedings.
    sign_in(page, base, staff["legal"].username)
    open_case(page, base, family)
    assert "Care proceedings" in page.inner_text("[data-testid=episode-summary]")
    assert page.locator("[data-testid=actions]").count() == 0
    assert page.get_by_role("link", name="Change allocation").count() == 0
    sign_in(page, base, staff["clo"].username)
    open_case(page, base, family)
    click_action(page, "Update the care proceedings")
    fill_date(page, "letter_of_issue_on", dt.date(2027, 2, 12))
    fill_date(page, "swet_to_legal_on", dt.date(2027, 2, 17))
    fill_date(page, "issued_on", dt.date(2027, 2, 24))
    page.fill("#id_court_reference", "NM27C00042")
    page.check("input[name=short_notice][value=no]")
    page.check("input[name=parents_represented_at_issue][value=yes]")
    page.check("input[name=initial_plan_approved][value=unknown]")
    page.check("input[name=final_plan_approved][value=unknown]")
    submit(page, "Save")
    assert "The care proceedings have been updated" in page.inner_text("main")
    assert "Met" in deadline_row(page, "proceedings_issued")
    # App. 3: CMH by day 18 (X + 17 days) = Sat 13 Mar 2027, so the Friday before; IRH X + 20 weeks.
    assert "Fri 12 Mar 2027" in deadline_row(page, "cmh")
    # Week 20 ends on issue + 139 days (week 1, day 1 = Wed 24 Feb): Tue 13 Jul 2027.
    assert "Tue 13 Jul 2027" in deadline_row(page, "irh")
    assert "NM27C00042" in page.inner_text("[data-testid=proceedings]")
    assert "Care proceedings" in page.inner_text("[data-testid=children]")


def test_a_bad_date_in_the_browser_keeps_what_was_typed(page, live_server, staff, team):
    base = live_server.url
    family = FamilyFactory(
        team=team, social_worker=staff["sw"], team_manager=staff["tm"], name="Price family", reference="PLO-02003"
    )
    ChildFactory(family=family, first_name="Noah", case_system_id="LL9201")
    sign_in(page, base, staff["tm"].username)
    open_case(page, base, family)
    click_action(page, "Request a legal planning meeting")
    page.fill("#id_requested_on_0", "30")
    page.fill("#id_requested_on_1", "2")
    page.fill("#id_requested_on_2", "2027")
    page.check("input[name=recommendation][value=pre_proceedings]")
    page.fill("#id_concerns", "Concerns typed by the team manager")
    submit(page, "Send the request")
    summary = page.inner_text(".govuk-error-summary")
    assert "Date requested must be a real date" in summary
    assert page.input_value("#id_concerns") == "Concerns typed by the team manager"
    assert page.input_value("#id_requested_on_0") == "30"
    assert axe_violations(page) == []
