"""Screens for families, children and episodes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import allow
from accounts.roles import ALL_STAFF


@allow(ALL_STAFF)
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's home page: what their role needs first."""
    return render(request, "home.html", {})
