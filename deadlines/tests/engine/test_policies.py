"""Policies as data: every rule of timescales.md §3 for each council, and loud load failures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from deadlines.engine import (
    MILESTONE_KEYS,
    Milestone,
    Policy,
    PolicyError,
    Status,
    WorkingCalendar,
    available_policies,
    describe_rule,
    load_policy,
    timetable,
)
from deadlines.engine.rules import ROLES

CAL = WorkingCalendar()
TODAY = date(2026, 1, 5)  # before every example below, so nothing is overdue


def milestone(
    policy: str,
    events: Mapping[str, date | Sequence[date] | None],
    key: str,
    *,
    outcome: str | None = "initiate",
    occurrence: int = 1,
    of: str | None = None,
    extension_weeks: int = 0,
    today: date = TODAY,
) -> Milestone:
    tt = timetable(
        load_policy(policy),
        events,
        CAL,
        today,
        outcome=outcome,
        extension_weeks=extension_weeks,
    )
    found = tt.get(key, occurrence, of=of)
    assert found is not None, f"{key} #{occurrence} not in {[m.ref for m in tt.milestones]}"
    return found


def due(policy: str, events: Mapping[str, date | Sequence[date] | None], key: str, **kw: Any) -> date:
    m = milestone(policy, events, key, **kw)
    assert m.due is not None, f"{key} is waiting for {m.waiting_for}"
    return m.due


# -- the bundled policies --------------------------------------------------------------------------


def test_five_policies_ship() -> None:
    assert available_policies() == [
        "gloucestershire",
        "pre_action_flowchart",
        "st_helens",
        "standard",
        "sutton",
    ]


@pytest.mark.parametrize(
    ("name", "title", "clock_start", "weeks", "max_ext"),
    [
        ("gloucestershire", "Gloucestershire County Council", "lpm_held", 16, 4),
        # 004 and 000 set no maximum extension: the panel or director decides, with reasons.
        ("st_helens", "St Helens Borough Council", "lpm_held", 16, None),
        ("sutton", "London Borough of Sutton", "initial_meeting", 12, 6),
        ("pre_action_flowchart", "Public Law Outline pre-action flowchart", "lpm_held", 16, None),
        ("standard", "PLO Tracker standard timescales", "lpm_held", 16, 4),
    ],
)
def test_policy_headline_numbers(name: str, title: str, clock_start: str, weeks: int, max_ext: int | None) -> None:
    """timescales.md §3: clock start and standard length per council; 001 allows 6 weeks more."""
    policy = load_policy(name)
    assert (policy.name, policy.title, policy.clock_start) == (name, title, clock_start)
    assert (policy.standard_weeks, policy.max_extension_weeks) == (weeks, max_ext)
    # The court's 26 weeks became statute for every policy and an issue decided at a review
    # LPM drives the letter of issue (issue 20): new versions of the policies that changed; 002's
    # record of the LPM's legal advice to the head of service then made 2026.4 of the two that follow 002.
    versions = {"gloucestershire": "2026.4", "standard": "2026.4", "st_helens": "2026.3"}
    assert policy.version == versions.get(name, "2026.2")
    assert policy.due_soon_working_days == 2


@pytest.mark.parametrize("name", ["gloucestershire", "st_helens", "sutton", "pre_action_flowchart", "standard"])
def test_every_rule_cites_a_source_and_a_known_role(name: str) -> None:
    policy = load_policy(name)
    for rule in policy.rules:
        # Council rules cite a source document; the statutory court steps cite the Act.
        assert rule.source[:3] in {"000", "001", "002", "004"} or rule.source.startswith("Children Act 1989"), rule
        assert rule.responsible_role in ROLES
        assert rule.label
        assert describe_rule(rule)


def test_policies_load_by_path_and_are_cached() -> None:
    by_name = load_policy("sutton")
    by_path = load_policy(Path(by_name.path))
    assert by_name is by_path


def test_unknown_policy_name_lists_the_available_ones() -> None:
    with pytest.raises(PolicyError, match="available: gloucestershire"):
        load_policy("narnia")


def test_milestone_keys_are_the_canonical_vocabulary() -> None:
    """timescales.md §2."""
    assert set(MILESTONE_KEYS) >= {
        "lpm_request_decision", "lpm_papers", "lpm_held", "lpm_outcome_recorded", "lpm_minutes",
        "letter_before_proceedings", "initial_meeting", "review_meeting", "gateway_review",
        "final_meeting", "pre_proceedings_end", "draft_minutes", "approved_minutes",
        "further_lpm", "revised_papers", "letter_of_issue", "swet_to_legal",
        "proceedings_issued", "cmh", "advocates_meeting", "irh", "final_hearing",
        "assessment_due",
    }  # fmt: skip


def test_describe_rule_reads_as_plain_english() -> None:
    glos = load_policy("gloucestershire")
    (initial,) = glos.rules_for("initial_meeting")
    assert describe_rule(initial) == ("10 working days after letter before proceedings delivered to parents")
    (end,) = glos.rules_for("pre_proceedings_end")
    assert glos.describe(end) == (
        "16 weeks after LPM / legal gateway panel held, plus any agreed extension, "
        "never later than 20 weeks after LPM / legal gateway panel held"
    )
    (papers,) = load_policy("st_helens").rules_for("lpm_papers")
    assert describe_rule(papers).startswith("2 days before panel date")
    (review,) = load_policy("st_helens").rules_for("review_meeting")
    assert describe_rule(review).startswith("every 4 weeks: first 4 weeks after initial")
    (letter,) = load_policy("pre_action_flowchart").rules_for("letter_before_proceedings")
    assert "date entered, not computed" in describe_rule(letter)


# -- gloucestershire (002) -------------------------------------------------------------------------

D = date(2026, 3, 4)  # Wednesday 4 March 2026: LPM decision
GLOS: dict[str, date | list[date]] = {"lpm_held": D}


@pytest.mark.parametrize("name", ["gloucestershire", "standard"])
class TestGloucestershireRules:
    """002, as tabulated in timescales.md §3; `standard` shares every rule but reviews."""

    def test_002_s6b_no_decision_date_on_a_request_until_it_is_deferred(self, name: str) -> None:
        """002 states no time for the head of service's decision; only a deferral is limited (§6b)."""
        tt = timetable(load_policy(name), {"lpm_request": date(2026, 3, 2)}, CAL, TODAY, outcome=None)
        assert tt.get("lpm_request_decision") is None

    def test_002_s6f_lpm_within_2_weeks_of_approval(self, name: str) -> None:
        assert due(name, {"lpm_approved": date(2026, 3, 16)}, "lpm_held", outcome=None) == date(2026, 3, 30)
        # The recorded decision on the request stands in for the approval date.
        assert due(name, {"lpm_request_decision": date(2026, 3, 16)}, "lpm_held", outcome=None) == date(2026, 3, 30)

    def test_002_s6f_lpm_waits_for_approval_with_a_provisional_date(self, name: str) -> None:
        m = milestone(name, {"lpm_request": date(2026, 3, 2)}, "lpm_held", outcome=None)
        assert m.due is None
        assert m.waiting_for == ("lpm_approved", "lpm_request_decision")
        assert m.provisional is None  # no date is computed for the decision it waits for
        deferred = {"lpm_request": date(2026, 3, 2), "lpm_deferred_until": date(2026, 3, 13)}
        m = milestone(name, deferred, "lpm_held", outcome=None)
        assert m.provisional == date(2026, 3, 27)  # deferred to Fri 13 Mar, + 2 weeks

    def test_002_s6f_papers_a_full_week_before_the_panel(self, name: str) -> None:
        assert due(name, {"panel_date": date(2026, 3, 25)}, "lpm_papers", outcome=None) == date(2026, 3, 18)
        # No panel date yet: a week before the latest date the LPM can be held.
        assert due(name, {"lpm_approved": date(2026, 3, 16)}, "lpm_papers", outcome=None) == date(2026, 3, 23)

    def test_002_s9a_outcome_recorded_within_24_hours(self, name: str) -> None:
        assert due(name, {"lpm_held": date(2026, 12, 24)}, "lpm_outcome_recorded", outcome=None) == date(2026, 12, 29)

    def test_002_s9b_minutes_within_4_working_days(self, name: str) -> None:
        assert due(name, {"lpm_held": date(2026, 12, 23)}, "lpm_minutes", outcome="nfa") == date(2026, 12, 31)

    def test_002_s9b_ii_letter_within_5_working_days(self, name: str) -> None:
        assert due(name, GLOS, "letter_before_proceedings") == date(2026, 3, 11)

    def test_002_s9b_iii_initial_meeting_10_working_days_after_letter(self, name: str) -> None:
        events = {**GLOS, "letter_before_proceedings": date(2026, 3, 13)}
        assert due(name, events, "initial_meeting") == date(2026, 3, 27)
        events = {"lpm_held": date(2026, 3, 26), "letter_before_proceedings": date(2026, 4, 2)}
        assert due(name, events, "initial_meeting") == date(2026, 4, 20)  # over Easter

    def test_app2_gateway_reviews_at_weeks_8_and_12(self, name: str) -> None:
        assert due(name, GLOS, "gateway_review") == date(2026, 4, 29)
        assert due(name, GLOS, "gateway_review", occurrence=2) == date(2026, 5, 27)

    def test_app2_week_15_final_meeting_moves_with_extension(self, name: str) -> None:
        assert due(name, GLOS, "final_meeting") == date(2026, 6, 17)
        assert due(name, GLOS, "final_meeting", extension_weeks=3) == date(2026, 7, 8)

    def test_002_s9b_vi_end_at_16_weeks_extension_up_to_4(self, name: str) -> None:
        assert due(name, GLOS, "pre_proceedings_end") == date(2026, 6, 24)
        assert due(name, GLOS, "pre_proceedings_end", extension_weeks=4) == date(2026, 7, 22)
        with pytest.raises(ValueError, match="limit of 4 weeks"):
            due(name, GLOS, "pre_proceedings_end", extension_weeks=5)

    def test_app2_end_on_a_bank_holiday_rolls_back(self, name: str) -> None:
        # Mon 11 May 2026 + 16 weeks = Mon 31 Aug 2026, late summer bank holiday.
        assert due(name, {"lpm_held": date(2026, 5, 11)}, "pre_proceedings_end") == date(2026, 8, 28)

    def test_app2_lpm_minutes_within_4_working_days_but_not_pre_proceedings_meetings(self, name: str) -> None:
        events = {
            **GLOS,
            "initial_meeting": date(2026, 3, 20),
            "gateway_review": [date(2026, 4, 30)],
        }
        # App. 2 gives 4 working days for LPM / care-planning minutes only.
        tt = timetable(load_policy(name), events, CAL, TODAY, outcome="initiate")
        assert tt.get("approved_minutes", of="initial_meeting") is None
        # Thu 30 Apr 2026 + 4 working days skips the May Day bank holiday (Mon 4 May).
        assert due(name, events, "approved_minutes", of="gateway_review") == date(2026, 5, 7)
        m = milestone(name, events, "approved_minutes", of="gateway_review")
        assert m.responsible_role == "legal_adviser"
        assert m.record_key == "approved_minutes:gateway_review"

    def test_002_s9c_issue_letter_swet_and_issue(self, name: str) -> None:
        events = {"lpm_held": date(2026, 12, 24), "issue_decision": date(2026, 12, 24)}
        assert due(name, events, "letter_of_issue", outcome="issue") == date(2026, 12, 29)
        assert due(name, events, "swet_to_legal", outcome="issue") == date(2027, 1, 5)
        assert due(name, events, "proceedings_issued", outcome="issue") == date(2027, 1, 12)

    def test_002_s9d_deferral_further_lpm_and_revised_papers(self, name: str) -> None:
        assert due(name, GLOS, "further_lpm", outcome="defer") == date(2026, 3, 18)
        assert due(name, GLOS, "revised_papers", outcome="defer") == date(2026, 3, 13)
        events = {**GLOS, "further_lpm": date(2026, 3, 25)}
        assert due(name, events, "revised_papers", outcome="defer") == date(2026, 3, 20)

    def test_app3_court_timeline(self, name: str) -> None:
        events = {"lpm_held": D, "issue_decision": D, "proceedings_issued": date(2026, 6, 1)}
        assert due(name, events, "cmh", outcome="issue") == date(2026, 6, 18)  # "by day 18"
        assert due(name, events, "advocates_meeting", outcome="issue") == date(2026, 6, 16)
        # Week 1 day 1 is the issue day (Mon 1 Jun): week 20 ends Sun 18 Oct (+139 days), week 26
        # ends Sun 29 Nov (+181 days); both roll back to the Friday.
        assert due(name, events, "irh", outcome="issue") == date(2026, 10, 16)
        assert due(name, events, "final_hearing", outcome="issue") == date(2026, 11, 27)

    def test_app3_court_dates_wait_for_issue(self, name: str) -> None:
        events = {"lpm_held": D, "issue_decision": D}
        cmh = milestone(name, events, "cmh", outcome="issue")
        assert cmh.waiting_for == ("proceedings_issued",)
        # Proceedings due 10 working days after the decision (Wed 18 Mar) + 17 days.
        # Sat 4 Apr 2026 rolls back over Good Friday to Thu 2 Apr.
        assert cmh.provisional == date(2026, 4, 2)


