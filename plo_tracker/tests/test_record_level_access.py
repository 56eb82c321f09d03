"""Record-level access: another team's case, a restricted case and legal advice never leak.

Checked through every way out of the system: the case page, step pages, lists and their counts,
search, the tracker and its exports, the national data export and the calendar feed.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import TeamFactory
from cases.tests.factories import ChildFactory, FamilyFactory
from meetings import services as ms

pytestmark = pytest.mark.django_db

ADVICE = "Privileged: the threshold is crossed on the evidence of neglect."
DOCS = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment"), ("present", ""))


@pytest.fixture
def council(make_user):
    north, south = TeamFactory(name="North team"), TeamFactory(name="South team")
    people = {
        "sw_north": make_user(Role.SOCIAL_WORKER, team=north, username="sw_north"),
        "tm_north": make_user(Role.TEAM_MANAGER, team=north, username="tm_north"),
        "sw_south": make_user(Role.SOCIAL_WORKER, team=south, username="sw_south"),
        "tm_south": make_user(Role.TEAM_MANAGER, team=south, username="tm_south"),
        "hos": make_user(Role.HEAD_OF_SERVICE, team=None, username="hos"),
        "clo": make_user(Role.COURT_LIAISON_OFFICER, team=None, username="clo"),
        "legal": make_user(Role.LEGAL_ADVISER, team=None, username="legal"),
        "ro": make_user(Role.READ_ONLY, team=None, username="ro"),
    }
    today = dt.date(2027, 2, 1)

    def family(name, ref, team, sw, tm, restricted_to=()):
        # Built unrestricted, then restricted: the services that build it check scope (issue 9).
        f = FamilyFactory.create(name=name, reference=ref, team=team, social_worker=sw, team_manager=tm)
        ChildFactory(family=f, first_name=f"{name.split()[0]}child", case_system_id=f"ID-{ref}")
        request = ms.lpm_request_create(
            family=f,
            requested_on=dt.date(2027, 1, 4),
            recommendation="pre_proceedings",
            concerns="Neglect",
            documents=DOCS,
            by=tm,
            today=today,
        )
        ms.lpm_request_decide(
            request=request,
            expected_version=None,
            status="approved",
            decided_on=dt.date(2027, 1, 5),
            by=people["hos"],
            today=today,
        )
        lpm = ms.lpm_list(episode=request.episode, panel_date=dt.date(2027, 1, 7), by=tm, today=today)
        ms.lpm_record_outcome(
            lpm=lpm,
            expected_version=None,
            held_on=dt.date(2027, 1, 7),
            outcome="initiate",
            chair=people["hos"],
            by=people["hos"],
            today=today,
        )
        ms.legal_advice_record(lpm=lpm, advice=ADVICE, minutes="Minutes: privileged.", by=people["legal"])
        if restricted_to:
            f.restricted = True
            f.save()
            f.restricted_to.set(restricted_to)
        return f

    families = {
        "north": family("Northfam family", "REF-NORTH", north, people["sw_north"], people["tm_north"]),
        "south": family("Southfam family", "REF-SOUTH", south, people["sw_south"], people["tm_south"]),
        "secret": family(
            "Secretfam family",
            "REF-SECRET",
            north,
            people["sw_north"],
            people["tm_north"],
            restricted_to=[people["sw_north"], people["legal"]],
        ),
    }
    return people, families


def _get(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, html.unescape(body.decode("utf-8", "replace"))


def test_social_workers_see_only_their_teams_families(client, council):
    people, families = council
    sw = people["sw_north"]
    assert _get(client, sw, reverse("cases:family-detail", args=[families["north"].pk]))[0] == 200
    assert _get(client, sw, reverse("cases:family-detail", args=[families["south"].pk]))[0] == 404
    assert _get(client, sw, reverse("cases:child-add", args=[families["south"].pk]))[0] == 404
    episode = families["south"].episodes.get()
    assert _get(client, sw, reverse("cases:letter-deliver", args=[episode.pk]))[0] == 404
    status, body = _get(client, sw, reverse("cases:family-list"))
    assert "REF-NORTH" in body and "REF-SOUTH" not in body
    status, body = _get(client, sw, reverse("cases:family-list"), q="Southfam")
    assert "REF-SOUTH" not in body and "No families found" in body
    status, body = _get(client, sw, reverse("cases:family-list"), q="ID-REF-SOUTH")
    assert "No families found" in body


def test_a_restricted_case_is_seen_only_by_the_people_named(client, council):
    people, families = council
    url = reverse("cases:family-detail", args=[families["secret"].pk])
    for who in ("sw_north", "legal"):
        assert _get(client, people[who], url)[0] == 200, who
    for who in ("tm_north", "hos", "clo", "ro", "sw_south"):
        status, _ = _get(client, people[who], url)
        assert status == 404, who
        _, body = _get(client, people[who], reverse("cases:family-list"), q="Secretfam")
        assert "REF-SECRET" not in body, who
    for who in ("tm_north", "hos", "clo", "ro"):
        for fmt in ("csv", "xlsx"):
            status, body = _get(client, people[who], reverse("deadlines:tracker-export", kwargs={"fmt": fmt}))
            assert status == 200
            if fmt == "csv":
                assert "REF-NORTH" in body and "REF-SECRET" not in body and "Secretfam" not in body, who
        _, body = _get(client, people[who], reverse("deadlines:tracker"))
        assert "REF-SECRET" not in body and "Secretfam" not in body, who
    _, body = _get(
        client,
        people["clo"],
        reverse("cases:national-export"),
        date_from_0="1",
        date_from_1="1",
        date_from_2="2026",
        date_to_0="31",
        date_to_1="12",
        date_to_2="2027",
    )
    assert "REF-NORTH" in body and "REF-SECRET" not in body


def test_legal_advice_reaches_only_legal_advisers_heads_of_service_and_the_cases_team_managers(client, council):
    people, families = council
    url = reverse("cases:family-detail", args=[families["north"].pk])
    for who in ("legal", "hos", "tm_north"):
        assert ADVICE in _get(client, people[who], url)[1], who
    for who in ("sw_north", "clo", "ro"):
        status, body = _get(client, people[who], url)
        assert status == 200 and ADVICE not in body, who
    assert _get(client, people["tm_south"], url)[0] == 404  # another team's manager cannot open the case
    # Never in any list, export or feed, whoever asks.
    for who in ("hos", "legal", "clo", "tm_north"):
        for name, kwargs in (
            ("deadlines:tracker", {}),
            ("deadlines:tracker-export", {"fmt": "csv"}),
            ("deadlines:tracker-print", {}),
            ("cases:family-list", {}),
        ):
            status, body = _get(client, people[who], reverse(name, kwargs=kwargs))
            # Each of them may use each page, and it lists the case the advice was given on.
            assert status == 200 and "REF-NORTH" in body, (who, name, status)
            assert ADVICE not in body and "Minutes: privileged" not in body, (who, name)
    _, body = _get(
        client,
        people["hos"],
        reverse("cases:national-export"),
        date_from_0="1",
        date_from_1="1",
        date_from_2="2026",
        date_to_0="31",
        date_to_1="12",
        date_to_2="2027",
    )
    assert ADVICE not in body


def test_calendar_feed_holds_only_the_users_own_cases_and_no_names(client, council):
    people, families = council
    sw = people["sw_north"]
    response = client.get(reverse("deadlines:calendar-feed") + "?key=" + sw.calendar_token)
    assert response.status_code == 200
    feed = response.content.decode()
    assert "REF-NORTH" in feed and "REF-SOUTH" not in feed
    assert "Northfamchild" not in feed and ADVICE not in feed
    other = client.get(reverse("deadlines:calendar-feed") + "?key=" + people["sw_south"].calendar_token)
    assert "REF-NORTH" not in other.content.decode()
    assert client.get(reverse("deadlines:calendar-feed") + "?key=" + "not-a-token").status_code == 404


def test_list_counts_do_not_reveal_hidden_families(client, council):
    people, _ = council
    _, north = _get(client, people["sw_north"], reverse("cases:family-list"))
    _, south = _get(client, people["sw_south"], reverse("cases:family-list"))
    assert north.count('href="/cases/families/') == 2  # their own and the restricted one they are named on
    assert south.count('href="/cases/families/') == 1
