"""Each review LPM says which of the policy's review points it is held for, and meets that
deadline, not the next one in date order (issue 10: 002 App. 2 weeks 7/8, 12 and 14; App. 1's
review LPM by week 20). Skipping the optional week-14 LPM no longer miscounts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from cases import services as cs
from cases.models import Episode
from cases.tests import test_case_screens as screens
from cases.tests.test_case_screens import DOCS, _date, _text
from deadlines.models import DeadlineState
from meetings import services as ms
from meetings.models import LPM, LPMKind, LPMOutcome, Recommendation, RequestStatus

pytestmark = pytest.mark.django_db

staff, family = screens.staff, screens.family  # the case screens' fixtures
D = dt.date(2026, 12, 18)  # Fri 18 Dec 2026: the LPM decides to start pre-proceedings


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2027, 5, 10, 10, 0, tzinfo=dt.UTC), tick=False):  # Mon 10 May 2027
        yield


@pytest.fixture
def episode(family, staff) -> Episode:
    request = ms.lpm_request_create(
        family=family, requested_on=dt.date(2026, 12, 1), recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect", documents=DOCS, by=staff["tm"],
    )  # fmt: skip
    ms.lpm_request_decide(
        request=request, expected_version=None, status=RequestStatus.APPROVED, decided_on=dt.date(2026, 12, 3),
        by=staff["hos"],
    )  # fmt: skip
    lpm = ms.lpm_list(episode=request.episode, panel_date=D, by=staff["clo"])
    ms.lpm_record_outcome(
        lpm=lpm, expected_version=None, held_on=D, outcome=LPMOutcome.INITIATE, chair=staff["hos"], by=staff["hos"]
    )
    episode = Episode.objects.get(pk=request.episode_id)
    cs.extension_agree(
        episode=episode, weeks=4, agreed_on=dt.date(2027, 3, 11), rationale="Assessment due in April",
        by=staff["hos"],
    )  # fmt: skip
    return episode


def review(episode: Episode, staff, point: int | None, held_on: dt.date) -> LPM:
    lpm = ms.lpm_list(episode=episode, panel_date=held_on, kind=LPMKind.REVIEW, review_point=point, by=staff["clo"])
    return ms.lpm_record_outcome(
        lpm=lpm, expected_version=None, held_on=held_on, outcome=LPMOutcome.CONTINUE, chair=staff["hos"],
        by=staff["hos"],
    )  # fmt: skip


def reviews(episode: Episode) -> list[tuple[dt.date | None, dt.date | None, str]]:
    return [
        (d.due_on, d.met_on, d.state) for d in episode.deadlines.filter(key="gateway_review").order_by("occurrence")
    ]


def test_skipping_the_week_14_lpm_then_holding_the_week_20_review_meets_week_20(client, staff, episode, family):
    review(episode, staff, 1, dt.date(2027, 2, 11))
    review(episode, staff, 2, dt.date(2027, 3, 11))
    client.force_login(staff["clo"])
    url = reverse("meetings:lpm-list", args=[episode.pk]) + f"?kind={LPMKind.REVIEW}"
    form = client.get(url).content.decode()
    # Each review point with its due date. Week 14 falls on Good Friday (26 Mar 2027): due Thu 25 Mar.
    assert "Further LPM / care planning meeting, if required (week 14), due Thu 25 Mar 2027" in _text(client.get(url))
    assert "Review LPM (in or before week 20), due Fri 7 May 2027" in _text(client.get(url))
    # Offered first: the nearest open review deadline (week 14 lapsed unheld; weeks 8 and 12 are taken).
    assert re.search(r'<input[^>]*value="4"[^>]*checked', form) or re.search(r'<input[^>]*checked[^>]*value="4"', form)

    response = client.post(url, {**_date("panel_date", dt.date(2027, 5, 6)), "review_point": "4"}, follow=True)
    assert "The case has been listed" in _text(response)
    week_20 = episode.lpms.get(review_point=4)
    ms.lpm_record_outcome(
        lpm=week_20, expected_version=None, held_on=dt.date(2027, 5, 6), outcome=LPMOutcome.CONTINUE,
        chair=staff["hos"], by=staff["hos"],
    )  # fmt: skip
    assert reviews(episode) == [
        (dt.date(2027, 2, 12), dt.date(2027, 2, 11), DeadlineState.MET),
        (dt.date(2027, 3, 12), dt.date(2027, 3, 11), DeadlineState.MET),
        (dt.date(2027, 3, 25), None, DeadlineState.NOT_APPLICABLE),  # held only if required: lapsed
        (dt.date(2027, 5, 7), dt.date(2027, 5, 6), DeadlineState.MET),
    ]
    page = _text(client.get(reverse("cases:family-detail", args=[family.pk])))
    assert 'data-testid="review-point">Review LPM (in or before week 20)<' in page
    assert 'data-testid="review-point">Care planning LPM (week 12)<' in page


def test_a_required_review_point_not_held_goes_overdue(staff, episode):
    review(episode, staff, 1, dt.date(2027, 2, 11))
    review(episode, staff, 2, dt.date(2027, 3, 11))
    review(episode, staff, None, dt.date(2027, 4, 1))  # an extra review: it meets none of the points
    assert reviews(episode)[2:] == [
        (dt.date(2027, 3, 25), None, DeadlineState.NOT_APPLICABLE),
        (dt.date(2027, 5, 7), None, DeadlineState.OPEN),
    ]
    week_20 = episode.deadlines.get(key="gateway_review", occurrence=4)
    assert week_20.due_on < dt.date(2027, 5, 10)  # overdue on Mon 10 May
    # The minutes of all three meetings held are owed, whatever point each was for.
    assert episode.deadlines.filter(key="approved_minutes:gateway_review").count() == 3


def test_a_review_point_taken_twice_or_held_out_of_order_is_refused_beside_the_field(client, staff, episode):
    review(episode, staff, 1, dt.date(2027, 2, 11))
    review(episode, staff, 4, dt.date(2027, 5, 6))
    client.force_login(staff["clo"])
    url = reverse("meetings:lpm-list", args=[episode.pk]) + f"?kind={LPMKind.REVIEW}"
    page = _text(client.post(url, {**_date("panel_date", dt.date(2027, 5, 7)), "review_point": "4"}))
    assert "There is a problem" in page
    assert "The review LPM (in or before week 20) is already recorded for this family (panel 06/05/2027)" in page
    assert 'name="panel_date_0" value="7"' in page  # what was typed is kept
    # The week-12 LPM cannot be held after the week-20 one.
    late = ms.lpm_list(episode=episode, panel_date=dt.date(2027, 5, 7), kind=LPMKind.REVIEW, review_point=2,
                       by=staff["clo"])  # fmt: skip
    page = _text(
        client.post(
            reverse("meetings:lpm-outcome", args=[late.pk]),
            {"version": late.version, **_date("held_on", dt.date(2027, 5, 7)), "outcome": LPMOutcome.CONTINUE,
             "chair": "", **_date("outcome_recorded_on", None)},
        )
    )  # fmt: skip
    assert "Date held must be on or before the review LPM (in or before week 20) (06/05/2027)" in page


def test_the_migration_numbers_reviews_recorded_before_in_date_order(staff, episode):
    """Review LPMs recorded before they said which point they were for keep the matching they had:
    date order, up to the policy's four points (a fifth is an extra review)."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("meetings.migrations.0003_lpm_review_point")
    held = [dt.date(2027, 3, 11), dt.date(2027, 2, 11), dt.date(2027, 4, 8), dt.date(2027, 4, 22)]
    made = [ms.lpm_list(episode=episode, panel_date=d, kind=LPMKind.REVIEW, by=staff["clo"]) for d in held]
    LPM.objects.filter(pk__in=[x.pk for x in made]).update(held_on=None)
    for lpm, day in zip(made, held, strict=True):
        LPM.objects.filter(pk=lpm.pk).update(held_on=day)
    booked = ms.lpm_list(episode=episode, panel_date=dt.date(2027, 5, 6), kind=LPMKind.REVIEW, by=staff["clo"])
    migration.number_existing_reviews(apps, None)
    got = {x.panel_date: x.review_point for x in LPM.objects.filter(kind=LPMKind.REVIEW)}
    assert got == {
        dt.date(2027, 2, 11): 1,
        dt.date(2027, 3, 11): 2,
        dt.date(2027, 4, 8): 3,
        dt.date(2027, 4, 22): 4,
        booked.panel_date: None,  # not yet held, and the policy has four points: an extra review
    }