def test_002_s9b_iv_gloucestershire_reviews_by_week_8_and_in_week_13() -> None:
    assert due("gloucestershire", GLOS, "review_meeting") == date(2026, 4, 29)
    assert due("gloucestershire", GLOS, "review_meeting", occurrence=2) == date(2026, 6, 3)
    tt = timetable(load_policy("gloucestershire"), GLOS, CAL, TODAY, outcome="initiate")
    assert [m.ref for m in tt.milestones if m.key == "review_meeting"] == ["review_meeting#1", "review_meeting#2"]


def test_standard_reviews_every_4_weeks_after_the_initial_meeting() -> None:
    """standard = 002 + 004's reviews at least every 4 weeks (timescales.md §3 `standard`)."""
    events = {
        **GLOS,
        "letter_before_proceedings": date(2026, 3, 11),
        "initial_meeting": date(2026, 3, 20),
    }
    tt = timetable(load_policy("standard"), events, CAL, TODAY, outcome="initiate")
    reviews = [m.due for m in tt.milestones if m.key == "review_meeting"]
    assert reviews == [date(2026, 4, 17), date(2026, 5, 15), date(2026, 6, 12)]


# -- st_helens (004) -------------------------------------------------------------------------------

SH_D = date(2026, 4, 1)  # Wednesday panel, the day before Easter


