"""A re-run of a day's alert scan skips the work when nothing it reads has changed (issue #14 §2),
and does the full scan whenever something has, even a change that was saved while the first
scan ran. Transactional: the skip rests on which transactions the first scan's snapshot saw.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from deadlines import alerts
from deadlines.locking import job_lock
from deadlines.models import Alert, Deadline, DeadlineState, WorkerHeartbeat

from .test_scenarios import LETTER_DUE, family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2027, 2, 1)  # a Monday


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


@pytest.fixture
def episode(people):
    return start_pre_proceedings(family(people), people, decision=dt.date(2027, 1, 7), today=dt.date(2027, 1, 7))


def test_a_re_run_with_nothing_changed_skips_and_one_after_a_change_raises_what_is_missing(people, episode):
    first = alerts.alert_scan(today=DAY)
    assert first.created > 0 and not first.unchanged
    again = alerts.alert_scan(today=DAY)
    assert again.unchanged and again.created == 0
    # An alert removed (by hand, or a restore from an older backup): the next re-run raises it again.
    gone = Alert.objects.filter(deadline__isnull=False).order_by("id").first()
    assert gone is not None
    key = {f: getattr(gone, f) for f in ("episode_id", "deadline_id", "kind", "recipient_id", "due_on")}
    gone.delete()
    after = alerts.alert_scan(today=DAY)
    assert not after.unchanged and after.created == 1
    assert Alert.objects.filter(**key).exists()
    assert alerts.alert_scan(today=DAY).unchanged
    # The family's team manager changes: the new one is told about the overdue deadlines.
    new_tm = people.hos
    episode.family.team_manager = new_tm
    episode.family.save()
    moved = alerts.alert_scan(today=DAY)
    assert not moved.unchanged and Alert.objects.filter(recipient=new_tm, kind="overdue").exists()
    # Another day is never skipped because of this one.
    assert not alerts.alert_scan(today=dt.date(2027, 2, 2)).unchanged
    # `force` always does the full work.
    forced = alerts.alert_scan(today=DAY, force=True)
    assert not forced.unchanged and forced.created == 0


def test_a_change_saved_while_the_first_scan_ran_is_picked_up_by_the_re_run(people, episode):
    """A transaction that began before the scan's snapshot and committed after it: the scan could
    not see it, so the re-run must not skip (timestamps would get this wrong; snapshots do not)."""
    later = (
        Deadline.objects.filter(episode=episode, state=DeadlineState.OPEN, due_on__gt=DAY + dt.timedelta(days=30))
        .order_by("due_on")
        .first()
    )
    assert later is not None and not Alert.objects.filter(deadline=later).exists()
    written = threading.Event()
    scanned = threading.Event()

    def move_the_deadline_forward() -> None:
        try:
            with transaction.atomic():
                Deadline.objects.filter(pk=later.pk).update(due_on=DAY - dt.timedelta(days=1))
                written.set()
                assert scanned.wait(timeout=60)
        finally:
            connection.close()

    writer = threading.Thread(target=move_the_deadline_forward)
    writer.start()
    assert written.wait(timeout=60)
    # A later transaction commits first (a busy service), so the writer's id is below the
    # snapshot's horizon: only the snapshot's list of running transactions tells it was unseen.
    WorkerHeartbeat.objects.create(name="a later transaction", seen_at=timezone.now())
    first = alerts.alert_scan(today=DAY)  # does not see the uncommitted change
    assert not first.unchanged
    assert not Alert.objects.filter(deadline=later).exists()
    scanned.set()
    writer.join(timeout=60)
    rerun = alerts.alert_scan(today=DAY)
    assert not rerun.unchanged
    assert Alert.objects.filter(deadline=later, kind="overdue").exists()
    assert alerts.alert_scan(today=DAY).unchanged


def test_a_re_run_of_an_earlier_day_still_sees_a_change_made_before_a_later_days_scan(people, episode):
    """The catch-up reaches back a fortnight: a later day's scan must not forget the changes an
    earlier day's re-run has yet to see."""
    thursday, friday = LETTER_DUE, LETTER_DUE + dt.timedelta(days=1)
    alerts.alert_scan(today=thursday)
    Alert.objects.get(deadline__key="letter_before_proceedings", kind="due_today", recipient=people.sw).delete()
    alerts.alert_scan(today=friday)  # the letter is overdue now
    rerun = alerts.alert_scan(today=thursday)
    assert rerun == alerts.ScanResult(today=thursday, skipped=False, created=1, unchanged=False)
    letter = Alert.objects.filter(deadline__key="letter_before_proceedings", recipient=people.sw)
    assert set(letter.values_list("kind", "raised_on")) == {("due_today", thursday), ("overdue", friday)}


def test_a_scan_waits_while_a_scan_in_another_process_holds_the_job(people, episode):
    """The job's lock is known by its name (deadlines/locking.py), so a scan run by another
    process, another release's during an upgrade included, holds this one off until it commits."""
    held, release = threading.Event(), threading.Event()
    results: list[alerts.ScanResult] = []

    def other_process() -> None:
        try:
            with transaction.atomic():
                job_lock("deadlines.alert_scan")
                held.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def this_scan() -> None:
        try:
            results.append(alerts.alert_scan(today=DAY))
        finally:
            connection.close()

    other = threading.Thread(target=other_process)
    other.start()
    assert held.wait(timeout=30)
    scan = threading.Thread(target=this_scan)
    scan.start()
    waiting = False
    while scan.is_alive() and not waiting:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND wait_event = 'advisory')"
            )
            waiting = cursor.fetchone()[0]
    raised_meanwhile = Alert.objects.count()
    release.set()
    other.join(timeout=30)
    scan.join(timeout=60)
    assert waiting and raised_meanwhile == 0
    # Then it raises the day's alerts: the outcome, minutes, advice and letter overdue (to the team
    # manager, the minutes and letter to the social worker too) and escalated to the head of service.
    assert results == [alerts.ScanResult(today=DAY, skipped=False, created=10, unchanged=False)]
    assert Alert.objects.count() == 10
