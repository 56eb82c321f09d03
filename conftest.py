"""Fixtures shared by every app's tests: staff in each role, signed-in clients."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from accounts.roles import Role

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need_service(available: bool, what: str) -> None:
    """Skip on a laptop without the service; in CI a missing service is a failure, never a skip."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI (CI=true) but is not reachable")
    pytest.skip(f"{what} is not reachable on this machine")


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    from accounts.tests.factories import TeamFactory

    return TeamFactory(name="Safeguarding Team North")


@pytest.fixture
def make_user(db, team) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """Create a user holding the given roles (in the default team unless told otherwise)."""
    from accounts.tests.factories import UserFactory

    def make(*roles: Role, **kwargs: object) -> object:
        kwargs.setdefault("team", team)
        return UserFactory(roles=list(roles), **kwargs)

    return make


@pytest.fixture
def client_as(client, make_user):  # type: ignore[no-untyped-def]
    """A test client signed in as a new user with the given roles."""

    def sign_in(*roles: Role, **kwargs: object):  # type: ignore[no-untyped-def]
        user = make_user(*roles, **kwargs)
        client.force_login(user)
        return client

    return sign_in