def test_004_papers_due_monday_before_the_wednesday_panel() -> None:
    assert due("st_helens", {"panel_date": date(2026, 6, 3)}, "lpm_papers", outcome=None) == date(2026, 6, 1)


def test_004_papers_due_friday_when_monday_is_a_bank_holiday() -> None:
    """004: "Where the Monday is a Bank Holiday, ... submitted by the previous Friday"."""
    # Spring bank holiday Mon 25 May 2026 -> papers for Wed 27 May due Fri 22 May.
    assert due("st_helens", {"panel_date": date(2026, 5, 27)}, "lpm_papers", outcome=None) == date(2026, 5, 22)
    # Easter Monday 6 Apr 2026 and Good Friday 3 Apr -> papers for Wed 8 Apr due Thu 2 Apr.
    assert due("st_helens", {"panel_date": date(2026, 4, 8)}, "lpm_papers", outcome=None) == date(2026, 4, 2)


def test_004_outcome_flag_within_24_hours() -> None:
    assert due("st_helens", {"lpm_held": SH_D}, "lpm_outcome_recorded", outcome=None) == date(2026, 4, 2)


def test_004_letter_within_3_working_days_of_the_decision() -> None:
    assert due("st_helens", {"lpm_held": SH_D}, "letter_before_proceedings") == date(2026, 4, 8)


