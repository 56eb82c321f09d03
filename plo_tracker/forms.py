"""GOV.UK form building blocks: dates as day/month/year, errors from services shown by the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fluid, Layout, Size
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.utils import flatatt
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from deadlines.engine.timetable import FIRST_YEAR, LAST_YEAR

from .text import clean_text
from .versioning import StaleEditError


class UKDateField(DateInputField):
    """A GOV.UK date input (day, month, year) with messages that say what is wrong."""

    def __init__(self, *, label: str, required: bool = True, help_text: str = "", **kwargs: Any) -> None:
        super().__init__(
            label=label[0].upper() + label[1:],
            required=required,
            help_text=help_text or "For example, 27 3 2027",
            require_all_fields=False,
            **kwargs,
        )
        what = label[0].upper() + label[1:]
        self.error_messages["required"] = f"Enter {label[0].lower() + label[1:]}"
        self.error_messages["incomplete"] = f"{what} must include a day, month and year"
        self.what = what
        for sub in self.fields:
            sub.required = required

    def clean(self, value: Any) -> dt.date | None:
        """Turn day/month/year into a date; impossible dates get a clear message."""
        if isinstance(value, (list, tuple)) and any(v not in self.empty_values for v in value):
            for sub in self.fields:
                sub.required = True
        try:
            return super().clean(value)
        except ValidationError as exc:
            messages = exc.messages
            if any("range" in m or "valid" in m.lower() or "must be in" in m for m in messages):
                raise ValidationError(f"{self.what} must be a real date", code="invalid") from exc
            raise

    def compress(self, data_list: Any) -> dt.date | None:
        """Build the date, refusing years that are not four digits."""
        day, month, year = data_list
        if day and month and year:
            if len(str(year)) != 4:
                raise ValidationError(f"{self.what}: the year must include 4 numbers", code="invalid")
            if str(year).isdigit() and not FIRST_YEAR <= int(year) <= LAST_YEAR:
                # Deadlines are counted with England's bank holidays, known for these years only.
                raise ValidationError(
                    f"{self.what}: the year must be between {FIRST_YEAR} and {LAST_YEAR}", code="invalid"
                )
            try:
                return dt.date(int(year), int(month), int(day))
            except (ValueError, OverflowError) as exc:  # 31/02, or a day of 99999999999999999999
                raise ValidationError(f"{self.what} must be a real date", code="invalid") from exc
        return None


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's own copy of a model-choice field, to give it the queryset for this request."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name} is not a model choice field")
    return field


def choice(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's own copy of a choice field, to give it the choices for this request."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name} is not a choice field")
    return field


def _lower_first(label: str) -> str:
    """'Full name' -> 'full name', but 'LPM date' stays as it is."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def govuk_messages(name: str, field: forms.Field) -> None:
    """Give a field GOV.UK-style messages that name it, wherever it still has Django's defaults.

    A person never sees "This field is required." or "Ensure this value has at most 120
    characters (it has 4002)": each message says which field and what to do (GOV.UK Design
    System, "Error message"). Messages a form sets itself are kept.
    """
    if isinstance(field, DateInputField):
        return  # UKDateField words its own
    label = str(field.label or name.replace("_", " ")).rstrip("?:").strip()
    what, lower = label[:1].upper() + label[1:], _lower_first(label)
    defaults: dict[str, str] = {}
    for cls in reversed(type(field).__mro__):
        defaults.update(getattr(cls, "default_error_messages", {}))
    chooses = isinstance(field, (forms.ChoiceField, forms.ModelChoiceField, forms.BooleanField))
    ours = {
        "required": f"Select {lower}" if chooses else f"Enter {lower}",
        "invalid_choice": f"Select one of the options for {lower}",
        "invalid_pk_value": f"Select one of the options for {lower}",
        "invalid_list": f"Select one of the options for {lower}",
        "max_length": f"{what} must be %(limit_value)s characters or fewer",
        "min_length": f"{what} must be %(limit_value)s characters or more",
        "min_value": f"{what} must be %(limit_value)s or more",
        "max_value": f"{what} must be %(limit_value)s or less",
        "max_digits": f"{what} must be %(max)s digits or fewer",
        "max_decimal_places": f"{what} can have up to %(max)s decimal places, like 250.50",
        "max_whole_digits": f"{what} is too large",
        "step_size": f"{what} must be a multiple of %(limit_value)s",
    }
    if isinstance(field, forms.IntegerField):
        ours["invalid"] = f"{what} must be a whole number, like 4"
    elif isinstance(field, forms.DecimalField):
        ours["invalid"] = f"{what} must be a number, like 250.50"
    elif isinstance(field, forms.EmailField):
        ours["invalid"] = "Enter an email address in the correct format, like name@example.com"
    elif isinstance(field, forms.DateField):
        ours["invalid"] = f"{what} must be a real date"
    else:
        ours["invalid"] = f"Enter {lower} in the correct format"
    for code, message in ours.items():
        current = field.error_messages.get(code)
        if current is None or current == defaults.get(code):
            field.error_messages[code] = message


def _cleaned(to_python: Any) -> Any:
    """A field's to_python that first removes bidirectional and control characters (plo_tracker.text),
    so the field strips, measures and compares the text that will be stored. NUL never gets here:
    a request holding one is refused (400) before any view."""

    def convert(value: Any) -> Any:
        return to_python(clean_text(value))

    return convert


