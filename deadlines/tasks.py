"""Celery jobs: thin wrappers that take ids and call services; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="deadlines.worker_heartbeat", acks_late=True, max_retries=3)
def worker_heartbeat(name: str = "worker") -> str:
    """Record that a worker is alive and can reach the database; returns the time recorded."""
    return services.heartbeat_record(name=name).isoformat()
