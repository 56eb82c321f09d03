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
    return reverse("deadlines:calendar-feed") + "?key=" + user.calendar_token


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
    assert Client().get(reverse("deadlines:calendar-feed") + "?key=not-a-token").status_code == 404
    assert Client().get(reverse("deadlines:calendar-feed")).status_code == 404
    assert Client().get(reverse("deadlines:calendar-feed") + "?key=").status_code == 404


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
    proceedings = cs.proceedings_decide(episode=episode, issue_decision_on=dt.date(2027, 1, 7), by=people.hos)
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


# --- The key left the path (issue 24 §4) --------------------------------------------------------


def test_an_old_address_gives_a_browser_the_renew_page_and_a_calendar_one_notice(people, travel):
    start_pre_proceedings(family(people, reference="PLO-00071"), people)
    token = people.sw.calendar_token
    old = reverse("deadlines:calendar-feed-retired", kwargs={"token": token})
    assert old == f"/deadlines/calendar/{token}.ics"  # the form every subscription made before has
    browser = Client().get(old, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert browser.status_code == 410
    page = browser.content.decode()
    assert "This calendar address has stopped working" in page and "Renew your calendar link" in page
    assert f'href="{reverse("deadlines:calendar")}"' in page
    # Outlook and Google Calendar poll it: one event today saying so, and none of the old dates,
    # even though this token is still the user's (the key is only accepted in the query string).
    for accept in ("text/calendar", "*/*", None):
        response = Client().get(old, headers={"Accept": accept} if accept else None)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
        found = events(response)
        assert [(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in found] == [
            ("PLO Tracker: this calendar address has stopped working. Get your new one", dt.date(2027, 1, 11))
        ]
        assert str(found[0]["URL"]).endswith(reverse("deadlines:calendar"))
        assert "PLO-00071" not in response.content.decode()
    # Any token answers the same: the old form tells nobody which tokens exist.
    assert (
        Client()
        .get(reverse("deadlines:calendar-feed-retired", kwargs={"token": "made-up-token-never-issued"}))
        .content.count(b"BEGIN:VEVENT")
        == 1
    )


def test_the_subscription_page_gives_the_key_in_the_query_string(client, people):
    client.force_login(people.sw)
    page = client.get(reverse("deadlines:calendar")).content.decode()
    assert f"/deadlines/calendar/feed.ics?key={people.sw.calendar_token}" in page
    assert f"/calendar/{people.sw.calendar_token}" not in page


def test_an_administrator_resets_a_persons_calendar_address_and_the_trail_says_who(client, people, make_user, travel):
    from pghistory.models import Events

    admin = make_user(Role.ADMINISTRATOR, username="ada.reset", first_name="Ada", last_name="Admin")
    old = feed(people.sw)
    assert Client().get(old).status_code == 200
    client.force_login(admin)
    edit = reverse("accounts:staff-edit", args=[people.sw.pk])
    assert "has not been reset" in client.get(edit).content.decode()
    response = client.post(reverse("accounts:staff-calendar-reset", args=[people.sw.pk]), follow=True)
    assert response.redirect_chain[-1][0] == edit + "#calendar-address"
    html = response.content.decode()
    assert "calendar address has been reset. The old one no longer works." in html
    assert "last reset on 11 Jan 2027 at 09:00 by Ada Admin" in html
    assert Client().get(old).status_code == 404
    people.sw.refresh_from_db()
    assert Client().get(feed(people.sw)).status_code == 200
    trail = [e.pgh_diff for e in Events.objects.tracks(people.sw).filter(pgh_diff__isnull=False)]
    assert any(d.get("calendar_token_reset_by_id") == [None, admin.pk] for d in trail), trail
    assert not any("calendar_token" in d for d in trail)
    assert people.sw.calendar_token not in str(
        list(Events.objects.tracks(people.sw).values_list("pgh_data", flat=True))
    )


def test_only_the_owner_or_an_administrator_may_reset_an_address(client, people):
    from django.core.exceptions import PermissionDenied

    from accounts.services import calendar_token_regenerate

    before = people.sw.calendar_token
    with pytest.raises(PermissionDenied):
        calendar_token_regenerate(user=people.sw, by=people.tm)
    client.force_login(people.tm)
    assert client.post(reverse("accounts:staff-calendar-reset", args=[people.sw.pk])).status_code == 403
    people.sw.refresh_from_db()
    assert people.sw.calendar_token == before
    calendar_token_regenerate(user=people.sw, by=people.sw)
    people.sw.refresh_from_db()
    assert people.sw.calendar_token != before and people.sw.calendar_token_reset_by == people.sw
