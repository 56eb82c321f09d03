"""The jobs-side-by-side scenarios again, through PgBouncer in transaction pooling (issue 22 §3).

A council's IT puts PgBouncer between the web nodes, the workers and PostgreSQL. In transaction
pooling each transaction may run on another server connection, so anything that relies on the
session between transactions breaks: a session-level advisory lock (taken on one server
connection, released on another, or never), a server-side cursor kept open across transactions,
a SET. The scans' lock is `pg_advisory_xact_lock` (deadlines/locking.py), DATABASE_POOLING=
transaction switches Django's server-side cursors off, and these tests run the concurrency
scenarios through a PgBouncer they start in front of the test database, with those settings.
"""

from __future__ import annotations

import pytest

from conftest import need_service
from plo_tracker.tests.pgbouncer import PgBouncer, django_through, pgbouncer_binary

from . import test_concurrency as scenarios
from .test_concurrency import service  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def bouncer(django_db_setup, django_db_blocker):
    need_service(pgbouncer_binary() is not None, "pgbouncer (Debian package)")
    from django.db import connections

    db = connections.settings["default"]
    bouncer = PgBouncer(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres")
    bouncer.start()
    yield bouncer
    bouncer.close()


@pytest.fixture
def pooled(bouncer, transactional_db):
    """Every connection of this test, on any thread, goes through PgBouncer (transaction pooling)."""
    with django_through(bouncer):
        yield bouncer


def transactions_through(bouncer: PgBouncer, database: str) -> int:
    return sum(int(row["total_xact_count"]) for row in bouncer.admin("SHOW STATS") if row["database"] == database)


def test_the_test_connections_really_go_through_pgbouncer_in_transaction_mode(pooled):
    from django.db import connection

    name = _name()
    before = transactions_through(pooled, name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    pools = [row for row in pooled.admin("SHOW POOLS") if row["database"] == name]
    assert pools and {row["pool_mode"] for row in pools} == {"transaction"}
    clients = [row for row in pooled.admin("SHOW CLIENTS") if row["database"] == name]
    assert clients, "the test's own connection is not a PgBouncer client"
    assert transactions_through(pooled, name) > before


def test_any_two_jobs_at_once_through_pgbouncer(pooled, service):  # noqa: F811
    before = transactions_through(pooled, _name())
    scenarios.test_any_two_jobs_at_once_never_error_and_raise_each_alert_once(service)
    assert transactions_through(pooled, _name()) > before


def test_a_second_scan_waits_for_the_first_through_pgbouncer(pooled, service, monkeypatch):  # noqa: F811
    scenarios.test_a_second_scan_waits_for_the_first_and_then_creates_nothing(service, monkeypatch)


def _name() -> str:
    from django.db import connection

    return str(connection.settings_dict["NAME"])


@pytest.mark.parametrize(
    ("pooling", "server_side_cursors", "startup_options"), [("", True, True), ("transaction", False, False)]
)
def test_the_pooling_setting_switches_off_what_transaction_pooling_breaks(
    pooling, server_side_cursors, startup_options
):
    """What DATABASE_POOLING=transaction changes in the settings a process starts with."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json; from django.conf import settings; db = settings.DATABASES['default']; "
        "print(json.dumps([not db.get('DISABLE_SERVER_SIDE_CURSORS', False), 'options' in db['OPTIONS']]))"
    )
    env = dict(os.environ, DATABASE_URL="postgres://plo@127.0.0.1:6432/plo_tracker", DATABASE_POOLING=pooling,
               DJANGO_SETTINGS_MODULE="plo_tracker.settings.test")  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [server_side_cursors, startup_options]
