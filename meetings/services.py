"""Writes for LPM requests and panels, legal advice, pre-proceedings meetings and permanency planning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from accounts.models import User
from accounts.roles import (
    ADVICE_ROLES,
    DECIDE_ROLES,
    LPM_ROLES,
    MEETING_ROLES,
    PPM_ROLES,
    PREPARE_ROLES,
    REQUEST_ROLES,
    Role,
)
from accounts.scopes import authorize
from cases import services as case_services
from cases.models import Child, EndOutcome, Episode, Family, Stage
from cases.services import _save_new, _today, lock_episode, not_before, not_in_future, raise_if
from deadlines.services import deadlines_recompute, non_working_day_error, policy_for, review_points
from plo_tracker.text import clean_text
from plo_tracker.versioning import save_versioned

from .models import (
    LPM,
    DocumentKind,
    DocumentState,
    LegalAdvice,
    LPMKind,
    LPMOutcome,
    LPMRequest,
    LPMRequestDocument,
    LPMRequestPreparation,
    Meeting,
    MeetingKind,
    PermanencyPlanningMeeting,
    Recommendation,
    RequestStatus,
)

MAX_DEFERRAL = dt.timedelta(weeks=2)  # 002 §6b: deferment no longer than two weeks


# --- LPM requests ----------------------------------------------------------------------------


def _document_errors(errors: dict[str, list[str]], documents: Mapping[str, tuple[str, str]]) -> None:
    for kind, (state, note) in documents.items():
        if state == DocumentState.NOT_APPLICABLE and not note.strip():
            errors[f"doc_{kind}_note"] = [f"Say why the {DocumentKind(kind).label.lower()} is not applicable"]


def lpm_request_in_preparation(family: Family) -> LPMRequestPreparation | None:
    """The LPM request being prepared for this family, not yet made by a manager (or None)."""
    return (
        LPMRequestPreparation.objects.select_related("prepared_by").filter(family=family, request__isnull=True).first()
    )


@transaction.atomic
def lpm_request_prepare(
    *,
    family: Family,
    recommendation: str,
    concerns: str,
    documents: Mapping[str, tuple[str, str]],
    by: User,
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> LPMRequestPreparation:
    """A social worker prepares (or changes) the LPM request: the summary of concerns and the papers
    (002 §4 a–e); the team manager then reviews it and makes the request (``lpm_request_create``)."""
    authorize(by, PREPARE_ROLES, family)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if family.episodes.filter(ended_on__isnull=True).exists():
        errors["__all__"] = ["This family already has an open LPM or pre-proceedings: there is no request to prepare"]
    if recommendation not in Recommendation.values:
        errors["recommendation"] = ["Choose what you are recommending"]
    if not concerns.strip():
        errors["concerns"] = ["Summarise the concerns that mean an LPM is needed"]
    _document_errors(errors, documents)
    raise_if(errors)
    values = {
        "recommendation": recommendation,
        "concerns": clean_text(concerns.strip()),
        "documents": {kind: [state, clean_text(note.strip())] for kind, (state, note) in documents.items()},
        "prepared_by": by,
        "prepared_on": today,
    }
    current = LPMRequestPreparation.objects.select_for_update().filter(family=family, request__isnull=True).first()
    if current is None:
        return _save_new(LPMRequestPreparation(family=family, **values))
    return save_versioned(current, expected_version=expected_version, changes=values)


@transaction.atomic
def lpm_request_create(
    *,
    family: Family,
    requested_on: dt.date,
    recommendation: str,
    concerns: str,
    documents: Mapping[str, tuple[str, str]],
    by: User,
    children: Iterable[Child] | None = None,
    today: dt.date | None = None,
) -> LPMRequest:
    """A team manager requests an LPM with the document checklist (002 §4, 004); opens the episode."""
    authorize(by, REQUEST_ROLES, family)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if not by.has_role(Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.HEAD_OF_SERVICE):
        errors["__all__"] = ["Only a team manager (or a more senior manager) can request an LPM"]
    not_in_future(errors, "requested_on", requested_on, today, "Date requested")
    if not concerns.strip():
        errors["concerns"] = ["Summarise the concerns that mean an LPM is needed"]
    _document_errors(errors, documents)
    swet_state = documents.get(DocumentKind.SWET, (DocumentState.MISSING, ""))[0]
    if recommendation == Recommendation.ISSUE and swet_state != DocumentState.PRESENT:
        errors[f"doc_{DocumentKind.SWET}_state"] = [
            "Add a draft SWET to the papers when you recommend care proceedings"
        ]
    # The request a social worker prepared, if any: the team manager's request is made from it.
    prepared = LPMRequestPreparation.objects.select_for_update().filter(family=family, request__isnull=True).first()
    if prepared is not None and requested_on < prepared.prepared_on:
        errors.setdefault("requested_on", []).append(
            f"The request ({requested_on:%d/%m/%Y}) cannot be made before it was prepared "
            f"({prepared.prepared_on:%d/%m/%Y}); enter the date you made it"
        )
    raise_if(errors)
    episode = case_services.episode_open(family=family, started_on=requested_on, by=by, children=children)
    request = _save_new(
        LPMRequest(
            episode=episode,
            requested_by=by,
            requested_on=requested_on,
            recommendation=recommendation,
            concerns=concerns.strip(),
            prepared_by=None if prepared is None else prepared.prepared_by,
            prepared_on=None if prepared is None else prepared.prepared_on,
        )
    )
    if prepared is not None:
        save_versioned(prepared, expected_version=None, changes={"request": request})
    # bulk_create sends no pre_save: the notes are cleaned of hidden characters here (plo_tracker.text).
    LPMRequestDocument.objects.bulk_create(
        LPMRequestDocument(request=request, kind=kind, state=state, note=clean_text(note.strip()))
        for kind, (state, note) in documents.items()
    )
    deadlines_recompute(episode=episode, today=today)
    return request


@transaction.atomic
def lpm_request_documents_update(
    *, request: LPMRequest, documents: Mapping[str, tuple[str, str]], by: User, today: dt.date | None = None
) -> LPMRequest:
    """Update the document checklist (for example after a deferral for better papers)."""
    authorize(by, REQUEST_ROLES, request.episode.family)
    errors: dict[str, list[str]] = {}
    for kind, (state, note) in documents.items():
        if state == DocumentState.NOT_APPLICABLE and not note.strip():
            errors[f"doc_{kind}_note"] = [f"Say why the {DocumentKind(kind).label.lower()} is not applicable"]
    raise_if(errors)
    for kind, (state, note) in documents.items():
        LPMRequestDocument.objects.update_or_create(
            request=request, kind=kind, defaults={"state": state, "note": note.strip()}
        )
    return save_versioned(request, expected_version=None, changes={})


@transaction.atomic
def lpm_request_decide(
    *,
    request: LPMRequest,
    expected_version: int | None,
    status: str,
    decided_on: dt.date,
    note: str = "",
    deferred_until: dt.date | None = None,
    by: User,
    today: dt.date | None = None,
) -> LPMRequest:
    """The head of service approves, defers (up to 2 weeks, 002 §6b) or declines an LPM request."""
    authorize(by, DECIDE_ROLES, request.episode.family)
    request = LPMRequest.objects.select_for_update().get(pk=request.pk)  # fresh: decide on what is saved
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if not by.has_role(Role.HEAD_OF_SERVICE):
        errors["__all__"] = ["Only a head of service can decide on an LPM request"]
    if status not in (RequestStatus.APPROVED, RequestStatus.DEFERRED, RequestStatus.DECLINED):
        errors["status"] = ["Choose whether to approve, defer or decline the request"]
    not_in_future(errors, "decided_on", decided_on, today, "Date of the decision")
    not_before(
        errors, "decided_on", decided_on, request.requested_on, "Date of the decision", "the date the LPM was requested"
    )
    if status == RequestStatus.DEFERRED:
        if deferred_until is None:
            errors["deferred_until"] = ["Enter the date the decision is deferred until"]
        elif deferred_until <= decided_on:
            errors["deferred_until"] = ["The deferral must end after the date of the decision"]
        elif deferred_until > decided_on + MAX_DEFERRAL:
            errors["deferred_until"] = ["A decision can be deferred for no longer than 2 weeks"]  # 002 §6b
        elif problem := non_working_day_error(deferred_until):
            # The decision falls due that day: it must be a day the head of service is at work.
            errors["deferred_until"] = [problem]
    if status in (RequestStatus.DEFERRED, RequestStatus.DECLINED) and not note.strip():
        errors["note"] = ["Say what is needed, or why the request is declined"]
    raise_if(errors)
    request = save_versioned(
        request,
        expected_version=expected_version,
        changes={
            "status": status,
            "decided_on": decided_on,
            "decided_by": by,
            "decision_note": note.strip(),
            # A deferral stays on record after the later decision: it moved the deadline (002 §6b).
            "deferred_until": deferred_until if status == RequestStatus.DEFERRED else request.deferred_until,
        },
    )
    episode = request.episode
    if status == RequestStatus.DECLINED:
        save_versioned(
            episode,
            expected_version=None,
            changes={
                "ended_on": decided_on,
                "end_outcome": EndOutcome.NFA,
                "end_decision_date": decided_on,
                "stage": Stage.ENDED,
                "end_reason": "LPM request not approved",
            },
        )
    deadlines_recompute(episode=episode, today=today)
    return request


# --- LPMs / legal gateway panels -------------------------------------------------------------


def _review_point_errors(
    errors: dict[str, list[str]], episode: Episode, kind: str, review_point: int | None, lpm: LPM | None = None
) -> None:
    """A review point is one of the policy's review LPMs, and only one LPM is held for each."""
    if review_point is None:
        return
    if kind != LPMKind.REVIEW:
        errors.setdefault("review_point", []).append("Only a legal gateway review is held for a review point")
        return
    points = review_points(policy_for(episode))
    if review_point not in points:
        errors.setdefault("review_point", []).append("Choose one of the review points the policy sets")
        return
    taken = episode.lpms.filter(review_point=review_point)
    if lpm is not None:
        taken = taken.exclude(pk=lpm.pk)
    other = taken.first()
    if other is not None:
        errors.setdefault("review_point", []).append(
            f"The {points[review_point][:1].lower()}{points[review_point][1:]} is already recorded for this family "
            f"(panel {other.panel_date:%d/%m/%Y}): choose another review point, or an extra review"
        )


