"""No secret in a URL reaches a log (issue 24 §4): the calendar feed's key is in the query string,
and gunicorn, run with the command docs/operations.md gives, logs paths only. The feed is fetched
as a calendar client would, then the access and error logs are searched for its key."""

from __future__ import annotations

import datetime as dt
import logging
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse
from gunicorn.config import Config

from accounts.roles import Role
from plo_tracker.gunicorn_logging import Logger
from plo_tracker.tests.servers import ROOT, Browser, _stop_process, free_port, port_open, product_env, wait_until
from plo_tracker.tests.test_hardening import _test_database_url

OPERATIONS_MD = ROOT / "docs" / "operations.md"


def documented_web_command() -> list[str]:
    """The web row of docs/operations.md's "What runs" table, as arguments."""
    match = re.search(r"^\| web \| `(gunicorn [^`]+)`", OPERATIONS_MD.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, "docs/operations.md gives no gunicorn command"
    return shlex.split(match.group(1))


def test_the_documented_command_sets_the_log_config_and_the_timeout_explicitly():
    args = documented_web_command()
    assert args[args.index("--config") + 1] == "python:plo_tracker.gunicorn_conf"
    assert int(args[args.index("--timeout") + 1]) == 30


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_gunicorn_as_documented_never_logs_the_calendar_key(tmp_path: Path, make_user):
    user = make_user(Role.SOCIAL_WORKER, username="log.sw")
    token = user.calendar_token
    port = free_port()
    args = documented_web_command()[1:]  # without "gunicorn": run as python -m gunicorn
    args[args.index("--bind") + 1] = f"127.0.0.1:{port}"
    args[args.index("--workers") + 1] = "1"  # a shared test machine
    env = product_env(DATABASE_URL=_test_database_url(), PLO_BEHIND_PROXY="1", PLO_VAR_DIR=str(tmp_path))
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("ab") as stdout, err.open("ab") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *args],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        wait_until(lambda: process.poll() is None and port_open(port), timeout=60, what="gunicorn")
        client = Browser(f"http://127.0.0.1:{port}", forwarded_proto="https")
        feed = reverse("deadlines:calendar-feed")
        calendar = {"Accept": "text/calendar, */*", "User-Agent": "Google-Calendar-Importer"}
        response = client.request("GET", f"{feed}?key={token}", headers=calendar)
        assert response.status == 200 and "BEGIN:VCALENDAR" in response.body
        # A wrong key (Django logs "Not Found: <path>") and the old path form are logged too.
        assert client.request("GET", f"{feed}?key={token}x", headers=calendar).status == 404
        old = client.request("GET", f"/deadlines/calendar/{token}.ics", headers=calendar)
        assert old.status == 200 and "stopped working" in old.body and token not in old.body
        # A referer carrying the key (a browser that followed the address from a page).
        client.request("GET", "/health/", headers={"Referer": f"https://x{feed}?key={token}"})
    finally:
        _stop_process(process, timeout=15)
    logs = out.read_text() + err.read_text()
    assert token not in logs, [line for line in logs.splitlines() if token in line]
    assert token[:12] not in logs
    assert f'"GET {feed}" 200' in logs and f'"GET {feed}" 404' in logs, logs[-2000:]  # the access log is on
    assert '"GET /deadlines/calendar/<token>.ics" 200' in logs


def _logger(**settings: str) -> tuple[Logger, list[str]]:
    """gunicorn's logger as our config builds it, with every line it writes caught."""
    cfg = Config()
    for name, value in {"accesslog": "-", "errorlog": "-", **settings}.items():
        cfg.set(name, value)
    logger = Logger(cfg)
    lines: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    for log in (logger.access_log, logger.error_log):
        log.addHandler(Catch())
    return logger, lines


KEY = "Zq4sEcretKeyOfTheFeed_0123456789abcdefgh"


@pytest.mark.parametrize(
    "log_format",
    [
        '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"',  # gunicorn's default: the request line
        "%(U)s?%(q)s",
        "{raw_uri}e {query_string}e {referer}i",
    ],
)
def test_any_access_log_format_withholds_the_key_and_every_query_string(log_format):
    logger, lines = _logger(access_log_format=log_format)
    raw_uri, referer = f"/deadlines/calendar/feed.ics?key={KEY}", f"https://x/cases/?q=Ashworth&key={KEY}"
    path, _, query = raw_uri.partition("?")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": raw_uri, "PATH_INFO": path, "QUERY_STRING": query,
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_REFERER": referer, "REMOTE_ADDR": "127.0.0.1"}  # fmt: skip
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", referer)])
    logger.access(response, request, environ, dt.timedelta(milliseconds=5))
    assert len(lines) == 1 and KEY not in lines[0] and "Ashworth" not in lines[0], lines
    assert "/deadlines/calendar/feed.ics" in lines[0] or "{" in log_format


def test_the_error_log_withholds_the_key_in_a_failing_request():
    """gunicorn logs "Error handling request <uri>" when a request fails outside Django."""
    logger, lines = _logger()
    logger.error("Error handling request %s", f"/deadlines/calendar/feed.ics?key={KEY}")
    logger.exception("Error handling request %s", f"/deadlines/calendar/{KEY}.ics")
    assert len(lines) == 2 and all(KEY not in line for line in lines), lines
