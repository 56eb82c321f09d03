"""The 07:00 alert scan: each alert once, on the right day, to the right people; emails; acknowledging."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from cases import services as cs
from deadlines import tasks
from deadlines.alerts import alert_scan, alerts_email_pending
from deadlines.models import Alert, AlertKind, ClosureDay, Deadline
from deadlines.services import deadlines_recompute_open

from .test_scenarios import LETTER_DUE, D, family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def at_seven(day: dt.date) -> time_machine.travel:
    """The beat's moment: 07:00 London time on `day`."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(7, 0), tzinfo=LONDON), tick=False)


def working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days = []
    d = first
    while d <= last:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


@pytest.fixture
def seniors(make_user):
    return {
        "hos2": make_user(Role.HEAD_OF_SERVICE, first_name="Harry", last_name="Second"),
        "ad": make_user(Role.ASSISTANT_DIRECTOR, first_name="Ada", last_name="Director"),
        "clo": make_user(Role.COURT_LIAISON_OFFICER),
    }


@pytest.fixture
def eager_celery():
    """Run enqueued tasks in-process (the email job enqueued after commit)."""
    from plo_tracker.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


def letter_alerts(episode) -> set[tuple[str, int, dt.date]]:
    return set(
        Alert.objects.filter(deadline__episode=episode, deadline__key="letter_before_proceedings").values_list(
            "kind", "recipient_id", "raised_on"
        )
    )


def test_each_letter_alert_fires_once_on_the_right_day_and_escalates_after_five_working_days(people, seniors):
    episode = start_pre_proceedings(family(people), people)
    for day in working_days(dt.date(2027, 1, 8), dt.date(2027, 1, 26)):
        with at_seven(day):
            tasks.alert_scan()  # the beat passes no date: today in London
    sw, tm, hos, hos2 = people.sw.pk, people.tm.pk, people.hos.pk, seniors["hos2"].pk
    assert letter_alerts(episode) == {
        # Letter due Thu 14 Jan: due soon from Tue 12 (2 working days ahead), not Mon 11.
        (AlertKind.DUE_SOON, sw, dt.date(2027, 1, 12)),
        (AlertKind.DUE_SOON, tm, dt.date(2027, 1, 12)),
        (AlertKind.DUE_TODAY, sw, LETTER_DUE),
        (AlertKind.DUE_TODAY, tm, LETTER_DUE),
        (AlertKind.OVERDUE, sw, dt.date(2027, 1, 15)),
        (AlertKind.OVERDUE, tm, dt.date(2027, 1, 15)),
        # Overdue by more than 5 working days on Fri 22 Jan (6 working days after Thu 14).
        (AlertKind.ESCALATION, hos, dt.date(2027, 1, 22)),
        (AlertKind.ESCALATION, hos2, dt.date(2027, 1, 22)),
    }
    assert not Alert.objects.filter(recipient__in=[seniors["ad"], seniors["clo"]], kind=AlertKind.ESCALATION).exists()


def test_a_second_run_and_a_rerun_of_a_missed_day_create_nothing_new(people, seniors):
    start_pre_proceedings(family(people), people)
    first = alert_scan(today=dt.date(2027, 1, 15))
    assert first.created > 0 and not first.skipped
    count = Alert.objects.count()
    assert alert_scan(today=dt.date(2027, 1, 15)).created == 0
    assert Alert.objects.count() == count
    # The task takes the day as an ISO string, so a missed day can be re-run later.
    with at_seven(dt.date(2027, 1, 20)):
        assert tasks.alert_scan("2027-01-15") == 0
        tasks.alert_scan("2027-01-14")
    assert Alert.objects.filter(raised_on=dt.date(2027, 1, 14), kind=AlertKind.DUE_TODAY).exists()


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2027, 1, 16),  # Saturday
        dt.date(2027, 3, 26),  # Good Friday
    ],
)
def test_nothing_is_raised_on_a_day_that_is_not_a_working_day(people, day):
    start_pre_proceedings(family(people), people)
    with at_seven(day):
        assert tasks.alert_scan() == 0
    result = alert_scan(today=day)
    assert result.skipped and result.created == 0
    assert not Alert.objects.exists()


