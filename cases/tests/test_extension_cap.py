"""Extensions add up: the policy's maximum is for the whole of pre-proceedings, so what was agreed
before counts against it (002 §11a ii, App. 2 week 16: "no more than four weeks"). Issue 23: a
cap that ignored earlier extensions passed every test."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cases import services as cs
from deadlines.tests.test_scenarios import D, family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db

AGREED = dt.date(2027, 3, 11)


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


def _agree(episode, people, weeks):
    return cs.extension_agree(
        episode=episode, weeks=weeks, agreed_on=AGREED, rationale="Assessment due in April", by=people.hos, today=AGREED
    )


def test_the_standard_four_weeks_are_shared_by_every_extension_of_the_episode(people):
    episode = start_pre_proceedings(family(people), people)
    _agree(episode, people, 3)
    with pytest.raises(ValidationError) as refused:
        _agree(episode, people, 2)
    message = " ".join(refused.value.message_dict["weeks"])
    assert "at most 1 more week" in message and "3 have already been agreed" in message
    assert episode.extensions.count() == 1  # nothing saved by the refusal
    _agree(episode, people, 1)
    end = episode.deadlines.get(key="pre_proceedings_end")
    assert end.due_on == D + dt.timedelta(weeks=20)  # 16 weeks and the 4 agreed, never more
    with pytest.raises(ValidationError) as again:
        _agree(episode, people, 1)
    assert "4 have already been agreed" in " ".join(again.value.message_dict["weeks"])
    assert sum(e.weeks for e in episode.extensions.all()) == 4


def test_an_extension_agreed_after_the_end_it_would_extend_is_refused_naming_both_dates(people):
    """Issue 20 "an extension after the end": 16 weeks from Thu 7 Jan 2027 end on 29/04/2027."""
    episode = start_pre_proceedings(family(people), people)
    end = episode.deadlines.get(key="pre_proceedings_end").due_on
    assert end == dt.date(2027, 4, 29)
    late = dt.date(2027, 5, 12)
    with pytest.raises(ValidationError) as refused:
        cs.extension_agree(episode=episode, weeks=2, agreed_on=late, rationale="Late", by=people.hos, today=late)
    assert refused.value.message_dict["agreed_on"] == [
        "The extension was agreed on 12/05/2027, after pre-proceedings were due to end on 29/04/2027: "
        "an extension can only be agreed on or before the end date it extends"
    ]
    assert episode.extensions.count() == 0
    assert episode.deadlines.get(key="pre_proceedings_end").due_on == end  # nothing moved
    # On the last day it is still in time.
    cs.extension_agree(episode=episode, weeks=2, agreed_on=end, rationale="In time", by=people.hos, today=late)
    assert episode.deadlines.get(key="pre_proceedings_end").due_on == end + dt.timedelta(weeks=2)


def test_an_extension_agreed_after_pre_proceedings_ended_is_refused_naming_both_dates(people):
    episode = start_pre_proceedings(family(people), people)
    ended = dt.date(2027, 4, 28)
    cs.episode_end(
        episode=episode,
        expected_version=None,
        ended_on=ended,
        end_outcome="step_down_cin",
        by=people.hos,
        today=ended,
    )
    late = dt.date(2027, 4, 29)  # before the 16 weeks ran out, but after the episode ended
    with pytest.raises(ValidationError) as refused:
        cs.extension_agree(episode=episode, weeks=2, agreed_on=late, rationale="Late", by=people.hos, today=late)
    assert (
        "The extension was agreed on 29/04/2027, after pre-proceedings ended on 28/04/2027"
        in refused.value.message_dict["agreed_on"][0]
    )
    assert episode.extensions.count() == 0
