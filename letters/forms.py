"""Forms: uploading a council template, and drafting a document from a case."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.layout import Field
from django import forms

from plo_tracker.forms import GOVUKForm, choice

from .kinds import CASE_KINDS, DocumentKind, kind_label


class TemplateUploadForm(GOVUKForm):
    kind = forms.ChoiceField(
        label="Which document is this template for?",
        choices=[(k, label) for k, label in DocumentKind.choices],
        widget=forms.RadioSelect,
        error_messages={"required": "Select which document this template is for"},
    )
    language = forms.CharField(
        label="Language (optional)",
        required=False,
        max_length=80,
        help_text="Leave blank for English. A template in a parent's first language, for example Polish, is "
        "used for the letters to parents whose first language is recorded as that language.",
    )
    template = forms.FileField(
        label="Word template (.docx)",
        help_text="A Word document saved as .docx, up to 10 MB, using the fields listed below.",
        error_messages={
            "required": "Choose the Word template to upload",
            "empty": "The file is empty: choose the Word template to upload",
        },
    )
    submit_label = "Check and upload the template"

    @staticmethod
    def _layout_for(name: str, field: forms.Field) -> Any:
        if isinstance(field, forms.FileField):
            return Field(name)  # crispy-forms-gds lays out a GOV.UK file upload itself
        return GOVUKForm._layout_for(name, field)


class DraftForm(GOVUKForm):
    kind = forms.ChoiceField(
        label="Which document do you want to draft?",
        choices=[],
        widget=forms.RadioSelect,
        error_messages={"required": "Select which document to draft"},
    )
    meeting_time = forms.CharField(
        label="Meeting time (optional)",
        required=False,
        max_length=40,
        help_text="For a letter before proceedings or an agreement: for example, 10am",
    )
    meeting_place = forms.CharField(
        label="Meeting place (optional)",
        required=False,
        max_length=200,
        help_text="For example, Northmoor Family Centre, 12 Chapel Street",
    )
    submit_label = "Draft the letter"

    def __init__(self, *args: Any, kinds: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        """`kinds`: the documents this user may draft at the episode's step (all case documents if not given)."""
        super().__init__(*args, **kwargs)
        choice(self, "kind").choices = kinds if kinds is not None else [(k, kind_label(k)) for k in CASE_KINDS]
