"""The alert list and the header's badge (issue #5 §6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deadlines.scopes import alerts_visible_to

from ..models import Alert
from ..screens import ALERT_TAG_CLASSES

if TYPE_CHECKING:
    from accounts.models import User


# --- Alerts ----------------------------------------------------------------------------------

ACKNOWLEDGED_SHOWN = 100


def alert_inbox(*, user: User) -> tuple[list[Alert], list[Alert]]:
    """The user's unacknowledged alerts (all) and their latest acknowledged ones (issue #5 §6)."""
    base = alerts_visible_to(user).filter(recipient=user).select_related("episode__family", "deadline")
    fields = (
        "id",
        "kind",
        "due_on",
        "raised_on",
        "acknowledged_at",
        "episode__id",
        "episode__family__id",
        "episode__family__reference",
        "episode__family__name",
        "deadline__id",
        "deadline__label",
    )
    pending = list(base.filter(acknowledged_at__isnull=True).only(*fields).order_by("-raised_on", "-id"))
    done = list(
        base.filter(acknowledged_at__isnull=False)
        .only(*fields)
        .order_by("-acknowledged_at", "-id")[:ACKNOWLEDGED_SHOWN]
    )
    for alert in pending:
        alert.tag_class = ALERT_TAG_CLASSES.get(alert.kind, "govuk-tag--grey")  # for the template only
    return pending, done


def alert_count_unacknowledged(*, user: User) -> int:
    """How many alerts the user has not acknowledged (the header badge; one indexed COUNT)."""
    return alerts_visible_to(user).filter(recipient_id=user.pk, acknowledged_at__isnull=True).count()
