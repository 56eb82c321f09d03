"""A large import runs as a job with progress (issue 24 §5): queued once from the preview, all or
nothing, its progress visible outside its transaction, redone from the start after a worker dies."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse

from cases.models import Family
from imports import jobs, services
from imports.fields import mapping_guess
from imports.models import JobState, TrackerUpload
from plo_tracker.celery import app
from plo_tracker.models import OutboxMessage

HEADER = "Case ID,Family name,Children,Child ID,DOB,Parents,Team,Social worker,Team manager,LPM date"
NOW = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)


def tracker_csv(families: int, prefix: str = "JOB") -> bytes:
    """A valid tracker of `families` rows, one family a row."""
    lines = [HEADER]
    for i in range(families):
        lines.append(
            f"{prefix}-{i:05d},Family {i},Child {i},C-{prefix}{i:05d},14/03/2019,Parent {i} (mother),"
            "Northmoor North Family Safeguarding Team,Priya Lakhani,Tara Pemberton,02/09/2026"
        )
    return "\n".join(lines).encode()


def _to_preview(client, data: bytes) -> TrackerUpload:
    client.post(reverse("imports:upload"), {"tracker": SimpleUploadedFile("big.csv", data)})
    upload = TrackerUpload.objects.latest("pk")
    headers = upload.sheet["headers"]
    guess = mapping_guess(headers)
    client.post(reverse("imports:columns", args=[upload.pk]), {f"col_{i}": guess[h] for i, h in enumerate(headers)})
    return upload


@pytest.fixture
def eager():
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def small_jobs(settings, monkeypatch):
    """Files of more than 5 rows are jobs, new families are written 10 at a time, and progress is
    written at every step (so a 30-row file shows its progress move)."""
    settings.PLO_IMPORT_JOB_ROWS = 5
    monkeypatch.setattr(services, "BULK_BATCH", 10)
    monkeypatch.setattr(jobs, "_PROGRESS_EVERY", 0)


def _seen_from_outside(upload_id: int) -> tuple[str, int, int]:
    """The job's state as another connection (the progress page's request) sees it."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT state, rows_done, rows_total FROM imports_trackerupload WHERE id = %s", [upload_id])
            return cursor.fetchone()
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_large_import_runs_as_a_job_whose_progress_moves_then_shows_the_result(
    client, council, eager, small_jobs, monkeypatch
):
    seen: list[tuple[str, int, int]] = []
    real_rows = jobs._Progress.rows

    def rows(self, done):
        real_rows(self, done)
        seen.append(_seen_from_outside(self.upload_id))

    monkeypatch.setattr(jobs._Progress, "rows", rows)
    with time_machine.travel(NOW, tick=True):
        client.force_login(council["people"]["clo"])
        upload = _to_preview(client, tracker_csv(30))
        page = client.get(reverse("imports:preview", args=[upload.pk])).content.decode()
        assert "Import 30 families" in page
        response = client.post(reverse("imports:preview", args=[upload.pk]))
        assert response["Location"] == reverse("imports:job", args=[upload.pk])
        page = client.get(response["Location"]).content.decode()
        # The preview now leads to the job's page: the same upload cannot be imported again.
        again = client.get(reverse("imports:preview", args=[upload.pk]))
    assert again["Location"] == reverse("imports:job", args=[upload.pk])
    # Seen from outside the job's transaction while it ran: 10, 20, then 30 of 30 rows.
    assert seen == [("running", 10, 30), ("running", 20, 30), ("running", 30, 30)]
    assert "Tracker imported" in page and "30 new, 0 updated" in page and 'http-equiv="refresh"' not in page
    assert Family.objects.filter(reference__startswith="JOB-").count() == 30
    upload.refresh_from_db()
    assert (upload.state, upload.rows_done, upload.attempts) == (JobState.DONE, 30, 1)


@pytest.mark.django_db
def test_the_progress_page_refreshes_itself_and_says_how_far_it_has_got(client, council):
    client.force_login(council["people"]["clo"])
    upload = TrackerUpload.objects.create(
        uploaded_by=council["people"]["clo"],
        filename="big.xlsx",
        content=b"",
        state=JobState.RUNNING,
        queued_at=NOW,
        rows_total=5000,
        rows_done=1200,
    )
    response = client.get(reverse("imports:job", args=[upload.pk]))
    page = response.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "1,200 of 5,000 rows imported" in page and 'role="status"' in page
    assert response["Cache-Control"] == "no-store"
    upload.state, upload.rows_total, upload.rows_done = JobState.QUEUED, 0, 0
    upload.save()
    assert "Waiting to start" in client.get(reverse("imports:job", args=[upload.pk])).content.decode()
    # Another person's job is not theirs to see.
    other = council["people"]["priya.lakhani"]
    upload.uploaded_by = other
    upload.save()
    assert client.get(reverse("imports:job", args=[upload.pk]))["Location"] == reverse("imports:upload")


