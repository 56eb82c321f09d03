"""The weekly tracker: figures on a small known data set, drill-downs, charts, query count."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from cases import services as cs
from cases.models import EndOutcome
from meetings import services as ms
from meetings.models import Recommendation

from .test_scenarios import DOCS, deliver_letter, family, hold_initial_meeting, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db

T = dt.date(2027, 3, 1)  # Monday
URL = reverse("deadlines:weekly")
TRACKER = reverse("deadlines:tracker")


@pytest.fixture
def travel():
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


def end(episode, people, on: dt.date, outcome: str) -> None:
    episode.refresh_from_db()
    cs.episode_end(
        episode=episode, expected_version=episode.version, ended_on=on, end_outcome=outcome, by=people.tm, today=T
    )


@pytest.fixture
def known(people):
    """Two open in pre-proceedings, one awaiting its LPM, three ended; see each comment."""
    # A: week 8 (decision Thu 7 Jan); letter on time, initial meeting on time.
    a = start_pre_proceedings(family(people, reference="PLO-A"), people, today=T)
    deliver_letter(a, people, on=dt.date(2027, 1, 12), today=T)
    hold_initial_meeting(a, people, on=dt.date(2027, 1, 22), today=T)
    # F: same start, letter never delivered (overdue since Thu 14 Jan).
    start_pre_proceedings(family(people, reference="PLO-F"), people, today=T)
    # B: week 26, past 16 weeks, with a 4-week extension.
    b = start_pre_proceedings(family(people, reference="PLO-B"), people, decision=dt.date(2026, 9, 3), today=T)
    cs.extension_agree(
        episode=b, weeks=4, agreed_on=dt.date(2026, 12, 1), rationale="Awaiting assessment", by=people.hos, today=T
    )
    # C: LPM requested, not yet decided.
    ms.lpm_request_create(
        family=family(people, reference="PLO-C"),
        requested_on=dt.date(2027, 2, 22),
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=DOCS,
        by=people.tm,
        today=T,
    )
    # E1: stepped down 15 Feb (in the last 4 weeks), after 14.6 weeks.
    e1 = start_pre_proceedings(family(people, reference="PLO-E1"), people, decision=dt.date(2026, 11, 5), today=T)
    end(e1, people, dt.date(2027, 2, 15), EndOutcome.STEP_DOWN_CP)
    # E2: no further action 14 Dec (in the last 13 weeks only), after 13.6 weeks.
    e2 = start_pre_proceedings(family(people, reference="PLO-E2"), people, decision=dt.date(2026, 9, 10), today=T)
    end(e2, people, dt.date(2026, 12, 14), EndOutcome.NFA)
    # E3: decision to issue 14 Jan, issued 20 Jan (in the last 13 weeks), after 15.9 weeks.
    e3 = start_pre_proceedings(family(people, reference="PLO-E3"), people, decision=dt.date(2026, 10, 1), today=T)
    end(e3, people, dt.date(2027, 1, 14), EndOutcome.ISSUE)
    e3.proceedings.refresh_from_db()
    cs.proceedings_update(
        proceedings=e3.proceedings,
        expected_version=e3.proceedings.version,
        issued_on=dt.date(2027, 1, 20),
        by=people.tm,
        today=T,
    )
    # An ended episode long ago counts nowhere.
    old = start_pre_proceedings(family(people, reference="PLO-OLD"), people, decision=dt.date(2026, 3, 5), today=T)
    end(old, people, dt.date(2026, 6, 1), EndOutcome.STEP_DOWN_CIN)


def refs(response) -> list[str]:
    return sorted(r.reference for r in response.context["rows"])


def test_the_weekly_figures_on_a_known_data_set(client_as, known, travel):
    client = client_as(Role.HEAD_OF_SERVICE)
    response = client.get(URL)
    assert response.status_code == 200
    f = response.context["figures"]
    assert f.open_total == 4
    assert {x.query["stage"]: x.value for x in f.by_stage} == {"lpm": 1, "pre_proceedings": 3, "proceedings": 0}
    assert {x.query["weeks"]: x.value for x in f.by_week} == {"1-4": 0, "5-8": 2, "9-12": 0, "13-16": 0, "17+": 1}
    assert f.past_standard.value == 1
    assert f.extended.value == 1 and f.extension_weeks_total == 4
    four, thirteen = f.outcomes
    assert [(x.query["outcome"], x.value) for x in four.figures] == [("step_down", 1), ("issue", 0), ("nfa", 0)]
    assert [(x.query["outcome"], x.value) for x in thirteen.figures] == [("step_down", 1), ("issue", 1), ("nfa", 1)]
    assert four.median_weeks == 14.6
    assert thirteen.median_weeks == 14.6  # of 13.6, 14.6 and 15.9
    timeliness = {t.key: t for t in f.timeliness}
    letter = timeliness["letter_before_proceedings"]
    assert (letter.met, letter.met_late, letter.overdue, letter.percent) == (1, 0, 1, 50)  # A met, F overdue
    initial = timeliness["initial_meeting"]
    assert (initial.met, initial.met_late, initial.overdue, initial.percent) == (1, 0, 0, 100)
    html = response.content.decode()
    assert "<h1" in html and 'style="' not in html and "<script>" not in html
    assert html.count('<svg class="app-chart"') == 3


def test_each_figure_drills_down_to_the_cases_behind_it(client_as, known, travel):
    client = client_as(Role.HEAD_OF_SERVICE)
    f = client.get(URL).context["figures"]

    def drill(query: dict[str, str]) -> list[str]:
        return refs(client.get(f"{TRACKER}?{urlencode(query)}"))

    assert drill(f.past_standard.query) == ["PLO-B"]
    assert drill(f.extended.query) == ["PLO-B"]
    by_stage = {x.query["stage"]: x for x in f.by_stage}
    assert drill(by_stage["lpm"].query) == ["PLO-C"]
    assert drill(by_stage["pre_proceedings"].query) == ["PLO-A", "PLO-B", "PLO-F"]
    by_week = {x.query["weeks"]: x for x in f.by_week}
    assert drill(by_week["5-8"].query) == ["PLO-A", "PLO-F"]
    assert drill(by_week["17+"].query) == ["PLO-B"]
    four, thirteen = f.outcomes
    assert drill(four.figures[0].query) == ["PLO-E1"]
    assert drill(thirteen.figures[1].query) == ["PLO-E3"]
    assert drill(thirteen.figures[2].query) == ["PLO-E2"]
    letter = next(t for t in f.timeliness if t.key == "letter_before_proceedings")
    assert drill(letter.query) == ["PLO-F"]
    # Every figure's number is a link on the page.
    html = client.get(URL).content.decode()
    for x in [f.past_standard, f.extended, *f.by_stage, *f.by_week]:
        assert f"{TRACKER}?{urlencode(x.query)}".replace("&", "&amp;") in html


def test_the_weekly_screen_is_for_senior_managers(client_as):
    for role in (Role.HEAD_OF_SERVICE, Role.ASSISTANT_DIRECTOR, Role.SERVICE_MANAGER):
        assert client_as(role).get(URL).status_code == 200
    for role in (Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.COURT_LIAISON_OFFICER):
        assert client_as(role).get(URL).status_code == 403


def test_restricted_families_count_only_for_people_named_on_them(client_as, people, travel):
    start_pre_proceedings(family(people, reference="PLO-R", restricted=True), people, today=T)
    assert client_as(Role.HEAD_OF_SERVICE).get(URL).context["figures"].open_total == 0


WEEKLY_QUERIES = 10


def test_the_weekly_screen_runs_the_same_queries_for_3_and_12_episodes(
    client_as, people, travel, django_assert_max_num_queries
):
    client = client_as(Role.HEAD_OF_SERVICE)
    for i in range(3):
        start_pre_proceedings(family(people, reference=f"PLO-S{i}"), people, today=T)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    for i in range(9):
        start_pre_proceedings(family(people, reference=f"PLO-L{i}"), people, today=T)
    with django_assert_max_num_queries(WEEKLY_QUERIES), CaptureQueriesContext(connection) as large:
        assert client.get(URL).context["figures"].open_total == 12
    assert len(small) == len(large)
