"""Project-wide pages: error pages (the health checks are in plo_tracker/health.py)."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

logger = logging.getLogger("plo_tracker.errors")


def _is_database_error(exc: BaseException | None) -> bool:
    """The database could not be reached (not a refused write, which is a bug to report, not an outage)."""
    while exc is not None:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: product style, a reference to quote, no traceback and no database access."""
    import sys

    exc = sys.exc_info()[1]
    reference = uuid.uuid4().hex[:10].upper()
    database_down = _is_database_error(exc)
    request.error_reference = reference  # type: ignore[attr-defined]  # the log filter adds it to Django's line
    # The reference ties the user's report to the log line; the log carries no personal data.
    logger.error(
        "server error reference=%s path_name=%s database_down=%s",
        reference,
        getattr(request.resolver_match, "view_name", "?"),
        database_down,
    )
    template = loader.get_template("500.html")
    body = template.render(
        {
            "council_name": settings.COUNCIL_NAME,
            "service_name": settings.SERVICE_NAME,
            "reference": reference,
            "database_down": database_down,
        }
    )
    return HttpResponse(body, status=503 if database_down else 500)
