"""How jobs and people's saves that write the same rows stay out of each other's way (issue #14 §3).

Two things run side by side in production: beats (two after a failover), a catch-up of a missed
day during the 07:00 run, the 06:30 recompute running late into the scan, and people saving
steps all day. Each pair must finish with no error, no deadlock and no duplicate. The rules:

* **Alert scans take one advisory lock for the job** (`job_lock("deadlines.alert_scan")`), held
  to the end of the scan's transaction. A second scan waits for the first to commit and then,
  reading what it committed, creates nothing. The lock is per job, *not* per job and day: the
  alert a scan raises for (episode, deadline, kind, person, due date) does not depend on which
  day runs it, so a catch-up of yesterday and today's run insert the same keys and must not
  overlap either. A transaction-level lock, so a crashed worker cannot leave it held.
* **Alerts are inserted in one order**: every writer inserts in the order of the `alert_once`
  key (episode, deadline, kind, recipient, due date). Two transactions that insert overlapping
  keys in the same order can wait for one another but never in a cycle, so anything else that
  raises alerts (a person's action) cannot deadlock with a scan. This is what failed before:
  two concurrent `INSERT ... SELECT ... ON CONFLICT DO NOTHING` produced their rows in different
  orders and PostgreSQL 15 reported `DeadlockDetected ... while inserting index tuple`.
* **An episode's stored deadlines are rewritten under its row lock**
  (`episode_lock_for_deadlines`): the daily recompute, a second beat's recompute and a person
  saving a step each lock the episode (`FOR NO KEY UPDATE`) before reading its deadlines, so
  two recomputes of one episode run one after the other (no duplicate new deadline, no lost
  waiver). `FOR NO KEY UPDATE` does not conflict with the `FOR KEY SHARE` lock that inserting
  an alert takes on its episode, so the scan is never held up by it.

Why a lock for the scan rather than only the insert order: serialising the whole scan also makes
the second scan cheap (it sees the first one's rows and creates nothing, instead of waiting row by
row), and it covers any future step of the scan that is not a single INSERT.
"""

from __future__ import annotations

import zlib

from django.db import connection

# The two-integer advisory-lock space (distinct from the one-bigint space the demo loader uses).
_NAMESPACE = 14_000_014


def _key(job: str) -> int:
    """A stable 31-bit key for a job name (crc32 is the same in every process and release)."""
    return zlib.crc32(job.encode()) & 0x7FFFFFFF


def job_lock(job: str) -> None:
    """Wait for, then hold until the end of the current transaction, the named job's advisory lock."""
    if not connection.in_atomic_block:
        raise RuntimeError("job_lock must be taken inside transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_NAMESPACE, _key(job)])


def episode_lock_for_deadlines(episode_id: int) -> None:
    """Lock an episode's row (FOR NO KEY UPDATE) before its stored deadlines are read and rewritten."""
    from cases.models import Episode

    if not connection.in_atomic_block:
        raise RuntimeError("episode_lock_for_deadlines must be called inside transaction.atomic()")
    list(Episode.objects.select_for_update(no_key=True).filter(pk=episode_id).values_list("pk", flat=True))
