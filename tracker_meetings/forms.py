"""GOV.UK forms for tracker meetings and panels: every message written for its field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.roles import CASE_WRITERS
from cases.forms import StaffChoiceField, StaffWithRolesField, staff_with
from meetings.forms import MinutesForm
from plo_tracker.forms import GOVUKForm, UKDateField, model_choice

from .models import TrackerMeetingKind
from .selectors import minutes_staff


class TimeOfDayField(forms.CharField):
    """A time typed as 24-hour hours and minutes, such as 13:00."""

    def clean(self, value: Any) -> dt.time | None:
        text = (super().clean(value) or "").strip().replace(".", ":")
        if not text:
            return None
        try:
            hours, minutes = (int(part) for part in text.split(":"))
            return dt.time(hours, minutes)
        except (ValueError, TypeError) as exc:
            raise ValidationError("Enter the start time as hours and minutes on the 24-hour clock, like 13:00") from exc


class PrepareForm(GOVUKForm):
    submit_label = "Set up the meeting and build its agenda"
    kind = forms.ChoiceField(
        label="Which meeting",
        choices=TrackerMeetingKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose which meeting to set up",
            "invalid_choice": "Choose which meeting to set up",
        },
    )
    meets_on = UKDateField(label="meeting date")
    starts_at = TimeOfDayField(
        label="Start time (optional)",
        required=False,
        max_length=5,
        help_text="For example, 13:00. Leave blank for 13:00 for the panel and 10:00 for the others.",
        error_messages={"max_length": "Enter the start time as hours and minutes, like 13:00"},
    )


class AgendaItemForm(GOVUKForm):
    submit_label = "Save the notes for this case"
    note = forms.CharField(
        label="Discussion note",
        required=False,
        max_length=5000,
        widget=forms.Textarea,
        help_text="What the meeting heard about the case. Write for anyone who reads the minutes.",
        error_messages={"max_length": "The discussion note must be 5000 characters or fewer"},
    )
    decisions = forms.CharField(
        label="Decisions",
        required=False,
        max_length=5000,
        widget=forms.Textarea,
        error_messages={"max_length": "The decisions must be 5000 characters or fewer"},
    )
    review_on = UKDateField(
        label="review by (optional)",
        required=False,
        help_text="When the case should come back to this meeting. For example, 27 3 2027",
    )

    def __init__(self, *args: Any, legal: bool = False, advice_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if advice_only:  # a legal adviser records the legal advice only
            for name in ("note", "decisions", "review_on"):
                del self.fields[name]
            self.submit_label = "Save the legal advice"
        if legal:
            self.fields["legal_advice"] = forms.CharField(
                label="Legal advice (privileged)",
                required=False,
                max_length=5000,
                widget=forms.Textarea,
                help_text="Only legal advisers, heads of service and the case's team managers see this. "
                "It is left out of the minutes printed for anyone else.",
                error_messages={"max_length": "The legal advice must be 5000 characters or fewer"},
            )


class ActionForm(GOVUKForm):
    submit_label = "Add the action"
    description = forms.CharField(
        label="What needs to be done",
        max_length=300,
        error_messages={
            "required": "Enter what needs to be done",
            "max_length": "Describe the action in 300 characters or fewer",
        },
    )
    owner = StaffChoiceField(
        label="Who will do it",
        queryset=staff_with(*CASE_WRITERS),
        empty_label="Choose a person",
        error_messages={"required": "Choose who will do it", "invalid_choice": "Choose who will do it"},
    )
    due_on = UKDateField(label="due by")


class ActionDoneForm(GOVUKForm):
    submit_label = "Mark the action done"
    completed_on = UKDateField(label="date it was done")
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=300,
        error_messages={"max_length": "The note must be 300 characters or fewer"},
    )


class HeldForm(GOVUKForm):
    submit_label = "Save"
    held_on = UKDateField(label="date the meeting was held")
    chair = StaffChoiceField(
        label="Chair (optional)",
        required=False,
        queryset=staff_with(*CASE_WRITERS),
        empty_label="Choose a person",
        error_messages={"invalid_choice": "Choose the chair from the list"},
    )
    attendees = forms.CharField(
        label="Who attended (optional)",
        required=False,
        max_length=3000,
        widget=forms.Textarea,
        help_text="One person per line, with their role",
        error_messages={"max_length": "The list of attendees must be 3000 characters or fewer"},
    )


class TrackerMinutesForm(MinutesForm):
    """A tracker meeting's minutes: the same steps as a case meeting's, sent to staff picked by name."""

    minutes_circulated_to = None  # type: ignore[assignment]  # sent to people chosen below, not described in words
    minutes_recipients = StaffWithRolesField(
        label="Who they were sent to",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Staff who can read tracker meetings. Each copy leaves out what its reader may not see.",
        error_messages={
            "invalid_choice": "Choose people from the list",
            "invalid_pk_value": "Choose people from the list",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Names with their team (choices) and roles (checkboxes), read with the list, not per person.
        staff = minutes_staff().select_related("team").prefetch_related("groups")
        for name in ("minutes_drafted_by", "minutes_approved_by", "minutes_recipients"):
            model_choice(self, name).queryset = staff
