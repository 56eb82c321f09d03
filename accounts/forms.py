"""Sign-in form in the GOV.UK style."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fluid, Layout
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class SignInForm(AuthenticationForm):
    """Username and password, with GOV.UK error messages."""

    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account has been switched off. Ask your system administrator.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username"
        self.fields["username"].error_messages["required"] = "Enter your username"
        # AuthenticationForm sets max_length after the field is built, so no validator enforces it:
        # a 25,000-character username reached authenticate() and the lockout record (a 500).
        limit = getattr(self.fields["username"], "max_length", None) or 150
        self.fields["username"].validators.append(
            MaxLengthValidator(limit, message=f"Usernames are {limit} characters or fewer")
        )
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("username", field_width=Fluid.TWO_THIRDS, autocomplete="username", spellcheck="false"),
            Field.text("password", field_width=Fluid.TWO_THIRDS, autocomplete="current-password"),
            Button("submit", "Sign in"),
        )
