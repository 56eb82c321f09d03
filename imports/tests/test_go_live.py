"""Go-live day for an imported tracker (issue 24 §2): history before the council's go-live date
raises no false alarm, can be recorded as done instead, and leaves hand-entered families alone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from pghistory.models import Events

from accounts.roles import Role
from accounts.scopes import PRIVILEGED_DEADLINE_KEYS
from accounts.tests.factories import UserFactory
from cases.models import Episode
from deadlines.alerts import alert_scan
from deadlines.golive import past_end_at_go_live
from deadlines.models import Alert, AlertKind, Deadline, DeadlineState, GoLive
from deadlines.selectors.weekly import weekly_figures
from deadlines.services import calendar_current, deadlines_recompute, go_live_set
from imports.council_tracker import BAD_ROWS, FAMILIES, MAPPING, council_tracker_xlsx
from imports.models import ImportedEpisode
from imports.parsing import read_tracker
from imports.services import not_tracked_counts, tracker_check, tracker_import

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)  # a Wednesday
NOW = dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC)


@pytest.fixture
def seniors(council):
    """The head of service and assistant director the overrun escalation goes to (004)."""
    return [
        UserFactory(username="hos", roles=[Role.HEAD_OF_SERVICE], team=None),
        UserFactory(username="ad", roles=[Role.ASSISTANT_DIRECTOR], team=None),
    ]


@pytest.fixture
def admin(council):
    return UserFactory(username="ada.admin", roles=[Role.ADMINISTRATOR], team=None)


def sheet():
    return read_tracker("tracker.xlsx", council_tracker_xlsx(TODAY))


def import_council_tracker(council, **options):
    with time_machine.travel(NOW, tick=False):
        done = tracker_import(sheet=sheet(), mapping=MAPPING, by=council["people"]["clo"], today=TODAY, **options)
        alert_scan(today=TODAY)
    assert done.created == FAMILIES - BAD_ROWS
    return done


def before_go_live_alerts():
    """Alerts about a deadline due before go-live, and overrun escalations (any)."""
    return (
        Alert.objects.filter(kind__in=[AlertKind.OVERDUE, AlertKind.ESCALATION], due_on__lt=TODAY).count(),
        Alert.objects.filter(kind=AlertKind.OVERRUN).count(),
    )


def test_without_a_go_live_date_the_tracker_goes_red(council, seniors):
    """The issue as reported: every missing step is overdue and the seniors are told of overruns."""
    import_council_tracker(council)
    overdue = Deadline.objects.filter(state=DeadlineState.OPEN, due_on__lt=TODAY)
    assert overdue.filter(key="lpm_minutes").count() == FAMILIES - BAD_ROWS
    overdue_alerts, overruns = before_go_live_alerts()
    assert overdue_alerts > 100
    assert overruns > 0


def test_a_go_live_date_of_today_raises_no_alert_or_escalation_about_history(council, seniors, settings):
    settings.PLO_GO_LIVE_DATE = TODAY
    import_council_tracker(council)
    assert before_go_live_alerts() == (0, 0)
    assert not Deadline.objects.filter(state=DeadlineState.OPEN, due_on__lt=TODAY).exists()
    minutes = Deadline.objects.filter(key="lpm_minutes")
    assert {d.state for d in minutes} == {DeadlineState.NOT_TRACKED}
    # Dated steps are met as usual: the letter, the initial meeting.
    assert Deadline.objects.filter(key="letter_before_proceedings", state=DeadlineState.MET).count() > 0
    # The oldest families were past their end on go-live day: listed once for the head of service.
    past = past_end_at_go_live(Episode.objects.values("pk"))
    assert past and all(e.is_open for e in past)
    assert len(past) == len({e.pk for e in past})
    # Left out of timeliness figures: no LPM minutes counted as met, late or missed.
    with time_machine.travel(NOW, tick=False):
        figures = weekly_figures(user=seniors[0], today=TODAY, calendar=calendar_current())
    assert "lpm_minutes" not in {t.key for t in figures.timeliness}


def test_a_step_due_after_go_live_is_tracked_and_alerts_as_usual(council, seniors, settings):
    settings.PLO_GO_LIVE_DATE = TODAY - dt.timedelta(days=60)
    import_council_tracker(council)
    states = set(Deadline.objects.filter(key="lpm_minutes").values_list("state", flat=True))
    assert states == {DeadlineState.NOT_TRACKED, DeadlineState.OPEN}  # due before and after go-live
    overdue = Deadline.objects.filter(state=DeadlineState.OPEN, due_on__lt=TODAY)
    assert overdue.exists() and all(d.due_on >= settings.PLO_GO_LIVE_DATE for d in overdue)
    # Every overdue step is alerted once, to its owner; the record of the LPM's legal advice (which
    # reveals that advice exists) only where the case has a team manager, who may read it.
    plain = overdue.exclude(key__in=PRIVILEGED_DEADLINE_KEYS)
    assert Alert.objects.filter(kind=AlertKind.OVERDUE, deadline__in=plain).count() == plain.count()
    privileged = Alert.objects.filter(kind=AlertKind.OVERDUE).exclude(deadline__in=plain)
    assert all(Role.TEAM_MANAGER in alert.recipient.roles for alert in privileged)


def test_record_as_done_shows_the_steps_met_with_no_date(council, seniors, settings):
    settings.PLO_GO_LIVE_DATE = TODAY
    import_council_tracker(council, before_go_live="done")
    assert before_go_live_alerts() == (0, 0)
    minutes = Deadline.objects.filter(key="lpm_minutes")
    assert {(d.state, d.met_on) for d in minutes} == {(DeadlineState.DONE_AT_IMPORT, None)}
    # The end of pre-proceedings is never "done" while the family is open.
    assert not Deadline.objects.filter(key="pre_proceedings_end", state=DeadlineState.DONE_AT_IMPORT).exists()
    assert set(ImportedEpisode.objects.values_list("before_go_live", flat=True)) == {"done"}


def test_a_family_entered_by_hand_is_tracked_whatever_the_go_live_date(council, seniors, settings):
    settings.PLO_GO_LIVE_DATE = TODAY
    import_council_tracker(council)
    episode = Episode.objects.filter(imported_from__isnull=False).order_by("pk")[0]
    ImportedEpisode.objects.filter(episode=episode).delete()  # as if it had been entered by hand
    deadlines_recompute(episode=Episode.objects.get(pk=episode.pk), today=TODAY)
    assert Deadline.objects.get(episode=episode, key="lpm_minutes").state == DeadlineState.OPEN


def test_setting_the_go_live_date_recomputes_imported_families_and_is_recorded(council, seniors, admin):
    import_council_tracker(council)
    assert Deadline.objects.filter(key="lpm_minutes", state=DeadlineState.OPEN).count() == FAMILIES - BAD_ROWS
    with time_machine.travel(NOW, tick=False):
        go_live_set(date=TODAY, by=admin, today=TODAY)
    assert Deadline.objects.filter(key="lpm_minutes", state=DeadlineState.NOT_TRACKED).count() == FAMILIES - BAD_ROWS
    row = GoLive.objects.get()
    assert (row.date, row.set_by) == (TODAY, admin)
    assert Events.objects.references(row).filter(pgh_label="insert").count() == 1  # in the audit trail


def test_only_an_administrator_sets_the_go_live_date(council):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        go_live_set(date=TODAY, by=council["people"]["clo"], today=TODAY)
    assert not GoLive.objects.exists()


def test_the_preview_counts_each_familys_not_tracked_steps_and_writes_nothing(council, settings):
    settings.PLO_GO_LIVE_DATE = TODAY
    with time_machine.travel(NOW, tick=False):
        check = tracker_check(sheet=sheet(), mapping=MAPPING, today=TODAY)
        counts = not_tracked_counts(check=check, sheet=sheet(), mapping=MAPPING, by=council["people"]["clo"])
    assert counts is not None and len(counts) == FAMILIES - BAD_ROWS
    assert all(n > 0 for n in counts.values())
    assert not Episode.objects.exists() and not ImportedEpisode.objects.exists()  # rolled back
    with time_machine.travel(NOW, tick=False):
        tracker_import(sheet=sheet(), mapping=MAPPING, by=council["people"]["clo"], today=TODAY)
    imported = {
        ref: Deadline.objects.filter(
            episode__imported_from__family_reference=ref, state=DeadlineState.NOT_TRACKED
        ).count()
        for ref in counts
    }
    assert imported == counts


def test_the_go_live_page_for_administrators(client, admin, council):
    client.force_login(council["people"]["clo"])
    assert client.get(reverse("deadlines:go-live")).status_code == 403
    client.force_login(admin)
    page = client.get(reverse("deadlines:go-live"))
    assert "Not set: every step of an imported family is tracked" in page.content.decode()
    bad = client.post(reverse("deadlines:go-live"), {"date_0": "31", "date_1": "2", "date_2": "2026"})
    assert "Go-live date must be a real date" in bad.content.decode()
    assert not GoLive.objects.exists()
    with time_machine.travel(NOW, tick=False):
        done = client.post(reverse("deadlines:go-live"), {"date_0": "1", "date_1": "12", "date_2": "2026"}, follow=True)
    text = done.content.decode()
    assert "The go-live date is now 1 December 2026" in text
    assert "Tuesday 1 December 2026" in text
    assert GoLive.objects.get().date == dt.date(2026, 12, 1)


def test_the_import_command_records_history_as_done_when_asked(council, settings, tmp_path):
    from django.core.management import call_command

    from imports.council_tracker import HEADERS

    settings.PLO_GO_LIVE_DATE = TODAY
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(council_tracker_xlsx(TODAY))
    maps = [arg for h in HEADERS for arg in ("--map", f"{h}={MAPPING[h]}")]
    with time_machine.travel(NOW, tick=False):
        call_command(
            "import_tracker", str(path), "--as", "clara.clo", "--skip-invalid", "--before-go-live", "done", *maps
        )
    assert set(Deadline.objects.filter(key="lpm_minutes").values_list("state", flat=True)) == {
        DeadlineState.DONE_AT_IMPORT
    }
