"""Logging filters that keep personal data out of the logs (docs/security.md, "Logs").

Our own log lines carry ids, counts and error references only. The danger is what libraries
log for us: on a 500 Django logs the exception with its traceback, Celery logs a failed task's
exception in its message, and an exception's *message* carries data. A PostgreSQL
IntegrityError says "Failing row contains (..., Zzyzx, Sentinelchild, ...)", a ValueError may
quote the input. Tracebacks themselves hold only file names, line numbers and source lines.
So the console handler keeps every traceback frame but replaces each exception's message with
its class name (and adds the error reference the user was shown, when the error page stored it on
the request as `error_reference`).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable

WITHHELD = "message withheld"
_QUERY = re.compile(r"\?[^\s\"]*")
# The calendar feed's URL holds the feed's only credential: never let it reach a log. It is in the
# query string (`?key=`); the old address form had it in the path (`/deadlines/calendar/<token>.ics`).
_CALENDAR_TOKEN = re.compile(r"(/deadlines/calendar/)(?!feed\.ics)[^/\s\"?]+?(\.ics)")
_FEED_KEY = re.compile(r"([?&;]key=)[^&;\s\"]*")


def redact_tokens(text: str) -> str:
    """Replace calendar feed tokens in a URL or log line with <token>."""
    return _FEED_KEY.sub(r"\1<token>", _CALENDAR_TOKEN.sub(r"\1<token>\2", text))


def redact_url(text: str) -> str:
    """A URL, request line or log line with every query string withheld and no calendar token."""
    return _QUERY.sub("?<withheld>", redact_tokens(text))


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and the ones it was raised from or during, outermost last (as Python prints them)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and not any(current is s for s in seen):
        seen.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    return list(reversed(seen))


def _name(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ in {"builtins", "__main__"} else f"{cls.__module__}.{cls.__qualname__}"


def _group_members(exc: BaseException) -> list[BaseException]:
    members = list(getattr(exc, "exceptions", ()) or ())
    return [m for m in members if isinstance(m, BaseException)]


def format_traceback_without_messages(exc: BaseException) -> str:
    """Python's traceback layout, with every exception message (and note) replaced by its class name."""
    lines: list[str] = []
    for i, item in enumerate(_chain(exc)):
        if i:
            lines.append("")
            lines.append("The above exception led to the following exception:")
            lines.append("")
        if item.__traceback__ is not None:
            lines.append("Traceback (most recent call last):")
            lines.extend(part.rstrip("\n") for part in traceback.format_list(traceback.extract_tb(item.__traceback__)))
        lines.append(f"{_name(item)} ({WITHHELD})")
        for member in _group_members(item):
            lines.append(f"  sub-exception: {_name(member)} ({WITHHELD})")
    return "\n".join(lines)


def _texts(exc: BaseException) -> list[str]:
    """Every way an exception's text can appear inside a log message, longest first."""
    texts: set[str] = set()
    for item in _chain(exc):
        for member in [item, *_group_members(item)]:
            for render in (str, repr):
                text = _render(render, member)
                if len(text) > 3:
                    texts.add(text)
                    texts.update(line for line in text.splitlines() if len(line.strip()) > 3)
            texts.update(str(note) for note in getattr(member, "__notes__", ()) if len(str(note)) > 3)
    return sorted(texts, key=len, reverse=True)


def _render(render: Callable[[object], str], value: object) -> str:
    """str() or repr() of an exception; "" if its __str__ is broken (logging must never fail)."""
    try:
        return render(value)
    except Exception:
        return ""


class WithholdExceptionDetail(logging.Filter):
    """On any record carrying an exception: drop the exception's message (from the text and the traceback).

    The record's own message is formatted once and frozen (args cleared), with the exception's text
    (Celery puts it in the message: "Task x raised unexpected: IntegrityError(...)") replaced by the
    class name. A django.request record gains the reference shown on the error page, when the
    view stored it on the request as `error_reference`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        self._withhold_celery_context(record)
        if record.name == "django.server":  # runserver's request lines: a search's query string holds names
            record.msg = _QUERY.sub("?<withheld>", record.getMessage())
            record.args = None
        self._redact_tokens(record)
        exc_info = record.exc_info
        if not exc_info or not isinstance(exc_info, tuple) or exc_info[1] is None:
            return True
        exc = exc_info[1]
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template, never the arguments
            message = str(record.msg)
        for text in _texts(exc):
            message = message.replace(text, f"<{type(exc).__name__}: {WITHHELD}>")
        reference = getattr(getattr(record, "request", None), "error_reference", None)
        if reference:
            message = f"{message} reference={reference}"
        record.msg = f"{message} exception={_name(exc)}"
        record.args = None
        record.exc_info = None
        record.exc_text = format_traceback_without_messages(exc)
        return True

    @staticmethod
    def _redact_tokens(record: logging.LogRecord) -> None:
        """ "Not Found: /deadlines/calendar/<token>.ics" and the like: the token is a credential."""
        try:
            message = record.getMessage()
        except Exception:
            return
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg = redacted
            record.args = None

    @staticmethod
    def _withhold_celery_context(record: logging.LogRecord) -> None:
        """Celery's task-failure and retry lines put the exception's repr (and the task's arguments) in
        the message and in `record.data`, sometimes with no exc_info (a retry): withhold them too."""
        data = getattr(record, "data", None)
        if not isinstance(data, dict) or not isinstance(record.args, dict) or "exc" not in data:
            return
        args = dict(record.args)
        for key in ("exc", "traceback", "args", "kwargs"):
            if key in args:
                args[key] = f"<{WITHHELD}>"
        record.args = args
        record.data = {k: v for k, v in data.items() if k not in {"exc", "traceback", "args", "kwargs"}}