def test_004_initial_meeting_10_working_days_from_the_decision_not_the_letter() -> None:
    events = {"lpm_held": SH_D, "letter_before_proceedings": date(2026, 4, 9)}
    assert due("st_helens", events, "initial_meeting") == date(2026, 4, 17)


def test_004_gateway_reviews_at_8_and_12_weeks() -> None:
    assert due("st_helens", {"lpm_held": SH_D}, "gateway_review") == date(2026, 5, 27)
    assert due("st_helens", {"lpm_held": SH_D}, "gateway_review", occurrence=2) == date(2026, 6, 24)


def test_004_end_at_16_weeks_with_a_panel_extension_of_no_stated_maximum() -> None:
    assert due("st_helens", {"lpm_held": SH_D}, "pre_proceedings_end") == date(2026, 7, 22)
    assert due("st_helens", {"lpm_held": SH_D}, "pre_proceedings_end", extension_weeks=4) == date(2026, 8, 19)
    # 004 sets no maximum: a 6-week extension the panel agreed counts (Wed 22 Jul + 6 weeks).
    assert due("st_helens", {"lpm_held": SH_D}, "pre_proceedings_end", extension_weeks=6) == date(2026, 9, 2)


def test_004_letter_of_issue_within_2_working_days() -> None:
    events = {"lpm_held": date(2026, 12, 23), "issue_decision": date(2026, 12, 23)}
    assert due("st_helens", events, "letter_of_issue", outcome="issue") == date(2026, 12, 29)


