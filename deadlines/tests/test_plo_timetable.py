"""`manage.py plo_timetable`: each council's timetable for worked examples, and clear one-line errors.

Every expected date below was worked out by hand from the counting rules of timescales.md §1, the
policy rows of §3 and the England bank holidays (2026: Fri 25 Dec, Mon 28 Dec substitute for
Boxing Day; 2027: Fri 1 Jan, Good Friday 26 Mar, Easter Monday 29 Mar, Mon 3 May), not copied
from the engine's output.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from deadlines.management.commands.plo_timetable import Command
from deadlines.models import ClosureDay, ExtraBankHoliday

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]

# The Gloucestershire worked example used throughout: D = Thu 17 Dec 2026, letter delivered Thu 24 Dec.
GLOS = ["--policy", "gloucestershire", "--event", "lpm_held=2026-12-17"]
GLOS += ["--event", "letter_before_proceedings=2026-12-24"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("plo_timetable", *args, stdout=out)
    return out.getvalue()


def rows(*args: str) -> list[dict]:
    return json.loads(run(*args, "--json"))


def row(milestones: list[dict], key: str, occurrence: int = 1, of: str | None = None) -> dict:
    found = [m for m in milestones if m["key"] == key and m["occurrence"] == occurrence and m["of"] == of]
    assert len(found) == 1, f"{key}#{occurrence} of {of}: {found}"
    return found[0]


def due(milestones: list[dict], key: str, occurrence: int = 1, of: str | None = None) -> str | None:
    return row(milestones, key, occurrence, of)["due"]


def keys(milestones: list[dict]) -> set[str]:
    return {m["key"] for m in milestones}


# -- gloucestershire (002) ----------------------------------------------------------------------


def test_gloucestershire_002_worked_example_over_christmas():
    """timescales.md §3 gloucestershire with D = Thu 17 Dec 2026 and the letter delivered Thu 24 Dec 2026."""
    ms = rows(*GLOS, "--today", "2027-01-05")
    # 002 §9 a: D + 1 working day = Fri 18 Dec; overdue on Tue 5 Jan by 21-24, 29-31 Dec, 4-5 Jan = 9.
    recorded = row(ms, "lpm_outcome_recorded")
    assert (recorded["due"], recorded["status"], recorded["days_late"]) == ("2026-12-18", "overdue", 9)
    # 002 §9 b: D + 4 working days = Wed 23 Dec.
    assert due(ms, "lpm_minutes") == "2026-12-23"
    # 002 §9b ii: D + 5 working days = Thu 24 Dec (timescales.md §1's own example); met that day.
    letter = row(ms, "letter_before_proceedings")
    assert (letter["due"], letter["status"], letter["met_on"]) == ("2026-12-24", "met", "2026-12-24")
    # 002 §9b iii: L + 10 working days, skipping 25 and 28 Dec and 1 Jan: 29, 30, 31 Dec, 4-8 Jan, 11, 12 Jan.
    initial = row(ms, "initial_meeting")
    assert (initial["due"], initial["status"], initial["waiting_for"]) == ("2027-01-12", "upcoming", [])
    assert initial["source"] == "002 §9b iii" and initial["responsible_role"] == "team_manager"
    # 002 §9b iv / App. 2: D + 8 weeks = Thu 11 Feb 2027; D + 12 weeks = Thu 11 Mar 2027.
    assert due(ms, "review_meeting") == "2027-02-11"
    assert due(ms, "gateway_review") == "2027-02-11"
    assert due(ms, "gateway_review", 2) == "2027-03-11"
    # App. 2 week 15 and 16: D + 15 weeks = Thu 1 Apr 2027, D + 16 weeks = Thu 8 Apr 2027.
    assert due(ms, "final_meeting") == "2027-04-01"
    assert due(ms, "pre_proceedings_end") == "2027-04-08"
    # The LPM was held without the papers ever being recorded: their deadline (a week before the
    # LPM, 002 §6f) passed unmet, so it stays missed, never "not applicable" (issue 20 §4).
    assert row(ms, "lpm_papers")["status"] == "missed"
    # Off the "initiate" path: no issue or deferral milestones.
    assert not keys(ms) & {"letter_of_issue", "further_lpm", "cmh"}


def test_gloucestershire_table_shows_header_and_uk_dates():
    """The readable table: policy, version, clock start, "week k of N", projected end; UK dates."""
    out = run(*GLOS, "--today", "2027-01-05")
    lines = out.splitlines()
    header = lines[0]
    assert "Gloucestershire County Council" in header and "version 2026.4" in header
    assert "clock start Thu 17 Dec 2026" in header
    assert "week 3 of 16" in header  # Tue 5 Jan 2027 is day 19 of the episode: week 3
    assert "projected end Thu 8 Apr 2027" in header
    assert lines[3].split() == ["key", "milestone", "due", "status", "days", "late", "source"]
    by_key = {line.split()[0]: line for line in lines[5:]}
    assert "Thu 24 Dec 2026" in by_key["letter_before_proceedings"]
    assert "met Thu 24 Dec 2026" in by_key["letter_before_proceedings"]
    assert "Tue 12 Jan 2027" in by_key["initial_meeting"] and "upcoming" in by_key["initial_meeting"]
    assert "002 §9b iii" in by_key["initial_meeting"]
    assert "gateway_review#2" in by_key and "Thu 11 Mar 2027" in by_key["gateway_review#2"]
    assert "overdue" in by_key["lpm_outcome_recorded"] and " 9 " in by_key["lpm_outcome_recorded"]


def test_gloucestershire_initial_meeting_waits_for_the_letter():
    """002 §9b iii counts from the letter's delivery: until then it is provisional (timescales.md §1)."""
    ms = rows("--policy", "gloucestershire", "--event", "lpm_held=2026-12-17", "--today", "2026-12-21")
    initial = row(ms, "initial_meeting")
    # Provisional from the letter's latest date, Thu 24 Dec 2026, + 10 working days = Tue 12 Jan 2027.
    assert initial["due"] is None and initial["provisional"] == "2027-01-12"
    assert initial["waiting_for"] == ["letter_before_proceedings"]
    assert initial["status"] == "upcoming"
    table = run("--policy", "gloucestershire", "--event", "lpm_held=2026-12-17", "--today", "2026-12-21")
    line = next(ln for ln in table.splitlines() if ln.startswith("initial_meeting "))
    assert "provisional Tue 12 Jan 2027 (waiting for: letter before proceedings delivered to parents)" in line