def test_the_log_says_which_day_was_not_a_working_day(people, caplog):
    with caplog.at_level(logging.INFO, logger="deadlines.alerts"):
        alert_scan(today=dt.date(2027, 1, 16))  # Saturday
    assert [r.getMessage() for r in caplog.records if r.name == "deadlines.alerts"] == [
        "alert scan 2027-01-16: not a working day, nothing raised"
    ]


def test_nothing_is_raised_on_a_council_closure_day(people):
    start_pre_proceedings(family(people), people)
    ClosureDay.objects.create(date=dt.date(2027, 1, 18), reason="Office move")
    assert alert_scan(today=dt.date(2027, 1, 18)).skipped
    assert not Alert.objects.exists()
    assert not alert_scan(today=dt.date(2027, 1, 19)).skipped


def test_a_team_manager_deadline_goes_to_the_team_manager_once_or_to_the_social_worker_if_none(people):
    with_tm = start_pre_proceedings(family(people, reference="PLO-00101"), people)
    no_tm = family(people, reference="PLO-00102")
    no_tm.team_manager = None
    no_tm.save()
    without_tm = start_pre_proceedings(no_tm, people)
    alert_scan(today=dt.date(2027, 1, 11))  # LPM outcome (team manager, due Fri 8 Jan) is overdue
    got = set(
        Alert.objects.filter(deadline__key="lpm_outcome_recorded", kind=AlertKind.OVERDUE).values_list(
            "episode_id", "recipient_id"
        )
    )
    assert got == {(with_tm.pk, people.tm.pk), (without_tm.pk, people.sw.pk)}


def test_an_overrun_reaches_heads_of_service_and_assistant_directors(people, seniors):
    past_end = start_pre_proceedings(
        family(people, reference="PLO-00201"), people, decision=dt.date(2026, 9, 3), today=dt.date(2026, 9, 3)
    )
    forecast = start_pre_proceedings(family(people, reference="PLO-00202"), people)
    cs.assessment_create(
        episode=forecast,
        kind="psychological",
        provider="Dr Expert",
        instructed_on=dt.date(2027, 1, 20),
        due_on=dt.date(2027, 6, 1),  # after the 16-week end (29 Apr 2027)
        by=people.sw,
        today=dt.date(2027, 1, 20),
    )
    on_track = start_pre_proceedings(family(people, reference="PLO-00203"), people)
    # The forecast is worked out when dates are recomputed: the assessment raised its alert when
    # it was recorded; the passing of the end is picked up by the daily recompute before the scan.
    deadlines_recompute_open(today=dt.date(2027, 1, 20))
    alert_scan(today=dt.date(2027, 1, 20))
    overruns = set(Alert.objects.filter(kind=AlertKind.OVERRUN).values_list("episode_id", "recipient_id", "due_on"))
    seniors_ids = {people.hos.pk, seniors["hos2"].pk, seniors["ad"].pk}
    assert overruns == {(past_end.pk, r, dt.date(2026, 12, 24)) for r in seniors_ids} | {
        (forecast.pk, r, dt.date(2027, 4, 29)) for r in seniors_ids
    }
    assert not Alert.objects.filter(kind=AlertKind.OVERRUN, episode=on_track).exists()
    assert alert_scan(today=dt.date(2027, 1, 21)).created == Alert.objects.filter(raised_on="2027-01-21").count()
    assert Alert.objects.filter(kind=AlertKind.OVERRUN).count() == 6


