"""Step pages for LPM requests and panels, legal advice, meetings and permanency planning."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from django.urls import reverse
from django.utils import timezone

from accounts import scopes
from accounts.access import allow
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
from cases.scopes import episodes_visible_to, families_visible_to
from meetings.scopes import (
    lpm_requests_visible_to,
    lpms_visible_to,
    meetings_visible_to,
    permanency_meetings_visible_to,
)
from plo_tracker.stepview import StepView

from . import services
from .forms import (
    EXTRA_REVIEW,
    DecideForm,
    DocumentsForm,
    LegalAdviceForm,
    ListForm,
    LPMEditForm,
    LPMPrepareForm,
    LPMRequestForm,
    MeetingForm,
    MinutesForm,
    OutcomeForm,
    PermanencyForm,
)
from .models import LPMKind, MeetingKind, PermanencyPlanningMeeting

R = Role


def _checklist(preparation: Any) -> dict[str, tuple[str, str]]:
    return {kind: (state, note) for kind, (state, note) in (preparation.documents or {}).items()}


def _prepared_words(preparation: Any) -> str:
    return f"Prepared by {preparation.prepared_by} on {preparation.prepared_on:%-d %b %Y}"


class LPMRequestPrepare(StepView):
    """A social worker prepares the request for the team manager (002 §4 a–e)."""

    form_class = LPMPrepareForm
    title = "Prepare an LPM request"
    intro = (
        "Summarise the concerns and collate the papers the panel needs: the PLO summary, an up-to-date chronology, "
        "a genogram and the current assessment. Your team manager reviews them and makes the request to the head "
        "of service."
    )
    success_message = "The prepared LPM request has been sent to the team manager"

    scope = families_visible_to
    creates = True

    def after_resolve(self) -> None:
        self.preparation = services.lpm_request_in_preparation(self.family)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"current": _checklist(self.preparation) if self.preparation else None}

    def get_initial(self) -> dict[str, Any]:
        p = self.preparation
        if p is None:
            return {}
        return {"recommendation": p.recommendation, "concerns": p.concerns, "version": p.version}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if self.preparation is not None:
            kwargs.setdefault("intro", f"{_prepared_words(self.preparation)}. {self.intro}")
        return super().get_context_data(**kwargs)

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.lpm_request_prepare(
            family=self.family,
            recommendation=d["recommendation"],
            concerns=d["concerns"],
            documents=form.documents(),
            expected_version=d.get("version"),
            by=self.request.user,
        )


class LPMRequestCreate(StepView):
    form_class = LPMRequestForm
    creates_record = True
    title = "Request a legal planning meeting"
    intro = (
        "Send the request to the head of service with the papers the panel needs: the PLO summary, "
        "an up-to-date chronology, a genogram and the current assessment, and a draft SWET if you recommend "
        "issuing care proceedings."
    )
    success_message = "The LPM request has been sent to the head of service"

    scope = families_visible_to
    creates = True

    def after_resolve(self) -> None:
        self.preparation = services.lpm_request_in_preparation(self.family)

    def get_form_kwargs(self) -> dict[str, Any]:
        current = _checklist(self.preparation) if self.preparation else None
        return {"children": self.family.children.all(), "current": current}

    def get_initial(self) -> dict[str, Any]:
        p = self.preparation
        return {} if p is None else {"recommendation": p.recommendation, "concerns": p.concerns}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if self.preparation is not None:
            kwargs.setdefault(
                "intro",
                f"{_prepared_words(self.preparation)}. Review the summary and the papers, change what needs "
                "changing, and make the request to the head of service.",
            )
        return super().get_context_data(**kwargs)

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.lpm_request_create(
            family=self.family,
            requested_on=d["requested_on"],
            recommendation=d["recommendation"],
            concerns=d["concerns"],
            documents=form.documents(),
            children=d["children"],
            by=self.request.user,
        )


class RequestStep(StepView):
    scope = lpm_requests_visible_to
    family_path = "episode.family"


class LPMRequestDocuments(RequestStep):
    form_class = DocumentsForm
    title = "Update the document checklist"
    success_message = "The document checklist has been updated"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"current": {d.kind: (d.state, d.note) for d in self.obj.documents.all()}}

    def perform(self, form: Any) -> Any:
        return services.lpm_request_documents_update(request=self.obj, documents=form.documents(), by=self.request.user)


class LPMRequestDecide(RequestStep):
    form_class = DecideForm
    title = "Decide on the LPM request"
    success_message = "Your decision has been recorded"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        r = self.obj
        missing = [d.get_kind_display() for d in r.documents.all() if d.state == "missing"]
        prepared = f"Prepared by {r.prepared_by} on {r.prepared_on:%-d %b %Y}. " if r.prepared_by else ""
        intro = (
            prepared
            + f"Requested on {r.requested_on:%d %b %Y} by {r.requested_by}: {r.get_recommendation_display()}. "
            + (f"Missing papers: {', '.join(missing)}." if missing else "All papers are present or explained.")
        )
        return super().get_context_data(intro=intro, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.obj.version}

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.lpm_request_decide(
            request=self.obj,
            expected_version=d["version"],
            status=d["status"],
            decided_on=d["decided_on"],
            note=d["note"],
            deferred_until=d["deferred_until"],
            by=self.request.user,
        )


class LPMListing(StepView):
    form_class = ListForm
    creates_record = True
    success_message = "The case has been listed"

    scope = episodes_visible_to
    family_path = "family"

    def after_resolve(self) -> None:
        self.kind = self.request.GET.get("kind", LPMKind.INITIAL)
        if self.kind not in LPMKind.values:
            self.kind = LPMKind.INITIAL
        self.title = f"List the case: {LPMKind(self.kind).label.lower()}"
        self.points = review_point_choices(self.obj) if self.kind == LPMKind.REVIEW else None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"points": self.points.labels, "due": self.points.due} if self.points else {}

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if self.points:
            initial["review_point"] = self.points.nearest
        return initial

    def perform(self, form: Any) -> Any:
        point = form.cleaned_data.get("review_point") or None  # EXTRA_REVIEW (0): none of the points
        return services.lpm_list(
            episode=self.obj,
            panel_date=form.cleaned_data["panel_date"],
            kind=self.kind,
            review_point=point,
            by=self.request.user,
        )


@dataclass(frozen=True)
class ReviewPoints:
    """The policy's review LPMs for a form: labels, due dates, and the one to offer first."""

    labels: dict[int, str]
    due: dict[int, dt.date | None]
    nearest: int | None


