"""Pages for tracker meetings and panels (issue 13 §3). Views read through selectors, write
through services, resolve every record through its visibility scope, and declare their roles."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts.access import allow
from accounts.models import User
from accounts.roles import CASE_WRITERS, TRACKER_ROLES
from deadlines.services import calendar_current
from plo_tracker.once import ALREADY_SAVED, ONCE_FIELD, AlreadySaved, create_once, once_form

from . import scopes, selectors, services
from .forms import ActionDoneForm, ActionForm, AgendaItemForm, HeldForm, PrepareForm, TrackerMinutesForm
from .models import AgendaItem, MeetingAction, TrackerMeeting, TrackerMeetingKind

PREPARERS = services.MEETING_PREPARERS
RECORDERS = services.MEETING_RECORDERS
ITEM_RECORDERS = services.ITEM_RECORDERS


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _meeting(request: HttpRequest, pk: int) -> TrackerMeeting:
    try:
        return (
            scopes.tracker_meetings_visible_to(_user(request))
            .select_related("prepared_by", "chair", "minutes_drafted_by", "minutes_approved_by")
            .prefetch_related("minutes_recipients")
            .get(pk=pk)
        )
    except TrackerMeeting.DoesNotExist as exc:
        raise Http404("No such meeting") from exc


def _item(request: HttpRequest, pk: int) -> AgendaItem:
    try:
        return scopes.agenda_items_visible_to(_user(request)).select_related("meeting", "episode__family").get(pk=pk)
    except AgendaItem.DoesNotExist as exc:
        raise Http404("No such agenda item") from exc


def _action(request: HttpRequest, pk: int) -> MeetingAction:
    try:
        return (
            scopes.meeting_actions_visible_to(_user(request))
            .select_related("item__meeting", "item__episode__family", "owner")
            .get(pk=pk)
        )
    except MeetingAction.DoesNotExist as exc:
        raise Http404("No such action") from exc


def _form_page(request: HttpRequest, form: Any, **context: Any) -> HttpResponse:
    return render(request, "tracker_meetings/form.html", {"form": form, **context})


@allow(TRACKER_ROLES)
@require_safe
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Tracker meetings and panel sittings, the latest first."""
    user = _user(request)
    return render(
        request,
        "tracker_meetings/list.html",
        {
            "meetings": selectors.meeting_list(user=user),
            "can_prepare": user.has_role(*PREPARERS),
            "today": timezone.localdate(),
        },
    )