def test_a_second_episode_for_a_child_is_flagged_to_assistant_directors_once(people, seniors):
    repeat = start_pre_proceedings(family(people, reference="PLO-00301", previous_pre_proceedings=1), people)
    start_pre_proceedings(family(people, reference="PLO-00302"), people)
    alert_scan(today=dt.date(2027, 1, 11))
    alert_scan(today=dt.date(2027, 1, 12))
    got = list(Alert.objects.filter(kind=AlertKind.REPEAT_EPISODE).values_list("episode_id", "recipient_id"))
    assert got == [(repeat.pk, seniors["ad"].pk)]


def test_alerts_about_a_restricted_family_go_only_to_people_named_on_it(people, seniors):
    fam = family(people, reference="PLO-00401", restricted=True)
    start_pre_proceedings(fam, people)
    fam.restricted_to.remove(people.hos)  # named while she decided; no longer
    alert_scan(today=dt.date(2027, 1, 22))
    recipients = set(Alert.objects.values_list("recipient_id", flat=True))
    assert recipients == {people.sw.pk, people.tm.pk}
    assert not Alert.objects.filter(kind=AlertKind.ESCALATION).exists()


def test_inactive_accounts_get_no_alerts(people, seniors):
    seniors["hos2"].is_active = False
    seniors["hos2"].save()
    start_pre_proceedings(family(people), people)
    alert_scan(today=dt.date(2027, 1, 22))
    assert not Alert.objects.filter(recipient=seniors["hos2"]).exists()
    assert Alert.objects.filter(recipient=people.hos, kind=AlertKind.ESCALATION).exists()


def test_emails_go_after_commit_with_a_link_and_no_names(
    people, seniors, eager_celery, django_capture_on_commit_callbacks
):
    fam = family(people, name="Ashworth family", reference="PLO-00501", children=(("Amelia", "Ashworth"),))
    start_pre_proceedings(fam, people)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with at_seven(dt.date(2027, 1, 15)):
            tasks.alert_scan()
        assert not mail.outbox  # nothing is sent before the alerts are committed
    assert len(callbacks) == 1
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {people.sw.email, people.tm.email}
    link = f"{settings.PLO_SITE_URL}{reverse('cases:family-detail', args=[fam.pk])}"
    for message in mail.outbox:
        text = f"{message.subject}{message.body}"
        assert (
            "A deadline on case PLO-00501 is overdue" in message.body
            or "deadlines on case PLO-00501 are overdue" in (message.body)
        )
        assert link in message.body
        assert settings.PLO_SITE_URL + reverse("deadlines:alert-list") in message.body
        for secret in ("Ashworth", "Amelia", "Worker", "Manager", "Letter", "letter"):
            assert secret not in text
    assert not Alert.objects.filter(emailed_at__isnull=True).exists()
    # Idempotent: nothing pending, nothing sent.
    assert alerts_email_pending() == 0
    assert len(mail.outbox) == 2


def test_an_account_without_an_email_address_is_marked_done_without_sending(people):
    people.sw.email = ""
    people.sw.save()
    start_pre_proceedings(family(people), people)
    alert_scan(today=dt.date(2027, 1, 15))
    assert alerts_email_pending() == 1  # the team manager's
    assert [m.to for m in mail.outbox] == [[people.tm.email]]
    assert not Alert.objects.filter(emailed_at__isnull=True).exists()


def _alert_fixture(people, count: int, start: int) -> None:
    for i in range(count):
        start_pre_proceedings(family(people, reference=f"PLO-{start + i:05d}", previous_pre_proceedings=i % 2), people)


# the calendar, savepoint, the job lock, the check for changes since the day's last full scan, the
# INSERT ... SELECT (which records the scan's snapshot), the email job's outbox row, release
SCAN_QUERIES = 7


