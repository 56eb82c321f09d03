"""The team manager's dashboard (issue #5 §2): a team's overdue and due-soon deadlines, alerts,
cases near their end, overdue assessments and per-worker counts, in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, QuerySet

from accounts.models import Team
from accounts.roles import Role
from cases.models import Assessment

from ..engine import WorkingCalendar
from ..models import Alert, AlertKind, Deadline, DeadlineState
from ..scopes import alerts_visible_to, deadline_keys_hidden_from
from ..screens import ALERT_TAG_CLASSES, TrackerFilters, policy_names, soon_before
from ..status import open_status
from .tracker import TrackerRow, _person, tracker_rows

if TYPE_CHECKING:
    from accounts.models import User


# --- Team manager dashboard ------------------------------------------------------------------


@dataclass(slots=True)
class WorkerCounts:
    """Per social worker figures on the team dashboard."""

    user_id: int
    name: str
    episodes: int = 0
    overdue: int = 0
    due_soon: int = 0
    assessments_overdue: int = 0
    alerts: int = 0


@dataclass(slots=True)
class TeamDashboard:
    """Everything on a team manager's dashboard (issue #5 §2)."""

    team: Team
    rows: list[TrackerRow]
    deadlines: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    alerts_total: int
    # Only worked out when nothing is waiting (issue #12 §4: never "all acknowledged" when
    # nothing was raised): were alerts ever raised on the team's cases, and when the scan last ran.
    near_end: list[TrackerRow]
    assessments: list[dict[str, Any]]
    workers: list[WorkerCounts]
    alerts_ever: bool = False
    last_scan: dt.date | None = None

    @property
    def overdue(self) -> list[dict[str, Any]]:
        """The team's overdue deadlines, oldest first."""
        return [d for d in self.deadlines if d["status"] == "overdue"]

    @property
    def due_soon(self) -> list[dict[str, Any]]:
        """The team's deadlines due today or soon."""
        return [d for d in self.deadlines if d["status"] in ("due_today", "due_soon")]


NEAR_END_WEEKS = 4
ALERTS_SHOWN = 100


def _family_columns(row: TrackerRow) -> dict[str, Any]:
    """The family's columns of a dashboard list entry, from the episode's tracker row."""
    return {
        "episode__family_id": row.family_id,
        "episode__family__reference": row.reference,
        "episode__family__name": row.family_name,
        "episode__family__social_worker_id": row.social_worker_id,
    }


def team_dashboard(*, user: User, team: Team, today: dt.date, calendar: WorkingCalendar) -> TeamDashboard:
    """A team's overdue and due-soon deadlines, unacknowledged alerts, cases near their end,
    overdue assessments and per-worker counts (issue #5 §2). Fixed number of queries."""
    rows = tracker_rows(
        user=user, today=today, calendar=calendar, filters=TrackerFilters(team=team.pk), with_details=False
    )
    # The team's open cases' alerts, through the alerts' scope (deadlines.scopes).
    team_alerts = alerts_visible_to(user).filter(episode__family__team_id=team.pk, episode__ended_on__isnull=True)
    # The deadlines and assessments of the episodes the scoped read above returned, by their ids,
    # with the family's columns from those rows: joined to episodes and families again, PostgreSQL
    # chose to scan every episode of the service (issue 14: a team's page must cost what the
    # team holds, whatever the size of the service).
    by_episode = {r.episode_id: r for r in rows}
    deadlines = _dashboard_deadlines(by_episode, today, calendar, deadline_keys_hidden_from(user))
    alert_qs = team_alerts.filter(acknowledged_at__isnull=True)
    alerts = _dashboard_alerts(alert_qs)
    alert_counts = dict(
        alert_qs.order_by().values("recipient_id").annotate(n=Count("id")).values_list("recipient_id", "n")
    )

    near_limit = today + dt.timedelta(weeks=NEAR_END_WEEKS)
    near_end = sorted(
        (r for r in rows if r.end_due is not None and r.end_due <= near_limit),
        key=lambda r: r.end_due or dt.date.max,
    )
    assessments = _overdue_assessments(by_episode, today, calendar)
    workers = _worker_counts(team, rows, alert_counts)
    alerts_total = sum(alert_counts.values())
    alerts_ever, last_scan = True, None
    if not alerts_total:
        from ..models import AlertScanDay

        alerts_ever = team_alerts.exists()
        last_scan = AlertScanDay.objects.aggregate(last=Max("day"))["last"]
    return TeamDashboard(
        team=team,
        rows=rows,
        deadlines=deadlines,
        alerts=alerts,
        alerts_total=alerts_total,
        alerts_ever=alerts_ever,
        last_scan=last_scan,
        near_end=near_end,
        assessments=assessments,
        workers=sorted(workers.values(), key=lambda w: (-w.overdue, w.name)),
    )


