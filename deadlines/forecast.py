"""Whether an episode is predicted to run past its agreed length, from what is recorded now.

004 "Timescale for Pre-Proceedings": where a family "are predicted to go over the maximum 16-week
timescale, the Chair of Legal Gateway Panel will escalate to the Assistant Director". The policy's
`[escalations.overrun]` says who is told. The forecast is worked out again every time a date on
the episode changes (deadlines_recompute, called by every service that records one, and the
daily recompute for the day moving on), so an extension, an assessment moved or a review meeting
rebooked raises the alert, or clears it, at once, instead of an old forecast standing.

Predicted when the end of pre-proceedings (standard length plus any agreed extension) is still
open and any of these holds: its date has passed; the final meeting is overdue; an assessment not
yet completed is due after it; or a pre-proceedings meeting is booked for after it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from .engine.rules import as_phrase
from .models import Alert, AlertKind, Deadline, DeadlineState
from .pinning import policy_for

if TYPE_CHECKING:
    from cases.models import Episode

END_KEY = "pre_proceedings_end"
FINAL_KEY = "final_meeting"


@dataclass(frozen=True, slots=True)
class Overrun:
    """The forecast: the end date the episode is predicted to pass, and why, in plain words."""

    end: dt.date
    reasons: tuple[str, ...]


def _uk(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def overrun_forecast(
    *,
    deadlines: Iterable[Deadline],
    assessments: Iterable[tuple[str, dt.date]],
    booked: Iterable[tuple[str, dt.date]],
    today: dt.date,
) -> Overrun | None:
    """The forecast from an episode's stored deadlines, its outstanding assessments (label, due)
    and its booked, not yet held, pre-proceedings meetings (label, date); None if on track."""
    rows = {(d.key, d.occurrence): d for d in deadlines}
    end = rows.get((END_KEY, 1))
    if end is None or end.state != DeadlineState.OPEN or end.due_on is None:
        return None  # ended, off the pre-proceedings path, or the clock has not started
    reasons: list[str] = []
    if end.due_on < today:
        reasons.append(f"The agreed length ended on {_uk(end.due_on)}")
    final = rows.get((FINAL_KEY, 1))
    if final is not None and final.state == DeadlineState.OPEN and final.due_on and final.due_on < today:
        reasons.append(f"The final meeting was due on {_uk(final.due_on)} and has not been held")
    for label, due in sorted(assessments, key=lambda a: a[1]):
        if due > end.due_on:
            reasons.append(f"The {label} is due on {_uk(due)}, after the end on {_uk(end.due_on)}")
    for label, day in sorted(booked, key=lambda b: b[1]):
        if day > end.due_on:
            reasons.append(f"The {label} is booked for {_uk(day)}, after the end on {_uk(end.due_on)}")
    return Overrun(end.due_on, tuple(reasons)) if reasons else None


def episode_overrun_forecast(
    episode: Episode,
    *,
    deadlines: Iterable[Deadline],
    today: dt.date,
    assessments: Iterable[Any] | None = None,
    meetings: Iterable[Any] | None = None,
) -> Overrun | None:
    """``overrun_forecast`` for an episode as recorded now: its assessments and meetings are read
    (two queries) unless given (a page that has them already)."""
    if assessments is None:
        assessments = episode.assessments.filter(completed_on__isnull=True)
    if meetings is None:
        meetings = episode.meetings.filter(held_on__isnull=True)
    return overrun_forecast(
        deadlines=deadlines, assessments=_outstanding(assessments), booked=_booked(meetings), today=today
    )


def _outstanding(assessments: Iterable[Any]) -> list[tuple[str, dt.date]]:
    return [(as_phrase(a.get_kind_display()), a.due_on) for a in assessments if a.completed_on is None]


def _booked(meetings: Iterable[Any]) -> list[tuple[str, dt.date]]:
    return [
        (as_phrase(m.get_kind_display()), m.scheduled_for) for m in meetings if m.held_on is None and m.scheduled_for
    ]


def _could_overrun(episodes: QuerySet[Episode], today: dt.date) -> QuerySet[Episode]:
    """The episodes for which ``overrun_forecast`` can find a reason, picked in SQL so a whole
    service's forecast reads and works through only those (at 2,000 open episodes, a few hundred):
    an open, dated end of pre-proceedings that has passed, or an open final meeting overdue, or an
    outstanding assessment due after the end, or a meeting not held booked after it. The forecast
    itself still decides, in Python, from what it reads of these."""
    from cases.models import Assessment
    from meetings.models import Meeting

    late_final = Deadline.objects.filter(
        episode=OuterRef("episode"), key=FINAL_KEY, occurrence=1, state=DeadlineState.OPEN, due_on__lt=today
    )
    end = OuterRef("due_on")
    outstanding = Assessment.objects.filter(episode=OuterRef("episode"), completed_on__isnull=True, due_on__gt=end)
    booked_after = Meeting.objects.filter(episode=OuterRef("episode"), held_on__isnull=True, scheduled_for__gt=end)
    candidates = Deadline.objects.filter(
        key=END_KEY, occurrence=1, state=DeadlineState.OPEN, due_on__isnull=False, episode__in=episodes
    ).filter(Q(due_on__lt=today) | Exists(late_final) | Exists(outstanding) | Exists(booked_after))
    return episodes.filter(pk__in=candidates.values("episode_id"))


def overrun_forecasts(episodes: QuerySet[Episode], *, today: dt.date) -> dict[int, Overrun]:
    """``overrun_forecast`` for many episodes (a visibility scope), by episode id, in three
    queries whatever their number: the same rule as the escalation, for the senior managers'
    home pages. Only open episodes whose end of pre-proceedings is still open can be predicted."""
    from cases.models import Assessment
    from meetings.models import Meeting

    ends = Deadline.objects.filter(
        episode__in=_could_overrun(episodes.filter(ended_on__isnull=True), today),
        key__in=(END_KEY, FINAL_KEY),
        occurrence=1,
        state=DeadlineState.OPEN,
    )
    rows: dict[int, list[Deadline]] = defaultdict(list)
    for d in ends:
        rows[d.episode_id].append(d)
    ids = [pk for pk, ds in rows.items() if any(d.key == END_KEY for d in ds)]
    if not ids:
        return {}
    assessments: dict[int, list[Any]] = defaultdict(list)
    for a in Assessment.objects.filter(episode_id__in=ids, completed_on__isnull=True):
        assessments[a.episode_id].append(a)
    meetings: dict[int, list[Any]] = defaultdict(list)
    for m in Meeting.objects.filter(episode_id__in=ids, held_on__isnull=True, scheduled_for__isnull=False):
        meetings[m.episode_id].append(m)
    out: dict[int, Overrun] = {}
    for pk in ids:
        forecast = overrun_forecast(
            deadlines=rows[pk],
            assessments=_outstanding(assessments[pk]),
            booked=_booked(meetings[pk]),
            today=today,
        )
        if forecast is not None:
            out[pk] = forecast
    return out


@transaction.atomic
def overrun_alerts_sync(*, episode: Episode, deadlines: Sequence[Deadline], today: dt.date) -> Overrun | None:
    """Raise the overrun alert for today's forecast, and clear alerts of a forecast that no longer
    stands (not yet acknowledged: an acknowledged one is what someone was told, and stays)."""
    from accounts.models import User
    from accounts.roles import Role

    escalation = policy_for(episode).escalation("overrun")
    forecast = episode_overrun_forecast(episode, deadlines=deadlines, today=today) if episode.is_open else None
    stale = Alert.objects.filter(episode_id=episode.pk, kind=AlertKind.OVERRUN, acknowledged_at__isnull=True)
    if forecast is not None:
        stale = stale.exclude(due_on=forecast.end)
    stale.delete()
    if forecast is None or escalation is None:
        return forecast
    roles = [Role(r).label for r in escalation.to]  # the policy's roles are checked when it loads
    seniors = User.objects.filter(is_active=True, groups__name__in=roles).distinct()
    family = episode.family
    if family.restricted:
        seniors = seniors.filter(pk__in=family.restricted_to.values("pk"))
    Alert.objects.bulk_create(
        _overrun_alerts(episode.pk, deadlines, forecast, seniors.order_by("pk"), today),
        ignore_conflicts=True,  # the alert_once key: already raised for this end date
    )
    return forecast


def _overrun_alerts(
    episode_id: int, deadlines: Sequence[Deadline], forecast: Overrun, seniors: Iterable[Any], today: dt.date
) -> list[Alert]:
    """One overrun alert per senior, on the episode's (first) end-of-pre-proceedings deadline."""
    end_row = next(d for d in deadlines if d.key == END_KEY and d.occurrence == 1)
    return [
        Alert(
            episode_id=episode_id,
            deadline=end_row,
            kind=AlertKind.OVERRUN,
            recipient=user,
            due_on=forecast.end,
            raised_on=today,
        )  # fmt: skip
        for user in seniors
    ]


