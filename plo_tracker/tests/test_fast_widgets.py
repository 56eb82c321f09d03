"""The tracker's filter widgets are drawn in Python for speed (issue 14); what the browser gets must
be exactly what Django's own widgets would draw, for every kind of value a filter holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.test.html import parse_html

from accounts.models import Team
from plo_tracker.forms import (
    FastCheckboxInput,
    FastHiddenInput,
    FastSelect,
    FastTextInput,
    ListedModelChoiceField,
    model_choice,
)

CHOICES = [("", "Any status"), ("red", "Red"), ("amber", "Amber & <b>"), ("green", "Green")]
GROUPED = [("", "Any"), ("North", [("n1", "North 1"), ("n2", "North 2")]), ("s", "South")]


def same(fast: str, django: str) -> None:
    """The same elements, attributes and text (attribute order aside)."""
    assert parse_html(fast) == parse_html(django), f"\n{fast}\n{django}"


@pytest.mark.parametrize(
    ("choices", "value"),
    [
        (CHOICES, None),
        (CHOICES, ""),
        (CHOICES, "amber"),
        (CHOICES, "not offered"),
        (GROUPED, "n2"),
        (GROUPED, "s"),
        ([(1, "One"), (2, "Two"), (None, "Nothing")], 2),
        ([("x", "First x"), ("x", "Second x")], "x"),  # only the first match is selected
    ],
)
def test_a_select_draws_what_djangos_select_draws(choices, value):
    attrs = {"class": "govuk-select"}
    extra = {"id": "id_status", "aria-describedby": "status-hint", "required": True}
    same(
        FastSelect(attrs=attrs, choices=choices).render("status", value, extra),
        forms.Select(attrs=attrs, choices=choices).render("status", value, extra),
    )


def test_a_multiple_select_selects_every_chosen_option():
    fast = FastSelect(choices=CHOICES)
    fast.allow_multiple_selected = True
    django = forms.SelectMultiple(choices=CHOICES)
    same(fast.render("s", ["red", "green"], {"multiple": True}), django.render("s", ["red", "green"]))


@pytest.mark.parametrize(
    ("fast", "django", "value"),
    [
        (FastTextInput(attrs={"class": "govuk-input", "type": "search"}), forms.TextInput, "PLO-0001"),
        (FastTextInput(attrs={"class": "govuk-input"}), forms.TextInput, '"><script>alert(1)</script>'),
        (FastTextInput(), forms.TextInput, ""),
        (FastTextInput(), forms.TextInput, None),
        (FastHiddenInput(), forms.HiddenInput, dt.date(2027, 1, 18)),
        (FastHiddenInput(), forms.HiddenInput, None),
        (FastCheckboxInput(attrs={"class": "govuk-checkboxes__input"}), forms.CheckboxInput, True),
        (FastCheckboxInput(attrs={"class": "govuk-checkboxes__input"}), forms.CheckboxInput, False),
        (FastCheckboxInput(), forms.CheckboxInput, "on"),
    ],
)
def test_an_input_draws_what_djangos_input_draws(fast, django, value):
    original = django(attrs=dict(fast.attrs, type=fast.input_type))
    assert "<script>" not in fast.render("q", value, {"id": "id_q"})
    same(fast.render("q", value, {"id": "id_q"}), original.render("q", value, {"id": "id_q"}))


class TeamForm(forms.Form):
    team = ListedModelChoiceField(queryset=Team.objects.order_by("name"), required=False, empty_label="All teams")


@pytest.mark.django_db
def test_a_listed_choice_reads_its_list_once_for_both_the_check_and_the_options(django_assert_num_queries):
    north, south = Team.objects.create(name="North"), Team.objects.create(name="South")
    form = TeamForm({"team": str(south.pk)})
    with django_assert_num_queries(1):
        assert form.is_valid()
        html = str(form["team"])
    assert form.cleaned_data["team"] == south
    assert f'<option value="{south.pk}" selected>South</option>' in html
    assert f'<option value="{north.pk}">North</option>' in html


@pytest.mark.django_db
def test_a_listed_choice_refuses_a_value_outside_its_list():
    north = Team.objects.create(name="North")
    elsewhere = Team.objects.create(name="Elsewhere")
    form = TeamForm({"team": str(elsewhere.pk)})
    model_choice(form, "team").queryset = Team.objects.filter(pk=north.pk)  # the user's scope: North only
    assert not form.is_valid()
    assert "team" in form.errors
    assert "Elsewhere" not in str(form["team"])
    for bad in ("abc", "99999", " "):
        assert not TeamForm({"team": bad}).is_valid()
