"""The council's go-live date and what it means for imported histories (issue 24 §2).

A council brings its spreadsheet tracker in on the day it goes live. The tracker has dates for
the steps someone logged (the LPM, the letter, meetings) and none for the rest (LPM minutes,
care-planning LPMs, draft minutes). On an imported family, a deadline that fell due before the
go-live date with no recorded date is not evidence that the step was missed: nobody was tracking
it here. Such a deadline is stored as "not tracked before go-live" (or, where the importer chose
it, "recorded as done at import, date not known"): never open, so no overdue status, no alert, no
escalation, and not in timeliness figures (which count met, met late and missed).

A family entered by hand is never affected, and neither is a step with a recorded date (it is met
or met late as usual, even when it was recorded after go-live). Steps due on or after go-live are
tracked as usual.

The date in force is the latest one an administrator set on the go-live page (``GoLive``, one row
per change, in the audit trail); until then the ``PLO_GO_LIVE_DATE`` setting; with neither, no
step is "not tracked".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet

from .models import DeadlineState, GoLive

if TYPE_CHECKING:
    from cases.models import Episode

# The states a deadline due before go-live takes on an imported family, by the import's choice.
NOT_TRACKED_STATES = frozenset({DeadlineState.NOT_TRACKED, DeadlineState.DONE_AT_IMPORT})
REASON = "Not tracked before go-live: the imported tracker gave no date for this step"
DONE_REASON = "Recorded as done when the tracker was imported; the date it was done is not known"


@dataclass(frozen=True, slots=True)
class GoLiveDate:
    """The go-live date in force, and where it comes from (for the admin page)."""

    date: dt.date | None
    set_by: str
    set_at: dt.datetime | None

    @property
    def from_setting(self) -> bool:
        return self.date is not None and self.set_at is None


def go_live_current() -> GoLiveDate:
    """The go-live date in force: the last one an administrator set, else the setting."""
    row = GoLive.objects.select_related("set_by").order_by("-set_at", "-id").first()
    if row is not None:
        return GoLiveDate(row.date, str(row.set_by), row.set_at)
    return GoLiveDate(getattr(settings, "PLO_GO_LIVE_DATE", None), "", None)


def go_live_date() -> dt.date | None:
    return go_live_current().date


def before_go_live_choice(episode: Episode) -> str | None:
    """How the episode's untracked history is stored: None for a family entered by hand, else the
    import's choice (``BeforeGoLive``: "not_tracked" or "done")."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        imported = episode.imported_from
    except ObjectDoesNotExist:
        return None
    choice: str = imported.before_go_live
    return choice


def untracked_state(choice: str) -> DeadlineState:
    return DeadlineState.DONE_AT_IMPORT if choice == "done" else DeadlineState.NOT_TRACKED


def past_end_at_go_live(episodes: QuerySet[Any]) -> list[Episode]:
    """Imported families still open whose end of pre-proceedings fell due before go-live: listed
    once for the head of service, never escalated as a new prediction (the escalation is about
    an end still to come)."""
    from cases.models import Episode

    from .forecast import END_KEY

    qs = Episode.objects.filter(
        pk__in=episodes,
        ended_on__isnull=True,
        imported_from__isnull=False,
        deadlines__key=END_KEY,
        deadlines__occurrence=1,
        deadlines__state__in=NOT_TRACKED_STATES,
    )
    return list(qs.select_related("family").order_by("family__reference", "pk").distinct())
