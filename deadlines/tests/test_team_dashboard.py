"""The team manager's dashboard: the team's deadlines, alerts, cases near their end, assessments."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import ServiceAreaFactory, TeamFactory
from cases import services as cs
from deadlines.alerts import alert_scan

from .test_scenarios import family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 1, 15)  # Friday: letters due Thu 14 Jan are overdue
URL = reverse("deadlines:team-dashboard")


@pytest.fixture
def travel():
    with time_machine.travel(dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


def test_a_team_manager_sees_their_teams_deadlines_alerts_and_workers(client, people, make_user, travel):
    second_sw = make_user(Role.SOCIAL_WORKER, first_name="Sue", last_name="Second")
    ours = start_pre_proceedings(family(people, name="Ashworth family", reference="PLO-00001"), people)
    start_pre_proceedings(family(people, name="Brown family", reference="PLO-00002", sw=second_sw), people)
    other_team = TeamFactory(name="Safeguarding Team South")
    start_pre_proceedings(family(people, name="Other family", reference="PLO-00003", team=other_team), people)
    start_pre_proceedings(
        family(people, name="Hidden family", reference="PLO-00004", restricted=True, sw=second_sw), people
    )
    # Decided on Mon 11 Jan: its letter is due Mon 18 Jan, the next working day but one.
    start_pre_proceedings(
        family(people, name="Dawson family", reference="PLO-00005", sw=second_sw),
        people,
        decision=dt.date(2027, 1, 11),
        today=TODAY,
    )
    cs.assessment_create(
        episode=ours,
        kind="parenting",
        provider="Parenting Co",
        instructed_on=dt.date(2027, 1, 8),
        due_on=dt.date(2027, 1, 13),
        by=people.sw,
        today=TODAY,
    )
    alert_scan(today=TODAY)

    client.force_login(people.tm)
    response = client.get(URL)
    assert response.status_code == 200
    dash = response.context["dash"]
    html = response.content.decode()
    assert "Other family" not in html
    # The TM is named on the restricted family, so it shows; see the hidden test below.
    families = {d["episode__family__reference"] for d in dash.overdue}
    assert families == {"PLO-00001", "PLO-00002", "PLO-00004", "PLO-00005"}
    letters = [d for d in dash.overdue if d["label"].startswith("Letter")]
    assert all(d["days_late"] == 1 for d in letters)
    soon = sorted((d["episode__family__reference"], d["label"], d["status"]) for d in dash.due_soon)
    # D + 4 working days is today for the minutes; the letter (D + 5) is due on Monday, and so is
    # the record of the LPM's legal advice to the head of service (the team manager may read it).
    assert soon == [
        ("PLO-00005", "LPM minutes authorised and circulated", "due_today"),
        ("PLO-00005", "Letter before proceedings delivered to parents", "due_soon"),
        ("PLO-00005", "Record of the LPM discussion and legal advice sent to the head of service", "due_soon"),
    ]
    assert [a["episode__family__reference"] for a in dash.assessments] == ["PLO-00001"]
    assert dash.assessments[0]["days_late"] == 2
    workers = {w.name: w for w in dash.workers}
    assert workers["Sam Worker"].episodes == 1 and workers["Sue Second"].episodes == 3
    assert workers["Sam Worker"].assessments_overdue == 1
    # Sam's one case is late with the outcome on record (D + 1), the minutes (D + 4), the record of
    # the legal advice to the head of service and the letter (both D + 5).
    sams_overdue = [d["label"] for d in dash.overdue if d["episode__family__reference"] == "PLO-00001"]
    assert sams_overdue == [
        "LPM outcome recorded on the child's record",
        "LPM minutes authorised and circulated",
        "Record of the LPM discussion and legal advice sent to the head of service",
        "Letter before proceedings delivered to parents",
    ]
    assert workers["Sam Worker"].overdue == 4
    assert workers["Sam Worker"].alerts > 0
    assert dash.alerts_total > 0 and dash.alerts
    assert "Ashworth family" in html and 'data-testid="workers"' in html


def test_restricted_families_are_hidden_from_a_team_manager_not_named_on_them(client_as, people, travel):
    start_pre_proceedings(family(people, name="Hidden family", reference="PLO-00009", restricted=True), people)
    client = client_as(Role.TEAM_MANAGER)  # a different team manager in the same team
    response = client.get(URL)
    assert "Hidden family" not in response.content.decode()
    assert not response.context["dash"].rows


def test_cases_near_their_end_date(client, people, travel):
    near = start_pre_proceedings(
        family(people, reference="PLO-00011"), people, decision=dt.date(2026, 10, 1), today=TODAY
    )  # ends Thu 21 Jan 2027
    start_pre_proceedings(family(people, reference="PLO-00012"), people)  # ends 29 Apr 2027
    client.force_login(people.tm)
    dash = client.get(URL).context["dash"]
    assert [r.episode_id for r in dash.near_end] == [near.pk]
    assert dash.near_end[0].end_due == dt.date(2027, 1, 21)


def test_a_service_manager_may_pick_a_team_of_their_service_area(client, make_user, people, travel):
    south = TeamFactory.create(
        name="Safeguarding Team South", service_area=ServiceAreaFactory.create(name="Southern area")
    )
    east = TeamFactory.create(
        name="Safeguarding Team East", service_area=ServiceAreaFactory.create(name="Eastern area")
    )
    start_pre_proceedings(family(people, reference="PLO-00021", team=south), people)
    start_pre_proceedings(family(people, reference="PLO-00022", team=east), people)
    sm = make_user(Role.SERVICE_MANAGER, team=None)
    assert south.service_area is not None
    south.service_area.managers.add(sm)
    client.force_login(sm)
    response = client.get(URL)
    assert response.status_code == 200 and response.context["picker"] is not None
    assert list(response.context["picker"].fields["team"].queryset) == [south]
    assert response.context["team"] == south
    assert [r.reference for r in response.context["dash"].rows] == ["PLO-00021"]
    # Another service area's team is not offered, and asking for it shows nothing of it.
    response = client.get(URL, {"team": east.pk})
    assert response.context["team"] == south
    assert "PLO-00022" not in response.content.decode()


def test_a_team_manager_cannot_pick_another_team(client, people, travel):
    south = TeamFactory.create(name="Safeguarding Team South")
    start_pre_proceedings(family(people, reference="PLO-00031", team=south), people)
    client.force_login(people.tm)
    response = client.get(URL, {"team": south.pk})
    assert response.context["team"] == people.team
    assert response.context["picker"] is None


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.COURT_LIAISON_OFFICER, Role.HEAD_OF_SERVICE])
def test_other_roles_are_refused(client_as, role):
    assert client_as(role).get(URL).status_code == 403


DASHBOARD_QUERIES = 14  # incl. session, user, roles, the calendar, team and header count (no session write)


def test_the_dashboard_runs_the_same_queries_for_3_and_12_episodes(
    client, people, travel, django_assert_max_num_queries
):
    client.force_login(people.tm)
    for i in range(3):
        start_pre_proceedings(family(people, reference=f"PLO-S{i:03d}"), people)
    alert_scan(today=TODAY)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    for i in range(9):
        start_pre_proceedings(family(people, reference=f"PLO-L{i:03d}"), people)
    alert_scan(today=dt.date(2027, 1, 18))
    with django_assert_max_num_queries(DASHBOARD_QUERIES), CaptureQueriesContext(connection) as large:
        assert len(client.get(URL).context["dash"].rows) == 12
    assert len(small) == len(large)
