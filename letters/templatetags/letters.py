"""The case page's "Letters and papers" section, kept in this app so the case page only includes it."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from accounts.scopes import can_edit

from .. import selectors

register = template.Library()


@register.inclusion_tag("letters/_case_drafts.html", takes_context=True)
def case_letters(context: dict[str, Any], page: Any) -> dict[str, Any]:
    """The current episode's drafts (out of date ones say what changed) and what this user may draft."""
    request = context["request"]
    user = request.user
    today = context.get("today") or timezone.localdate()
    if page.episode is None:
        return {"episode": None}
    editable = can_edit(user, page.family)
    return {
        "episode": page.episode,
        "rows": selectors.case_drafts(page, today=today),
        "kinds": selectors.draftable_kinds(user, page) if editable else [],
    }