def test_gloucestershire_letter_a_day_earlier_moves_the_initial_meeting_a_day_earlier():
    """As in the journey test: letter Wed 23 Dec 2026 + 10 working days = Mon 11 Jan 2027."""
    ms = rows(
        "--policy",
        "gloucestershire",
        "--event",
        "lpm_held=2026-12-17",
        "--event",
        "letter_before_proceedings=2026-12-23",
        "--today",
        "2027-01-05",
    )
    assert due(ms, "initial_meeting") == "2027-01-11"


def test_gloucestershire_extension_moves_the_end_and_the_final_meeting():
    """002 App. 2 week 16: up to 4 weeks' extension; the end is never beyond D + 20 weeks (App. 1)."""
    ms = rows(*GLOS, "--today", "2027-01-05", "--extension-weeks", "4")
    assert due(ms, "pre_proceedings_end") == "2027-05-06"  # D + 20 weeks, Thu 6 May 2027
    assert due(ms, "final_meeting") == "2027-04-29"  # D + 19 weeks
    assert "week 3 of 20" in run(*GLOS, "--today", "2027-01-05", "--extension-weeks", "4").splitlines()[0]


def test_gloucestershire_issue_path_and_court_timeline():
    """002 §9c (issue: +1 / +5 / +10 working days) and App. 3 (CMH by day 18, IRH week 20, final week 26)."""
    ms = rows(
        "--policy",
        "gloucestershire",
        "--outcome",
        "issue",
        "--event",
        "issue_decision=2027-04-08",
        "--event",
        "proceedings_issued=2027-04-22",
        "--today",
        "2027-04-23",
    )
    assert due(ms, "letter_of_issue") == "2027-04-09"
    assert due(ms, "swet_to_legal") == "2027-04-15"
    assert due(ms, "proceedings_issued") == "2027-04-22"
    assert row(ms, "proceedings_issued")["status"] == "met"
    # X + 17 days = Sun 9 May 2027, so the previous working day, Fri 7 May.
    assert due(ms, "cmh") == "2027-05-07"
    # CMH - 2 working days: Thu 6, Wed 5 May.
    assert due(ms, "advocates_meeting") == "2027-05-05"
    # Week 1 day 1 is Thu 22 Apr 2027: week 20 ends Wed 8 Sep (+139 days), week 26 Wed 20 Oct (+181).
    assert due(ms, "irh") == "2027-09-08"
    assert due(ms, "final_hearing") == "2027-10-20"
    assert "letter_before_proceedings" not in keys(ms)


