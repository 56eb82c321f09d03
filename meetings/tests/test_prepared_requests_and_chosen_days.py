"""A social worker prepares the LPM request, the team manager makes it (002 §4 a–e), and dates people
choose that set a deadline or book a meeting fall on working days (issue 20 §8, §9)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from pghistory.models import Events

from accounts.models import User
from accounts.roles import Role
from cases.models import Episode, Family
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from deadlines.models import ClosureDay
from deadlines.services import episode_timetable, non_working_day_error
from meetings import services as ms
from meetings.models import LPMRequest, LPMRequestPreparation, Recommendation, RequestStatus

from .test_services import DOCS, PANEL, REQUESTED, TODAY, approve, messages, request_lpm

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user) -> dict[str, User]:
    return {
        "sw": make_user(Role.SOCIAL_WORKER),
        "tm": make_user(Role.TEAM_MANAGER),
        "hos": make_user(Role.HEAD_OF_SERVICE),
        "clo": make_user(Role.COURT_LIAISON_OFFICER),
    }


@pytest.fixture
def family(team, people) -> Family:
    family = FamilyFactory.create(team=team, social_worker=people["sw"], team_manager=people["tm"])
    ChildFactory.create(family=family, first_name="Amy")
    PersonFactory.create(family=family, relationship="mother")
    return family


def prepare(family, people, **overrides):
    kwargs = {
        "family": family,
        "recommendation": Recommendation.PRE_PROCEEDINGS,
        "concerns": "Neglect: the children are often hungry",
        "documents": {**DOCS, "genogram": ("missing", "Ready on Friday")},
        "by": people["sw"],
        "today": REQUESTED - dt.timedelta(days=3),
        **overrides,
    }
    return ms.lpm_request_prepare(**kwargs)


def test_the_social_worker_prepares_and_the_team_manager_makes_the_request(family, people):
    prepared = prepare(family, people)
    assert (prepared.prepared_by, prepared.prepared_on, prepared.request) == (people["sw"], dt.date(2027, 1, 1), None)
    assert prepared.documents["genogram"] == ["missing", "Ready on Friday"]
    # Changing it keeps one preparation per family, saying who changed it last.
    prepare(family, people, concerns="Neglect and missed health appointments")
    assert LPMRequestPreparation.objects.filter(family=family).count() == 1

    request = request_lpm(family, people)
    request = LPMRequest.objects.get(pk=request.pk)
    assert (request.prepared_by, request.prepared_on) == (people["sw"], dt.date(2027, 1, 1))
    assert (request.requested_by, request.requested_on) == (people["tm"], REQUESTED)
    assert LPMRequestPreparation.objects.get(family=family).request == request
    # The audit keeps who prepared it and who made it.
    request_events = [e.pgh_data for e in Events.objects.tracks(request)]
    assert any(
        d["prepared_by_id"] == people["sw"].pk and d["requested_by_id"] == people["tm"].pk for d in request_events
    )
    prepared_events = [e.pgh_data for e in Events.objects.tracks(prepared)]
    assert len(prepared_events) == 3  # prepared, changed, made into the request
    assert prepared_events[-1]["request_id"] == request.pk


def test_a_social_worker_cannot_make_the_request_and_a_request_cannot_predate_its_preparation(family, people):
    prepare(family, people)
    with pytest.raises(PermissionDenied):
        request_lpm(family, people, by=people["sw"])
    errors = messages(lambda: request_lpm(family, people, requested_on=dt.date(2026, 12, 31)))
    assert errors["requested_on"] == [
        "The request (31/12/2026) cannot be made before it was prepared (01/01/2027); enter the date you made it"
    ]
    assert not LPMRequest.objects.filter(episode__family=family).exists()


def test_nothing_is_prepared_for_a_family_already_in_an_lpm(family, people):
    request_lpm(family, people)
    errors = messages(lambda: prepare(family, people, today=TODAY))
    assert "already has an open LPM" in errors["__all__"][0]
    assert not LPMRequestPreparation.objects.exists()


def _defer(request, people, until):
    return ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.DEFERRED,
        decided_on=dt.date(2027, 1, 5),
        deferred_until=until,
        note="A current assessment is needed",
        by=people["hos"],
        today=TODAY,
    )


def test_a_deferral_to_a_weekend_a_bank_holiday_or_a_closure_day_is_refused_by_name(family, people):
    request = request_lpm(family, people)
    ClosureDay.objects.create(date=dt.date(2027, 1, 14), reason="Staff training day")
    assert messages(lambda: _defer(request, people, dt.date(2027, 1, 10)))["deferred_until"] == [
        "10 Jan 2027 is a Sunday: choose a working day"
    ]
    assert messages(lambda: _defer(request, people, dt.date(2027, 1, 14)))["deferred_until"] == [
        "14 Jan 2027 is a council closure day (Staff training day): choose a working day"
    ]
    assert (
        non_working_day_error(dt.date(2026, 12, 25))
        == "25 Dec 2026 is Christmas Day, a bank holiday: choose a working day"
    )
    assert LPMRequest.objects.get(pk=request.pk).status == RequestStatus.AWAITING
    _defer(request, people, dt.date(2027, 1, 15))
    assert LPMRequest.objects.get(pk=request.pk).deferred_until == dt.date(2027, 1, 15)


def test_a_deferral_kept_from_before_on_a_sunday_is_due_on_the_next_working_day(family, people):
    request = request_lpm(family, people)
    _defer(request, people, dt.date(2027, 1, 15))
    # An older record (or an import) holds a Sunday: the engine never makes it a Sunday deadline.
    LPMRequest.objects.filter(pk=request.pk).update(deferred_until=dt.date(2027, 1, 17))
    episode = Episode.objects.get(pk=request.episode_id)
    decision = episode_timetable(episode, today=dt.date(2027, 1, 6)).get("lpm_request_decision")
    assert decision is not None
    assert decision.due == dt.date(2027, 1, 18)


def test_a_panel_is_not_listed_for_a_saturday_and_a_hearing_not_on_a_bank_holiday(family, people):
    request = approve(request_lpm(family, people), people)
    errors = messages(
        lambda: ms.lpm_list(episode=request.episode, panel_date=dt.date(2027, 1, 9), by=people["clo"], today=TODAY)
    )
    assert errors["panel_date"] == ["9 Jan 2027 is a Saturday: choose a working day"]
    ms.lpm_list(episode=request.episode, panel_date=PANEL, by=people["clo"], today=TODAY)
    # The court sits on the council's closure days, never on a bank holiday.
    ClosureDay.objects.create(date=dt.date(2027, 4, 1), reason="Council closure")
    assert non_working_day_error(dt.date(2027, 4, 1), court=True) is None
    assert non_working_day_error(dt.date(2027, 3, 26), court=True) == (
        "26 Mar 2027 is Good Friday, a bank holiday, when the court does not sit: enter the date the court listed"
    )
