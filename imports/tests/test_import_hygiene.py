"""Import hygiene (issue 24 §7): repeated rows are shown, the staff preview shows every field it
writes, and the headers councils' trackers use are recognised."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Family
from imports.fields import mapping_errors, mapping_guess
from imports.models import TrackerUpload
from imports.parsing import read_tracker
from imports.sample import SAMPLE_TODAY
from imports.services import tracker_check, tracker_import

pytestmark = pytest.mark.django_db

# A tracker as a council keeps it: a title row, the child's forenames and surname in two columns,
# "DOB" and "Date of LPM", no family-name column.
COUNCIL_TRACKER = "\r\n".join(
    [
        "Northmoor pre-proceedings tracker,,,,,,,,",
        "Case ID,Child forename(s),Child Surname,Child ID,DOB,Team,Social worker,Team manager,Date of LPM",
        "TRK-5001,Mary Jane,Okafor,C-90001,14/03/2019,Northmoor North Family Safeguarding Team,"
        "Priya Lakhani,Tara Pemberton,02/09/2026",
        "TRK-5002,Leo,Barton,C-90002,01/02/2020,Northmoor North Family Safeguarding Team,"
        "Priya Lakhani,Tara Pemberton,03/09/2026",
        "TRK-5001,Mary Jane,Okafor,C-90001,14/03/2019,Northmoor North Family Safeguarding Team,"
        "Priya Lakhani,Tara Pemberton,02/09/2026",
    ]
)


def test_the_headers_councils_use_are_recognised():
    guess = mapping_guess(["Case ID", "Child forename(s)", "Child Surname", "DOB", "Date of LPM", "Surname"])
    assert guess == {
        "Case ID": "family_reference",
        "Child forename(s)": "children",
        "Child Surname": "child_surnames",
        "DOB": "child_dobs",
        "Date of LPM": "lpm_date",
        "Surname": "family_name",
    }
    # With the children's surnames in a column of their own, no family-name column is needed.
    without = {h: k for h, k in guess.items() if k != "family_name"}
    assert mapping_errors(without) == []
    assert "Choose the column that holds the family name" in mapping_errors(
        {h: k for h, k in without.items() if k != "child_surnames"}
    )


def test_a_council_tracker_with_forenames_and_surnames_imports_each_child_by_full_name(council):
    sheet = read_tracker("tracker.csv", COUNCIL_TRACKER.encode())
    assert sheet.header_row == 2
    result = tracker_import(
        sheet=sheet, mapping=mapping_guess(sheet.headers), by=council["people"]["clo"], today=SAMPLE_TODAY
    )
    assert result.created == 2, [r.errors for r in result.check.rows]
    family = Family.objects.get(reference="TRK-5001")
    assert family.name == "Okafor family"
    child = family.children.get()
    assert (child.first_name, child.last_name) == ("Mary Jane", "Okafor")


def test_an_exact_repeat_is_marked_in_the_check(council):
    sheet = read_tracker("tracker.csv", COUNCIL_TRACKER.encode())
    check = tracker_check(sheet=sheet, mapping=mapping_guess(sheet.headers), today=SAMPLE_TODAY)
    assert [(r.number, r.repeats) for r in check.rows] == [(3, None), (4, None), (5, 3)]
    assert check.repeated_rows == 1 and check.count("new") == 2


def test_the_preview_marks_each_repeated_row_and_says_which_row_it_repeats(client, council):
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=False):
        client.force_login(council["people"]["clo"])
        data = COUNCIL_TRACKER.encode()
        client.post(reverse("imports:upload"), {"tracker": SimpleUploadedFile("t.csv", data)})
        upload = TrackerUpload.objects.get()
        mapping = mapping_guess(upload.sheet["headers"])
        form = {f"col_{i}": mapping[h] for i, h in enumerate(upload.sheet["headers"])}
        client.post(reverse("imports:columns", args=[upload.pk]), form)
        page = client.get(reverse("imports:preview", args=[upload.pk])).content.decode()
    assert "Rows repeating an earlier row</dt>" in page and "1: each is marked below and imported once" in page
    row5 = page.split('id="row-5"')[1].split("</tr>")[0]
    assert 'Repeat</strong> Same as <a class="govuk-link" href="#row-3">row 3</a>, cell for cell' in row5
    assert "Same as" not in page.split('id="row-4"')[1].split("</tr>")[0]
    assert "Import 2 families" in page


def test_the_staff_preview_shows_the_job_title_and_single_sign_on_id_as_text(client, demo_staff):
    client.force_login(demo_staff["ada.admin"])
    data = (
        b"Username,Name,Email,Team,Roles,Job title,Single sign-on id\r\n"
        b"kim.new,Kim New,kim.new@northmoor.example,Northmoor North Family Safeguarding Team,Social worker,"
        b'"<script>alert(1)</script> Senior SW",9d1c-77\r\n'
    )
    response = client.post(reverse("accounts:staff-import"), {"staff": SimpleUploadedFile("s.csv", data)})
    page = client.get(response["Location"]).content.decode()
    assert '<th scope="col" class="govuk-table__header">Job title</th>' in page
    assert '<th scope="col" class="govuk-table__header">Single sign-on id</th>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Senior SW" in page and "<script>alert(1)" not in page
    assert '<td class="govuk-table__cell">9d1c-77</td>' in page
