"""The import's uploads and remembered column mappings (docs/tracker-import.md): an upload is its
uploader's alone and gone after a day unless its job is waiting or running; a mapping saved for
one tracker layout is found again for the same headers, and only for them; the go-live preview
writes nothing and says when a file is too large to try."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
import time_machine
from pghistory.models import Events

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from cases.models import Episode, Family
from deadlines.models import Deadline
from imports import services
from imports.fields import mapping_guess
from imports.models import ImportedEpisode, ImportMapping, JobState, TrackerUpload, UploadKind
from imports.parsing import read_tracker
from imports.sample import SAMPLE_FAMILIES_VALID, sample_tracker_xlsx
from imports.tests.test_reimport_changes import BASE, load, tracker

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)


def _sheet():
    return read_tracker("t.csv", tracker(BASE))


def _upload(by, *, at=NOW, kind=UploadKind.TRACKER, state=JobState.READY, name="tracker.csv", content=b"x"):
    with time_machine.travel(at, tick=False):
        upload = services.upload_create(filename=name, content=content, sheet=_sheet(), by=by, kind=kind)
    if state != JobState.READY:
        TrackerUpload.objects.filter(pk=upload.pk).update(state=state, queued_at=at)
    return upload


def test_an_upload_keeps_the_file_its_digest_and_its_rows(council):
    clo = council["people"]["clo"]
    content = b"Case ID,Family name\nTRK-1,Ashby family\n"
    upload = _upload(clo, name="x" * 250 + ".csv", content=content, kind=UploadKind.STAFF)
    upload.refresh_from_db()
    assert upload.filename == "x" * 200
    assert bytes(upload.content) == content
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert (upload.kind, upload.uploaded_by, upload.state) == (UploadKind.STAFF, clo, JobState.READY)
    assert upload.sheet == _sheet().to_json()


def test_uploads_older_than_a_day_are_deleted_unless_their_job_is_waiting_or_running(council):
    clo = council["people"]["clo"]
    day_old = NOW - dt.timedelta(days=1)
    old = _upload(clo, at=day_old - dt.timedelta(seconds=1))
    old_done = _upload(clo, at=day_old - dt.timedelta(hours=3), state=JobState.DONE)
    old_queued = _upload(clo, at=day_old - dt.timedelta(hours=3), state=JobState.QUEUED)
    old_running = _upload(clo, at=day_old - dt.timedelta(hours=3), state=JobState.RUNNING)
    just_a_day = _upload(clo, at=day_old + dt.timedelta(seconds=1))
    new = _upload(clo, at=NOW)
    left = set(TrackerUpload.objects.values_list("pk", flat=True))
    assert old.pk not in left and old_done.pk not in left
    assert {old_queued.pk, old_running.pk, just_a_day.pk, new.pk} <= left


def test_an_upload_is_found_only_by_its_uploader_and_for_its_kind(council):
    clo = council["people"]["clo"]
    other: Any = UserFactory(roles=[Role.COURT_LIAISON_OFFICER], team=None)
    upload = _upload(clo)
    assert services.upload_get(pk=upload.pk, by=clo, kind=UploadKind.TRACKER) == upload
    assert services.upload_get(pk=upload.pk, by=other, kind=UploadKind.TRACKER) is None
    assert services.upload_get(pk=upload.pk, by=clo, kind=UploadKind.STAFF) is None
    assert services.upload_get(pk=upload.pk + 1000, by=clo, kind=UploadKind.TRACKER) is None


def test_a_remembered_mapping_is_found_again_for_the_same_headers_only(council):
    clo = council["people"]["clo"]
    headers = ["Case ID", "Surname", "Worker", "Notes"]
    guessed, remembered = services.mapping_for(headers)
    assert (guessed, remembered) == (mapping_guess(headers), False)
    chosen = {"Case ID": "family_reference", "Surname": "family_name", "Worker": "social_worker", "Notes": ""}
    services.mapping_remember(headers=headers, mapping=chosen, by=clo)
    assert services.mapping_for(headers) == (chosen, True)
    # Header case and spacing do not matter to the layout; a different layout is guessed afresh.
    assert services.mapping_for(["case id", "Surname ", "Worker", "Notes"])[1] is True
    assert services.mapping_for(["Case ID", "Surname", "Worker"]) == (
        mapping_guess(["Case ID", "Surname", "Worker"]),
        False,
    )


def test_remembering_a_layout_again_replaces_its_mapping_and_is_audited(council):
    clo = council["people"]["clo"]
    other: Any = UserFactory(roles=[Role.COURT_LIAISON_OFFICER], team=None)
    headers = ["Case ID", "Surname"]
    services.mapping_remember(headers=headers, mapping={"Case ID": "family_reference", "Surname": ""}, by=clo)
    services.mapping_remember(
        headers=headers, mapping={"Case ID": "family_reference", "Surname": "family_name"}, by=other
    )
    saved = ImportMapping.objects.get()
    assert saved.mapping == {"Case ID": "family_reference", "Surname": "family_name"}
    assert (saved.headers, saved.updated_by) == (headers, other)
    events = Events.objects.references(saved).order_by("pgh_created_at")
    assert [(e.pgh_label, e.pgh_context["user"]) for e in events] == [("insert", clo.pk), ("update", other.pk)]
    # Only the saved columns: a header the saved mapping does not name maps to nothing.
    ImportMapping.objects.filter(pk=saved.pk).update(mapping={"Case ID": "family_reference"})
    assert services.mapping_for(headers) == ({"Case ID": "family_reference", "Surname": ""}, True)


def test_the_go_live_preview_counts_without_writing_and_stops_at_its_size(council, monkeypatch):
    clo = council["people"]["clo"]
    sheet = read_tracker("sample-tracker.xlsx", sample_tracker_xlsx())
    mapping = mapping_guess(sheet.headers)
    check = services.tracker_check(sheet=sheet, mapping=mapping)
    assert check.importable == SAMPLE_FAMILIES_VALID
    counts = services.not_tracked_counts(check=check, sheet=sheet, mapping=mapping, by=clo)
    assert counts is not None
    assert not Family.objects.exists() and not Deadline.objects.exists() and not ImportedEpisode.objects.exists()
    monkeypatch.setattr(services, "GO_LIVE_PREVIEW_MAX_FAMILIES", SAMPLE_FAMILIES_VALID)
    assert services.not_tracked_counts(check=check, sheet=sheet, mapping=mapping, by=clo) == counts
    monkeypatch.setattr(services, "GO_LIVE_PREVIEW_MAX_FAMILIES", SAMPLE_FAMILIES_VALID - 1)
    assert services.not_tracked_counts(check=check, sheet=sheet, mapping=mapping, by=clo) is None


def test_imported_episodes_are_found_by_their_family_case_ids(council):
    load(council, BASE)
    imported = Episode.objects.get(family__reference=BASE["Case ID"])
    assert list(Episode.objects.filter(services.imported_episode_filter([BASE["Case ID"], "TRK-9"]))) == [imported]
    assert not Episode.objects.filter(services.imported_episode_filter(["TRK-9"])).exists()