def _review_order_errors(errors: dict[str, list[str]], lpm: LPM, held_on: dt.date) -> None:
    """A later review point is not held before an earlier one (week 20 before week 12)."""
    if lpm.review_point is None:
        return
    points = review_points(policy_for(lpm.episode))
    for other in lpm.episode.lpms.filter(review_point__isnull=False, held_on__isnull=False).exclude(pk=lpm.pk):
        if other.review_point is None or other.held_on is None:  # filtered out above; for the type checker
            continue
        label = points.get(other.review_point, f"review {other.review_point}")
        what = f"the {label[:1].lower()}{label[1:]}"
        if other.review_point < lpm.review_point and held_on < other.held_on:
            not_before(errors, "held_on", held_on, other.held_on, "Date held", what)
        elif other.review_point > lpm.review_point and held_on > other.held_on:
            errors.setdefault("held_on", []).append(
                f"Date held must be on or before {what} ({other.held_on:%d/%m/%Y}), which comes later in the process"
            )


@transaction.atomic
def lpm_list(
    *,
    episode: Episode,
    panel_date: dt.date,
    kind: str = LPMKind.INITIAL,
    review_point: int | None = None,
    by: User,
    today: dt.date | None = None,
) -> LPM:
    """List the case at a panel date (initial LPM, further LPM after deferral, or gateway review)."""
    authorize(by, LPM_ROLES, episode.family)
    episode = lock_episode(episode)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    request = LPMRequest.objects.filter(episode=episode).first()
    if kind == LPMKind.INITIAL:
        if request is None or request.status != RequestStatus.APPROVED:
            errors["__all__"] = ["The head of service must approve the LPM request before it is listed"]
        elif episode.lpms.filter(kind=LPMKind.INITIAL).exists():
            errors["__all__"] = ["This episode already has an LPM listed; list a further LPM or a review instead"]
        else:
            not_before(
                errors, "panel_date", panel_date, request.decided_on, "Panel date", "the approval of the request"
            )
    elif kind == LPMKind.FURTHER:
        if not episode.lpms.filter(outcome=LPMOutcome.DEFER).exists():
            errors["kind"] = ["A further LPM follows an LPM that deferred its decision"]
    elif kind == LPMKind.REVIEW:
        if episode.decision_date is None:
            errors["kind"] = ["A legal gateway review is for a family already in pre-proceedings"]
        not_before(
            errors, "panel_date", panel_date, episode.decision_date, "Panel date", "the start of pre-proceedings"
        )
    _review_point_errors(errors, episode, kind, review_point)
    if "panel_date" not in errors and (problem := non_working_day_error(panel_date)):
        errors["panel_date"] = [problem]
    if not episode.is_open:
        errors["__all__"] = ["This episode has ended"]
    raise_if(errors)
    lpm = _save_new(LPM(episode=episode, kind=kind, panel_date=panel_date, review_point=review_point))
    deadlines_recompute(episode=episode, today=today)
    return lpm


