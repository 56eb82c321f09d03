"""Backup and restore drill (issue 22 §4): ``python bench/backup_drill.py [--with-writes]``.

A script, not a test. On the PostgreSQL server of DATABASE_URL (default the machine's
``postgres://postgres@127.0.0.1:5432/postgres``) it:

1. makes a source database ``drill_plo_<pid>``, migrates it and loads the demo council (or, with
   ``--database NAME``, uses an existing database and leaves it as it is);
2. with ``--with-writes``, starts a writer thread that keeps saving through the product's services
   (a review meeting booked on an episode, which recomputes its deadlines and writes the audit
   trail; a heartbeat) for the whole drill, as people and workers would;
3. opens a REPEATABLE READ transaction and exports its snapshot (``pg_export_snapshot()``), runs
   ``pg_dump --snapshot=<it> --format=custom`` so the dump is exactly that moment, and inside the
   same transaction counts every table's rows and takes a checksum of them (md5 over the sorted
   md5s of each row's text);
4. restores the dump into a scratch database with ``pg_restore --exit-on-error`` and takes the same
   counts and checksums there;
5. compares them table by table, prints the result (``--markdown`` for docs/benchmarks.md), drops
   what it made, and exits 1 on any difference (or if the writer saved nothing while the dump ran,
   with ``--with-writes``: the drill would then not have shown a dump taken under load).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"


def url_for(database: str) -> str:
    parts = urlsplit(SERVER_URL)
    return urlunsplit(parts._replace(path="/" + database))


def connect(database: str, *, autocommit: bool = True) -> Any:
    import psycopg2

    conn = psycopg2.connect(url_for(database))
    conn.autocommit = autocommit
    return conn


def admin(sql: str) -> None:
    conn = connect(urlsplit(SERVER_URL).path.lstrip("/") or "postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def libpq_env() -> dict[str, str]:
    """PGHOST etc. for pg_dump and pg_restore, from DATABASE_URL."""
    parts = urlsplit(SERVER_URL)
    env = dict(os.environ)
    for key, value in (("PGHOST", parts.hostname), ("PGPORT", parts.port), ("PGUSER", parts.username),
                       ("PGPASSWORD", parts.password)):  # fmt: skip
        if value:
            env[key] = str(value)
    return env


def tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


def fingerprint(cursor: Any) -> dict[str, tuple[int, str]]:
    """Every table's (row count, checksum); the checksum does not depend on the rows' order."""
    found: dict[str, tuple[int, str]] = {}
    for table in tables(cursor):
        cursor.execute(
            f"SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '-')"  # noqa: S608  # nosec B608
            f" FROM (SELECT md5(t::text) AS h FROM {table} t) rows"
        )
        count, checksum = cursor.fetchone()
        found[table] = (int(count), str(checksum))
    return found


def set_up_django(database: str) -> None:
    os.environ["DATABASE_URL"] = url_for(database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plo_tracker.settings.test")
    os.environ.setdefault("PLO_INSECURE_DEV_KEY", "1")
    os.environ.setdefault("PLO_VAR_DIR", tempfile.mkdtemp(prefix="plo-drill-var-"))
    import django

    django.setup()


class Writer(threading.Thread):
    """Saves through the services until told to stop; counts what it committed."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="drill-writer")
        self.stop = threading.Event()
        self.saved = 0
        self.refused = 0
        self.marks: list[tuple[float, int]] = []

    def run(self) -> None:
        from django.core.exceptions import ValidationError
        from django.db import connection
        from django.utils import timezone

        from cases.models import Episode
        from deadlines.services import heartbeat_record
        from meetings import services as ms
        from meetings.models import MeetingKind

        today = timezone.localdate()
        episodes = list(
            Episode.objects.filter(stage="pre_proceedings").select_related("family__team_manager").order_by("pk")[:40]
        )
        i = 0
        try:
            while not self.stop.is_set():
                heartbeat_record(name=f"drill-{i % 5}")
                self.saved += 1
                if episodes:
                    episode = episodes[i % len(episodes)]
                    manager = episode.family.team_manager
                    try:
                        ms.meeting_record(
                            episode=episode,
                            kind=MeetingKind.REVIEW,
                            scheduled_for=today + dt.timedelta(days=7 + i % 20),
                            by=manager,
                            today=today,
                        )
                        self.saved += 1
                    except (ValidationError, PermissionError) as exc:  # e.g. a rule the demo case fails
                        self.refused += 1
                        if self.refused > 50 and self.saved < 10:
                            raise RuntimeError("the writer's saves are all refused") from exc
                self.marks.append((time.monotonic(), self.saved))
                i += 1
        finally:
            connection.close()

    def saved_between(self, start: float, end: float) -> int:
        before = max((n for t, n in self.marks if t <= start), default=0)
        after = max((n for t, n in self.marks if t <= end), default=0)
        return after - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="an existing database to back up (left as it is)")
    parser.add_argument("--with-writes", action="store_true", help="save through the services during the drill")
    parser.add_argument("--markdown", action="store_true", help="print the result as rows for docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the dump file and the scratch database")
    args = parser.parse_args()

    pid = os.getpid()
    source = args.database or f"drill_plo_{pid}"
    scratch = f"drill_restore_{pid}"
    folder = Path(tempfile.mkdtemp(prefix="plo-drill-"))
    dump = folder / f"{source}.dump"
    made_source = not args.database
    started = time.monotonic()
    if made_source:
        admin(f'CREATE DATABASE "{source}"')
    writer: Writer | None = None
    try:
        set_up_django(source)
        if made_source:
            from django.core.management import call_command

            call_command("migrate", "--no-input", verbosity=0)
            call_command("demo_data", verbosity=0)
        prepared = time.monotonic()
        if args.with_writes:
            writer = Writer()
            writer.start()
            time.sleep(2)  # the writer is saving before the snapshot is taken

        holder = connect(source, autocommit=False)
        with holder.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), now()")
            snapshot, snapshot_at = cursor.fetchone()
            dump_started = time.monotonic()
            subprocess.run(
                ["pg_dump", "--snapshot", snapshot, "--format=custom", "--file", str(dump), source],
                check=True, env=libpq_env(), timeout=600,
            )  # fmt: skip
            dump_seconds = time.monotonic() - dump_started
            at_dump = fingerprint(cursor)
        holder.rollback()
        holder.close()
        written_during_dump = writer.saved_between(dump_started, dump_started + dump_seconds) if writer else 0

        admin(f'CREATE DATABASE "{scratch}"')
        restore_started = time.monotonic()
        subprocess.run(
            ["pg_restore", "--exit-on-error", "--no-owner", "--dbname", scratch, str(dump)],
            check=True, env=libpq_env(), timeout=600,
        )  # fmt: skip
        restore_seconds = time.monotonic() - restore_started
        restored_conn = connect(scratch)
        with restored_conn.cursor() as cursor:
            restored = fingerprint(cursor)
            cursor.execute("SHOW server_version")
            server_version = cursor.fetchone()[0]
        restored_conn.close()
        live_conn = connect(source)
        with live_conn.cursor() as cursor:
            live_now = fingerprint(cursor)
        live_conn.close()
        if writer:
            writer.stop.set()
            writer.join(timeout=60)
    finally:
        if writer:
            writer.stop.set()
            writer.join(timeout=60)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{scratch}"')
            dump.unlink(missing_ok=True)
            folder.rmdir() if folder.exists() and not any(folder.iterdir()) else None
        if made_source:
            admin(f'DROP DATABASE IF EXISTS "{source}" WITH (FORCE)')

    differences = [
        (table, at_dump.get(table), restored.get(table))
        for table in sorted(set(at_dump) | set(restored))
        if at_dump.get(table) != restored.get(table)
    ]
    changed_since = sorted(t for t in at_dump if live_now.get(t) != at_dump[t])
    rows = sum(count for count, _ in at_dump.values())
    pg_dump_version = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True).stdout
    facts = [
        ("when", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{os.cpu_count()} vCPU, {platform.python_implementation()} {platform.python_version()}"),
        ("server", f"PostgreSQL {server_version}; {pg_dump_version.strip()}"),
        ("database", f"{'demo council (demo_data)' if made_source else source}: {len(at_dump)} tables, {rows:,} rows"),
        ("snapshot", f"{snapshot} at {snapshot_at:%H:%M:%S} (REPEATABLE READ, exported to pg_dump)"),
        ("dump", f"{dump_seconds:.2f} s (pg_dump --format=custom --snapshot)"),
        ("restore", f"{restore_seconds:.2f} s (pg_restore into a scratch database)"),
        ("writes", f"{writer.saved} saves during the drill, {written_during_dump} while pg_dump ran"
                   f" ({writer.refused} refused by the services)" if writer else "none (no --with-writes)"),
        ("tables changed on the live database since the snapshot", f"{len(changed_since)}: {', '.join(changed_since)}"),
        ("tables whose count or checksum differ after restore", str(len(differences))),
        ("set-up", f"{prepared - started:.1f} s"),
    ]  # fmt: skip
    if args.markdown:
        print("| | |\n|---|---|")
        for key, value in facts:
            print(f"| {key} | {value} |")
    else:
        for key, value in facts:
            print(f"{key}: {value}")
    for table, before, after in differences:
        print(f"DIFFERENT {table}: at dump {before}, restored {after}", file=sys.stderr)
    if differences:
        return 1
    if writer and written_during_dump == 0:
        print("the writer saved nothing while pg_dump ran: not a drill under load", file=sys.stderr)
        return 1
    print("OK: every table's row count and checksum in the restored database match the moment of the dump")
    return 0


if __name__ == "__main__":
    sys.exit(main())