def test_004_reviews_every_4_weeks_after_the_previous_one_was_held() -> None:
    events: dict[str, date | list[date]] = {
        "lpm_held": SH_D,
        "initial_meeting": date(2026, 4, 17),
        "review_meeting": [date(2026, 5, 18)],  # held 3 days after its due date
    }
    tt = timetable(load_policy("st_helens"), events, CAL, date(2026, 5, 20), outcome="initiate")
    reviews = [(m.due, m.status) for m in tt.milestones if m.key == "review_meeting"]
    assert reviews == [
        (date(2026, 5, 15), Status.MET_LATE),  # initial meeting + 4 weeks
        (date(2026, 6, 15), Status.UPCOMING),  # 4 weeks after it was held
        (date(2026, 7, 13), Status.UPCOMING),  # 4 weeks after the previous was due
    ]  # the next would be 10 Aug, after the end on 22 Jul


# -- sutton (001) ----------------------------------------------------------------------------------

SUTTON_D = date(2026, 3, 3)  # Tuesday panel


def test_001_sets_no_date_for_holding_the_lpm() -> None:
    """001: LPMs "generally take place on Tuesday and Thursday afternoons" -- when panels sit,
    not a deadline, so Sutton computes no LPM due date."""
    tt = timetable(load_policy("sutton"), {"lpm_approved": date(2026, 3, 2)}, CAL, TODAY, outcome=None)
    assert tt.get("lpm_held") is None


def test_001_letter_to_legal_in_2_back_in_2_delivered_in_5() -> None:
    events = {"lpm_held": SUTTON_D}
    assert due("sutton", events, "letter_to_legal") == date(2026, 3, 5)
    back = milestone("sutton", events, "letter_back_from_legal")
    assert back.waiting_for == ("letter_to_legal",) and back.provisional == date(2026, 3, 9)
    assert due("sutton", {**events, "letter_to_legal": date(2026, 3, 6)}, "letter_back_from_legal") == date(2026, 3, 10)
    assert due("sutton", events, "letter_before_proceedings") == date(2026, 3, 10)


def test_001_initial_meeting_10_working_days_after_the_letter() -> None:
    events = {"lpm_held": SUTTON_D, "letter_before_proceedings": date(2026, 3, 10)}
    assert due("sutton", events, "initial_meeting") == date(2026, 3, 24)


def test_001_twelve_weeks_from_the_initial_meeting_extendable_by_6() -> None:
    events = {"lpm_held": SUTTON_D, "initial_meeting": date(2026, 3, 24)}
    assert due("sutton", events, "final_meeting") == date(2026, 6, 16)
    assert due("sutton", events, "pre_proceedings_end") == date(2026, 6, 16)
    assert due("sutton", events, "pre_proceedings_end", extension_weeks=6) == date(2026, 7, 28)
    with pytest.raises(ValueError, match="limit of 6 weeks"):
        due("sutton", events, "pre_proceedings_end", extension_weeks=7)


def test_001_optional_midway_review_lapses_instead_of_going_overdue() -> None:
    events = {"lpm_held": SUTTON_D, "initial_meeting": date(2026, 3, 24)}
    before = milestone("sutton", events, "review_meeting", today=date(2026, 4, 28))
    assert (before.due, before.status) == (date(2026, 5, 5), Status.UPCOMING)
    after = milestone("sutton", events, "review_meeting", today=date(2026, 5, 6))
    assert after.status is Status.NOT_APPLICABLE and after.optional


def test_001_clock_starts_at_the_initial_meeting() -> None:
    events = {"lpm_held": SUTTON_D, "initial_meeting": date(2026, 3, 24)}
    tt = timetable(load_policy("sutton"), events, CAL, date(2026, 5, 19), outcome="initiate")
    assert (tt.clock_start, tt.week, tt.of_weeks) == (date(2026, 3, 24), 9, 12)


# -- pre_action_flowchart (000) --------------------------------------------------------------------

FC_D = date(2026, 3, 5)  # Thursday


def test_000_legal_note_within_2_working_days() -> None:
    assert due("pre_action_flowchart", {"lpm_held": date(2026, 4, 2)}, "lpm_minutes", outcome=None) == date(2026, 4, 8)


def test_000_letter_deadline_is_entered_by_the_clo() -> None:
    waiting = milestone("pre_action_flowchart", {"lpm_held": FC_D}, "letter_before_proceedings")
    assert waiting.entered and waiting.due is None and waiting.provisional is None
    assert waiting.waiting_for == ("letter_deadline",)
    events = {"lpm_held": FC_D, "letter_deadline": date(2026, 3, 13)}
    assert due("pre_action_flowchart", events, "letter_before_proceedings") == date(2026, 3, 13)