@transaction.atomic
def lpm_update(
    *, lpm: LPM, expected_version: int | None, by: User, today: dt.date | None = None, **changes: Any
) -> LPM:
    """Change the panel date, the date papers went out, or the date minutes were circulated."""
    authorize(by, LPM_ROLES, lpm.episode.family)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    merged = {
        "panel_date": lpm.panel_date,
        "papers_submitted_on": lpm.papers_submitted_on,
        "minutes_circulated_on": lpm.minutes_circulated_on,
        **changes,
    }
    not_in_future(errors, "papers_submitted_on", merged["papers_submitted_on"], today, "Date papers were sent")
    not_in_future(
        errors, "minutes_circulated_on", merged["minutes_circulated_on"], today, "Date minutes were circulated"
    )
    not_before(
        errors,
        "minutes_circulated_on",
        merged["minutes_circulated_on"],
        lpm.held_on,
        "Date minutes were circulated",
        "the meeting",
    )
    if merged["minutes_circulated_on"] and lpm.held_on is None:
        errors.setdefault("minutes_circulated_on", []).append("Record the meeting's outcome first")
    if "review_point" in changes:
        _review_point_errors(errors, lpm.episode, lpm.kind, changes["review_point"], lpm)
        if not errors and lpm.held_on is not None:
            lpm.review_point = changes["review_point"]
            _review_order_errors(errors, lpm, lpm.held_on)
    raise_if(errors)
    lpm = save_versioned(lpm, expected_version=expected_version, changes=changes)
    deadlines_recompute(episode=lpm.episode, today=today)
    return lpm


