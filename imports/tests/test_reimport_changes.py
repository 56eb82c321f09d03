"""Importing an updated tracker again (docs/tracker-import.md "Second imports"): the preview says
exactly what each changed family will change, and refuses what an import must not change; the
import then makes exactly those changes through the services.

A court liaison officer re-imports the council's tracker every week until go-live. Each test
imports one family, edits its rows as a council would, and checks the preview's words beside
the row and what the case then holds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from cases.models import Episode, Family, LetterDelivery, Stage
from deadlines.models import Deadline, DeadlineState
from imports import services
from imports.fields import mapping_guess
from imports.parsing import read_tracker
from imports.sample import CENTRAL, HEADERS, NORTH, SAMPLE_TODAY
from imports.services import tracker_check, tracker_import
from meetings.models import Meeting, MeetingKind

pytestmark = pytest.mark.django_db

REF = "TRK-2001"
COLUMNS = [h for h in HEADERS if h != "Week"]
#: One family as the tracker first held it: letter sent, initial and one review meeting held, a
#: PAMS assessment instructed and not yet back, a team manager named; no extension, no outcome.
BASE: dict[str, str] = {
    "Case ID": REF,
    "Family name": "Ashby family",
    "Child(ren)": "Leo Ashby",
    "Child ID": "C-60101",
    "DOB": "14/03/2019",
    "Parents": "Kerry Ashby (mother); Wayne Ashby (father)",
    "Team": NORTH,
    "Social worker": "Priya Lakhani",
    "Team manager": "Tara Pemberton",
    "LPM/Panel date": "02/09/2026",
    "Letter sent": "07/09/2026",
    "Initial meeting": "16/09/2026",
    "Review 1": "14/10/2026",
    "Assessment": "PAMS",
    "Provider": "Bridge Assessments",
    "Instructed": "18/09/2026",
    "Assessment due": "30/10/2026",
}

NO_REVIEW = {k: v for k, v in BASE.items() if k != "Review 1"}


def tracker(*rows: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(h, "") for h in COLUMNS])
    return out.getvalue().encode("utf-8")


def sheet_of(*rows: dict[str, Any]):
    return read_tracker("tracker.csv", tracker(*rows))


def check(*rows: dict[str, Any]):
    sheet = sheet_of(*rows)
    result = tracker_check(sheet=sheet, mapping=mapping_guess(sheet.headers), today=SAMPLE_TODAY)
    (fam,) = [f for f in result.families if f.reference == REF]
    first = next(r for r in result.rows if r.reference == REF)
    return fam.action, first.changes, first.errors


def load_as(by, *rows: dict[str, Any], clock: dt.datetime | None = None, today: dt.date = SAMPLE_TODAY, **options):
    """Import `rows` as `by`, dated `today`, with the machine's clock at `clock` (10:00 on `today`)."""
    sheet = sheet_of(*rows)
    with time_machine.travel(clock or dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=False):
        return tracker_import(sheet=sheet, mapping=mapping_guess(sheet.headers), by=by, today=today, **options)


def load(council: dict[str, Any], *rows: dict[str, Any], **options):
    """Import `rows` as the council's court liaison officer."""
    return load_as(council["people"]["clo"], *rows, **options)


def imported_then(council: dict[str, Any], first: list[dict[str, Any]], then: list[dict[str, Any]]):
    """Import `first`, then preview and import `then`: (action, changes, errors, result)."""
    done = load(council, *first)
    assert done.created == 1, [r.errors for r in done.check.rows]
    action, changes, errors = check(*then)
    result = load(council, *then)
    return action, changes, errors, result


def episode() -> Episode:
    return Episode.objects.select_related("family").get(family__reference=REF)


def merge(row: dict[str, str], **headers: str) -> dict[str, str]:
    """`row` with the cells named by their headers changed ("" empties a cell)."""
    return {k: v for k, v in {**row, **headers}.items() if v != ""}


# --- Who holds the family -----------------------------------------------------------------------


def test_a_new_family_name_social_worker_and_no_team_manager_are_each_said_and_made(council):
    then = merge(BASE, **{"Family name": "Ashby-Kerr family", "Social worker": "Joe Hartigan", "Team manager": ""})
    action, changes, errors, result = imported_then(council, [BASE], [then])
    assert (action, errors) == ("update", [])
    assert changes == [
        "Family name: Ashby family → Ashby-Kerr family",
        "Social worker: Priya Lakhani → Joe Hartigan",
        "Team manager: Tara Pemberton → blank",
    ]
    assert (result.updated, result.unchanged) == (1, 0)
    fam = Family.objects.get(reference=REF)
    assert fam.name == "Ashby-Kerr family"
    assert fam.social_worker.username == "joe.hartigan"
    assert fam.team_manager is None
    assert fam.team.name == NORTH


