"""Writes for tracker meetings and panels: prepare a sitting and its agenda, record what was said
and decided about each case, set actions (stored as deadlines, so they alert like any other) and
mark them done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.roles import (
    ADVICE_ROLES,
    CASE_WRITERS,
    TRACKER_ITEM_RECORDERS,
    TRACKER_MEETING_PREPARERS,
    TRACKER_MEETING_RECORDERS,
)
from accounts.scopes import authorize
from cases.services import _save_new, raise_if
from deadlines.engine import WorkingCalendar
from deadlines.models import Deadline, DeadlineState
from deadlines.services import ACTION_KEY, non_working_day_error
from plo_tracker.text import clean_text_fields
from plo_tracker.versioning import save_versioned

from .models import AgendaItem, MeetingAction, MinutesRecipient, TrackerMeeting, TrackerMeetingKind
from .selectors import SLOT_MINUTES, agenda_candidates, minutes_staff, papers_due

if TYPE_CHECKING:
    from accounts.models import User

# Who runs the meetings (000: the CLO sets them up; business support minutes them; the head of
# service chairs the panel, 004 §5) and who may record in them.
MEETING_PREPARERS = TRACKER_MEETING_PREPARERS
MEETING_RECORDERS = TRACKER_MEETING_RECORDERS
ITEM_RECORDERS = TRACKER_ITEM_RECORDERS

# The usual start of each kind: the panel sits on Wednesday afternoons from 13:00 (004 §7).
DEFAULT_START = {
    TrackerMeetingKind.WEEKLY: dt.time(10, 0),
    TrackerMeetingKind.COURT: dt.time(10, 0),
    TrackerMeetingKind.PANEL: dt.time(13, 0),
}


def _add_minutes(start: dt.time, minutes: int) -> dt.time:
    return (dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)).time()


@transaction.atomic
def tracker_meeting_prepare(
    *,
    kind: str,
    meets_on: dt.date,
    starts_at: dt.time | None,
    by: User,
    today: dt.date | None = None,
    calendar: WorkingCalendar,
) -> TrackerMeeting:
    """Set up a tracker meeting or panel sitting and build its agenda from the tracker (issue 13 §3)."""
    today = today or timezone.localdate()
    authorize(by, TRACKER_MEETING_PREPARERS)
    errors: dict[str, list[str]] = {}
    if meets_on < today:
        errors.setdefault("meets_on", []).append("The meeting date must be today or in the future")
    elif problem := non_working_day_error(meets_on, calendar=calendar):
        errors.setdefault("meets_on", []).append(problem)
    if TrackerMeeting.objects.filter(kind=kind, meets_on=meets_on).exists():
        label = TrackerMeetingKind(kind).label.lower()
        errors.setdefault("meets_on", []).append(f"A {label} is already set up for {meets_on:%-d %B %Y}")
    raise_if(errors)
    kind_value = TrackerMeetingKind(kind)
    meeting = _save_new(
        TrackerMeeting(
            kind=kind_value,
            meets_on=meets_on,
            starts_at=starts_at or DEFAULT_START[kind_value],
            papers_due_at=papers_due(meets_on, calendar) if kind_value == TrackerMeetingKind.PANEL else None,
            prepared_by=by,
        )
    )
    agenda_refresh(meeting=meeting, by=by, today=today, calendar=calendar)
    return meeting


@transaction.atomic
def agenda_refresh(*, meeting: TrackerMeeting, by: User, today: dt.date, calendar: WorkingCalendar) -> int:
    """Add the cases the tracker now says belong on the agenda; what is already there is kept.

    Returns how many cases were added. Panel slots follow on from the last slot given.
    """
    authorize(by, TRACKER_MEETING_PREPARERS)
    existing = {i.episode_id: i for i in meeting.items.all()}
    position = max((i.position for i in existing.values()), default=0)
    slots_given = sum(1 for i in existing.values() if i.slot_at is not None)
    added: list[AgendaItem] = []
    for c in agenda_candidates(kind=meeting.kind, meets_on=meeting.meets_on, user=by, today=today, calendar=calendar):
        item = existing.get(c.episode_id)
        if item is not None:
            new_reasons = [r for r in c.reasons if r not in item.reasons]
            if new_reasons:
                item.reasons = [*item.reasons, *new_reasons]
                item.save(update_fields=["reasons", "updated_at"])
            continue
        position += 1
        slot = None
        if meeting.kind == TrackerMeetingKind.PANEL and c.slot_order is not None:
            slot = _add_minutes(meeting.starts_at, SLOT_MINUTES * slots_given)
            slots_given += 1
        added.append(
            AgendaItem(
                meeting=meeting,
                episode_id=c.episode_id,
                position=position,
                reasons=c.reasons,
                slot_at=slot,
                papers=c.papers,
                papers_missing=c.papers_missing,
            )
        )
    for item in added:
        clean_text_fields(item)  # bulk_create sends no pre_save (plo_tracker.text)
        item.full_clean(validate_unique=False, validate_constraints=False)
    AgendaItem.objects.bulk_create(added)
    return len(added)


@transaction.atomic
def agenda_item_record(
    *,
    item: AgendaItem,
    expected_version: int | None,
    note: str,
    decisions: str,
    review_on: dt.date | None,
    legal_advice: str | None,
    by: User,
) -> AgendaItem:
    """Record the note, decisions, review date and (legal staff only) legal advice for one case.

    `legal_advice` None leaves the stored advice untouched (the form did not offer it).
    """
    from cases.selectors import can_see_legal_advice

    authorize(by, TRACKER_ITEM_RECORDERS)
    errors: dict[str, list[str]] = {}
    if not by.has_role(*MEETING_RECORDERS):
        # A legal adviser (issue 9) records a case's legal advice here and nothing else.
        advice_only = by.has_role(*ADVICE_ROLES) and legal_advice is not None
        if not advice_only or (note.strip(), decisions.strip(), review_on) != (
            item.note,
            item.decisions,
            item.review_on,
        ):
            raise PermissionDenied("A legal adviser records the legal advice for a case at a meeting, nothing else")
    if review_on is not None and review_on <= item.meeting.meets_on:
        errors["review_on"] = [f"The review date must be after the meeting on {item.meeting.meets_on:%-d %B %Y}"]
    elif review_on is not None and review_on != item.review_on and (problem := non_working_day_error(review_on)):
        errors["review_on"] = [problem]
    changes: dict[str, object] = {"note": note.strip(), "decisions": decisions.strip(), "review_on": review_on}
    if legal_advice is not None:
        if not can_see_legal_advice(by, item.episode.family):
            errors.setdefault("legal_advice", []).append("Only legal staff can record legal advice")
        changes["legal_advice"] = legal_advice.strip()
    raise_if(errors)
    changes["recorded_by"] = by
    return save_versioned(item, expected_version=expected_version, changes=changes)


@transaction.atomic
def meeting_action_add(*, item: AgendaItem, description: str, owner: User, due_on: dt.date, by: User) -> MeetingAction:
    """Set an action with an owner and a due date; it is stored as a deadline on the case, so it
    shows on dashboards and the tracker and raises due-soon and overdue alerts like any other."""
    from cases.selectors import families_visible_to

    authorize(by, TRACKER_MEETING_RECORDERS)
    errors: dict[str, list[str]] = {}
    if not description.strip():
        errors["description"] = ["Enter what needs to be done"]
    if due_on < item.meeting.meets_on:
        errors["due_on"] = [f"The due date must be on or after the meeting on {item.meeting.meets_on:%-d %B %Y}"]
    elif problem := non_working_day_error(due_on):
        # An action's due date is a deadline on the case (alerts, tracker): a day people work.
        errors["due_on"] = [problem]
    if not owner.is_active or not families_visible_to(owner).filter(pk=item.episode.family_id).exists():
        errors["owner"] = ["Choose someone who works on this case: this person cannot see it"]
    raise_if(errors)
    action = _save_new(
        MeetingAction(item=item, description=description.strip(), owner=owner, due_on=due_on, created_by=by)
    )
    meeting = item.meeting
    deadline = Deadline(
        episode_id=item.episode_id,
        key=f"{ACTION_KEY}:{action.pk}",
        occurrence=1,
        label=f"Action: {action.description}"[:160],
        due_on=due_on,
        owner=owner,
        source=f"{meeting.get_kind_display()} on {meeting.meets_on:%-d %b %Y}"[:120],
        rule="Set at the meeting",
        entered=True,
    )
    deadline.full_clean()
    deadline.save()
    action.deadline = deadline
    action.save(update_fields=["deadline", "updated_at"])
    return action


@transaction.atomic
def meeting_action_complete(
    *,
    action: MeetingAction,
    completed_on: dt.date,
    note: str = "",
    by: User,
    today: dt.date | None = None,
    calendar: WorkingCalendar,
) -> MeetingAction:
    """Mark an action done (by its owner or the meeting's staff); its deadline is met, or met late."""
    today = today or timezone.localdate()
    # Its owner (any role that works on cases) or the meeting's staff.
    authorize(by, CASE_WRITERS if action.owner_id == getattr(by, "pk", None) else TRACKER_MEETING_RECORDERS)
    action = MeetingAction.objects.select_for_update().select_related("item__meeting").get(pk=action.pk)
    errors: dict[str, list[str]] = {}
    if action.completed_on is not None:
        errors.setdefault("__all__", []).append(
            f"This action was already marked done on {action.completed_on:%-d %B %Y}"
        )
    if completed_on > today:
        errors["completed_on"] = ["The date it was done must be today or in the past"]
    elif completed_on < action.item.meeting.meets_on:
        errors["completed_on"] = [
            f"The date it was done must be on or after the meeting on {action.item.meeting.meets_on:%-d %B %Y}"
        ]
    raise_if(errors)
    action.completed_on = completed_on
    action.completed_by = by
    action.completion_note = note.strip()[:300]
    action.version += 1
    action.full_clean()
    action.save()
    if action.deadline_id is not None:
        deadline = Deadline.objects.select_for_update().get(pk=action.deadline_id)
        late = deadline.due_on is not None and completed_on > deadline.due_on
        deadline.state = DeadlineState.MET_LATE if late else DeadlineState.MET
        deadline.met_on = completed_on
        deadline.days_late = (
            min(calendar.working_days_between(deadline.due_on, completed_on), 32767) if late and deadline.due_on else 0
        )
        deadline.save(update_fields=["state", "met_on", "days_late", "computed_at"])
    return action


@transaction.atomic
def tracker_meeting_hold(
    *,
    meeting: TrackerMeeting,
    expected_version: int | None,
    held_on: dt.date,
    chair: User | None,
    attendees: str,
    by: User,
    today: dt.date | None = None,
) -> TrackerMeeting:
    """Record that the meeting took place, who chaired and who attended."""
    authorize(by, TRACKER_MEETING_RECORDERS)
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if held_on > today:
        errors["held_on"] = ["The date the meeting was held must be today or in the past"]
    elif held_on < meeting.meets_on:
        errors["held_on"] = [f"The meeting cannot have been held before its date, {meeting.meets_on:%-d %B %Y}"]
    raise_if(errors)
    return save_versioned(
        meeting,
        expected_version=expected_version,
        changes={"held_on": held_on, "chair": chair, "attendees": attendees.strip()},
    )


@transaction.atomic
def tracker_meeting_minutes_record(
    *,
    meeting: TrackerMeeting,
    expected_version: int | None,
    by: User,
    recipients: Iterable[User] | None = None,
    today: dt.date | None = None,
    **changes: Any,
) -> TrackerMeeting:
    """Record the meeting's minutes step by step: drafted (by), approved (by), circulated (to staff).

    The same rules as a case meeting's minutes (meetings.services.minutes_record): each step needs
    the one before, dates are in order, on or after the day the meeting was held and not in the
    future; whoever saves a step without naming someone else is its author or approver. The
    minutes go to staff who may read tracker meetings. `recipients` None keeps those recorded.
    No source sets a timescale for these minutes, so no deadline is worked out.
    """
    from meetings.services import MINUTES_STEP_FIELDS, minutes_people, minutes_step_errors

    authorize(by, TRACKER_MEETING_RECORDERS)
    today = today or timezone.localdate()
    unknown = set(changes) - set(MINUTES_STEP_FIELDS)
    if unknown:
        raise TypeError(f"Not a minutes field: {sorted(unknown)}")
    merged = {f: getattr(meeting, f) for f in MINUTES_STEP_FIELDS}
    merged.update(changes)
    sent_to = list(meeting.minutes_recipients.all()) if recipients is None else list(recipients)
    circulated = merged["minutes_circulated_on"]
    errors = minutes_step_errors(
        held=meeting.held_on,
        drafted=merged["minutes_drafted_on"],
        approved=merged["minutes_approved_on"],
        circulated=circulated,
        today=today,
    )
    if circulated and not sent_to:
        errors.setdefault("minutes_recipients", []).append("Choose who the minutes were sent to")
    if sent_to and not circulated:
        errors.setdefault("minutes_circulated_on", []).append("Enter the date the minutes were sent")
    named = [u for u in (merged["minutes_drafted_by"], merged["minutes_approved_by"], *sent_to) if u is not None]
    in_scope = set(minutes_staff().filter(pk__in=[u.pk for u in named]).values_list("pk", flat=True))
    for field, what in (("minutes_drafted_by", "drafted"), ("minutes_approved_by", "approved")):
        person = merged[field]
        if person is not None and person.pk not in in_scope:
            errors.setdefault(field, []).append(
                f"Choose who {what} the minutes from staff who can read tracker meetings"
            )
    outside = [u.get_full_name() or u.username for u in sent_to if u.pk not in in_scope]
    if outside:
        errors.setdefault("minutes_recipients", []).append(
            f"{', '.join(outside)} cannot read tracker meetings: choose staff who can"
        )
    raise_if(errors)
    minutes_people(merged, by)
    meeting = save_versioned(meeting, expected_version=expected_version, changes=merged)
    # One row per person, added and removed one by one so each change is in the audit trail.
    wanted = {u.pk for u in sent_to}
    for row in MinutesRecipient.objects.filter(meeting=meeting).exclude(user_id__in=wanted):
        row.delete()
    have = set(MinutesRecipient.objects.filter(meeting=meeting).values_list("user_id", flat=True))
    for pk in sorted(wanted - have):
        MinutesRecipient.objects.create(meeting=meeting, user_id=pk)
    return meeting