@pytest.mark.parametrize("count", [3, 12])
def test_the_scan_is_set_based(people, seniors, count, django_assert_max_num_queries):
    _alert_fixture(people, count, 600)
    today = dt.date(2027, 1, 22)
    with django_assert_max_num_queries(SCAN_QUERIES):
        result = alert_scan(today=today)
    raised = Alert.objects.select_related("deadline", "episode")
    assert result.created == raised.count()
    # Every open deadline due before today is alerted as overdue, and nothing else is.
    overdue = Deadline.objects.filter(state="open", due_on__lt=today, episode__ended_on__isnull=True)
    assert {a.deadline_id for a in raised if a.kind == "overdue"} == set(overdue.values_list("pk", flat=True))
    # Each family got exactly the same alerts (the same steps, kinds and people)...
    per_episode: dict[int, Counter[tuple[str, str, int]]] = {}
    for a in raised.exclude(kind="repeat_episode"):
        assert a.deadline is not None
        per_episode.setdefault(a.episode_id, Counter())[(a.kind, a.deadline.key, a.recipient_id)] += 1
    assert len(per_episode) == count and len({frozenset(c.items()) for c in per_episode.values()}) == 1
    # ...and the families whose child was in pre-proceedings before are flagged to the director once.
    repeats = raised.filter(kind="repeat_episode")
    assert repeats.count() == count // 2 and {a.recipient_id for a in repeats} == {seniors["ad"].pk}


def test_the_scan_runs_the_same_queries_for_3_and_12_episodes(people, seniors):
    _alert_fixture(people, 3, 700)
    with CaptureQueriesContext(connection) as small:
        alert_scan(today=dt.date(2027, 1, 22))
    _alert_fixture(people, 9, 800)
    with CaptureQueriesContext(connection) as large:
        alert_scan(today=dt.date(2027, 1, 25))
    assert len(small) == len(large)


def test_the_beat_runs_the_scan_at_seven_on_weekdays():
    entry = settings.CELERY_BEAT_SCHEDULE["alert-scan"]
    assert entry["task"] == "deadlines.alert_scan"
    assert entry["schedule"] == crontab(hour=7, minute=0, day_of_week="mon-fri")
    assert settings.CELERY_TIMEZONE == "Europe/London"
    from plo_tracker.celery import app

    assert "deadlines.alert_scan" in app.tasks and "deadlines.alert_email" in app.tasks


# --- The alert list and the header count --------------------------------------------------------


