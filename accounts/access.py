"""Deny-by-default access control: every view declares the roles that may use it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .roles import Role

F = TypeVar("F", bound=Callable[..., Any])


def allow(roles: Iterable[Role]) -> Callable[[F], F]:
    """Mark a view function (or a class-based view's as_view()) as usable by these roles."""
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        view.allowed_roles = allowed  # type: ignore[attr-defined]
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
