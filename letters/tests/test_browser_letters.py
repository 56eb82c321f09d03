"""In a browser: a social worker drafts the letter before proceedings for both parents, downloads both,
and the case page shows the drafts; the team manager moves the LPM date and the drafts go out of date.
Screenshots of the template list and a drafted letter's preview (issue 21 acceptance)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from docx import Document

from cases.models import Episode, Stage
from conftest import DEMO_NOW, axe_violations, demo_council_database, sign_in
from letters.context import uk_date
from letters.models import Draft
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 11, 23)
PASSWORD = "demo-password-2026"


def two_parent_family() -> Episode:
    for episode in Episode.objects.filter(
        stage=Stage.PRE_PROCEEDINGS, ended_on__isnull=True, family__restricted=False
    ).order_by("pk"):
        people = [p for p in episode.family.people.all() if p.parental_responsibility]
        if len(people) == 2 and all(p.address for p in people) and episode.family.team_manager:
            return episode
    raise AssertionError("the demo has no family in pre-proceedings with two parents")


def test_a_social_worker_drafts_the_letter_for_both_parents_and_it_goes_out_of_date(page, live_server, tmp_path):
    base = live_server.url
    demo_council_database()  # manage.py demo_data for TODAY, built once per run
    with time_machine.travel(DEMO_NOW, tick=True):
        episode = two_parent_family()
        family = episode.family
        parents = sorted(p.full_name for p in family.people.filter(parental_responsibility=True))
        case_url = base + reverse("cases:family-detail", args=[family.pk])

        # The administrator's template list: a shipped template for every document.
        sign_in(page, base, "ada.admin", PASSWORD)
        page.goto(base + reverse("letters:template-list"))
        assert "Letter before proceedings" in page.inner_text("[data-testid=templates]")
        page.screenshot(path=str(SHOTS / "letter-templates.png"), full_page=True)
        assert axe_violations(page) == []

        # The family's social worker drafts the letter from the case page.
        sign_in(page, base, family.social_worker.username, PASSWORD)
        page.goto(case_url)
        page.locator("[data-testid=draft-links]").get_by_role(
            "link", name="Draft the letter before proceedings"
        ).click()
        page.wait_for_selector("[data-testid=recipients]")
        assert all(name in page.inner_text("[data-testid=recipients]") for name in parents)
        assert axe_violations(page) == []
        page.fill("#id_meeting_time", "10am")
        page.fill("#id_meeting_place", "Northmoor Family Centre, 12 Chapel Street")
        page.get_by_role("button", name="Draft the letter").click()
        page.wait_for_selector("[data-testid=drafts]")
        assert "Letter before proceedings drafted for" in page.inner_text(".govuk-notification-banner")
        rows = page.locator("[data-testid=draft-row]")
        assert rows.count() == 2
        assert page.locator("[data-testid=draft-dates]").all_inner_texts() == ["Up to date", "Up to date"]

        # Both letters download, each addressed to its parent.
        received = []
        for i in range(2):
            with page.expect_download() as info:
                rows.nth(i).get_by_role("link", name="Download (.docx)").click()
            path = tmp_path / f"letter-{i}.docx"
            info.value.save_as(path)
            text = "\n".join(p.text for p in Document(io.BytesIO(path.read_bytes())).paragraphs)
            received.append(next(name for name in parents if f"Dear {name}," in text))
            assert "at 10am, at Northmoor Family Centre, 12 Chapel Street" in text
        assert sorted(received) == parents

        # The preview page of one of them.
        rows.nth(0).get_by_role("link", name="Preview").click()
        page.wait_for_selector("[data-testid=preview]")
        assert "Letter before proceedings" in page.inner_text("h1")
        assert "free legal advice" in page.inner_text("[data-testid=preview]")
        page.screenshot(path=str(SHOTS / "letter-preview.png"), full_page=True)
        assert axe_violations(page) == []

        # The team manager moves the LPM's date: the case page says the drafts are out of date, and why.
        lpm = episode.lpms.exclude(outcome="").order_by("panel_date").last()
        assert lpm is not None and family.team_manager is not None
        moved = lpm.panel_date - dt.timedelta(days=1)
        sign_in(page, base, family.team_manager.username, PASSWORD)
        page.goto(base + reverse("meetings:lpm-edit", args=[lpm.pk]))
        page.fill("#id_panel_date_0", str(moved.day))
        page.fill("#id_panel_date_1", str(moved.month))
        page.fill("#id_panel_date_2", str(moved.year))
        page.locator("main form[method=post]").last.locator("button:not([formaction]), input[type=submit]").last.click()
        page.wait_for_selector("[data-testid=drafts]")
        dates = page.locator("[data-testid=draft-dates]").all_inner_texts()
        assert len(dates) == 2 and all("Out of date" in d for d in dates)
        assert all(f"Legal planning meeting: was {uk_date(lpm.panel_date)}, now {uk_date(moved)}" in d for d in dates)
        page.locator("#drafts").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "letter-out-of-date.png"), full_page=True)
        assert axe_violations(page) == []
        assert Draft.objects.filter(episode=episode).count() == 2