def test_a_family_moved_to_another_team_takes_its_new_staff(council):
    then = merge(BASE, **{"Team": CENTRAL, "Social worker": "Hannah Greaves", "Team manager": "Marcus Adebayo"})
    action, changes, errors, result = imported_then(council, [BASE], [then])
    assert (action, errors) == ("update", [])
    assert changes == [
        f"Team: {NORTH} → {CENTRAL}",
        "Social worker: Priya Lakhani → Hannah Greaves",
        "Team manager: Tara Pemberton → Marcus Adebayo",
    ]
    fam = Family.objects.get(reference=REF)
    assert fam.team_manager is not None
    assert (fam.team.name, fam.social_worker.username, fam.team_manager.username) == (
        CENTRAL,
        "hannah.greaves",
        "marcus.adebayo",
    )
    assert fam.name == "Ashby family"


def test_a_team_manager_named_for_the_first_time_is_said_from_blank(council):
    first = merge(BASE, **{"Team manager": ""})
    action, changes, errors, _ = imported_then(council, [first], [BASE])
    assert (action, changes, errors) == ("update", ["Team manager: blank → Tara Pemberton"], [])
    fam = Family.objects.get(reference=REF)
    assert fam.team_manager is not None and fam.team_manager.username == "tara.manager"
    assert fam.social_worker.username == "priya.lakhani"


# --- Meetings -----------------------------------------------------------------------------------


def test_an_initial_meeting_held_since_is_added_from_blank(council):
    first = merge(BASE, **{"Initial meeting": "", "Review 1": ""})
    then = merge(BASE, **{"Review 1": ""})
    action, changes, errors, _ = imported_then(council, [first], [then])
    assert (action, changes, errors) == ("update", ["Initial meeting: blank → 16/09/2026"], [])
    meeting = Meeting.objects.get(episode=episode(), kind=MeetingKind.INITIAL)
    assert (meeting.held_on, meeting.scheduled_for) == (dt.date(2026, 9, 16), None)


@pytest.mark.parametrize(
    ("moved_to", "held_on", "scheduled_for"),
    [
        ("17/09/2026", dt.date(2026, 9, 17), None),
        # Today: the meeting was held today, not booked.
        ("01/12/2026", dt.date(2026, 12, 1), None),
        ("03/12/2026", None, dt.date(2026, 12, 3)),
    ],
)
def test_a_moved_initial_meeting_is_held_or_booked_by_its_new_date(council, moved_to, held_on, scheduled_for):
    first = merge(BASE, **{"Review 1": ""})
    then = merge(BASE, **{"Review 1": "", "Initial meeting": moved_to})
    action, changes, errors, result = imported_then(council, [first], [then])
    assert (action, changes, errors) == ("update", [f"Initial meeting: 16/09/2026 → {moved_to}"], [])
    assert result.updated == 1
    meeting = Meeting.objects.get(episode=episode(), kind=MeetingKind.INITIAL)
    assert (meeting.held_on, meeting.scheduled_for) == (held_on, scheduled_for)
    assert Meeting.objects.filter(episode=episode()).count() == 1


def test_a_final_meeting_is_added_then_moved(council):
    with_final = merge(BASE, **{"Final meeting": "25/11/2026"})
    action, changes, errors, _ = imported_then(council, [BASE], [with_final])
    assert (action, changes, errors) == ("update", ["Final meeting: blank → 25/11/2026"], [])
    final = Meeting.objects.get(episode=episode(), kind=MeetingKind.FINAL)
    assert final.held_on == dt.date(2026, 11, 25)

    moved = merge(BASE, **{"Final meeting": "26/11/2026"})
    assert check(moved) == ("update", ["Final meeting: 25/11/2026 → 26/11/2026"], [])
    load(council, moved)
    final.refresh_from_db()
    assert (final.held_on, final.scheduled_for) == (dt.date(2026, 11, 26), None)
    initial = Meeting.objects.get(episode=episode(), kind=MeetingKind.INITIAL)
    assert initial.held_on == dt.date(2026, 9, 16)


