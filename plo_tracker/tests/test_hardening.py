"""HTTP hardening on a real request to the product under gunicorn with production settings (DEBUG off,
HTTPS on behind a proxy): security headers on every page, and session and CSRF cookies that are
Secure and HttpOnly (issue #6 item 6)."""

from __future__ import annotations

import base64
from http.cookies import SimpleCookie
from urllib.parse import quote

import pyotp
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role
from accounts.tests.factories import TEST_PASSWORD
from plo_tracker.tests.servers import Browser, Response, WebServer, product_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _test_database_url() -> str:
    s = connection.settings_dict
    host, user = s["HOST"] or "", quote(s["USER"] or "")
    password = quote(s["PASSWORD"] or "")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    if host.startswith("/"):
        return f"postgresql://{credentials}/{s['NAME']}?host={quote(host)}"
    return f"postgresql://{credentials}{host}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="module")
def site(django_db_setup, tmp_path_factory):
    """The product under gunicorn with the base (production) settings, TLS ending at a proxy: one
    server for the module's tests (it takes seconds to start; each test brings its own data)."""
    folder = tmp_path_factory.mktemp("hardening")
    env = product_env(DATABASE_URL=_test_database_url(), PLO_BEHIND_PROXY="1", PLO_VAR_DIR=str(folder))
    web = WebServer(env=env, log_path=folder / "gunicorn.log", threads=2).start()
    yield web
    web.stop()


def _cookie(response: Response, name: str) -> dict[str, str | bool]:
    for header in response.cookies():
        jar = SimpleCookie()
        jar.load(header)
        if name in jar:
            morsel = jar[name]
            return {
                "secure": bool(morsel["secure"]),
                "httponly": bool(morsel["httponly"]),
                "samesite": morsel["samesite"],
                "expires": morsel["expires"] or morsel["max-age"],
            }
    raise AssertionError(f"no {name} cookie in {response.cookies()}")


def _assert_security_headers(response: Response) -> None:
    assert response.header("Content-Security-Policy") == settings.CONTENT_SECURITY_POLICY
    csp = response.header("Content-Security-Policy") or ""
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.header("Strict-Transport-Security") == "max-age=31536000; includeSubDomains; preload"
    assert response.header("X-Content-Type-Options") == "nosniff"
    assert response.header("Referrer-Policy") == "same-origin"
    assert response.header("X-Frame-Options") == "DENY"
    assert response.header("Cross-Origin-Opener-Policy") == "same-origin"


def test_plain_http_is_redirected_to_https(site):
    response = Browser(site.url).get("/accounts/sign-in/")
    assert response.status == 301
    assert response.header("Location") == f"https://127.0.0.1:{site.port}/accounts/sign-in/"


def test_every_page_sends_the_security_headers_and_cookies_are_secure_and_httponly(site, make_user):
    user = make_user(Role.SOCIAL_WORKER, username="hardening.sw")
    # The test settings hash with MD5 for speed; production settings only know the real hashers.
    user.password = PBKDF2PasswordHasher().encode(TEST_PASSWORD, "hardeningsalt", iterations=1000)
    user.save(update_fields=["password"])
    browser = Browser(site.url, forwarded_proto="https")

    sign_in_page = browser.get("/accounts/sign-in/")
    assert sign_in_page.status == 200
    _assert_security_headers(sign_in_page)
    csrf = _cookie(sign_in_page, "csrftoken")
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"

    # Production asks for the second factor after the password (docs/security.md).
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    password_step = browser.post(
        "/accounts/sign-in/",
        {"csrfmiddlewaretoken": _token(sign_in_page.body), "username": user.username, "password": TEST_PASSWORD},
    )
    assert password_step.status == 302, password_step.body[:500]
    assert password_step.header("Location") == "/accounts/sign-in/code/"
    _assert_security_headers(password_step)
    code_page = browser.get("/accounts/sign-in/code/")
    assert code_page.status == 200
    _assert_security_headers(code_page)
    code = pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()
    signed_in = browser.post("/accounts/sign-in/code/", {"csrfmiddlewaretoken": _token(code_page.body), "code": code})
    assert signed_in.status == 302, signed_in.body[:500]
    _assert_security_headers(signed_in)
    session = _cookie(signed_in, "sessionid")
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert not session["expires"]  # ends when the browser closes (and after 30 idle minutes on the server)
    marker = _cookie(signed_in, "plo_signed_in")
    assert marker["secure"] and marker["httponly"]

    for path in ("/", "/cases/", "/no-such-page/"):
        response = browser.get(path)
        assert response.status in (200, 404), path
        _assert_security_headers(response)
        assert "Traceback" not in response.body


def _token(html: str) -> str:
    import re

    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the sign-in page"
    return match.group(1)
