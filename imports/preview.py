"""What an import's preview reports, shared by the tracker import and the staff import.

Both check every row first and write nothing; each row then says what will happen to it (new,
update, unchanged) or why it cannot be imported, and the page offers to import the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction

ACTIONS = ("new", "update", "unchanged", "error")


class ActionCounts:
    """The counts a preview shows, from `count(action)` and rows that each carry `errors`."""

    rows: Any

    def count(self, action: str) -> int:
        raise NotImplementedError

    @property
    def count_new(self) -> int:
        return self.count("new")

    @property
    def count_update(self) -> int:
        return self.count("update")

    @property
    def count_unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def error_rows(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    @property
    def importable(self) -> int:
        return self.count("new") + self.count("update")


def validation_messages(exc: ValidationError) -> list[str]:
    """Every message of a service's refusal, whatever field it was keyed by."""
    if hasattr(exc, "message_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return list(exc.messages)


class Importable(Protocol):
    """A family or a person the check passed or refused: `action` is one of ACTIONS."""

    action: str


ItemT = TypeVar("ItemT", bound=Importable)


class _Undo(Exception):
    """Raised inside an import's transaction to roll all of it back."""


def write_all_or_nothing(
    items: Iterable[ItemT],
    write: Callable[[ItemT], None],
    refused: Callable[[ItemT, list[str]], None],
    *,
    by_pk: int,
    source: str,
) -> bool:
    """Write every item to create or update in one transaction, under the importing user and the
    source (the audit trail's context). If a service refuses one (ValidationError), `refused` is
    told why, the others still run (so every refusal is reported), then all of it is undone.
    True when everything was written."""
    failed = False
    try:
        with transaction.atomic(), pghistory.context(user=by_pk, source=source):
            for item in items:
                if item.action not in ("new", "update"):
                    continue
                try:
                    with transaction.atomic():
                        write(item)
                except ValidationError as exc:
                    failed = True
                    refused(item, validation_messages(exc))
                    item.action = "error"
            if failed:
                raise _Undo
    except _Undo:
        return False
    return True
