"""Celery jobs of the cases app: thin wrappers that take an id and call the job service."""

from __future__ import annotations

from celery import shared_task

from . import export_jobs


@shared_task(name=export_jobs.TASK, acks_late=True, reject_on_worker_lost=True, max_retries=0)
def national_export_run(job_id: int) -> str:
    """Make a large national or SSD export queued from its page (issue 24 §5): redone from the
    first record if a worker dies mid-way, a no-op once finished. Returns its state."""
    return export_jobs.export_run(job_id=job_id)