def _dashboard_deadlines(
    by_episode: Mapping[int, TrackerRow], today: dt.date, calendar: WorkingCalendar, hidden: list[str]
) -> list[dict[str, Any]]:
    """The open deadlines of these episodes that are overdue, due today or due soon (one query),
    leaving out the privileged keys `hidden` from this user, as the tracker's rows count them."""
    horizon = max(soon_before(today, calendar, name) for name in policy_names())
    soon_of = {pk: soon_before(today, calendar, r.policy_name) for pk, r in by_episode.items()}
    deadlines: list[dict[str, Any]] = []
    for values in (
        Deadline.objects.filter(episode_id__in=list(by_episode), state=DeadlineState.OPEN, due_on__lt=horizon)
        .exclude(key__in=hidden)  # as the rows count them, with no join
        .order_by("due_on", "id")
        .values("id", "episode_id", "label", "due_on")
    ):
        d: dict[str, Any] = {**values, **_family_columns(by_episode[values["episode_id"]])}
        d["status"] = open_status(d["due_on"], today, soon_of[d["episode_id"]])
        if d["status"] in ("overdue", "due_today", "due_soon"):
            d["days_late"] = calendar.working_days_between(d["due_on"], today) if d["status"] == "overdue" else 0
            deadlines.append(d)
    return deadlines


def _dashboard_alerts(alert_qs: QuerySet[Alert]) -> list[dict[str, Any]]:
    """The team's latest unacknowledged alerts, with their labels and recipients (one query)."""
    alerts: list[dict[str, Any]] = [
        dict(a)
        for a in alert_qs.order_by("-raised_on", "-id").values(
            "id",
            "kind",
            "raised_on",
            "due_on",
            "recipient_id",
            "recipient__first_name",
            "recipient__last_name",
            "recipient__username",
            "deadline__label",
            "episode__family_id",
            "episode__family__reference",
            "episode__family__name",
            "episode__family__social_worker_id",
        )[:ALERTS_SHOWN]
    ]
    kind_labels = dict(AlertKind.choices)
    for a in alerts:
        a["kind_label"] = kind_labels.get(a["kind"], a["kind"])
        a["tag_class"] = ALERT_TAG_CLASSES.get(a["kind"], "govuk-tag--grey")
        a["recipient"] = _person(a["recipient__first_name"], a["recipient__last_name"], a["recipient__username"])
    return alerts


def _overdue_assessments(
    by_episode: Mapping[int, TrackerRow], today: dt.date, calendar: WorkingCalendar
) -> list[dict[str, Any]]:
    """The assessments of these episodes past their due date and not completed (one query)."""
    assessments: list[dict[str, Any]] = [
        {**a, **_family_columns(by_episode[a["episode_id"]])}
        for a in Assessment.objects.filter(episode_id__in=list(by_episode), completed_on__isnull=True, due_on__lt=today)
        .order_by("due_on", "id")
        .values("id", "kind", "provider", "due_on", "episode_id")
    ]
    from cases.models import AssessmentKind

    kinds = dict(AssessmentKind.choices)
    for a in assessments:
        a["kind_label"] = kinds.get(a["kind"], a["kind"])
        a["days_late"] = calendar.working_days_between(a["due_on"], today)
    return assessments


def _worker_counts(team: Team, rows: list[TrackerRow], alert_counts: Mapping[int, int]) -> dict[int, WorkerCounts]:
    """Each social worker of the team (and anyone holding one of its cases), with their counts."""
    workers: dict[int, WorkerCounts] = {}
    for uid, first, last, username in (
        team.members.filter(is_active=True, groups__name=Role.SOCIAL_WORKER.label)
        .order_by("last_name", "first_name")
        .values_list("id", "first_name", "last_name", "username")
    ):
        workers[uid] = WorkerCounts(uid, _person(first, last, username))
    for r in rows:
        w = workers.setdefault(r.social_worker_id, WorkerCounts(r.social_worker_id, r.social_worker))
        w.episodes += 1
        w.overdue += r.overdue_count
        w.due_soon += r.soon_count
        w.assessments_overdue += r.assessments_overdue
    for uid, w in workers.items():
        w.alerts = alert_counts.get(uid, 0)
    return workers