def review_point_choices(episode: Any, lpm: Any = None) -> ReviewPoints | None:
    """The episode's review points, or None if its policy has none. The one offered first is the
    open review deadline nearest today that no other review LPM is held for; when editing, the
    LPM's own."""
    from deadlines.models import DeadlineState
    from deadlines.services import REVIEW_KEY, policy_for, review_points

    labels = review_points(policy_for(episode))
    if not labels:
        return None
    rows = list(episode.deadlines.filter(key=REVIEW_KEY))
    due = {d.occurrence: d.due_on or d.provisional_on for d in rows}
    taken = set(episode.lpms.exclude(pk=getattr(lpm, "pk", None)).values_list("review_point", flat=True))
    today = timezone.localdate()
    open_ones = [
        d for d in rows if d.state == DeadlineState.OPEN and d.occurrence in labels and d.occurrence not in taken
    ]
    dated = [d for d in open_ones if d.due_on or d.provisional_on]
    nearest = min(dated, key=lambda d: (abs(((d.due_on or d.provisional_on) - today).days), d.occurrence), default=None)
    chosen = (lpm.review_point if lpm.review_point is not None else EXTRA_REVIEW) if lpm is not None else None
    if chosen is None and nearest is not None:
        chosen = nearest.occurrence
    return ReviewPoints(labels, due, chosen)


class LPMStep(StepView):
    scope = lpms_visible_to
    family_path = "episode.family"


