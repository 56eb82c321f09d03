"""Forms for setting a password, enrolling and entering a second factor, and asking for a reset."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fluid, Layout
from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError

from plo_tracker.forms import GOVUKForm

from .models import User


class SetPasswordForm(GOVUKForm):
    """A new password, typed twice, checked against Django's validators (AUTH_PASSWORD_VALIDATORS)."""

    submit_label = "Save password and continue"
    new_password = forms.CharField(
        label="New password",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter a new password"},
    )
    confirm_password = forms.CharField(
        label="Type the new password again",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the new password again"},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        del self.fields["version"]
        rules = [t.rstrip(".") for t in password_validators_help_texts()]
        self.fields["new_password"].help_text = ". ".join(rules) + "."

    def clean_new_password(self) -> str:
        password = self.cleaned_data["new_password"]
        validate_password(password, self.user)
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password"), data.get("confirm_password")
        if first and second and first != second:
            self.add_error("confirm_password", "The two passwords are different: type the same password twice")
        return data


class CodeForm(GOVUKForm):
    """A code from the authenticator app (or, at sign-in, a recovery code)."""

    submit_label = "Continue"
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=32,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def __init__(self, *args: Any, recovery: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["version"]
        field = self.fields["code"]
        field.widget.attrs.update({"autocomplete": "one-time-code", "spellcheck": "false", "inputmode": "text"})
        if recovery:
            field.help_text = (
                "Open the app and enter the 6-digit code it shows for PLO Tracker. "
                "If you do not have your phone, enter one of your recovery codes: each works once."
            )
        else:
            field.help_text = "The 6-digit code the app shows for PLO Tracker, once you have added it."

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().replace(" ", "")
        if not code.replace("-", "").isalnum():
            raise ValidationError("Enter the code using only numbers and letters")
        return code


class ResetRequestForm(GOVUKForm):
    """The work email address of the account whose password is forgotten."""

    submit_label = "Send me a reset link"
    email = forms.EmailField(
        label="Your work email address",
        max_length=254,
        error_messages={
            "required": "Enter your work email address",
            "invalid": "Enter an email address like name@council.gov.uk",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["version"]

    @property
    def helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = False
        helper.layout = Layout(
            Field.text("email", field_width=Fluid.TWO_THIRDS, autocomplete="email", spellcheck="false"),
            Button("submit", self.submit_label),
        )
        return helper