@pytest.mark.parametrize(
    ("first", "then", "message"),
    [
        (NO_REVIEW, {"Initial meeting": ""}, "Initial meeting was removed: correct it on the case page"),
        (
            {**BASE, "Final meeting": "25/11/2026"},
            {"Final meeting": ""},
            "Final meeting was removed: correct it on the case page",
        ),
        (BASE, {"Review 1": "21/10/2026"}, "A review meeting date was changed or removed: correct it on the case page"),
        (BASE, {"Review 1": ""}, "A review meeting date was changed or removed: correct it on the case page"),
        (
            BASE,
            {"LPM/Panel date": "03/09/2026"},
            "LPM / panel date changed from 02/09/2026: correct it on the case page",
        ),
        (
            BASE,
            {"Letter sent": "08/09/2026"},
            "Letter before proceedings sent changed from 07/09/2026: correct it on the case page",
        ),
        (
            BASE,
            {"Child(ren)": "Mia Ashby", "Child ID": "C-60102"},
            "A child was removed: end their involvement on the case page",
        ),
        (BASE, {"Parents": "Kerry Ashby (mother)"}, "A parent was removed or renamed: correct it on the case page"),
        (
            BASE,
            {"Parents": "Kerry Ashby (mother); Wayne Ashbey (father)"},
            "A parent was removed or renamed: correct it on the case page",
        ),
        (BASE, {"Assessment due": "06/11/2026"}, "The PAMS assessment changed: correct it on the case page"),
        (BASE, {"Provider": "In-house"}, "The PAMS assessment changed: correct it on the case page"),
        (
            BASE,
            {"Assessment due": "06/11/2026", "Completed": "28/10/2026"},
            "The PAMS assessment changed: correct it on the case page",
        ),
        (
            {**BASE, "Completed": "28/10/2026"},
            {"Completed": "29/10/2026"},
            "The PAMS assessment changed: correct it on the case page",
        ),
        (
            {**BASE, "Extension (weeks)": "4", "Extension agreed": "26/11/2026"},
            {"Extension (weeks)": "2"},
            "An extension cannot be shortened by an import",
        ),
        (
            {**BASE, "Extension (weeks)": "4", "Extension agreed": "26/11/2026"},
            {"Extension (weeks)": "", "Extension agreed": ""},
            "An extension cannot be shortened by an import",
        ),
        (
            {**BASE, "Outcome": "Step down to CIN", "Outcome date": "25/11/2026"},
            {"Outcome": "Step down to CP"},
            "The outcome was already imported: correct it on the case page",
        ),
        (
            {**BASE, "Outcome": "Step down to CIN", "Outcome date": "25/11/2026"},
            {"Outcome date": "26/11/2026"},
            "The outcome was already imported: correct it on the case page",
        ),
    ],
    ids=[
        "initial removed",
        "final removed",
        "review moved",
        "review removed",
        "lpm moved",
        "letter moved",
        "child replaced",
        "parent removed",
        "parent renamed",
        "assessment due moved",
        "assessment provider changed",
        "completed and due moved",
        "completion date moved",
        "extension shortened",
        "extension removed",
        "outcome changed",
        "outcome date moved",
    ],
)
def test_a_change_the_import_must_not_make_is_refused_beside_the_row_and_nothing_changes(council, first, then, message):
    done = load(council, first)
    assert done.created == 1, [r.errors for r in done.check.rows]
    edited = merge(first, **then)
    action, changes, errors = check(edited)
    assert action == "error"
    assert errors == [message]
    before = _snapshot()
    result = load(council, edited)
    assert (result.updated, result.skipped) == (0, 1)
    assert _snapshot() == before


def _snapshot() -> tuple[Any, ...]:
    ep = episode()
    return (
        ep.family.name,
        ep.stage,
        ep.ended_on,
        sorted((m.kind, m.held_on, m.scheduled_for) for m in ep.meetings.all()),
        sorted((a.kind, a.due_on, a.completed_on, a.provider) for a in ep.assessments.all()),
        sorted(c.case_system_id for c in ep.family.children.all()),
        sorted(p.full_name for p in ep.family.people.all()),
        sorted(e.weeks for e in ep.extensions.all()),
    )


def test_review_meetings_held_since_are_added_in_date_order(council):
    then = merge(BASE, **{"Review 2": "25/11/2026; 11/11/2026"})
    action, changes, errors, _ = imported_then(council, [BASE], [then])
    assert (action, changes, errors) == ("update", ["Review meetings added: 11/11/2026, 25/11/2026"], [])
    reviews = Meeting.objects.filter(episode=episode(), kind=MeetingKind.REVIEW).order_by("held_on")
    assert [m.held_on for m in reviews] == [dt.date(2026, 10, 14), dt.date(2026, 11, 11), dt.date(2026, 11, 25)]


# --- Children, parents and the letter -----------------------------------------------------------


def test_a_child_added_on_a_row_of_its_own_joins_the_family(council):
    second = {"Case ID": REF, "Child(ren)": "Mia Ashby", "Child ID": "C-60102", "DOB": "08/08/2022"}
    third = {"Case ID": REF, "Child(ren)": "Unborn baby Ashby", "Child ID": "C-60103", "DOB": "15/01/2027"}
    action, changes, errors, _ = imported_then(council, [BASE], [BASE, second, third])
    assert (action, changes, errors) == ("update", ["Children added: Mia Ashby, Unborn baby Ashby"], [])
    children = {c.case_system_id: c for c in episode().family.children.all()}
    assert sorted(children) == ["C-60101", "C-60102", "C-60103"]
    mia = children["C-60102"]
    assert (mia.first_name, mia.last_name, mia.date_of_birth) == ("Mia", "Ashby", dt.date(2022, 8, 8))
    unborn = children["C-60103"]
    assert (unborn.date_of_birth, unborn.expected_date_of_birth) == (None, dt.date(2027, 1, 15))


