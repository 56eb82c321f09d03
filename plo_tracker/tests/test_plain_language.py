"""Plain language: no Django default message, no internal key and no False/True reaches a person.

Every form in the project is submitted empty and then with bad values in every field (a huge
text, letters for numbers, an unknown choice, half a date, a malformed email address); every
message it gives back must be written for its field, never one of Django's defaults.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.db import models

from cases.models import Family
from plo_tracker.versioning import _display

pytestmark = pytest.mark.django_db

DJANGO_DEFAULTS = re.compile(
    r"This field is required|Ensure this value|Enter a whole number|Enter a number|Select a valid choice"
    r"|Enter a valid|Ensure that there are no more|is not one of the available choices|Enter a list of values"
    r"|Enter a complete value|This field cannot be (blank|null)"
)


def _project_modules() -> Iterator[Any]:
    """Every module of the project's own apps (not tests, migrations or commands): a form defined
    beside its views (staff pages, the audit trail) is as much a form as one in forms.py."""
    root = str(settings.BASE_DIR)
    for app in apps.get_app_configs():
        if not app.path.startswith(root) or "site-packages" in app.path:
            continue  # Django's own forms (the admin) are not what front-line staff use
        package = importlib.import_module(app.name)
        for info in pkgutil.walk_packages(package.__path__, f"{app.name}."):
            if {"tests", "migrations", "management"} & set(info.name.split(".")):
                continue
            yield importlib.import_module(info.name)


def _project_forms() -> Iterator[type[forms.BaseForm]]:
    for module in _project_modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
                and not getattr(getattr(value, "Meta", None), "abstract", False)
            ):
                yield value


def _bad_value(name: str, field: forms.Field) -> dict[str, object]:
    if isinstance(field, forms.MultiValueField):
        return {f"{name}_0": "1", f"{name}_1": "", f"{name}_2": "20"}  # half a date, a 2-digit year
    if isinstance(field, forms.EmailField):
        return {name: "not an email"}
    if isinstance(field, (forms.IntegerField, forms.DecimalField)):
        return {name: "twelve"}
    if isinstance(field, (forms.ModelMultipleChoiceField, forms.MultipleChoiceField)):
        return {name: ["no-such-choice"]}
    if isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)):
        return {name: "no-such-choice"}
    if isinstance(field, forms.BooleanField):
        return {}
    return {name: "x" * 25000}


def _make(form_class: type[forms.BaseForm], data: dict[str, object]) -> forms.BaseForm:
    """The form as its view builds it: choices from the family, the request for signing in."""
    from django.contrib.auth.forms import AuthenticationForm
    from django.test import RequestFactory

    from cases.models import Child, Person

    if issubclass(form_class, AuthenticationForm):
        return form_class(RequestFactory().post("/"), data=data)
    params = inspect.signature(form_class.__init__).parameters
    kwargs: dict[str, Any] = {}
    if "people" in params:
        kwargs["people"] = Person.objects.all()
    if "children" in params:
        kwargs["children"] = Child.objects.all()
    if "user" in params:  # a form whose lists follow the user's scope (the tracker's filters)
        from accounts.models import User

        kwargs["user"] = User.objects.filter(username="plain.words").first() or _head_of_service()
    if "leaver" in params:  # moving a leaver's families (staff pages)
        from accounts.models import User

        kwargs["leaver"] = User.objects.filter(username="plain.words").first() or _head_of_service()
    return form_class(data=data, **kwargs)


def _head_of_service() -> Any:
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import Role

    user = User.objects.create_user(username="plain.words", password=None)
    user.groups.add(Group.objects.get_or_create(name=Role.HEAD_OF_SERVICE.label)[0])
    return user


FORMS = sorted(_project_forms(), key=lambda f: f"{f.__module__}.{f.__name__}")


def test_every_form_a_person_fills_in_is_checked():
    """The forms people fill in are all checked below, wherever they are defined: the case steps,
    meetings, tracker meetings, the tracker's filters, sign-in, staff pages and the audit trail."""
    names = {f"{f.__module__}.{f.__name__}" for f in FORMS}
    expected = {
        "cases.forms.DeliveryForm",
        "meetings.forms.LPMRequestForm",
        "tracker_meetings.forms.PrepareForm",
        "deadlines.forms.TrackerFilterForm",
        "accounts.forms.SignInForm",
        "accounts.staff_forms.StaffForm",
        "accounts.staff_forms.TeamForm",
        "plo_tracker.audit.LookupForm",
    }
    assert expected <= names, sorted(expected - names)
    # Every app that has pages with forms contributes its forms.
    assert {n.split(".")[0] for n in names} >= {"accounts", "cases", "meetings", "tracker_meetings", "deadlines"}


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_every_message_of_every_form_is_written_for_its_field(form_class):
    messages: list[Any] = []
    empty = _make(form_class, {})
    messages += [m for errors in empty.errors.values() for m in errors]
    bad: dict[str, object] = {}
    for name, field in empty.fields.items():
        if not isinstance(field.widget, forms.HiddenInput):
            bad |= _bad_value(name, field)
    if bad:
        form = _make(form_class, bad)
        messages += [m for errors in form.errors.values() for m in errors]
    defaults = [m for m in messages if DJANGO_DEFAULTS.search(str(m))]
    assert defaults == [], f"{form_class.__name__} gives Django's default messages"
    # A list's empty choice says what to do in words, never Django's "---------".
    dashes = [
        name
        for name, field in empty.fields.items()
        if isinstance(field, forms.ModelChoiceField) and field.empty_label and "---" in str(field.empty_label)
    ]
    assert dashes == [], f"{form_class.__name__} offers '---------' in {dashes}"


