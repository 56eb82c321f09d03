"""Inserting many rows at once with their audit trail, for bulk loads (the tracker import).

Every tracked model has a row trigger (django-pghistory) that writes an "insert" event per row
under the current `pghistory.context`. Inside one long transaction that trigger costs a
millisecond or more a row, and Django's bulk_create prepares every value through the ORM: a
2,000-family import writes some 60,000 rows, which took minutes.

`audited_insert` writes the same rows and the same events in one statement per batch: the
values go in as one array per column (`unnest`), the row trigger is switched off for that
statement only (`pgtrigger.ignore`: this connection, this block), and the statement writes the
event rows from what it inserted — every column the event model copies, the context (through
pghistory's own `_pgh_attach_context()`), the time, the label and the row's id, as the trigger
does (pinned in imports/tests/test_bulk_import.py). Constraints and foreign keys are the
database's, as for any insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

from .text import clean_text_fields

BATCH = 2000


@cache
def _event_model(model: type[models.Model]) -> Any:
    """The pghistory event model tracking `model`, if any."""
    for candidate in apps.get_models():
        if getattr(candidate, "pgh_tracked_model", None) is model:
            return candidate
    return None


@cache
def _statement(model: type[models.Model]) -> tuple[str, tuple[models.Field[Any, Any], ...], str | None]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    names = ", ".join(f'"{f.column}"' for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    table, pk = model._meta.db_table, model._meta.pk.column
    # Identifiers come from the models, never from input; every value is a parameter.
    insert = f'INSERT INTO "{table}" ({names}) SELECT * FROM unnest({arrays}) RETURNING *'  # noqa: S608  # nosec B608: model identifiers
    event = _event_model(model)
    if event is None:
        return f'WITH ins AS ({insert}) SELECT "{pk}" FROM ins', fields, None  # noqa: S608  # nosec B608: model identifiers
    copied = ", ".join(f'"{f.column}"' for f in event._meta.concrete_fields if not f.name.startswith("pgh_"))
    sql = (
        f"WITH ins AS ({insert}), "  # noqa: S608  # nosec B608: identifiers from the models, values parameters
        f'events AS (INSERT INTO "{event._meta.db_table}" ({copied}, "pgh_context_id", "pgh_created_at", '
        f'"pgh_label", "pgh_obj_id") SELECT {copied}, _pgh_attach_context(), NOW(), %s, "{pk}" FROM ins) '
        f'SELECT "{pk}" FROM ins'
    )
    return sql, fields, f"{model._meta.label}:insert_insert"


def _value(field: models.Field[Any, Any], row: models.Model, now: Any) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        setattr(row, field.attname, now)
        return now
    value = getattr(row, field.attname)
    if isinstance(field, models.JSONField):
        return field.get_db_prep_save(value, connection)
    return value


def audited_insert(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert unsaved `rows` of `model` (setting their primary keys) with their "insert" audit
    events, in one statement per `BATCH` rows. Call it inside the transaction and
    `pghistory.context` the events belong to."""
    import pgtrigger

    if not rows:
        return
    sql, fields, trigger = _statement(model)
    now = timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            for row in batch:  # what saving would do (plo_tracker.text): no bidi or control characters
                clean_text_fields(row)
            params: list[Any] = [[_value(f, r, now) for r in batch] for f in fields]
            if trigger:
                params.append("insert")
                # The savepoint: a refused insert is rolled back to it before leaving `ignore`
                # (which resets its setting, and cannot in an aborted transaction).
                with pgtrigger.ignore(trigger), transaction.atomic():
                    cursor.execute(sql, params)
            else:
                cursor.execute(sql, params)
            for row, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                row.pk = pk
                row._state.adding = False