def test_a_parent_added_after_the_letter_went_out_is_recorded_as_sent_it(council):
    then = merge(BASE, Parents="Kerry Ashby (mother); Wayne Ashby (father); Dean Cross (stepfather)")
    action, changes, errors, _ = imported_then(council, [BASE], [then])
    assert (action, changes, errors) == ("update", ["Parents added"], [])
    people = {p.full_name: p for p in episode().family.people.all()}
    assert sorted(people) == ["Dean Cross", "Kerry Ashby", "Wayne Ashby"]
    assert people["Dean Cross"].relationship == "step_parent"
    assert _letters() == {
        "Dean Cross": [dt.date(2026, 9, 7)],
        "Kerry Ashby": [dt.date(2026, 9, 7)],
        "Wayne Ashby": [dt.date(2026, 9, 7)],
    }


def test_a_parent_added_before_any_letter_is_not_recorded_as_sent_one(council):
    first = merge(BASE, **{"Letter sent": "", "Initial meeting": "", "Review 1": ""})
    then = merge(first, Parents="Kerry Ashby (mother); Wayne Ashby (father); Dean Cross (stepfather)")
    action, changes, errors, _ = imported_then(council, [first], [then])
    assert (action, changes, errors) == ("update", ["Parents added"], [])
    assert _letters() == {}
    letter = Deadline.objects.get(episode=episode(), key="letter_before_proceedings")
    assert letter.state == DeadlineState.OPEN


def test_a_letter_sent_since_is_recorded_for_every_parent(council):
    first = merge(BASE, **{"Letter sent": "", "Initial meeting": "", "Review 1": ""})
    then = merge(first, **{"Letter sent": "07/09/2026"})
    action, changes, errors, _ = imported_then(council, [first], [then])
    assert (action, changes, errors) == ("update", ["Letter before proceedings sent: 07/09/2026"], [])
    assert _letters() == {"Kerry Ashby": [dt.date(2026, 9, 7)], "Wayne Ashby": [dt.date(2026, 9, 7)]}
    letter = Deadline.objects.get(episode=episode(), key="letter_before_proceedings")
    assert (letter.state, letter.met_on) == (DeadlineState.MET, dt.date(2026, 9, 7))


def test_a_parent_and_the_letter_added_together_record_one_letter_each(council):
    first = merge(BASE, **{"Letter sent": "", "Initial meeting": "", "Review 1": ""})
    then = merge(
        first,
        **{
            "Letter sent": "07/09/2026",
            "Parents": "Kerry Ashby (mother); Wayne Ashby (father); Dean Cross (stepfather)",
        },
    )
    action, changes, errors, result = imported_then(council, [first], [then])
    assert (action, errors) == ("update", [])
    assert changes == ["Parents added", "Letter before proceedings sent: 07/09/2026"]
    assert result.updated == 1
    assert _letters() == {
        "Dean Cross": [dt.date(2026, 9, 7)],
        "Kerry Ashby": [dt.date(2026, 9, 7)],
        "Wayne Ashby": [dt.date(2026, 9, 7)],
    }


def _letters() -> dict[str, list[dt.date]]:

    out: dict[str, list[dt.date]] = {}
    for d in LetterDelivery.objects.filter(episode=episode()).select_related("person").order_by("delivered_on"):
        out.setdefault(d.person.full_name, []).append(d.delivered_on)
    return out


# --- Assessments, extension and outcome ---------------------------------------------------------


def test_an_assessment_completed_since_is_marked_completed(council):
    then = merge(BASE, Completed="28/10/2026")
    action, changes, errors, _ = imported_then(council, [BASE], [then])
    assert (action, changes, errors) == ("update", ["PAMS assessment completed"], [])
    (pams,) = episode().assessments.all()
    assert (pams.completed_on, pams.due_on) == (dt.date(2026, 10, 28), dt.date(2026, 10, 30))


def test_only_the_assessment_that_came_back_is_completed(council):
    again = {
        "Case ID": REF,
        "Assessment": "PAMS",
        "Provider": "Bridge Assessments",
        "Instructed": "02/11/2026",
        "Assessment due": "30/11/2026",
    }
    then = {**again, "Completed": "27/11/2026"}
    action, changes, errors, _ = imported_then(council, [BASE, again], [BASE, then])
    assert (action, changes, errors) == ("update", ["PAMS assessment completed"], [])
    done = dict(episode().assessments.values_list("instructed_on", "completed_on"))
    assert done == {dt.date(2026, 9, 18): None, dt.date(2026, 11, 2): dt.date(2026, 11, 27)}


