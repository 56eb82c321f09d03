"""Text that is safe to store and to show: no hidden bidirectional controls, no control characters.

Bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) are invisible and
can make "Smith" display as something else (CVE-2021-42574, "Trojan Source"); NUL and the other C0
controls (all but tab, line feed and carriage return) and DEL break exports, logs and PostgreSQL.
Names and notes never need them, so they are removed wherever text comes in, by `clean_text`, the
one cleaning: forms (plo_tracker.forms, before a field's own checks), services before they compare
a name with the stored ones (`clean_name`: "North\x01" is the team "North", so a duplicate and a
form error, not a database error on save), every save of the project's models (`clean_text_fields`, connected to
`pre_save` in plo_tracker.apps, so services, the tracker import and the shell are covered) and
every spreadsheet cell written (`safe_cell`).
"""

from __future__ import annotations

from typing import Any

from django.db import models

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
C0_CONTROLS = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F))
_REMOVE = dict.fromkeys(map(ord, BIDI_CONTROLS + C0_CONTROLS))

# Apps whose models hold what people type (case records, meetings, staff, deadlines, imports).
PROJECT_APPS = frozenset(
    {"accounts", "cases", "meetings", "deadlines", "tracker_meetings", "imports", "letters", "plo_tracker"}
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: Any) -> Any:
    """The text without bidirectional or control characters (other values unchanged)."""
    return value.translate(_REMOVE) if isinstance(value, str) else value


def clean_name(value: str) -> str:
    """A name as it will be stored, for comparing with stored names: cleaned, then stripped."""
    return str(clean_text(value or "")).strip()


_TEXT_FIELDS: dict[type[models.Model], tuple[str, ...]] = {}


def _text_fields(model: type[models.Model]) -> tuple[str, ...]:
    names = _TEXT_FIELDS.get(model)
    if names is None:
        names = tuple(
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.primary_key
        )
        _TEXT_FIELDS[model] = names
    return names


def clean_text_fields(instance: models.Model) -> None:
    """Remove bidirectional and control characters from every text field of a model instance."""
    for name in _text_fields(type(instance)):
        value = getattr(instance, name)
        if isinstance(value, str):
            cleaned = value.translate(_REMOVE)
            if cleaned != value:
                setattr(instance, name, cleaned)


def clean_on_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    """pre_save receiver: the project's models never store bidirectional or control characters."""
    if sender._meta.app_label in PROJECT_APPS:
        clean_text_fields(instance)


def safe_cell(value: Any) -> Any:
    """A spreadsheet cell: text without hidden controls, and quoted when a spreadsheet would run it
    as a formula (starting = + - @ tab or carriage return; OWASP "CSV injection")."""
    if not isinstance(value, str):
        return value
    text = value.translate(_REMOVE)
    if text.startswith(FORMULA_STARTS) or value.startswith(FORMULA_STARTS):
        return "'" + text
    return text
