"""A national export of a large period is made by a worker (issue 24 §5): the page leads to its
progress, then to a download with the same rows as the immediate one; only the person who asked
finds it; asking twice queues one job; a restarted worker starts again; a day later it is gone."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from cases import export_jobs
from cases.models import ExportState, NationalExportJob
from plo_tracker.celery import app
from plo_tracker.models import OutboxMessage

from . import test_case_screens as screens
from .test_export_formulas import HOSTILE, hostile
from .test_exports import PERIOD, _download

_today = screens._today
staff = screens.staff
family = screens.family
in_pre_proceedings = screens.in_pre_proceedings
__all__ = ["hostile"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def large(settings, monkeypatch):
    """A period of more than one record is large; progress is written at every record."""
    settings.PLO_EXPORT_JOB_RECORDS = 1
    monkeypatch.setattr(export_jobs, "_PROGRESS_EVERY", 0)


def _rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


def _ask(client, code_set: str = "national"):
    return client.get(reverse("cases:national-export"), {**PERIOD, "code_set": code_set})


@pytest.mark.parametrize("code_set", ["national", "ssd"])
def test_a_large_export_runs_as_a_job_then_downloads_the_same_rows(
    client, staff, in_pre_proceedings, settings, eager, large, django_capture_on_commit_callbacks, code_set
):
    client.force_login(staff["clo"])
    settings.PLO_EXPORT_JOB_RECORDS = 500
    immediate = _download(client, code_set)
    assert len(immediate) == 2  # two children: more than the setting below

    settings.PLO_EXPORT_JOB_RECORDS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client, code_set)
    job = NationalExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:national-export-job", args=[job.pk])
    job.refresh_from_db()
    assert (job.state, job.records_done, job.records_total, job.attempts) == (ExportState.DONE, 2, 2, 1)
    page = client.get(response["Location"]).content.decode()
    assert "2 of 2 records" in page and 'http-equiv="refresh"' not in page
    download_url = reverse("cases:national-export-download", args=[job.pk])
    assert download_url in page
    download = client.get(download_url)
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"] and ".csv" in download["Content-Disposition"]
    assert _rows(download.content.decode()) == immediate

    # Another person who may export finds neither the page nor the file.
    client.force_login(staff["hos"])
    assert client.get(response["Location"]).status_code == 404
    assert client.get(download_url).status_code == 404


def test_the_progress_page_refreshes_itself_and_says_how_far_it_has_got(client, staff):
    job = NationalExportJob.objects.create(
        requested_by=staff["clo"],
        code_set="national",
        date_from=dt.date(2026, 4, 1),
        date_to=dt.date(2027, 3, 31),
        state=ExportState.RUNNING,
        records_total=2000,
        records_done=1200,
    )
    client.force_login(staff["clo"])
    url = reverse("cases:national-export-job", args=[job.pk])
    response = client.get(url)
    page = response.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "1,200 of 2,000 records" in page and 'role="status"' in page
    assert response["Cache-Control"] == "no-store"
    # Not finished: there is no file to download yet.
    assert client.get(reverse("cases:national-export-download", args=[job.pk])).status_code == 404
    NationalExportJob.objects.filter(pk=job.pk).update(state=ExportState.QUEUED, records_total=0, records_done=0)
    assert "Waiting to start" in client.get(url).content.decode()


def test_asking_twice_queues_the_job_once(client, staff, in_pre_proceedings, large, django_capture_on_commit_callbacks):
    client.force_login(staff["clo"])
    with django_capture_on_commit_callbacks(execute=False):
        first = _ask(client)
        second = _ask(client)
    assert first["Location"] == second["Location"]
    assert NationalExportJob.objects.count() == 1
    assert OutboxMessage.objects.filter(task=export_jobs.TASK).count() == 1
    # The database refuses a second waiting job for the same request, whatever the route.
    job = NationalExportJob.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        NationalExportJob.objects.create(
            requested_by=job.requested_by, code_set=job.code_set, date_from=job.date_from, date_to=job.date_to
        )
    # Another file (the SSD table) is another job.
    assert _ask(client, "ssd")["Location"] != first["Location"]


def test_a_restarted_worker_makes_the_file_from_the_first_record(staff, in_pre_proceedings):
    job = NationalExportJob.objects.create(
        requested_by=staff["clo"],
        code_set="national",
        date_from=dt.date(2026, 4, 1),
        date_to=dt.date(2027, 3, 31),
        state=ExportState.RUNNING,
        records_total=2,
        records_done=1,
        attempts=1,
        content="half a file",
    )
    assert export_jobs.export_run(job_id=job.pk) == ExportState.DONE
    job.refresh_from_db()
    assert (job.state, job.records_done, job.attempts) == (ExportState.DONE, 2, 2)
    assert len(_rows(job.content)) == 2 and "half a file" not in job.content
    # A finished job delivered again is left as it is.
    assert export_jobs.export_run(job_id=job.pk) == ExportState.DONE
    job.refresh_from_db()
    assert job.attempts == 2


def test_records_with_problems_are_listed_and_no_file_is_made(client, staff, in_pre_proceedings, family):
    from .test_exports import _issue

    _issue(in_pre_proceedings, staff, initial_care_plan="")
    job = NationalExportJob.objects.create(
        requested_by=staff["clo"], code_set="national", date_from=dt.date(2026, 4, 1), date_to=dt.date(2027, 3, 31)
    )
    assert export_jobs.export_run(job_id=job.pk) == ExportState.FAILED
    client.force_login(staff["clo"])
    page = client.get(reverse("cases:national-export-job", args=[job.pk])).content.decode()
    assert "Fix 2 records before you can download the file" in page
    assert "PLO-01001, Mia Ashworth: Proceedings are issued but the initial care plan is not recorded" in page
    assert reverse("cases:family-detail", args=[family.pk]) in page
    assert client.get(reverse("cases:national-export-download", args=[job.pk])).status_code == 404


def test_the_records_are_those_the_person_who_asked_sees(staff, in_pre_proceedings, family):
    family.restricted = True
    family.save()
    family.restricted_to.set([staff["sw"]])
    job = NationalExportJob.objects.create(
        requested_by=staff["clo"], code_set="national", date_from=dt.date(2026, 4, 1), date_to=dt.date(2027, 3, 31)
    )
    assert export_jobs.export_run(job_id=job.pk) == ExportState.DONE
    job.refresh_from_db()
    assert _rows(job.content) == [] and job.records_total == 0


@pytest.mark.parametrize("code_set", ["national", "ssd"])
def test_formula_text_is_quoted_in_the_jobs_file(
    client, staff, hostile, eager, large, django_capture_on_commit_callbacks, code_set
):
    client.force_login(staff["clo"])
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, code_set)
    rows = _rows(NationalExportJob.objects.get().content)
    fields = {
        "national": ("PREP016A", "PREP001A", "PREP002A"),
        "ssd": ("prep_court_reference", "prep_person_id", "prep_plo_family_id"),
    }
    court, child, family_id = fields[code_set]
    assert {r[court] for r in rows} == {"'" + HOSTILE["court"]}
    assert "'" + HOSTILE["child"] in {r[child] for r in rows}
    assert {r[family_id] for r in rows} == {"'" + HOSTILE["family"]}


def test_finished_exports_are_deleted_after_a_day(client, staff, in_pre_proceedings, large):
    old = NationalExportJob.objects.create(
        requested_by=staff["clo"],
        code_set="national",
        date_from=dt.date(2025, 4, 1),
        date_to=dt.date(2026, 3, 31),
        state=ExportState.DONE,
        content="PREP024A\r\n",
    )
    running = NationalExportJob.objects.create(
        requested_by=staff["clo"],
        code_set="ssd",
        date_from=dt.date(2025, 4, 1),
        date_to=dt.date(2026, 3, 31),
        state=ExportState.RUNNING,
    )
    NationalExportJob.objects.filter(pk__in=[old.pk, running.pk]).update(
        requested_at=dt.datetime(2027, 1, 18, 10, tzinfo=dt.UTC)
    )
    client.force_login(staff["clo"])
    _ask(client)  # the next request tidies up
    assert not NationalExportJob.objects.filter(pk=old.pk).exists()
    assert NationalExportJob.objects.filter(pk=running.pk).exists()  # a job still running is kept
