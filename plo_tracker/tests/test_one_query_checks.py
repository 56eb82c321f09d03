"""A record's check constraints are validated in one query (plo_tracker.models.OneQueryChecks),
with exactly the errors Django's one-query-per-constraint validation gives: the messages a social
worker sees next to a field when dates are out of order or a detail is missing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Person
from meetings.models import Meeting, MeetingKind
from plo_tracker.models import OneQueryChecks, Versioned, checks_broken

pytestmark = pytest.mark.django_db

DAYS = st.sampled_from([None, dt.date(2027, 1, 4), dt.date(2027, 1, 5), dt.date(2027, 1, 6)])
MEETING_FIELDS = [
    "scheduled_for",
    "held_on",
    "minutes_drafted_on",
    "minutes_drafted_by",
    "minutes_approved_on",
    "minutes_circulated_on",
    "minutes_circulated_to",
]


def _errors(validate, instance: models.Model, exclude: set[str] | None = None) -> dict[str, list[str]]:
    try:
        validate(instance, exclude=exclude)
    except ValidationError as error:
        return error.message_dict
    return {}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    scheduled=DAYS,
    held=DAYS,
    drafted=DAYS,
    drafted_by=st.sampled_from([None, 1]),
    approved=DAYS,
    circulated=DAYS,
    circulated_to=st.sampled_from(["", "Both parents and their solicitor"]),
    exclude=st.sets(st.sampled_from(MEETING_FIELDS), max_size=2),
)
def test_a_meeting_gets_the_errors_djangos_own_validation_gives(
    scheduled, held, drafted, drafted_by, approved, circulated, circulated_to, exclude
):
    meeting = Meeting(
        kind=MeetingKind.REVIEW,
        scheduled_for=scheduled,
        held_on=held,
        minutes_drafted_on=drafted,
        minutes_drafted_by_id=drafted_by,
        minutes_approved_on=approved,
        minutes_circulated_on=circulated,
        minutes_circulated_to=circulated_to,
    )
    assert _errors(Meeting.validate_constraints, meeting, exclude) == _errors(
        models.Model.validate_constraints, meeting, exclude
    )


def test_minutes_out_of_order_are_refused_with_each_broken_rule():
    meeting = Meeting(
        kind=MeetingKind.REVIEW,
        held_on=dt.date(2027, 1, 6),
        minutes_drafted_on=dt.date(2027, 1, 5),  # before the meeting was held
        minutes_approved_on=dt.date(2027, 1, 4),  # before the minutes were drafted
    )
    with pytest.raises(ValidationError) as refused:
        meeting.validate_constraints()
    assert refused.value.messages == [
        "Constraint “minutes_drafted_after_meeting” is violated.",
        "Constraint “minutes_approved_after_drafted” is violated.",
    ]


@pytest.mark.parametrize(
    ("interpreter", "language", "support", "contact", "messages"),
    [
        (False, "", "", "", []),
        (True, "", "", "", ["Say which language the interpreter is for."]),
        (True, "Polish", "advocate", "", ["Give the advocate's or intermediary's name and contact."]),
        (
            True,
            "",
            "intermediary",
            "",
            ["Say which language the interpreter is for.", "Give the advocate's or intermediary's name and contact."],
        ),
        (True, "Polish", "intermediary", "Sam Reid, 01632 960001", []),
    ],
)
def test_a_parent_s_missing_details_are_each_named(interpreter, language, support, contact, messages):
    person = Person(
        full_name="Anna Nowak",
        relationship="mother",
        interpreter_needed=interpreter,
        language=language,
        support_kind=support,
        support_contact=contact,
    )
    assert sum(_errors(Person.validate_constraints, person).values(), []) == messages


def test_a_condition_the_values_leave_unknown_counts_as_met_as_in_the_database():
    """PostgreSQL lets a row through a CHECK whose condition is NULL (a date not yet recorded)."""
    approved_after_drafted = models.CheckConstraint(
        condition=models.Q(minutes_approved_on__gte=models.F("minutes_drafted_on")), name="unguarded"
    )
    meeting = Meeting(kind=MeetingKind.REVIEW, held_on=dt.date(2027, 1, 6))
    assert checks_broken(meeting, Meeting, [approved_after_drafted], None, "default") == set()
    meeting.minutes_drafted_on, meeting.minutes_approved_on = dt.date(2027, 1, 6), dt.date(2027, 1, 5)
    assert checks_broken(meeting, Meeting, [approved_after_drafted], None, "default") == {"unguarded"}


def test_a_meeting_s_five_checks_take_one_query_not_five():
    meeting = Meeting(kind=MeetingKind.REVIEW, held_on=dt.date(2027, 1, 6), minutes_drafted_on=dt.date(2027, 1, 6))
    with CaptureQueriesContext(connection) as queries:
        meeting.validate_constraints()
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1, selects


def test_every_versioned_record_validates_its_checks_in_one_query():
    from django.apps import apps

    versioned = [m for m in apps.get_models() if issubclass(m, Versioned)]
    assert len(versioned) > 15
    assert all(m.validate_constraints is OneQueryChecks.validate_constraints for m in versioned)
