"""Role homes answer "what do I do today" (issue 13 §4), each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.roles import Role
from deadlines.services import calendar_current
from deadlines.tests.test_scenarios import family, staff, start_pre_proceedings
from meetings import services as ms
from meetings.models import LPMKind
from tracker_meetings import services
from tracker_meetings.models import TrackerMeetingKind

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
TODAY = dt.date(2027, 3, 1)  # a Monday, week 8 of the Ashworths' pre-proceedings (decision 7 Jan)


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


@pytest.fixture
def world(people, make_user):
    ash = start_pre_proceedings(family(people, name="Ashworth family", reference="PLO-ASH"), people, today=TODAY)
    # Booked for last week, never recorded as held: a date for the CLO to enter.
    ms.meeting_record(
        episode=ash, kind="initial_meeting", scheduled_for=dt.date(2027, 2, 22), by=people.tm, today=dt.date(2027, 2, 1)
    )
    # A second episode for a child, long overdue: escalations and a second episode for the AD.
    old = start_pre_proceedings(
        family(people, name="Carter family", reference="PLO-CAR", previous_pre_proceedings=1),
        people,
        decision=dt.date(2026, 11, 5),
        today=TODAY,
    )
    # Listed at this week's panel, held last week without advice recorded.
    ms.lpm_list(episode=ash, panel_date=dt.date(2027, 3, 3), kind=LPMKind.REVIEW, by=people.tm, today=TODAY)
    return {"ash": ash, "old": old}


@pytest.fixture
def home(client, django_assert_max_num_queries):
    """GET the home page as `user` on TODAY, within `queries` queries."""

    def get(user, queries):
        with time_machine.travel(dt.datetime.combine(TODAY, dt.time(9), tzinfo=LONDON), tick=False):
            client.force_login(user)
            client.get(reverse("home"))  # warm: the session and the policy caches
            with django_assert_max_num_queries(queries):
                response = client.get(reverse("home"))
        assert response.status_code == 200
        return response.content.decode()

    return get


def test_court_liaison_officer_home(home, world, make_user):
    clo = make_user(Role.COURT_LIAISON_OFFICER)
    services.tracker_meeting_prepare(
        kind=TrackerMeetingKind.COURT, meets_on=TODAY, starts_at=None, by=clo, today=TODAY, calendar=calendar_current()
    )
    body = home(clo, 21)
    assert "Meetings to prepare" in body
    assert "Weekly tracker meeting" in body and "Not set up yet this week" in body
    assert "Legal gateway panel" in body and "Wed 3 Mar 2027" in body and "1 case listed: not set up yet" in body
    assert "Court tracker meeting" in body and "Open the agenda" in body
    assert "Dates to enter" in body and "Initial pre-proceedings meeting" in body and "22 Mar 2027" not in body
    assert "Record it as held" in body
    assert "Cases with missing dates" in body and "No initial meeting booked" in body  # the Carters


def test_legal_adviser_home(client, home, world, people, make_user):
    legal = make_user(Role.LEGAL_ADVISER)
    body = home(legal, 15)
    assert "LPMs this week" in body and "Legal gateway review" in body and "Not sent" in body
    # Both LPMs that started pre-proceedings were held without advice recorded (the Carters' too long ago).
    assert "Legal advice to record" in body and "PLO-ASH" in body
    assert "Proceedings to issue" in body and "No decisions to issue are waiting" in body
    _every_link_opens(client, body)


def _every_link_opens(client, body):
    """She reads service-wide and writes legal advice only (issue 9): every link on her home opens
    for her (none leads to a step she may not record)."""
    links = {href.split("#")[0] for href in re.findall(r'href="(/[^"]*)"', body)} - {"/static/"}
    links = {link for link in links if not link.startswith("/static/")}
    assert any("/legal-advice/" in link for link in links)
    refused = {link: client.get(link).status_code for link in links}
    assert {link: status for link, status in refused.items() if status != 200} == {}


def test_legal_adviser_home_links_proceedings_to_read_and_advice_to_record(client, home, world, people, make_user):
    from cases.models import CareProceedings
    from meetings.models import LPMOutcome

    lpm = world["ash"].lpms.get(kind=LPMKind.REVIEW)
    ms.lpm_record_outcome(
        lpm=lpm,
        expected_version=None,
        held_on=dt.date(2027, 3, 1),
        outcome=LPMOutcome.ISSUE,
        chair=people.hos,
        by=people.hos,
        today=TODAY,
    )
    assert CareProceedings.objects.filter(episode=world["ash"], issued_on__isnull=True).exists()
    body = home(make_user(Role.LEGAL_ADVISER), 15)
    family_page = reverse("cases:family-detail", args=[world["ash"].family_id])
    assert f'href="{family_page}#care-proceedings"' in body
    assert reverse("cases:proceedings", args=[world["ash"].pk]) not in body
    assert f'href="{reverse("meetings:legal-advice", args=[lpm.pk])}"' in body
    _every_link_opens(client, body)


def test_assistant_director_home(home, world, make_user):
    ad = make_user(Role.ASSISTANT_DIRECTOR)
    body = home(ad, 22)
    assert "Escalations" in body and "PLO-CAR" in body
    assert "Second episodes" in body and "1 earlier pre-proceedings episode" in body
    assert "Predicted to overrun" in body


def test_head_of_service_home_and_own_actions(home, world, people, make_user):
    clo = make_user(Role.COURT_LIAISON_OFFICER)
    meeting = services.tracker_meeting_prepare(
        kind=TrackerMeetingKind.WEEKLY, meets_on=TODAY, starts_at=None, by=clo, today=TODAY, calendar=calendar_current()
    )
    services.meeting_action_add(
        item=meeting.items.get(episode=world["old"]),
        description="Decide whether to issue",
        owner=people.hos,
        due_on=TODAY,
        by=clo,
    )
    body = home(people.hos, 21)
    assert "Your actions from meetings" in body and "Decide whether to issue" in body and "Due today" in body
    assert "Extensions to decide" in body and "PLO-CAR" in body and "Agree an extension" in body
    assert "LPM requests waiting for your decision" in body


def _overrun_list(body: str) -> str:
    start = body.index('data-testid="overruns"')
    return body[start : body.index("</ul>", start)]


def test_overruns_on_both_senior_homes_follow_the_escalations_forecast(home, world, people, make_user):
    """Both senior homes list what the predicted-overrun escalation (004) predicts now: a review
    booked after the end puts a case on them, and rebooking it inside the end takes it off."""
    from meetings.models import MeetingKind

    ad = make_user(Role.ASSISTANT_DIRECTOR)
    # The Ashworths' pre-proceedings end in late April; a review booked for Mon 10 May runs past it.
    ms.meeting_record(
        episode=world["ash"], kind=MeetingKind.REVIEW, scheduled_for=dt.date(2027, 5, 10), by=people.tm, today=TODAY
    )
    dale = start_pre_proceedings(
        family(people, name="Dale family", reference="PLO-DAL"), people, decision=dt.date(2027, 1, 7), today=TODAY
    )
    review = ms.meeting_record(
        episode=dale, kind=MeetingKind.REVIEW, scheduled_for=dt.date(2027, 5, 10), by=people.tm, today=TODAY
    )
    # Rebooked inside the end: no longer predicted to run over.
    ms.meeting_update(
        meeting=review, expected_version=None, by=people.tm, today=TODAY, scheduled_for=dt.date(2027, 4, 20)
    )
    for user, queries in ((ad, 22), (people.hos, 21)):
        listed = _overrun_list(home(user, queries))
        assert "PLO-ASH" in listed and "The pre-proceedings review meeting is booked for Mon 10 May 2027" in listed
        assert "PLO-CAR" in listed and "The agreed length ended on" in listed  # past its end
        assert "PLO-DAL" not in listed


def test_extensions_to_decide_are_exactly_the_ends_within_four_weeks(home, world, people):
    """The head of service is asked to decide on extensions for exactly the pre-proceedings whose
    end falls within four weeks of today (the boundary day included), soonest first; her home
    reads only those episodes' rows, whatever the size of the service."""
    from deadlines.models import Deadline

    def ending_on(name: str, reference: str, end: dt.date) -> None:
        episode = start_pre_proceedings(family(people, name=name, reference=reference), people, today=TODAY)
        Deadline.objects.filter(episode=episode, key="pre_proceedings_end", occurrence=1).update(due_on=end)

    ending_on("Edge family", "PLO-EDG", TODAY + dt.timedelta(weeks=4))  # Mon 29 Mar: listed
    ending_on("Later family", "PLO-LAT", TODAY + dt.timedelta(weeks=4, days=1))  # a day later: not yet
    body = home(people.hos, 21)
    start = body.index('data-testid="extensions-to-decide"')
    table = body[start : body.index("</table>", start)]
    assert list(dict.fromkeys(re.findall(r"PLO-[A-Z]{3}", table))) == ["PLO-CAR", "PLO-EDG"]
    assert "29 Mar 2027" in table


