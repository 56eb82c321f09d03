"""Uploads that cannot hurt the service (issue 24 §3): every hostile file is refused with its
reason, in under 5 seconds, by a process capped at 512 MB; and the pages show that reason beside
the upload field instead of a server error."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import TrackerUpload

from .hostile import HOSTILE, Hostile

ROOT = Path(__file__).resolve().parents[2]
MEMORY_CAP = 512 * 2**20
# Runs one file through the parser the upload pages use, with the process's address space capped
# first: a reader that loads a bomb whole dies with MemoryError instead of answering.
RUNNER = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from imports.parsing import TrackerFileError, read_tracker
data = open(sys.argv[2], "rb").read()
start = time.monotonic()
try:
    sheet = read_tracker(sys.argv[1], data)
    out = {{"rows": len(sheet.rows)}}
except TrackerFileError as exc:
    out = {{"error": str(exc)}}
out["seconds"] = time.monotonic() - start
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    paths = {}
    for i, (name, hostile) in enumerate(HOSTILE.items()):
        path = folder / f"{i}-{hostile.filename}"
        path.write_bytes(hostile.build())
        paths[name] = path
    return paths


@pytest.mark.parametrize("name", list(HOSTILE))
def test_each_hostile_file_is_refused_quickly_within_512_mb(name: str, hostile_files: dict[str, Path]) -> None:
    hostile: Hostile = HOSTILE[name]
    path = hostile_files[name]
    assert path.stat().st_size < 3.2 * 2**20  # small on disk, whatever it claims to hold
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER.format(cap=MEMORY_CAP), hostile.filename, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert "error" in answer, answer
    assert hostile.message in answer["error"]
    assert took < 5, f"{name} took {took:.1f} s"


def test_the_zip_bomb_really_unpacks_to_a_gigabyte(hostile_files: dict[str, Path]) -> None:
    import zipfile

    with zipfile.ZipFile(hostile_files["a 1 GB zip bomb"]) as z:
        assert sum(i.file_size for i in z.infolist()) > 2**30


def test_openpyxl_parses_with_defusedxml() -> None:
    """openpyxl switches to defusedxml when it is installed (requirements.txt pins it)."""
    import defusedxml.ElementTree
    import openpyxl.xml
    import openpyxl.xml.functions

    assert openpyxl.xml.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse is defusedxml.ElementTree.iterparse


TRACKER_PAGE_FILES = [n for n in HOSTILE if n != "a 1 GB zip bomb"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", [*TRACKER_PAGE_FILES, "a 1 GB zip bomb"])
def test_the_tracker_upload_page_says_why_beside_the_field(
    name: str, client, council, hostile_files: dict[str, Path]
) -> None:
    client.force_login(council["people"]["clo"])
    hostile = HOSTILE[name]
    file = SimpleUploadedFile(hostile.filename, hostile_files[name].read_bytes())
    response = client.post(reverse("imports:upload"), {"tracker": file})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<p id="tracker-error" class="govuk-error-message">' in page
    error = page.split('<p id="tracker-error" class="govuk-error-message">')[1].split("</p>")[0]
    assert hostile.message.replace("<", "&lt;").replace(">", "&gt;") in error
    assert not TrackerUpload.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a CSV with one 3 MB field", "longer than 131,072 characters"),
        ("truncated sheet XML", "This is an Excel workbook: save it as CSV"),
        ("an encrypted workbook (OLE container)", "This is an Excel workbook: save it as CSV"),
    ],
)
def test_the_staff_upload_page_says_why_beside_the_field(
    name: str, message: str, client, demo_staff, hostile_files: dict[str, Path]
) -> None:
    client.force_login(demo_staff["ada.admin"])
    hostile = HOSTILE[name]
    file = SimpleUploadedFile(hostile.filename.replace(".xlsx", ".csv"), hostile_files[name].read_bytes())
    response = client.post(reverse("accounts:staff-import"), {"staff": file})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="govuk-error-message"' in page and message in page
    assert not TrackerUpload.objects.exists()


@pytest.mark.django_db
def test_staff_csv_beyond_the_columns_or_rows_is_refused(client, demo_staff) -> None:
    client.force_login(demo_staff["ada.admin"])
    wide = ("Username,Name,Email,Team,Roles" + ",x" * 300 + "\n").encode()
    page = client.post(reverse("accounts:staff-import"), {"staff": SimpleUploadedFile("s.csv", wide)}).content.decode()
    assert "beyond column IV" in page
    tall = ("Username,Name,Email,Team,Roles\n" + "a,b,c,d,e\n" * 10_500).encode()
    page = client.post(reverse("accounts:staff-import"), {"staff": SimpleUploadedFile("s.csv", tall)}).content.decode()
    assert "rows beyond row 10,000" in page and "manage.py import_staff" in page
