"""Issue 10 in a real browser: the proposed agreement recorded as done from the case page, and a
review LPM listed for the review point it meets (the optional week-14 LPM skipped)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.roles import Role
from cases import services as cs
from cases.models import Episode
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from conftest import sign_in
from meetings import services as ms
from meetings.models import LPMKind, LPMOutcome, MeetingKind, Recommendation, RequestStatus
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment"), ("present", ""))


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


def in_pre_proceedings(team, staff, decided: dt.date) -> Episode:
    family = FamilyFactory.create(
        team=team, social_worker=staff["sw"], team_manager=staff["tm"], name="Ashworth family", reference="PLO-03001"
    )
    ChildFactory(family=family, first_name="Mia", last_name="Ashworth", case_system_id="LL7001")
    PersonFactory(family=family, full_name="Dawn Ashworth", relationship="mother")
    request = ms.lpm_request_create(
        family=family, requested_on=dt.date(2026, 12, 1), recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect", documents=DOCS, by=staff["tm"],
    )  # fmt: skip
    ms.lpm_request_decide(
        request=request, expected_version=None, status=RequestStatus.APPROVED, decided_on=dt.date(2026, 12, 3),
        by=staff["hos"],
    )  # fmt: skip
    lpm = ms.lpm_list(episode=request.episode, panel_date=decided, by=staff["clo"])
    ms.lpm_record_outcome(
        lpm=lpm, expected_version=None, held_on=decided, outcome=LPMOutcome.INITIATE, chair=staff["hos"],
        by=staff["hos"],
    )  # fmt: skip
    return Episode.objects.get(pk=request.episode_id)


def fill_date(page, name: str, value: dt.date | None) -> None:
    parts = ("", "", "") if value is None else (str(value.day), str(value.month), str(value.year))
    for i, part in enumerate(parts):
        page.fill(f"#id_{name}_{i}", part)


def deadline(page, key: str, occurrence: int = 1) -> str:
    return page.locator(f"[data-testid=deadlines] tr[data-key='{key}'][data-occurrence='{occurrence}']").inner_text()


def open_action(page, base: str, episode: Episode, text: str) -> None:
    page.goto(f"{base}/cases/families/{episode.family_id}/")
    page.locator("[data-testid=actions]").get_by_role("link", name=text).first.click()
    page.wait_for_selector("form")


def submit(page, label: str) -> None:
    page.get_by_role("button", name=label).click()
    page.wait_for_load_state()


def test_the_proposed_agreement_is_recorded_from_the_case_page(page, live_server, staff, team):
    with time_machine.travel(dt.datetime(2027, 1, 20, 9, 30, tzinfo=dt.UTC), tick=True):
        episode = in_pre_proceedings(team, staff, dt.date(2026, 12, 17))  # Thu 17 Dec 2026
        cs.letter_deliver(
            episode=episode, person=episode.family.people.get(), delivered_on=dt.date(2026, 12, 23), by=staff["sw"]
        )
        base = live_server.url
        sign_in(page, base, staff["sw"].username)
        open_action(page, base, episode, "Record the proposed agreement sent to legal")
        fill_date(page, "sent_on", dt.date(2027, 1, 5))
        page.fill("#id_sent_on_0", "32")
        submit(page, "Save")
        assert "Date sent to legal must be a real date" in page.inner_text(".govuk-error-summary")
        assert page.input_value("#id_sent_on_1") == "1"  # what was typed is kept
        page.screenshot(path=str(SHOTS / "step-proposed-agreement-error.png"), full_page=True)
        fill_date(page, "sent_on", dt.date(2026, 12, 31))
        submit(page, "Save")
        assert "The date the proposed agreement was sent to legal has been recorded" in page.inner_text("main")
        # The initial meeting is due Mon 11 Jan 2027 (10 working days after Wed 23 Dec, over Christmas
        # and New Year), so the agreement was due Thu 7 Jan; sent Thu 31 Dec: met.
        row = deadline(page, "proposed_agreement_to_legal")
        assert "Thu 7 Jan 2027" in row and "31 Dec 2026" in row and "Met" in row
        # Held Mon 4 Jan 2027, the meeting fixes the date: Wed 30 Dec (New Year's Day skipped). 1 day late.
        ms.meeting_record(
            episode=episode, kind=MeetingKind.INITIAL, held_on=dt.date(2027, 1, 4), attendees="Dawn Ashworth",
            by=staff["tm"],
        )  # fmt: skip
        page.reload()
        row = deadline(page, "proposed_agreement_to_legal")
        assert "Wed 30 Dec 2026" in row and "(1 working day late)" in row and "Met late" in row
        page.locator("[data-testid=deadlines] tr[data-key='proposed_agreement_to_legal']").screenshot(
            path=str(SHOTS / "proposed-agreement-met-late.png")
        )


def test_a_review_lpm_is_listed_for_the_review_point_it_meets(page, live_server, staff, team):
    with time_machine.travel(dt.datetime(2027, 5, 10, 9, 30, tzinfo=dt.UTC), tick=True):  # Mon 10 May 2027
        episode = in_pre_proceedings(team, staff, dt.date(2026, 12, 18))  # Fri 18 Dec 2026
        cs.extension_agree(
            episode=episode, weeks=4, agreed_on=dt.date(2027, 3, 11), rationale="Assessment due in April",
            by=staff["hos"],
        )  # fmt: skip
        for point, held in ((1, dt.date(2027, 2, 11)), (2, dt.date(2027, 3, 11))):
            lpm = ms.lpm_list(
                episode=episode, panel_date=held, kind=LPMKind.REVIEW, review_point=point, by=staff["clo"]
            )
            ms.lpm_record_outcome(
                lpm=lpm, expected_version=None, held_on=held, outcome=LPMOutcome.CONTINUE, chair=staff["hos"],
                by=staff["hos"],
            )  # fmt: skip
        base = live_server.url
        sign_in(page, base, staff["clo"].username)
        open_action(page, base, episode, "List a legal gateway review")
        # The week-14 LPM (due Thu 25 Mar: week 14 is Good Friday) was skipped; week 20 is offered first.
        assert page.is_checked("input[name=review_point][value='4']")
        assert "due Thu 25 Mar 2027" in page.inner_text("main")
        fill_date(page, "panel_date", dt.date(2027, 5, 6))
        page.screenshot(path=str(SHOTS / "step-review-point.png"), full_page=True)
        submit(page, "List the case")
        assert "The case has been listed" in page.inner_text("main")
        page.locator("[data-testid=actions]").get_by_role(
            "link", name="Record the outcome of the legal gateway review"
        ).click()
        page.check(f"input[name=outcome][value={LPMOutcome.CONTINUE}]")
        submit(page, "Record the outcome")
        assert "The outcome has been recorded" in page.inner_text("main")
        assert "Not applicable" in deadline(page, "gateway_review", 3)
        week_20 = deadline(page, "gateway_review", 4)
        assert "Fri 7 May 2027" in week_20 and "6 May 2027" in week_20 and "Met" in week_20
        page.locator("[data-testid=deadlines]").screenshot(path=str(SHOTS / "review-points-deadlines.png"))


def test_the_overrun_warning_follows_the_current_forecast(page, live_server, staff, team, make_user):
    ad = make_user(Role.ASSISTANT_DIRECTOR, username="ada.director", first_name="Ada", last_name="Director", team=None)
    with time_machine.travel(dt.datetime(2027, 2, 1, 9, 30, tzinfo=dt.UTC), tick=True):  # Mon 1 Feb 2027
        # LPM Fri 4 Dec 2026: 16 weeks on is Good Friday, so the end is Thu 25 Mar 2027.
        episode = in_pre_proceedings(team, staff, dt.date(2026, 12, 4))
        cs.assessment_create(
            episode=episode, kind="psychological", provider="Dr Expert", instructed_on=dt.date(2027, 1, 20),
            due_on=dt.date(2027, 4, 15), by=staff["sw"],
        )  # fmt: skip
        base = live_server.url
        sign_in(page, base, ad.username)
        page.goto(f"{base}/cases/families/{episode.family_id}/")
        warning = page.inner_text("[data-testid=overrun]")
        assert "Predicted to run past the agreed end of pre-proceedings (25 Mar 2027)" in warning
        assert "assistant director and head of service" in warning
        reasons = page.locator("[data-testid=overrun-reasons] li").all_inner_texts()
        assert reasons == ["The psychological assessment is due on Thu 15 Apr 2027, after the end on Thu 25 Mar 2027"]
        page.screenshot(path=str(SHOTS / "case-overrun-predicted.png"), full_page=False)
        page.goto(f"{base}/deadlines/alerts/")
        assert "projected to run past its standard length" in page.inner_text("main").lower()

        sign_in(page, base, staff["hos"].username)
        open_action(page, base, episode, "Agree an extension")
        page.fill("#id_weeks", "4")
        fill_date(page, "agreed_on", dt.date(2027, 2, 1))
        page.fill("#id_rationale", "Psychological assessment reports in April")
        submit(page, "Agree extension")
        assert "The extension has been recorded" in page.inner_text("main")
        assert page.locator("[data-testid=overrun]").count() == 0  # the end is Fri 23 Apr: cleared
        assert "23 Apr 2027" in page.inner_text("[data-testid=projected-end]")
