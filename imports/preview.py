"""What an import's preview reports, shared by the tracker import and the staff import.

Both check every row first and write nothing; each row then says what will happen to it (new,
update, unchanged) or why it cannot be imported, and the page offers to import the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Protocol, TypeVar

import pghistory
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

ACTIONS = ("new", "update", "unchanged", "error")
# The preview lists every row that needs a look (an error, a repeat, a change) and this many of
# the rest: a 5,000-row file's full table was a 2 MB page that took seconds to draw.
PLAIN_ROWS_SHOWN = 200


class ActionCounts:
    """The counts a preview shows: what will happen to each item of `counted` (its `action`), and
    the rows that carry `errors`."""

    rows: Any
    #: The attribute holding the items an action is counted over: each row of a staff file, each
    #: family of a tracker file (a family may span several rows).
    counted: ClassVar[str] = "rows"

    def count(self, action: str) -> int:
        return sum(1 for item in getattr(self, self.counted) if item.action == action)

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

    @property
    def shown_rows(self) -> list[Any]:
        """The rows the preview lists: each with an error, a repeat or a change, and the first
        PLAIN_ROWS_SHOWN of the others."""
        shown, plain = [], 0
        for row in self.rows:
            if row.errors or getattr(row, "repeats", None) or row.changes:
                shown.append(row)
            elif plain < PLAIN_ROWS_SHOWN:
                plain += 1
                shown.append(row)
        return shown

    @property
    def hidden_rows(self) -> int:
        """Rows the preview does not list (new or unchanged, with nothing to look at)."""
        return len(self.rows) - len(self.shown_rows)


def validation_messages(exc: ValidationError) -> list[str]:
    """Every message of a service's refusal, whatever field it was keyed by."""
    if hasattr(exc, "message_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return list(exc.messages)


class Importable(Protocol):
    """A family or a person the check passed or refused: `action` is one of ACTIONS."""

    action: str


logger = logging.getLogger(__name__)

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
    write_new_at_once: Callable[[list[ItemT]], bool] | None = None,
    progress: Callable[[ItemT], None] | None = None,
) -> bool:
    """Write every item to create or update in one transaction, under the importing user and the
    source (the audit trail's context). If a service refuses one (ValidationError), `refused` is
    told why, the others still run (so every refusal is reported), then all of it is undone.
    True when everything was written.

    `write_new_at_once` (a bulk load) writes every new item in one go first: False when it refused
    some (having said why beside them), which undoes everything; if the database refuses the lot
    (IntegrityError: a clash the check could not see), the new items are written one by one
    through `write` instead, whose services name the item and the reason.

    `progress` is told of each item written one by one (an import job's rows-done count)."""
    failed = False
    items = list(items)
    at_once: set[int] = set()
    try:
        with transaction.atomic(), pghistory.context(user=by_pk, source=source):
            new = [item for item in items if item.action == "new"]
            if write_new_at_once is not None and new:
                try:
                    with transaction.atomic():
                        if not write_new_at_once(new):
                            raise _Undo
                except IntegrityError:
                    logger.info("bulk write refused by the database; writing one by one")
                else:
                    at_once = {id(item) for item in new}
            for item in items:
                if item.action not in ("new", "update") or id(item) in at_once:
                    continue
                try:
                    with transaction.atomic():
                        write(item)
                except ValidationError as exc:
                    failed = True
                    refused(item, validation_messages(exc))
                    item.action = "error"
                if progress is not None:
                    progress(item)
            if failed:
                raise _Undo
    except _Undo:
        return False
    return True
