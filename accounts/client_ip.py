"""The client's address for the sign-in lockout's records, through a documented number of trusted proxies."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client address: the connecting address, or with PLO_TRUSTED_PROXY_COUNT = n proxies in
    front of the service, the address the outermost of them saw (the n-th from the right of
    X-Forwarded-For). Entries further left are written by the client and never believed."""
    remote = request.META.get("REMOTE_ADDR")
    count = int(getattr(settings, "PLO_TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    return forwarded[-count][:45]
