#!/usr/bin/env python
"""Run PLO Tracker on its embedded defaults: database, broker, demo data, web server, worker and beat.

Started by `make run`. Ctrl-C stops every process it started, then the embedded database.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import subprocess  # nosec B404: runs this project's own fixed commands
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = Path(os.environ.get("PLO_VAR_DIR", ROOT / "var"))
HOST = os.environ.get("PLO_HOST", "127.0.0.1")
PORT = os.environ.get("PLO_PORT", "8000")


def _secret_key() -> str:
    """A per-installation secret key kept in var/ (never committed)."""
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# When `make run` began (the Makefile passes it), so the stages below add up to the wait for the
# first page (issue #14 §4); this script's own start when run directly.
STARTED = float(os.environ.get("PLO_MAKE_STARTED") or time.time())


def _stage(name: str, since: float) -> float:
    """Print how long a stage took and the time since `make run` began; returns now."""
    now = time.time()
    print(f"[{now - STARTED:6.1f} s] {name}: {now - since:.1f} s", flush=True)
    return now


def _wait_for_first_page(url: str, processes: dict[str, subprocess.Popen[bytes]], limit: float = 300) -> bool:
    """Poll the sign-in page until the web server answers it (or a process dies, or `limit` s pass)."""
    from urllib.error import HTTPError, URLError
    from urllib.request import urlopen

    deadline = time.time() + limit
    while time.time() < deadline:
        if any(proc.poll() is not None for proc in processes.values()):
            return False
        try:
            # A refused connection fails at once; once gunicorn accepts, wait for its first answer
            # (Django loads on the first request) rather than giving up and asking again: each
            # abandoned request is still served and takes CPU from the one that counts.
            with urlopen(url, timeout=60) as response:  # noqa: S310  # nosec B310: our own loopback URL
                return bool(response.status < 500)
        except HTTPError as exc:
            return exc.code < 500
        except (URLError, OSError):
            time.sleep(0.25)
    return False


def main() -> int:
    """Prepare the database and start web, worker and beat until interrupted."""
    mark = _stage("set-up before this script (virtualenv, Python packages)", STARTED)
    # `make run` builds the styles (front-end packages, then Sass) alongside the database stages
    # below; the web server starts once they are built.
    styles = None
    if os.environ.get("PLO_STYLES_COMMAND"):
        styles = subprocess.Popen(  # nosec B603: the Makefile's own command
            shlex.split(os.environ["PLO_STYLES_COMMAND"]), cwd=ROOT
        )
    VAR.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "plo_tracker.settings.base")
    env.setdefault("DJANGO_SECRET_KEY", _secret_key())
    env.setdefault("PLO_HTTPS", "0")  # a laptop serves plain http on localhost
    # Static files straight from the source folders (WhiteNoise finders): no collectstatic step.
    env.setdefault("PLO_MANIFEST_STATIC", "0")
    env.setdefault("PLO_SITE_URL", f"http://localhost:{PORT}")
    env.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
    # The demo accounts share one published password and have no second factor: the embedded demo
    # lets them sign in with it alone (a real council's service never does; check --deploy warns).
    env.setdefault("PLO_PASSWORD_2FA_REQUIRED", "0")

    embedded_db = not env.get("DATABASE_URL")
    if embedded_db:
        from plo_tracker import embedded

        # This process holds the embedded server for as long as the product runs.
        env["DATABASE_URL"] = embedded.embedded_database_url()
        print("Database: embedded PostgreSQL in var/pgdata")
    else:
        print("Database: DATABASE_URL")
    print("Broker:   " + ("Redis (REDIS_URL)" if env.get("REDIS_URL") else "embedded (files in var/broker)"))
    mark = _stage("database started", mark)

    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]
    # Setting up the embedded database commits without waiting for each commit to reach the disk
    # (these two commands' sessions only): a crash part-way loses the last commits, never corrupts
    # the database, and the next `make run` migrates and loads the demo data again.
    setup_env = dict(env, PGOPTIONS="-c synchronous_commit=off") if embedded_db else env
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=setup_env, check=True)  # nosec B603: fixed command
    mark = _stage("migrations", mark)
    # Fictional demo families only go into the embedded laptop database, or when asked for:
    # a council's real database must never receive them by accident.
    if embedded_db or env.get("PLO_DEMO") == "1":
        # migrate has just run the system checks.
        subprocess.run(  # nosec B603: fixed command
            [*manage, "demo_data", "--if-empty", "--skip-checks"], env=setup_env, check=True
        )
        mark = _stage("demo data", mark)
    if styles is not None:
        if styles.wait() != 0:
            print("The styles could not be built (see above); nothing was started.", flush=True)
            return 1
        mark = _stage("styles (built alongside the database stages; waited for)", mark)

    commands = {
        "web": [
            python,
            "-m",
            "gunicorn",
            "plo_tracker.wsgi",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--access-logformat",
            "%(m)s %(s)s %(M)sms",
        ],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "plo_tracker",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--hostname",
            "worker@%h",
        ],
        "beat": [
            python,
            "-m",
            "celery",
            "-A",
            "plo_tracker",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(VAR / "celerybeat-schedule"),
        ],
    }
    # The web server first, alone: on a two-core laptop the worker's and beat's own start-up (each
    # loads Django) would hold back the first page, which needs neither of them.
    processes = {"web": subprocess.Popen(commands["web"], env=env, cwd=ROOT)}  # nosec B603: fixed commands
    mark = _stage("web server started", mark)
    if _wait_for_first_page(f"http://{HOST}:{PORT}/", processes):
        mark = _stage("first page served (the sign-in page)", mark)
    for name in ("worker", "beat"):
        processes[name] = subprocess.Popen(commands[name], env=env, cwd=ROOT)  # nosec B603: fixed commands
    _stage("worker and beat started", mark)
    print(
        f"""
PLO Tracker is running at http://localhost:{PORT}/

Demo sign-ins (password for all: {os.environ.get("PLO_DEMO_PASSWORD", "demo-password-2026")}):
  sam.social     social worker          tara.manager   team manager
  clara.clo      court liaison officer  helen.hos      head of service
  leo.legal      legal adviser          ben.support    business support
  sian.sm        service manager        adam.ad        assistant director
  owen.oversight read-only oversight    ada.admin      administrator

Press Ctrl-C to stop the web server, worker and beat.
""",
        flush=True,
    )

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in processes.items():
            if proc.poll() is not None:
                print(f"{name} stopped (exit code {proc.returncode}); stopping the rest.", flush=True)
                stopping, exit_code = True, proc.returncode or 1
                break
        time.sleep(0.5)

    for proc in processes.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in processes.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    print("Stopped web server, worker and beat.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
