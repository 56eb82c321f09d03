"""Importing staff from the browser, as a council's administrator does it (issue #12 §1)."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.roles import Role
from cases.demo import demo_password
from conftest import axe_violations, sign_in
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HEADER = "Username,Name,Email,Team,Roles,Single sign-on id\n"
ROWS = (
    "kwame.asante,Kwame Asante,kwame.asante@northmoor.example,Northmoor South Family Safeguarding Team,"
    "Social worker,3f6c1a9e-52b7-4d0c-9e1a-7b2d4c8f0a61\n"
    "deborah.okafor,Deborah Okafor,deborah.okafor@northmoor.example,,Court liaison officer|Business support,\n"
    "joe.hartigan,Joe Hartigan,joe.hartigan@northmoor.example,{team},Social worker;Team manager,\n"
)


def test_an_administrator_uploads_sees_an_error_fixes_the_file_and_imports(page, live_server, demo_staff, tmp_path):
    base = live_server.url
    wrong, fixed = tmp_path / "staff.csv", tmp_path / "staff-corrected.csv"
    wrong.write_text(HEADER + ROWS.format(team="Northmoor East Family Safeguarding Team"), encoding="cp1252")
    fixed.write_text(HEADER + ROWS.format(team="Northmoor Central Family Safeguarding Team"), encoding="cp1252")

    sign_in(page, base, "ada.admin", demo_password())
    page.get_by_role("link", name="Staff and teams").first.click()
    page.get_by_role("link", name="Import staff from a CSV file").click()
    page.get_by_text("An example file").click()
    page.screenshot(path=str(SHOTS / "staff-import-upload.png"), full_page=True)
    assert axe_violations(page) == []
    page.set_input_files("#staff", str(wrong))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_selector("[data-testid=import-rows]")
    summary = page.inner_text(".govuk-error-summary")
    assert "1 row cannot be imported" in summary
    assert "Row 4: Unknown team 'Northmoor East Family Safeguarding Team'" in summary
    row = page.inner_text("#row-4")
    assert "Error" in row and "add it under Staff and teams, or correct the name" in row
    assert "New" in page.inner_text("#row-2")
    page.screenshot(path=str(SHOTS / "staff-import-preview.png"), full_page=True)
    assert axe_violations(page) == []

    # Corrected in the spreadsheet and uploaded again: nothing has been written in between.
    assert not User.objects.filter(username="kwame.asante").exists()
    page.get_by_role("link", name="Upload another file").click()
    page.set_input_files("#staff", str(fixed))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_selector("[data-testid=import-rows]")
    assert page.locator(".govuk-error-summary").count() == 0
    assert "Team: Northmoor North Family Safeguarding Team → Northmoor Central" in page.inner_text("#row-4")
    page.get_by_role("button", name="Import 3 staff").click()
    page.wait_for_selector("[data-testid=staff]")
    assert "2 added, 1 updated, 0 unchanged, 0 rows left out with errors" in page.inner_text("main")
    staff_table = page.inner_text("[data-testid=staff]")
    assert "Kwame Asante" in staff_table and "Court liaison officer, Business support" in staff_table
    page.screenshot(path=str(SHOTS / "staff-import-done.png"), full_page=True)
    joe = User.objects.get(username="joe.hartigan")
    assert str(joe.team) == "Northmoor Central Family Safeguarding Team"
    assert joe.roles == {Role.SOCIAL_WORKER, Role.TEAM_MANAGER}
