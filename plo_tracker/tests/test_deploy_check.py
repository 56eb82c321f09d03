"""Production settings pass Django's deployment checklist with no warnings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_settings():
    # Production's environment: none of the test run's own switches (browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE for Playwright in this process).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLO_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="plo_tracker.settings.base",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="plo.council.example",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLO_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="plo_tracker.settings.base", DATABASE_URL="postgres://x@127.0.0.1:1/x")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_check_deploy_warns_when_password_sign_in_skips_the_second_factor():
    """The embedded demo's relaxation (PLO_PASSWORD_2FA_REQUIRED=0) is a warning in production."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLO_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="plo_tracker.settings.base",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="plo.council.example",
        PLO_PASSWORD_2FA_REQUIRED="0",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "accounts.W002" in result.stdout + result.stderr
    assert "PLO_PASSWORD_2FA_REQUIRED is off" in result.stdout + result.stderr