def test_the_header_counts_and_the_list_shows_unacknowledged_alerts_first(client, people):
    fam = family(people, reference="PLO-00901")
    start_pre_proceedings(fam, people)
    alert_scan(today=dt.date(2027, 1, 15))
    mine = Alert.objects.filter(recipient=people.sw)
    total = mine.count()
    assert total >= 2
    client.force_login(people.sw)
    url = reverse("deadlines:alert-list")
    response = client.get(url)
    assert response.status_code == 200
    assert f'data-testid="alert-count">{total}<' in response.content.decode()
    assert len(response.context["pending"]) == total and not response.context["done"]

    first = response.context["pending"][0]
    response = client.post(url, {"alert": first.pk}, follow=True)
    assert response.redirect_chain[-1][0] == url
    first.refresh_from_db()
    assert first.acknowledged_at is not None
    assert f'data-testid="alert-count">{total - 1}<' in response.content.decode()
    assert [a.pk for a in response.context["done"]] == [first.pk]

    # Someone else's alert cannot be acknowledged.
    theirs = Alert.objects.filter(recipient=people.tm).first()
    assert theirs is not None
    client.post(url, {"alert": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None

    client.post(url, {"all": "1"})
    assert not mine.filter(acknowledged_at__isnull=True).exists()
    assert Alert.objects.filter(recipient=people.tm, acknowledged_at__isnull=True).exists()


def test_the_alert_list_is_for_case_roles(client_as):
    assert client_as(Role.READ_ONLY).get(reverse("deadlines:alert-list")).status_code == 200
    assert client_as(Role.ADMINISTRATOR).get(reverse("deadlines:alert-list")).status_code == 403


ALERT_LIST_QUERIES = 6


@pytest.mark.parametrize("count", [3, 12])
def test_alert_list_query_count_is_pinned(client, people, count, django_assert_max_num_queries):
    _alert_fixture(people, count, 1000)
    alert_scan(today=dt.date(2027, 1, 22))
    client.force_login(people.sw)
    with django_assert_max_num_queries(ALERT_LIST_QUERIES):
        response = client.get(reverse("deadlines:alert-list"))
    mine = Alert.objects.filter(recipient=people.sw, acknowledged_at__isnull=True)
    assert mine.count() > count  # several alerts a family
    assert sorted(a.pk for a in response.context["pending"]) == sorted(mine.values_list("pk", flat=True))


def test_the_decision_day_itself(people):
    """On the decision day nothing is overdue yet; the LPM outcome (due D + 1) is due soon."""
    start_pre_proceedings(family(people), people)
    alert_scan(today=D)
    kinds = set(Alert.objects.values_list("deadline__key", "kind"))
    assert ("lpm_outcome_recorded", AlertKind.DUE_SOON) in kinds
    assert not any(kind == AlertKind.OVERDUE for _, kind in kinds)


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_create_each_alert_once(make_user, team):
    """Two scans on two connections at the same moment: the unique constraint settles the race."""
    import threading

    people = staff(make_user, team)
    make_user(Role.HEAD_OF_SERVICE)
    for i in range(5):
        start_pre_proceedings(family(people, reference=f"PLO-{1100 + i:05d}"), people)
    created: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def scan() -> None:
        try:
            barrier.wait()
            created.append(alert_scan(today=dt.date(2027, 1, 22)).created)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    total = Alert.objects.count()
    assert total > 0 and sum(created) == total
    assert alert_scan(today=dt.date(2027, 1, 22)).created == 0


@pytest.mark.django_db
def test_the_daily_recompute_marks_a_listed_hearing_held_once_its_day_has_passed(make_user, team):
    """A hearing listed ahead is not 'held' until its date; the 06:30 job moves it on (002 App. 3)."""
    import datetime as dt

    from cases import services as cs
    from cases.tests.factories import ChildFactory, FamilyFactory
    from deadlines import tasks
    from deadlines.models import DeadlineState
    from meetings import services as ms

    tm, hos, clo = make_user(Role.TEAM_MANAGER), make_user(Role.HEAD_OF_SERVICE), make_user(Role.COURT_LIAISON_OFFICER)
    family = FamilyFactory.create(team=team, team_manager=tm)
    ChildFactory(family=family)
    docs = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment", "swet"), ("present", ""))
    day = dt.date(2027, 2, 1)
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2027, 1, 4),
        recommendation="issue",
        concerns="x",
        documents=docs,
        by=tm,
        today=day,
    )
    ms.lpm_request_decide(
        request=request, expected_version=None, status="approved", decided_on=dt.date(2027, 1, 5), by=hos, today=day
    )
    lpm = ms.lpm_list(episode=request.episode, panel_date=dt.date(2027, 1, 7), by=tm, today=day)
    ms.lpm_record_outcome(
        lpm=lpm, expected_version=None, held_on=dt.date(2027, 1, 7), outcome="issue", chair=hos, by=hos, today=day
    )
    proceedings = cs.proceedings_update(
        proceedings=request.episode.proceedings,
        expected_version=None,
        issued_on=dt.date(2027, 1, 15),
        by=clo,
        today=day,
    )
    cs.hearing_record(
        proceedings=proceedings, kind="cmh", hearing_date=dt.date(2027, 2, 1), by=clo, today=dt.date(2027, 1, 20)
    )
    cmh = request.episode.deadlines.get(key="cmh")
    assert cmh.state == DeadlineState.OPEN
    assert tasks.recompute_open("2027-02-02") >= 1
    cmh.refresh_from_db()
    assert cmh.state == DeadlineState.MET and cmh.met_on == dt.date(2027, 2, 1)
