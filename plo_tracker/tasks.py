"""Celery jobs of the project itself: publishing the outbox."""

from __future__ import annotations

from celery import shared_task

from . import outbox


@shared_task(name="plo_tracker.outbox_flush", acks_late=True, ignore_result=True)
def outbox_flush() -> int:
    """Publish tasks that requests left pending while the broker was away (every minute). Returns how many."""
    return outbox.outbox_flush().sent