def test_a_new_assessment_is_added_beside_the_old(council):
    cognitive = {
        "Case ID": REF,
        "Assessment": "Cognitive",
        "Provider": "Dr A. Morrow",
        "Instructed": "14/10/2026",
        "Assessment due": "25/11/2026",
    }
    action, changes, errors, _ = imported_then(council, [BASE], [BASE, cognitive])
    assert (action, changes, errors) == ("update", ["Cognitive assessment added"], [])
    kinds = dict(episode().assessments.values_list("kind", "provider"))
    assert kinds == {"pams": "Bridge Assessments", "cognitive": "Dr A. Morrow"}


@pytest.mark.parametrize(("before", "after"), [("", "4"), ("2", "4"), ("3", "4")])
def test_a_longer_extension_adds_the_weeks_agreed_since(council, before, after):
    first = merge(BASE, **({"Extension (weeks)": before, "Extension agreed": "20/11/2026"} if before else {}))
    then = merge(BASE, **{"Extension (weeks)": after, "Extension agreed": "20/11/2026"})
    action, changes, errors, _ = imported_then(council, [first], [then])
    assert (action, changes, errors) == ("update", [f"Extension: {before or 0} → {after} weeks"], [])
    weeks = sorted(episode().extensions.values_list("weeks", flat=True))
    assert weeks == sorted([int(before), 4 - int(before)] if before else [4])
    end = Deadline.objects.get(episode=episode(), key="pre_proceedings_end")
    # 16 weeks from the LPM on Wednesday 2 Sep (23 Dec), plus the 4 agreed.
    assert end.due_on == dt.date(2027, 1, 20)


def test_an_outcome_recorded_since_ends_the_episode(council):
    then = merge(BASE, **{"Outcome": "Step down to CIN", "Outcome date": "25/11/2026"})
    action, changes, errors, _ = imported_then(council, [BASE], [then])
    assert (action, changes, errors) == ("update", ["Outcome: Step down to CIN"], [])
    ep = episode()
    assert (ep.stage, ep.ended_on, ep.end_outcome) == (Stage.ENDED, dt.date(2026, 11, 25), "step_down_cin")


FULL = merge(
    BASE,
    **{
        "Completed": "28/10/2026",
        "Extension (weeks)": "2",
        "Extension agreed": "20/11/2026",
        "Final meeting": "25/11/2026",
        "Outcome": "Step down to CIN",
        "Outcome date": "25/11/2026",
    },
)


@pytest.mark.parametrize(
    "first", [BASE, FULL, merge(BASE, **{"Team manager": ""})], ids=["open", "ended", "no manager"]
)
def test_rows_that_only_moved_change_nothing(council, first):
    cognitive = {
        "Case ID": REF,
        "Assessment": "Cognitive",
        "Provider": "Dr A. Morrow",
        "Instructed": "14/10/2026",
        "Assessment due": "25/11/2026",
    }
    blank_then_cognitive = {"Case ID": REF}
    done = load(council, first, cognitive)
    assert done.created == 1, [r.errors for r in done.check.rows]
    # The same family, its assessment a row further down: nothing to import.
    action, changes, errors = check(first, blank_then_cognitive, cognitive)
    assert (action, changes, errors) == ("unchanged", [], [])
    result = load(council, first, blank_then_cognitive, cognitive)
    assert (result.updated, result.unchanged) == (0, 1)


# --- What a re-import writes, beyond the words of its preview: only what changed, to the right
# record of the right family, on the day the import is dated, in the importer's name; and a
# refused import says so beside each row. ---------------------------------------------------------

NO_MANAGER = merge(BASE, **{"Team manager": ""})
# An assessment of a kind the product does not name: a row of its own, under the family's reference.
HAIR = {
    "Case ID": REF,
    "Assessment": "Hair strand test",
    "Provider": "Lab One",
    "Instructed": "18/09/2026",
    "Assessment due": "16/10/2026",
}
PAMS_AGAIN = {
    "Case ID": REF,
    "Assessment": "PAMS",
    "Provider": "Bridge Assessments",
    "Instructed": "20/09/2026",
    "Assessment due": "30/10/2026",
}


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
    updated_on_the_day = _deadlines_if_imported_on_the_day(clo, then, newborn, cognitive, updated=1)
    done = load_as(clo, then, newborn, cognitive, clock=EARLIER_CLOCK)
    assert done.updated == 1, [r.errors for r in done.check.rows]
    assert _deadlines() == updated_on_the_day
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
    on_the_day = _deadlines_if_imported_on_the_day(clo, ended, newborn, cognitive, updated=1)
    assert load_as(clo, ended, newborn, cognitive, clock=EARLIER_CLOCK).updated == 1
    assert (episode().stage, episode().ended_on) == (Stage.ENDED, dt.date(2026, 12, 1))
    assert _deadlines() == on_the_day


