"""Celery jobs of the imports: thin wrappers that take an upload's id and call the job service."""

from __future__ import annotations

from celery import shared_task

from . import jobs


@shared_task(name=jobs.TASK, acks_late=True, reject_on_worker_lost=True, max_retries=0)
def import_run(upload_id: int) -> str:
    """Import a large tracker or staff file queued from its preview (issue 24 §5): all or nothing,
    redone from the start if a worker dies mid-way, a no-op once finished. Returns its state."""
    return jobs.import_run(upload_id=upload_id)