class GOVUKForm(forms.Form):
    """A form laid out in the GOV.UK style automatically, that accepts errors from a service."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    submit_label = "Save"
    stale_differences: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stale_differences = []
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                # Cleaned before the field's own checks (a duplicate name with hidden controls is a duplicate).
                field.to_python = _cleaned(field.to_python)  # type: ignore[method-assign]
            # GOV.UK asks for numbers in a text input with a numeric keyboard, not type="number".
            if isinstance(field, (forms.IntegerField, forms.DecimalField)) and not isinstance(
                field.widget, forms.HiddenInput
            ):
                mode = "numeric" if isinstance(field, forms.IntegerField) else "decimal"
                field.widget = forms.TextInput(attrs={"inputmode": mode, "spellcheck": "false"})

    @property
    def helper(self) -> FormHelper:
        """The crispy layout, built from the fields as they are when the form is rendered."""
        helper = FormHelper()
        helper.form_tag = False
        helper.layout = Layout(
            *[self._layout_for(name, field) for name, field in self.fields.items()], Button("submit", self.submit_label)
        )
        return helper

    @staticmethod
    def _layout_for(name: str, field: forms.Field) -> Any:
        widget = field.widget
        if isinstance(field, DateInputField):
            return Field(name, context={"fieldset": True, "legend_size": Size.for_legend(Size.SMALL)})
        if isinstance(widget, forms.HiddenInput):
            return Field(name)
        if isinstance(widget, forms.CheckboxSelectMultiple):
            return Field.checkboxes(name, legend_size=Size.SMALL, small=True)
        if isinstance(widget, forms.RadioSelect):
            return Field.radios(name, legend_size=Size.SMALL, small=True)
        if isinstance(widget, forms.CheckboxInput):
            return Field.checkbox(name, small=True)
        if isinstance(widget, forms.Select):
            return Field.select(name)
        if isinstance(widget, forms.Textarea):
            return Field.textarea(name, rows=4)
        width = Fluid.ONE_QUARTER if isinstance(field, (forms.IntegerField, forms.DecimalField)) else Fluid.TWO_THIRDS
        return Field.text(name, field_width=width)

    def full_clean(self) -> None:
        # Fields may be added after __init__ (one per document, say): word every one just before use.
        for name, field in self.fields.items():
            govuk_messages(name, field)
        super().full_clean()

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show a service's ValidationError beside the fields it names (the rest at the top)."""
        if isinstance(exc, StaleEditError):
            self.stale_differences = exc.differences
            self.add_error(None, exc.messages[0])
            return
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                target = field if field in self.fields else None
                for message in errors:
                    self.add_error(target, message if target else message)
        else:
            for message in exc.messages:
                self.add_error(None, message)


class FastSelect(forms.Select):
    """A select box rendered in Python: the same markup as Django's template-rendered one.

    Django renders every option through its own template (about 40 µs an option); the tracker's
    filters list every team and social worker, so on a service of a thousand staff the filter
    form cost more than the rows it filters (issue #14 §1).
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        # Select.optgroups builds a dict of a dozen keys per option; this reads the choices as
        # they come, with Select's own rules: the first option whose value matches is selected,
        # a None value is "", options carry no attributes but that.
        chosen = set(self.format_value(value))
        multiple = self.allow_multiple_selected
        has_selected = False
        parts = [f'<select name="{conditional_escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>']

        def option(option_value: Any, label: Any) -> None:
            nonlocal has_selected
            text = "" if option_value is None else str(option_value)
            selected = (multiple or not has_selected) and text in chosen
            has_selected |= selected
            parts.append(
                f'<option value="{conditional_escape(text)}"{" selected" if selected else ""}>'
                f"{conditional_escape(str(label))}</option>"
            )

        for option_value, option_label in self.choices:
            if isinstance(option_label, (list, tuple)):
                parts.append(f'<optgroup label="{conditional_escape(str(option_value))}">')
                for sub_value, sub_label in option_label:
                    option(sub_value, sub_label)
                parts.append("</optgroup>")
            else:
                option(option_value, option_label)
        parts.append("</select>")
        html = "".join(parts)
        return mark_safe(html)  # nosec B308 B703: each name, value, label escaped or flatatt


class FastInputMixin:
    """An <input> rendered in Python, the markup of Django's input.html (no template per field)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
        # The name, value and attributes all went through conditional_escape or flatatt.
        return mark_safe(  # nosec B308 B703: escaped or flatatt, as said above
            f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(name)}"'
            f"{shown}{flatatt(widget['attrs'])}>"
        )


class FastTextInput(FastInputMixin, forms.TextInput):
    pass


class FastHiddenInput(FastInputMixin, forms.HiddenInput):
    pass


class FastCheckboxInput(FastInputMixin, forms.CheckboxInput):
    pass


class _ListedChoices(forms.models.ModelChoiceIterator):
    """The choices from the field's one read of its list (ListedModelChoiceField.listed)."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        field: ListedModelChoiceField = self.field  # type: ignore[assignment]
        for obj in field.listed():
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A model choice read once per form: one plain query gives both the options shown and the
    check of the value chosen. Django's field reads the list through iterator() (a server-side
    cursor: DECLARE, FETCH and CLOSE, three round trips for ten teams) and checks the value with
    a query of its own. For the short lists of filters (a user's teams, a team's workers)."""

    iterator = _ListedChoices
    _listed: list[Any] | None = None

    @property
    def queryset(self) -> Any:
        return self._queryset

    @queryset.setter
    def queryset(self, queryset: Any) -> None:
        # As Django's own setter, and a new list: each form's copy of the field reads its own.
        self._queryset = None if queryset is None else queryset.all()
        self.widget.choices = self.choices
        self._listed = None

    def listed(self) -> list[Any]:
        if self._listed is None:
            self._listed = list(self.queryset.all())
        return self._listed

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        key = str(value.pk if isinstance(value, Model) else value)
        for obj in self.listed():
            if str(obj.pk) == key:
                return obj
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
