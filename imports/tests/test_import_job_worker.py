"""An import job survives a worker killed mid-way (issue 24 §5): with real workers on a Redis of
the test's own, the first is SIGKILLed while it writes; nothing of its attempt is kept, the task
is delivered again, and the second worker imports every row once."""

from __future__ import annotations

import os
import time

import pytest
from celery import Celery

from cases.models import Family
from conftest import need_service
from imports import jobs
from imports.models import JobState, TrackerUpload
from imports.parsing import read_tracker
from imports.tests.test_browser_import_job import _test_database_url
from imports.tests.test_import_jobs import tracker_csv
from plo_tracker.tests.servers import RedisServer, kill_group, redis_binary, start_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
VISIBILITY_TIMEOUT = 3  # seconds: how soon an unacknowledged task goes to another worker
ROWS = 1000  # the kill lands at 250 rows or a second later; the rest is redone


def _state(pk: int) -> tuple[str, int, int]:
    upload = TrackerUpload.objects.get(pk=pk)
    return upload.state, upload.rows_done, upload.attempts


def test_a_worker_killed_mid_import_leaves_nothing_and_the_job_is_redone_once(council, tmp_path):
    need_service(redis_binary() is not None, "redis-server (make test installs Debian's package)")
    from imports import services
    from imports.fields import mapping_guess

    clo = council["people"]["clo"]
    sheet = read_tracker("big.csv", tracker_csv(ROWS, prefix="KILL"))
    upload = services.upload_create(filename="big.csv", content=b"", sheet=sheet, by=clo)
    upload.mapping = mapping_guess(sheet.headers)
    upload.save()
    redis = RedisServer().start()
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="plo_tracker.settings.test",
        DATABASE_URL=_test_database_url(),
        REDIS_URL=redis.url,
        PLO_VAR_DIR=str(tmp_path),
        PLO_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
    )
    first = start_worker(env, tmp_path / "worker-1.log")
    second = None
    client = Celery("job-client", broker=redis.url, set_as_current=False)
    try:
        assert jobs.import_queue(upload=upload, by=clo)
        client.send_task(jobs.TASK, args=[upload.pk])  # what the outbox publishes after commit
        wait_until(
            lambda: _state(upload.pk)[0] == JobState.RUNNING and _state(upload.pk)[1] >= 250,
            timeout=120,
            what=f"the job to be writing ({tmp_path / 'worker-1.log'})",
        )
        kill_group(first)  # SIGKILL mid-import: its transaction dies with its connection
        assert _state(upload.pk)[0] == JobState.RUNNING
        assert not Family.objects.filter(reference__startswith="KILL-").exists()  # nothing of it kept
        time.sleep(VISIBILITY_TIMEOUT + 1)
        second = start_worker(env, tmp_path / "worker-2.log")
        wait_until(lambda: _state(upload.pk)[0] == JobState.DONE, timeout=240, interval=0.5, what="the job to finish")
    finally:
        client.close()
        # Killed, not stopped: after the job the second worker runs its start-up alert catch-up
        # over the 1,000 new families, and a warm stop would wait for it (up to its 20 s limit).
        for process in (first, second):
            if process is not None:
                kill_group(process)
        redis.close()
    state, done, attempts = _state(upload.pk)
    assert (state, done, attempts) == (JobState.DONE, ROWS, 2)
    assert Family.objects.filter(reference__startswith="KILL-").count() == ROWS
    assert "redone from the start" in (tmp_path / "worker-2.log").read_text()
