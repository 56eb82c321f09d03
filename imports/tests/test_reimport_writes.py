"""What a re-import writes, beyond the words of its preview (docs/importing.md "Importing again"):
only what changed is written, to the right record of the right family, on the day the import is
dated, in the name of the person importing; and a refused import says so beside each row."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from cases.models import Family, LetterDelivery, Stage
from deadlines.models import Deadline, DeadlineState
from imports import services
from imports.fields import mapping_guess
from imports.parsing import read_tracker
from imports.sample import SAMPLE_TODAY
from imports.tests.test_reimport_changes import BASE, REF, check, episode, load, merge, tracker
from meetings.models import Meeting, MeetingKind

pytestmark = pytest.mark.django_db

NO_MANAGER = merge(BASE, **{"Team manager": ""})
PAMS_AGAIN = {
    "Case ID": REF,
    "Assessment": "PAMS",
    "Provider": "Bridge Assessments",
    "Instructed": "20/09/2026",
    "Assessment due": "30/10/2026",
}


def load_as(by, *rows: dict[str, Any], clock: dt.datetime | None = None, today: dt.date = SAMPLE_TODAY):
    sheet = read_tracker("tracker.csv", tracker(*rows))
    with time_machine.travel(clock or dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=False):
        return services.tracker_import(sheet=sheet, mapping=mapping_guess(sheet.headers), by=by, today=today)


# --- Only what changed is written ------------------------------------------------------------


@pytest.mark.parametrize("first", [BASE, NO_MANAGER], ids=["with a team manager", "with none"])
def test_a_reimport_that_changes_no_one_holding_the_family_leaves_its_record_alone(council, first):
    from pghistory.models import Events

    load(council, first)
    family = Family.objects.get(reference=REF)
    then = merge(first, **{"Review 2": "11/11/2026"})
    assert check(then) == ("update", ["Review meetings added: 11/11/2026"], [])
    assert load(council, then).updated == 1
    after = Family.objects.get(reference=REF)
    assert after.version == family.version
    assert not Events.objects.references(after).filter(pgh_label="update").exists()
    assert (after.team_manager is None) == (first is NO_MANAGER)


# --- The right record of the right family -------------------------------------------------------


def test_moving_one_familys_initial_meeting_leaves_every_other_familys_alone(council):
    other = merge(BASE, **{"Case ID": "TRK-2002", "Child ID": "C-60199", "Family name": "Cole family"})
    load(council, BASE, other)
    moved = merge(BASE, **{"Initial meeting": "17/09/2026"})
    assert load(council, moved, other).updated == 1
    held = dict(Meeting.objects.filter(kind=MeetingKind.INITIAL).values_list("episode__family__reference", "held_on"))
    assert held == {REF: dt.date(2026, 9, 17), "TRK-2002": dt.date(2026, 9, 16)}


def test_a_booked_meeting_moved_to_a_day_gone_by_is_held_and_no_longer_booked(council):
    first = merge(BASE, **{"Initial meeting": "03/12/2026", "Review 1": ""})
    load(council, first)
    meeting = Meeting.objects.get(episode=episode(), kind=MeetingKind.INITIAL)
    assert (meeting.held_on, meeting.scheduled_for) == (None, dt.date(2026, 12, 3))
    then = merge(first, **{"Initial meeting": "30/11/2026"})
    assert load(council, then).updated == 1
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.scheduled_for) == (dt.date(2026, 11, 30), None)


def test_of_two_pams_assessments_due_the_same_day_only_the_one_back_is_completed(council):
    load(council, BASE, PAMS_AGAIN)
    assert load(council, BASE, {**PAMS_AGAIN, "Completed": "27/10/2026"}).updated == 1
    done = dict(episode().assessments.values_list("instructed_on", "completed_on"))
    assert done == {dt.date(2026, 9, 18): None, dt.date(2026, 9, 20): dt.date(2026, 10, 27)}


def test_of_two_kinds_instructed_and_due_together_only_the_kind_back_is_completed(council):
    cognitive = {**BASE, "Assessment": "Cognitive", "Provider": "Dr A. Morrow"}
    cognitive = {k: v for k, v in cognitive.items() if k in ("Case ID", *PAMS_AGAIN)}
    load(council, BASE, cognitive)
    assert check(BASE, {**cognitive, "Completed": "27/10/2026"}) == ("update", ["Cognitive assessment completed"], [])
    assert load(council, BASE, {**cognitive, "Completed": "27/10/2026"}).updated == 1
    done = dict(episode().assessments.values_list("kind", "completed_on"))
    assert done == {"pams": None, "cognitive": dt.date(2026, 10, 27)}


def test_an_outcome_written_with_a_full_stop_ends_the_episode(council):
    load(council, BASE)
    assert load(council, merge(BASE, **{"Outcome": "Step down to CIN.", "Outcome date": "25/11/2026"})).updated == 1
    assert (episode().stage, episode().end_outcome) == (Stage.ENDED, "step_down_cin")


# --- In the importer's name -------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.HEAD_OF_SERVICE, Role.COURT_LIAISON_OFFICER])
def test_an_extension_brought_in_says_who_agreed_it(council, role):
    by = UserFactory(roles=[role], team=None)
    # Only the LPM so far: a head of service records no letters, meetings or assessments.
    first = {k: v for k, v in BASE.items() if k not in ("Letter sent", "Initial meeting", "Review 1", *PAMS_AGAIN)}
    first.update({"Case ID": REF})
    assert load_as(by, first).created == 1
    # Agreed after the machine's clock (behind), on or before the import's day.
    then = merge(first, **{"Extension (weeks)": "3", "Extension agreed": "30/11/2026"})
    assert load_as(by, then, clock=EARLIER_CLOCK).updated == 1
    (extension,) = episode().extensions.all()
    assert (extension.weeks, extension.agreed_on, extension.agreed_by) == (3, dt.date(2026, 11, 30), by)
    assert extension.rationale == (
        services.EXTENSION_BY_HEAD if role == Role.HEAD_OF_SERVICE else services.EXTENSION_BY_IMPORTER
    )
    end = Deadline.objects.get(episode=episode(), key="pre_proceedings_end")
    assert end.due_on == dt.date(2027, 1, 13)  # 16 weeks from 2 Sep (23 Dec), plus 3


# --- On the day the import is dated -----------------------------------------------------------

#: The machine's clock is behind the day the import is dated: every step must be judged on the
#: import's day (the preview accepted the file on it), never on the clock's.
EARLIER_CLOCK = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
RECENT = {
    "Case ID": REF,
    "Family name": "Ashby family",
    "Child(ren)": "Leo Ashby",
    "Child ID": "C-60101",
    "DOB": "14/03/2019",
    "Parents": "Kerry Ashby (mother)",
    "Team": BASE["Team"],
    "Social worker": "Priya Lakhani",
    "LPM/Panel date": "02/11/2026",
    "Letter sent": "27/11/2026",
    "Initial meeting": "27/11/2026",
    "Assessment": "PAMS",
    "Provider": "Bridge Assessments",
    "Instructed": "27/11/2026",
    "Assessment due": "30/12/2026",
}


def test_every_step_of_a_reimport_is_judged_on_the_day_the_import_is_dated(council):
    clo = council["people"]["clo"]
    assert load_as(clo, RECENT).created == 1
    then = merge(
        RECENT,
        **{
            "Parents": "Kerry Ashby (mother); Dean Cross (stepfather)",
            "Initial meeting": "30/11/2026",
            "Review 1": "01/12/2026",
            "Completed": "30/11/2026",
            "Extension (weeks)": "2",
            "Extension agreed": "30/11/2026",
        },
    )
    newborn = {"Case ID": REF, "Child(ren)": "Ava Ashby", "Child ID": "C-60102", "DOB": "28/11/2026"}
    cognitive = {
        "Case ID": REF,
        "Assessment": "Cognitive",
        "Provider": "Dr A. Morrow",
        "Instructed": "30/11/2026",
        "Assessment due": "30/12/2026",
    }
    done = load_as(clo, then, newborn, cognitive, clock=EARLIER_CLOCK)
    assert done.updated == 1, [r.errors for r in done.check.rows]
    ep = episode()
    assert sorted(c.case_system_id for c in ep.family.children.all()) == ["C-60101", "C-60102"]
    assert sorted(ep.letter_deliveries.values_list("person__full_name", "delivered_on")) == [
        ("Dean Cross", dt.date(2026, 11, 27)),
        ("Kerry Ashby", dt.date(2026, 11, 27)),
    ]
    meetings = sorted(ep.meetings.values_list("kind", "held_on"))
    assert meetings == [("initial_meeting", dt.date(2026, 11, 30)), ("review_meeting", dt.date(2026, 12, 1))]
    assert dict(ep.assessments.values_list("kind", "completed_on")) == {
        "pams": dt.date(2026, 11, 30),
        "cognitive": None,
    }
    assert list(ep.extensions.values_list("weeks", flat=True)) == [2]
    # The same re-import with the outcome too, once with the clock on the import's day (rolled
    # back) and once with it behind: the same deadlines, states and dates.
    ended = merge(then, **{"Outcome": "No further action", "Outcome date": "01/12/2026"})
    try:
        with transaction.atomic():
            assert load_as(clo, ended, newborn, cognitive).updated == 1
            on_the_day = _deadlines()
            raise _Rollback
    except _Rollback:
        pass
    assert load_as(clo, ended, newborn, cognitive, clock=EARLIER_CLOCK).updated == 1
    assert (episode().stage, episode().ended_on) == (Stage.ENDED, dt.date(2026, 12, 1))
    assert _deadlines() == on_the_day


class _Rollback(Exception):
    pass


def _deadlines() -> list[tuple[Any, ...]]:
    return sorted(
        Deadline.objects.filter(episode=episode()).values_list("key", "occurrence", "due_on", "state", "met_on")
    )


def test_a_letter_sent_since_is_judged_on_the_day_the_import_is_dated(council):
    clo = council["people"]["clo"]
    first = merge(RECENT, **{"Letter sent": "", "Initial meeting": ""})
    assert load_as(clo, first).created == 1
    assert load_as(clo, RECENT, clock=EARLIER_CLOCK).updated == 1
    assert list(LetterDelivery.objects.values_list("delivered_on", flat=True)) == [dt.date(2026, 11, 27)]


def test_families_written_one_by_one_are_judged_on_the_day_the_import_is_dated(council, monkeypatch):
    """When the bulk write meets a clash, each family goes through the services instead."""

    def clash(*args, **kwargs):
        raise IntegrityError("forced: write family by family")

    monkeypatch.setattr(services, "_create_all", clash)
    done = load_as(council["people"]["clo"], RECENT, clock=EARLIER_CLOCK)
    assert done.created == 1, [r.errors for r in done.check.rows]
    assert list(LetterDelivery.objects.values_list("delivered_on", flat=True)) == [dt.date(2026, 11, 27)]
    letter = Deadline.objects.get(episode=episode(), key="letter_before_proceedings")
    assert (letter.state, letter.met_on) == (DeadlineState.MET_LATE, dt.date(2026, 11, 27))


# --- A refused import -------------------------------------------------------------------------


def test_a_refused_import_marks_each_refused_row_and_logs_only_counts(council, caplog):
    too_long = merge(BASE, **{"Case ID": "TRK-" + "X" * 40, "Child ID": "C-60150"})
    second = merge(BASE, **{"Case ID": "TRK-2002", "Child ID": "C-60151"})
    third = merge(BASE, **{"Case ID": "TRK-2003", "Child ID": "C-60152"})
    with caplog.at_level(logging.INFO, logger="imports.services"):
        done = load(council, too_long, second, third)
    assert done.refused and done.created == 0
    actions = {r.reference: r.action for r in done.check.rows}
    assert actions == {too_long["Case ID"]: "error", "TRK-2002": "new", "TRK-2003": "new"}
    assert "tracker import refused: 1 families failed when saved; nothing imported" in caplog.messages
    assert not any("Ashby" in m or "TRK-" in m for m in caplog.messages)


# --- The go-live preview --------------------------------------------------------------------


def test_the_go_live_preview_counts_the_families_to_update_and_only_those_in_the_file(council, settings):
    settings.PLO_GO_LIVE_DATE = SAMPLE_TODAY
    clo = council["people"]["clo"]
    first = merge(BASE, **{"Letter sent": "", "Initial meeting": "", "Review 1": ""})
    other = merge(first, **{"Case ID": "TRK-2002", "Child ID": "C-60199"})
    load(council, first, other)
    then = merge(first, Parents="Kerry Ashby (mother); Wayne Ashby (father); Dean Cross (stepfather)")
    sheet = read_tracker("tracker.csv", tracker(then))
    mapping = mapping_guess(sheet.headers)
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=False):
        preview = services.tracker_check(sheet=sheet, mapping=mapping)
        assert [f.action for f in preview.families] == ["update"]
        counts = services.not_tracked_counts(check=preview, sheet=sheet, mapping=mapping, by=clo)
    stored = Deadline.objects.filter(episode__family__reference=REF, state=DeadlineState.NOT_TRACKED).count()
    assert stored > 0
    assert counts == {REF: stored}


# --- Guards for what the check never lets through ---------------------------------------------


def _checked_family(council):
    sheet = read_tracker("tracker.csv", tracker(BASE))
    (fam,) = services.tracker_check(sheet=sheet, mapping=mapping_guess(sheet.headers), today=SAMPLE_TODAY).families
    return fam


def test_the_writers_refuse_a_family_the_check_did_not_pass(council):
    clo = council["people"]["clo"]
    fam = _checked_family(council)
    with pytest.raises(ValueError, match="^only an imported family is updated$"):
        services._update(fam, clo, SAMPLE_TODAY)
    fam.social_worker = None
    with pytest.raises(ValueError, match="^a checked family has a team and a social worker$"):
        services._create(fam, clo, SAMPLE_TODAY)
    fam = _checked_family(council)
    fam.values["lpm_date"] = None
    with pytest.raises(ValueError, match="^a checked family has an LPM date$"):
        services._create(fam, clo, SAMPLE_TODAY)


def test_a_child_added_to_a_family_whose_pre_proceedings_ended_leaves_the_outcome_alone(council):
    first = merge(BASE, **{"Outcome": "Step down to CIN", "Outcome date": "25/11/2026"})
    load(council, first)
    ended_on = episode().ended_on
    sibling = {"Case ID": REF, "Child(ren)": "Mia Ashby", "Child ID": "C-60102", "DOB": "08/08/2022"}
    assert check(first, sibling) == ("update", ["Children added: Mia Ashby"], [])
    done = load(council, first, sibling)
    assert done.updated == 1, [r.errors for r in done.check.rows]
    ep = episode()
    assert (ep.stage, ep.ended_on, ep.end_outcome) == (Stage.ENDED, ended_on, "step_down_cin")
    assert ep.family.children.count() == 2
