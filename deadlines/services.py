"""Writes for deadlines: recompute an episode's deadlines through the engine, heartbeats, alerts."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import WorkerHeartbeat


@transaction.atomic
def heartbeat_record(*, name: str) -> datetime:
    """Upsert the named heartbeat with the current time."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen_at": now})
    return now
