"""The weekly tracker over time (issue 13 §5): a snapshot stored each week, read back unchanged.

`weekly_snapshot_take` works out, as they stood at the end of a week (Sunday), for the whole
service and for each team: open episodes by stage, LPM requests, entries to and exits from
pre-proceedings, deadlines due that week met on time / late / missed per milestone, and median
lengths. It stores them once (a second run for the same week is a no-op: the unique constraint
plus ignore_conflicts), so a later correction to a record never rewrites what a past week showed.
The figures are worked out from the recorded dates, so a year of history can be built for a
council that starts using the product (`weekly_snapshots_backfill`) exactly as the job would have.

Team: the family's team now (the product keeps no history of reallocations).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.scopes import PRIVILEGED_DEADLINE_KEYS
from cases.models import EndOutcome, Episode, Stage

from .models import Deadline, DeadlineState, WeeklySnapshot

if TYPE_CHECKING:
    from accounts.models import User

MEDIAN_WINDOW_WEEKS = 13
OPEN_STAGES = (Stage.LPM, Stage.PRE_PROCEEDINGS, Stage.PROCEEDINGS)
EXIT_GROUPS: dict[str, str] = {
    EndOutcome.STEP_DOWN_CP: "step_down",
    EndOutcome.STEP_DOWN_CIN: "step_down",
    EndOutcome.NFA: "nfa",
    EndOutcome.ISSUE: "issue",
}
EXIT_LABELS = {"step_down": "Stepped down", "issue": "Care proceedings issued", "nfa": "No further action"}


def week_ending_for(day: dt.date) -> dt.date:
    """The Sunday that ends the week before `day`'s week (the job runs on Mondays for last week)."""
    return day - dt.timedelta(days=day.weekday() + 1)


@dataclass
class _Figures:
    open_by_stage: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    requests: list[int] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)
    exits_by_outcome: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ended_lengths: list[float] = field(default_factory=list)
    open_lengths: list[float] = field(default_factory=list)
    timeliness: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))


def _compute(week_ending: dt.date) -> dict[int | None, _Figures]:
    """Every team's figures (and the service's, under None) as at the end of `week_ending`."""
    start = week_ending - dt.timedelta(days=6)
    window = week_ending - dt.timedelta(weeks=MEDIAN_WINDOW_WEEKS)
    figures: dict[int | None, _Figures] = defaultdict(_Figures)
    episodes = (
        Episode.objects.filter(started_on__lte=week_ending)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=window))
        .values_list(
            "id",
            "family__team_id",
            "started_on",
            "decision_date",
            "ended_on",
            "end_outcome",
            "proceedings__issue_decision_on",
        )
        .order_by("id")
    )
    for pk, team, started, decision, ended, outcome, issued in episodes:
        targets = (figures[None], figures[team])
        is_open = ended is None or ended > week_ending
        left_on, left_as = (ended, EXIT_GROUPS.get(outcome, "")) if ended else (None, "")
        if issued is not None and (left_on is None or issued < left_on):
            left_on, left_as = issued, "issue"
        if is_open:
            if issued is not None and issued <= week_ending:
                stage = Stage.PROCEEDINGS
            elif decision is not None and decision <= week_ending:
                stage = Stage.PRE_PROCEEDINGS
            else:
                stage = Stage.LPM
            for f in targets:
                f.open_by_stage[stage].append(pk)
            if stage == Stage.PRE_PROCEEDINGS and decision is not None:
                for f in targets:
                    f.open_lengths.append((week_ending - decision).days / 7)
        for f in targets:
            if start <= started <= week_ending:
                f.requests.append(pk)
            if decision is not None and start <= decision <= week_ending:
                f.entries.append(pk)
            if left_on is not None and start <= left_on <= week_ending:
                f.exits.append(pk)
                f.exits_by_outcome[left_as or "other"] += 1
            if left_on is not None and decision is not None and window < left_on <= week_ending:
                f.ended_lengths.append((left_on - decision).days / 7)

    # Deadlines due in the week: met on time, met late, or still not met at the week's end. Stored
    # figures are read by everyone on the team, so deadlines that reveal legal advice are not counted.
    for team, key, state, met_on in (
        Deadline.objects.filter(due_on__gte=start, due_on__lte=week_ending)
        .exclude(key__in=PRIVILEGED_DEADLINE_KEYS)
        .exclude(
            state__in=[
                DeadlineState.WAIVED,
                DeadlineState.NOT_APPLICABLE,
                DeadlineState.NOT_TRACKED,  # imported history before go-live: not timeliness
                DeadlineState.DONE_AT_IMPORT,
            ]
        )
        .values_list("episode__family__team_id", "key", "state", "met_on")
        .order_by()
    ):
        milestone = key.split(":", 1)[0]
        if state == DeadlineState.MET:
            column = 0
        elif state == DeadlineState.MET_LATE and met_on is not None and met_on <= week_ending:
            column = 1
        else:
            column = 2  # open, or met late after the week ended: missed as the week closed
        for f in (figures[None], figures[team]):
            f.timeliness[milestone][column] += 1
    return figures


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


