"""Alerts from the first minute (issue #12 §4): a scan on start, days missed during downtime
caught up without duplicates, and no screen claiming "all acknowledged" when nothing was raised."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from deadlines import tasks
from deadlines.models import Alert, AlertKind, AlertScanDay
from deadlines.scans import CATCH_UP_MAX_DAYS, alert_scan_catch_up, alert_scan_days_due

from .test_alerts import at_seven
from .test_scenarios import LETTER_DUE, family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


def test_days_due_are_today_alone_at_first_then_every_day_since_the_last_scan():
    today = dt.date(2027, 1, 20)
    assert alert_scan_days_due(today=today, last=None) == [today]
    assert alert_scan_days_due(today=today, last=today) == [today]
    assert alert_scan_days_due(today=today, last=dt.date(2027, 1, 17)) == [
        dt.date(2027, 1, 18),
        dt.date(2027, 1, 19),
        today,
    ]
    long_ago = alert_scan_days_due(today=today, last=dt.date(2026, 6, 1))
    assert len(long_ago) == CATCH_UP_MAX_DAYS and long_ago[-1] == today


def test_the_first_scan_on_start_raises_todays_alerts_at_once(people):
    episode = start_pre_proceedings(family(people), people)
    day = LETTER_DUE + dt.timedelta(days=1)  # Fri 15 Jan: the letter is overdue
    with at_seven(day):
        raised = tasks.alert_catch_up()
    assert raised > 0
    assert Alert.objects.filter(episode=episode, kind=AlertKind.OVERDUE, raised_on=day).exists()
    assert list(AlertScanDay.objects.values_list("day", flat=True)) == [day]


def test_days_missed_during_downtime_are_caught_up_once_without_duplicates(people):
    episode = start_pre_proceedings(family(people), people)
    # Scanned on Mon 11 Jan; then nothing ran until Mon 18 Jan.
    with at_seven(dt.date(2027, 1, 11)):
        tasks.alert_scan()
    with at_seven(dt.date(2027, 1, 18)):
        tasks.alert_scan()
    raised_on = set(
        Alert.objects.filter(
            episode=episode, recipient=people.sw, deadline__key="letter_before_proceedings"
        ).values_list("kind", "raised_on")
    )
    # The missed days happened: due soon on Tue 12, due today on Thu 14, overdue on Fri 15.
    assert raised_on == {
        (AlertKind.DUE_SOON, dt.date(2027, 1, 12)),
        (AlertKind.DUE_TODAY, LETTER_DUE),
        (AlertKind.OVERDUE, dt.date(2027, 1, 15)),
    }
    assert sorted(AlertScanDay.objects.values_list("day", flat=True)) == [
        dt.date(2027, 1, d) for d in (11, 12, 13, 14, 15, 16, 17, 18)
    ]
    count = Alert.objects.count()
    # A worker restarting the same day, and beat starting too: nothing new.
    with at_seven(dt.date(2027, 1, 18)):
        assert tasks.alert_catch_up() == 0
        assert tasks.alert_scan() == 0
    assert Alert.objects.count() == count


def test_team_dashboard_never_says_all_acknowledged_when_nothing_was_raised(people, client):
    start_pre_proceedings(family(people), people)
    url = reverse("deadlines:team-dashboard")
    day = LETTER_DUE + dt.timedelta(days=1)
    with at_seven(day):
        client.force_login(people.tm)
        page = client.get(url).content.decode()
        assert "has been acknowledged" not in page
        assert "The alert scan has not run yet" in page
        alert_scan_catch_up()
        assert "has been acknowledged" not in client.get(url).content.decode()
        Alert.objects.update(acknowledged_at=dt.datetime(2027, 1, 15, 8, tzinfo=dt.UTC))
        assert "Every alert on this team" in client.get(url).content.decode()


def test_a_scan_with_nothing_to_raise_says_so_with_its_day(people, client):
    url = reverse("deadlines:team-dashboard")
    with at_seven(dt.date(2027, 1, 15)):
        client.force_login(people.tm)
        alert_scan_catch_up()
        page = client.get(url).content.decode()
    assert "No alerts have been raised on this team" in page and "15 Jan 2027" in page


def test_a_worker_or_beat_starting_asks_for_the_catch_up(monkeypatch):
    from celery.signals import beat_init, worker_ready

    from plo_tracker.celery import app

    sent: list[str] = []
    monkeypatch.setattr(app, "send_task", lambda name, *a, **k: sent.append(name))
    worker_ready.send(sender=None)
    beat_init.send(sender=None)
    assert sent == ["deadlines.alert_catch_up", "deadlines.alert_catch_up"]
