"""Forms for the tracker screens: the tracker's filters, the dashboard's team picker (issue #5)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from accounts.models import Team, User
from accounts.roles import Role
from cases.models import Stage
from plo_tracker.forms import (
    FastCheckboxInput,
    FastHiddenInput,
    FastSelect,
    FastTextInput,
    ListedModelChoiceField,
    govuk_messages,
    model_choice,
)

from .screens import OUTCOME_GROUPS, RAG_LABELS, WEEK_BANDS

_SELECT = {"class": "govuk-select"}

# Every field of the tracker can be sorted on (issue #5 §3 "sort by any column").
SORT_LABELS = {
    "rag": "RAG status",
    "reference": "Family reference",
    "family": "Family name",
    "children": "Children",
    "worker": "Social worker",
    "team": "Team",
    "stage": "Stage",
    "week": "Week",
    "decision": "Decision date",
    "letter": "Letter delivered",
    "initial": "Initial meeting",
    "next_meeting": "Next meeting",
    "next_due": "Next deadline",
    "assessments": "Assessments outstanding",
    "extension": "Extension",
}


class WorkerChoiceField(ListedModelChoiceField):
    """A social worker, shown by name."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class TrackerFilterForm(forms.Form):
    """Filters, search and sort for the pre-action tracker; every field is optional (GET)."""

    q = forms.CharField(
        label="Search by family, reference, child or case system ID",
        required=False,
        max_length=100,
        widget=FastTextInput(attrs={"class": "govuk-input", "spellcheck": "false", "type": "search"}),
    )
    team = ListedModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="All teams",
        widget=FastSelect(attrs=_SELECT),
    )
    worker = WorkerChoiceField(
        label="Social worker",
        queryset=User.objects.none(),
        required=False,
        empty_label="All social workers",
        widget=FastSelect(attrs=_SELECT),
    )
    stage = forms.ChoiceField(
        choices=[("", "All stages"), *[(v, label) for v, label in Stage.choices if v != Stage.ENDED]],
        required=False,
        widget=FastSelect(attrs=_SELECT),
    )
    status = forms.ChoiceField(
        label="RAG status",
        choices=[("", "Any status"), *RAG_LABELS.items()],
        required=False,
        widget=FastSelect(attrs=_SELECT),
    )
    weeks = forms.ChoiceField(
        label="Week of pre-proceedings",
        choices=[("", "Any week"), *[(slug, label) for slug, (label, _, _) in WEEK_BANDS.items()]],
        required=False,
        widget=FastSelect(attrs=_SELECT),
    )
    past_standard = forms.BooleanField(
        label="Only past their standard length",
        required=False,
        widget=FastCheckboxInput(attrs={"class": "govuk-checkboxes__input"}),
    )
    extended = forms.BooleanField(
        label="Only with an agreed extension",
        required=False,
        widget=FastCheckboxInput(attrs={"class": "govuk-checkboxes__input"}),
    )
    # Drill-downs from the weekly screen (hidden: they reach ended episodes too).
    outcome = forms.ChoiceField(
        choices=[("", ""), *[(slug, label) for slug, (label, _) in OUTCOME_GROUPS.items()]],
        required=False,
        widget=FastHiddenInput,
    )
    ended_since = forms.DateField(required=False, widget=FastHiddenInput, input_formats=["%Y-%m-%d"])
    missed = forms.SlugField(required=False, max_length=60, widget=FastHiddenInput)
    due_since = forms.DateField(required=False, widget=FastHiddenInput, input_formats=["%Y-%m-%d"])
    # The weekly figures count open episodes only; the homes' predicted-overrun count (issue 20 §5).
    open_only = forms.BooleanField(required=False, widget=FastHiddenInput)
    overrun = forms.BooleanField(required=False, widget=FastHiddenInput)
    # The head of service's "Extensions to decide" count (tracker_meetings/today.py).
    ends_within = forms.IntegerField(required=False, min_value=1, max_value=52, widget=FastHiddenInput)
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[("", "RAG, then next deadline"), *SORT_LABELS.items()],
        required=False,
        widget=FastSelect(attrs=_SELECT),
    )
    dir = forms.ChoiceField(
        label="Order",
        choices=[("asc", "A to Z, earliest or fewest first"), ("desc", "Z to A, latest or most first")],
        required=False,
        widget=FastSelect(attrs=_SELECT),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from accounts.scopes import teams_visible_to
        from cases.scopes import families_visible_to

        # Only the teams and social workers within the user's scope are offered (issue 9): a team
        # manager's list names her teams, not every team in the council.
        teams = teams_visible_to(user)
        model_choice(self, "team").queryset = teams.order_by("name")
        allocated = families_visible_to(user).values("social_worker_id")
        workers = User.objects.filter(is_active=True, groups__name=Role.SOCIAL_WORKER.label).filter(
            Q(team__in=teams.values("pk")) | Q(pk__in=allocated)
        )
        # With a team chosen, the list holds that team's social workers (and the one already
        # chosen, so the filter is never thrown away): a regional service has hundreds, and the
        # team-filtered tracker should cost what the team holds (issue 14).
        team, chosen = (self.data.get(name, "") for name in ("team", "worker"))
        if team.isdigit():
            workers = workers.filter(Q(team_id=int(team)) | Q(pk=int(chosen) if chosen.isdigit() else None))
        model_choice(self, "worker").queryset = workers.only("id", "first_name", "last_name", "username").order_by(
            "first_name", "last_name"
        )

    def full_clean(self) -> None:
        for name, field in self.fields.items():
            govuk_messages(name, field)
        super().full_clean()

    def valid_data(self) -> dict[str, Any]:
        """The fields that were valid: a bad value in one filter does not throw away the others."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


class TeamPickForm(forms.Form):
    """A service manager (or a manager of several teams) chooses which of their teams to see."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        empty_label=None,
        widget=FastSelect(attrs=_SELECT),
        error_messages={"required": "Select a team", "invalid_choice": "Select a team from the list"},
    )

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams  # type: ignore[attr-defined]
