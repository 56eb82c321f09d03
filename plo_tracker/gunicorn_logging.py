"""gunicorn's logger for PLO Tracker: no query string and no calendar token reaches its logs.

Query strings carry names (a search is `/cases/?q=...`) and the calendar feed's only credential
(`/deadlines/calendar/feed.ics?key=...`), so neither may be written to a log (docs/security.md
"Logs"). `plo_tracker/gunicorn_conf.py` logs the path only, and this logger makes sure of it
whatever access log format an operator chooses: every access-log atom (`%(r)s` request line,
`%(q)s` query, `%(U)s` path, `%(f)s` referer, `{raw_uri}e` and the other header and environ atoms)
and every error-log line ("Error handling request /...?...") has its query string withheld.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn import glogging

from .logging import WITHHELD, redact_url


class RedactUrls(logging.Filter):
    """Withhold query strings and calendar tokens in any line gunicorn logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging must never fail
            return True
        redacted = redact_url(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


class Logger(glogging.Logger):
    """gunicorn's own logger, with query strings withheld from the access and error logs."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactUrls) for f in log.filters):
                log.addFilter(RedactUrls())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        query = environ.get("QUERY_STRING") or ""
        safe = {}
        for key, value in atoms.items():
            if isinstance(value, str):
                # The bare query string (`%(q)s`, `{query_string}e`) has no "?" to find it by.
                value = f"<{WITHHELD}>" if query and value == query else redact_url(value)
            safe[key] = value
        return safe
