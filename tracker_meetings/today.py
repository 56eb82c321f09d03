"""What each role does today (issue 13 §4): the reads behind the role homes.

Court liaison officer: meetings to prepare and to record, dates to enter, cases with missing
dates. Legal adviser: LPMs this week, advice to record, proceedings to issue. Assistant director:
escalations, overruns, second episodes (004). Head of service: overruns, extensions to decide (the LPM
requests to decide are on the home page already). Anyone: the meeting actions they own.
Every list starts from the user's visibility scope; each role's home takes a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from accounts.roles import Role
from cases.models import CareProceedings, Episode, EpisodeChild
from deadlines.engine import WorkingCalendar
from deadlines.forecast import Overrun, overrun_forecasts
from deadlines.golive import go_live_date, past_end_at_go_live
from deadlines.models import Deadline, DeadlineState
from deadlines.scopes import deadlines_visible_to
from deadlines.screens import episodes_visible
from deadlines.selectors.tracker import TrackerRow, ending_by, tracker_rows
from meetings.models import LPM, LegalAdvice, Meeting

from .models import MeetingAction, TrackerMeeting, TrackerMeetingKind
from .scopes import meeting_actions_visible_to, tracker_meetings_visible_to

if TYPE_CHECKING:
    from accounts.models import User

COURT_TRACKER_WEEKS = 5  # 001: court tracker meetings every 5 weeks
PANEL_WEEKDAY = 2  # 004 §7: the panel sits on Wednesdays
ESCALATE_AFTER_WORKING_DAYS = 5  # as the alert scan: overdue by more than 5 working days
NEAR_END_WEEKS = 4
# Each of a senior manager's longer lists shows this many, with its count linking to all of them.
HOME_LIST_LIMIT = 20
ADVICE_LOOKBACK_DAYS = 60


@dataclass(slots=True)
class MeetingToPrepare:
    """A meeting the CLO should set up (not yet set up) or has set up and must run."""

    kind: str
    label: str
    meets_on: dt.date
    meeting: TrackerMeeting | None = None
    note: str = ""

    @property
    def query(self) -> str:
        """The prepare form's pre-filled choice."""
        return f"kind={self.kind}&meets_on={self.meets_on.isoformat()}"


@dataclass(slots=True)
class Today:
    """Everything a role's home lists; a list is None when the role does not see that section."""

    my_actions: list[MeetingAction] = field(default_factory=list)
    meetings_to_prepare: list[MeetingToPrepare] | None = None
    meetings_to_record: list[TrackerMeeting] | None = None
    dates_to_enter: list[dict[str, Any]] | None = None
    missing_dates: list[tuple[TrackerRow, str]] | None = None
    lpms_this_week: list[LPM] | None = None
    advice_to_record: list[LPM] | None = None
    proceedings_to_issue: list[CareProceedings] | None = None
    escalations: list[dict[str, Any]] | None = None
    #: Predicted to pass the end of pre-proceedings, with the forecast's reasons (deadlines/forecast.py).
    overruns: list[tuple[TrackerRow, Overrun]] | None = None
    overruns_count: int = 0
    second_episodes: list[dict[str, Any]] | None = None
    extensions_to_decide: list[TrackerRow] | None = None
    extensions_count: int = 0
    near_end_weeks: int = NEAR_END_WEEKS
    #: Imported families already past their end of pre-proceedings on go-live day: listed here,
    #: not escalated as a new prediction (deadlines/golive.py).
    past_end_at_go_live: list[Episode] | None = None
    go_live: dt.date | None = None


def _on_or_after(day: dt.date, calendar: WorkingCalendar) -> dt.date:
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def _next_weekday(today: dt.date, weekday: int, calendar: WorkingCalendar) -> dt.date:
    day = today + dt.timedelta(days=(weekday - today.weekday()) % 7)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=7)
    return day


def next_panel_day(today: dt.date, calendar: WorkingCalendar) -> dt.date:
    """The next Wednesday the legal gateway panel sits (today if it is one), skipping closed days."""
    return _next_weekday(today, PANEL_WEEKDAY, calendar)