class LPMOutcomeRecord(LPMStep):
    form_class = OutcomeForm
    event_fields: ClassVar[dict[str, str]] = dict.fromkeys(
        ("lpm_held", "gateway_review", "issue_decision", "review_issue_decision"), "held_on"
    )
    success_message = "The outcome has been recorded and the deadlines worked out"

    @property
    def title(self) -> str:  # type: ignore[override]  # worked out per record, in place of the class's text
        return f"Record the outcome of the {self.obj.get_kind_display().lower()}"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"kind": self.obj.kind}

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.obj.version, "held_on": self.obj.held_on or self.obj.panel_date}

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.lpm_record_outcome(
            lpm=self.obj,
            expected_version=d["version"],
            held_on=d["held_on"],
            outcome=d["outcome"],
            chair=d["chair"],
            outcome_recorded_on=d["outcome_recorded_on"],
            by=self.request.user,
        )


class LPMEdit(LPMStep):
    form_class = LPMEditForm
    title = "Panel papers and minutes"
    success_message = "The panel dates have been saved"

    def after_resolve(self) -> None:
        self.points = review_point_choices(self.obj.episode, self.obj) if self.obj.kind == LPMKind.REVIEW else None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"points": self.points.labels, "due": self.points.due} if self.points else {}

    def get_initial(self) -> dict[str, Any]:
        o = self.obj
        initial = {
            "version": o.version,
            "panel_date": o.panel_date,
            "papers_submitted_on": o.papers_submitted_on,
            "minutes_circulated_on": o.minutes_circulated_on,
        }
        if self.points:
            initial["review_point"] = self.points.nearest
        return initial

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        changes = {
            "panel_date": d["panel_date"],
            "papers_submitted_on": d["papers_submitted_on"],
            "minutes_circulated_on": d["minutes_circulated_on"],
        }
        if self.points:
            changes["review_point"] = d["review_point"] or None  # EXTRA_REVIEW (0): none of the points
        return services.lpm_update(lpm=self.obj, expected_version=d["version"], by=self.request.user, **changes)


class LegalAdviceRecord(LPMStep):
    form_class = LegalAdviceForm
    title = "Legal advice and LPM minutes"
    legal_advice = True
    success_message = "The legal advice has been saved"

    def check_access(self) -> None:
        # Legal advisers and heads of service record advice on any family they can see; nobody
        # else may, whatever else they can do (and legal advisers write nothing else on a family).
        from django.core.exceptions import PermissionDenied

        if not scopes.can_record_legal_advice(self.request.user, self.family):
            raise PermissionDenied("Legal advice is privileged.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(legal_advice=True, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        advice = getattr(self.obj, "legal_advice", None)
        if advice is None:
            return {}
        return {
            "version": advice.version,
            "advice": advice.advice,
            "minutes": advice.minutes,
            "sent_to_head_of_service_on": advice.sent_to_head_of_service_on,
        }

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.legal_advice_record(
            lpm=self.obj,
            advice=d["advice"],
            minutes=d["minutes"],
            sent_to_head_of_service_on=d["sent_to_head_of_service_on"],
            by=self.request.user,
            expected_version=d["version"],
        )


_MEETING_FIELDS = ["scheduled_for", "held_on", "chair", "attendees", "plan_agreed"]


class MeetingAdd(StepView):
    form_class = MeetingForm
    event_fields: ClassVar[dict[str, str]] = dict.fromkeys(
        ("initial_meeting", "review_meeting", "final_meeting"), "held_on"
    )
    creates_record = True
    success_message = "The meeting has been saved"

    scope = episodes_visible_to
    family_path = "family"

    def after_resolve(self) -> None:
        self.kind = self.request.GET.get("kind", MeetingKind.REVIEW)
        if self.kind not in MeetingKind.values:
            self.kind = MeetingKind.REVIEW
        self.title = MeetingKind(self.kind).label

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def perform(self, form: Any) -> Any:
        d = {k: form.cleaned_data[k] for k in _MEETING_FIELDS if k in form.cleaned_data}
        return services.meeting_record(episode=self.obj, kind=self.kind, by=self.request.user, **d)


class MeetingEdit(StepView):
    form_class = MeetingForm
    event_fields: ClassVar[dict[str, str]] = dict.fromkeys(
        ("initial_meeting", "review_meeting", "final_meeting"), "held_on"
    )
    success_message = "The meeting has been updated"

    scope = meetings_visible_to
    family_path = "episode.family"

    def after_resolve(self) -> None:
        self.title = self.obj.get_kind_display()

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"kind": self.obj.kind}

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.obj.version, **{f: getattr(self.obj, f) for f in _MEETING_FIELDS}}

    def perform(self, form: Any) -> Any:
        d = {k: form.cleaned_data[k] for k in _MEETING_FIELDS if k in form.cleaned_data}
        return services.meeting_update(
            meeting=self.obj, expected_version=form.cleaned_data["version"], by=self.request.user, **d
        )