class _Rollback(Exception):
    pass


def _deadlines_if_imported_on_the_day(by, *rows: dict[str, Any], **expected: int) -> list[tuple[Any, ...]]:
    """The deadlines importing `rows` on the day it is dated would store (the import is rolled back)."""
    try:
        with transaction.atomic():
            done = load_as(by, *rows)
            assert {k: getattr(done, k) for k in expected} == expected
            stored = _deadlines()
            raise _Rollback
    except _Rollback:
        pass
    return stored


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

    monkeypatch.setattr(services, "_create_all", _forced_clash)
    done = load_as(council["people"]["clo"], RECENT, clock=EARLIER_CLOCK)
    assert done.created == 1, [r.errors for r in done.check.rows]
    assert list(LetterDelivery.objects.values_list("delivered_on", flat=True)) == [dt.date(2026, 11, 27)]
    letter = Deadline.objects.get(episode=episode(), key="letter_before_proceedings")
    assert (letter.state, letter.met_on) == (DeadlineState.MET_LATE, dt.date(2026, 11, 27))


def _forced_clash(*args: Any, **kwargs: Any) -> None:
    """The bulk write refused by the database: the import writes family by family instead."""
    raise IntegrityError("forced: write family by family")


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
    with pytest.raises(ValueError, match="^a checked family has a team and a social worker$"):
        services._new_family(fam, clo, SAMPLE_TODAY, "standard", "1")
    fam = _checked_family(council)
    fam.values["lpm_date"] = None
    with pytest.raises(ValueError, match="^a checked family has an LPM date$"):
        services._create(fam, clo, SAMPLE_TODAY)
    with pytest.raises(ValueError, match="^a checked date is missing$"):
        services._day(None)


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


# --- Reading and writing a new family: what the survivors of the mutation run showed -----------


def test_a_value_that_differs_between_a_familys_rows_is_named_with_both_values(council):
    second = {
        "Case ID": REF,
        "Child(ren)": "Mia Ashby",
        "Child ID": "C-60102",
        "DOB": "08/08/2022",
        "Social worker": "Joe Hartigan",
        "LPM/Panel date": "03/09/2026",
    }
    sheet = read_tracker("tracker.csv", tracker(BASE, second))
    result = tracker_check(sheet=sheet, mapping=mapping_guess(sheet.headers), today=SAMPLE_TODAY)
    errors = {r.number: r.errors for r in result.rows}
    assert set(errors[3]) == {
        "Social worker 'Joe Hartigan' differs from 'Priya Lakhani' on an earlier row of this family",
        "LPM / panel date '03/09/2026' differs from '02/09/2026' on an earlier row of this family",
    }
    assert errors[2] == []


@pytest.mark.parametrize(
    ("day", "held_on", "scheduled_for"),
    [("01/12/2026", dt.date(2026, 12, 1), None), ("02/12/2026", None, dt.date(2026, 12, 2))],
    ids=["today: held", "tomorrow: booked"],
)
def test_a_new_familys_meeting_dated_today_was_held_and_one_dated_later_is_booked(council, day, held_on, scheduled_for):
    assert load(council, merge(NO_REVIEW, **{"Initial meeting": day})).created == 1
    meeting = Meeting.objects.get(episode=episode(), kind=MeetingKind.INITIAL)
    assert (meeting.held_on, meeting.scheduled_for) == (held_on, scheduled_for)


def test_a_new_familys_assessments_keep_their_kind_name_and_completion(council):
    pams = merge(BASE, **{"Assessment": "PAMS assessment", "Completed": "28/10/2026"})
    assert load(council, pams, HAIR).created == 1
    got = sorted(episode().assessments.values_list("kind", "description", "provider", "completed_on"))
    assert got == [
        ("other", "Hair strand test", "Lab One", None),
        ("pams", "", "Bridge Assessments", dt.date(2026, 10, 28)),
    ]


def test_an_importer_brings_in_only_families_they_could_then_change(council):
    from django.core.exceptions import PermissionDenied

    elsewhere = council["people"]["ayesha.qureshi"]  # a social worker in the South team
    with pytest.raises(PermissionDenied, match=r"^You may not change this case\.$"):
        load_as(elsewhere, BASE)  # a North team family
    assert not Family.objects.exists()


def test_the_fingerprint_of_a_familys_values_does_not_depend_on_their_order():
    first = {"family_name": "Ashby family", "children": [{"name": "Leo Ashby", "row": 2}], "lpm_date": "2026-09-02"}
    reordered = {"lpm_date": "2026-09-02", "children": [{"row": 2, "name": "Leo Ashby"}], "family_name": "Ashby family"}
    assert services.fingerprint(first) == services.fingerprint(reordered)
    assert services.fingerprint(first) != services.fingerprint({**first, "lpm_date": "2026-09-03"})