def _meetings_to_prepare(
    user: User, today: dt.date, calendar: WorkingCalendar
) -> tuple[list[MeetingToPrepare], list[TrackerMeeting]]:
    monday = today - dt.timedelta(days=today.weekday())
    meetings: list[TrackerMeeting] = list(
        tracker_meetings_visible_to(user)
        .filter(Q(meets_on__gte=monday - dt.timedelta(weeks=COURT_TRACKER_WEEKS)) | Q(held_on__isnull=True))
        .annotate(item_count=Count("items"))
        .order_by("meets_on")
    )
    out: list[MeetingToPrepare] = []
    this_week = [
        m
        for m in meetings
        if m.kind == TrackerMeetingKind.WEEKLY and monday <= m.meets_on < monday + dt.timedelta(days=7)
    ]
    weekly_day = _on_or_after(today, calendar)
    if this_week:
        out.extend(
            MeetingToPrepare(m.kind, m.get_kind_display(), m.meets_on, m) for m in this_week if m.held_on is None
        )
    else:
        out.append(
            MeetingToPrepare(
                TrackerMeetingKind.WEEKLY,
                TrackerMeetingKind.WEEKLY.label,
                weekly_day,
                note="Not set up yet this week (000)",
            )
        )
    panel_day = next_panel_day(today, calendar)
    panel = next((m for m in meetings if m.kind == TrackerMeetingKind.PANEL and m.meets_on == panel_day), None)
    listed = LPM.objects.filter(episode__in=episodes_visible(user), panel_date=panel_day, held_on__isnull=True).count()
    note = f"{listed} case{'s' if listed != 1 else ''} listed" + ("" if panel else ": not set up yet")
    out.append(MeetingToPrepare(TrackerMeetingKind.PANEL, TrackerMeetingKind.PANEL.label, panel_day, panel, note))
    courts = [m for m in meetings if m.kind == TrackerMeetingKind.COURT]
    last = max((m.meets_on for m in courts if m.meets_on <= today), default=None)
    upcoming_court = next((m for m in courts if m.meets_on >= today), None)
    if upcoming_court is not None:
        out.append(
            MeetingToPrepare(
                upcoming_court.kind, upcoming_court.get_kind_display(), upcoming_court.meets_on, upcoming_court
            )
        )
    else:
        due = last + dt.timedelta(weeks=COURT_TRACKER_WEEKS) if last else today
        due = _on_or_after(max(due, today), calendar)
        note = f"Last held {last:%-d %b %Y}; every 5 weeks (001)" if last else "None held yet; every 5 weeks (001)"
        out.append(MeetingToPrepare(TrackerMeetingKind.COURT, TrackerMeetingKind.COURT.label, due, note=note))
    to_record = [m for m in meetings if m.held_on is None and m.meets_on < today]
    out.sort(key=lambda m: m.meets_on)
    return out, to_record


