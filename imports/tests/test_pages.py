"""The import pages (issue #12 §3): upload, map the columns (remembered), preview, import."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Family
from imports.models import ImportMapping, TrackerUpload
from imports.sample import sample_tracker_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def clo_client(client, council):
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=False):
        client.force_login(council["people"]["clo"])
        yield client


def _upload(client, data=None, name="sample-tracker.xlsx"):
    return client.post(reverse("imports:upload"), {"tracker": SimpleUploadedFile(name, data or sample_tracker_xlsx())})


def test_upload_map_preview_and_import_from_the_browser(clo_client):
    response = _upload(clo_client)
    upload = TrackerUpload.objects.get()
    assert response["Location"] == reverse("imports:columns", args=[upload.pk])
    page = clo_client.get(response["Location"]).content.decode()
    assert "The choices below are guessed from the headers" in page
    assert '<option value="lpm_date" selected>LPM / panel date</option>' in page
    # Each column's first value is shown as people read it: spreadsheet dates as UK dates.
    assert "00:00:00" not in page
    assert re.search(r"<td class=\"govuk-table__cell\">\d{1,2} [A-Z][a-z]{2} 20\d\d</td>", page)
    # Map every column as guessed, except leave out the Comments column (index 25).
    form = {f"col_{i}": v for i, v in enumerate(_guessed(page))}
    response = clo_client.post(reverse("imports:columns", args=[upload.pk]), form)
    assert response["Location"] == reverse("imports:preview", args=[upload.pk])
    page = clo_client.get(response["Location"]).content.decode()
    assert "4 rows cannot be imported" in page
    assert "Row 15: LPM / panel date: &#x27;31/02/2026&#x27; is not a real date" in page
    assert "Import 9 families" in page
    assert not Family.objects.exists()  # the preview writes nothing
    response = clo_client.post(reverse("imports:preview", args=[upload.pk]))
    assert response["Location"] == reverse("imports:done")
    page = clo_client.get(response["Location"]).content.decode()
    assert "9 new families, 0 updated" in page
    assert Family.objects.count() == 9 and not TrackerUpload.objects.exists()
    # The same headers next time: the mapping is remembered, and the file changes nothing.
    response = _upload(clo_client)
    page = clo_client.get(response["Location"]).content.decode()
    assert "These are the choices made last time" in page
    assert ImportMapping.objects.count() == 1


def _guessed(page: str) -> list[str]:
    import re

    selects = re.findall(r'<select class="govuk-select" id="col_(\d+)".*?</select>', page, re.S)
    values = []
    for block in re.findall(r'<select class="govuk-select" id="col_\d+" name="col_\d+">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', block)
        values.append(chosen[1] if chosen else "")
    assert len(values) == len(selects)
    return values


def test_a_mapping_without_the_needed_columns_says_which(clo_client):
    response = _upload(clo_client)
    upload = TrackerUpload.objects.get()
    page = clo_client.post(reverse("imports:columns", args=[upload.pk]), {"col_0": ""}).content.decode()
    assert "Choose the column that holds the family case ID" in page
    assert "Choose the column that holds the LPM / panel date" in page
    assert response.status_code == 302


def test_a_file_that_is_not_a_tracker_is_refused_beside_the_field(clo_client):
    page = _upload(clo_client, b"just some words", "notes.csv").content.decode()
    assert "There is a problem" in page and "No header row found" in page
    assert not TrackerUpload.objects.exists()


def test_someone_elses_upload_is_not_shown(clo_client, council, client):
    _upload(clo_client)
    upload = TrackerUpload.objects.get()
    from accounts.roles import Role
    from accounts.tests.factories import UserFactory

    other = UserFactory(roles=[Role.COURT_LIAISON_OFFICER], team=None)
    clo_client.force_login(other)
    response = clo_client.get(reverse("imports:preview", args=[upload.pk]))
    assert response["Location"] == reverse("imports:upload")
