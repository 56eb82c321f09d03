"""Every link in an error summary moves focus to a box that exists on the page (GOV.UK error
summary): for dates the day, for radios and checkboxes the first one, never a bare `#`."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template

from .test_plain_language import FORMS, _make

pytestmark = pytest.mark.django_db

PAGE = Template("{% load crispy_forms_tags %}{% include 'includes/error_summary.html' %}{% crispy form %}")


@pytest.mark.parametrize(
    "form_class",
    [f for f in FORMS if hasattr(f, "helper")],
    ids=lambda f: f"{f.__module__}.{f.__name__}",
)
def test_every_error_summary_link_goes_to_a_box_on_the_page(form_class, make_user):
    from accounts.roles import Role
    from cases.tests.factories import ChildFactory, PersonFactory

    make_user(Role.SOCIAL_WORKER)  # choices to render: staff, a child, a parent
    PersonFactory.create(family=ChildFactory.create().family)
    form = _make(form_class, {})
    for name, field in form.fields.items():  # every field in error, whether required or not
        form.errors.setdefault(name, form.error_class([f"Problem with {field.label or name}"]))
    html = PAGE.render(Context({"form": form}))
    summary = html.split('<div class="govuk-error-summary__body">', 1)[1].split("</ul>", 1)[0]
    targets = re.findall(r'href="#([^"]*)"', summary)
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    visible = [n for n, f in form.fields.items() if not f.widget.is_hidden]
    assert len(targets) >= len(visible)
    assert [t for t in targets if t not in ids and t != "main-content"] == []
