"""Builders for the tracker and alert tests: families taken through the real services, so the
stored deadlines are what the product would store. The tests here check the builders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from accounts.roles import Role
from cases import services as cs
from cases.models import Episode, Family
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from meetings import services as ms
from meetings.models import LPMOutcome, MeetingKind, Recommendation, RequestStatus

DOCS = {
    "plo_summary": ("present", ""),
    "chronology": ("present", ""),
    "genogram": ("present", ""),
    "single_assessment": ("present", ""),
}

# A quiet stretch of the calendar: no bank holidays between 4 Jan and 26 Mar 2027.
D = dt.date(2027, 1, 7)  # Thursday: the LPM decides to initiate pre-proceedings
LETTER_DUE = dt.date(2027, 1, 14)  # D + 5 working days (002 §9b ii)


@dataclass
class Staff:
    tm: Any
    hos: Any
    sw: Any
    team: Any


def staff(make_user: Any, team: Any) -> Staff:
    return Staff(
        tm=make_user(Role.TEAM_MANAGER, first_name="Tara", last_name="Manager"),
        hos=make_user(Role.HEAD_OF_SERVICE, first_name="Helen", last_name="Head"),
        sw=make_user(Role.SOCIAL_WORKER, first_name="Sam", last_name="Worker"),
        team=team,
    )


def family(
    people: Staff,
    *,
    name: str = "Ashworth family",
    reference: str | None = None,
    children: tuple[tuple[str, str], ...] = (("Amy", "Ashworth"),),
    sw: Any = None,
    team: Any = None,
    restricted: bool = False,
    previous_pre_proceedings: int = 0,
) -> Family:
    """A family with children and two parents, allocated to `sw` (default the staff's SW)."""
    kwargs: dict[str, Any] = {"name": name}
    if reference:
        kwargs["reference"] = reference
    fam = FamilyFactory.create(
        team=team or people.team,
        social_worker=sw or people.sw,
        team_manager=people.tm,
        restricted=restricted,
        **kwargs,
    )
    if restricted:
        # The head of service is named too: she decides the LPM request (services check scope).
        fam.restricted_to.add(sw or people.sw, people.tm, people.hos)
    for first, last in children:
        ChildFactory(family=fam, first_name=first, last_name=last, previous_pre_proceedings=previous_pre_proceedings)
    PersonFactory(family=fam, relationship="mother")
    PersonFactory(family=fam, relationship="father")
    return fam


def start_pre_proceedings(
    fam: Family, people: Staff, *, decision: dt.date = D, today: dt.date | None = None
) -> Episode:
    """LPM requested, approved, held: pre-proceedings start on `decision` (the clock starts)."""
    today = today or decision
    request = ms.lpm_request_create(
        family=fam,
        requested_on=decision - dt.timedelta(days=14),
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=DOCS,
        by=people.tm,
        today=today,
    )
    ms.lpm_request_decide(
        request=request,
        expected_version=request.version,
        status=RequestStatus.APPROVED,
        decided_on=decision - dt.timedelta(days=10),
        by=people.hos,
        today=today,
    )
    episode = request.episode
    lpm = ms.lpm_list(episode=episode, panel_date=decision, by=people.tm, today=today)
    ms.lpm_record_outcome(
        lpm=lpm,
        expected_version=lpm.version,
        held_on=decision,
        outcome=LPMOutcome.INITIATE,
        chair=people.hos,
        by=people.hos,
        today=today,
    )
    episode.refresh_from_db()
    return episode


def deliver_letter(episode: Episode, people: Staff, *, on: dt.date, today: dt.date | None = None) -> None:
    """The letter before proceedings delivered to every parent on `on`."""
    for person in episode.family.people.all():
        cs.letter_deliver(episode=episode, person=person, delivered_on=on, by=people.sw, today=today or on)


def hold_initial_meeting(episode: Episode, people: Staff, *, on: dt.date, today: dt.date | None = None) -> None:
    ms.meeting_record(episode=episode, kind=MeetingKind.INITIAL, held_on=on, by=people.tm, today=today or on)


pytestmark = pytest.mark.django_db


def test_a_family_in_pre_proceedings_has_its_letter_due_five_working_days_after_the_decision(make_user, team):
    people = staff(make_user, team)
    episode = start_pre_proceedings(family(people), people)
    letter = episode.deadlines.get(key="letter_before_proceedings")
    assert letter.due_on == LETTER_DUE and letter.state == "open" and letter.responsible_role == "social_worker"
    end = episode.deadlines.get(key="pre_proceedings_end")
    assert end.due_on == D + dt.timedelta(weeks=16)


def test_the_letter_is_met_once_every_parent_has_it(make_user, team):
    people = staff(make_user, team)
    episode = start_pre_proceedings(family(people), people)
    deliver_letter(episode, people, on=dt.date(2027, 1, 12))
    assert episode.deadlines.get(key="letter_before_proceedings").state == "met"
    assert episode.deadlines.get(key="initial_meeting").due_on == dt.date(2027, 1, 26)  # L + 10 working days
