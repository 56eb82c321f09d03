"""The weekly tracker over time (issue 13 §5): stored weekly, never recomputed, by team, with drill-down and export."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import TeamFactory
from cases import services as cs
from deadlines import tasks
from deadlines.history import week_ending_for, weekly_history, weekly_snapshot_take, weekly_snapshots_backfill
from deadlines.models import WeeklySnapshot

from .test_scenarios import D, family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
WEEK_1 = dt.date(2027, 1, 10)  # the Sunday ending the week of D (Thursday 7 Jan)
TODAY = dt.date(2027, 4, 12)  # a Monday, 14 weeks on


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


@pytest.fixture
def cases(people, make_user):
    north = start_pre_proceedings(family(people, name="Ashworth family", reference="PLO-N1"), people, today=TODAY)
    south_team = TeamFactory(name="Safeguarding Team South")
    south_sw = make_user(Role.SOCIAL_WORKER, team=south_team)
    south = start_pre_proceedings(
        family(people, name="Brook family", reference="PLO-S1", sw=south_sw, team=south_team),
        people,
        decision=dt.date(2027, 1, 21),
        today=TODAY,
    )
    return {"north": north, "south": south, "south_team": south_team}


def test_a_week_is_worked_out_as_it_stood_and_split_by_team(cases, team):
    weekly_snapshot_take(week_ending=WEEK_1)
    service = WeeklySnapshot.objects.get(week_ending=WEEK_1, team=None)
    assert service.entries == 1 and service.episode_ids["entries"] == [cases["north"].pk]
    # The Brooks' request was made on 7 Jan too, but their LPM decided only on 21 Jan: still at the LPM stage.
    assert service.open_by_stage == {"lpm": 1, "pre_proceedings": 1, "proceedings": 0}
    north = WeeklySnapshot.objects.get(week_ending=WEEK_1, team=team)
    south = WeeklySnapshot.objects.get(week_ending=WEEK_1, team=cases["south_team"])
    assert north.open_by_stage["pre_proceedings"] == 1 and north.open_by_stage["lpm"] == 0
    assert south.open_by_stage["lpm"] == 1 and south.entries == 0


def test_a_stored_week_is_never_recomputed(cases, people):
    week = dt.date(2027, 3, 7)
    assert weekly_snapshot_take(week_ending=week) == 3  # the service and two teams
    before = WeeklySnapshot.objects.get(week_ending=week, team=None)
    assert before.open_by_stage["pre_proceedings"] == 2
    # A correction made later (the Ashworths in fact stepped down on 1 March) does not rewrite the stored week.
    episode = cases["north"]
    cs.episode_end(
        episode=episode,
        expected_version=episode.version,
        ended_on=dt.date(2027, 3, 1),
        end_outcome="step_down_cp",
        end_decision_date=dt.date(2027, 3, 1),
        end_reason="Progress",
        by=people.tm,
        today=TODAY,
    )
    assert weekly_snapshot_take(week_ending=week) == 0
    after = WeeklySnapshot.objects.get(week_ending=week, team=None)
    assert after.open_by_stage == before.open_by_stage and after.taken_at == before.taken_at
    # The next week worked out afresh sees the exit.
    weekly_snapshot_take(week_ending=dt.date(2027, 3, 14))
    assert WeeklySnapshot.objects.get(week_ending=dt.date(2027, 3, 14), team=None).open_by_stage["pre_proceedings"] == 1


def test_timeliness_counts_deadlines_due_in_the_week(cases):
    # The letter before proceedings fell due on 14 Jan and was never delivered: missed in the week ending 17 Jan.
    weekly_snapshot_take(week_ending=dt.date(2027, 1, 17))
    snap = WeeklySnapshot.objects.get(week_ending=dt.date(2027, 1, 17), team=None)
    met, late, missed = snap.timeliness["letter_before_proceedings"]
    assert (met, late, missed) == (0, 0, 1)


def test_the_monday_job_stores_last_week_and_is_scheduled(cases):
    with time_machine.travel(dt.datetime(2027, 1, 11, 6, 45, tzinfo=LONDON), tick=False):
        assert tasks.weekly_snapshot() == 3
        assert tasks.weekly_snapshot() == 0
    assert WeeklySnapshot.objects.filter(week_ending=WEEK_1).count() == 3
    beat = settings.CELERY_BEAT_SCHEDULE["weekly-snapshot"]
    assert beat["task"] == "deadlines.weekly_snapshot"
    assert beat["schedule"] == crontab(hour=6, minute=45, day_of_week="mon")
    assert week_ending_for(dt.date(2027, 1, 11)) == WEEK_1


def test_history_screen_shows_13_weeks_by_team_with_drill_down_and_exports(
    cases, client, make_user, django_assert_max_num_queries
):
    weekly_snapshots_backfill(today=TODAY, weeks=52)
    hos = make_user(Role.HEAD_OF_SERVICE)
    assert len(weekly_history(user=hos, weeks=13, team=None, today=TODAY)) == 13
    with time_machine.travel(dt.datetime(2027, 4, 12, 9, tzinfo=LONDON), tick=False):
        client.force_login(hos)
        url = reverse("deadlines:weekly-history")
        client.get(url)
        with django_assert_max_num_queries(10):
            body = client.get(url).content.decode()
        assert body.count('data-week="') == 13
        assert "11 Apr 2027" in body and "17 Jan 2027" in body and "10 Jan 2027" not in body
        body52 = client.get(url, {"weeks": "52"}).content.decode()
        assert body52.count('data-week="') == 52
        south = client.get(url, {"team": cases["south_team"].pk}).content.decode()
        assert "Safeguarding Team South" in south
        drill = client.get(
            reverse("deadlines:weekly-history-week", args=["2027-01-10"]), {"figure": "entries"}
        ).content.decode()
        assert "PLO-N1" in drill and "PLO-S1" not in drill
        csv_body = client.get(reverse("deadlines:weekly-history-export", args=["csv"])).content.decode()
        lines = csv_body.strip().splitlines()
        assert lines[0].startswith("Week ending,Team,Open episodes") and len(lines) == 14
        assert lines[1].startswith("17/01/2027,All teams,")
        xlsx = client.get(reverse("deadlines:weekly-history-export", args=["xlsx"]), {"weeks": "52"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content))["Weekly tracker"]
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref.startswith("A1:")
    assert sheet.max_row == 53


def test_drill_down_hides_restricted_cases_from_people_not_named(people, client, make_user):
    secret = start_pre_proceedings(family(people, name="Secret family", reference="PLO-SEC", restricted=True), people)
    weekly_snapshot_take(week_ending=WEEK_1)
    ad = make_user(Role.ASSISTANT_DIRECTOR)
    client.force_login(ad)
    body = client.get(
        reverse("deadlines:weekly-history-week", args=["2027-01-10"]), {"figure": "entries"}
    ).content.decode()
    assert "PLO-SEC" not in body and "No cases that you may see" in body
    secret.family.restricted_to.add(ad)
    body = client.get(
        reverse("deadlines:weekly-history-week", args=["2027-01-10"]), {"figure": "entries"}
    ).content.decode()
    assert "PLO-SEC" in body
    assert dt.date(2027, 1, 7) == D


def test_a_line_breaks_at_weeks_without_a_value():
    from deadlines.charts import Series, time_chart

    weeks = ["a", "b", "c", "d", "e"]
    svg = str(time_chart(weeks, [Series("x", [1, 2, None, 3, 4])], chart_id="t", title="t", kind="line"))
    assert svg.count("<polyline") == 2  # a-b and d-e: no line drawn across c
    assert svg.count("<circle") == 4
