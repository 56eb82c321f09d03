"""Go-live day in the browser (issue 24 §2 acceptance): a council's tracker with a title row, UK
dates and six months of history, imported with a go-live date of today, raises no alert and no
escalation about a date before it (the alert scan run too); "record as done" shows them met."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from cases.models import Episode
from conftest import axe_violations, sign_in
from deadlines.alerts import alert_scan
from deadlines.models import Alert, AlertKind, Deadline, DeadlineState
from imports.council_tracker import BAD_ROWS, FAMILIES, HEADERS, MAPPING, council_tracker_xlsx
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 12, 2)
NOW = dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC)


@pytest.fixture
def seniors(council):
    UserFactory(username="hos", first_name="Helen", last_name="Osei", roles=[Role.HEAD_OF_SERVICE], team=None)
    UserFactory(username="ad", roles=[Role.ASSISTANT_DIRECTOR], team=None)
    UserFactory(username="ada.admin", first_name="Ada", last_name="Admin", roles=[Role.ADMINISTRATOR], team=None)


def set_go_live_today(page, base):
    sign_in(page, base, "ada.admin")
    page.get_by_role("link", name="Go-live date").first.click()
    page.wait_for_selector("[data-testid=go-live-current]")
    assert "Not set" in page.inner_text("[data-testid=go-live-current]")
    page.fill("#id_date_0", str(TODAY.day))
    page.fill("#id_date_1", str(TODAY.month))
    page.fill("#id_date_2", str(TODAY.year))
    page.get_by_role("button", name="Save the go-live date").click()
    page.wait_for_selector(".govuk-notification-banner, [data-testid=go-live-changes]")
    assert "Wednesday 2 December 2026" in page.inner_text("[data-testid=go-live-current]")
    assert "Ada Admin" in page.inner_text("[data-testid=go-live-current]")


def upload_and_preview(page, base, tmp_path):
    sign_in(page, base, "clara.clo")
    path = tmp_path / "PLO tracker.xlsx"
    path.write_bytes(council_tracker_xlsx(TODAY))
    page.get_by_role("link", name="Import tracker").first.click()
    page.set_input_files("#tracker", str(path))
    page.get_by_role("button", name="Upload and choose columns").click()
    page.wait_for_selector("[data-testid=columns]")
    for i, header in enumerate(HEADERS):
        page.select_option(f"#col_{i}", MAPPING[header])
    page.get_by_role("button", name="Check every row").click()
    page.wait_for_selector("[data-testid=import-rows]")
    # The rows show while the styles may still be loading; a choice clicked then can land where
    # the radio was before the page took its final shape (seen once on a busy machine).
    page.wait_for_load_state("load")


def alerts_about_history():
    return (
        Alert.objects.filter(kind__in=[AlertKind.OVERDUE, AlertKind.ESCALATION], due_on__lt=TODAY).count(),
        Alert.objects.filter(kind=AlertKind.OVERRUN).count(),
    )


def test_a_go_live_date_of_today_keeps_the_imported_history_quiet(page, live_server, council, seniors, tmp_path):
    base = live_server.url
    with time_machine.travel(NOW, tick=True):
        set_go_live_today(page, base)
        page.screenshot(path=str(SHOTS / "go-live-admin.png"), full_page=True)
        assert axe_violations(page) == []

        upload_and_preview(page, base, tmp_path)
        go_live = page.inner_text("[data-testid=go-live]")
        assert "The council went live on 2 December 2026" in go_live
        counts = page.locator("[data-testid=not-tracked-count]")
        assert counts.count() == FAMILIES - BAD_ROWS  # one per family
        assert "not tracked before go-live" in counts.first.inner_text()
        page.screenshot(path=str(SHOTS / "import-preview-go-live.png"), full_page=True)
        assert axe_violations(page) == []
        assert page.is_checked("#before_go_live_1")  # "not tracked" unless the importer says otherwise
        page.get_by_role("button", name=f"Import {FAMILIES - BAD_ROWS} families").click()
        page.wait_for_selector("[data-testid=import-result]")

        assert alert_scan(today=TODAY).created >= 0
        assert alerts_about_history() == (0, 0)
        assert not Deadline.objects.filter(state=DeadlineState.OPEN, due_on__lt=TODAY).exists()

        # The oldest family: greyed steps with the reason on its case page.
        oldest = Episode.objects.get(family__reference="PLO/2026/001")  # Priya Lakhani's
        sign_in(page, base, "priya.lakhani")
        page.goto(base + reverse("cases:family-detail", args=[oldest.family_id]))
        page.wait_for_selector("[data-testid=deadlines]")
        note = page.inner_text("[data-testid=not-tracked-note]")
        assert "fell due before go-live on 2 December 2026" in note
        minutes = page.locator("[data-testid=deadlines] tr[data-key=lpm_minutes]")
        assert "Not tracked before go-live" in minutes.inner_text()
        assert "app-row--not-tracked" in (minutes.get_attribute("class") or "")
        assert page.locator("[data-testid=deadlines] .app-status--overdue").count() == 0
        page.locator("#deadlines").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "case-not-tracked-before-go-live.png"), full_page=True)
        page.locator("[data-testid=deadlines]").screenshot(path=str(SHOTS / "case-not-tracked-deadlines.png"))
        assert axe_violations(page) == []

        # The head of service sees the families past their end at go-live, once each.
        sign_in(page, base, "hos")
        listed = page.locator("[data-testid=past-end-at-go-live] li")
        assert listed.count() >= 1
        names = [listed.nth(i).inner_text() for i in range(listed.count())]
        assert len(names) == len(set(names))
        assert "No case is predicted to run past" in page.inner_text("main")
        page.locator("#past-end-at-go-live").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "hos-past-end-at-go-live.png"))

        # The head of service's tracker: no family red for history, each imported row saying how many are not tracked.
        page.goto(base + reverse("deadlines:tracker"))
        page.wait_for_selector("[data-testid=tracker-table]")
        table = page.inner_text("[data-testid=tracker-table]")
        assert "steps not tracked before go-live" in table
        assert " overdue" not in table.lower().replace("not tracked", "")
        page.screenshot(path=str(SHOTS / "tracker-not-tracked-before-go-live.png"))


def test_record_as_done_shows_the_history_met(page, live_server, council, seniors, tmp_path):
    base = live_server.url
    with time_machine.travel(NOW, tick=True):
        set_go_live_today(page, base)
        upload_and_preview(page, base, tmp_path)
        page.check("#before_go_live_2")
        page.get_by_role("button", name=f"Import {FAMILIES - BAD_ROWS} families").click()
        page.wait_for_selector("[data-testid=import-result]")
        alert_scan(today=TODAY)
        assert alerts_about_history() == (0, 0)

        oldest = Episode.objects.get(family__reference="PLO/2026/001")  # Priya Lakhani's
        sign_in(page, base, "priya.lakhani")
        page.goto(base + reverse("cases:family-detail", args=[oldest.family_id]))
        minutes = page.locator("[data-testid=deadlines] tr[data-key=lpm_minutes]")
        assert "Met (done before go-live)" in minutes.inner_text()
        assert "Recorded as done at import; date not known" in minutes.inner_text()
        page.locator("[data-testid=deadlines]").screenshot(path=str(SHOTS / "case-recorded-done-at-go-live.png"))