def test_a_long_list_shows_the_soonest_and_its_count_opens_every_case_on_the_tracker(
    home, world, people, client, monkeypatch
):
    """At a large service hundreds of cases end within four weeks: the head of service's home
    shows the soonest (HOME_LIST_LIMIT; 2 here), says how many there are in all, and that count
    opens exactly those cases on the pre-action tracker (the same selector)."""
    from deadlines.models import Deadline
    from tracker_meetings import today

    monkeypatch.setattr(today, "HOME_LIST_LIMIT", 2)

    def ending_on(name: str, reference: str, end: dt.date) -> None:
        episode = start_pre_proceedings(family(people, name=name, reference=reference), people, today=TODAY)
        Deadline.objects.filter(episode=episode, key="pre_proceedings_end", occurrence=1).update(due_on=end)

    ending_on("Edge family", "PLO-EDG", TODAY + dt.timedelta(weeks=4))
    ending_on("Soon family", "PLO-SOO", TODAY + dt.timedelta(days=3))
    ending_on("Later family", "PLO-LAT", TODAY + dt.timedelta(weeks=4, days=1))  # not within four weeks
    body = home(people.hos, 21)
    start = body.index('data-testid="extensions-to-decide"')
    table = body[start : body.index("</table>", start)]
    # The Carters are past their end (Nov decision), the Soons end in 3 days; the Edges are third.
    assert list(dict.fromkeys(re.findall(r"PLO-[A-Z]{3}", table))) == ["PLO-CAR", "PLO-SOO"]
    link = re.search(r'<a class="govuk-link" href="([^"]*ends_within=4)" data-count="(\d+)">([^<]*)</a>', body)
    assert link is not None
    assert (link.group(2), link.group(3)) == ("3", "3 cases in pre-proceedings ending within 4 weeks or past their end")
    assert "The 2 with the earliest end dates are listed below." in body
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(9), tzinfo=LONDON), tick=False):
        tracker = client.get(link.group(1)).content.decode()
    assert sorted(set(re.findall(r"PLO-[A-Z]{3}", tracker))) == ["PLO-CAR", "PLO-EDG", "PLO-SOO"]
    assert "in pre-proceedings ending within 4 weeks or past their end" in tracker
