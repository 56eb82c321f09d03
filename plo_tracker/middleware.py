"""Project-wide HTTP hardening that Django does not ship (CSP header, characters no page accepts)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy header: everything from our own origin, no inline script."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


# PostgreSQL cannot store a NUL character in text, so a NUL reaching a query is a server error.
# No keyboard types one: it only arrives in a crafted request.
FORBIDDEN_CHARACTERS = ("\x00",)


def _has_forbidden(values: object) -> bool:
    return any(ch in str(values) for ch in FORBIDDEN_CHARACTERS)


class RejectInvalidCharactersMiddleware:
    """Answer 400 to a request with a NUL byte anywhere in its path, query string or form data,
    before any view or library (the sign-in lockout, a search, the calendar token) queries with it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        suspect = [request.path, request.META.get("QUERY_STRING", "")]
        suspect += [value for _, values in request.GET.lists() for value in values] + list(request.GET)
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            suspect += [value for _, values in request.POST.lists() for value in values] + list(request.POST)
        if any(_has_forbidden(value) for value in suspect):
            return render(request, "400.html", status=400)
        return self.get_response(request)
