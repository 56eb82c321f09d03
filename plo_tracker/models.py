"""Shared model pieces: optimistic locking for records people edit."""

from django.db import models


class Versioned(models.Model):
    """A record with a version number, bumped on every save through a service (stale-edit check)."""

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
