"""`manage.py outbox_flush`: publish tasks left pending while the broker was away."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plo_tracker.outbox import outbox_flush


class Command(BaseCommand):
    """Send every pending outbox message to the broker, oldest first (safe to run at any time, twice)."""

    help = "Publish pending outbox messages to the broker. Exit code 1 if the broker is still unavailable."

    def handle(self, *args: Any, **options: Any) -> None:
        result = outbox_flush()
        if result.broker_down:
            raise CommandError(f"The broker is unavailable: {result.sent} sent, {result.pending} still pending.")
        self.stdout.write(f"{result.sent} sent, {result.pending} pending.")