_OUTCOMES_BY_KIND = {
    LPMKind.INITIAL: {LPMOutcome.INITIATE, LPMOutcome.ISSUE, LPMOutcome.DEFER, LPMOutcome.NFA},
    LPMKind.FURTHER: {LPMOutcome.INITIATE, LPMOutcome.ISSUE, LPMOutcome.DEFER, LPMOutcome.NFA},
    LPMKind.REVIEW: {LPMOutcome.CONTINUE, LPMOutcome.STEP_DOWN, LPMOutcome.ISSUE},
}


@transaction.atomic
def lpm_record_outcome(
    *,
    lpm: LPM,
    expected_version: int | None,
    held_on: dt.date,
    outcome: str,
    chair: User | None,
    outcome_recorded_on: dt.date | None = None,
    by: User,
    today: dt.date | None = None,
) -> LPM:
    """Record an LPM's outcome (002 §9): initiate, issue, defer or NFA; or a review's decision."""
    authorize(by, LPM_ROLES, lpm.episode.family)
    today = _today(today)
    episode = lock_episode(lpm.episode)
    errors: dict[str, list[str]] = {}
    if outcome not in _OUTCOMES_BY_KIND[LPMKind(lpm.kind)]:
        errors["outcome"] = ["Choose an outcome this meeting can decide"]
    not_in_future(errors, "held_on", held_on, today, "Date held")
    not_in_future(errors, "outcome_recorded_on", outcome_recorded_on, today, "Date the outcome was recorded")
    not_before(
        errors, "outcome_recorded_on", outcome_recorded_on, held_on, "Date the outcome was recorded", "the meeting"
    )
    request = LPMRequest.objects.filter(episode=episode).first()
    if lpm.kind != LPMKind.REVIEW and request is not None:
        not_before(
            errors,
            "held_on",
            held_on,
            request.decided_on or request.requested_on,
            "Date held",
            "the approval of the request",
        )
    if lpm.kind == LPMKind.REVIEW:
        not_before(errors, "held_on", held_on, episode.decision_date, "Date held", "the start of pre-proceedings")
        _review_order_errors(errors, lpm, held_on)
    if lpm.outcome and lpm.outcome != outcome and lpm.kind != LPMKind.REVIEW:
        errors.setdefault("outcome", []).append(
            "This LPM's outcome is already recorded; ask an administrator to correct it"
        )
    if not episode.is_open:
        errors["__all__"] = ["This episode has ended"]
    raise_if(errors)
    lpm = save_versioned(
        lpm,
        expected_version=expected_version,
        changes={
            "held_on": held_on,
            "outcome": outcome,
            "chair": chair,
            "outcome_recorded_on": outcome_recorded_on,
        },
    )
    if outcome == LPMOutcome.INITIATE:
        case_services.pre_proceedings_start(episode=episode, decision_date=held_on, by=by)
    elif outcome == LPMOutcome.ISSUE:
        if lpm.kind != LPMKind.REVIEW:
            save_versioned(episode, expected_version=None, changes={"decision_date": None})
        case_services.proceedings_decide(episode=episode, issue_decision_on=held_on, by=by, today=today)
    elif outcome == LPMOutcome.NFA:
        save_versioned(
            episode,
            expected_version=None,
            changes={
                "ended_on": held_on,
                "end_outcome": EndOutcome.NFA,
                "end_decision_date": held_on,
                "stage": Stage.ENDED,
                "end_reason": "LPM decided no further action",
            },
        )
    deadlines_recompute(episode=lpm.episode, today=today)
    return lpm


