"""Stale-edit protection: a save made on an out-of-date copy is refused and shown what changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from .models import Versioned

M = TypeVar("M", bound=Versioned)


@dataclass(frozen=True)
class Difference:
    """One field that someone else changed: its label, the value saved, the value this user sent."""

    label: str
    saved: str
    yours: str


class StaleEditError(ValidationError):
    """Someone else saved this record after the user opened it; nothing was applied."""

    def __init__(self, differences: list[Difference]) -> None:
        super().__init__(
            "Someone else saved changes to this record after you opened it. Nothing you entered has been "
            "saved yet: check the differences below, then save again to apply your version.",
            code="stale",
        )
        self.differences = differences


def _display(instance: models.Model, field: models.Field[Any, Any], value: Any) -> str:
    if value is None or value == "":
        return "Nothing recorded"
    if isinstance(value, bool):  # never "True"/"False" on a screen
        return "Yes" if value else "No"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if hasattr(value, "strftime"):
        return f"{value.day} {value:%b %Y}"  # 24 Dec 2026
    return str(value)


def save_versioned(instance: M, *, expected_version: int | None, changes: dict[str, Any]) -> M:
    """Apply `changes` to the locked current row if its version is still `expected_version`."""
    model = type(instance)
    # FOR NO KEY UPDATE: serialises edits of the row without holding up inserts that reference it
    # (an alert's foreign key takes FOR KEY SHARE), so the alert scan never waits on a form.
    current = model._default_manager.select_for_update(no_key=True).get(pk=instance.pk)
    if expected_version is not None and current.version != expected_version:
        differences = []
        for name, value in changes.items():
            field = model._meta.get_field(name)
            if not isinstance(field, models.Field):  # `changes` names the record's own fields only
                raise TypeError(f"{name} is not a field of {model.__name__}")
            saved = getattr(current, name)
            if saved != value:
                differences.append(
                    Difference(
                        str(field.verbose_name).capitalize(),
                        _display(current, field, saved),
                        _display(current, field, value),
                    )
                )
        raise StaleEditError(differences)
    for name, value in changes.items():
        setattr(current, name, value)
    current.version += 1
    current.full_clean()
    current.save()
    return current
