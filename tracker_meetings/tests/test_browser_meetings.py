"""Browser journeys for issue 13 §3–§5 on the demo council: a tracker meeting from agenda to printed
minutes with an action that later turns overdue and raises an alert; role homes; the weekly
tracker's history. Set PLO_SCREENSHOTS=docs/screenshots to save the screens."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
import time_machine

from accounts.models import User
from cases.models import Episode
from conftest import DEMO_NOW, axe_violations, demo_council_database, sign_in
from deadlines.alerts import alert_scan
from deadlines.models import Alert, AlertKind
from deadlines.selectors.tracker import tracker_rows
from deadlines.services import calendar_current
from tracker_meetings.models import MeetingAction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 11, 23)  # a Monday
PASSWORD = "demo-password-2026"


def shot(page, name: str) -> None:
    """Save a full-page screenshot when PLO_SCREENSHOTS names a folder."""
    folder = os.environ.get("PLO_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


@pytest.fixture
def demo(live_server):
    """The demo council (`manage.py demo_data`, built once per run and copied in), at 09:00 that Monday."""
    demo_council_database()
    with time_machine.travel(DEMO_NOW, tick=True) as traveller:
        yield live_server.url, traveller


def _refs(text: str) -> set[str]:
    return set(re.findall(r"PLO-\d{4}-\d{3}", text))


def test_tracker_meeting_from_agenda_to_minutes_with_an_action_that_turns_overdue(page, demo):
    url, traveller = demo
    clo = User.objects.get(username="clara.clo")
    sign_in(page, url, "clara.clo", PASSWORD)
    assert "Meetings to prepare" in page.inner_text("main")
    shot(page, "home-court-liaison-officer")
    assert axe_violations(page) == []

    # Set up this week's tracker meeting from the home page's prompt.
    page.locator("[data-testid=meetings-to-prepare] tr", has_text="Weekly tracker meeting").get_by_role(
        "link", name=re.compile("Set it up")
    ).click()
    page.wait_for_selector("h1:has-text('Set up a tracker meeting or panel')")
    assert page.is_checked("input[value=weekly_tracker]")
    assert page.input_value("#id_meets_on_0") == "23"
    shot(page, "meeting-set-up")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Set up the meeting and build its agenda").click()
    page.wait_for_selector("h1:has-text('Weekly tracker meeting, Monday 23 November 2026')")

    # The agenda holds every red and amber case on the tracker.
    rows = tracker_rows(user=clo, today=TODAY, calendar=calendar_current())
    hot = {r.reference for r in rows if r.rag in ("red", "amber")}
    agenda = {el.get_attribute("data-reference") for el in page.query_selector_all("[data-testid=agenda-item]")}
    assert hot and hot <= agenda
    first = page.query_selector("[data-testid=agenda-item]")
    reference = first.get_attribute("data-reference")
    episode = Episode.objects.select_related("family__team_manager").get(
        family__reference=reference, ended_on__isnull=True
    )
    owner = episode.family.team_manager
    assert owner is not None
    assert axe_violations(page) == []
    shot(page, "meeting-agenda")

    # Notes, decisions and a review date for the first case.
    page.get_by_role("link", name=f"Record notes and decisions for {reference}").click()
    page.fill("#id_note", "Letter still not delivered; the social worker is off sick.")
    page.fill("#id_decisions", "Team manager to deliver the letter by hand this week.")
    page.fill("#id_review_on_0", "30")
    page.fill("#id_review_on_1", "11")
    page.fill("#id_review_on_2", "2026")
    shot(page, "meeting-item-notes")
    page.get_by_role("button", name="Save the notes for this case").click()
    page.wait_for_selector(f"text=Notes saved for {reference}")

    # An action with an owner and a due date; a date before the meeting is refused beside the field.
    page.get_by_role("link", name=f"Add an action for {reference}").click()
    page.fill("#id_description", "Deliver the letter before proceedings by hand")
    page.select_option("#id_owner", label=f"{owner.get_full_name()} ({owner.team})")
    page.fill("#id_due_on_0", "20")
    page.fill("#id_due_on_1", "11")
    page.fill("#id_due_on_2", "2026")
    page.get_by_role("button", name="Add the action").click()
    page.wait_for_selector(".govuk-error-summary")
    assert "The due date must be on or after the meeting on 23 November 2026" in page.inner_text(".govuk-error-summary")
    assert page.input_value("#id_description") == "Deliver the letter before proceedings by hand"
    shot(page, "meeting-action-error")
    assert axe_violations(page) == []
    page.fill("#id_due_on_0", "25")
    page.get_by_role("button", name="Add the action").click()
    page.wait_for_selector(f"text=Action added for {reference}")
    item = page.locator(f"[data-reference='{reference}']")
    assert "Deliver the letter before proceedings by hand" in item.inner_text()

    # The legal adviser records privileged advice on the same case, and only that (issue 9).
    sign_in(page, url, "leo.legal", PASSWORD)
    page.goto(f"{url}/tracker-meetings/")
    page.get_by_role("link", name="Weekly tracker meeting").first.click()
    assert page.get_by_role("link", name=f"Record notes and decisions for {reference}").count() == 0
    page.get_by_role("link", name=f"Record the legal advice for {reference}").click()
    assert page.locator("#id_note").count() == 0 and page.locator("#id_decisions").count() == 0
    page.fill("#id_legal_advice", "Threshold remains met; proceed to issue if the letter is not delivered.")
    shot(page, "meeting-item-legal-advice-only")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save the legal advice").click()
    page.wait_for_selector(f"text=Notes saved for {reference}")
    page.get_by_role("link", name="Print the minutes").click()
    assert "Threshold remains met" in page.inner_text("main")

    # The court liaison officer prints the minutes: no legal advice in their copy.
    sign_in(page, url, "clara.clo", PASSWORD)
    page.goto(f"{url}/tracker-meetings/")
    shot(page, "meetings-list")
    page.get_by_role("link", name="Weekly tracker meeting").first.click()
    page.get_by_role("link", name="Record the meeting as held").click()
    page.fill("#id_attendees", "Clara Ashdown, court liaison officer\nHelen Carrow, head of service")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=The meeting is recorded as held")
    page.get_by_role("link", name="Print the minutes").click()
    minutes = page.inner_text("main")
    assert "Letter still not delivered" in minutes and "Team manager to deliver the letter" in minutes
    assert "Deliver the letter before proceedings by hand" in minutes and "Review by 30 November 2026" in minutes
    assert "Threshold remains met" not in minutes
    assert "Legal advice is privileged and is not included in this copy" in minutes
    shot(page, "meeting-minutes")
    assert axe_violations(page) == []

    # Three days later the action is overdue: the 07:00 scan alerts its owner, and their home says so.
    action = MeetingAction.objects.get(description="Deliver the letter before proceedings by hand")
    traveller.move_to(dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC))
    alert_scan(today=dt.date(2026, 11, 26))
    assert Alert.objects.filter(deadline=action.deadline, recipient=owner, kind=AlertKind.OVERDUE).exists()
    sign_in(page, url, owner.username, PASSWORD)
    mine = page.inner_text("[data-testid=my-actions]")
    assert "Deliver the letter before proceedings by hand" in mine and "Overdue" in mine
    shot(page, "home-action-overdue")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile("Alerts")).click()
    alerts = page.inner_text("main")
    assert "Action: Deliver the letter before proceedings by hand" in alerts and reference in alerts
    assert axe_violations(page) == []


@pytest.mark.parametrize(
    ("username", "sections", "name"),
    [
        ("leo.legal", ["LPMs this week", "Legal advice to record", "Proceedings to issue"], "home-legal-adviser"),
        (
            "helen.hos",
            ["LPM requests waiting for your decision", "Predicted to overrun", "Extensions to decide"],
            "home-head-of-service",
        ),
    ],
)
def test_role_homes_answer_what_to_do_today(page, demo, username, sections, name):
    url, _ = demo
    sign_in(page, url, username, PASSWORD)
    text = page.inner_text("main")
    for section in sections:
        assert section in text
    shot(page, name)
    assert axe_violations(page) == []


def test_assistant_director_home(page, demo):
    url, _ = demo
    ad = User.objects.filter(groups__name="Assistant director").first()
    assert ad is not None
    sign_in(page, url, ad.username, PASSWORD)
    text = page.inner_text("main")
    for section in ("Escalations", "Predicted to overrun", "Second episodes"):
        assert section in text
    assert _refs(page.inner_text("[data-testid=second-episodes]"))
    shot(page, "home-assistant-director")
    assert axe_violations(page) == []


def test_weekly_tracker_shows_13_weeks_of_history(page, demo):
    url, _ = demo
    sign_in(page, url, "helen.hos", PASSWORD)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Weekly tracker").click()
    page.get_by_test_id("history-link").click()
    page.wait_for_selector("h1:has-text('Weekly tracker over time')")
    weeks = page.query_selector_all("[data-testid=history-table] tbody tr")
    assert len(weeks) == 13
    assert weeks[0].get_attribute("data-week") == "2026-11-22"
    assert weeks[-1].get_attribute("data-week") == "2026-08-30"
    for chart in ("chart-open", "chart-flow", "chart-on-time", "chart-median"):
        assert page.query_selector(f"[data-testid={chart}] svg") is not None
    shot(page, "weekly-history-13-weeks")
    assert axe_violations(page) == []
    # A column of the chart leads to the cases behind it.
    page.locator("[data-testid=history-table] tbody tr").first.locator("td a").nth(1).click()
    page.wait_for_selector("h1:has-text('Open at the week')")
    assert _refs(page.inner_text("main"))
    shot(page, "weekly-history-drill-down")
    page.go_back()
    page.select_option("#id_weeks", "52")
    north = User.objects.get(username="tara.manager").team
    assert north is not None
    page.select_option("#id_team", label=north.name)
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("h1:has-text('the last 52 weeks')")
    assert len(page.query_selector_all("[data-testid=history-table] tbody tr")) == 52
    shot(page, "weekly-history-52-weeks-team")
    assert axe_violations(page) == []


def _fill_date(page, field: str, day: dt.date | None) -> None:
    for i, part in enumerate((day.day, day.month, day.year) if day else ("", "", "")):
        page.fill(f"#id_{field}_{i}", str(part))


def test_tracker_meeting_minutes_drafted_approved_circulated_and_printed(page, demo):
    url, traveller = demo
    ad = User.objects.filter(groups__name="Assistant director").first()
    clo = User.objects.get(username="clara.clo")
    hos = User.objects.get(username="helen.hos")
    assert ad is not None
    sign_in(page, url, "clara.clo", PASSWORD)
    page.goto(f"{url}/tracker-meetings/new/?kind=weekly_tracker&meets_on=2026-11-23")
    page.get_by_role("button", name="Set up the meeting and build its agenda").click()
    page.wait_for_selector("h1:has-text('Weekly tracker meeting, Monday 23 November 2026')")
    meeting_url = page.url
    page.get_by_role("link", name="Record the meeting as held").click()
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=The meeting is recorded as held")
    assert "Not yet drafted." in page.inner_text("[data-testid=minutes-state]")

    # Two days later the CLO records the draft; approval dated before the draft is refused beside its field.
    traveller.move_to(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC))
    sign_in(page, url, "clara.clo", PASSWORD)  # sessions end after 30 minutes idle
    page.goto(meeting_url)
    page.get_by_role("link", name=re.compile("Record the minutes")).click()
    page.wait_for_selector("h1:has-text('Minutes: weekly tracker meeting held on 23 November 2026')")
    _fill_date(page, "minutes_drafted_on", dt.date(2026, 11, 24))
    _fill_date(page, "minutes_approved_on", dt.date(2026, 11, 23))
    page.get_by_role("button", name="Save the minutes").click()
    page.wait_for_selector(".govuk-error-summary")
    beside = page.inner_text("#div_id_minutes_approved_on .govuk-error-message")
    assert "The date the minutes were approved must be on or after the date drafted (24/11/2026)" in beside
    assert page.input_value("#id_minutes_drafted_on_0") == "24"  # nothing typed is lost
    shot(page, "meeting-minutes-error")
    assert axe_violations(page) == []
    _fill_date(page, "minutes_approved_on", None)
    page.get_by_role("button", name="Save the minutes").click()
    page.wait_for_selector("text=The minutes have been saved")
    steps = page.inner_text("[data-testid=minutes-steps]")
    assert f"24 Nov 2026 by {clo.get_full_name()}" in steps
    assert "Drafted, waiting for approval." in page.inner_text("[data-testid=minutes-state]")
    page.get_by_role("link", name="Print the minutes").click()
    assert page.inner_text("[data-testid=minutes-draft]") == "DRAFT"
    status = page.inner_text("[data-testid=minutes-status]")
    assert f"draft, drafted by {clo.get_full_name()} on 24 November 2026, not yet approved." in status
    shot(page, "meeting-minutes-draft")
    assert axe_violations(page) == []
    page.emulate_media(media="print")  # on paper: no menus, DRAFT across the page
    shot(page, "meeting-minutes-draft-print")
    page.emulate_media(media="screen")

    # The head of service approves them, then they go to the assistant director and the CLO.
    sign_in(page, url, "helen.hos", PASSWORD)
    page.goto(meeting_url)
    page.get_by_role("link", name=re.compile("Update the minutes")).click()
    _fill_date(page, "minutes_approved_on", dt.date(2026, 11, 25))
    page.get_by_role("button", name="Save the minutes").click()
    page.wait_for_selector("text=The minutes have been saved")
    assert "Approved, not yet circulated." in page.inner_text("[data-testid=minutes-state]")
    page.get_by_role("link", name=re.compile("Update the minutes")).click()
    _fill_date(page, "minutes_circulated_on", dt.date(2026, 11, 25))
    page.get_by_label(re.compile(f"{ad.get_full_name()}, ")).check()
    page.get_by_label(re.compile(f"{clo.get_full_name()}, ")).check()
    shot(page, "meeting-minutes-record")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save the minutes").click()
    page.wait_for_selector("text=The minutes have been saved")
    steps = page.inner_text("[data-testid=minutes-steps]")
    assert f"25 Nov 2026 by {hos.get_full_name()}" in steps and ad.get_full_name() in steps
    shot(page, "meeting-minutes-steps")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Print the minutes").click()
    assert page.query_selector("[data-testid=minutes-draft]") is None
    status = page.inner_text("[data-testid=minutes-status]")
    assert f"approved by {hos.get_full_name()} on 25 November 2026" in status
    recipients = sorted([ad, clo], key=lambda u: (u.last_name, u.first_name))
    assert f"Circulated on 25 November 2026 to {', '.join(u.get_full_name() for u in recipients)}." in status
    shot(page, "meeting-minutes-circulated")
    assert axe_violations(page) == []
