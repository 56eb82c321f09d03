"""Deny-by-default access control: every view declares the roles that may use it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.http import HttpRequest

from .roles import Role

if TYPE_CHECKING:
    from .models import User

F = TypeVar("F", bound=Callable[..., Any])


def allow(roles: Iterable[Role]) -> Callable[[F], F]:
    """Mark a view function (or a class-based view's as_view()) as usable by these roles."""
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        setattr(view, "allowed_roles", allowed)  # noqa: B010  (functions take attributes; mypy cannot see it)
        return view

    return decorate


def allowed_roles_of(view_func: Callable[..., Any]) -> frozenset[Role] | None:
    """The roles a view declared, or None if it declared nothing (and is therefore refused)."""
    declared = getattr(view_func, "allowed_roles", None)
    if declared is None:
        view_class = getattr(view_func, "view_class", None)
        declared = getattr(view_class, "allowed_roles", None)
    return frozenset(declared) if declared is not None else None


class RolesMixin:
    """Class-based views set `allowed_roles`; RoleRequiredMiddleware enforces it."""

    allowed_roles: frozenset[Role] = frozenset()


class SignedInRequest(HttpRequest):
    """The request a view behind RoleRequiredMiddleware receives: its user is signed in.

    For type checking only. The middleware refuses anonymous users before any view that declared
    its roles runs, so `request.user` there is always a `User`, never `AnonymousUser`.
    """

    user: User
