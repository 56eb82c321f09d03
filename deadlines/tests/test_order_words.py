"""Events in an impossible order reach people in their words and UK dates (issue 20 "Bad input"):
the engine names its keys and ISO dates; the service says "The decision to issue (06/01/2027)
cannot be before the LPM (07/01/2027)", and nothing is saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cases.models import CareProceedings
from deadlines.engine import load_policy, timetable
from deadlines.services import calendar_current, deadlines_recompute, order_words
from deadlines.tests.test_scenarios import D, family, staff, start_pre_proceedings


def _refusal(events: dict) -> str:
    with pytest.raises(ValueError) as refused:
        timetable(load_policy("gloucestershire"), events, calendar_current(), dt.date(2027, 2, 1), outcome="initiate")
    return order_words(refused.value)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_the_engines_order_errors_are_in_peoples_words_with_uk_dates():
    assert _refusal({"lpm_held": dt.date(2027, 1, 7), "issue_decision": dt.date(2027, 1, 6)}) == (
        "The decision to issue (06/01/2027) cannot be before the LPM (07/01/2027)"
    )
    assert _refusal(
        {
            "lpm_held": dt.date(2026, 10, 1),
            "gateway_review": [dt.date(2027, 1, 20)],
            "proceedings_issued": dt.date(2027, 1, 6),
        }
    ) == ("The review LPM (20/01/2027) cannot be after the issue of care proceedings (06/01/2027)")


@pytest.mark.django_db
def test_an_issue_decision_recorded_before_the_lpm_is_refused_in_peoples_words(make_user, team):
    people = staff(make_user, team)
    episode = start_pre_proceedings(family(people), people)  # the LPM on Thu 7 Jan 2027
    before = {(d.key, d.occurrence): (d.due_on, d.state) for d in episode.deadlines.all()}
    # A record the forms refuse, written past them, as an old import or a data fix could.
    CareProceedings.objects.create(episode=episode, issue_decision_on=D - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        deadlines_recompute(episode=episode, today=dt.date(2027, 2, 1))
    message = " ".join(refused.value.messages)
    assert "The decision to issue (06/01/2027) cannot be before the LPM (07/01/2027)" in message
    assert "issue_decision" not in message and "2027-01-06" not in message
    assert {(d.key, d.occurrence): (d.due_on, d.state) for d in episode.deadlines.all()} == before
