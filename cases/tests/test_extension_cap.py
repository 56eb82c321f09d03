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