@allow(PREPARERS)
def meeting_prepare(request: HttpRequest) -> HttpResponse:
    """Set up a meeting: its agenda is built from the tracker."""
    initial: dict[str, Any] = {}
    if request.GET.get("kind") in TrackerMeetingKind.values:
        initial["kind"] = request.GET["kind"]
    with contextlib.suppress(ValueError):
        initial["meets_on"] = dt.date.fromisoformat(request.GET.get("meets_on", ""))
    form = once_form(PrepareForm)(data=request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            meeting = create_once(
                token=d[ONCE_FIELD],
                by=_user(request),
                create=lambda: services.tracker_meeting_prepare(
                    kind=d["kind"],
                    meets_on=d["meets_on"],
                    starts_at=d["starts_at"],
                    by=_user(request),
                    calendar=calendar_current(),
                ),
            )
        except AlreadySaved as already:
            messages.info(request, ALREADY_SAVED)
            if already.record is None:
                return redirect("tracker_meetings:list")
            return redirect("tracker_meetings:detail", pk=already.record.pk)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{meeting} is set up with {meeting.items.count()} cases on its agenda")
            return redirect("tracker_meetings:detail", pk=meeting.pk)
    return _form_page(
        request,
        form,
        title="Set up a tracker meeting or panel",
        intro="The agenda is built from the pre-action tracker: red and amber cases, cases due for review, "
        "cases past their standard length, cases with actions still open, and, for the legal gateway panel, "
        "the requests listed for that day with their papers and attendance slots.",
        back_url=reverse("tracker_meetings:list"),
        back_label="Back to meetings",
    )


@allow(TRACKER_ROLES)
@require_safe
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting: its agenda, what was recorded for each case, and the actions."""
    user = _user(request)
    meeting = _meeting(request, pk)
    page = selectors.meeting_page(user=user, meeting=meeting, today=timezone.localdate(), calendar=calendar_current())
    return render(
        request,
        "tracker_meetings/detail.html",
        {
            "page": page,
            "meeting": meeting,
            "today": timezone.localdate(),
            "can_record": user.has_role(*RECORDERS),
            "can_record_advice": user.has_role(*ITEM_RECORDERS),
            "can_prepare": user.has_role(*PREPARERS),
        },
    )


@allow(PREPARERS)
@require_POST
def meeting_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """Add to the agenda the cases the tracker shows now (nothing recorded is removed)."""
    meeting = _meeting(request, pk)
    added = services.agenda_refresh(
        meeting=meeting, by=_user(request), today=timezone.localdate(), calendar=calendar_current()
    )
    messages.success(request, f"{added} case{'s' if added != 1 else ''} added to the agenda")
    return redirect("tracker_meetings:detail", pk=meeting.pk)


@allow(RECORDERS)
def meeting_held(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the meeting took place, its chair and who attended."""
    meeting = _meeting(request, pk)
    initial = {
        "version": meeting.version,
        "held_on": meeting.held_on or meeting.meets_on,
        "chair": meeting.chair_id,
        "attendees": meeting.attendees,
    }
    form = HeldForm(data=request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.tracker_meeting_hold(
                meeting=meeting,
                expected_version=d["version"],
                held_on=d["held_on"],
                chair=d["chair"],
                attendees=d["attendees"],
                by=_user(request),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "The meeting is recorded as held")
            return redirect("tracker_meetings:detail", pk=meeting.pk)
    return _form_page(
        request,
        form,
        title="Record the meeting as held",
        caption=str(meeting),
        back_url=reverse("tracker_meetings:detail", args=[meeting.pk]),
        back_label="Back to the meeting",
    )


@allow(ITEM_RECORDERS)
def item_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the note, decisions, review date and (legal staff) legal advice for one case.

    A legal adviser, who writes legal advice only, gets the advice field alone.
    """
    from accounts.scopes import can_record_legal_advice, can_see_legal_advice

    user = _user(request)
    item = _item(request, pk)
    advice_only = not user.has_role(*RECORDERS)
    if advice_only and not can_record_legal_advice(user, item.episode.family):
        raise PermissionDenied("You can read this meeting but not record in it.")
    legal = can_see_legal_advice(user, item.episode.family)
    initial = {
        "version": item.version,
        "note": item.note,
        "decisions": item.decisions,
        "review_on": item.review_on,
        "legal_advice": item.legal_advice,
    }
    form = AgendaItemForm(data=request.POST or None, initial=initial, legal=legal, advice_only=advice_only)
    if request.method == "POST" and form.is_valid():
        d = {**initial, **form.cleaned_data}
        try:
            services.agenda_item_record(
                item=item,
                expected_version=d["version"],
                note=d["note"],
                decisions=d["decisions"],
                review_on=d["review_on"],
                legal_advice=d["legal_advice"] if legal else None,
                by=user,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Notes saved for {item.episode.family.reference}")
            return redirect(reverse("tracker_meetings:detail", args=[item.meeting_id]) + f"#item-{item.pk}")
    return _form_page(
        request,
        form,
        title=f"{'Legal advice' if advice_only else 'Notes and decisions'}: {item.episode.family.name}",
        caption=str(item.meeting),
        legal_advice=legal,
        back_url=reverse("tracker_meetings:detail", args=[item.meeting_id]) + f"#item-{item.pk}",
        back_label="Back to the meeting",
    )


@allow(RECORDERS)
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Set an action for one case, with an owner and a due date."""
    item = _item(request, pk)
    form = once_form(ActionForm)(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            create_once(
                token=d[ONCE_FIELD],
                by=_user(request),
                create=lambda: services.meeting_action_add(
                    item=item, description=d["description"], owner=d["owner"], due_on=d["due_on"], by=_user(request)
                ),
            )
        except AlreadySaved:
            messages.info(request, ALREADY_SAVED)
            return redirect(reverse("tracker_meetings:detail", args=[item.meeting_id]) + f"#item-{item.pk}")
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Action added for {item.episode.family.reference}")
            return redirect(reverse("tracker_meetings:detail", args=[item.meeting_id]) + f"#item-{item.pk}")
    return _form_page(
        request,
        form,
        title=f"Add an action: {item.episode.family.name}",
        caption=str(item.meeting),
        intro="The action is a deadline on the case: its owner is alerted when it is due soon and when it is "
        "overdue, and it comes back to each meeting until it is done.",
        back_url=reverse("tracker_meetings:detail", args=[item.meeting_id]) + f"#item-{item.pk}",
        back_label="Back to the meeting",
    )


@allow(CASE_WRITERS)
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an action done: its owner, or the meeting's staff."""
    user = _user(request)
    action = _action(request, pk)
    if action.owner_id != user.pk and not user.has_role(*RECORDERS):
        raise PermissionDenied("Only the action's owner or the meeting's staff can mark it done.")
    form = ActionDoneForm(data=request.POST or None, initial={"completed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.meeting_action_complete(
                action=action, completed_on=d["completed_on"], note=d["note"], by=user, calendar=calendar_current()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "The action is marked done")
            if user.has_role(*RECORDERS):
                return redirect("tracker_meetings:detail", pk=action.item.meeting_id)
            return redirect("home")
    return _form_page(
        request,
        form,
        title="Mark an action done",
        caption=f"{action.item.episode.family.name} ({action.item.episode.family.reference})",
        intro=f"{action.description} (owner: {action.owner.get_full_name() or action.owner.username}, "
        f"due by {action.due_on:%-d %B %Y}).",
        back_url=reverse("home"),
        back_label="Back",
    )


@allow(TRACKER_ROLES)
@require_safe
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting's minutes on one printable page; legal advice only for those who may read it."""
    user = _user(request)
    meeting = _meeting(request, pk)
    today = timezone.localdate()
    page = selectors.meeting_page(user=user, meeting=meeting, today=today, calendar=calendar_current())
    return render(
        request,
        "tracker_meetings/minutes.html",
        {"page": page, "meeting": meeting, "today": today, "printed_at": timezone.now()},
    )


@allow(RECORDERS)
def minutes_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the minutes step by step: drafted (by), approved (by), circulated (to which staff)."""
    from meetings.services import MINUTES_STEP_FIELDS

    meeting = _meeting(request, pk)
    initial: dict[str, Any] = {
        "version": meeting.version,
        **{f: getattr(meeting, f) for f in MINUTES_STEP_FIELDS},
        "minutes_recipients": list(meeting.minutes_recipients.all()),
    }
    form = TrackerMinutesForm(data=request.POST or None, initial=initial)
    back = reverse("tracker_meetings:detail", args=[meeting.pk]) + "#minutes"
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.tracker_meeting_minutes_record(
                meeting=meeting,
                expected_version=d["version"],
                by=_user(request),
                recipients=d["minutes_recipients"],
                **{f: d[f] for f in MINUTES_STEP_FIELDS},
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "The minutes have been saved")
            return redirect(back)
    held = f" held on {meeting.held_on:%-d %B %Y}" if meeting.held_on else ""
    return _form_page(
        request,
        form,
        title=f"Minutes: {meeting.get_kind_display().lower()}{held}",
        caption=str(meeting),
        intro="Record each step when it happens: who drafted the minutes, who approved them, and which staff "
        "they were sent to. Until they are approved the printed minutes are marked DRAFT.",
        back_url=back,
        back_label="Back to the meeting",
    )
