"""The visibility scope of drafted letters and papers (docs/security.md), by the family rule
(`accounts.scopes.family_q`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from accounts.scopes import filter_visible

from .models import Draft

if TYPE_CHECKING:
    from accounts.models import User


def letter_drafts_visible_to(user: User) -> QuerySet[Any]:
    """Letters and papers drafted on families the user may see (issue 21)."""
    return filter_visible(Draft.objects.all(), user, "episode__family__")