def test_000_initial_meeting_within_7_calendar_days_of_the_letter() -> None:
    events = {"lpm_held": FC_D, "letter_before_proceedings": date(2026, 3, 13)}
    assert due("pre_action_flowchart", events, "initial_meeting") == date(2026, 3, 20)
    events = {"lpm_held": FC_D, "letter_before_proceedings": date(2026, 3, 30)}
    assert due("pre_action_flowchart", events, "initial_meeting") == date(2026, 4, 2)  # Easter


def test_000_minutes_draft_in_2_approved_in_5_working_days() -> None:
    events = {"lpm_held": FC_D, "initial_meeting": date(2026, 12, 24)}
    assert due("pre_action_flowchart", events, "draft_minutes", of="initial_meeting") == date(2026, 12, 30)
    assert due("pre_action_flowchart", events, "approved_minutes", of="initial_meeting") == date(2027, 1, 5)


def test_000_initial_review_by_the_6_week_mark() -> None:
    events = {"lpm_held": FC_D, "initial_meeting": date(2026, 3, 20)}
    assert due("pre_action_flowchart", events, "review_meeting") == date(2026, 5, 1)


def test_000_back_at_gateway_2_weeks_before_the_final_meeting_at_16_weeks() -> None:
    events = {"lpm_held": FC_D}
    assert due("pre_action_flowchart", events, "final_meeting") == date(2026, 6, 25)
    assert due("pre_action_flowchart", events, "pre_proceedings_end") == date(2026, 6, 25)
    assert due("pre_action_flowchart", events, "gateway_review") == date(2026, 6, 11)
    assert due("pre_action_flowchart", events, "gateway_review", extension_weeks=2) == date(2026, 6, 25)


# -- malformed policies fail loudly ----------------------------------------------------------------