def test_families_written_one_by_one_are_remembered_as_the_bulk_write_remembers_them(council, monkeypatch):
    from imports.models import BeforeGoLive, ImportedEpisode

    monkeypatch.setattr(services, "_create_all", _forced_clash)
    done = load(council, BASE, before_go_live=BeforeGoLive.DONE)
    assert done.created == 1
    imported = ImportedEpisode.objects.get()
    assert (imported.family_reference, imported.before_go_live) == (REF, BeforeGoLive.DONE)
    assert (imported.episode, imported.imported_by) == (episode(), council["people"]["clo"])
    again = load(council, BASE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_a_baby_named_unborn_who_is_born_by_the_import_has_a_date_of_birth(council):
    twins = merge(BASE, **{"Child(ren)": "Unborn baby Ashby; Unborn twin Ashby; Leo", "Child ID": "C-1; C-2; C-3"})
    twins["DOB"] = "30/11/2026; 01/12/2026; 14/03/2019"
    assert load(council, twins).created == 1
    born = {
        c.case_system_id: (c.first_name, c.last_name, c.date_of_birth, c.expected_date_of_birth)
        for c in episode().family.children.all()
    }
    assert born == {
        "C-1": ("Unborn baby", "Ashby", dt.date(2026, 11, 30), None),
        "C-2": ("Unborn twin", "Ashby", dt.date(2026, 12, 1), None),
        # One name only: the family's name is the surname.
        "C-3": ("Leo", "Ashby", dt.date(2019, 3, 14), None),
    }


def test_a_new_familys_outcome_written_with_a_full_stop_is_read(council):
    assert load(council, merge(BASE, **{"Outcome": "Step down to CIN.", "Outcome date": "25/11/2026"})).created == 1
    assert (episode().stage, episode().end_outcome) == (Stage.ENDED, "step_down_cin")


LPM_ONLY = {k: v for k, v in BASE.items() if k not in ("Letter sent", "Initial meeting", "Review 1", *PAMS_AGAIN)}
LPM_ONLY["Case ID"] = REF


def test_a_head_of_service_brings_in_a_new_familys_extension_as_agreed_by_them(council):
    hos = UserFactory(roles=[Role.HEAD_OF_SERVICE], team=None)
    done = load_as(hos, merge(LPM_ONLY, **{"Extension (weeks)": "3", "Extension agreed": "20/11/2026"}))
    assert done.created == 1
    (extension,) = episode().extensions.all()
    assert (extension.agreed_by, extension.rationale) == (hos, services.EXTENSION_BY_HEAD)


def test_a_head_of_service_may_not_bring_in_a_letter_they_may_not_record(council):
    from django.core.exceptions import PermissionDenied

    hos = UserFactory(roles=[Role.HEAD_OF_SERVICE], team=None)
    with pytest.raises(PermissionDenied):
        load_as(hos, merge(LPM_ONLY, **{"Letter sent": "07/09/2026"}))
    assert not Family.objects.exists()


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"Child(ren)": "L" * 90 + " Ashby"}, "Ensure this value has at most 80 characters (it has 90)."),
        ({"Parents": "K" * 170 + " Ashby (mother)"}, "Ensure this value has at most 160 characters (it has 176)."),
        ({"Provider": "B" * 170}, "Ensure this value has at most 160 characters (it has 170)."),
    ],
    ids=["child", "parent", "provider"],
)
def test_a_value_too_long_for_its_record_is_refused_beside_the_row(council, cells, message):
    done = load(council, merge(BASE, **cells))
    assert done.refused and done.created == 0
    (row,) = [r for r in done.check.rows if r.reference == REF]
    assert any(message in e for e in row.errors), row.errors
    assert not Family.objects.exists()


def test_a_new_family_imported_with_the_clock_behind_gets_the_deadlines_of_its_day(council):
    clo = council["people"]["clo"]
    on_the_day = _deadlines_if_imported_on_the_day(clo, RECENT, created=1)
    assert load_as(clo, RECENT, clock=EARLIER_CLOCK).created == 1
    assert _deadlines() == on_the_day


def test_an_import_tells_its_progress_in_rows_written_so_far(council):
    load(council, BASE)
    seen: list[int] = []
    other = merge(BASE, **{"Case ID": "TRK-2002", "Child ID": "C-60199"})
    done = load(council, merge(BASE, **{"Review 2": "11/11/2026"}), other, progress=seen.append)
    assert (done.created, done.updated) == (1, 1)
    # The new family in one batch first, then the updated one.
    assert seen == [1, 2]


