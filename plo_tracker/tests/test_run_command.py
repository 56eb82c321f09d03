"""The README's first command: the product starts on its embedded defaults, serves styled pages
to a demo sign-in, and Ctrl-C stops the web server, worker and beat."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_starts_everything_and_ctrl_c_stops_it(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(PLO_PORT=str(port), PLO_VAR_DIR=str(tmp_path / "var"))
    log = open(tmp_path / "run.log", "w+b")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(
        [sys.executable, "scripts/run.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while b"PLO Tracker is running at" not in (tmp_path / "run.log").read_bytes():
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, "did not start in 4 minutes"
            time.sleep(1)
        output = (tmp_path / "run.log").read_text()
        assert f"http://localhost:{port}/" in output and "helen.hos" in output and "demo-password-2026" in output

        base = f"http://127.0.0.1:{port}"
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        for _ in range(30):  # gunicorn may still be binding
            try:
                page = opener.open(f"{base}/accounts/sign-in/", timeout=10).read().decode()
                break
            except OSError:
                time.sleep(1)
        assert "Sign in to PLO Tracker" in page
        css = opener.open(f"{base}/static/css/app.css", timeout=10)
        assert css.status == 200 and b"govuk-header" in css.read()
        token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        data = urlencode(
            {"csrfmiddlewaretoken": token, "username": "helen.hos", "password": "demo-password-2026"}
        ).encode()
        request = urllib.request.Request(f"{base}/accounts/sign-in/", data=data, headers={"Referer": base})
        home = opener.open(request, timeout=20).read().decode()
        assert "Hello, Helen" in home and "LPM requests waiting for your decision" in home
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    output = (tmp_path / "run.log").read_text()
    assert "Stopped web server, worker and beat." in output
    assert proc.returncode == 0