class MinutesEdit(StepView):
    """The minutes of one meeting of any kind: drafted (by), approved (by), circulated (to)."""

    form_class = MinutesForm
    success_message = "The minutes have been saved"
    scope = meetings_visible_to
    family_path = "episode.family"

    @property
    def title(self) -> str:  # type: ignore[override]  # worked out per record, in place of the class text
        held = f" held on {self.obj.held_on:%-d %b %Y}" if self.obj.held_on else ""
        name = (
            "Permanency planning meeting"
            if isinstance(self.obj, PermanencyPlanningMeeting)
            else self.obj.get_kind_display()
        )
        return f"Minutes: {name}{held}"

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.obj.version, **{f: getattr(self.obj, f) for f in services.MINUTES_FIELDS}}

    def perform(self, form: Any) -> Any:
        d = {k: form.cleaned_data[k] for k in services.MINUTES_FIELDS}
        return services.minutes_record(
            record=self.obj, expected_version=form.cleaned_data["version"], by=self.request.user, **d
        )


class LPMMinutesEdit(MinutesEdit):
    scope = lpms_visible_to


class PermanencyMinutesEdit(MinutesEdit):
    scope = permanency_meetings_visible_to
    family_path = "family"


class PermanencyAdd(StepView):
    form_class = PermanencyForm
    creates_record = True
    title = "Record a permanency planning meeting"
    intro = "For a child who may not be able to return home (003): record the options the meeting considered."
    success_message = "The permanency planning meeting has been recorded"

    scope = families_visible_to
    creates = True

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"children": self.family.children.all()}

    def get_initial(self) -> dict[str, Any]:
        return {"organised_by": self.family.social_worker_id, "chair": self.family.team_manager_id}

    def perform(self, form: Any) -> Any:
        d = dict(form.cleaned_data)
        d.pop("version", None)
        return services.permanency_meeting_record(family=self.family, by=self.request.user, **d)

    def get_success_url(self, result: Any) -> str:
        return reverse("cases:family-detail", args=[self.family.pk])


lpm_request = allow(REQUEST_ROLES)(LPMRequestCreate.as_view())
lpm_request_prepare = allow(PREPARE_ROLES)(LPMRequestPrepare.as_view())
lpm_request_documents = allow(REQUEST_ROLES)(LPMRequestDocuments.as_view())
lpm_request_decide = allow(DECIDE_ROLES)(LPMRequestDecide.as_view())
lpm_list = allow(LPM_ROLES)(LPMListing.as_view())
lpm_outcome = allow(LPM_ROLES)(LPMOutcomeRecord.as_view())
lpm_edit = allow(LPM_ROLES)(LPMEdit.as_view())
legal_advice = allow(ADVICE_ROLES)(LegalAdviceRecord.as_view())
meeting_add = allow(MEETING_ROLES)(MeetingAdd.as_view())
meeting_edit = allow(MEETING_ROLES)(MeetingEdit.as_view())
meeting_minutes = allow(MEETING_ROLES)(MinutesEdit.as_view())
lpm_minutes = allow(LPM_ROLES)(LPMMinutesEdit.as_view())
ppm_minutes = allow(PPM_ROLES)(PermanencyMinutesEdit.as_view())
ppm_add = allow(PPM_ROLES)(PermanencyAdd.as_view())