@transaction.atomic
def legal_advice_record(
    *,
    lpm: LPM,
    advice: str,
    minutes: str = "",
    by: User,
    expected_version: int | None = None,
    sent_to_head_of_service_on: dt.date | None = None,
    today: dt.date | None = None,
) -> LegalAdvice:
    """Record the privileged legal advice and LPM minutes (legal advisers and heads of service only),
    and the date the written record went to the head of service (002 App. 2: within 5 working days)."""
    authorize(by, ADVICE_ROLES, lpm.episode.family)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if not by.has_role(Role.LEGAL_ADVISER, Role.HEAD_OF_SERVICE):
        errors["__all__"] = ["Only a legal adviser or head of service can record legal advice"]
    if not advice.strip():
        errors["advice"] = ["Enter the legal advice"]
    sent = sent_to_head_of_service_on
    what = "The date the record was sent to the head of service"
    not_in_future(errors, "sent_to_head_of_service_on", sent, today, what)
    if sent is not None and lpm.held_on is None:
        errors.setdefault("sent_to_head_of_service_on", []).append(
            "Record the date the LPM was held (its outcome) before the date the record was sent"
        )
    not_before(errors, "sent_to_head_of_service_on", sent, lpm.held_on, what, "the LPM")
    raise_if(errors)
    existing = LegalAdvice.objects.filter(lpm=lpm).first()
    fields = {"advice": advice.strip(), "minutes": minutes.strip(), "sent_to_head_of_service_on": sent}
    if existing is None:
        saved = _save_new(LegalAdvice(lpm=lpm, recorded_by=by, **fields))
    else:
        saved = save_versioned(existing, expected_version=expected_version, changes={**fields, "recorded_by": by})
    deadlines_recompute(episode=lpm.episode, today=today)
    return saved


# --- Pre-proceedings meetings ----------------------------------------------------------------


