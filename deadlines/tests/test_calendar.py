"""The private calendar feed: works without a session, family references only, revocable."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from accounts.roles import Role
from meetings import services as ms
from meetings.models import Recommendation, RequestStatus

from .test_scenarios import DOCS, LETTER_DUE, family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db


@pytest.fixture
def travel():
    with time_machine.travel(dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


def feed(user) -> str:
    return reverse("deadlines:calendar-feed", args=[user.calendar_token])


def events(response) -> list:
    cal = Calendar.from_ical(response.content)
    return [c for c in cal.walk() if c.name == "VEVENT"]


def test_the_feed_works_without_a_session_and_names_no_one(people, travel):
    fam = family(people, name="Ashworth family", reference="PLO-00001", children=(("Amelia", "Ashworth"),))
    episode = start_pre_proceedings(fam, people)
    ms.meeting_record(
        episode=episode,
        kind="initial_meeting",
        scheduled_for=dt.date(2027, 1, 25),
        by=people.tm,
        today=dt.date(2027, 1, 11),
    )
    response = Client().get(feed(people.sw))  # a calendar client: no cookies at all
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert "Ashworth" not in text and "Amelia" not in text and "Worker" not in text
    found = events(response)
    summaries = {str(e["SUMMARY"]): e for e in found}
    letter = summaries["PLO-00001: Letter before proceedings delivered to parents due"]
    assert letter.decoded("DTSTART") == LETTER_DUE  # an all-day event (VALUE=DATE)
    assert "PLO-00001: Initial pre-proceedings meeting" in summaries
    assert "PLO-00001: Legal planning meeting" in summaries  # the LPM panel
    assert all(str(e["SUMMARY"]).startswith("PLO-00001: ") for e in found)
    assert str(letter["URL"]).endswith(reverse("cases:family-detail", args=[fam.pk]))


def test_the_feed_has_only_the_users_own_cases(people, make_user, travel):
    other_sw = make_user(Role.SOCIAL_WORKER)
    start_pre_proceedings(family(people, reference="PLO-00011"), people)
    start_pre_proceedings(family(people, reference="PLO-00012", sw=other_sw), people)
    mine = {str(e["SUMMARY"]).split(":")[0] for e in events(Client().get(feed(people.sw)))}
    theirs = {str(e["SUMMARY"]).split(":")[0] for e in events(Client().get(feed(other_sw)))}
    managed = {str(e["SUMMARY"]).split(":")[0] for e in events(Client().get(feed(people.tm)))}
    assert mine == {"PLO-00011"} and theirs == {"PLO-00012"} and managed == {"PLO-00011", "PLO-00012"}
    clo = make_user(Role.COURT_LIAISON_OFFICER)
    assert events(Client().get(feed(clo))) == []


def test_heads_of_service_see_deferred_lpm_requests_awaiting_their_decision(people, travel):
    request = ms.lpm_request_create(
        family=family(people, reference="PLO-00021"),
        requested_on=dt.date(2027, 1, 4),
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=DOCS,
        by=people.tm,
        today=dt.date(2027, 1, 11),
    )
    # 002 sets no date for the first decision, so nothing is in the feed until it is deferred ...
    assert events(Client().get(feed(people.hos))) == []
    ms.lpm_request_decide(
        request=request,
        expected_version=request.version,
        status=RequestStatus.DEFERRED,
        decided_on=dt.date(2027, 1, 6),
        deferred_until=dt.date(2027, 1, 18),
        note="Chronology missing",
        by=people.hos,
        today=dt.date(2027, 1, 11),
    )
    # ... then the decision is due on the date it was deferred to (002 §6b).
    found = events(Client().get(feed(people.hos)))
    assert [(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in found] == [
        ("PLO-00021: LPM request awaiting your decision", dt.date(2027, 1, 18))
    ]


def test_an_unknown_token_is_not_found(client):
    assert Client().get(reverse("deadlines:calendar-feed", args=["not-a-token"])).status_code == 404


def test_revoking_gives_a_new_address_and_the_old_one_stops_working(client, people, travel):
    start_pre_proceedings(family(people, reference="PLO-00031"), people)
    old = feed(people.sw)
    assert Client().get(old).status_code == 200
    client.force_login(people.sw)
    page = client.get(reverse("deadlines:calendar"))
    assert page.status_code == 200 and old in page.content.decode()
    response = client.post(reverse("deadlines:calendar"), follow=True)
    people.sw.refresh_from_db()
    new = feed(people.sw)
    assert new != old and new in response.content.decode()
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


def test_an_inactive_account_has_no_feed(people):
    people.sw.is_active = False
    people.sw.save()
    assert Client().get(feed(people.sw)).status_code == 404


def test_the_subscription_page_needs_signing_in(client):
    response = client.get(reverse("deadlines:calendar"))
    assert response.status_code == 302 and reverse("accounts:sign-in") in response["Location"]


def test_a_case_in_care_proceedings_keeps_its_hearings_and_meetings_in_the_feed(people, travel):
    from cases import services as cs
    from cases.models import Episode, HearingKind

    episode = start_pre_proceedings(family(people, reference="PLO-00061"), people)
    proceedings = cs.proceedings_decide(episode=episode, issue_decision_on=dt.date(2027, 1, 6), by=people.hos)
    proceedings = cs.proceedings_update(
        proceedings=proceedings,
        expected_version=None,
        by=people.hos,
        issued_on=dt.date(2027, 1, 8),
        court_reference="NB27C00061",
        initial_care_plan="A",
    )
    assert Episode.objects.get(pk=episode.pk).ended_on is not None  # pre-proceedings ended at issue
    cs.hearing_record(proceedings=proceedings, kind=HearingKind.CMH, hearing_date=dt.date(2027, 1, 27), by=people.hos)
    ms.meeting_record(
        episode=episode,
        kind="review_meeting",
        scheduled_for=dt.date(2027, 2, 3),
        by=people.tm,
        today=dt.date(2027, 1, 11),
    )
    found = {str(e["SUMMARY"]): e.decoded("DTSTART") for e in events(Client().get(feed(people.sw)))}
    assert found["PLO-00061: Case management hearing"] == dt.date(2027, 1, 27)
    assert found["PLO-00061: Pre-proceedings review meeting"] == dt.date(2027, 2, 3)
