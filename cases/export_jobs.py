"""A large national or SSD export as a job (issue 24 §5): queued once, made by a Celery worker,
its progress visible while it runs, then a download for the person who asked only.

- Queued once: a partial unique constraint allows one queued or running job per person, code set
  and period; a second request (a double click, a second tab) finds that job and queues nothing.
  The task goes through the outbox, published once the job's row is committed.
- The records are national_records(user=the person who asked): the file holds what they see.
- Progress is written as the rows are made (an export writes nothing else, so no transaction is
  held open); a worker that dies mid-way leaves the job RUNNING, Celery delivers the task again
  (acks_late, reject on worker lost) and the next attempt starts from the first record.
- A finished job, and its file, is deleted a day after it was asked for (on the next request).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from cases.scopes import export_jobs_visible_to
from plo_tracker.outbox import outbox_enqueue

from .exports import csv_lines, national_record_count, national_records
from .models import ExportState, NationalExportJob

logger = logging.getLogger(__name__)

TASK = "cases.national_export_run"
_PROGRESS_EVERY = 0.5
KEPT_FOR = dt.timedelta(days=1)


def export_job_wanted(*, user: User, date_from: dt.date, date_to: dt.date) -> bool:
    """Whether the period holds more records than are downloaded within the request."""
    count = national_record_count(user=user, date_from=date_from, date_to=date_to)
    return count > settings.PLO_EXPORT_JOB_RECORDS


def export_jobs_clean() -> int:
    """Delete jobs (and their files) asked for more than a day ago, unless one is still running."""
    deleted, _ = (
        NationalExportJob.objects.filter(requested_at__lt=timezone.now() - KEPT_FOR)
        .exclude(state__in=[ExportState.QUEUED, ExportState.RUNNING])
        .delete()
    )
    return deleted


def export_queue(*, by: User, code_set: str, date_from: dt.date, date_to: dt.date) -> NationalExportJob:
    """The person's job for this file and period: the one already queued or running, else a new one
    queued now (published to the worker after commit)."""
    export_jobs_clean()
    params = {"code_set": code_set, "date_from": date_from, "date_to": date_to}

    def waiting() -> NationalExportJob | None:
        return export_jobs_visible_to(by).filter(state__in=[ExportState.QUEUED, ExportState.RUNNING], **params).first()

    try:
        with transaction.atomic():
            found = waiting()
            if found is not None:
                return found
            job = NationalExportJob(requested_by=by, **params)
            job.full_clean(validate_constraints=False)  # the constraint is the database's, below
            job.save()
            outbox_enqueue(TASK, args=[job.pk])
    except IntegrityError:
        # A second request at the same moment queued it first: that job is this one.
        found = waiting()
        if found is None:
            raise
        return found
    return job


def export_job_get(*, pk: int, by: User) -> NationalExportJob | None:
    """The person's own export job; another person's is not found."""
    return export_jobs_visible_to(by).filter(pk=pk).first()


def export_run(*, job_id: int) -> str:
    """Make a queued export's file from the first record; returns the state it ends in. A job
    already finished is left alone."""
    with transaction.atomic():
        job = NationalExportJob.objects.select_for_update().select_related("requested_by").filter(pk=job_id).first()
        if job is None or job.state not in (ExportState.QUEUED, ExportState.RUNNING):
            return job.state if job else "gone"
        if job.state == ExportState.RUNNING:
            logger.warning("export job %s redone from the start after an interrupted attempt", job_id)
        job.attempts += 1
        NationalExportJob.objects.filter(pk=job_id).update(
            state=ExportState.RUNNING, records_done=0, records_total=0, attempts=job.attempts
        )
    try:
        records = national_records(user=job.requested_by, date_from=job.date_from, date_to=job.date_to)
        problems = [
            {
                "family_pk": r.family_pk,
                "family_reference": r.family_reference,
                "child_name": r.child_name,
                "problems": r.problems,
            }
            for r in records
            if r.problems
        ]
        if problems:
            NationalExportJob.objects.filter(pk=job_id).update(
                state=ExportState.FAILED, problems=problems, finished_at=timezone.now()
            )
            return ExportState.FAILED
        total = len(records)
        NationalExportJob.objects.filter(pk=job_id).update(records_total=total)
        parts: list[str] = []
        written_at = time.monotonic()
        for done, line in enumerate(csv_lines(records=records, code_set=job.code_set)):
            parts.append(line)
            now = time.monotonic()
            if done and now - written_at >= _PROGRESS_EVERY:
                written_at = now
                NationalExportJob.objects.filter(pk=job_id).update(records_done=min(done, total))
        NationalExportJob.objects.filter(pk=job_id).update(
            state=ExportState.DONE, content="".join(parts), records_done=total, finished_at=timezone.now()
        )
        logger.info("export job %s: done", job_id)
        return ExportState.DONE
    except Exception as exc:
        logger.error("export job %s stopped by a fault (%s)", job_id, type(exc).__name__)
        NationalExportJob.objects.filter(pk=job_id).update(state=ExportState.FAILED, finished_at=timezone.now())
        raise