def _meeting_errors(
    episode: Episode, kind: str, fields: Mapping[str, Any], today: dt.date, meeting: Meeting | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if episode.decision_date is None:
        errors["__all__"] = ["Pre-proceedings have not started for this family"]
        return errors
    _meeting_date_errors(errors, episode, fields, today, meeting)
    _meeting_order_errors(errors, episode, kind, fields.get("held_on"))
    _minutes_order_errors(errors, fields)
    if kind in (MeetingKind.INITIAL, MeetingKind.FINAL):
        duplicate = episode.meetings.filter(kind=kind)
        if meeting is not None:
            duplicate = duplicate.exclude(pk=meeting.pk)
        if duplicate.exists():
            errors.setdefault("kind", []).append(f"This family already has an {MeetingKind(kind).label.lower()}")
    return errors


def _meeting_date_errors(
    errors: dict[str, list[str]], episode: Episode, fields: Mapping[str, Any], today: dt.date, meeting: Meeting | None
) -> None:
    """A booked or held date is given; none is in the future or before pre-proceedings started;
    a newly booked date is a working day."""
    held_on = fields.get("held_on")
    if fields.get("held_on") is None and fields.get("scheduled_for") is None:
        errors["scheduled_for"] = ["Enter the date the meeting is booked for, or the date it was held"]
    not_in_future(errors, "held_on", held_on, today, "Date held")
    for field, what in (
        ("minutes_drafted_on", "Date minutes were drafted"),
        ("minutes_approved_on", "Date minutes were approved"),
        ("minutes_circulated_on", "Date minutes were circulated"),
    ):
        not_in_future(errors, field, fields.get(field), today, what)
    not_before(errors, "held_on", held_on, episode.decision_date, "Date held", "the start of pre-proceedings")
    not_before(
        errors,
        "scheduled_for",
        fields.get("scheduled_for"),
        episode.decision_date,
        "Date booked",
        "the start of pre-proceedings",
    )
    booked = fields.get("scheduled_for")
    # A meeting is booked for a day people are at work (a date kept from before is left alone).
    if (
        booked is not None
        and (meeting is None or booked != meeting.scheduled_for)
        and (problem := non_working_day_error(booked))
    ):
        errors.setdefault("scheduled_for", []).append(problem)


def _meeting_order_errors(errors: dict[str, list[str]], episode: Episode, kind: str, held_on: dt.date | None) -> None:
    """The initial meeting follows the letter before proceedings and the proposed agreement going
    to legal; review and final meetings follow the initial meeting."""
    if held_on is None:
        return
    if kind == MeetingKind.INITIAL:
        deliveries = list(episode.letter_deliveries.all())
        if not deliveries:
            errors.setdefault("held_on", []).append(
                "Record the letter before proceedings being delivered before the initial meeting"
            )
        else:
            first = min(d.delivered_on for d in deliveries)
            not_before(errors, "held_on", held_on, first, "Date held", "the letter before proceedings was delivered")
        agreement = episode.proposed_agreement_to_legal_on
        if agreement is not None:
            not_before(
                errors,
                "held_on",
                held_on,
                agreement,
                "Date held",
                "the proposed agreement was sent to legal for comment",
            )
    if kind in (MeetingKind.REVIEW, MeetingKind.FINAL):
        initial = episode.meetings.filter(kind=MeetingKind.INITIAL, held_on__isnull=False).first()
        if initial is None:
            errors.setdefault("held_on", []).append("Record the initial meeting first")
        else:
            not_before(errors, "held_on", held_on, initial.held_on, "Date held", "the initial meeting")


def _minutes_order_errors(errors: dict[str, list[str]], fields: Mapping[str, Any]) -> None:
    """Minutes are drafted after the meeting, approved after drafting, circulated after approval."""
    held_on = fields.get("held_on")
    drafted, approved, circulated = (
        fields.get("minutes_drafted_on"),
        fields.get("minutes_approved_on"),
        fields.get("minutes_circulated_on"),
    )
    if drafted and not held_on:
        errors.setdefault("minutes_drafted_on", []).append("Enter the date the meeting was held first")
    not_before(errors, "minutes_drafted_on", drafted, held_on, "Date minutes were drafted", "the meeting")
    if approved and not drafted:
        errors.setdefault("minutes_drafted_on", []).append("Enter the date the minutes were drafted")
    not_before(
        errors, "minutes_approved_on", approved, drafted, "Date minutes were approved", "the date they were drafted"
    )
    if circulated and not approved:
        errors.setdefault("minutes_approved_on", []).append("Enter the date the minutes were approved")
    not_before(
        errors,
        "minutes_circulated_on",
        circulated,
        approved,
        "Date minutes were circulated",
        "the date they were approved",
    )


@transaction.atomic
def meeting_record(*, episode: Episode, kind: str, by: User, today: dt.date | None = None, **fields: Any) -> Meeting:
    """Book or record a pre-proceedings meeting (initial, review or final) and its minutes."""
    authorize(by, MEETING_ROLES, episode.family)
    episode = lock_episode(episode)
    today = _today(today)
    raise_if(_meeting_errors(episode, kind, fields, today))
    if fields.get("minutes_approved_on") and not fields.get("minutes_approved_by"):
        fields["minutes_approved_by"] = by
    meeting = _save_new(Meeting(episode=episode, kind=kind, **fields))
    deadlines_recompute(episode=episode, today=today)
    return meeting


@transaction.atomic
def meeting_update(
    *, meeting: Meeting, expected_version: int | None, by: User, today: dt.date | None = None, **changes: Any
) -> Meeting:
    """Change a meeting's dates, attendees or minutes workflow (stale copies are refused)."""
    authorize(by, MEETING_ROLES, meeting.episode.family)
    today = _today(today)
    merged = {f.name: getattr(meeting, f.name) for f in Meeting._meta.concrete_fields}
    merged.update(changes)
    raise_if(_meeting_errors(lock_episode(meeting.episode), meeting.kind, merged, today, meeting=meeting))
    if changes.get("minutes_approved_on") and not meeting.minutes_approved_on:
        changes["minutes_approved_by"] = by
    meeting = save_versioned(meeting, expected_version=expected_version, changes=changes)
    deadlines_recompute(episode=meeting.episode, today=today)
    return meeting


# --- Minutes of any meeting -------------------------------------------------------------------

MinutedRecord = LPM | Meeting | PermanencyPlanningMeeting
MINUTES_FIELDS = (
    "minutes_drafted_on",
    "minutes_drafted_by",
    "minutes_approved_on",
    "minutes_approved_by",
    "minutes_circulated_on",
    "minutes_circulated_to",
)
# The steps every meeting's minutes share; who they went to is kept per kind of meeting.
MINUTES_STEP_FIELDS = MINUTES_FIELDS[:5]


def minutes_step_errors(
    *,
    held: dt.date | None,
    drafted: dt.date | None,
    approved: dt.date | None,
    circulated: dt.date | None,
    today: dt.date,
) -> dict[str, list[str]]:
    """What every meeting's minutes must respect, whatever the meeting: drafted after the meeting
    was held, approved after drafted, circulated after approved, each step after the one before
    and none in the future. Errors are keyed by the field they belong beside."""
    errors: dict[str, list[str]] = {}
    if held is None and drafted:
        errors.setdefault("minutes_drafted_on", []).append("Record the date the meeting was held first")
    for field, value, what in (
        ("minutes_drafted_on", drafted, "The date the minutes were drafted"),
        ("minutes_approved_on", approved, "The date the minutes were approved"),
        ("minutes_circulated_on", circulated, "The date the minutes were circulated"),
    ):
        not_in_future(errors, field, value, today, what)
    not_before(errors, "minutes_drafted_on", drafted, held, "The date the minutes were drafted", "the meeting")
    not_before(
        errors, "minutes_approved_on", approved, drafted, "The date the minutes were approved", "the date drafted"
    )
    not_before(
        errors,
        "minutes_circulated_on",
        circulated,
        approved,
        "The date the minutes were circulated",
        "the date approved",
    )
    if approved and not drafted:
        errors.setdefault("minutes_drafted_on", []).append("Enter the date the minutes were drafted before approval")
    if circulated and not approved:
        errors.setdefault("minutes_approved_on", []).append(
            "Enter the date the minutes were approved before they went out"
        )
    return errors


def minutes_people(merged: dict[str, Any], by: User) -> None:
    """Whoever saves a step without naming someone else is recorded as its author or approver; a
    step taken back (its date cleared) forgets who did it."""
    if merged["minutes_drafted_on"] and not merged["minutes_drafted_by"]:
        merged["minutes_drafted_by"] = by
    if merged["minutes_approved_on"] and not merged["minutes_approved_by"]:
        merged["minutes_approved_by"] = by
    if not merged["minutes_drafted_on"]:
        merged["minutes_drafted_by"] = None
    if not merged["minutes_approved_on"]:
        merged["minutes_approved_by"] = None


@transaction.atomic
def minutes_record(
    *,
    record: MinutedRecord,
    expected_version: int | None,
    by: User,
    today: dt.date | None = None,
    **changes: Any,
) -> MinutedRecord:
    """Record the minutes of a meeting step by step: drafted (by), approved (by), circulated (to).

    Each step needs the one before it; dates are in order and not in the future. Whoever saves
    a step without naming someone else is recorded as its author or approver. The episode's
    deadlines (draft_minutes, approved_minutes, lpm_minutes) are worked out again.
    """
    if isinstance(record, PermanencyPlanningMeeting):
        authorize(by, PPM_ROLES, record.family)
    else:
        authorize(by, LPM_ROLES if isinstance(record, LPM) else MEETING_ROLES, record.episode.family)
    today = _today(today)
    unknown = set(changes) - set(MINUTES_FIELDS)
    if unknown:
        raise TypeError(f"Not a minutes field: {sorted(unknown)}")
    merged = {f: getattr(record, f) for f in MINUTES_FIELDS}
    merged.update(changes)
    if merged["minutes_circulated_to"]:
        merged["minutes_circulated_to"] = merged["minutes_circulated_to"].strip()
    errors = minutes_step_errors(
        held=record.held_on,
        drafted=merged["minutes_drafted_on"],
        approved=merged["minutes_approved_on"],
        circulated=merged["minutes_circulated_on"],
        today=today,
    )
    circulated = merged["minutes_circulated_on"]
    if circulated and not merged["minutes_circulated_to"]:
        errors.setdefault("minutes_circulated_to", []).append("Enter who the minutes were sent to")
    if not circulated and merged["minutes_circulated_to"]:
        errors.setdefault("minutes_circulated_on", []).append("Enter the date the minutes were sent")
    raise_if(errors)
    minutes_people(merged, by)
    record = save_versioned(record, expected_version=expected_version, changes=merged)
    episode = getattr(record, "episode", None)
    if episode is not None:
        deadlines_recompute(episode=lock_episode(episode), today=today)
    return record


# --- Permanency planning ---------------------------------------------------------------------


@transaction.atomic
def permanency_meeting_record(
    *,
    family: Family,
    child: Child,
    organised_by: User,
    chair: User,
    held_on: dt.date,
    options_considered: list[str],
    preferred_option: str,
    parallel_plan: str = "",
    notes: str = "",
    next_review_on: dt.date | None = None,
    by: User,
    today: dt.date | None = None,
) -> PermanencyPlanningMeeting:
    """Record a permanency planning meeting (003): organised by the SW, chaired by a TM or SM."""
    authorize(by, PPM_ROLES, family)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if child.family_id != family.pk:
        errors["child"] = ["Choose a child in this family"]
    if not organised_by.has_role(Role.SOCIAL_WORKER):
        errors["organised_by"] = ["The meeting is organised by the child's social worker"]
    if not chair.has_role(Role.TEAM_MANAGER, Role.SERVICE_MANAGER):
        errors["chair"] = ["The meeting is chaired by a team manager or service manager"]
    not_in_future(errors, "held_on", held_on, today, "Date held")
    if not options_considered:
        errors["options_considered"] = ["Choose the permanence options the meeting considered"]
    elif preferred_option not in options_considered:
        errors["preferred_option"] = ["The preferred plan must be one of the options considered"]
    if parallel_plan and parallel_plan == preferred_option:
        errors["parallel_plan"] = ["The parallel plan must differ from the preferred plan"]
    if next_review_on is not None and next_review_on <= held_on:
        errors["next_review_on"] = ["The next review must be after the meeting"]
    raise_if(errors)
    return _save_new(
        PermanencyPlanningMeeting(
            family=family,
            child=child,
            organised_by=organised_by,
            chair=chair,
            held_on=held_on,
            options_considered=options_considered,
            preferred_option=preferred_option,
            parallel_plan=parallel_plan,
            notes=notes,
            next_review_on=next_review_on,
        )
    )