@pytest.mark.parametrize(
    ("lpm_held", "key", "expected", "example"),
    [
        ("2027-01-08", "lpm_outcome_recorded", "2027-01-11", "Fri + 1 = next Mon"),
        ("2027-01-09", "lpm_outcome_recorded", "2027-01-11", "Sat + 1 = next Mon"),
        ("2026-12-17", "letter_before_proceedings", "2026-12-24", "Thu 17 Dec 2026 + 5 = Thu 24 Dec 2026"),
        ("2026-12-24", "lpm_outcome_recorded", "2026-12-29", "Thu 24 Dec 2026 + 1 = Tue 29 Dec 2026"),
        # + 16 weeks = Easter Monday 29 Mar 2027: back over Good Friday to Thu 25 Mar.
        ("2026-12-07", "pre_proceedings_end", "2027-03-25", "+N weeks on a bank holiday: previous working day"),
    ],
)
def test_timescales_section_1_examples(lpm_held, key, expected, example):
    """timescales.md §1 counting examples, through the Gloucestershire rules (+1, +5 working days, +16 weeks)."""
    ms = rows("--policy", "gloucestershire", "--event", f"lpm_held={lpm_held}", "--today", lpm_held)
    assert due(ms, key) == expected, example


def test_without_an_lpm_only_the_request_milestones_apply():
    """No lpm_held: no decision yet (default outcome none), so the pre-proceedings rules do not apply."""
    ms = rows("--policy", "gloucestershire", "--event", "lpm_request=2026-12-01", "--today", "2026-12-02")
    assert "lpm_request_decision" not in keys(ms)  # 002 states no time for the decision itself
    # 002 §6f: held 2 weeks after the decision, which has not been made: waiting, no date yet.
    assert row(ms, "lpm_held")["waiting_for"] == ["lpm_approved", "lpm_request_decision"]
    assert "letter_before_proceedings" not in keys(ms)
    assert "outcome none yet" in run("--policy", "gloucestershire", "--event", "lpm_request=2026-12-01").splitlines()[1]


def test_outcome_none_overrides_the_default():
    ms = rows(*GLOS, "--outcome", "none", "--today", "2027-01-05")
    assert "initial_meeting" not in keys(ms)
    assert row(ms, "letter_before_proceedings")["status"] == "not_applicable"  # recorded, but off the path


# -- st_helens (004) ----------------------------------------------------------------------------


def test_st_helens_004_reviews_every_four_weeks_after_the_previous_one():
    """timescales.md §3 st_helens: D = Wed 16 Dec 2026; repeated --event review_meeting records each review."""
    ms = rows(
        "--policy",
        "st_helens",
        "--event",
        "lpm_held=2026-12-16",
        "--event",
        "initial_meeting=2027-01-05",
        "--event",
        "review_meeting=2027-02-01",
        "--event",
        "review_meeting=2027-03-02",
        "--today",
        "2027-03-03",
    )
    assert due(ms, "lpm_outcome_recorded") == "2026-12-17"  # D + 1 working day
    assert due(ms, "letter_before_proceedings") == "2026-12-21"  # D + 3 working days: 17, 18, 21 Dec
    # D + 10 working days: 17-18, 21-24, 29-31 Dec, 4 Jan; held a working day late.
    initial = row(ms, "initial_meeting")
    assert (initial["due"], initial["status"], initial["days_late"]) == ("2027-01-04", "met_late", 1)
    # Each review 4 weeks after the previous meeting was held (§1 "Recurring").
    first, second, third = (row(ms, "review_meeting", n) for n in (1, 2, 3))
    assert (first["due"], first["status"]) == ("2027-02-02", "met")  # 5 Jan + 4 weeks
    assert (second["due"], second["status"], second["days_late"]) == ("2027-03-01", "met_late", 1)  # 1 Feb + 4 w
    assert (third["due"], third["status"]) == ("2027-03-30", "upcoming")  # 2 Mar + 4 weeks
    # The next would be Tue 27 Apr 2027, after the end (D + 16 weeks = Wed 7 Apr 2027): none.
    assert not [m for m in ms if m["key"] == "review_meeting" and m["occurrence"] == 4]
    assert due(ms, "gateway_review") == "2027-02-10"  # D + 8 weeks
    assert due(ms, "gateway_review", 2) == "2027-03-10"  # D + 12 weeks
    assert due(ms, "pre_proceedings_end") == "2027-04-07"
    header = run("--policy", "st_helens", "--event", "lpm_held=2026-12-16", "--today", "2027-03-03").splitlines()[0]
    assert "St Helens Borough Council" in header and "week 12 of 16" in header


