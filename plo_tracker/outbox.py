"""The transactional outbox: how a web request hands work to Celery without ever waiting on the broker.

`outbox_enqueue` writes an `OutboxMessage` row in the caller's transaction, so the work is kept
exactly when the change that needs it is committed. After the commit it tries once to publish,
with a one-second broker timeout; if Redis is down or hung, the row stays pending and the
request returns normally. `outbox_flush` (a Celery task every minute, and the management command
of the same name) publishes whatever is pending, oldest first, under `SELECT ... FOR UPDATE SKIP
LOCKED`, so two flushers (two beats, or a flush racing a request) never send one row twice.

A crash between the publish and the commit that marks the row sent publishes it again later:
delivery is at least once, which is safe because every task is idempotent (docs/conventions.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# A request waits at most this long for the broker after its transaction commits.
REQUEST_PUBLISH_TIMEOUT = 1.0
# The flush runs in a worker or from cron, where waiting a little longer costs nobody.
FLUSH_PUBLISH_TIMEOUT = 5.0
# After a failed publish, requests in this process stop trying for this long and leave messages
# to the flush: a broker that is down costs one request one short timeout, not every request.
BREAKER_SECONDS = 30.0
FLUSH_BATCH = 100
KEEP_SENT = dt.timedelta(days=7)

_breaker_lock = threading.Lock()
_broker_down_until = 0.0


@dataclass(frozen=True, slots=True)
class FlushResult:
    """What one flush did: messages sent, still pending, and whether the broker refused (counts only)."""

    sent: int
    pending: int
    broker_down: bool


def outbox_enqueue(task_name: str, *, args: Iterable[Any] = (), kwargs: dict[str, Any] | None = None) -> OutboxMessage:
    """Keep a task in the current transaction and publish it after commit without waiting on the broker.

    Arguments must be JSON values (ids, ISO dates): tasks take ids, never personal data.
    """
    message = OutboxMessage.objects.create(task=task_name, args=list(args), kwargs=dict(kwargs or {}))
    transaction.on_commit(functools.partial(_publish_after_commit, message.pk), robust=True)
    return message


def outbox_flush(*, batch: int = FLUSH_BATCH, timeout: float = FLUSH_PUBLISH_TIMEOUT) -> FlushResult:
    """Publish every pending message, oldest first, stopping at the first broker failure."""
    sent = 0
    broker_down = False
    while True:
        batch_sent, batch_failed = _publish_pending(ids=None, limit=batch, timeout=timeout)
        sent += batch_sent
        if batch_failed:
            broker_down = True
            break
        if batch_sent < batch:
            break
    if not broker_down:
        _breaker_reset()
        OutboxMessage.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    if sent or broker_down:
        logger.info("outbox flush: %d sent, %d pending, broker_down=%s", sent, pending, broker_down)
    return FlushResult(sent=sent, pending=pending, broker_down=broker_down)


# --- Publishing ------------------------------------------------------------------------------


def _publish_after_commit(message_id: int) -> None:
    """The request's one quick attempt; any failure leaves the row for the flush."""
    if _breaker_is_open():
        return
    try:
        _publish_pending(ids=[message_id], limit=1, timeout=REQUEST_PUBLISH_TIMEOUT)
    except Exception as exc:  # the request must not fail because of the broker
        logger.warning("outbox: publish after commit failed: %s", type(exc).__name__)


def _publish_pending(*, ids: list[int] | None, limit: int, timeout: float) -> tuple[int, bool]:
    """Publish up to `limit` pending rows under row locks; returns (sent, broker_failed)."""
    with transaction.atomic():
        pending = OutboxMessage.objects.select_for_update(skip_locked=True).filter(sent_at__isnull=True)
        if ids is not None:
            pending = pending.filter(pk__in=ids)
        rows = list(pending.order_by("created_at", "id")[:limit])
        if not rows:
            return 0, False
        sent: list[int] = []
        error = ""
        try:
            with _producer_connection(timeout) as connection:
                for row in rows:
                    _send(row, connection)
                    sent.append(row.pk)
        except Exception as exc:  # kombu, redis and socket errors all mean "try later"
            error = _describe(exc)
            _breaker_trip()
            logger.warning("outbox: broker unavailable (%s); %d message(s) left pending", error, len(rows) - len(sent))
        now = timezone.now()
        if sent:
            OutboxMessage.objects.filter(pk__in=sent).update(sent_at=now, attempts=F("attempts") + 1, last_error="")
        if error:
            unsent = [row.pk for row in rows if row.pk not in set(sent)]
            OutboxMessage.objects.filter(pk__in=unsent).update(attempts=F("attempts") + 1, last_error=error[:200])
        return len(sent), bool(error)


@contextmanager
def _producer_connection(timeout: float):
    """A fresh broker connection with short connect and socket timeouts (no pool to go stale)."""
    from .celery import app

    if app.conf.task_always_eager:
        yield None
        return
    # max_retries 0: one connection attempt (by default Kombu retries until the connect timeout).
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout, "max_retries": 0}
    with app.connection_for_write(connect_timeout=timeout, transport_options=options) as connection:
        yield connection


def _send(row: OutboxMessage, connection: Any) -> None:
    from .celery import app

    if connection is None:  # CELERY_TASK_ALWAYS_EAGER: run it here, as .delay() would
        if row.task not in app.tasks:
            app.loader.import_default_modules()  # autodiscovered tasks load lazily outside a worker
        app.tasks[row.task].apply(args=row.args, kwargs=row.kwargs)
        return
    app.send_task(
        row.task,
        args=row.args,
        kwargs=row.kwargs,
        task_id=f"outbox-{row.pk}",
        connection=connection,
        retry=False,
        ignore_result=True,  # no result-backend round trip on the publishing side
    )


def _describe(exc: BaseException) -> str:
    """The error's class names only: a broker error's text could in principle echo a payload."""
    names = [type(exc).__name__]
    cause = exc.__cause__ or exc.__context__
    if cause is not None and type(cause).__name__ not in names:
        names.append(type(cause).__name__)
    return " from ".join(names)


# --- Circuit breaker (per process) -----------------------------------------------------------


def _breaker_is_open() -> bool:
    with _breaker_lock:
        return time.monotonic() < _broker_down_until


def _breaker_trip() -> None:
    global _broker_down_until
    with _breaker_lock:
        _broker_down_until = time.monotonic() + BREAKER_SECONDS


def _breaker_reset() -> None:
    global _broker_down_until
    with _breaker_lock:
        _broker_down_until = 0.0