@transaction.atomic
def weekly_snapshot_take(*, week_ending: dt.date, teams: list[int] | None = None) -> int:
    """Store the week's figures for the service and each team; returns how many were stored (0 if taken)."""
    from accounts.models import Team

    if WeeklySnapshot.objects.filter(week_ending=week_ending, team__isnull=True).exists():
        return 0
    figures = _compute(week_ending)
    team_ids: list[int | None] = [None, *(teams if teams is not None else Team.objects.values_list("id", flat=True))]
    now = timezone.now()
    rows = []
    for team in team_ids:
        f = figures.get(team) or _Figures()
        by_stage = {stage.value: len(f.open_by_stage.get(stage.value, [])) for stage in OPEN_STAGES}
        rows.append(
            WeeklySnapshot(
                week_ending=week_ending,
                team_id=team,
                open_total=sum(by_stage.values()),
                open_by_stage=by_stage,
                requests=len(f.requests),
                entries=len(f.entries),
                exits=len(f.exits),
                exits_by_outcome=dict(f.exits_by_outcome),
                timeliness={k: list(v) for k, v in sorted(f.timeliness.items())},
                median_weeks=_median(f.ended_lengths),
                median_open_weeks=_median(f.open_lengths),
                episode_ids={
                    **{f"stage:{stage.value}": sorted(f.open_by_stage.get(stage.value, [])) for stage in OPEN_STAGES},
                    "requests": sorted(f.requests),
                    "entries": sorted(f.entries),
                    "exits": sorted(f.exits),
                },
                taken_at=now,
            )
        )
    # Stored once: a week already taken is left as it was (and a concurrent run is a no-op too).
    taken = set(WeeklySnapshot.objects.filter(week_ending=week_ending).values_list("team_id", flat=True))
    rows = [r for r in rows if r.team_id not in taken]
    WeeklySnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def weekly_snapshots_backfill(*, today: dt.date, weeks: int = 52) -> int:
    """Take the snapshots of the last `weeks` weeks that are missing (demo data, a new council)."""
    last = week_ending_for(today)
    done = 0
    for i in range(weeks):
        done += weekly_snapshot_take(week_ending=last - dt.timedelta(weeks=i))
    return done


# --- Reading the history ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryWeek:
    """One stored week as the history screen shows it."""

    week_ending: dt.date
    open_total: int
    open_by_stage: dict[str, int]
    requests: int
    entries: int
    exits: int
    exits_by_outcome: dict[str, int]
    timeliness: dict[str, list[int]]
    median_weeks: float | None
    median_open_weeks: float | None

    def on_time(self, milestone: str | None = None) -> int | None:
        """Whole per cent of the week's deadlines met on time (one milestone, or all)."""
        cells = [self.timeliness[milestone]] if milestone else list(self.timeliness.values())
        cells = [c for c in cells if c]
        met = sum(c[0] for c in cells)
        total = sum(sum(c) for c in cells)
        return round(100 * met / total) if total else None


