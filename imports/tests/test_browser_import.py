"""The tracker import from the browser, as the court liaison officer does it (issue #12 §3)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cases.models import Family
from conftest import axe_violations, sign_in
from imports.sample import sample_tracker_xlsx
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_clo_uploads_maps_checks_and_imports_the_sample_tracker(page, live_server, council, tmp_path):
    base = live_server.url
    sample = tmp_path / "sample-tracker.xlsx"
    sample.write_bytes(sample_tracker_xlsx())
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=True):
        sign_in(page, base, "clara.clo")
        page.get_by_role("link", name="Import tracker").first.click()
        page.set_input_files("#tracker", str(sample))
        page.get_by_role("button", name="Upload and choose columns").click()
        page.wait_for_selector("[data-testid=columns]")
        assert page.input_value("#col_9") == "lpm_date"  # "LPM/Panel date" guessed
        page.screenshot(path=str(SHOTS / "import-columns.png"), full_page=True)
        assert axe_violations(page) == []
        page.get_by_role("button", name="Check every row").click()
        page.wait_for_selector("[data-testid=import-rows]")
        summary = page.inner_text(".govuk-error-summary")
        assert "4 rows cannot be imported" in summary
        assert "Row 15: LPM / panel date: '31/02/2026' is not a real date" in summary
        page.screenshot(path=str(SHOTS / "import-preview.png"), full_page=True)
        assert axe_violations(page) == []
        page.get_by_role("button", name="Import 9 families").click()
        page.wait_for_selector("[data-testid=import-result]")
        assert "9 new families, 0 updated" in page.inner_text("main")
        page.screenshot(path=str(SHOTS / "import-done.png"), full_page=True)
    assert Family.objects.count() == 9
