"""Deny by default: a page that does not declare its roles is refused; navigation follows the role."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.access import allow
from accounts.middleware import RoleRequiredMiddleware
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    request.resolver_match = None
    return request


def test_a_view_that_declares_no_roles_is_refused_even_to_an_administrator(make_user):
    def undeclared(request):
        return HttpResponse("secret")

    middleware = RoleRequiredMiddleware(lambda r: HttpResponse())
    with pytest.raises(PermissionDenied):
        middleware.process_view(_request(make_user(Role.ADMINISTRATOR, Role.HEAD_OF_SERVICE)), undeclared, (), {})


def test_a_view_refuses_roles_it_did_not_declare(make_user):
    @allow({Role.HEAD_OF_SERVICE})
    def weekly(request):
        return HttpResponse("weekly")

    middleware = RoleRequiredMiddleware(lambda r: HttpResponse())
    with pytest.raises(PermissionDenied):
        middleware.process_view(_request(make_user(Role.SOCIAL_WORKER)), weekly, (), {})
    middleware.process_view(_request(make_user(Role.HEAD_OF_SERVICE)), weekly, (), {})  # no PermissionDenied


def test_navigation_follows_the_role(client_as):
    social_worker = client_as(Role.SOCIAL_WORKER).get("/").content.decode()
    assert "Administration" not in social_worker
    client = client_as(Role.ADMINISTRATOR)
    assert "Administration" in client.get("/").content.decode()


def test_admin_site_is_for_administrators_only(client_as):
    response = client_as(Role.SOCIAL_WORKER).get("/admin/")
    assert response.status_code == 403  # a plain refusal, not a redirect back to sign in (a loop)
    assert client_as(Role.ADMINISTRATOR).get("/admin/").status_code == 200


def test_roles_are_groups_with_permissions(db):
    from django.contrib.auth.models import Group

    names = set(Group.objects.values_list("name", flat=True))
    assert {r.label for r in Role} <= names
    read_only = Group.objects.get(name=Role.READ_ONLY.label)
    codenames = set(read_only.permissions.values_list("codename", flat=True))
    assert "view_family" in codenames and "change_family" not in codenames
    legal = Group.objects.get(name=Role.LEGAL_ADVISER.label)
    assert legal.permissions.filter(codename="view_legaladvice").exists()
    # Issue 9: the legal adviser reads case records and writes legal advice only.
    legal_codenames = set(legal.permissions.values_list("codename", flat=True))
    assert {"view_family", "view_careproceedings", "add_legaladvice", "change_legaladvice"} <= legal_codenames
    assert not {c for c in legal_codenames if c.startswith(("add_", "change_"))} - {
        "add_legaladvice",
        "change_legaladvice",
    }
    assert not Group.objects.get(name=Role.SOCIAL_WORKER.label).permissions.filter(codename="view_legaladvice").exists()
