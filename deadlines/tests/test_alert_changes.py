"""What the daily scan must notice (issue 23: two one-line faults in deadlines/alerts.py passed
every test): a deadline whose due date moves is a new thing to warn about, and a re-run of the
day skips its work only when nothing it reads — records, calendar or policy — has changed."""

from __future__ import annotations

import datetime as dt

import pytest

from deadlines import alerts
from deadlines.engine import WorkingCalendar
from deadlines.models import Alert, Deadline
from deadlines.services import calendar_current

from .test_scenarios import LETTER_DUE, family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2027, 2, 1)  # a Monday; the letter (due 14 Jan) is overdue
MOVED = dt.date(2027, 1, 20)  # a corrected date, still before DAY


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


@pytest.fixture
def episode(people):
    return start_pre_proceedings(family(people), people, today=dt.date(2027, 1, 7))


def _letter_alerts(episode, people) -> set[tuple[str, dt.date | None]]:
    letter = Deadline.objects.get(episode=episode, key="letter_before_proceedings")
    return set(Alert.objects.filter(deadline=letter, recipient=people.sw).values_list("kind", "due_on"))


def test_a_deadline_whose_due_date_moves_is_alerted_again_for_its_new_date(people, episode):
    alerts.alert_scan(today=DAY)
    assert _letter_alerts(episode, people) == {("overdue", LETTER_DUE)}
    # Nothing new on the next run while the date stays where it was.
    alerts.alert_scan(today=DAY + dt.timedelta(days=1))
    assert _letter_alerts(episode, people) == {("overdue", LETTER_DUE)}
    Deadline.objects.filter(episode=episode, key="letter_before_proceedings").update(due_on=MOVED)
    # The same day's re-run sees the change (nothing is skipped) and warns about the new date.
    rerun = alerts.alert_scan(today=DAY + dt.timedelta(days=1))
    assert not rerun.unchanged and rerun.created >= 1
    assert _letter_alerts(episode, people) == {("overdue", LETTER_DUE), ("overdue", MOVED)}


def test_a_re_run_with_another_calendar_does_the_full_scan(people, episode):
    calendar = calendar_current()
    first = alerts.alert_scan(today=DAY, calendar=calendar)
    assert not first.unchanged
    assert alerts.alert_scan(today=DAY, calendar=calendar).unchanged
    # Two closure days just after today move the due-soon horizon: the scan is not the same scan.
    closed = WorkingCalendar(
        closures={*calendar.closures, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)},
        extra_holidays=calendar.extra_holidays,
    )
    assert not alerts.alert_scan(today=DAY, calendar=closed).unchanged
    assert alerts.alert_scan(today=DAY, calendar=closed).unchanged