@pytest.mark.parametrize(
    ("panel", "papers"),
    [
        ("2027-01-13", "2027-01-11"),  # Monday before the Wednesday panel
        ("2026-12-30", "2026-12-24"),  # Mon 28 Dec is a bank holiday (and Fri 25 Dec): Thu 24 Dec
        ("2027-03-31", "2027-03-25"),  # Easter Monday 29 Mar, Good Friday 26 Mar: Thu 25 Mar
    ],
)
def test_st_helens_004_papers_the_monday_before_the_panel(panel, papers):
    """004 ToR §7: P - 2 days, the previous working day if that Monday is a bank holiday."""
    ms = rows("--policy", "st_helens", "--event", f"panel_date={panel}", "--today", "2026-12-01")
    assert due(ms, "lpm_papers") == papers


# -- sutton (001) -------------------------------------------------------------------------------


def test_sutton_001_twelve_weeks_from_the_initial_meeting():
    """timescales.md §3 sutton: the clock starts at I = Tue 12 Jan 2027 (L Thu 24 Dec 2026 + 10 working days)."""
    ms = rows(
        "--policy",
        "sutton",
        "--event",
        "lpm_held=2026-12-17",
        "--event",
        "letter_before_proceedings=2026-12-24",
        "--event",
        "initial_meeting=2027-01-12",
        "--today",
        "2027-03-01",
    )
    assert due(ms, "letter_before_proceedings") == "2026-12-24"  # D + 5 working days
    assert (due(ms, "initial_meeting"), row(ms, "initial_meeting")["status"]) == ("2027-01-12", "met")
    # Optional midway review I + 6 weeks = Tue 23 Feb 2027; not held by then, so not needed.
    review = row(ms, "review_meeting")
    assert (review["due"], review["status"], review["optional"]) == ("2027-02-23", "not_applicable", True)
    assert due(ms, "final_meeting") == "2027-04-06"  # I + 12 weeks
    assert due(ms, "pre_proceedings_end") == "2027-04-06"
    # The letter went out without the step to legal ever being recorded: that step's date had
    # passed, so it stays missed (a miss stays a miss, issue 20 §4).
    assert row(ms, "letter_to_legal")["status"] == "missed"
    header = run("--policy", "sutton", "--event", "initial_meeting=2027-01-12", "--today", "2027-03-01").splitlines()[0]
    assert "London Borough of Sutton" in header and "week 7 of 12" in header


def test_sutton_001_before_the_initial_meeting_the_end_is_provisional():
    ms = rows(
        "--policy",
        "sutton",
        "--event",
        "lpm_held=2026-12-17",
        "--event",
        "letter_before_proceedings=2026-12-24",
        "--today",
        "2027-01-05",
    )
    end = row(ms, "pre_proceedings_end")
    assert (end["due"], end["provisional"], end["waiting_for"]) == (None, "2027-04-06", ["initial_meeting"])
    header = run(
        "--policy",
        "sutton",
        "--event",
        "lpm_held=2026-12-17",
        "--event",
        "letter_before_proceedings=2026-12-24",
        "--today",
        "2027-01-05",
    ).splitlines()[0]
    assert "clock start not yet recorded" in header and "projected end provisional Tue 6 Apr 2027" in header


