"""The staff import pages and command (issue #12 §1): administrators only, preview, import."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from imports.models import TrackerUpload, UploadKind
from imports.staff import read_staff_rows

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-staff.csv"


@pytest.fixture
def admin_client(client, demo_staff):
    client.force_login(demo_staff["ada.admin"])
    return client


def _upload(client, data: bytes | None = None, name: str = "staff.csv"):
    file = SimpleUploadedFile(name, SAMPLE.read_bytes() if data is None else data)
    return client.post(reverse("accounts:staff-import"), {"staff": file})


def test_an_administrator_uploads_checks_and_imports_the_sample(admin_client):
    page = admin_client.get(reverse("accounts:staff-list")).content.decode()
    assert reverse("accounts:staff-import") in page and "Import staff from a CSV file" in page
    response = _upload(admin_client)
    upload = TrackerUpload.objects.get(kind=UploadKind.STAFF)
    assert response["Location"] == reverse("accounts:staff-import-preview", args=[upload.pk])
    page = admin_client.get(response["Location"]).content.decode()
    assert "7 rows cannot be imported" in page
    assert "Row 9: Unknown team &#x27;Northmoor East Family Safeguarding Team&#x27;" in page
    assert "Import 6 staff" in page and "Team: Northmoor North Family Safeguarding Team → Northmoor Central" in page
    assert not User.objects.filter(username="kwame.asante").exists()  # the preview writes nothing
    plan = page.split('name="plan" value="')[1].split('"')[0]
    response = admin_client.post(response["Location"], {"plan": plan})
    assert response["Location"] == reverse("accounts:staff-list")
    page = admin_client.get(response["Location"]).content.decode()
    assert "Imported staff from staff.csv: 4 added, 2 updated, 1 unchanged, 7 rows left out with errors." in page
    assert "Kwame Asante" in page
    assert not TrackerUpload.objects.exists()


def test_nothing_is_imported_when_records_changed_since_the_preview(admin_client):
    preview = _upload(admin_client)["Location"]
    page = admin_client.get(preview).content.decode()
    plan = page.split('name="plan" value="')[1].split('"')[0]
    User.objects.filter(username="tara.manager").update(email="kwame.asante@northmoor.example")
    page = admin_client.post(preview, {"plan": plan}).content.decode()
    assert "Nothing was imported" in page and "Staff records changed after you checked the file" in page
    assert "Email address kwame.asante@northmoor.example is already used by another member of staff" in page
    assert "Import 5 staff" in page  # checked again: the rest can go in
    assert not User.objects.filter(username__in=["lucy.fenwick", "deborah.okafor"]).exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"PK\x03\x04 not really", "staff.xlsx", "This is an Excel workbook: save it as CSV"),
        (b"Username,Email,Team,Roles\na,a@x.example,,Administrator\n", "staff.csv", "The file has no Name column"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_on_the_upload_page(admin_client, data, name, message):
    page = _upload(admin_client, data, name).content.decode()
    assert "There is a problem" in page and message in page
    assert 'aria-describedby="staff-hint staff-error"' in page
    assert not TrackerUpload.objects.exists()
    page = admin_client.post(reverse("accounts:staff-import"), {}).content.decode()
    assert "Choose the CSV file of staff to upload" in page


@pytest.mark.parametrize("role", [Role.HEAD_OF_SERVICE, Role.COURT_LIAISON_OFFICER, Role.SOCIAL_WORKER])
def test_only_administrators_may_import_staff(client, make_user, demo_staff, role):
    ada_client_upload = TrackerUpload.objects.create(
        uploaded_by=demo_staff["ada.admin"],
        kind=UploadKind.STAFF,
        filename="s.csv",
        content=SAMPLE.read_bytes(),
        sheet=read_staff_rows("s.csv", SAMPLE.read_bytes()).to_json(),
    )
    client.force_login(make_user(role))
    assert client.get(reverse("accounts:staff-import")).status_code == 403
    assert _upload(client).status_code == 403
    preview = reverse("accounts:staff-import-preview", args=[ada_client_upload.pk])
    assert client.get(preview).status_code == 403
    assert client.post(preview, {"plan": "x"}).status_code == 403
    assert not User.objects.filter(username="kwame.asante").exists()


def test_another_administrators_upload_is_not_yours(client, make_user, demo_staff):
    upload = TrackerUpload.objects.create(
        uploaded_by=demo_staff["ada.admin"],
        kind=UploadKind.STAFF,
        filename="s.csv",
        content=SAMPLE.read_bytes(),
        sheet=read_staff_rows("s.csv", SAMPLE.read_bytes()).to_json(),
    )
    client.force_login(make_user(Role.ADMINISTRATOR, team=None))
    response = client.get(reverse("accounts:staff-import-preview", args=[upload.pk]))
    assert response["Location"] == reverse("accounts:staff-import")
    # A tracker upload is not a staff list, whoever uploaded it.
    upload.kind = UploadKind.TRACKER
    upload.save()
    client.force_login(demo_staff["ada.admin"])
    assert client.get(reverse("accounts:staff-import-preview", args=[upload.pk]))["Location"] == reverse(
        "accounts:staff-import"
    )


def test_the_command_is_a_dry_run_unless_told_to_commit(demo_staff, capsys):
    with pytest.raises(CommandError, match="7 rows have errors"):
        call_command("import_staff", str(SAMPLE), "--as", "ada.admin")
    out = capsys.readouterr().out
    assert "row 10 (grace.oduya): 'grace.oduya@northmoor' is not a valid email address" in out
    assert "row 3 (joe.hartigan): Team: Northmoor North Family Safeguarding Team → Northmoor Central" in out
    assert "Check only: 4 new, 2 to update, 1 unchanged, 7 rows with errors. Nothing written" in out
    assert not User.objects.filter(username="kwame.asante").exists()
    with pytest.raises(CommandError, match="7 rows have errors"):
        call_command("import_staff", str(SAMPLE), "--as", "ada.admin", "--commit")
    assert "Imported: 4 new, 2 updated, 1 unchanged, 7 rows with errors left out." in capsys.readouterr().out
    assert User.objects.get(username="kwame.asante").roles == {Role.SOCIAL_WORKER}
    from pghistory.models import Events

    events = Events.objects.references(User.objects.get(username="kwame.asante")).filter(pgh_label="insert")
    assert {e.pgh_context["source"] for e in events} == {"import_staff command"}
    with pytest.raises(CommandError, match="No active administrator"):
        call_command("import_staff", str(SAMPLE), "--as", "clara.clo")
