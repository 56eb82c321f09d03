"""Reads for case screens, and who may see or change which family (docs/security.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from accounts.scopes import can_edit, can_see_legal_advice
from cases.scopes import families_visible_to
from deadlines.engine.timetable import COURT_WEEKS

__all__ = ["can_edit", "can_see_legal_advice", "families_visible_to"]
from deadlines.golive import NOT_TRACKED_STATES
from deadlines.models import Deadline, DeadlineState
from deadlines.scopes import deadlines_visible_to
from deadlines.status import STATUS_LABELS, deadline_status

from .models import Child, Episode, Family, Person, Stage


def family_get(user: User, pk: int) -> Family:
    """A family the user may see, or 404 (not 403, so a restricted case's existence is not revealed)."""
    try:
        return families_visible_to(user).select_related("team", "social_worker", "team_manager").get(pk=pk)
    except Family.DoesNotExist as exc:
        raise Http404("No such family") from exc


def restriction_named(family: Family) -> QuerySet[User]:
    """Who is named on a restricted family, for its case page (name order)."""
    return family.restricted_to.order_by("first_name", "last_name")


def family_search(user: User, query: str = "") -> QuerySet[Family]:
    """Families the user may see, matching a name, reference or child's name or case-system ID."""
    families = families_visible_to(user)
    query = query.strip()
    if query:
        child_match = Child.objects.filter(family_id=OuterRef("pk")).filter(
            Q(first_name__icontains=query) | Q(last_name__icontains=query) | Q(case_system_id__iexact=query)
        )
        families = families.filter(
            Q(name__icontains=query) | Q(reference__iexact=query) | Q(reference__icontains=query) | Exists(child_match)
        )
    return (
        families.select_related("team", "social_worker", "team_manager")
        .annotate(child_count=Count("children", distinct=True))
        .prefetch_related(
            Prefetch("episodes", queryset=Episode.objects.order_by("-started_on"), to_attr="episode_list")
        )
        .order_by("name", "reference")
    )


@dataclass
class DeadlineRow:
    """A deadline as a screen shows it: status worked out for today."""

    deadline: Deadline
    status: str
    #: "Why this date": the rule in plain words and its source (deadlines.explain).
    why: Any = None

    @property
    def status_label(self) -> str:
        """Words for the status tag."""
        return STATUS_LABELS.get(self.status, self.status)


@dataclass
class TimelineEntry:
    """Something that happened on the case, for the timeline."""

    date: dt.date
    title: str
    detail: str = ""


@dataclass
class MinutesStep:
    """One step of a meeting's minutes (drafted, approved, circulated) beside its policy deadline."""

    label: str
    done_on: dt.date | None
    who: str
    due_on: dt.date | None = None
    status: str = ""
    status_label: str = ""


@dataclass
class MinutesRow:
    """The minutes of one meeting of any kind, step by step, with where to update them."""

    kind: str  # "meeting", "lpm" or "ppm": who may update them differs
    title: str
    held_on: dt.date | None
    state: str
    url: str
    steps: list[MinutesStep]


@dataclass
class CasePage:
    """Everything the case page shows, fetched in a fixed number of queries."""

    family: Family
    episode: Episode | None
    children: list[Child]
    people: list[Any]
    permanency_meetings: list[Any] = field(default_factory=list)
    deadlines: list[DeadlineRow] = field(default_factory=list)
    due_next: list[DeadlineRow] = field(default_factory=list)
    #: Imported families: the go-live date, and how many steps due before it are not tracked.
    go_live: dt.date | None = None
    not_tracked: int = 0
    timeline: list[TimelineEntry] = field(default_factory=list)
    coming_up: list[TimelineEntry] = field(default_factory=list)
    earlier_episodes: list[Episode] = field(default_factory=list)
    earlier: list[EpisodeHistory] = field(default_factory=list)
    week: int | None = None
    of_weeks: int | None = None
    projected_end: dt.date | None = None
    letter_delivered_to: int = 0
    letter_recipients: int = 0
    extension_weeks: int = 0
    minutes: list[MinutesRow] = field(default_factory=list)
    #: In care proceedings: the last day of the 26 weeks plus the court's extensions (s32).
    court_limit: dt.date | None = None
    court_extension_weeks: int = 0
    final_hearing_listed: dt.date | None = None
    #: Pre-proceedings predicted to run past their agreed length, and why (deadlines/forecast.py).
    overrun: Any = None
    #: Who the policy says is told of a predicted overrun, in words ("" if no one).
    overrun_told: str = ""
    #: An LPM request a social worker prepared, waiting for a manager to make it (002 §4).
    preparation: Any = None

    @property
    def final_hearing_past_limit(self) -> bool:
        """A final hearing listed after the end of the (extended) 26 weeks: needs the court's extension."""
        return bool(self.final_hearing_listed and self.court_limit and self.final_hearing_listed > self.court_limit)


def _episode_queryset(user: User | None) -> QuerySet[Episode]:
    """A family's episodes with what the case page shows; with `user`, the deadlines through their
    visibility scope (deadlines.scopes: those revealing legal advice only to those who may read it)."""
    from meetings.models import LPM, Meeting

    deadlines = Deadline.objects.all() if user is None else deadlines_visible_to(user)

    return Episode.objects.select_related(
        "lpm_request",
        "lpm_request__requested_by",
        "lpm_request__decided_by",
        "lpm_request__prepared_by",
        "proceedings",
    ).prefetch_related(
        Prefetch(
            "lpms",
            queryset=LPM.objects.select_related(
                "chair", "legal_advice", "legal_advice__recorded_by", "minutes_drafted_by", "minutes_approved_by"
            ).order_by("panel_date", "id"),
        ),
        Prefetch(
            "meetings",
            queryset=Meeting.objects.select_related("chair", "minutes_drafted_by", "minutes_approved_by").order_by(
                "held_on", "scheduled_for"
            ),
        ),
        "lpm_request__documents",
        "letter_deliveries__person",
        "extensions__agreed_by",
        "assessments__child",
        "proceedings__hearings",
        "proceedings__court_extensions__recorded_by",
        "episode_children__child",
        Prefetch(
            "deadlines",
            queryset=deadlines.select_related("waived_by").order_by("due_on", "provisional_on", "id"),
        ),
    )


def case_page(family: Family, *, today: dt.date, user: User | None = None) -> CasePage:
    """The case page: the current episode, its deadlines with today's statuses, and a timeline.
    With `user`, deadlines that reveal legal advice are left out unless they may read it."""
    from deadlines.services import calendar_current, policy_for, review_point_label

    episodes = list(_episode_queryset(user).filter(family=family).order_by("-started_on", "-id"))
    for episode in episodes:
        for lpm in episode.lpms.all():
            lpm.review_point_label = review_point_label(lpm)
    current = next((e for e in episodes if e.ended_on is None or e.stage == Stage.PROCEEDINGS), None)
    if current is None and episodes:
        current = episodes[0]
    people = list(family.people.all())
    page = CasePage(
        family=family,
        episode=current,
        children=list(family.children.annotate(episode_count=Count("episode_links")).order_by("date_of_birth")),
        people=people,
        permanency_meetings=list(
            family.permanency_meetings.select_related(
                "child", "organised_by", "chair", "minutes_drafted_by", "minutes_approved_by"
            ).order_by("-held_on")
        ),
        earlier_episodes=[e for e in episodes if e is not current],
    )
    page.preparation = family.lpm_preparations.select_related("prepared_by").filter(request__isnull=True).first()
    if current is None:
        return page
    calendar = calendar_current()
    policy = policy_for(current)
    _page_deadlines(page, current, policy, calendar, today, user)
    _page_letter(page, current, people)
    _page_weeks(page, current, policy, today)
    _page_overrun(page, current, policy, today)
    _page_timelines(page, family, episodes, current, today)
    page.minutes = _minutes_rows(current, page, today=today, calendar=calendar, soon=policy.due_soon_working_days)
    return page


def _page_deadlines(
    page: CasePage, current: Episode, policy: Any, calendar: Any, today: dt.date, user: User | None
) -> None:
    """Each deadline with today's status and "why this date" (the recorded dates it counted from,
    the days skipped); the ones due next; those not tracked before go-live. With `user`, those that
    reveal legal advice only where they may read it."""
    from dataclasses import replace

    from deadlines.explain import rule_for, why_this_date, working_for
    from deadlines.services import calendar_day_names, episode_inputs

    inputs = episode_inputs(current, today=today)
    day_names = calendar_day_names()
    stored = list(current.deadlines.all())  # through the user's scope (_episode_queryset)
    due_dates = {d.key: d.due_on for d in stored if d.occurrence == 1 and d.due_on}
    for d in stored:
        rule = rule_for(policy, d.key, d.occurrence, d.rule)
        why = None
        if rule is not None:
            why = why_this_date(policy, rule)
            working = working_for(
                policy=policy,
                rule=rule,
                key=d.key,
                occurrence=d.occurrence,
                due=d.due_on,
                events=inputs["events"],
                due_dates=due_dates,
                calendar=calendar,
                day_names=day_names,
                extension_weeks=inputs["extension_weeks"],
                court_extension_weeks=inputs["court_extension_weeks"],
            )
            why = replace(why, working=working)
        page.deadlines.append(
            DeadlineRow(
                d,
                deadline_status(
                    state=d.state,
                    due_on=d.due_on,
                    today=today,
                    calendar=calendar,
                    due_soon_working_days=policy.due_soon_working_days,
                ),
                why=why,
            )
        )
    page.not_tracked = sum(1 for r in page.deadlines if r.deadline.state == DeadlineState.NOT_TRACKED)
    if page.not_tracked:
        from deadlines.golive import go_live_date

        page.go_live = go_live_date()
    open_rows = [r for r in page.deadlines if r.deadline.state == DeadlineState.OPEN]
    page.due_next = sorted(open_rows, key=lambda r: r.deadline.due_on or r.deadline.provisional_on or dt.date.max)[:6]


def _page_letter(page: CasePage, current: Episode, people: list[Person]) -> None:
    """Who the letter before proceedings was delivered to, of the parents with parental responsibility."""
    recipients = [p for p in people if p.parental_responsibility]
    deliveries = {d.person_id: d for d in current.letter_deliveries.all()}
    for person in people:
        person.delivery = deliveries.get(person.pk)  # type: ignore[attr-defined]  # for the template only
    delivered = set(deliveries)
    page.letter_recipients = len(recipients)
    page.letter_delivered_to = len([p for p in recipients if p.pk in delivered])


def _page_weeks(page: CasePage, current: Episode, policy: Any, today: dt.date) -> None:
    """ "Week k of n": of pre-proceedings (with the extension agreed), or of the court's 26 weeks
    (with the court's extensions); the projected end, and the final hearing listed."""
    page.extension_weeks = sum(e.weeks for e in current.extensions.all())
    clock = current.decision_date
    if policy.clock_start == "initial_meeting":
        initial = next((m for m in current.meetings.all() if m.kind == "initial_meeting" and m.held_on), None)
        clock = initial.held_on if initial else None
    if clock is not None and current.stage == Stage.PRE_PROCEEDINGS:
        page.week = (today - clock).days // 7 + 1
        page.of_weeks = policy.standard_weeks + page.extension_weeks
    proceedings = getattr(current, "proceedings", None)
    if current.stage == Stage.PROCEEDINGS and proceedings is not None and proceedings.issued_on:
        # Children Act 1989 s32(1)(a)(ii): 26 weeks beginning with the issue day (week 1, day 1).
        issued = proceedings.issued_on
        page.court_extension_weeks = sum(x.weeks for x in proceedings.court_extensions.all())
        weeks = COURT_WEEKS + page.court_extension_weeks
        page.court_limit = issued + dt.timedelta(days=7 * weeks - 1)
        if today >= issued:
            page.week, page.of_weeks = (today - issued).days // 7 + 1, weeks
        finals = [h for h in proceedings.hearings.all() if h.kind == "final_hearing"]
        page.final_hearing_listed = max(finals, key=lambda h: h.pk).hearing_date if finals else None
    end = next((r.deadline for r in page.deadlines if r.deadline.key == "pre_proceedings_end"), None)
    page.projected_end = end.due_on if end else None


def _page_overrun(page: CasePage, current: Episode, policy: Any, today: dt.date) -> None:
    """An open episode's forecast of running past its end, and who the policy says is told."""
    if not current.is_open:
        return
    from deadlines.forecast import episode_overrun_forecast

    page.overrun = episode_overrun_forecast(
        current,
        deadlines=[r.deadline for r in page.deadlines],
        today=today,
        assessments=current.assessments.all(),
        meetings=current.meetings.all(),
    )
    escalation = policy.escalation("overrun")
    if escalation is not None:
        page.overrun_told = " and ".join(Role(r).label.lower() for r in escalation.to)


def _page_timelines(page: CasePage, family: Family, episodes: list[Episode], current: Episode, today: dt.date) -> None:
    """What has happened, what is booked or listed for later (issue 13 §2), and each earlier
    episode's story."""
    deferrals = _deferrals(episodes)
    story = _timeline(current, deferrals.get(current.pk))
    if family.restricted:
        story = sorted(story + _restrictions(family), key=lambda e: e.date)
    page.timeline = [x for x in story if x.date <= today]
    page.coming_up = [x for x in story if x.date > today]
    page.earlier = [
        EpisodeHistory(e, _episode_summary(e), _timeline(e, deferrals.get(e.pk))) for e in page.earlier_episodes
    ]


def _plain_step(label: str, done_on: dt.date | None, who: str, deadline: Deadline | None) -> MinutesStep:
    return MinutesStep(label, done_on, who)


def minutes_steps(
    record: Any,
    *,
    sent_to: str,
    deadlines: tuple[Deadline | None, Deadline | None, Deadline | None] = (None, None, None),
    step: Callable[[str, dt.date | None, str, Deadline | None], MinutesStep] = _plain_step,
) -> list[MinutesStep]:
    """A meeting's minutes as three steps (drafted by, approved by, circulated to), each beside the
    deadline the policy sets for it, if any. Shared by case meetings and tracker meetings."""
    drafted_by = f"by {record.minutes_drafted_by}" if record.minutes_drafted_by else ""
    approved_by = f"by {record.minutes_approved_by}" if record.minutes_approved_by else ""
    drafted, approved, circulated = deadlines
    return [
        step("Drafted", record.minutes_drafted_on, drafted_by, drafted),
        step("Approved", record.minutes_approved_on, approved_by, approved),
        step("Circulated", record.minutes_circulated_on, f"to {sent_to}" if sent_to else "", circulated),
    ]


def _minutes_step(
    label: str,
    done_on: dt.date | None,
    who: str,
    deadline: Deadline | None,
    *,
    today: dt.date,
    calendar: Any,
    soon: int,
) -> MinutesStep:
    """One step of a meeting's minutes, with its deadline's date and today's status (met, late, open)."""
    item = MinutesStep(label, done_on, who)
    if deadline is not None and deadline.due_on is not None:
        item.due_on = deadline.due_on
        if done_on is None and deadline.state in NOT_TRACKED_STATES:
            item.status = deadline.state  # imported history before go-live: not overdue
        elif done_on is None:
            item.status = deadline_status(
                state=DeadlineState.OPEN, due_on=deadline.due_on, today=today, calendar=calendar,
                due_soon_working_days=soon,
            )  # fmt: skip
        else:
            item.status = "met" if done_on <= deadline.due_on else "met_late"
        item.status_label = STATUS_LABELS.get(item.status, item.status)
    return item


def _minutes_rows(episode: Episode, page: CasePage, *, today: dt.date, calendar: Any, soon: int) -> list[MinutesRow]:
    """Every held meeting's minutes, each step with the deadline the council's policy sets for it.

    Pre-proceedings meetings: `draft_minutes:<meeting>` and `approved_minutes:<meeting>` (approved
    and circulated), numbered by meeting in the order held. LPMs: `lpm_minutes` (authorised and
    circulated) for the deciding LPM, `approved_minutes:gateway_review` for reviews. Permanency
    planning meetings have no policy deadline.
    """
    from django.urls import reverse

    from meetings.models import LPMKind

    by_key = {(r.deadline.key, r.deadline.occurrence): r.deadline for r in page.deadlines}
    step = partial(_minutes_step, today=today, calendar=calendar, soon=soon)

    def steps(
        record: Any, drafted: Deadline | None, approved: Deadline | None, circulated: Deadline | None
    ) -> list[MinutesStep]:
        return minutes_steps(
            record, sent_to=record.minutes_circulated_to, deadlines=(drafted, approved, circulated), step=step
        )

    rows: list[MinutesRow] = []
    counts: dict[str, int] = {}
    for meeting in sorted((m for m in episode.meetings.all() if m.held_on), key=lambda m: (m.held_on, m.pk)):
        counts[meeting.kind] = n = counts.get(meeting.kind, 0) + 1
        approved = by_key.get((f"approved_minutes:{meeting.kind}", n))
        rows.append(
            MinutesRow(
                "meeting",
                meeting.get_kind_display(),
                meeting.held_on,
                meeting.minutes_state,
                reverse("meetings:meeting-minutes", args=[meeting.pk]),
                steps(meeting, by_key.get((f"draft_minutes:{meeting.kind}", n)), approved, approved),
            )
        )
    held_lpms = [x for x in episode.lpms.all() if x.held_on]
    deciding = [x for x in held_lpms if x.kind != LPMKind.REVIEW and x.outcome]
    decisive = max(deciding, key=lambda x: (x.held_on, x.pk), default=None)
    reviews = 0
    for lpm in sorted(held_lpms, key=lambda x: (x.held_on, x.pk)):
        deadline = None
        if lpm is decisive:
            deadline = by_key.get(("lpm_minutes", 1))
        elif lpm.kind == LPMKind.REVIEW:
            reviews += 1
            deadline = by_key.get(("approved_minutes:gateway_review", reviews))
        rows.append(
            MinutesRow(
                "lpm",
                lpm.get_kind_display(),
                lpm.held_on,
                lpm.minutes_state,
                reverse("meetings:lpm-minutes", args=[lpm.pk]),
                steps(lpm, None, deadline, deadline),
            )
        )
    for ppm in page.permanency_meetings:
        rows.append(
            MinutesRow(
                "ppm",
                f"Permanency planning meeting for {ppm.child.first_name}",
                ppm.held_on,
                ppm.minutes_state,
                reverse("meetings:ppm-minutes", args=[ppm.pk]),
                steps(ppm, None, None, None),
            )
        )
    return sorted(rows, key=lambda r: r.held_on or dt.date.max)


@dataclass
class EpisodeHistory:
    """An earlier episode, summed up in a line and told in full when opened."""

    episode: Episode
    summary: str
    entries: list[TimelineEntry]


def _deferrals(episodes: list[Episode]) -> dict[int, list[TimelineEntry]]:
    """Every deferral a head of service made, from the request's audit trail.

    The request row only holds its latest decision, so once a deferred request is approved the
    deferral would vanish from the story; pghistory keeps each saved version (one query).
    """
    from meetings.models import RequestStatus

    ids = {e.lpm_request.pk: e.pk for e in episodes if getattr(e, "lpm_request", None) is not None}
    found: dict[int, list[TimelineEntry]] = {}
    if not ids:
        return found
    event_model = apps.get_model("meetings", "LPMRequestEvent")
    seen: set[tuple[int, dt.date, dt.date | None]] = set()
    for row in (
        event_model.objects.filter(pgh_obj_id__in=ids, status=RequestStatus.DEFERRED)
        .order_by("pgh_id")
        .values(
            "pgh_obj_id",
            "decided_on",
            "deferred_until",
            "decision_note",
            "decided_by__first_name",
            "decided_by__last_name",
        )
    ):
        key = (row["pgh_obj_id"], row["decided_on"], row["deferred_until"])
        if key in seen or row["decided_on"] is None:
            continue
        seen.add(key)
        who = f"{row['decided_by__first_name']} {row['decided_by__last_name']}".strip()
        until = f" until {row['deferred_until']:%-d %b %Y}" if row["deferred_until"] else ""
        detail = f"by {who}" + (f": {row['decision_note']}" if row["decision_note"] else "")
        found.setdefault(ids[row["pgh_obj_id"]], []).append(
            TimelineEntry(row["decided_on"], f"LPM request deferred{until}", detail)
        )
    return found


def _restrictions(family: Family) -> list[TimelineEntry]:
    """People named on (or removed from) a restricted case, from the audit trail."""
    event_model = apps.get_model("cases", "FamilyRestrictionEvent")
    entries = []
    for row in (
        event_model.objects.filter(family_id=family.pk)
        .order_by("pgh_id")
        .values("pgh_label", "pgh_created_at", "user__first_name", "user__last_name")
    ):
        who = f"{row['user__first_name']} {row['user__last_name']}".strip()
        day = timezone.localtime(row["pgh_created_at"]).date()
        if row["pgh_label"] == "insert":
            entries.append(TimelineEntry(day, "Case restricted", f"{who} named as someone who may see it"))
        else:
            entries.append(TimelineEntry(day, "Restriction changed", f"{who} may no longer see it"))
    return entries


def _timeline(episode: Episode, deferrals: list[TimelineEntry] | None = None) -> list[TimelineEntry]:
    """Everything recorded on an episode, oldest first, from the records themselves: requests,
    deferrals and decisions, LPMs and their outcomes, letters, meetings, extensions, waivers,
    assessments, proceedings and hearings. Listed (future) dates are included; the caller splits
    them into "Coming up"."""
    entries: list[TimelineEntry] = list(deferrals or [])
    for part in (
        _request_entries,
        _lpm_entries,
        _letter_entries,
        _meeting_entries,
        _extension_and_waiver_entries,
        _assessment_entries,
        _ending_entries,
    ):
        entries.extend(part(episode))
    return sorted(entries, key=lambda e: e.date)


def _request_entries(episode: Episode) -> list[TimelineEntry]:
    """The LPM request made, and approved or declined."""
    entries: list[TimelineEntry] = []
    request = getattr(episode, "lpm_request", None)
    if request is not None:
        entries.append(
            TimelineEntry(
                request.requested_on,
                "LPM requested",
                f"by {request.requested_by}: {request.get_recommendation_display()}",
            )
        )
        if request.decided_on and request.status != "deferred":
            entries.append(
                TimelineEntry(
                    request.decided_on,
                    f"LPM request {request.get_status_display().lower()}",
                    f"by {request.decided_by}" + (f": {request.decision_note}" if request.decision_note else ""),
                )
            )
    return entries


def _lpm_entries(episode: Episode) -> list[TimelineEntry]:
    """Each LPM held (with its outcome) or listed."""
    entries: list[TimelineEntry] = []
    for lpm in episode.lpms.all():
        if lpm.held_on:
            entries.append(
                TimelineEntry(
                    lpm.held_on,
                    f"{lpm.get_kind_display()} held",
                    f"Outcome: {lpm.get_outcome_display()}" if lpm.outcome else "Outcome not yet recorded",
                )
            )
        else:
            entries.append(TimelineEntry(lpm.panel_date, f"{lpm.get_kind_display()} listed", "Panel date"))
    return entries


def _letter_entries(episode: Episode) -> list[TimelineEntry]:
    """The letter before proceedings drafted, sent to legal, approved, delivered to each parent."""
    entries: list[TimelineEntry] = []
    if episode.letter_drafted_on:
        entries.append(TimelineEntry(episode.letter_drafted_on, "Letter before proceedings drafted"))
    if episode.letter_to_legal_on:
        entries.append(TimelineEntry(episode.letter_to_legal_on, "Letter before proceedings sent to legal"))
    if episode.letter_approved_on:
        entries.append(TimelineEntry(episode.letter_approved_on, "Letter before proceedings approved by legal"))
    for delivery in episode.letter_deliveries.all():
        entries.append(
            TimelineEntry(
                delivery.delivered_on,
                "Letter before proceedings delivered",
                f"to {delivery.person.full_name} ({delivery.method.lower()})",
            )
        )
    return entries


def _meeting_entries(episode: Episode) -> list[TimelineEntry]:
    """Each pre-proceedings meeting held or booked, and its minutes circulated."""
    entries: list[TimelineEntry] = []
    for meeting in episode.meetings.all():
        if meeting.held_on:
            entries.append(
                TimelineEntry(
                    meeting.held_on,
                    f"{meeting.get_kind_display()} held",
                    f"chaired by {meeting.chair}" if meeting.chair else "",
                )
            )
        elif meeting.scheduled_for:
            entries.append(TimelineEntry(meeting.scheduled_for, f"{meeting.get_kind_display()} booked"))
        if meeting.minutes_circulated_on:
            what = f"Minutes of the {meeting.get_kind_display().lower()} circulated"
            entries.append(TimelineEntry(meeting.minutes_circulated_on, what))
    return entries


def _extension_and_waiver_entries(episode: Episode) -> list[TimelineEntry]:
    """Extensions agreed and deadlines waived, with who and why."""
    entries: list[TimelineEntry] = []
    for extension in episode.extensions.all():
        entries.append(
            TimelineEntry(
                extension.agreed_on,
                f"Extension of {extension.weeks} weeks agreed",
                f"by {extension.agreed_by}: {extension.rationale}",
            )
        )
    for deadline in episode.deadlines.all():
        if deadline.state == DeadlineState.WAIVED and deadline.waived_on:
            entries.append(
                TimelineEntry(
                    deadline.waived_on,
                    f"Deadline waived: {deadline.label}",
                    f"by {deadline.waived_by}: {deadline.waived_reason}",
                )
            )
    return entries


def _assessment_entries(episode: Episode) -> list[TimelineEntry]:
    """Assessments instructed and completed."""
    entries: list[TimelineEntry] = []
    for assessment in episode.assessments.all():
        entries.append(
            TimelineEntry(assessment.instructed_on, f"{assessment.get_kind_display()} instructed", assessment.provider)
        )
        if assessment.completed_on:
            entries.append(TimelineEntry(assessment.completed_on, f"{assessment.get_kind_display()} completed"))
    return entries


def _ending_entries(episode: Episode) -> list[TimelineEntry]:
    """How pre-proceedings ended: the decision, care proceedings (hearings, the court's extensions),
    the proposed agreement to legal, the exit letter, the end."""
    entries: list[TimelineEntry] = []
    if episode.end_decision_date and episode.end_outcome and episode.end_outcome != "issue":
        entries.append(
            TimelineEntry(
                episode.end_decision_date, "Decision to end pre-proceedings", episode.get_end_outcome_display()
            )
        )
    proceedings = getattr(episode, "proceedings", None)
    if proceedings is not None:
        entries.append(TimelineEntry(proceedings.issue_decision_on, "Decision to issue care proceedings"))
        if proceedings.letter_of_issue_on:
            entries.append(TimelineEntry(proceedings.letter_of_issue_on, "Letter of issue sent to parents"))
        if proceedings.issued_on:
            entries.append(TimelineEntry(proceedings.issued_on, "Care proceedings issued", proceedings.court_reference))
        for hearing in proceedings.hearings.all():
            entries.append(TimelineEntry(hearing.hearing_date, hearing.get_kind_display(), hearing.notes))
        for extension in proceedings.court_extensions.all():
            entries.append(
                TimelineEntry(
                    extension.granted_on,
                    f"Court extended the 26 weeks by {extension.weeks} week{'s' if extension.weeks != 1 else ''}",
                    extension.reasons,
                )
            )
    if episode.proposed_agreement_to_legal_on:
        entries.append(
            TimelineEntry(episode.proposed_agreement_to_legal_on, "Proposed pre-proceedings agreement sent to legal")
        )
    if episode.exit_letter_on:
        entries.append(TimelineEntry(episode.exit_letter_on, "Letter sent to parents ending pre-proceedings"))
    if episode.ended_on and episode.end_outcome:
        entries.append(TimelineEntry(episode.ended_on, "Pre-proceedings ended", episode.get_end_outcome_display()))
    return entries


def _episode_summary(episode: Episode) -> str:
    started = f"LPM requested {episode.started_on:%-d %b %Y}"
    if episode.ended_on:
        return f"{started}, ended {episode.ended_on:%-d %b %Y}: {episode.get_end_outcome_display()}"
    return f"{started}, still open"


def my_cases(user: User, *, today: dt.date) -> list[dict[str, Any]]:
    """The user's own caseload (allocated or managed), each with its next open deadline."""
    from deadlines.services import calendar_current

    families = list(
        families_visible_to(user)
        .filter(Q(social_worker=user) | Q(team_manager=user))
        .filter(closed_on__isnull=True)
        .select_related("team", "social_worker")
        .prefetch_related(
            "children",
            Prefetch(
                "episodes",
                queryset=Episode.objects.filter(Q(ended_on__isnull=True) | Q(stage=Stage.PROCEEDINGS)).order_by(
                    "-started_on"
                ),
                to_attr="open_episodes",
            ),
        )
        .order_by("name")
    )
    episode_ids = [f.open_episodes[0].pk for f in families if f.open_episodes]
    next_due: dict[int, Deadline] = {}
    overdue: dict[int, int] = {}
    for d in (
        deadlines_visible_to(user)
        .filter(episode_id__in=episode_ids, state=DeadlineState.OPEN, due_on__isnull=False)
        .order_by("episode_id", "due_on")
    ):
        next_due.setdefault(d.episode_id, d)
        if d.due_on is not None and d.due_on < today:
            overdue[d.episode_id] = overdue.get(d.episode_id, 0) + 1
    calendar = calendar_current()
    rows: list[dict[str, Any]] = []
    for f in families:
        episode = f.open_episodes[0] if f.open_episodes else None
        deadline = next_due.get(episode.pk) if episode else None
        status = (
            deadline_status(state=deadline.state, due_on=deadline.due_on, today=today, calendar=calendar)
            if deadline
            else None
        )
        rows.append(
            {
                "family": f,
                "episode": episode,
                "next": deadline,
                "status": status,
                "status_label": STATUS_LABELS.get(status or "", ""),
                "overdue": overdue.get(episode.pk, 0) if episode else 0,
            }
        )
    rows.sort(key=lambda r: (-r["overdue"], r["next"].due_on if r["next"] else dt.date.max))
    return rows