def test_sutton_001_extension_up_to_six_weeks():
    ms = rows(
        "--policy",
        "sutton",
        "--event",
        "initial_meeting=2027-01-12",
        "--outcome",
        "initiate",
        "--extension-weeks",
        "6",
        "--today",
        "2027-03-01",
    )
    assert due(ms, "pre_proceedings_end") == "2027-05-18"  # I + 18 weeks
    with pytest.raises(CommandError, match="at most 6 weeks"):
        run("--policy", "sutton", "--event", "initial_meeting=2027-01-12", "--extension-weeks", "7")


def test_sutton_001_sets_no_lpm_date():
    """001 Step 1 says when LPMs sit (Tuesday and Thursday afternoons), not when one is due."""
    ms = rows("--policy", "sutton", "--event", "lpm_approved=2026-12-18", "--today", "2026-12-18")
    assert "lpm_held" not in keys(ms)


# -- pre_action_flowchart (000) ------------------------------------------------------------------


def test_pre_action_flowchart_000_worked_example():
    """timescales.md §3 pre_action_flowchart: D Thu 17 Dec 2026, CLO's letter deadline Thu 24 Dec, letter Mon 21 Dec."""
    args = [
        "--policy",
        "pre_action_flowchart",
        "--event",
        "lpm_held=2026-12-17",
        "--event",
        "letter_deadline=2026-12-24",
        "--event",
        "letter_before_proceedings=2026-12-21",
        "--event",
        "initial_meeting=2026-12-30",
        "--today",
        "2027-01-05",
    ]
    ms = rows(*args)
    assert due(ms, "lpm_minutes") == "2026-12-21"  # legal note: D + 2 working days
    letter = row(ms, "letter_before_proceedings")
    assert (letter["due"], letter["entered"], letter["status"]) == ("2026-12-24", True, "met")
    # L + 7 calendar days = Mon 28 Dec (bank holiday), back over Fri 25 Dec to Thu 24 Dec; held Wed 30 Dec.
    initial = row(ms, "initial_meeting")
    assert (initial["due"], initial["status"], initial["days_late"]) == ("2026-12-24", "met_late", 2)
    # Minutes of the initial meeting: draft M + 2 working days, approved M + 5 working days.
    assert due(ms, "draft_minutes", of="initial_meeting") == "2027-01-04"
    assert due(ms, "approved_minutes", of="initial_meeting") == "2027-01-07"
    assert due(ms, "review_meeting") == "2027-02-10"  # I + 6 weeks
    assert due(ms, "final_meeting") == "2027-04-08"  # D + 16 weeks
    assert due(ms, "gateway_review") == "2027-03-25"  # final meeting - 2 weeks
    assert due(ms, "pre_proceedings_end") == "2027-04-08"
    # An extension moves the final meeting, and the gateway review with it.
    extended = rows(*args, "--extension-weeks", "1")
    assert (due(extended, "final_meeting"), due(extended, "gateway_review")) == ("2027-04-15", "2027-04-01")
    assert "(entered)" in next(ln for ln in run(*args).splitlines() if ln.startswith("letter_before_proceedings "))


# -- standard ------------------------------------------------------------------------------------


def test_standard_gloucestershire_rules_with_st_helens_four_weekly_reviews():
    """timescales.md §3 standard: 002's dates, reviews every 4 weeks from the initial meeting (004)."""
    args = [
        "--policy",
        "standard",
        "--event",
        "lpm_held=2026-12-17",
        "--event",
        "letter_before_proceedings=2026-12-24",
        "--today",
        "2027-01-05",
    ]
    ms = rows(*args)
    assert due(ms, "letter_before_proceedings") == "2026-12-24"
    assert due(ms, "initial_meeting") == "2027-01-12"
    # Not held yet, so each review counts from the previous one's due date: 9 Feb, 9 Mar, 6 Apr 2027.
    assert [due(ms, "review_meeting", n) for n in (1, 2, 3)] == ["2027-02-09", "2027-03-09", "2027-04-06"]
    assert not [m for m in ms if m["key"] == "review_meeting" and m["occurrence"] == 4]  # 4 May is after the end
    assert due(ms, "final_meeting") == "2027-04-01"
    assert due(ms, "pre_proceedings_end") == "2027-04-08"
    # A 4-week extension (end Thu 6 May 2027) makes room for a fourth review on Tue 4 May 2027.
    extended = rows(*args, "--extension-weeks", "4")
    assert due(extended, "review_meeting", 4) == "2027-05-04"
    assert due(extended, "pre_proceedings_end") == "2027-05-06"


