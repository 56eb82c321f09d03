"""What the alert emails say, word for word, and who gets one (issue #5 §1): one line per case and
kind, due soonest first, counted; only cases the recipient may still see; the email job runs
alongside another worker, and alongside people saving the case, without waiting or skipping."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from cases.models import Family
from deadlines.alerts import ScanResult, alert_acknowledge, alert_email_lines, alert_scan, alerts_email_pending
from deadlines.models import Alert, AlertKind

from .test_scenarios import family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 1, 15)  # a Friday
FOOTER = [
    "",
    f"See and acknowledge your alerts: {settings.PLO_SITE_URL}/deadlines/alerts/",
    "",
    "This email leaves out case details on purpose. Sign in to see them.",
]


def case_link(fam: Family) -> str:
    return f"{settings.PLO_SITE_URL}/cases/families/{fam.pk}/"


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


@pytest.fixture
def director(make_user):
    return make_user(Role.ASSISTANT_DIRECTOR, first_name="Ada", last_name="Director")


@pytest.fixture
def two_cases(people, director):
    """PLO-00502 (pre-proceedings from Mon 11 Jan) is set up before PLO-00501 (from Thu 7 Jan,
    the child's second episode), so neither the order the cases were made nor the order the
    alerts were raised matches the order the email lists them in."""
    later = start_pre_proceedings(family(people, reference="PLO-00502"), people, decision=dt.date(2027, 1, 11))
    earlier = start_pre_proceedings(family(people, reference="PLO-00501", previous_pre_proceedings=1), people)
    return earlier.family, later.family


def test_each_recipient_gets_one_email_listing_their_alerts_by_kind_then_case(people, director, two_cases):
    earlier, later = two_cases
    assert alert_scan(today=DAY) == ScanResult(today=DAY, skipped=False, created=13, unchanged=False)
    assert alerts_email_pending() == 3
    by_to = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 3 and set(by_to) == {people.tm.email, people.sw.email, director.email}

    # The team manager: the outcome, minutes, advice and letter of PLO-00501 are overdue (the
    # advice reaches only her); of PLO-00502 the outcome is overdue, the minutes are due today,
    # the advice and the letter are due on Monday.
    tm = by_to[people.tm.email]
    assert tm.subject == "PLO Tracker: 8 new alerts"
    assert tm.body.split("\n") == [
        "You have 8 new alerts in PLO Tracker.",
        "",
        "- 2 deadlines on case PLO-00502 are due soon:",
        f"  {case_link(later)}",
        "- A deadline on case PLO-00502 is due today:",
        f"  {case_link(later)}",
        "- 4 deadlines on case PLO-00501 are overdue:",
        f"  {case_link(earlier)}",
        "- A deadline on case PLO-00502 is overdue:",
        f"  {case_link(later)}",
        *FOOTER,
    ]
    sw = by_to[people.sw.email]
    assert sw.subject == "PLO Tracker: 4 new alerts"
    assert sw.body.split("\n") == [
        "You have 4 new alerts in PLO Tracker.",
        "",
        "- A deadline on case PLO-00502 is due soon:",
        f"  {case_link(later)}",
        "- A deadline on case PLO-00502 is due today:",
        f"  {case_link(later)}",
        "- 2 deadlines on case PLO-00501 are overdue:",
        f"  {case_link(earlier)}",
        *FOOTER,
    ]
    ad = by_to[director.email]
    assert ad.subject == "PLO Tracker: 1 new alert"
    assert ad.body.split("\n") == [
        "You have 1 new alert in PLO Tracker.",
        "",
        "- Case PLO-00501 is a second pre-proceedings episode for a child:",
        f"  {case_link(earlier)}",
        *FOOTER,
    ]


def test_email_lines_put_kinds_this_release_does_not_know_last_in_plain_words():
    """An alert of a kind this release has no words for (raised by a newer release while an
    upgrade rolls out) is still told, after every kind it knows, one line per case."""
    lines = alert_email_lines(
        [
            (30, "PLO-00300", "court_date_moved"),
            (20, "PLO-00200", AlertKind.OVERDUE),
            (10, "PLO-00100", "hearing_listed"),
            (30, "PLO-00300", "court_date_moved"),
            (40, "PLO-00050", AlertKind.ESCALATION),
        ]
    )
    url = settings.PLO_SITE_URL
    assert lines == [
        f"- A deadline on case PLO-00200 is overdue:\n  {url}/cases/families/20/",
        f"- A deadline on case PLO-00050 is overdue by more than 5 working days:\n  {url}/cases/families/40/",
        f"- An alert on case PLO-00100:\n  {url}/cases/families/10/",
        f"- 2 alerts on case PLO-00300:\n  {url}/cases/families/30/",
    ]


def test_a_case_restricted_since_the_alert_was_raised_is_left_out_of_the_email(people):
    fam = family(people, reference="PLO-00601")
    start_pre_proceedings(fam, people)
    alert_scan(today=DAY)
    # Restricted before the email went: only the social worker (and the head of service) named.
    fam.restricted = True
    fam.save()
    fam.restricted_to.add(people.sw, people.hos)
    assert alerts_email_pending() == 1
    assert [m.to for m in mail.outbox] == [[people.sw.email]]
    assert mail.outbox[0].body.split("\n") == [
        "You have 2 new alerts in PLO Tracker.",
        "",
        "- 2 deadlines on case PLO-00601 are overdue:",
        f"  {case_link(fam)}",
        *FOOTER,
    ]
    # The team manager's alerts are done with, not left to be sent later.
    assert not Alert.objects.filter(emailed_at__isnull=True).exists()
    assert Alert.objects.filter(recipient=people.tm).count() == 4


def test_the_email_job_reads_nothing_about_staff_who_have_no_alerts(people, make_user):
    """One scoped look-up per recipient ("one scoped query per recipient"): a council's other
    hundreds of staff add no queries."""
    start_pre_proceedings(family(people, reference="PLO-00701"), people)
    alert_scan(today=DAY)
    with CaptureQueriesContext(connection) as few_staff:
        assert alerts_email_pending() == 2
    for role in (Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.COURT_LIAISON_OFFICER, Role.READ_ONLY):
        make_user(role)
        make_user(role)
    Alert.objects.update(emailed_at=None)  # the same alerts again, as after a failed send
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as many_staff:
        assert alerts_email_pending() == 2
    assert len(many_staff) == len(few_staff)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people.sw.email, people.tm.email])


def test_a_backlog_longer_than_a_batch_goes_out_in_the_order_raised(people):
    start_pre_proceedings(family(people, reference="PLO-00901"), people)
    # The email job was down from Tuesday to Thursday; the scans went on.
    alert_scan(today=dt.date(2027, 1, 12))  # the minutes and the letter are due soon
    alert_scan(today=dt.date(2027, 1, 13))  # the minutes are due today
    alert_scan(today=dt.date(2027, 1, 14))  # the minutes are overdue, the letter is due today
    # Meanwhile the social worker acknowledged Tuesday's alerts on screen.
    for pk in Alert.objects.filter(recipient=people.sw, raised_on=dt.date(2027, 1, 12)).values_list("pk", flat=True):
        assert alert_acknowledge(user=people.sw, alert_id=pk)
    assert alerts_email_pending(batch=1) == 13
    told = [m.body.split("\n")[2] for m in mail.outbox if m.to == [people.sw.email]]
    assert told == [
        "- A deadline on case PLO-00901 is due soon:",
        "- A deadline on case PLO-00901 is due soon:",
        "- A deadline on case PLO-00901 is due today:",
        "- A deadline on case PLO-00901 is overdue:",
        "- A deadline on case PLO-00901 is due today:",
    ]


def _in_another_transaction(hold, held: threading.Event, release: threading.Event) -> threading.Thread:
    """Run `hold` in a transaction on another connection, and keep it open until `release`."""

    def run() -> None:
        try:
            with transaction.atomic():
                hold()
                held.set()
                release.wait(timeout=15)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert held.wait(timeout=30)
    return thread


@pytest.mark.django_db(transaction=True)
def test_an_alert_another_worker_is_sending_is_skipped_not_waited_for(people, director):
    start_pre_proceedings(family(people, reference="PLO-00801", previous_pre_proceedings=1), people)
    alert_scan(today=DAY)
    repeat = Alert.objects.get(kind=AlertKind.REPEAT_EPISODE)
    held, release = threading.Event(), threading.Event()
    # Another worker has picked the director's alert and is sending it.
    worker = _in_another_transaction(
        lambda: list(Alert.objects.select_for_update().filter(pk=repeat.pk)), held, release
    )
    try:
        assert alerts_email_pending() == 2
    finally:
        release.set()
        worker.join(timeout=30)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people.sw.email, people.tm.email])
    assert list(Alert.objects.filter(emailed_at__isnull=True).values_list("pk", flat=True)) == [repeat.pk]


@pytest.mark.django_db(transaction=True)
def test_alerts_about_a_family_being_saved_are_sent_all_the_same(people):
    fam = family(people, reference="PLO-00802")
    start_pre_proceedings(fam, people)
    alert_scan(today=DAY)
    held, release = threading.Event(), threading.Event()
    # Someone is saving the family's details (its row locked until they commit).
    editor = _in_another_transaction(
        lambda: Family.objects.filter(pk=fam.pk).update(name="Ashworth-Smith family"), held, release
    )
    try:
        assert alerts_email_pending() == 2
    finally:
        release.set()
        editor.join(timeout=30)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people.sw.email, people.tm.email])
    assert not Alert.objects.filter(emailed_at__isnull=True).exists()