def role_today(*, user: User, today: dt.date, calendar: WorkingCalendar) -> Today:
    """The role home's lists for this user (issue 13 §4)."""
    result = Today()
    result.my_actions = list(
        meeting_actions_visible_to(user)
        .filter(owner_id=user.pk, completed_on__isnull=True)
        .select_related("item__meeting", "item__episode__family")
        .order_by("due_on", "id")[:50]
    )
    roles = user.roles
    visible = episodes_visible(user)

    if Role.COURT_LIAISON_OFFICER in roles:
        result.meetings_to_prepare, result.meetings_to_record = _meetings_to_prepare(user, today, calendar)
        dates: list[dict[str, Any]] = []
        for m in (
            Meeting.objects.filter(
                episode__in=visible, episode__ended_on__isnull=True, held_on__isnull=True, scheduled_for__lt=today
            )
            .select_related("episode__family")
            .order_by("scheduled_for")[:50]
        ):
            dates.append(
                {
                    "what": m.get_kind_display(),
                    "day": m.scheduled_for,
                    "family": m.episode.family,
                    "url_name": "meetings:meeting-edit",
                    "pk": m.pk,
                    "action": "Record it as held",
                }
            )
        for lpm in (
            LPM.objects.filter(
                episode__in=visible, episode__ended_on__isnull=True, held_on__isnull=True, panel_date__lt=today
            )
            .select_related("episode__family")
            .order_by("panel_date")[:50]
        ):
            dates.append(
                {
                    "what": lpm.get_kind_display(),
                    "day": lpm.panel_date,
                    "family": lpm.episode.family,
                    "url_name": "meetings:lpm-outcome",
                    "pk": lpm.pk,
                    "action": "Record the outcome",
                }
            )
        result.dates_to_enter = sorted(dates, key=lambda d: d["day"])
        missing: list[tuple[TrackerRow, str]] = []
        for r in tracker_rows(user=user, today=today, calendar=calendar):
            if r.stage != "pre_proceedings":
                continue
            if r.initial_meeting is None:
                missing.append((r, "No initial meeting booked"))
            elif r.next_meeting is None:
                missing.append((r, "No next meeting or review booked"))
        result.missing_dates = missing

    if Role.LEGAL_ADVISER in roles:
        monday = today - dt.timedelta(days=today.weekday())
        result.lpms_this_week = list(
            LPM.objects.filter(
                episode__in=visible, panel_date__gte=monday, panel_date__lt=monday + dt.timedelta(days=7)
            )
            .select_related("episode__family")
            .order_by("panel_date", "id")
        )
        result.advice_to_record = list(
            LPM.objects.filter(
                episode__in=visible,
                held_on__isnull=False,
                held_on__gte=today - dt.timedelta(days=ADVICE_LOOKBACK_DAYS),
            )
            .filter(~Exists(LegalAdvice.objects.filter(lpm=OuterRef("pk"))))
            .select_related("episode__family")
            .order_by("held_on", "id")
        )
        result.proceedings_to_issue = list(
            CareProceedings.objects.filter(episode__in=visible, issued_on__isnull=True)
            .select_related("episode__family")
            .order_by("issue_decision_on", "id")
        )

    if Role.ASSISTANT_DIRECTOR in roles:
        before = calendar.add_working_days(today, -ESCALATE_AFTER_WORKING_DAYS)
        result.escalations = [
            dict(row)
            for row in deadlines_visible_to(user)
            .filter(episode__in=visible.filter(ended_on__isnull=True), state=DeadlineState.OPEN, due_on__lt=before)
            .values("episode__family_id", "episode__family__reference", "episode__family__name")
            .annotate(n=Count("id"))
            .order_by("-n", "episode__family__reference")
        ]
        result.second_episodes = [
            dict(row)
            for row in EpisodeChild.objects.filter(
                episode__in=visible.filter(ended_on__isnull=True), earlier_episodes__gt=0
            )
            .values(
                "episode__family_id",
                "episode__family__reference",
                "episode__family__name",
                "child__first_name",
                "child__last_name",
                "earlier_episodes",
            )
            .order_by("episode__family__reference", "child__first_name")
        ]

    senior = Role.ASSISTANT_DIRECTOR in roles or Role.HEAD_OF_SERVICE in roles
    forecasts = overrun_forecasts(visible, today=today) if senior else {}
    # A senior manager sees the whole service (2,000 open episodes at a large council: hundreds
    # predicted to overrun or ending within four weeks). Her home counts each list in full and
    # shows its first HOME_LIST_LIMIT; the count links to the whole list on the tracker, by the
    # same selector. Tracker rows are read for the episodes shown, and no others.
    overrun_ids = sorted(forecasts, key=lambda pk: forecasts[pk].end)[:HOME_LIST_LIMIT]
    ending: list[int] = []
    if Role.HEAD_OF_SERVICE in roles:
        near_end = ending_by(visible, today + dt.timedelta(weeks=NEAR_END_WEEKS))
        result.extensions_count = near_end.count()
        ending = list(
            near_end.annotate(
                end=Subquery(
                    Deadline.objects.filter(episode=OuterRef("pk"), key="pre_proceedings_end", occurrence=1).values(
                        "due_on"
                    )[:1]
                )
            )
            .order_by("end", "family__reference", "pk")
            .values_list("pk", flat=True)[:HOME_LIST_LIMIT]
        )
    wanted = sorted({*overrun_ids, *ending})
    shown = tracker_rows(user=user, today=today, calendar=calendar, episode_ids=wanted) if wanted else []
    rows = {r.episode_id: r for r in shown}

    if senior:
        # The same forecast, by the same rule, as the predicted-overrun escalation (004).
        result.overruns_count = len(forecasts)
        result.overruns = [(rows[pk], forecasts[pk]) for pk in overrun_ids if pk in rows]

    if Role.HEAD_OF_SERVICE in roles:
        result.past_end_at_go_live = past_end_at_go_live(visible.values("pk"))
        if result.past_end_at_go_live:
            result.go_live = go_live_date()
        result.extensions_to_decide = [rows[pk] for pk in ending if pk in rows]
    return result
