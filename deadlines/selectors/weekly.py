"""The head of service's weekly tracker (issue #5 §4): open episodes by stage and week, overruns,
extensions, outcomes and timeliness, each figure counted from the tracker list it links to.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import CharField, Count, F, Func, Q, Value

from cases.models import Stage

from ..engine import WorkingCalendar
from ..models import DeadlineState
from ..scopes import deadlines_visible_to
from ..screens import OUTCOME_GROUPS, WEEK_BANDS, episodes_visible, milestone_labels
from .tracker import tracker_counts

if TYPE_CHECKING:
    from accounts.models import User


# --- Weekly tracker (head of service) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    """One number on the weekly screen, with the tracker filter that lists the cases behind it."""

    label: str
    value: int
    query: dict[str, str]


@dataclass(frozen=True, slots=True)
class Timeliness:
    """% of a milestone's deadlines met on time: met / (met + met late + not met), where not met
    is still open past its date or missed (overtaken by a later event: a miss stays a miss)."""

    key: str
    label: str
    met: int
    met_late: int
    overdue: int
    query: dict[str, str]

    @property
    def total(self) -> int:
        """Deadlines that count (due in the window and either done or overdue)."""
        return self.met + self.met_late + self.overdue

    @property
    def percent(self) -> int | None:
        """Whole per cent met on time; None when nothing was due."""
        return round(100 * self.met / self.total) if self.total else None

    @property
    def missed(self) -> int:
        """Met late or still overdue."""
        return self.met_late + self.overdue


@dataclass(slots=True)
class OutcomePeriod:
    """Outcomes of episodes that ended in the last `weeks` weeks."""

    weeks: int
    since: dt.date
    figures: list[Figure]
    median_weeks: float | None
    ended: int


@dataclass(slots=True)
class WeeklyFigures:
    """The weekly tracker screen's figures (issue #5 §4)."""

    today: dt.date
    open: Figure
    by_stage: list[Figure]
    by_week: list[Figure]
    past_standard: Figure
    extended: Figure
    extension_weeks_total: int
    outcomes: list[OutcomePeriod]
    timeliness: list[Timeliness]
    timeliness_since: dt.date

    @property
    def open_total(self) -> int:
        """Open episodes across the user's scope (the headline)."""
        return self.open.value


TIMELINESS_WEEKS = 13


#: The weekly figures count open episodes: their links narrow the tracker to those (it also lists
#: care proceedings issued and before their final hearing).
WEEKLY_SCOPE: dict[str, str] = {"open_only": "1"}


def weekly_figures(*, user: User, today: dt.date, calendar: WorkingCalendar) -> WeeklyFigures:
    """Open episodes by stage and week, overruns, extensions, outcomes, median length and
    timeliness per milestone (issue #5 §4). Every figure carries its tracker drill-down query,
    and its count is the number of episodes the tracker lists for that query: the filters are
    read from the query as the tracker reads them, and counted by tracker_counts (issue 20 §5)."""
    from ..filters import filters_from_query

    queries: dict[str, dict[str, str]] = {"open": {}, "past": {"past_standard": "1"}, "extended": {"extended": "1"}}
    queries |= {f"stage:{value}": {"stage": value} for value, _ in Stage.choices if value != Stage.ENDED}
    queries |= {f"weeks:{slug}": {"weeks": slug} for slug in WEEK_BANDS}
    queries = {name: {**WEEKLY_SCOPE, **q} for name, q in queries.items()}
    counted = tracker_counts(
        user=user,
        today=today,
        calendar=calendar,
        base=filters_from_query(WEEKLY_SCOPE, user=user),
        figures={name: filters_from_query(q, user=user) for name, q in queries.items()},
    )

    def figure(name: str, label: str) -> Figure:
        return Figure(label, len(counted[name]), queries[name])

    by_stage = [figure(f"stage:{value}", label) for value, label in Stage.choices if value != Stage.ENDED]
    by_week = [figure(f"weeks:{slug}", label) for slug, (label, _, _) in WEEK_BANDS.items()]
    past = figure("past", "Past their standard length")
    extended = figure("extended", "With an agreed extension")
    open_figure = figure("open", "Open episodes")

    outcomes = _outcome_periods(user, today)
    since_t = today - dt.timedelta(weeks=TIMELINESS_WEEKS)
    timeliness = _timeliness(user, today, since_t)
    return WeeklyFigures(
        today=today,
        open=open_figure,
        by_stage=by_stage,
        by_week=by_week,
        past_standard=past,
        extended=extended,
        extension_weeks_total=sum(k.extension_weeks for k in counted["extended"]),
        outcomes=outcomes,
        timeliness=timeliness,
        timeliness_since=since_t,
    )


def _outcome_periods(user: User, today: dt.date) -> list[OutcomePeriod]:
    """Episodes ended in the last 4 and 13 weeks, by outcome, with the median length (one query)."""
    since_13 = today - dt.timedelta(weeks=13)
    ended = list(
        episodes_visible(user)
        .filter(ended_on__gte=since_13, ended_on__lte=today)
        .order_by()
        .values_list("end_outcome", "ended_on", "decision_date")
    )
    outcomes: list[OutcomePeriod] = []
    for weeks in (4, 13):
        since = today - dt.timedelta(weeks=weeks)
        in_period = [x for x in ended if x[1] is not None and x[1] >= since]
        figures = [
            Figure(
                label,
                sum(1 for x in in_period if x[0] in values),
                {"outcome": slug, "ended_since": since.isoformat()},
            )
            for slug, (label, values) in OUTCOME_GROUPS.items()
        ]
        # Length of pre-proceedings: from the LPM decision (D) to the end, for those that had one.
        lengths = [(x[1] - x[2]).days / 7 for x in in_period if x[1] is not None and x[2] is not None]
        median = round(statistics.median(lengths), 1) if lengths else None
        outcomes.append(OutcomePeriod(weeks, since, figures, median, len(in_period)))
    return outcomes


def _timeliness(user: User, today: dt.date, since_t: dt.date) -> list[Timeliness]:
    """Deadlines due since `since_t`, met on time, met late or not met, per milestone (one query)."""
    base_key = Func(F("key"), Value(":"), Value(1), function="split_part", output_field=CharField())
    grouped = (
        deadlines_visible_to(user)
        .filter(due_on__gte=since_t, due_on__lt=today)
        .annotate(milestone=base_key)
        .order_by()
        .values("milestone")
        .annotate(
            met=Count("id", filter=Q(state=DeadlineState.MET)),
            met_late=Count("id", filter=Q(state=DeadlineState.MET_LATE)),
            overdue=Count("id", filter=Q(state__in=[DeadlineState.OPEN, DeadlineState.MISSED])),
        )
        .values_list("milestone", "met", "met_late", "overdue")
    )
    labels = milestone_labels()
    order = {key: i for i, key in enumerate(labels)}
    timeliness = [
        Timeliness(
            key,
            labels.get(key, key.replace("_", " ").capitalize()),
            met,
            met_late,
            overdue,
            {"missed": key, "due_since": since_t.isoformat()},
        )
        for key, met, met_late, overdue in grouped
        if met + met_late + overdue
    ]
    timeliness.sort(key=lambda t: (order.get(t.key, len(order)), t.key))
    return timeliness
