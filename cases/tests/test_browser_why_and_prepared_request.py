"""In a real browser: a social worker prepares the LPM request, the team manager makes it, the head
of service sees who did which and cannot defer to a Sunday (issue 20 §8, §9); and "why this date"
shows the working over Christmas: what it counted from and every day it skipped, by name (§6)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.roles import Role
from cases import services as cs
from cases.models import Episode
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from conftest import axe_violations, sign_in
from deadlines.models import ClosureDay
from meetings import services as ms
from meetings.models import LPMOutcome, RequestStatus
from plo_tracker.tests.shots import SHOTS

from .test_browser_journeys import click_action, fill_date, open_case, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff(make_user, team):
    return {
        "sw": make_user(Role.SOCIAL_WORKER, username="sam.social", first_name="Sam", last_name="Social"),
        "tm": make_user(Role.TEAM_MANAGER, username="tara.manager", first_name="Tara", last_name="Manager"),
        "hos": make_user(Role.HEAD_OF_SERVICE, username="helen.hos", first_name="Helen", last_name="Hos", team=None),
        "clo": make_user(
            Role.COURT_LIAISON_OFFICER, username="clara.clo", first_name="Clara", last_name="Clo", team=None
        ),
    }


def _family(team, staff, name, reference):
    family = FamilyFactory.create(
        team=team, social_worker=staff["sw"], team_manager=staff["tm"], name=name, reference=reference
    )
    ChildFactory(family=family, first_name="Leo", date_of_birth=dt.date(2018, 6, 1))
    PersonFactory.create(family=family, full_name="Kerry Rowe", relationship="mother")
    PersonFactory.create(family=family, full_name="Dean Rowe", relationship="father")
    return family


def test_the_social_worker_prepares_the_team_manager_makes_the_head_of_service_sees_both(
    page, live_server, staff, team
):
    base = live_server.url
    family = _family(team, staff, "Rowe family", "PLO-02101")
    with time_machine.travel(dt.datetime(2027, 3, 3, 9, 30, tzinfo=dt.UTC), tick=True):
        sign_in(page, base, staff["sw"].username)
        open_case(page, base, family)
        # Before: a social worker had no way to start an LPM request at all.
        click_action(page, "Prepare an LPM request")
        page.check("input[name=recommendation][value=pre_proceedings]")
        page.fill("#id_concerns", "Persistent neglect despite a child protection plan.")
        for doc in ("plo_summary", "chronology", "single_assessment"):
            page.check(f"input[name=doc_{doc}_state][value=present]")
        page.fill("#id_doc_genogram_note", "Drawing it with the family on Friday")
        page.screenshot(path=str(SHOTS / "lpm-request-prepare.png"), full_page=True)
        submit(page, "Send to the team manager")
        assert "sent to the team manager" in page.inner_text("main")
        prepared = page.inner_text("[data-testid=preparation]")
        assert "3 Mar 2027 by Sam Social, waiting for the team manager" in prepared
        assert axe_violations(page) == []

        sign_in(page, base, staff["tm"].username)
        open_case(page, base, family)
        click_action(page, "Review the prepared LPM request and make it")
        assert "Prepared by Sam Social on 3 Mar 2027" in page.inner_text("main")
        # What the social worker wrote and ticked arrives filled in, to review.
        assert page.input_value("#id_concerns") == "Persistent neglect despite a child protection plan."
        assert page.is_checked("input[name=doc_chronology_state][value=present]")
        assert page.input_value("#id_doc_genogram_note") == "Drawing it with the family on Friday"
        page.check("input[name=doc_genogram_state][value=present]")
        fill_date(page, "requested_on", dt.date(2027, 3, 3))
        submit(page, "Send the request")
        assert "The LPM request has been sent" in page.inner_text("main")

        sign_in(page, base, staff["hos"].username)
        page.get_by_role("link", name=f"Decide on {family.reference}").click()
        intro = page.inner_text("main")
        assert "Prepared by Sam Social on 3 Mar 2027" in intro and "by Tara Manager" in intro
        # A deferral to a Sunday would make the decision due on a Sunday: refused beside the field.
        page.check("input[name=status][value=deferred]")
        fill_date(page, "decided_on", dt.date(2027, 3, 3))
        fill_date(page, "deferred_until", dt.date(2027, 3, 14))
        page.fill("#id_note", "A current parenting assessment is needed")
        submit(page, "Record the decision")
        assert "14 Mar 2027 is a Sunday: choose a working day" in page.inner_text(".govuk-error-summary")
        assert "14 Mar 2027 is a Sunday" in page.inner_text("#div_id_deferred_until .govuk-error-message")
        assert page.input_value("#id_note") == "A current parenting assessment is needed"  # nothing lost
        page.screenshot(path=str(SHOTS / "lpm-deferral-sunday-refused.png"), full_page=True)
        fill_date(page, "deferred_until", dt.date(2027, 3, 15))
        submit(page, "Record the decision")
        assert "Your decision has been recorded" in page.inner_text("main")

        open_case(page, base, family)
        assert "3 Mar 2027 by Sam Social" in page.inner_text("[data-testid=request-prepared]")
        assert "3 Mar 2027 by Tara Manager" in page.inner_text("[data-testid=request-made]")
        page.locator("[data-testid=request-prepared]").locator("xpath=../..").screenshot(
            path=str(SHOTS / "lpm-request-prepared-and-made.png")
        )


def test_why_this_date_names_the_closure_day_and_the_bank_holidays_it_skipped(page, live_server, staff, team):
    base = live_server.url
    family = _family(team, staff, "Ashby family", "PLO-02102")
    ClosureDay.objects.create(date=dt.date(2026, 12, 29), reason="Christmas closure")
    with time_machine.travel(dt.datetime(2026, 12, 16, 9, 30, tzinfo=dt.UTC), tick=True):
        request = ms.lpm_request_create(
            family=family,
            requested_on=dt.date(2026, 11, 30),
            recommendation="pre_proceedings",
            concerns="Neglect",
            documents={},
            by=staff["tm"],
        )
        ms.lpm_request_decide(
            request=request,
            expected_version=None,
            status=RequestStatus.APPROVED,
            decided_on=dt.date(2026, 12, 1),
            by=staff["hos"],
        )
        episode = Episode.objects.get(pk=request.episode_id)
        lpm = ms.lpm_list(episode=episode, panel_date=dt.date(2026, 12, 4), by=staff["clo"])
        ms.lpm_record_outcome(
            lpm=lpm,
            expected_version=None,
            held_on=dt.date(2026, 12, 4),
            outcome=LPMOutcome.INITIATE,
            chair=staff["hos"],
            by=staff["hos"],
        )
        episode = Episode.objects.get(pk=episode.pk)
        for person in family.people.all():
            cs.letter_deliver(episode=episode, person=person, delivered_on=dt.date(2026, 12, 11), by=staff["sw"])

        sign_in(page, base, staff["tm"].username)
        open_case(page, base, family)
        row = page.locator("[data-testid=deadlines] tr[data-key='initial_meeting']").first
        # Without the closure day it would be Tue 29 Dec; the closure moves it to Wed 30 Dec.
        assert "Wed 30 Dec 2026" in row.inner_text()
        row.locator(".govuk-details__summary").click()
        why = row.locator("[data-testid=why-this-date]").inner_text()
        assert "Counted from: Letter before proceedings delivered to parents, Fri 11 Dec 2026" in why
        assert "10 working days after the letter before proceedings delivered to parents." in why
        assert (
            "Days skipped: Fri 25 Dec 2026 (Christmas Day, a bank holiday), Mon 28 Dec 2026 (Boxing Day (observed), "
            "a bank holiday), Tue 29 Dec 2026 (Christmas closure, a council closure day) and 3 weekends." in why
        )
        row.screenshot(path=str(SHOTS / "why-this-date-closure-and-bank-holidays.png"))
        assert axe_violations(page) == []