def test_a_refused_import_counts_what_it_left_and_imports_nothing(council):
    load(council, BASE)
    bad = merge(BASE, **{"Case ID": "TRK-2002", "Child ID": "C-60199", "Social worker": "Jo Bloggs"})
    new = merge(BASE, **{"Case ID": "TRK-2003", "Child ID": "C-60198"})
    no_reference = {"Family name": "Nobody family"}
    done = load(council, BASE, bad, new, no_reference, skip_invalid=False)
    assert (done.created, done.updated, done.unchanged, done.skipped, done.deadlines, done.refused) == (
        0,
        0,
        1,
        2,
        0,
        True,
    )
    assert not Family.objects.filter(reference="TRK-2003").exists()


def test_an_import_refused_when_saved_counts_what_it_left(council):
    load(council, BASE)
    too_long = merge(BASE, **{"Case ID": "TRK-" + "X" * 40, "Child ID": "C-60150"})
    no_reference = {"Family name": "Nobody family"}
    done = load(council, BASE, too_long, no_reference)
    assert (done.created, done.updated, done.unchanged, done.skipped, done.deadlines, done.refused) == (
        0,
        0,
        1,
        1,
        0,
        True,
    )


def test_an_unknown_choice_for_steps_before_go_live_is_refused_by_name(council):
    from django.core.exceptions import ValidationError

    sheet = read_tracker("tracker.csv", tracker(BASE))
    with pytest.raises(ValidationError) as refused:
        tracker_import(
            sheet=sheet, mapping=mapping_guess(sheet.headers), by=council["people"]["clo"], before_go_live="later"
        )
    assert refused.value.message_dict == {"before_go_live": ["Choose what happens to steps due before go-live"]}
    assert not Family.objects.exists()


def test_new_families_written_in_several_batches_are_all_counted(council, monkeypatch):
    monkeypatch.setattr(services, "BULK_BATCH", 1)
    rows = [merge(BASE, **{"Case ID": f"TRK-30{i}", "Child ID": f"C-603{i}"}) for i in range(3)]
    done = load(council, *rows)
    assert (done.created, Family.objects.count()) == (3, 3)


def test_the_import_logs_its_counts_and_nothing_personal(council, caplog):
    same = merge(BASE, **{"Case ID": "TRK-2004", "Child ID": "C-60197"})
    load(council, BASE, same)
    other = merge(BASE, **{"Case ID": "TRK-2002", "Child ID": "C-60199"})
    with caplog.at_level(logging.INFO, logger="imports.services"):
        done = load(council, merge(BASE, **{"Review 2": "11/11/2026"}), other, same)
    n = done.deadlines
    assert f"tracker import: 1 created, 1 updated, 1 unchanged, 0 skipped, {n} deadlines" in caplog.messages
    assert n == Deadline.objects.filter(episode__family__reference__in=[REF, "TRK-2002"]).count()


def test_a_child_or_parent_with_several_forenames_keeps_them_all(council):
    row = merge(BASE, **{"Child(ren)": "Leo James Ashby", "Parents": "Kerry Anne Ashby (mother)"})
    assert load(council, row).created == 1
    (child,) = episode().family.children.all()
    assert (child.first_name, child.last_name) == ("Leo James", "Ashby")
    assert [p.full_name for p in episode().family.people.all()] == ["Kerry Anne Ashby"]


def test_a_formula_in_a_column_the_mapping_leaves_out_does_no_harm(council):
    from imports.sample import sample_tracker_xlsx

    sheet = read_tracker("sample-tracker.xlsx", sample_tracker_xlsx())
    mapping = {h: k for h, k in mapping_guess(sheet.headers).items() if h != "Week"}
    result = tracker_check(sheet=sheet, mapping=mapping, today=SAMPLE_TODAY)
    assert not any("Week" in e for r in result.rows for e in r.errors)
    assert result.count("new") == 9


def test_a_child_with_one_name_added_by_a_reimport_takes_the_familys_surname(council):
    load(council, BASE)
    baby = {"Case ID": REF, "Child(ren)": "Ava", "Child ID": "C-60102", "DOB": "28/11/2026"}
    assert load(council, BASE, baby).updated == 1
    ava = episode().family.children.get(case_system_id="C-60102")
    assert (ava.first_name, ava.last_name, ava.date_of_birth) == ("Ava", "Ashby", dt.date(2026, 11, 28))


def test_of_two_assessments_of_kinds_the_product_does_not_name_only_the_one_back_is_completed(council):
    sibling = {**HAIR, "Assessment": "Sibling together-or-apart", "Provider": "In-house"}
    load(council, BASE, HAIR, sibling)
    assert load(council, BASE, HAIR, {**sibling, "Completed": "15/10/2026"}).updated == 1
    done = dict(episode().assessments.filter(kind="other").values_list("description", "completed_on"))
    assert done == {"Hair strand test": None, "Sibling together-or-apart": dt.date(2026, 10, 15)}
