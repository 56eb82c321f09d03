"""Signing in and out, wrong passwords, lock-out and session limits, as a member of staff sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/sign-in/"


def test_every_page_needs_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)


def test_sign_in_page_is_styled_with_the_council_name_and_no_crown(client, settings):
    settings.COUNCIL_NAME = "Wendle Borough Council"
    html = client.get(SIGN_IN).content.decode()
    assert "Wendle Borough Council" in html
    assert 'href="/static/css/app.css"' in html
    assert "govuk-header" in html and "govuk-phase-banner" in html and "govuk-skip-link" in html
    assert "govuk-logo" not in html and "crown" not in html.lower()


def test_wrong_password_shows_an_error_summary_and_keeps_the_username(client, make_user):
    make_user(Role.SOCIAL_WORKER, username="sam.social")
    response = client.post(SIGN_IN, {"username": "sam.social", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Enter a correct username and password" in html
    assert 'value="sam.social"' in html


def test_signing_in_lands_on_a_home_page_for_the_role(client, make_user):
    make_user(Role.COURT_LIAISON_OFFICER, username="clara.clo", first_name="Clara")
    response = client.post(SIGN_IN, {"username": "clara.clo", "password": TEST_PASSWORD}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Court liaison officer" in html
    assert "Clara" in html


def test_ten_wrong_passwords_lock_the_account_for_fifteen_minutes(client, make_user):
    make_user(Role.SOCIAL_WORKER, username="sam.social")
    for _ in range(10):
        client.post(SIGN_IN, {"username": "sam.social", "password": "wrong"})
    locked = client.post(SIGN_IN, {"username": "sam.social", "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = client.post(SIGN_IN, {"username": "sam.social", "password": TEST_PASSWORD})
        assert response.status_code == 302


def test_nine_wrong_passwords_do_not_lock(client, make_user):
    make_user(Role.SOCIAL_WORKER, username="sam.social")
    for _ in range(9):
        client.post(SIGN_IN, {"username": "sam.social", "password": "wrong"})
    assert client.post(SIGN_IN, {"username": "sam.social", "password": TEST_PASSWORD}).status_code == 302


def _sign_in(client, make_user):
    make_user(Role.SOCIAL_WORKER, username="sam.social")
    assert client.post(SIGN_IN, {"username": "sam.social", "password": TEST_PASSWORD}).status_code == 302


def test_session_ends_after_30_minutes_idle_with_a_clear_message(client, make_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _sign_in(client, make_user)
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        assert client.get("/").status_code == 200  # activity renews the idle timer
    with time_machine.travel(start + timedelta(minutes=56), tick=False):
        response = client.get("/", follow=True)
        assert response.redirect_chain[-1][0].startswith(SIGN_IN + "?expired=1")
        assert "Your session has expired" in response.content.decode()


def test_pages_renew_the_idle_limit_at_most_once_a_minute_without_writing_the_session_each_time(client, make_user):
    def expiry():
        return Session.objects.get(session_key=client.session.session_key).expire_date

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _sign_in(client, make_user)
        assert client.get("/").status_code == 200
    first = expiry()
    assert first == start + timedelta(minutes=30)
    with time_machine.travel(start + timedelta(seconds=40), tick=False), CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert not [q for q in queries.captured_queries if 'UPDATE "django_session"' in q["sql"]]
    assert expiry() == first  # 40 seconds on, the page did not write the session
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert client.get("/").status_code == 200
    assert expiry() == start + timedelta(minutes=32)  # a minute or more on, it did
    # A page at 31:50 renews it to 61:50; idle after that, it has gone one second later.
    with time_machine.travel(start + timedelta(minutes=31, seconds=50), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31, seconds=50) + timedelta(minutes=30, seconds=1), tick=False):
        assert "expired=1" in client.get("/")["Location"]


def test_session_ends_after_12_hours_even_when_active(client, make_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _sign_in(client, make_user)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        response = client.get("/")
        assert response.status_code == 302
        assert "expired=1" in response["Location"]


def test_sign_out_ends_the_session(client, make_user):
    _sign_in(client, make_user)
    response = client.post(reverse("accounts:sign-out"), follow=True)
    assert "You have signed out" in response.content.decode()
    assert client.get("/").status_code == 302
    assert "expired" not in client.get("/")["Location"]


def test_sign_out_by_get_is_refused(client, make_user):
    _sign_in(client, make_user)
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    assert client.get("/").status_code == 200
