"""System checks for how staff sign in (`manage.py check --deploy` runs the deploy ones)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def second_factor_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when password sign-in does not require a second factor (the embedded demo's relaxation)."""
    if settings.PLO_PASSWORD_2FA_REQUIRED:
        return []
    return [
        checks.Warning(
            "PLO_PASSWORD_2FA_REQUIRED is off: people without a second factor sign in with a password alone.",
            hint="Only the embedded demo (make run) may relax it. Unset PLO_PASSWORD_2FA_REQUIRED in production.",
            id="accounts.W002",
        )
    ]


@checks.register(checks.Tags.security)
def invitation_hours_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """An invitation link must work for at least an hour and at most two weeks."""
    hours = settings.PLO_INVITATION_HOURS
    if 1 <= hours <= 14 * 24:
        return []
    return [
        checks.Error(
            f"PLO_INVITATION_HOURS is {hours}: it must be between 1 and 336 (two weeks).",
            hint="Leave it unset for 72 hours.",
            id="accounts.E003",
        )
    ]