@pytest.mark.django_db
def test_confirming_twice_queues_the_job_once(client, council, small_jobs, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=True):
        client.force_login(council["people"]["clo"])
        upload = _to_preview(client, tracker_csv(12))
        with django_capture_on_commit_callbacks(execute=False):
            first = client.post(reverse("imports:preview", args=[upload.pk]))
            second = client.post(reverse("imports:preview", args=[upload.pk]))
    job_url = reverse("imports:job", args=[upload.pk])
    assert first["Location"] == second["Location"] == job_url
    assert OutboxMessage.objects.filter(task=jobs.TASK, args=[upload.pk]).count() == 1
    assert jobs.import_queue(upload=upload, by=council["people"]["clo"]) is False
    assert TrackerUpload.objects.get(pk=upload.pk).state == JobState.QUEUED
    assert not Family.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_died_is_redone_from_the_start_and_kept_once(client, council, small_jobs, caplog):
    with time_machine.travel(NOW, tick=True):
        client.force_login(council["people"]["clo"])
        upload = _to_preview(client, tracker_csv(25))
        jobs.import_queue(upload=upload, by=council["people"]["clo"])
        # What a worker killed mid-job leaves: the job marked running with some rows done (its
        # progress was committed apart), and none of its writes (its transaction died with it).
        TrackerUpload.objects.filter(pk=upload.pk).update(
            state=JobState.RUNNING, rows_total=25, rows_done=10, attempts=1
        )
        with caplog.at_level(logging.WARNING, logger="imports.jobs"):
            assert jobs.import_run(upload_id=upload.pk) == JobState.DONE
        assert "redone from the start" in caplog.text
        # Delivered once more after finishing (at least once delivery): nothing happens.
        assert jobs.import_run(upload_id=upload.pk) == JobState.DONE
    assert Family.objects.filter(reference__startswith="JOB-").count() == 25
    upload.refresh_from_db()
    assert (upload.state, upload.rows_done, upload.attempts, upload.result["created"]) == (JobState.DONE, 25, 2, 25)


@pytest.mark.django_db(transaction=True)
def test_a_job_stopped_by_a_fault_keeps_nothing_and_says_so(client, council, small_jobs, monkeypatch):
    real = services._create_all
    calls = []

    def fails_on_the_second_batch(fams, by, today, *rest):
        calls.append(len(fams))
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(fams, by, today, *rest)

    monkeypatch.setattr(services, "_create_all", fails_on_the_second_batch)
    with time_machine.travel(NOW, tick=True):
        client.force_login(council["people"]["clo"])
        upload = _to_preview(client, tracker_csv(25))
        jobs.import_queue(upload=upload, by=council["people"]["clo"])
        with pytest.raises(RuntimeError):
            jobs.import_run(upload_id=upload.pk)
        page = client.get(reverse("imports:job", args=[upload.pk])).content.decode()
    assert calls == [10, 10]
    assert not Family.objects.filter(reference__startswith="JOB-").exists()  # the first batch undone too
    assert "Nothing was imported" in page and "fault in the service" in page
    assert TrackerUpload.objects.get(pk=upload.pk).state == JobState.REFUSED


@pytest.mark.django_db(transaction=True)
def test_a_large_staff_import_runs_as_a_job(client, demo_staff, eager, small_jobs):
    rows = ["Username,Name,Email,Team,Roles,Job title"]
    for i in range(8):
        rows.append(
            f"job.person{i},Job Person{i},job.person{i}@northmoor.example,"
            "Northmoor North Family Safeguarding Team,Social worker,Social Worker"
        )
    client.force_login(demo_staff["ada.admin"])
    response = client.post(
        reverse("accounts:staff-import"), {"staff": SimpleUploadedFile("s.csv", "\n".join(rows).encode())}
    )
    page = client.get(response["Location"]).content.decode()
    plan = page.split('name="plan" value="')[1].split('"')[0]
    response = client.post(response["Location"], {"plan": plan})
    upload = TrackerUpload.objects.get()
    assert response["Location"] == reverse("accounts:staff-import-job", args=[upload.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Staff imported" in page and "8 new, 0 updated" in page
    from accounts.models import User

    assert User.objects.filter(username__startswith="job.person").count() == 8
