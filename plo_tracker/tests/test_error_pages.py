"""Missing, forbidden and broken pages look like the product and show no traceback."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import path, reverse

from accounts.access import allow
from accounts.roles import ALL_STAFF, Role
from plo_tracker import urls as project_urls

pytestmark = pytest.mark.django_db


@allow(ALL_STAFF)
def _boom(request):
    raise RuntimeError("secret internal detail")


@allow(ALL_STAFF)
def _db_down(request):
    raise OperationalError("could not connect to server: Connection refused")


handler500 = project_urls.handler500
urlpatterns = [path("boom/", _boom), path("db-down/", _db_down), *project_urls.urlpatterns]


def test_missing_page(client_as):
    response = client_as(Role.SOCIAL_WORKER).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and "app.css" in html


def test_forbidden_page(client_as):
    """A page the role may not use says so in the product's own layout, and leaks nothing."""
    client = client_as(Role.SOCIAL_WORKER)
    response = client.get(reverse("deadlines:weekly"))  # the head of service's screen
    html = response.content.decode()
    assert response.status_code == 403
    assert "You do not have access to this page" in html and "app.css" in html
    assert "Weekly tracker" not in html.split("<main", 1)[1]
    assert "Traceback" not in html
    # The admin site is not for case workers: the same plain 403, no form (not a loop of redirects
    # between the admin's sign-in and ours).
    response = client.post("/admin/accounts/user/add/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()
    response = client_as(Role.READ_ONLY).get("/accounts/sign-out/")
    assert response.status_code == 405


def test_server_error_has_a_reference_and_no_traceback(settings, make_user):
    settings.ROOT_URLCONF = "plo_tracker.tests.test_error_pages"
    client = Client(raise_request_exception=False)
    client.force_login(make_user(Role.SOCIAL_WORKER))
    response = client.get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "secret internal detail" not in html and "Traceback" not in html
    assert 'data-testid="error-reference"' in html


def test_database_unreachable_says_so(settings, make_user):
    settings.ROOT_URLCONF = "plo_tracker.tests.test_error_pages"
    client = Client(raise_request_exception=False)
    client.force_login(make_user(Role.SOCIAL_WORKER))
    response = client.get("/db-down/")
    assert response.status_code == 503
    assert "cannot reach its database" in response.content.decode()


def test_health_check_is_public_and_reports_the_database(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_a_refused_write_is_a_500_not_a_database_outage(settings, make_user):
    from django.db import IntegrityError

    @allow(ALL_STAFF)
    def _duplicate(request):
        raise IntegrityError("duplicate key value violates unique constraint")

    settings.ROOT_URLCONF = "plo_tracker.tests.test_error_pages"
    urlpatterns.append(path("duplicate/", _duplicate))
    try:
        client = Client(raise_request_exception=False)
        client.force_login(make_user(Role.SOCIAL_WORKER))
        response = client.get("/duplicate/")
        assert response.status_code == 500
        assert "cannot reach its database" not in response.content.decode()
    finally:
        urlpatterns.pop()


def test_signed_in_pages_are_not_cached(client_as):
    response = client_as(Role.SOCIAL_WORKER).get("/")
    assert "no-store" in response["Cache-Control"]
