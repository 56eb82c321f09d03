"""Every create is idempotent (issue 24 §6): a form that creates a record carries a one-time token.

The token is made when the form is drawn (a hidden field of `CreateOnceForm`). `create_once` runs
the service that creates the record and writes the token to `UsedFormToken` in the same
transaction; the token is unique, so a second POST with it (a double click the browser did not
stop, the page sent again, a retry after a timeout) creates nothing and raises `AlreadySaved`
with the first record, and the page lands the person on that record saying "This was already
saved". Two POSTs at the same moment: the second's token insert fails on the unique constraint,
its transaction (and its record) is rolled back, and it is answered the same way.

A POST without a token (a script, an old test client) is not deduplicated but still validated:
browsers always send the hidden field.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.forms.utils import ErrorDict

from .models import UsedFormToken

T = TypeVar("T")
F = TypeVar("F", bound=forms.Form)
ONCE_FIELD = "once_token"
ALREADY_SAVED = "This was already saved"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_once_token() -> str:
    """A fresh unguessable token for one drawing of a create form."""
    return secrets.token_urlsafe(24)


class AlreadySaved(Exception):  # not an error: the answer to a repeated POST
    """This form was already sent: `record` is what its first POST created (None if since deleted)."""

    def __init__(self, record: Any) -> None:
        super().__init__(ALREADY_SAVED)
        self.record = record


class CreateOnceForm(forms.Form):
    """Mixin for a form that creates a record: a hidden one-time token made when it is drawn."""

    once_token = forms.CharField(widget=forms.HiddenInput, required=False, initial=new_once_token, max_length=64)

    def full_clean(self) -> None:
        """A form sent before is not checked again: its token goes to create_once, which answers with
        the first record (a second POST of a new family must not be told its reference is taken)."""
        token = self.data.get(ONCE_FIELD) if self.is_bound else None
        if isinstance(token, str) and _TOKEN.match(token) and UsedFormToken.objects.filter(token=token).exists():
            self._errors = ErrorDict()
            self.cleaned_data = {ONCE_FIELD: token}
            return
        super().full_clean()

    def clean_once_token(self) -> str:
        token = self.cleaned_data.get(ONCE_FIELD) or ""
        if token and not _TOKEN.match(token):
            raise forms.ValidationError("This form is out of date: open the page again and re-enter your changes")
        return token


_ONCE_CLASSES: dict[type, type] = {}


def once_form(form_class: type[F]) -> type[F]:
    """The form class with the one-time token added (the same class if it already has it)."""
    if issubclass(form_class, CreateOnceForm):
        return form_class
    if form_class not in _ONCE_CLASSES:
        _ONCE_CLASSES[form_class] = type(form_class.__name__, (CreateOnceForm, form_class), {"__module__": __name__})
    return _ONCE_CLASSES[form_class]


def _first_record(used: UsedFormToken) -> Any:
    if not used.record_model:
        return None
    model = apps.get_model(used.record_model)
    return model._default_manager.filter(pk=used.record_id).first()


def create_once(*, token: str, by: Any, create: Callable[[], T]) -> T:
    """Run `create` (the service call that creates the record) at most once per form token.

    The token is written in the same transaction as the record; a token already used raises
    AlreadySaved with the record its first use created, and nothing new is written."""
    if not token:
        return create()
    try:
        with transaction.atomic():
            used = UsedFormToken.objects.filter(token=token).first()
            if used is not None:
                raise AlreadySaved(_first_record(used))
            record = create()
            UsedFormToken.objects.create(
                token=token,
                used_by=by if getattr(by, "is_authenticated", False) else None,
                record_model=record._meta.label if isinstance(record, models.Model) else "",
                record_id=str(record.pk) if isinstance(record, models.Model) else "",
            )
    except IntegrityError:
        # The same form sent twice at once: the other POST committed first and this one's record
        # was rolled back with its token. Anything else (no such token) is a real error.
        used = UsedFormToken.objects.filter(token=token).first()
        if used is None:
            raise
        raise AlreadySaved(_first_record(used)) from None
    return record


def creates_once(service: Callable[..., T]) -> Callable[..., T]:
    """Decorator for a service that creates a record: it takes `once_token=` (the form's token)
    and runs at most once per token (see create_once)."""
    import functools

    @functools.wraps(service)
    def wrapper(*args: Any, once_token: str = "", **kwargs: Any) -> T:
        return create_once(token=once_token, by=kwargs.get("by"), create=lambda: service(*args, **kwargs))

    return wrapper
