"""A real Celery worker process round-trips a task through a real broker and the real database.

The broker is a Redis of this test's own (Debian's redis-server on a free port, started and stopped
here), never a Redis the machine happens to run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection

from conftest import need_service
from deadlines.models import WorkerHeartbeat
from plo_tracker.tests.servers import RedisServer, redis_binary

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_redis():
    """Debian's redis-server on a free port, keeping nothing on disk; stopped after the test."""
    need_service(redis_binary() is not None, "redis-server (make test installs Debian's package)")
    server = RedisServer().start()
    yield server
    server.close()


def _test_database_url() -> str:
    """The URL of the test database this test run created, for the worker process."""
    s = connection.settings_dict
    host = s["HOST"] or ""
    user = quote(s["USER"] or "")
    password = quote(s["PASSWORD"] or "")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    if host.startswith("/"):
        return f"postgresql://{credentials}/{s['NAME']}?host={quote(host)}"
    return f"postgresql://{credentials}{host}:{s['PORT'] or 5432}/{s['NAME']}"


QUEUE = f"plo-test-{os.getpid()}"  # a queue of this run's own: no other worker on the machine takes its tasks


def _start_worker(env_extra: dict[str, str], tmp_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="plo_tracker.settings.test",
        DATABASE_URL=_test_database_url(),
        PLO_VAR_DIR=str(tmp_path),
        **env_extra,
    )
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115  (closed with the process)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "plo_tracker",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"test-{os.getpid()}@%h",
            "--queues",
            QUEUE,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


def _wait_for_heartbeat(name: str, timeout: float = 60) -> WorkerHeartbeat | None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        beat = WorkerHeartbeat.objects.filter(name=name).first()
        if beat is not None:
            return beat
        time.sleep(0.3)
    return None


def test_task_round_trips_through_redis_and_postgresql(tmp_path, private_redis):
    url = private_redis.url
    client = Celery("test-client", broker=url, backend=url, set_as_current=False)
    worker = _start_worker({"REDIS_URL": url}, tmp_path)
    try:
        name = f"redis-{os.getpid()}"
        recorded = client.send_task("deadlines.worker_heartbeat", args=[name], queue=QUEUE).get(timeout=60)
        beat = WorkerHeartbeat.objects.get(name=name)
        assert beat.seen_at.isoformat() == recorded
    finally:
        _stop(worker)
        client.close()
    log = (tmp_path / "worker.log").read_text()
    assert "succeeded" in log, log


def test_task_round_trips_through_the_embedded_broker_with_no_server(tmp_path, monkeypatch):
    from plo_tracker import embedded

    monkeypatch.setattr(embedded, "VAR_DIR", tmp_path)
    monkeypatch.delenv("REDIS_URL", raising=False)
    client = Celery("test-client", broker="filesystem://", set_as_current=False)
    client.conf.broker_transport_options = embedded.embedded_broker_dirs()
    worker = _start_worker({}, tmp_path)  # the worker finds the same folders through PLO_VAR_DIR
    try:
        name = f"files-{os.getpid()}"
        client.send_task("deadlines.worker_heartbeat", args=[name], queue=QUEUE)
        beat = _wait_for_heartbeat(name)
        assert beat is not None, (tmp_path / "worker.log").read_text()
    finally:
        _stop(worker)
        client.close()
