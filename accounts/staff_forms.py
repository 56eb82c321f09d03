"""Forms for the staff pages (issue #12 §1)."""

from __future__ import annotations

from typing import Any

from django import forms

from plo_tracker.forms import GOVUKForm

from .models import ServiceArea, Team, User
from .roles import Role


class PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.username})"


class PersonOne(forms.ModelChoiceField):
    """A member of staff chosen by name; the empty choice says so in words, never '---------'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", "Choose a person")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.username})"


class StaffForm(GOVUKForm):
    """A member of staff: name, sign-in, team, roles, and whether they may sign in."""

    first_name = forms.CharField(max_length=150, error_messages={"required": "Enter their first name"})
    last_name = forms.CharField(max_length=150, error_messages={"required": "Enter their last name"})
    username = forms.CharField(
        max_length=150,
        help_text="Letters, digits and @ . + - _ only. With single sign-on this can be their account name.",
        error_messages={"required": "Enter a username"},
    )
    email = forms.EmailField(
        label="Email address",
        help_text="Their work email: alerts go here, and single sign-on matches people by it.",
        error_messages={
            "required": "Enter their work email address",
            "invalid": "Enter an email address like name@council.gov.uk",
        },
    )
    job_title = forms.CharField(max_length=120, required=False)
    oidc_subject = forms.CharField(
        label="Single sign-on id (optional)",
        max_length=255,
        required=False,
        help_text=(
            "Their object id in Microsoft Entra ID (or their subject id at your identity provider), "
            "for example 0b7f3c2a-4d1e-4f6a-9c8b-2e5d7a1f9c30. Needed when single sign-on matches people by id."
        ),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, empty_label="No team (service-wide role)"
    )
    roles = forms.MultipleChoiceField(
        choices=[(r.value, r.label) for r in Role],
        widget=forms.CheckboxSelectMultiple,
        help_text="A person may hold several roles.",
        error_messages={"required": "Choose at least one role"},
    )
    active = forms.BooleanField(
        label="Switched on (may sign in)",
        required=False,
        initial=True,
        help_text=(
            "Untick when someone leaves: their name stays on every record they worked on, "
            "and they can no longer sign in."
        ),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["username"].disabled = True
        else:
            del self.fields["active"]
        del self.fields["version"]

    def chosen_roles(self) -> list[Role]:
        return [Role(r) for r in self.cleaned_data["roles"]]


class TeamForm(GOVUKForm):
    """A team, its service area and its team managers."""

    name = forms.CharField(max_length=120, error_messages={"required": "Enter the team's name"})
    service_area = forms.ModelChoiceField(
        queryset=ServiceArea.objects.order_by("name"), required=False, empty_label="None"
    )
    managers = PersonChoice(
        label="Team managers",
        queryset=User.objects.filter(is_active=True, groups__name=Role.TEAM_MANAGER.label).distinct(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["version"]


class ServiceAreaForm(GOVUKForm):
    """A service area and its service managers."""

    name = forms.CharField(max_length=120, error_messages={"required": "Enter the service area's name"})
    managers = PersonChoice(
        label="Service managers",
        queryset=User.objects.filter(is_active=True, groups__name=Role.SERVICE_MANAGER.label).distinct(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["version"]


class ReallocateForm(GOVUKForm):
    """Who takes on a leaver's families."""

    submit_label = "Move the families"
    social_worker = PersonOne(
        label="New social worker",
        queryset=User.objects.filter(
            is_active=True, groups__name__in=[Role.SOCIAL_WORKER.label, Role.TEAM_MANAGER.label]
        ).distinct(),
        required=False,
    )
    team_manager = PersonOne(
        label="New team manager",
        queryset=User.objects.filter(is_active=True, groups__name=Role.TEAM_MANAGER.label).distinct(),
        required=False,
    )

    def __init__(self, *args: Any, leaver: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["version"]
        for name in ("social_worker", "team_manager"):
            field = self.fields[name]
            if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                field.queryset = field.queryset.exclude(pk=leaver.pk)