MODEL = Family()


def test_a_stale_edit_shows_yes_and_no_and_uk_dates_never_true_false():
    field = models.BooleanField(name="plan_agreed")
    assert _display(MODEL, field, True) == "Yes" and _display(MODEL, field, False) == "No"
    assert _display(MODEL, models.DateField(name="held_on"), dt.date(2026, 12, 24)) == "24 Dec 2026"
    assert _display(MODEL, models.CharField(name="note"), "") == "Nothing recorded"


def test_waiting_for_names_the_events_people_know_never_the_engine_keys():
    from deadlines.services import waiting_words

    words = waiting_words(("panel_date", "lpm_held"), {"panel_date": "LPM panel date the case is listed for"})
    assert words == "the LPM panel date the case is listed for (or the day the LPM was held)"
    assert waiting_words(("approved_minutes:review_meeting",), {}) == (
        "the approved minutes of the pre-proceedings review meeting"
    )
    # Alternatives are never joined with "and" (issue 20 §6).
    assert waiting_words(("lpm_approved", "lpm_request_decision"), {}) == (
        "the head of service's decision on the LPM request"
    )


def test_the_case_page_shows_no_engine_key(client, make_user, team):
    import html as htmllib

    import time_machine
    from django.urls import reverse

    from cases.tests import test_case_screens as screens

    with time_machine.travel(dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        staff = screens.staff.__wrapped__(make_user, team)  # type: ignore[attr-defined]  # the fixture's own function
        family = screens.family.__wrapped__(team, staff)  # type: ignore[attr-defined]  # the fixture's own function
        screens.in_pre_proceedings.__wrapped__(family, staff)  # type: ignore[attr-defined]  # the fixture's own function
        client.force_login(staff["sw"])
        page = htmllib.unescape(client.get(reverse("cases:family-detail", args=[family.pk])).content.decode())
    waiting = re.findall(r"Waiting for ([^<(]+)", page)
    assert waiting and "the letter before proceedings delivered to parents" in waiting[0] + " ".join(waiting)
    assert not [w for w in waiting if "_" in w], waiting