@transaction.atomic
def overrun_alerts_sync_many(
    *, episodes: Sequence[Episode], deadlines: dict[int, list[Deadline]], today: dt.date
) -> dict[int, Overrun | None]:
    """``overrun_alerts_sync`` for many episodes at once (a bulk load), in a fixed number of
    queries: the episodes come with their assessments and meetings prefetched, `deadlines` holds
    each one's stored deadlines (saved, with ids)."""
    from accounts.models import User
    from accounts.roles import Role

    forecasts: dict[int, Overrun | None] = {}
    for episode in episodes:
        forecasts[episode.pk] = (
            episode_overrun_forecast(
                episode,
                deadlines=deadlines[episode.pk],
                today=today,
                assessments=episode.assessments.all(),
                meetings=episode.meetings.all(),
            )
            if episode.is_open
            else None
        )
    stale = Alert.objects.filter(
        episode_id__in=[e.pk for e in episodes], kind=AlertKind.OVERRUN, acknowledged_at__isnull=True
    ).values_list("pk", "episode_id", "due_on")
    gone = [
        pk
        for pk, episode_id, due_on in stale
        if forecasts.get(episode_id) is None or forecasts[episode_id].end != due_on  # type: ignore[union-attr]
    ]
    if gone:
        Alert.objects.filter(pk__in=gone).delete()
    seniors_for: dict[tuple[str, ...], list[Any]] = {}
    alerts: list[Alert] = []
    for episode in episodes:
        forecast = forecasts[episode.pk]
        escalation = policy_for(episode).escalation("overrun")
        if forecast is None or escalation is None:
            continue
        roles = tuple(sorted(Role(r).label for r in escalation.to))
        if roles not in seniors_for:
            seniors_for[roles] = list(
                User.objects.filter(is_active=True, groups__name__in=roles).distinct().order_by("pk")
            )
        seniors = seniors_for[roles]
        if episode.family.restricted:  # rare: only those named on the family
            named = set(episode.family.restricted_to.values_list("pk", flat=True))
            seniors = [u for u in seniors if u.pk in named]
        alerts += _overrun_alerts(episode.pk, deadlines[episode.pk], forecast, seniors, today)
    Alert.objects.bulk_create(alerts, ignore_conflicts=True)  # the alert_once key
    return forecasts
