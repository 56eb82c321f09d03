"""What the load balancer and the council's monitoring see (issue 22): liveness, readiness, /health/,
and /metrics with its network restriction and its figures."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from deadlines.models import AlertScanDay, WorkerHeartbeat

pytestmark = pytest.mark.django_db

LONDON = timezone.get_fixed_timezone(0)  # December: Europe/London is UTC+0


def beat_seen(minutes_ago: float) -> None:
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"seen_at": timezone.now() - dt.timedelta(minutes=minutes_ago)}
    )


def fail_database(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server failed")

    monkeypatch.setattr(connection, "cursor", refuse)


# --- Liveness -------------------------------------------------------------------------------------


def test_liveness_answers_without_touching_the_database(client, django_assert_num_queries, monkeypatch):
    with django_assert_num_queries(0):
        response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    fail_database(monkeypatch)  # a database that is down does not make a live process look dead
    assert client.get("/health/live/").status_code == 200


# --- Readiness --------------------------------------------------------------------------------------


def test_readiness_is_ok_when_database_broker_and_beat_are(client):
    beat_seen(minutes_ago=4)
    response = client.get("/health/ready/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok", "beat": "ok"}


def test_a_beat_not_seen_within_its_schedule_makes_readiness_fail_but_not_the_balancer_check(client):
    beat_seen(minutes_ago=16)  # three 5-minute periods missed
    ready = client.get("/health/ready/")
    assert ready.status_code == 503
    assert ready.json()["checks"]["beat"] == "stale"
    balancer = client.get("/health/")
    assert balancer.status_code == 200  # pages still work: keep the node in the balancer
    assert balancer.json()["status"] == "degraded"
    WorkerHeartbeat.objects.all().delete()  # never seen at all
    assert client.get("/health/ready/").json()["checks"]["beat"] == "stale"


def test_the_stale_limit_follows_the_setting(client, settings):
    beat_seen(minutes_ago=4)
    settings.PLO_BEAT_STALE_SECONDS = 60
    assert client.get("/health/ready/").json()["checks"]["beat"] == "stale"


def test_a_missing_embedded_broker_makes_readiness_fail(client, settings, tmp_path):
    beat_seen(minutes_ago=1)
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "gone"),
        "data_folder_out": str(tmp_path / "gone"),
        "processed_folder": str(tmp_path / "gone"),
    }
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "unavailable", "beat": "ok"}


def test_an_unreachable_redis_makes_readiness_fail_without_naming_the_host(client, settings):
    from plo_tracker.tests.servers import free_port

    beat_seen(minutes_ago=1)
    port = free_port()  # nothing listens there
    settings.REDIS_URL = f"redis://:s3cret@127.0.0.1:{port}/0"
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "unavailable"
    text = response.content.decode()
    assert str(port) not in text and "127.0.0.1" not in text and "s3cret" not in text


def test_a_database_that_is_down_fails_readiness_and_the_balancer_check(client, monkeypatch):
    beat_seen(minutes_ago=1)
    fail_database(monkeypatch)
    for url in ("/health/ready/", "/health/"):
        response = client.get(url)
        assert response.status_code == 503, url
        body = response.json()
        assert body["status"] == "database unavailable"
        assert body["checks"]["database"] == "unavailable"
        assert "connection to server failed" not in response.content.decode()


# --- Metrics: who may read them ---------------------------------------------------------------------


def scrape(**meta: str):
    return Client().get("/metrics", **meta)  # type: ignore[arg-type]


def test_metrics_are_served_to_the_internal_network_only(settings):
    settings.PLO_METRICS_ALLOWED_NETWORKS = "127.0.0.0/8,10.20.0.0/16"
    assert scrape(REMOTE_ADDR="127.0.0.1").status_code == 200
    assert scrape(REMOTE_ADDR="10.20.3.4").status_code == 200
    outside = scrape(REMOTE_ADDR="203.0.113.9")
    assert outside.status_code == 404
    assert b"plo_" not in outside.content
    assert scrape(REMOTE_ADDR="10.21.0.1").status_code == 404


def test_a_forwarded_request_is_judged_by_the_client_behind_the_proxy(settings):
    settings.PLO_METRICS_ALLOWED_NETWORKS = "127.0.0.0/8,10.20.0.0/16"
    # A balancer on this machine forwards an outside client: no proxy trusted, so refused.
    assert scrape(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.20.0.5").status_code == 404
    settings.PLO_TRUSTED_PROXY_COUNT = 1
    # Trusting one proxy: the address it saw decides; an entry the client wrote further left does not.
    assert scrape(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    assert scrape(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.20.0.5, 203.0.113.9").status_code == 404
    assert scrape(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.20.0.5").status_code == 200


# --- Metrics: what they say -------------------------------------------------------------------------


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the Prometheus text format, or None if absent."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(4))
    return None


def test_request_latency_is_counted_by_url_name_not_path(client):
    before = sample(scrape(REMOTE_ADDR="127.0.0.1").content.decode(), "plo_http_request_duration_seconds_count",
                    view="health-live", method="GET", status="200") or 0  # fmt: skip
    for _ in range(3):
        client.get("/health/live/")
    client.get("/cases/families/999999/?q=Smith")
    text = scrape(REMOTE_ADDR="127.0.0.1").content.decode()
    after = sample(text, "plo_http_request_duration_seconds_count", view="health-live", method="GET", status="200")
    assert after == before + 3
    # No label carries the path's record id or the query (a number elsewhere, a timestamp or the
    # process's own figures, may hold the same digits: labels are what would leak).
    labels = re.findall(r'"([^"]*)"', text)
    assert [v for v in labels if "999999" in v or "Smith" in v] == []
    assert "families/" not in text and "Smith" not in text


def test_queue_length_of_the_embedded_broker(settings, tmp_path):
    from kombu import Connection

    folders = {name: tmp_path / name for name in ("out", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["out"]),
        "data_folder_out": str(folders["out"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
    }
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
    settings.REDIS_URL = ""  # the embedded broker is the one used without REDIS_URL, whatever ran before
    # A queue of this test's own: in CI, messages put on "celery" in this folder were taken by a
    # consumer of that queue left in the test process by an earlier test (only the other queue's
    # message was still there at the scrape).
    queue_name = f"plo-metrics-{tmp_path.name}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue_name
    assert sample(scrape(REMOTE_ADDR="127.0.0.1").content.decode(), "plo_celery_queue_length", queue=queue_name) == 0
    with Connection("filesystem://", transport_options=options) as conn:
        queue = conn.SimpleQueue(queue_name)
        for i in range(3):
            queue.put({"n": i})
        other = conn.SimpleQueue("elsewhere")
        other.put({"n": 9})
        queue.close()
        other.close()
    waiting = sorted(p.name for p in folders["out"].iterdir())
    assert len([n for n in waiting if n.endswith(f".{queue_name}.msg")]) == 3, waiting
    text = scrape(REMOTE_ADDR="127.0.0.1").content.decode()
    assert sample(text, "plo_broker_up") == 1
    assert sample(text, "plo_celery_unacked") is None  # read from the folder, not from a Redis
    assert sample(text, "plo_celery_queue_length", queue=queue_name) == 3


def test_queue_length_of_redis(settings):
    from celery import Celery

    from conftest import need_service
    from plo_tracker.tests.servers import RedisServer, redis_binary

    need_service(redis_binary() is not None, "redis-server")
    redis = RedisServer().start()
    try:
        settings.REDIS_URL = redis.url
        app = Celery(broker=redis.url)
        for _ in range(4):
            app.send_task("deadlines.worker_heartbeat", queue="celery")
        app.close()
        text = scrape(REMOTE_ADDR="127.0.0.1").content.decode()
        assert sample(text, "plo_broker_up") == 1
        assert sample(text, "plo_celery_queue_length", queue="celery") == 4
        redis.stop()
        assert sample(scrape(REMOTE_ADDR="127.0.0.1").content.decode(), "plo_broker_up") == 0
    finally:
        redis.close()


def test_alert_scan_duration_and_lag(tmp_path: Path):
    from deadlines import scans

    monday_0700 = dt.datetime(2027, 2, 1, 7, 0, tzinfo=LONDON)
    with time_machine.travel(monday_0700 + dt.timedelta(seconds=40), tick=False):
        scans.alert_scan_catch_up(recompute=False)
        text = scrape(REMOTE_ADDR="127.0.0.1").content.decode()
        assert sample(text, "plo_alert_scan_lag_seconds") == 40
        assert sample(text, "plo_alert_scan_duration_seconds") is not None
        assert AlertScanDay.objects.get(day=dt.date(2027, 2, 1)).seconds is not None
        completed = sample(text, "plo_alert_scan_last_completed_timestamp_seconds")
        assert completed == (monday_0700 + dt.timedelta(seconds=40)).timestamp()
    # Tuesday 09:30 and no scan since Monday's: two and a half hours late, and growing.
    with time_machine.travel(dt.datetime(2027, 2, 2, 9, 30, tzinfo=LONDON), tick=False):
        assert sample(scrape(REMOTE_ADDR="127.0.0.1").content.decode(), "plo_alert_scan_lag_seconds") == 9000
    # Saturday: the last scheduled scan is Friday's; a catch-up at 06:00 that day does not count as it.
    AlertScanDay.objects.create(day=dt.date(2027, 2, 5), ran_at=dt.datetime(2027, 2, 5, 6, 0, tzinfo=LONDON))
    with time_machine.travel(dt.datetime(2027, 2, 6, 7, 0, tzinfo=LONDON), tick=False):
        assert sample(scrape(REMOTE_ADDR="127.0.0.1").content.decode(), "plo_alert_scan_lag_seconds") == 24 * 3600


# --- Metrics from several gunicorn workers ----------------------------------------------------------


def test_request_counts_add_up_over_gunicorn_workers_and_survive_their_restart(tmp_path):
    """gunicorn with the product's config and two workers: every scrape, whichever worker answers
    it, counts every request; after both workers are replaced the counts are still all there."""
    import http.client
    import os
    import signal
    import subprocess
    import sys

    from plo_tracker.tests.servers import ROOT, _stop_process, free_port, port_open, product_env, wait_until

    port = free_port()
    env = product_env(
        DATABASE_URL=f"postgres://nobody@127.0.0.1:{free_port()}/none",  # nothing here needs the database
        PLO_VAR_DIR=str(tmp_path),
        PLO_HTTPS="0",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the config makes the folder
    log = open(tmp_path / "gunicorn.log", "ab")  # noqa: SIM115
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "plo_tracker.wsgi", "--config", "python:plo_tracker.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    log.close()

    def get(path: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            conn.request("GET", path, headers={"Host": "127.0.0.1"})
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def workers() -> set[int]:
        found = set()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = open(f"/proc/{entry}/stat").read()  # noqa: SIM115
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == master.pid:
                    found.add(int(entry))
        return found

    def counted() -> float | None:
        status, body = get("/metrics")
        assert status == 200, body[:500]
        return sample(body, "plo_http_request_duration_seconds_count", view="health-live", method="GET", status="200")

    try:
        wait_until(lambda: port_open(port) and len(workers()) == 2, timeout=60, what="gunicorn with two workers")
        for _ in range(30):
            assert get("/health/live/")[0] == 200
        assert [counted() for _ in range(6)] == [30.0] * 6
        first = workers()
        for pid in first:
            os.kill(pid, signal.SIGTERM)
        wait_until(lambda: len(workers()) == 2 and not (workers() & first), timeout=60, what="two new workers")
        wait_until(lambda: port_open(port), timeout=30, what="gunicorn answering again")
        assert [counted() for _ in range(4)] == [30.0] * 4
    finally:
        _stop_process(master, timeout=20)
