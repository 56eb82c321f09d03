"""Jobs side by side (issue #14 §3): any two of them at once finish with no error and no duplicate.

Each pair runs on its own database connection in two threads released together, several rounds
on successive working days, against families taken through the real services. After every round:
no thread raised (a deadlock, a unique violation, a lost update all raise), every
(episode, deadline, kind, person, due date) has one alert, a further scan of the day finds
nothing left to raise (nothing was skipped), and a waiver saved during a recompute is still there.

Not a timing test: nothing here asserts how long anything takes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.db.models import Count

from accounts.roles import Role
from deadlines import alerts, scans, tasks
from deadlines.models import Alert, Deadline, DeadlineState
from deadlines.services import calendar_current, deadline_waive
from meetings import services as ms
from meetings.models import MeetingKind

from .test_scenarios import family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_DAY = dt.date(2027, 2, 1)  # Monday; pre-proceedings below start over the weeks before it
ROUNDS = 2
EPISODES = 8


@pytest.fixture
def service(make_user, team):
    """Eight families in pre-proceedings started 2–9 weeks before FIRST_DAY, two heads of service,
    an assistant director; some children had pre-proceedings before (repeat-episode alerts)."""
    people = staff(make_user, team)
    make_user(Role.HEAD_OF_SERVICE, first_name="Harry", last_name="Second")
    make_user(Role.ASSISTANT_DIRECTOR, first_name="Ada", last_name="Director")
    cal = calendar_current()
    episodes = []
    for i in range(EPISODES):
        decision = cal.add_working_days(FIRST_DAY, -(10 + 5 * i))
        fam = family(people, name=f"Family {i}", previous_pre_proceedings=1 if i % 4 == 0 else 0)
        episodes.append(start_pre_proceedings(fam, people, decision=decision, today=decision))
    return people, episodes


def run_together(*jobs: Callable[[], object]) -> list[BaseException]:
    """Run each job on its own thread and connection, released at the same moment; their errors."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def work(job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a job never finished"
    return errors


def assert_one_alert_each() -> None:
    duplicates = (
        Alert.objects.values("episode", "deadline", "kind", "recipient", "due_on")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert list(duplicates) == []


def working_days(n: int) -> list[dt.date]:
    cal = calendar_current()
    days, day = [], FIRST_DAY
    for _ in range(n):
        days.append(day)
        day = cal.next_working_day(day)
    return days


def save_steps(people, episodes, day: dt.date) -> Callable[[], None]:
    """People at work: a team manager waives an open deadline and books a review meeting, per episode."""

    def work() -> None:
        for episode in episodes:
            open_one = (
                Deadline.objects.filter(episode=episode, state=DeadlineState.OPEN, due_on__isnull=False)
                .order_by("due_on", "id")
                .first()
            )
            if open_one is not None:
                deadline_waive(deadline=open_one, reason="Agreed at supervision", by=people.tm, today=day)
            ms.meeting_record(
                episode=episode,
                kind=MeetingKind.REVIEW,
                scheduled_for=day + dt.timedelta(days=14),
                by=people.tm,
                today=day,
            )

    return work


PAIRS = [
    "two alert scans",
    "a catch-up of yesterday and today's scan",
    "two beats",
    "a worker and a beat starting together (two catch-ups)",
    "a scan and the daily recompute",
    "a scan and people saving steps",
    "the daily recompute and people saving steps",
]


SCANS_ONLY: dict[str, Callable[[dt.date, dt.date], tuple[dt.date, ...]]] = {
    "two alert scans": lambda yesterday, day: (day,),
    "a catch-up of yesterday and today's scan": lambda yesterday, day: (yesterday, day),
}


def test_any_two_jobs_at_once_never_error_and_raise_each_alert_once(service):
    """Each pair in turn, ROUNDS working days each (one test: building the families is the slow part)."""
    people, episodes = service
    days = iter(working_days(len(PAIRS) * ROUNDS + 1))
    yesterday = next(days)
    for pair in PAIRS:
        for _ in range(ROUNDS):
            day = next(days)
            run_pair(pair, people, episodes, yesterday, day)
            yesterday = day


def run_pair(pair: str, people, episodes, yesterday: dt.date, day: dt.date) -> None:
    iso = day.isoformat()

    def scan() -> None:
        tasks.alert_scan(iso)

    def beat() -> None:
        tasks.recompute_open(iso)
        tasks.alert_scan(iso)

    def recompute() -> None:
        tasks.recompute_open(iso)

    def catch_up() -> None:  # what a worker or beat runs when it starts (issue #12)
        scans.alert_scan_catch_up(today=day)

    steps = save_steps(people, episodes, day)
    jobs: dict[str, tuple[Callable[[], object], ...]] = {
        "two alert scans": (scan, scan),
        "a catch-up of yesterday and today's scan": (lambda: tasks.alert_scan(yesterday.isoformat()), scan),
        "two beats": (beat, beat),
        "a worker and a beat starting together (two catch-ups)": (catch_up, catch_up),
        "a scan and the daily recompute": (scan, recompute),
        "a scan and people saving steps": (scan, steps),
        "the daily recompute and people saving steps": (recompute, steps),
    }
    if pair not in SCANS_ONLY:
        # Milestones the stored deadlines lack, as after a policy change adds one: every recompute
        # running now must create them, and two of them must not both insert the same row.
        Deadline.objects.filter(key__in=["pre_proceedings_end", "initial_meeting"]).delete()
    errors = run_together(*jobs[pair])
    assert errors == [], f"{pair} on {day}: {errors!r}"
    assert_one_alert_each()
    restored = Deadline.objects.filter(key="pre_proceedings_end").count()
    assert restored == len(episodes), f"{pair}: the missing milestones were not restored"
    if pair in SCANS_ONLY:
        # Nothing changed the deadlines meanwhile, so a scan now must find nothing left to raise.
        for scanned in SCANS_ONLY[pair](yesterday, day):
            assert alerts.alert_scan(today=scanned, force=True).created == 0, f"{pair} missed alerts of {scanned}"
    if "saving steps" in pair:
        # Every waiver saved while a job ran is still there: no job wrote over it.
        waived = Deadline.objects.filter(state=DeadlineState.WAIVED, waived_on=day).count()
        assert waived == len(episodes), f"{pair}: {len(episodes) - waived} waivers were lost"


def test_a_second_scan_waits_for_the_first_and_then_creates_nothing(service, monkeypatch):
    """The advisory lock: while one scan's transaction is open, another scan waits for it."""
    day = working_days(1)[0]
    inside = threading.Event()
    release = threading.Event()
    real_enqueue = alerts.outbox_enqueue

    def enqueue_then_hold(*args, **kwargs):  # runs inside the scan's transaction, after its INSERT
        message = real_enqueue(*args, **kwargs)
        if threading.current_thread().name == "first":
            inside.set()
            release.wait(timeout=60)
        return message

    monkeypatch.setattr(alerts, "outbox_enqueue", enqueue_then_hold)
    created: dict[str, int] = {}

    def scan(name: str) -> None:
        try:
            created[name] = alerts.alert_scan(today=day).created
        finally:
            connection.close()

    first = threading.Thread(target=scan, args=("first",), name="first")
    first.start()
    assert inside.wait(timeout=60)
    second = threading.Thread(target=scan, args=("second",), name="second")
    second.start()
    waiting = 0
    with connections["default"].cursor() as cursor:
        for _ in range(200):
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            waiting = cursor.fetchone()[0]
            if waiting:
                break
            threading.Event().wait(0.05)
    release.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert waiting == 1, "the second scan did not wait for the first one's lock"
    assert created["first"] > 0 and created["second"] == 0
