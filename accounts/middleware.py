"""Session limits and the deny-by-default role check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone

from .access import allowed_roles_of

SIGNED_IN_COOKIE = "plo_signed_in"


class SessionLimitsMiddleware:
    """End sessions after 12 hours whatever the activity, and tell people when a session ran out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        sign_in_url = resolve_url(settings.LOGIN_URL)
        if user.is_authenticated:
            started = request.session.get("signed_in_at")
            if started is None or timezone.now() - datetime.fromisoformat(started) > settings.SESSION_ABSOLUTE_LIMIT:
                logout(request)
                return self._expired(request, sign_in_url)
        elif request.COOKIES.get(SIGNED_IN_COOKIE) and request.path != sign_in_url:
            # The browser was signed in but its session is gone: it idled out (30 minutes).
            return self._expired(request, sign_in_url)
        response = self.get_response(request)
        if request.user.is_authenticated:
            self._renew(request)
            # Pages about children must not linger in shared or browser caches.
            response.headers.setdefault("Cache-Control", "no-store, private")
            response.set_cookie(
                SIGNED_IN_COOKIE, "1", httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE
            )
        return response

    @staticmethod
    def _renew(request: HttpRequest) -> None:
        """Push the 30-minute idle limit back, at most once a SESSION_RENEW_INTERVAL.

        Writing the session on every request (SESSION_SAVE_EVERY_REQUEST) cost each page a
        transaction of its own, three round trips to the database, to move the expiry by
        seconds. Renewing it once a minute keeps the idle limit to within that minute."""
        session = request.session
        now = timezone.now()
        renewed = session.get("renewed_at")
        if renewed is None or now - datetime.fromisoformat(renewed) >= settings.SESSION_RENEW_INTERVAL:
            session["renewed_at"] = now.isoformat()  # marks the session modified: saved with a new expiry

    @staticmethod
    def _expired(request: HttpRequest, sign_in_url: str) -> HttpResponse:
        query = {"expired": "1"}
        if request.method == "GET":
            query["next"] = request.get_full_path()
        response = HttpResponseRedirect(f"{sign_in_url}?{urlencode(query)}")
        response.delete_cookie(SIGNED_IN_COOKIE)
        return response


class RoleRequiredMiddleware:
    """Refuse any view that has not declared its roles, and any user without one of them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        if getattr(view_func, "login_required", True) is False:
            return None  # public pages: sign in, signed out, health check
        match = request.resolver_match
        if match is not None and match.namespace == "admin":
            # The admin site checks is_staff and model permissions itself, but sends a signed-in
            # person without them back to its sign-in page, which is ours, which sends a signed-in
            # person on to `next`: the admin again, for ever. A plain 403 instead.
            user = request.user
            if user.is_authenticated and not (user.is_active and user.is_staff):
                raise PermissionDenied("The admin site is for administrators.")
            return None
        allowed = allowed_roles_of(view_func)
        if allowed is None:
            raise PermissionDenied("This page has not declared who may use it.")
        user = request.user
        if not user.is_authenticated or not user.roles.intersection(allowed):
            raise PermissionDenied("Your role does not give you access to this page.")
        return None