# -- the council's calendar ----------------------------------------------------------------------


def test_a_closure_day_in_the_database_moves_the_due_date():
    """timescales.md §1: the council's closure days are not working days (admins add them, no release)."""
    assert due(rows(*GLOS, "--today", "2027-01-05"), "initial_meeting") == "2027-01-12"
    ClosureDay.objects.create(date=dt.date(2026, 12, 29), reason="Offices closed between Christmas and New Year")
    assert due(rows(*GLOS, "--today", "2027-01-05"), "initial_meeting") == "2027-01-13"
    ExtraBankHoliday.objects.create(date=dt.date(2027, 1, 4), name="One-off bank holiday")
    assert due(rows(*GLOS, "--today", "2027-01-05"), "initial_meeting") == "2027-01-14"


# -- defaults and help ----------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2027, 6, 30, 23, 30, tzinfo=dt.UTC))  # already 1 Jul in London (BST)
def test_today_defaults_to_the_date_in_london():
    lines = run(*GLOS).splitlines()
    assert lines[1].startswith("Today Thu 1 Jul 2027; outcome initiate")


def test_policy_defaults_to_the_deployment_policy(settings):
    settings.PLO_POLICY = "st_helens"
    assert "policy st_helens" in run("--event", "lpm_held=2026-12-16", "--today", "2027-01-05").splitlines()[0]


def test_policy_can_be_a_file_path():
    """For trying a changed or archived policy file before it is deployed."""
    path = REPO / "deadlines" / "engine" / "policies" / "sutton.toml"
    header = run("--policy", str(path), "--event", "initial_meeting=2027-01-12", "--today", "2027-03-01").splitlines()[
        0
    ]
    assert "London Borough of Sutton (policy sutton, version 2026.2)" in header


def test_help_documents_the_defaults():
    text = " ".join(Command().create_parser("manage.py", "plo_timetable").format_help().split())
    assert "Default: 'initiate' when lpm_held is given, otherwise none" in text
    assert "Default: today in Europe/London" in text
    assert "KEY=YYYY-MM-DD" in text


