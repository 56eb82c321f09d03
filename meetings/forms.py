"""GOV.UK forms for LPM requests and panels, legal advice, meetings and permanency planning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms

from accounts.models import User
from accounts.roles import Role
from cases.forms import StaffChoiceField, staff_with
from cases.models import Child
from plo_tracker.forms import GOVUKForm, UKDateField, choice, model_choice

from .models import (
    REQUIRED_DOCUMENTS,
    DocumentKind,
    DocumentState,
    LPMKind,
    LPMOutcome,
    MeetingKind,
    PlanOption,
    Recommendation,
    RequestStatus,
)
from .services import _OUTCOMES_BY_KIND


class DocumentChecklistMixin(forms.Form):
    """One question per document: present, missing or not applicable (with why), 002 §4 and 004."""

    def add_document_fields(self, current: dict[str, tuple[str, str]] | None = None) -> None:
        current = current or {}
        for kind in DocumentKind:
            required = kind in REQUIRED_DOCUMENTS
            state, note = current.get(kind.value, (DocumentState.MISSING.value, ""))
            self.fields[f"doc_{kind.value}_state"] = forms.ChoiceField(
                label=kind.label + ("" if required else " (if relevant)"),
                choices=DocumentState.choices,
                widget=forms.RadioSelect,
                initial=state,
                error_messages={"required": f"Say whether the {kind.label.lower()} is present"},
            )
            self.fields[f"doc_{kind.value}_note"] = forms.CharField(
                label=f"Note on the {kind.label.lower()}",
                required=False,
                max_length=300,
                initial=note,
                help_text="Say why if it is not applicable, or when it will be ready if missing",
            )

    def documents(self) -> dict[str, tuple[str, str]]:
        """The checklist as the service takes it."""
        return {
            kind.value: (self.cleaned_data[f"doc_{kind.value}_state"], self.cleaned_data[f"doc_{kind.value}_note"])
            for kind in DocumentKind
        }


class RecommendationFields(forms.Form):
    """What the request recommends and why: the same questions when a social worker prepares it
    and when the team manager makes it (002 §4)."""

    recommendation = forms.ChoiceField(
        label="What are you recommending?",
        choices=Recommendation.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what you are recommending",
            "invalid_choice": "Choose one of the recommendations listed",
        },
    )
    concerns = forms.CharField(
        label="Summary of concerns",
        widget=forms.Textarea,
        max_length=8000,
        error_messages={
            "required": "Summarise the concerns that mean an LPM is needed",
            "max_length": "The summary of concerns must be 8,000 characters or fewer",
        },
    )


class LPMPrepareForm(GOVUKForm, RecommendationFields, DocumentChecklistMixin):
    """A social worker prepares the request: what they recommend, the concerns and the papers."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    submit_label = "Send to the team manager"

    def __init__(self, *args: Any, current: dict[str, tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_document_fields(current)


class LPMRequestForm(GOVUKForm, RecommendationFields, DocumentChecklistMixin):
    field_order = ["requested_on", "recommendation", "concerns"]  # the date first, as the page asks
    requested_on = UKDateField(label="date requested")
    children = forms.ModelMultipleChoiceField(
        label="Children the request is about",
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one child"},
    )
    submit_label = "Send the request"

    def __init__(
        self, *args: Any, children: Any = None, current: dict[str, tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "children").queryset = children
        self.fields["children"].initial = list(children) if children is not None else []
        # A request a social worker prepared arrives with its checklist filled in, to review.
        self.add_document_fields(current)


class DocumentsForm(GOVUKForm, DocumentChecklistMixin):
    submit_label = "Save the checklist"

    def __init__(self, *args: Any, current: dict[str, tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_document_fields(current)


class DecideForm(GOVUKForm):
    status = forms.ChoiceField(
        label="Your decision",
        widget=forms.RadioSelect,
        choices=[
            (RequestStatus.APPROVED.value, "Approve: list the case at the next LPM panel"),
            (RequestStatus.DEFERRED.value, "Defer for better papers (no longer than 2 weeks)"),
            (RequestStatus.DECLINED.value, "Decline: no LPM is needed"),
        ],
        error_messages={"required": "Choose whether to approve, defer or decline the request"},
    )
    decided_on = UKDateField(label="date of the decision")
    deferred_until = UKDateField(label="deferred until", required=False, help_text="Only if you defer")
    note = forms.CharField(
        label="What is needed, or why you declined", widget=forms.Textarea, required=False, max_length=4000
    )
    submit_label = "Record the decision"


#: The choice for a review LPM held for none of the policy's review points.
EXTRA_REVIEW = 0


def review_point_field(points: Mapping[int, str], due: Mapping[int, dt.date | None]) -> forms.TypedChoiceField:
    """Which of the policy's review LPMs a review is held for, each with its due date, or an extra one."""
    choices: list[tuple[int, str]] = []
    for n, label in points.items():
        day = due.get(n)
        choices.append((n, f"{label}, due {day:%a} {day.day} {day:%b %Y}" if day else label))
    choices.append((EXTRA_REVIEW, "An extra review, not one of these"))
    return forms.TypedChoiceField(
        label="Which review is this?",
        help_text="The deadline this review meets. A review that is not needed can be skipped: "
        "choose the one this meeting is held for.",
        choices=choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose which review this is"},
    )


class _ReviewPointForm(GOVUKForm):
    """A form for listing or editing an LPM that, for a review, asks which review point it is for."""

    def __init__(
        self,
        *args: Any,
        points: Mapping[int, str] | None = None,
        due: Mapping[int, dt.date | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if points:
            self.fields["review_point"] = review_point_field(points, due or {})


class ListForm(_ReviewPointForm):
    panel_date = UKDateField(label="panel date", help_text="The date of the panel the case is listed for")
    submit_label = "List the case"


class OutcomeForm(GOVUKForm):
    held_on = UKDateField(label="date held")
    outcome = forms.ChoiceField(
        label="Outcome",
        widget=forms.RadioSelect,
        choices=LPMOutcome.choices,
        error_messages={"required": "Choose the outcome"},
    )
    chair = StaffChoiceField(label="Chair", queryset=None, required=False)
    outcome_recorded_on = UKDateField(label="date the outcome was recorded on the child's record", required=False)
    submit_label = "Record the outcome"

    def __init__(self, *args: Any, kind: str = LPMKind.INITIAL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = _OUTCOMES_BY_KIND[LPMKind(kind)]
        choice(self, "outcome").choices = [c for c in LPMOutcome.choices if c[0] in allowed]
        model_choice(self, "chair").queryset = staff_with(
            Role.HEAD_OF_SERVICE, Role.ASSISTANT_DIRECTOR, Role.SERVICE_MANAGER
        )


class LPMEditForm(_ReviewPointForm):
    panel_date = UKDateField(label="panel date")
    papers_submitted_on = UKDateField(label="date the papers were sent to panel members", required=False)
    minutes_circulated_on = UKDateField(label="date the minutes or legal note were circulated to staff", required=False)


class LegalAdviceForm(GOVUKForm):
    advice = forms.CharField(
        label="Legal advice",
        widget=forms.Textarea,
        max_length=20000,
        error_messages={"required": "Enter the legal advice"},
    )
    minutes = forms.CharField(label="LPM minutes", widget=forms.Textarea, max_length=20000, required=False)
    sent_to_head_of_service_on = UKDateField(
        label="date the written record of the discussion and advice was sent to the head of service",
        required=False,
        help_text=(
            "It is due within 5 working days of the LPM. Leave blank until it has been sent. For example, 27 3 2027"
        ),
    )
    submit_label = "Save legal advice"


class MeetingForm(GOVUKForm):
    scheduled_for = UKDateField(label="date booked for", required=False)
    held_on = UKDateField(label="date held", required=False, help_text="Leave blank until the meeting has happened")
    chair = StaffChoiceField(label="Chair", queryset=None, required=False)
    attendees = forms.CharField(
        label="Who attended",
        widget=forms.Textarea,
        required=False,
        max_length=4000,
        help_text="One person per line, with their role",
    )
    plan_agreed = forms.BooleanField(label="The written pre-proceedings plan was agreed", required=False)
    submit_label = "Save the meeting"

    def __init__(self, *args: Any, kind: str = MeetingKind.REVIEW, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "chair").queryset = staff_with(Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.HEAD_OF_SERVICE)
        if kind != MeetingKind.INITIAL:
            del self.fields["plan_agreed"]


class MinutesForm(GOVUKForm):
    """The minutes of any meeting, step by step: drafted, approved, circulated."""

    minutes_drafted_on = UKDateField(label="date the minutes were drafted", required=False)
    minutes_drafted_by = StaffChoiceField(
        label="Who drafted them",
        queryset=None,
        required=False,
        empty_label="You",
        help_text="Leave this as you if it was you",
    )
    minutes_approved_on = UKDateField(label="date the minutes were approved", required=False)
    minutes_approved_by = StaffChoiceField(
        label="Who approved them",
        queryset=None,
        required=False,
        empty_label="You",
        help_text="Usually the chair. Leave this as you if it was you",
    )
    minutes_circulated_on = UKDateField(label="date the minutes were circulated", required=False)
    minutes_circulated_to = forms.CharField(
        label="Who they were sent to",
        widget=forms.Textarea,
        max_length=2000,
        required=False,
        help_text="For example, both parents and their solicitors, the independent reviewing officer",
        error_messages={"max_length": "Who they were sent to must be 2,000 characters or fewer"},
    )
    submit_label = "Save the minutes"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(is_active=True).select_related("team").order_by("first_name", "last_name")
        model_choice(self, "minutes_drafted_by").queryset = staff
        model_choice(self, "minutes_approved_by").queryset = staff


class PermanencyForm(GOVUKForm):
    child = forms.ModelChoiceField(
        label="Child",
        empty_label="Choose a child",
        queryset=Child.objects.none(),
        error_messages={"required": "Choose the child"},
    )
    organised_by = StaffChoiceField(
        label="Organised by (the child's social worker)",
        queryset=None,
        error_messages={"required": "Choose who organised the meeting"},
    )
    chair = StaffChoiceField(
        label="Chair (team manager or service manager)",
        queryset=None,
        error_messages={"required": "Choose the chair"},
    )
    held_on = UKDateField(label="date held")
    options_considered = forms.MultipleChoiceField(
        label="Permanence options considered",
        choices=PlanOption.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the options considered"},
    )
    preferred_option = forms.ChoiceField(
        label="Preferred plan",
        choices=[("", "Choose"), *PlanOption.choices],
        error_messages={"required": "Choose the preferred plan"},
    )
    parallel_plan = forms.ChoiceField(
        label="Parallel plan", choices=[("", "None"), *PlanOption.choices], required=False
    )
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False, max_length=8000)
    next_review_on = UKDateField(label="date of the next review", required=False)
    submit_label = "Save the meeting"

    def __init__(self, *args: Any, children: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "child").queryset = children
        model_choice(self, "organised_by").queryset = staff_with(Role.SOCIAL_WORKER)
        model_choice(self, "chair").queryset = staff_with(Role.TEAM_MANAGER, Role.SERVICE_MANAGER)
