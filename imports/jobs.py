"""A large import as a job (issue 24 §5): queued once from the preview, run by a Celery worker in
one transaction, its progress visible while it runs.

- Queued once: `import_queue` locks the upload row (SELECT ... FOR UPDATE) and moves it from
  READY to QUEUED; a second confirmation (a double click, a second tab) finds it QUEUED and
  queues nothing. The task goes through the outbox, so it is published only once the state
  change is committed and a request never waits on the broker.
- All or nothing: the job writes every row inside one transaction, through the same services as
  the in-request import, and marks the upload DONE (or REFUSED) in that same transaction, so the
  import and its "done" are committed together or not at all.
- Progress: the rows written so far are written by a second, autocommitting database connection,
  so the page sees them while the import's own transaction is still open.
- A worker that dies mid-way (a restart, a deploy) rolls its transaction back; Celery delivers
  the task again (acks_late, reject on worker lost), and the next attempt finds the upload still
  RUNNING with nothing of it kept: it puts it back to QUEUED with no rows done, then starts from
  the beginning. A transaction-level advisory lock keyed by the upload stops a second delivery
  from running the same job while the first is still alive.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from accounts.models import User
from plo_tracker.outbox import outbox_enqueue

from .models import BeforeGoLive, JobState, TrackerUpload, UploadKind
from .parsing import Sheet

logger = logging.getLogger(__name__)

TASK = "imports.import_run"
# The advisory lock's first key: this kind of job (the second is the upload's id).
_LOCK_KEY = 24_005
# Progress is written at most this often: a job of 5,000 rows writes a few dozen updates.
_PROGRESS_EVERY = 0.5


def import_job_wanted(sheet_rows: int) -> bool:
    """Whether a file of this many rows is imported as a job rather than within the request."""
    return sheet_rows > settings.PLO_IMPORT_JOB_ROWS


def import_queue(*, upload: TrackerUpload, by: User, plan: str = "") -> bool:
    """Queue the import of an upload as a job, once: False when it was already queued, running
    or finished (nothing is queued again). `plan` is what the importer confirmed: the staff
    preview's digest, or the tracker preview's choice for steps before go-live."""
    with transaction.atomic():
        locked = TrackerUpload.objects.select_for_update().get(pk=upload.pk, uploaded_by_id=by.pk)
        if locked.state != JobState.READY:
            return False
        locked.state = JobState.QUEUED
        locked.queued_at = timezone.now()
        locked.rows_done = locked.rows_total = 0
        locked.plan = plan
        locked.save(update_fields=["state", "queued_at", "rows_done", "rows_total", "plan"])
        outbox_enqueue(TASK, args=[locked.pk])
    return True


class _Progress:
    """Writes a job's state and rows done on a connection of its own, committed at once, so the
    progress page sees them while the import's transaction is open."""

    def __init__(self, upload_id: int) -> None:
        self.upload_id = upload_id
        self.connection: Any = connections.create_connection(DEFAULT_DB_ALIAS)
        self.table = connection.ops.quote_name(TrackerUpload._meta.db_table)
        self.total = 0
        self.written_at = 0.0

    def set(self, **values: Any) -> None:
        columns = ", ".join(f"{connection.ops.quote_name(k)} = %s" for k in values)
        with self.connection.cursor() as cursor:
            # Column names come from this module's own calls, the table from the model.
            sql = f"UPDATE {self.table} SET {columns} WHERE id = %s"  # noqa: S608  # nosec B608: identifiers ours
            cursor.execute(sql, [*values.values(), self.upload_id])

    def start(self, total: int) -> None:
        self.total = total
        self.set(rows_total=total, rows_done=0)

    def rows(self, done: int) -> None:
        now = time.monotonic()
        if now - self.written_at >= _PROGRESS_EVERY:
            self.written_at = now
            self.set(rows_done=min(done, self.total))

    def close(self) -> None:
        self.connection.close()


def _run(upload: TrackerUpload, progress: _Progress) -> tuple[str, dict[str, Any]]:
    """The import itself, through the services the pages use; the state it ends in, and what it did."""
    from . import services
    from .staff import staff_check, staff_import, staff_sheet

    sheet = Sheet.from_json(upload.sheet)
    by = upload.uploaded_by
    if upload.kind == UploadKind.STAFF:
        staff = staff_sheet(sheet)
        progress.start(staff_check(staff=staff, by=by).importable)
        staff_done = staff_import(staff=staff, by=by, expected_plan=upload.plan or None, progress=progress.rows)
        result: dict[str, Any] = {
            "created": staff_done.created,
            "updated": staff_done.updated,
            "unchanged": staff_done.unchanged,
            "skipped": staff_done.skipped,
            "refused": staff_done.refused,
            "errors": [[r.number, e] for r in staff_done.check.rows for e in r.errors][:200],
        }
        return (JobState.REFUSED if staff_done.refused else JobState.DONE), result
    check = services.tracker_check(sheet=sheet, mapping=upload.mapping)
    progress.start(sum(len(f.rows) for f in check.families if f.action in ("new", "update")))
    done = services.tracker_import(
        sheet=sheet,
        mapping=upload.mapping,
        by=by,
        before_go_live=upload.plan or BeforeGoLive.NOT_TRACKED,
        progress=progress.rows,
    )
    result = {
        "created": done.created,
        "updated": done.updated,
        "unchanged": done.unchanged,
        "skipped": done.skipped,
        "deadlines": done.deadlines,
        "errors": [[r.number, e] for r in done.check.rows for e in r.errors][:200],
    }
    return (JobState.REFUSED if done.refused else JobState.DONE), result


def import_run(*, upload_id: int) -> str:
    """Run a queued import job from the start, in one transaction; returns the state it ends in.
    A job already finished, or running under another live worker, is left alone."""
    progress = _Progress(upload_id)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_KEY, upload_id])
                if not cursor.fetchone()[0]:
                    logger.info("import job %s is running under another worker", upload_id)
                    return JobState.RUNNING
            upload = TrackerUpload.objects.select_related("uploaded_by").filter(pk=upload_id).first()
            if upload is None or upload.state not in (JobState.QUEUED, JobState.RUNNING):
                return upload.state if upload else "gone"
            if upload.state == JobState.RUNNING:
                # An earlier attempt died: its writes went with its transaction. Back to the queue,
                # nothing done, then from the beginning.
                logger.warning("import job %s redone from the start after an interrupted attempt", upload_id)
                progress.set(state=JobState.QUEUED, rows_done=0)
            progress.set(state=JobState.RUNNING, rows_done=0, attempts=upload.attempts + 1)
            state, result = _run(upload, progress)
            TrackerUpload.objects.filter(pk=upload_id).update(
                state=state,
                result=result,
                rows_done=progress.total if state == JobState.DONE else 0,
                attempts=upload.attempts + 1,
                finished_at=timezone.now(),
                content=b"",
            )
            logger.info("import job %s: %s", upload_id, state)
            return state
    except Exception as exc:
        # A fault, not a refusal by the rules: nothing was kept (the transaction is rolled back),
        # and the page says so instead of showing "Importing" for ever.
        logger.error("import job %s stopped by a fault (%s); nothing imported", upload_id, type(exc).__name__)
        progress.set(
            state=JobState.REFUSED, rows_done=0, result=json.dumps({"fault": True}), finished_at=timezone.now()
        )
        raise
    finally:
        progress.close()