# -- errors: one clear line, non-zero exit ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--policy", "nowhere"],
            "unknown policy 'nowhere'; available policies: gloucestershire, pre_action_flowchart, "
            "st_helens, standard, sutton",
        ),
        (["--policy", "gloucestershire", "--event", "letter=2026-12-24"], "unknown event 'letter' for policy"),
        (["--policy", "gloucestershire", "--event", "letter=2026-12-24"], "it accepts: "),
        (["--policy", "gloucestershire", "--event", "letter=2026-12-24"], "letter_before_proceedings"),
        (["--policy", "gloucestershire", "--event", "lpm_held=17/12/2026"], "use the format YYYY-MM-DD"),
        (["--policy", "gloucestershire", "--event", "lpm_held=2026-12-32"], "use the format YYYY-MM-DD"),
        (["--policy", "gloucestershire", "--event", "lpm_held=20261217"], "use the format YYYY-MM-DD"),
        (["--policy", "gloucestershire", "--event", "lpm_held"], "expected KEY=YYYY-MM-DD"),
        (["--policy", "gloucestershire", "--today", "5/1/2027"], "--today"),
        (["--policy", "gloucestershire", "--extension-weeks", "five"], "whole number of weeks from 0 to 4"),
        (["--policy", "gloucestershire", "--extension-weeks", "-1"], "whole number of weeks from 0 to 4"),
        (["--policy", "gloucestershire", "--extension-weeks", "5"], "at most 4 weeks"),
        (["--policy", "gloucestershire", "--outcome", "adjourn"], "use one of initiate, issue, defer, nfa, step_down"),
    ],
)
def test_bad_arguments_raise_a_one_line_command_error(args, message):
    with pytest.raises(CommandError) as excinfo:
        run(*args)
    assert message in str(excinfo.value)
    assert "\n" not in str(excinfo.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy", "nowhere"], "CommandError: unknown policy 'nowhere'; available policies: gloucestershire"),
        (["--policy", "sutton", "--event", "lpm_hold=2026-12-17"], "CommandError: unknown event 'lpm_hold'"),
        (["--policy", "sutton", "--event", "lpm_held=17/12/2026"], "use the format YYYY-MM-DD"),
        (["--policy", "sutton", "--event", "lpm_held:2026-12-17"], "expected KEY=YYYY-MM-DD"),
        (["--policy", "sutton", "--extension-weeks", "9"], "CommandError: --extension-weeks 9"),
    ],
)
def test_manage_py_exits_non_zero_with_a_single_line_on_stderr(args, message):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "plo_tracker.settings.test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "plo_timetable", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (["lpm_held=0001-01-01"], "outside the dates the calendar covers (1900 to 2099)"),
        (["lpm_held=9999-12-31"], "outside the dates the calendar covers (1900 to 2099)"),
        (["lpm_held=2026-12-17", "letter_before_proceedings=2026-12-16"], "cannot be delivered before the LPM"),
        (["lpm_held=2026-12-17", "initial_meeting=2026-12-16"], "initial meeting cannot be held before the LPM"),
        (
            ["lpm_held=2026-12-01", "initial_meeting=2026-12-17", "review_meeting=2026-12-16"],
            "a review meeting cannot be held before the initial meeting",
        ),
        (["lpm_held=2026-12-17", "lpm_held=2026-12-18"], "lpm_held is given more than once"),
        (
            ["lpm_held=2026-12-17", "proposed_agreement_to_legal=2027-01-05", "initial_meeting=2027-01-04"],
            "the proposed agreement goes to legal for comment before the initial meeting, not after it",
        ),
        (["lpm_held=2026-12-17", "gateway_review=2026-12-16"], "a review LPM cannot be held before the LPM"),
        (
            ["lpm_held=2026-12-18", "gateway_review#2=2027-03-11", "gateway_review#4=2027-02-11"],
            "the review LPM (in or before week 20) cannot be held before the care planning LPM (week 12)",
        ),
    ],
)
def test_issue_10_bad_events_are_one_line_errors_not_tracebacks(events, message):
    """Issue #10 §6: out of order, given twice, or a year the calendar does not cover."""
    args = ["--policy", "gloucestershire"]
    for event in events:
        args += ["--event", event]
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)


def test_issue_10_an_issue_outcome_without_a_decision_date_has_dates_and_the_court_header():
    """002 §9c from the LPM; App. 3 with a listed CMH; s32 week count and limit in the header."""
    args = ["--policy", "gloucestershire", "--outcome", "issue", "--event", "lpm_held=2026-12-17"]
    args += ["--event", "proceedings_issued=2027-01-11", "--event", "cmh_listed=2027-02-02", "--today", "2027-01-18"]
    ms = rows(*args)
    assert due(ms, "letter_of_issue") == "2026-12-18"
    assert due(ms, "cmh") == "2027-02-02"
    assert due(ms, "advocates_meeting") == "2027-01-29"  # Mon 1 Feb, Fri 29 Jan
    header = run(*args, "--court-extension-weeks", "2").splitlines()[2]
    assert "week 2 of 28" in header and "the 28 weeks end Sun 25 Jul 2027" in header


def test_issue_10_review_lpms_say_which_review_point_they_meet():
    """002 App. 2: the week-14 LPM skipped, the week-20 review held; "#N" says which point a date meets."""
    args = ["--policy", "gloucestershire", "--event", "lpm_held=2026-12-18", "--extension-weeks", "4"]
    args += ["--event", "gateway_review#1=2027-02-11", "--event", "gateway_review#2=2027-03-11"]
    args += ["--event", "gateway_review#4=2027-05-06", "--today", "2027-05-10"]
    ms = rows(*args)
    got = [(row(ms, "gateway_review", n)["due"], row(ms, "gateway_review", n)["status"]) for n in (1, 2, 3, 4)]
    # Week 14 falls on Good Friday 26 Mar 2027: due Thu 25 Mar, lapsed (held only if required).
    assert got == [
        ("2027-02-12", "met"),
        ("2027-03-12", "met"),
        ("2027-03-25", "not_applicable"),
        ("2027-05-07", "met"),
    ]
    with pytest.raises(CommandError, match="after # give which numbered rule"):
        run("--policy", "gloucestershire", "--event", "gateway_review#x=2027-05-06")
