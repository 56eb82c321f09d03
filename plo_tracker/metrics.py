"""Prometheus metrics at `/metrics`, for the council's monitoring on its internal network only
(docs/operations.md "Metrics").

* `plo_http_request_duration_seconds` (histogram): every request's time in the web process, by
  URL name (never the path: paths hold record ids), method and status code.
* `plo_celery_queue_length{queue}` and `plo_celery_unacked`: messages waiting in the broker (Redis
  list lengths, or the embedded broker's message files), and delivered but not yet acknowledged.
* `plo_alert_scan_duration_seconds`, `plo_alert_scan_lag_seconds`,
  `plo_alert_scan_last_completed_timestamp_seconds`: from the alert scan's own record
  (`AlertScanDay`), so they are right whichever worker ran the scan.

Several gunicorn workers: request metrics are written by each worker process into
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode, which `plo_tracker.gunicorn_conf`
sets up) and added together when scraped; the queue and alert scan figures are read afresh on
each scrape.

Who may read it: addresses in PLO_METRICS_ALLOWED_NETWORKS (loopback only by default); anyone
else gets a plain 404. The address is the connecting one. A request carrying X-Forwarded-For
came through a proxy: with PLO_TRUSTED_PROXY_COUNT set, the address that proxy saw is checked
instead; with no proxy trusted it is refused (the connecting address is then a proxy's, not the
client's, and the header may be anyone's).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUEST_LATENCY = Histogram(
    "plo_http_request_duration_seconds",
    "Time the web process took to answer a request, by URL name, method and status code.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

# The alert scan runs at 07:00 Europe/London, Monday to Friday (CELERY_BEAT_SCHEDULE["alert-scan"]).
SCAN_HOUR = 7
SCAN_WEEKDAYS = range(5)


class RequestMetricsMiddleware:
    """Times each request (first in MIDDLEWARE, so the whole stack is counted)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        REQUEST_LATENCY.labels(view=view, method=method, status=str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


# --- Who may read it ------------------------------------------------------------------------


@cache
def _networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _networks(settings.PLO_METRICS_ALLOWED_NETWORKS)


def metrics_client_address(request: HttpRequest) -> str | None:
    """The address to check, or None when it cannot be known (see the module's docstring)."""
    from accounts.client_ip import client_ip

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR") or request.META.get("HTTP_FORWARDED")
    if not forwarded:
        return request.META.get("REMOTE_ADDR")
    if int(getattr(settings, "PLO_TRUSTED_PROXY_COUNT", 0) or 0) <= 0:
        return None
    return client_ip(request)


def may_read_metrics(request: HttpRequest) -> bool:
    address = metrics_client_address(request)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in allowed_networks())


# --- Figures read at scrape time -------------------------------------------------------------


def _redis_queue_lengths(queue: str) -> tuple[int, int]:
    """(waiting, unacked) from Redis: kombu keeps a queue as a list per priority step."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        # kombu's Redis transport: the queue itself plus one list per priority step ("\x06\x16" + step).
        names = [queue] + [f"{queue}\x06\x16{step}" for step in (3, 6, 9)]
        pipe = client.pipeline()
        for name in names:
            pipe.llen(name)
        pipe.hlen("unacked")
        *lengths, unacked = pipe.execute()
        return int(sum(lengths)), int(unacked)
    finally:
        client.close()


def _folder_queue_length(queue: str) -> int:
    """Messages waiting in the embedded broker: files named `<time>_<id>.<queue>.msg`."""
    folder = str(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in") or "")
    if not folder or not os.path.isdir(folder):
        raise OSError("the embedded broker's folder is missing")
    suffix = f"{queue}.msg"
    return sum(1 for name in os.listdir(folder) if name.partition(".")[2] == suffix)


def last_scheduled_scan(now: dt.datetime) -> dt.datetime:
    """The latest 07:00 (Europe/London) on a weekday at or before `now`."""
    local = timezone.localtime(now)
    day = local.date()
    while True:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(SCAN_HOUR)))
        if day.weekday() in SCAN_WEEKDAYS and start <= now:
            return start
        day -= dt.timedelta(days=1)


def alert_scan_lag(now: dt.datetime, ran_at_for: Callable[[dt.date], dt.datetime | None]) -> float:
    """Seconds between the last scheduled 07:00 scan and the moment it completed, or now while
    it has not: 0 to a few seconds on a healthy day, growing while the scan is missing."""
    scheduled = last_scheduled_scan(now)
    ran_at = ran_at_for(timezone.localtime(scheduled).date())
    if ran_at is not None and ran_at >= scheduled:
        return (ran_at - scheduled).total_seconds()
    return (now - scheduled).total_seconds()


class LiveCollector(Collector):
    """The broker's queue and the alert scan's record, read when Prometheus scrapes."""

    def collect(self) -> Iterator[Any]:
        yield from self._queue()
        yield from self._alert_scan()

    def _queue(self) -> Iterator[Any]:
        queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
        up = GaugeMetricFamily("plo_broker_up", "1 when the broker's queue could be read.")
        waiting = GaugeMetricFamily(
            "plo_celery_queue_length", "Tasks waiting in the broker for a worker.", labels=["queue"]
        )
        unacked = GaugeMetricFamily(
            "plo_celery_unacked", "Tasks handed to a worker and not yet acknowledged (Redis only)."
        )
        try:
            if settings.REDIS_URL:
                length, in_flight = _redis_queue_lengths(queue)
                unacked.add_metric([], in_flight)
            else:
                length = _folder_queue_length(queue)
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        waiting.add_metric([queue], length)
        yield up
        yield waiting
        if settings.REDIS_URL:
            yield unacked

    def _alert_scan(self) -> Iterator[Any]:
        from django.db import DatabaseError

        from deadlines.models import AlertScanDay

        try:
            last = AlertScanDay.objects.order_by("-ran_at").values("ran_at", "seconds").first()
            now = timezone.now()
            lag = alert_scan_lag(
                now, lambda day: AlertScanDay.objects.filter(day=day).values_list("ran_at", flat=True).first()
            )
        except DatabaseError:
            return
        yield GaugeMetricFamily(
            "plo_alert_scan_lag_seconds",
            "Seconds from the last scheduled 07:00 alert scan to its completion (to now while it has not run).",
            value=lag,
        )
        if last is not None:
            yield GaugeMetricFamily(
                "plo_alert_scan_last_completed_timestamp_seconds",
                "When an alert scan last completed (Unix time).",
                value=last["ran_at"].timestamp(),
            )
            if last["seconds"] is not None:
                yield GaugeMetricFamily(
                    "plo_alert_scan_duration_seconds", "How long the last alert scan took.", value=last["seconds"]
                )


def _process_metrics() -> bytes:
    """Request metrics: summed over every worker's file in multiprocess mode, else this process's.
    The mode is the one prometheus_client chose when it was first imported (its value class), not
    the environment now: a process whose PROMETHEUS_MULTIPROC_DIR was set later (importing
    plo_tracker.gunicorn_conf sets it) still counts in memory and must be read from memory."""
    from prometheus_client import values

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and values.ValueClass is not values.MutexValue:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@login_not_required
@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format, for allowed networks only; a plain 404 for everyone else."""
    if not may_read_metrics(request):
        return HttpResponse("Not found", status=404, content_type="text/plain; charset=utf-8")
    live = CollectorRegistry(auto_describe=False)
    live.register(LiveCollector())
    return HttpResponse(_process_metrics() + generate_latest(live), content_type=CONTENT_TYPE_LATEST)