def _for_team(team: int | None) -> Q:
    return Q(team__isnull=True) if team is None else Q(team_id=team)


def weekly_history(*, user: User, weeks: int, team: int | None, today: dt.date) -> list[HistoryWeek]:
    """The stored snapshots of the last `weeks` weeks that the user may read, oldest first (two
    queries). Each figure with a drill-down counts the stored episodes this user may still see
    (the episodes scope), so the number is the length of the list it opens: the same for anyone
    who sees the whole service, fewer for a family restricted or moved out of the user's teams."""
    from .scopes import weekly_snapshots_visible_to
    from .screens import episodes_visible

    last = week_ending_for(today)
    since = last - dt.timedelta(weeks=weeks - 1)
    snapshots = list(
        weekly_snapshots_visible_to(user)
        .filter(_for_team(team), week_ending__gte=since, week_ending__lte=last)
        .order_by("week_ending")
        .only(
            "week_ending",
            "exits_by_outcome",
            "timeliness",
            "median_weeks",
            "median_open_weeks",
            "episode_ids",
        )
    )
    stored = {pk for s in snapshots for ids in s.episode_ids.values() for pk in ids}
    visible = set(episodes_visible(user).filter(pk__in=stored).values_list("pk", flat=True)) if stored else set()

    def count(s: WeeklySnapshot, figure: str) -> int:
        return sum(1 for pk in s.episode_ids.get(figure, ()) if pk in visible)

    out = []
    for s in snapshots:
        by_stage = {stage.value: count(s, f"stage:{stage.value}") for stage in OPEN_STAGES}
        out.append(
            HistoryWeek(
                week_ending=s.week_ending,
                open_total=sum(by_stage.values()),
                open_by_stage=by_stage,
                requests=count(s, "requests"),
                entries=count(s, "entries"),
                exits=count(s, "exits"),
                exits_by_outcome=s.exits_by_outcome,
                timeliness=s.timeliness,
                median_weeks=s.median_weeks,
                median_open_weeks=s.median_open_weeks,
            )
        )
    return out


def milestone_totals(history: list[HistoryWeek]) -> list[tuple[str, int, int, int]]:
    """Per milestone over the whole period: (key, met, met late, missed), most deadlines first."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for week in history:
        for key, cells in week.timeliness.items():
            for i in range(3):
                totals[key][i] += cells[i]
    return sorted(((k, *v) for k, v in totals.items()), key=lambda t: (-(t[1] + t[2] + t[3]), t[0]))  # type: ignore[misc]


DRILL_FIGURES = {
    **{f"stage:{stage.value}": f"Open at the week's end: {stage.label.lower()}" for stage in OPEN_STAGES},
    "requests": "LPM requests made that week",
    "entries": "Entered pre-proceedings that week",
    "exits": "Left pre-proceedings that week",
}


def snapshot_episodes(*, user: User, week_ending: dt.date, team: int | None, figure: str) -> list[dict[str, Any]]:
    """The cases behind one stored figure, as far as this user may see them (one stored row + one query)."""
    from .scopes import weekly_snapshots_visible_to
    from .screens import episodes_visible

    snapshot = (
        weekly_snapshots_visible_to(user).filter(_for_team(team), week_ending=week_ending).only("episode_ids").first()
    )
    if snapshot is None or figure not in DRILL_FIGURES:
        return []
    ids = snapshot.episode_ids.get(figure, [])
    qs = (
        episodes_visible(user)
        .filter(pk__in=ids)
        .order_by("family__reference")
        .values(
            "id",
            "family_id",
            "family__reference",
            "family__name",
            "family__team__name",
            "stage",
            "decision_date",
            "ended_on",
        )
    )
    return [dict(row) for row in qs]