VALID = """\
name = "mini"
title = "Mini Council"
version = "1"
clock_start = "lpm_held"
standard_weeks = 16
max_extension_weeks = 4

[events.issue_decision]
label = "Decision to issue"

[[rules]]
key = "letter_before_proceedings"
anchor = "lpm_held"
amount = 5
unit = "working_days"
when = ["initiate"]
responsible_role = "social_worker"
source = "002 §9b ii"

[[rules]]
key = "initial_meeting"
anchor = "letter_before_proceedings"
amount = 10
unit = "working_days"
when = ["initiate"]
responsible_role = "team_manager"
source = "002 §9b iii"

[[rules]]
key = "pre_proceedings_end"
anchor = "lpm_held"
amount = 16
unit = "weeks"
extends = true
when = ["initiate"]
responsible_role = "head_of_service"
source = "002 §9b vi"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mini.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str) -> Policy:
    return load_policy(write(tmp_path, text))


def test_the_minimal_policy_is_valid(tmp_path: Path) -> None:
    policy = load_text(tmp_path, VALID)
    assert [r.key for r in policy.rules][0] == "letter_before_proceedings"
    assert policy.labels["issue_decision"] == "Decision to issue"


BROKEN = [
    pytest.param(VALID + 'colour = "blue"\n', r"unknown field\(s\) \['colour'\]", id="unknown-top-field"),
    pytest.param(
        VALID.replace('version = "1"\n', ""),
        "missing required field 'version'",
        id="missing-version",
    ),
    pytest.param(
        VALID.replace("standard_weeks = 16", "standard_weeks = -16"),
        "standard_weeks must be a positive",
        id="negative-length",
    ),
    pytest.param(
        VALID.replace("standard_weeks = 16", "standard_weeks = 0"),
        "standard_weeks must be a positive",
        id="zero-length",
    ),
    pytest.param(
        VALID.replace("standard_weeks = 16", "standard_weeks = true"),
        "standard_weeks must be an integer",
        id="bool-length",
    ),
    pytest.param(
        VALID.replace("max_extension_weeks = 4", "max_extension_weeks = -1"),
        "max_extension_weeks must not be negative",
        id="negative-extension",
    ),
    pytest.param(
        VALID.replace('clock_start = "lpm_held"', 'clock_start = "lpm_hled"'),
        "clock_start 'lpm_hled' is not a known event",
        id="bad-clock-start",
    ),
    pytest.param(
        VALID.replace("amount = 10\n", 'amount = 10\ncolour = "red"\n'),
        r"rule #2 'initial_meeting': unknown field\(s\) \['colour'\]",
        id="unknown-rule-field",
    ),
    pytest.param(
        VALID.replace('unit = "working_days"\nwhen', 'unit = "fortnights"\nwhen', 1),
        "rule #1 'letter_before_proceedings': unknown unit 'fortnights'",
        id="unknown-unit",
    ),
    pytest.param(
        VALID.replace('anchor = "letter_before_proceedings"', 'anchor = "letter_sent"'),
        "rule #2 'initial_meeting': anchor 'letter_sent' is not a known event",
        id="unknown-anchor",
    ),
    pytest.param(
        VALID.replace('anchor = "lpm_held"\namount = 5', 'anchor = "initial_meeting"\namount = 5'),
        "cycle between milestones: letter_before_proceedings -> initial_meeting -> letter_",
        id="cycle",
    ),
    pytest.param(
        VALID.replace('anchor = "letter_before_proceedings"', 'anchor = "initial_meeting"'),
        "anchor is the rule's own key",
        id="self-anchor",
    ),
    pytest.param(
        VALID.replace(
            'when = ["initiate"]\nresponsible_role = "team_manager"',
            'when = ["start"]\nresponsible_role = "team_manager"',
        ),
        "rule #2 'initial_meeting': bad when value 'start'",
        id="bad-when",
    ),
    pytest.param(
        VALID.replace('source = "002 §9b iii"\n', ""),
        "rule #2 'initial_meeting': missing required field 'source'",
        id="missing-source",
    ),
    pytest.param(
        VALID.replace('source = "002 §9b iii"', 'source = "  "'),
        "rule #2 'initial_meeting': missing source",
        id="empty-source",
    ),
    pytest.param(
        VALID.replace('responsible_role = "team_manager"', 'responsible_role = "judge"'),
        "responsible_role 'judge' is not one of",
        id="bad-role",
    ),
    pytest.param(
        VALID
        + VALID[
            VALID.index('[[rules]]\nkey = "initial_meeting"') : VALID.index('[[rules]]\nkey = "pre_proceedings_end"')
        ],
        "rule #4 'initial_meeting': duplicate rule: rule #2 already governs",
        id="duplicate-rule",
    ),
    pytest.param(
        VALID.replace('key = "initial_meeting"', 'key = "inital_meeting"'),
        "unknown milestone key 'inital_meeting'",
        id="unknown-milestone-key",
    ),
    pytest.param(
        VALID.replace('key = "initial_meeting"', 'key = "home_visit"\ncustom = true'),
        "a custom milestone needs a label",
        id="custom-without-label",
    ),
    pytest.param(
        VALID.replace("amount = 16\n", "amount = 12\n"),
        "must be standard_weeks \\(16\\) weeks after clock_start",
        id="end-not-standard-length",
    ),
    pytest.param(VALID.replace("extends = true\n", ""), "must have extends = true", id="end-not-extendable"),
    pytest.param(
        VALID[: VALID.index('[[rules]]\nkey = "pre_proceedings_end"')],
        "no rule for 'pre_proceedings_end'",
        id="no-end-rule",
    ),
    pytest.param(
        VALID.replace(
            'amount = 10\nunit = "working_days"',
            'amount = 10\nunit = "working_days"\nextends = true',
        ),
        "extends = true needs unit = 'weeks'",
        id="extends-days",
    ),
    pytest.param(
        VALID.replace("amount = 10\n", "amount = 0\nrecurring = true\n"),
        "recurring rule needs a positive interval",
        id="recurring-zero",
    ),
    pytest.param(
        VALID.replace("amount = 5\n", "amount = 5.5\n"),
        "amount must be an integer",
        id="fractional-amount",
    ),
    pytest.param(
        VALID.replace("amount = 10\n", 'amount = -10\ndirection = "before"\n'),
        r"\.toml:\d+: rule #2 'initial_meeting': amount -10 is a negative timescale",
        id="double-negative",
    ),
    pytest.param(
        VALID.replace("amount = 10\n", 'amount = 10\ndirection = "sideways"\n'),
        "direction must be 'after' or 'before'",
        id="bad-direction",
    ),
    pytest.param(
        VALID.replace("amount = 10\n", "amount = 10\nentered = true\n"),
        "an entered date is the anchor event itself",
        id="entered-with-amount",
    ),
    pytest.param(
        VALID.replace("amount = 10\n", 'amount = 10\nweekdays = ["funday"]\n'),
        "bad weekday 'funday'",
        id="bad-weekday",
    ),
    pytest.param(
        VALID.replace("extends = true\n", 'extends = true\nnot_after = { anchor = "lpm_held", amount = 20 }\n'),
        r"not_after needs exactly anchor, amount, unit .*missing \['unit'\]",
        id="bad-cap",
    ),
    pytest.param(
        VALID.replace(
            "extends = true\n",
            'extends = true\nnot_before = { anchor = "no_such_event", amount = 0, unit = "weeks" }\n',
        ),
        r"not_before anchor 'no_such_event' is not a known event",
        id="bad-floor-anchor",
    ),
    pytest.param(
        VALID.replace("amount = 10\n", "amount = 10\noccurrence = 2\n"),
        r"rules for 'initial_meeting' give occurrences \[2\]",
        id="occurrence-gap",
    ),
    pytest.param(
        VALID.replace("[events.issue_decision]", "[events.cmh]"),
        "event 'cmh': already a milestone key",
        id="redeclared-event",
    ),
    pytest.param(
        VALID.replace('label = "Decision to issue"', 'label = ""'),
        "event 'issue_decision': needs a non-empty label",
        id="event-without-label",
    ),
    pytest.param(
        VALID.replace(
            'anchor = "letter_before_proceedings"',
            'for_each = ["letter_before_proceedings"]\nanchor = "lpm_held"',
        ),
        "give either anchor or for_each",
        id="anchor-and-for-each",
    ),
    pytest.param(
        VALID.replace("amount = 10\n", 'amount = 10\nmoot_after = ["nothing"]\n'),
        "moot_after 'nothing' is not a known event",
        id="bad-moot-after",
    ),
    pytest.param(
        VALID.replace('name = "mini"', 'name = "Mini Council"'),
        "must be lower_snake_case",
        id="bad-name",
    ),
    pytest.param(
        VALID.replace('[[rules]]\nkey = "letter', '[[rules]\nkey = "letter'),
        "not valid TOML",
        id="bad-toml",
    ),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_malformed_policy_fails_loudly_naming_file_rule_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError, match=message) as excinfo:
        load_policy(path)
    assert str(path) in str(excinfo.value)


def test_missing_policy_file_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "nowhere.toml")


def test_custom_milestones_are_allowed_with_a_label(tmp_path: Path) -> None:
    text = VALID.replace('key = "initial_meeting"', 'key = "home_visit"\ncustom = true\nlabel = "Home visit"')
    policy = load_text(tmp_path, text)
    assert policy.label_for("home_visit") == "Home visit"


def test_not_after_caps_an_extended_end(tmp_path: Path) -> None:
    """002 App. 1: never beyond week 20, even if a policy allowed a longer extension."""
    text = VALID.replace("max_extension_weeks = 4", "max_extension_weeks = 8").replace(
        "extends = true\n",
        'extends = true\nnot_after = { anchor = "lpm_held", amount = 20, unit = "weeks" }\n',
    )
    policy = load_text(tmp_path, text)
    tt = timetable(policy, {"lpm_held": D}, CAL, TODAY, outcome="initiate", extension_weeks=8)
    end = tt.get("pre_proceedings_end")
    assert end is not None and end.due == CAL.add_weeks(D, 20)
    assert tt.of_weeks == 24  # the agreed extension is still reported as agreed


def test_policy_name_must_match_its_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from deadlines.engine import policies

    (tmp_path / "other.toml").write_text(VALID, encoding="utf-8")
    monkeypatch.setattr(policies, "POLICY_DIR", tmp_path)
    with pytest.raises(PolicyError, match="name 'mini' does not match the file name 'other'"):
        load_policy("other")


@pytest.mark.parametrize("name", ["gloucestershire", "standard"])
def test_002_s6b_a_deferral_sets_the_hos_decision_date(name: str) -> None:
    """002 §6b: "Deferment will be for no longer than two weeks": the decision is next due on the
    date the head of service deferred it to (the service refuses more than two weeks)."""
    deferred = {"lpm_request": date(2026, 3, 2), "lpm_deferred_until": date(2026, 3, 27)}
    assert due(name, deferred, "lpm_request_decision", outcome=None) == date(2026, 3, 27)
    decided = {**deferred, "lpm_request_decision": date(2026, 3, 25)}
    assert milestone(name, decided, "lpm_request_decision", outcome=None).status == "met"
    (rule,) = load_policy(name).rules_for("lpm_request_decision")
    assert rule.interpretation  # 002 does not say when the decision is due: marked as a reading
