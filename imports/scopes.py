"""The visibility scope of the record of which episodes an import created (docs/security.md), by
the family rule (`accounts.scopes.family_q`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from accounts.scopes import filter_visible

from .models import ImportedEpisode

if TYPE_CHECKING:
    from accounts.models import User


def imported_episodes_visible_to(user: User) -> QuerySet[Any]:
    """Episodes an import created, on families the user may see."""
    return filter_visible(ImportedEpisode.objects.all(), user, "episode__family__")
