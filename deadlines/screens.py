"""What the tracker screens' reads (deadlines/selectors/), their filter form and their exports
share: the few numbers each policy gives the screens, the RAG, outcome and week-band vocabularies,
the milestones' labels, what the tracker can be narrowed to, and the episodes scope they read
through. It sits below the selectors and the form, so neither imports the other's vocabulary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q, QuerySet

from accounts.scopes import family_q
from cases.models import EndOutcome, Episode
from cases.scopes import episodes_visible_to

from .engine import WorkingCalendar, available_policies, load_policy
from .models import AlertKind
from .status import soon_horizon

if TYPE_CHECKING:
    from accounts.models import User


# --- Policies: the few numbers the screens need, per policy name ----------------------------


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    """What a screen needs from an episode's policy (timescales.md §3)."""

    clock_start: str
    standard_weeks: int
    max_extension_weeks: int | None
    due_soon_working_days: int
    #: Who the policy says is told about a predicted overrun / a repeat episode (its
    #: ``[escalations]``, e.g. 004: the assistant director); empty when the source names no one.
    overrun_to: tuple[str, ...] = ()
    repeat_to: tuple[str, ...] = ()


@lru_cache(maxsize=32)
def _facts(name: str) -> PolicyFacts | None:
    try:
        policy = load_policy(name)
    except (OSError, ValueError, LookupError):
        return None
    overrun, repeat = policy.escalation("overrun"), policy.escalation("repeat_episode")
    return PolicyFacts(
        policy.clock_start,
        policy.standard_weeks,
        policy.max_extension_weeks,
        policy.due_soon_working_days,
        overrun.to if overrun else (),
        repeat.to if repeat else (),
    )


def policy_facts(name: str) -> PolicyFacts:
    """The policy's facts; an unknown name (an archived file) falls back to the deployment's policy."""
    facts = _facts(name) or _facts(settings.PLO_POLICY)
    if facts is None:  # pragma: no cover - the deployment's own policy always loads
        raise LookupError(f"policy {settings.PLO_POLICY} cannot be loaded")
    return facts


def policy_names() -> list[str]:
    """Every policy an episode may be pinned to."""
    return sorted(set(available_policies()) | {settings.PLO_POLICY})


def soon_before(today: dt.date, calendar: WorkingCalendar, policy_name: str) -> dt.date:
    """Open deadlines due before this date are due soon, today or overdue, under this policy."""
    return soon_horizon(today, calendar, policy_facts(policy_name).due_soon_working_days)


RAG_LABELS = {"red": "Red", "amber": "Amber", "green": "Green"}
RAG_ORDER = {"red": 0, "amber": 1, "green": 2}

OUTCOME_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "step_down": ("Stepped down", (EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN)),
    "issue": ("Care proceedings issued", (EndOutcome.ISSUE,)),
    "nfa": ("No further action", (EndOutcome.NFA,)),
}

WEEK_BANDS: dict[str, tuple[str, int, int]] = {
    "1-4": ("Weeks 1 to 4", 1, 4),
    "5-8": ("Weeks 5 to 8", 5, 8),
    "9-12": ("Weeks 9 to 12", 9, 12),
    "13-16": ("Weeks 13 to 16", 13, 16),
    "17+": ("Week 17 or later", 17, 10_000),
}


def week_band(week: int | None) -> str | None:
    """The weekly screen's band for an episode in week `week` (None before the clock starts)."""
    if week is None:
        return None
    for slug, (_, low, high) in WEEK_BANDS.items():
        if low <= week <= high:
            return slug
    return None


# --- Who may see what ------------------------------------------------------------------------


def episodes_visible(user: User) -> QuerySet[Episode]:
    """Episodes the user may see (an alias of cases.scopes.episodes_visible_to)."""
    return episodes_visible_to(user)


def visible_q(user: User, prefix: str) -> Q:
    """The same scope for a queryset reaching the family through `prefix` (e.g. "episode__family")."""
    q = family_q(user, f"{prefix}__")
    return Q(pk__in=[]) if q is None else q


# The tag colour of each kind of alert (static/scss/app.scss app-status--*).
ALERT_TAG_CLASSES: dict[str, str] = {
    AlertKind.DUE_SOON: "app-status--due_soon",
    AlertKind.DUE_TODAY: "app-status--due_today",
    AlertKind.OVERDUE: "app-status--overdue",
    AlertKind.ESCALATION: "app-status--overdue",
    AlertKind.OVERRUN: "app-status--overdue",
    AlertKind.REPEAT_EPISODE: "govuk-tag--purple",
}


@lru_cache(maxsize=1)
def _milestone_labels_cached(policy: str) -> tuple[tuple[str, str], ...]:
    loaded = load_policy(policy)
    seen: dict[str, str] = {}
    for rule in loaded.rules:
        seen.setdefault(rule.key, loaded.label_for(rule.key))
    return tuple(seen.items())


def milestone_labels() -> dict[str, str]:
    """Milestone key -> label, in the order of the deployment's policy."""
    return dict(_milestone_labels_cached(settings.PLO_POLICY))


@dataclass(frozen=True, slots=True)
class TrackerFilters:
    """What the tracker is narrowed to (all optional); built from the filter form."""

    team: int | None = None
    worker: int | None = None
    stage: str | None = None
    status: str | None = None
    weeks: str | None = None
    past_standard: bool = False
    extended: bool = False
    outcome: str | None = None
    ended_since: dt.date | None = None
    missed: str | None = None
    due_since: dt.date | None = None
    q: str = ""
    #: Also list care proceedings still before their final hearing ("week k of 26"); the weekly
    #: figures count open episodes only, so their links turn this off (``open_only=1``).
    in_court: bool = True
    #: Only the episodes predicted to run past the end of pre-proceedings (deadlines/forecast.py):
    #: the senior managers' homes link their "Predicted to overrun" count here.
    overrun: bool = False
    #: Only pre-proceedings whose end is still open and falls within this many weeks of today, or
    #: has passed: the head of service's "Extensions to decide" links its count here.
    ends_within_weeks: int | None = None

    @property
    def includes_ended(self) -> bool:
        """Drill-downs from outcomes and timeliness reach episodes that have ended."""
        return bool(self.outcome or self.missed)
