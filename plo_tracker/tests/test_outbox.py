"""The outbox keeps work a request hands to Celery, and never makes the request wait on the broker."""

from __future__ import annotations

import socket
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from plo_tracker import outbox
from plo_tracker.celery import app
from plo_tracker.models import OutboxMessage
from plo_tracker.outbox import outbox_enqueue, outbox_flush


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _drain() -> list[tuple[str, list[object], str]]:
    """Every message waiting in the in-memory broker's `celery` queue: (task, args, id)."""
    found = []
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue("celery")
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            found.append((message.headers["task"], list(message.payload[0]), message.headers["id"]))
            message.ack()
        queue.close()
    return found


@pytest.fixture
def broker():
    """Point the Celery app at Kombu's in-memory transport (never the developer's var/broker)."""
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {}
    outbox._breaker_reset()
    _drain()
    yield app
    app.conf.broker_url, app.conf.broker_transport_options = saved
    outbox._breaker_reset()


@pytest.fixture
def broker_down(broker):
    """A Redis address nothing listens on: every publish is refused."""
    app.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    return app


@pytest.mark.django_db
def test_a_message_is_published_only_after_the_transaction_commits(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        message = outbox_enqueue("deadlines.worker_heartbeat", args=["outbox-test"])
        assert _drain() == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1 and message.last_error == ""
    assert _drain() == [("deadlines.worker_heartbeat", ["outbox-test"], f"outbox-{message.pk}")]


@pytest.mark.django_db
def test_a_rolled_back_transaction_sends_nothing(broker, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox_enqueue("deadlines.worker_heartbeat", args=["never"])
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert _drain() == []


@pytest.mark.django_db
def test_with_the_broker_down_the_request_returns_at_once_and_the_message_waits(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox_enqueue("deadlines.worker_heartbeat", args=["one"])
    with django_capture_on_commit_callbacks(execute=True):
        second = outbox_enqueue("deadlines.worker_heartbeat", args=["two"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.sent_at is None and first.attempts == 1
    assert first.last_error.startswith("OperationalError")  # class names only, never a payload
    # After one failure, requests stop trying for a while and leave messages to the flush.
    assert second.sent_at is None and second.attempts == 0

    result = outbox_flush()
    assert (result.sent, result.pending, result.broker_down) == (0, 2, True)
    with pytest.raises(CommandError, match="broker is unavailable"):
        call_command("outbox_flush")


@pytest.mark.django_db
def test_the_flush_sends_pending_messages_oldest_first_once(broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ids = [outbox_enqueue("deadlines.worker_heartbeat", args=[f"m{i}"]).pk for i in range(3)]
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 3
    app.conf.broker_url = "memory://"  # the broker is back

    result = outbox_flush(batch=2)  # more than one batch
    assert (result.sent, result.pending, result.broker_down) == (3, 0, False)
    assert [args for _, args, _ in _drain()] == [["m0"], ["m1"], ["m2"]]
    assert not outbox._breaker_is_open()  # requests publish straight away again
    assert outbox_flush().sent == 0
    call_command("outbox_flush")
    assert _drain() == []
    assert set(OutboxMessage.objects.filter(sent_at__isnull=False).values_list("pk", flat=True)) == set(ids)


@pytest.mark.django_db
def test_eager_mode_runs_the_task_in_process(broker, settings, django_capture_on_commit_callbacks):
    from deadlines.models import WorkerHeartbeat

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = outbox_enqueue("deadlines.worker_heartbeat", kwargs={"name": "eager"})
    finally:
        app.conf.task_always_eager = False
    assert WorkerHeartbeat.objects.filter(name="eager").exists()
    message.refresh_from_db()
    assert message.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_flushers_at_once_send_each_message_once(broker_down):
    with transaction.atomic():
        for i in range(40):
            outbox_enqueue("deadlines.worker_heartbeat", args=[f"c{i}"])
    app.conf.broker_url = "memory://"
    barrier = threading.Barrier(2)
    results = []

    def flush() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(outbox_flush(batch=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=flush) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    sent = _drain()
    assert sum(r.sent for r in results) == 40
    assert sorted(str(args[0]) for _, args, _ in sent) == sorted(f"c{i}" for i in range(40))
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_the_flush_is_scheduled_every_minute_and_tasks_are_capped():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["outbox-flush"]
    assert entry == {"task": "plo_tracker.outbox_flush", "schedule": 60.0}
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if name.split(".")[0] in {"plo_tracker", "deadlines"}}
    assert "plo_tracker.outbox_flush" in ours and "deadlines.alert_scan" in ours
    for name, task in ours.items():
        assert task.max_retries is not None and task.max_retries <= 3, name  # the retry cap
        assert task.acks_late and task.reject_on_worker_lost, name  # a killed worker's task is redelivered
