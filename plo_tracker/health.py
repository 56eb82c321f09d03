"""Health endpoints for the load balancer and monitoring (docs/operations.md "Monitoring").

* `/health/live/` — liveness: the web process answers. Touches nothing (no database, no broker),
  so a slow database never gets a healthy process restarted.
* `/health/ready/` — readiness: the database answers, the broker answers (Redis, or the embedded
  broker's folders when `REDIS_URL` is unset) and beat has been seen within its schedule. 503 when
  any of them fails. For monitoring.
* `/health/` — what the load balancer checks: the same report, but 503 only when the database is
  down. A dead broker or beat is the same on every web node and pages still work (the outbox keeps
  work for the broker), so taking every node out of the balancer for it would turn a background
  fault into an outage; the body then says `"status": "degraded"`.

The checks are django-health-check's `HealthCheck`s, run by its view with its per-check time
limit. Each response names the checks and says `ok`, `unavailable` or `stale`, never an error
message (a driver's message can name hosts), and carries nothing about people.

"Beat seen": beat sends `deadlines.worker_heartbeat` every 5 minutes (CELERY_BEAT_SCHEDULE) and a
worker records it in `WorkerHeartbeat`; a record older than PLO_BEAT_STALE_SECONDS (three periods
by default) means beat, or every worker, has stopped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

HEARTBEAT = "worker"


def beat_period_seconds() -> float:
    """How often beat sends the heartbeat (its entry in CELERY_BEAT_SCHEDULE)."""
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    return float(entry["schedule"])


def beat_stale_after() -> dt.timedelta:
    seconds = getattr(settings, "PLO_BEAT_STALE_SECONDS", None) or 3 * beat_period_seconds()
    return dt.timedelta(seconds=float(seconds))


class Stale(ServiceUnavailable):
    """A check whose service answers but whose last sign of life is too old."""


def _database_ping() -> None:
    # On the request's own connection (thread-sensitive), not a new one per probe in another thread.
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        raise ServiceUnavailable("unavailable") from exc


def _heartbeat_seen() -> dt.datetime | None:
    from deadlines.models import WorkerHeartbeat

    try:
        seen: dt.datetime | None = (
            WorkerHeartbeat.objects.filter(name=HEARTBEAT).values_list("seen_at", flat=True).first()
        )
    except DatabaseError as exc:
        raise ServiceUnavailable("unavailable") from exc
    return seen


@dataclasses.dataclass
class Database(HealthCheck):
    """`SELECT 1` on this process's connection to PostgreSQL (through PgBouncer if pooled)."""

    name = "database"
    timeout = dt.timedelta(seconds=5)

    async def run(self) -> None:
        await sync_to_async(_database_ping, thread_sensitive=True)()


@dataclasses.dataclass
class Broker(HealthCheck):
    """Redis answers PING (REDIS_URL set), or the embedded broker's folders exist and are writable."""

    name = "broker"
    timeout = dt.timedelta(seconds=3)

    async def run(self) -> None:
        if settings.REDIS_URL:
            from health_check.contrib.redis import Redis
            from redis.asyncio import Redis as RedisClient

            check = Redis(
                client_factory=lambda: RedisClient.from_url(
                    settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
                )
            )
            try:
                await check.run()
            except ServiceUnavailable as exc:  # its message names the host: keep it out of the body
                raise ServiceUnavailable("unavailable") from exc
            return
        options: dict[str, Any] = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out", "processed_folder"):
            folder = options.get(key)
            if not folder or not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
                raise ServiceUnavailable("unavailable")


@dataclasses.dataclass
class Beat(HealthCheck):
    """Beat's heartbeat job was run by a worker within PLO_BEAT_STALE_SECONDS."""

    name = "beat"
    timeout = dt.timedelta(seconds=5)

    async def run(self) -> None:
        seen = await sync_to_async(_heartbeat_seen, thread_sensitive=True)()
        if seen is None or timezone.now() - seen > beat_stale_after():
            raise Stale("stale")


def _state(error: BaseException | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, Stale):
        return "stale"
    if isinstance(error, ServiceWarning):
        return "warning"
    return "unavailable"


@method_decorator(login_not_required, name="dispatch")
@method_decorator(require_safe, name="dispatch")
class Readiness(HealthCheckView):
    """Runs the checks side by side and answers JSON whatever the Accept header says."""

    checks = (Database, Broker, Beat)
    # Which failing checks make the answer 503: every one (readiness), or the database only (/health/).
    critical: tuple[str, ...] = ("database", "broker", "beat")

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        import asyncio

        self.results = await asyncio.gather(*(check.get_result(None) for check in self.get_checks()))
        states = {result.check.name: _state(result.error) for result in self.results}
        failing = [name for name, state in states.items() if state != "ok"]
        down = [name for name in failing if name in self.critical]
        body: dict[str, Any] = {"status": "ok" if not failing else ("unavailable" if down else "degraded")}
        if states.get("database") != "ok":
            body["status"] = "database unavailable"
        body["checks"] = states
        seen = await sync_to_async(_heartbeat_seen_or_none, thread_sensitive=True)()
        body["worker_last_seen"] = seen.isoformat() if seen else None
        return JsonResponse(body, status=503 if down else 200)


def _heartbeat_seen_or_none() -> dt.datetime | None:
    try:
        return _heartbeat_seen()
    except ServiceUnavailable:
        return None


class LoadBalancer(Readiness):
    critical = ("database",)


readiness = Readiness.as_view()
load_balancer = LoadBalancer.as_view()


@login_not_required
@require_safe
@never_cache
def liveness(request: HttpRequest) -> HttpResponse:
    """The process is up and answering; touches no database and no broker."""
    return JsonResponse({"status": "ok"})
