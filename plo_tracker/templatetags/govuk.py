"""Template helpers for GOV.UK patterns Django does not know about."""

from __future__ import annotations

from django import template
from django.forms import BoundField, CheckboxSelectMultiple, MultiWidget, RadioSelect

register = template.Library()


@register.filter
def error_target(field: BoundField) -> str:
    """The id an error summary link should move focus to: the field itself, or for a date (day,
    month, year) or a set of radios or checkboxes, its first box. Django gives those no id for a
    label (so a plain `#` link would go nowhere); GOV.UK links to the first one."""
    widget = field.field.widget
    if isinstance(widget, (RadioSelect, CheckboxSelectMultiple)):
        if not field.subwidgets:  # nobody to choose from (no service managers yet): no box to go to
            return "main-content"
        return f"id_{field.html_name}_1"  # crispy-forms-gds numbers the boxes from 1
    if isinstance(widget, MultiWidget):
        return f"{field.auto_id}_0"  # the day
    return field.id_for_label or field.auto_id or "main-content"
