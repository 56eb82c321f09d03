"""One family's journey through the services: every recorded date moves the stored deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from cases import services as cs
from cases.models import EndOutcome, Stage
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from deadlines.models import DeadlineState
from meetings import services as ms
from meetings.models import LPMOutcome, MeetingKind, Recommendation, RequestStatus

pytestmark = pytest.mark.django_db

DOCS = {
    "plo_summary": ("present", ""),
    "chronology": ("present", ""),
    "genogram": ("present", ""),
    "single_assessment": ("present", ""),
}


@pytest.fixture
def people(make_user, team):
    return {
        "tm": make_user(Role.TEAM_MANAGER),
        "hos": make_user(Role.HEAD_OF_SERVICE),
        "sw": make_user(Role.SOCIAL_WORKER),
        "clo": make_user(Role.COURT_LIAISON_OFFICER),
    }


@pytest.fixture
def family(team, people):
    family = FamilyFactory(team=team, social_worker=people["sw"], team_manager=people["tm"])
    ChildFactory(family=family)
    ChildFactory(family=family, date_of_birth=dt.date(2021, 2, 3))
    PersonFactory(family=family, relationship="mother")
    PersonFactory(family=family, relationship="father")
    return family


def _deadline(episode, key, occurrence=1):
    return episode.deadlines.get(key=key, occurrence=occurrence)


def test_a_family_steps_down_and_every_date_moves_the_deadlines(family, people, settings):
    settings.PLO_POLICY = "gloucestershire"
    today = dt.date(2027, 3, 1)
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2026, 12, 1),
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=DOCS,
        by=people["tm"],
        today=today,
    )
    episode = request.episode
    # 002 states no time for the head of service's decision (only a deferral is limited, §6b).
    assert not episode.deadlines.filter(key="lpm_request_decision").exists()
    ms.lpm_request_decide(
        request=request,
        expected_version=request.version,
        status=RequestStatus.APPROVED,
        decided_on=dt.date(2026, 12, 3),
        by=people["hos"],
        today=today,
    )
    lpm = ms.lpm_list(episode=episode, panel_date=dt.date(2026, 12, 17), by=people["tm"], today=today)
    ms.lpm_record_outcome(
        lpm=lpm,
        expected_version=lpm.version,
        held_on=dt.date(2026, 12, 17),
        outcome=LPMOutcome.INITIATE,
        chair=people["hos"],
        by=people["hos"],
        today=today,
    )
    episode.refresh_from_db()
    assert episode.stage == Stage.PRE_PROCEEDINGS and episode.decision_date == dt.date(2026, 12, 17)
    # 002 §9b ii: letter within 5 working days of D: Thu 17 Dec 2026 + 5 = Thu 24 Dec 2026.
    assert _deadline(episode, "letter_before_proceedings").due_on == dt.date(2026, 12, 24)
    initial = _deadline(episode, "initial_meeting")
    assert initial.due_on is None and initial.waiting_for
    mother, father = family.people.order_by("relationship")[1], family.people.order_by("relationship")[0]
    cs.letter_deliver(episode=episode, person=mother, delivered_on=dt.date(2026, 12, 22), by=people["sw"], today=today)
    assert _deadline(episode, "letter_before_proceedings").state == DeadlineState.OPEN  # father not yet
    cs.letter_deliver(episode=episode, person=father, delivered_on=dt.date(2026, 12, 23), by=people["sw"], today=today)
    letter = _deadline(episode, "letter_before_proceedings")
    assert letter.state == DeadlineState.MET and letter.met_on == dt.date(2026, 12, 23)
    # 002 §9b iii: initial meeting within 10 working days of the letter: Wed 23 Dec 2026 + 10 wd.
    assert _deadline(episode, "initial_meeting").due_on == dt.date(2027, 1, 11)
    ms.meeting_record(
        episode=episode, kind=MeetingKind.INITIAL, held_on=dt.date(2027, 1, 12), by=people["tm"], today=today
    )
    assert _deadline(episode, "initial_meeting").state == DeadlineState.MET_LATE
    with pytest.raises(ValidationError) as excinfo:
        cs.episode_end(
            episode=episode,
            expected_version=episode.version,
            ended_on=dt.date(2026, 12, 1),
            end_outcome=EndOutcome.STEP_DOWN_CP,
            by=people["tm"],
            today=today,
        )
    assert "ended_on" in excinfo.value.message_dict
    episode.refresh_from_db()
    cs.episode_end(
        episode=episode,
        expected_version=episode.version,
        ended_on=dt.date(2027, 2, 26),
        end_outcome=EndOutcome.STEP_DOWN_CP,
        by=people["tm"],
        today=today,
    )
    episode.refresh_from_db()
    assert episode.stage == Stage.ENDED
    assert not episode.deadlines.filter(state=DeadlineState.OPEN, key="final_meeting").exists()


def test_a_hearing_listed_for_a_future_date_does_not_meet_its_deadline(family, people):
    today = dt.date(2027, 3, 10)
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2027, 1, 4),
        recommendation=Recommendation.ISSUE,
        concerns="Serious injury",
        documents={**DOCS, "swet": ("present", "")},
        by=people["tm"],
        today=today,
    )
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.APPROVED,
        decided_on=dt.date(2027, 1, 5),
        by=people["hos"],
        today=today,
    )
    lpm = ms.lpm_list(episode=request.episode, panel_date=dt.date(2027, 1, 7), by=people["tm"], today=today)
    ms.lpm_record_outcome(
        lpm=lpm,
        expected_version=None,
        held_on=dt.date(2027, 1, 7),
        outcome=LPMOutcome.ISSUE,
        chair=people["hos"],
        by=people["hos"],
        today=today,
    )
    proceedings = request.episode.proceedings
    cs.proceedings_update(
        proceedings=proceedings,
        expected_version=None,
        issued_on=dt.date(2027, 1, 15),
        court_reference="NM27C00001",
        by=people["clo"],
        today=today,
    )
    cs.hearing_record(
        proceedings=proceedings, kind="cmh", hearing_date=dt.date(2027, 1, 29), by=people["clo"], today=today
    )
    cs.hearing_record(
        proceedings=proceedings, kind="irh", hearing_date=dt.date(2027, 5, 20), by=people["clo"], today=today
    )
    episode = request.episode
    assert _deadline(episode, "cmh").state == DeadlineState.MET
    irh = _deadline(episode, "irh")
    assert irh.state == DeadlineState.OPEN and irh.met_on is None  # listed, not yet held


def test_a_deferral_by_the_head_of_service_moves_the_decision_deadline(family, people, settings):
    """002 §6b: deferring for better papers (up to 2 weeks) is not a missed decision."""
    settings.PLO_POLICY = "gloucestershire"
    today = dt.date(2026, 12, 10)
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2026, 12, 1),
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=DOCS,
        by=people["tm"],
        today=today,
    )
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.DEFERRED,
        decided_on=dt.date(2026, 12, 8),
        deferred_until=dt.date(2026, 12, 22),
        note="Genogram needed",
        by=people["hos"],
        today=today,
    )
    episode = request.episode
    assert _deadline(episode, "lpm_request_decision").due_on == dt.date(2026, 12, 22)  # not 15 Dec
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.APPROVED,
        decided_on=dt.date(2026, 12, 21),
        by=people["hos"],
        today=dt.date(2026, 12, 21),
    )
    decision = _deadline(episode, "lpm_request_decision")
    assert decision.state == DeadlineState.MET and decision.due_on == dt.date(2026, 12, 22)
