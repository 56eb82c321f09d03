"""Timetables: statuses on chosen days, waiting and provisional dates, decision paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pytest

from deadlines.engine import (
    OUTCOMES,
    Milestone,
    Status,
    Timetable,
    WorkingCalendar,
    load_policy,
    timetable,
)

CAL = WorkingCalendar()
GLOS = load_policy("gloucestershire")
D = date(2026, 3, 4)  # Wednesday: LPM decides to initiate pre-proceedings
LETTER_DUE = date(2026, 3, 11)  # D + 5 working days (002 §9b ii)

Events = Mapping[str, date | Sequence[date] | None]


def tt_for(
    events: Events,
    today: date,
    *,
    policy: str = "gloucestershire",
    outcome: str | None = "initiate",
    **kw: Any,
) -> Timetable:
    return timetable(load_policy(policy), events, CAL, today, outcome=outcome, **kw)


def get(tt: Timetable, key: str, occurrence: int = 1, of: str | None = None) -> Milestone:
    m = tt.get(key, occurrence, of=of)
    assert m is not None, f"{key} not in {[x.ref for x in tt.milestones]}"
    return m


# -- statuses on chosen days -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "status", "days_late"),
    [
        (date(2026, 3, 5), Status.UPCOMING, 0),  # 4 working days to go
        (date(2026, 3, 6), Status.UPCOMING, 0),  # 3 working days to go
        (date(2026, 3, 7), Status.UPCOMING, 0),  # Saturday: Mon, Tue, Wed still to go
        (date(2026, 3, 9), Status.DUE_SOON, 0),  # Monday: 2 working days to go
        (date(2026, 3, 10), Status.DUE_SOON, 0),  # 1 working day to go
        (date(2026, 3, 11), Status.DUE_TODAY, 0),
        (date(2026, 3, 12), Status.OVERDUE, 1),
        (date(2026, 3, 14), Status.OVERDUE, 2),  # Saturday: Thu and Fri late
        (date(2026, 3, 16), Status.OVERDUE, 3),
    ],
)
def test_letter_status_through_the_week(today: date, status: Status, days_late: int) -> None:
    """002 §9b ii letter due Wed 11 Mar 2026; due soon = within 2 working days."""
    letter = get(tt_for({"lpm_held": D}, today), "letter_before_proceedings")
    assert letter.due == LETTER_DUE
    assert (letter.status, letter.days_late) == (status, days_late)


def test_met_on_time_and_met_late_count_working_days() -> None:
    on_time = get(
        tt_for({"lpm_held": D, "letter_before_proceedings": LETTER_DUE}, date(2026, 3, 20)),
        "letter_before_proceedings",
    )
    assert (on_time.status, on_time.met_on, on_time.days_late) == (Status.MET, LETTER_DUE, 0)
    early = get(
        tt_for({"lpm_held": D, "letter_before_proceedings": date(2026, 3, 5)}, date(2026, 3, 20)),
        "letter_before_proceedings",
    )
    assert early.status is Status.MET
    late = get(
        tt_for({"lpm_held": D, "letter_before_proceedings": date(2026, 3, 16)}, date(2026, 3, 20)),
        "letter_before_proceedings",
    )
    assert (late.status, late.days_late) == (Status.MET_LATE, 3)


def test_waived_milestone_keeps_its_reason() -> None:
    tt = tt_for(
        {"lpm_held": D},
        date(2026, 3, 20),
        waived={"letter_before_proceedings": "Parents served in person at the LPM"},
    )
    letter = get(tt, "letter_before_proceedings")
    assert letter.status is Status.WAIVED
    assert letter.waived_reason == "Parents served in person at the LPM"
    assert letter.days_late == 0


def test_waiving_one_occurrence_by_ref() -> None:
    events = {"lpm_held": D, "initial_meeting": date(2026, 3, 20)}
    tt = tt_for(events, date(2026, 6, 30), policy="standard", waived={"review_meeting#2": "x"})
    statuses = [m.status for m in tt.milestones if m.key == "review_meeting"]
    assert statuses == [Status.OVERDUE, Status.WAIVED, Status.OVERDUE]


def test_waiving_an_unknown_milestone_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot waive 'irh_2'"):
        tt_for({"lpm_held": D}, D, waived={"irh_2": "typo"})


# -- waiting for / provisional ---------------------------------------------------------------------


def test_initial_meeting_waits_for_the_letter_with_a_provisional_date() -> None:
    """timescales.md §1: waiting for letter delivered; provisional from the letter's due date."""
    initial = get(tt_for({"lpm_held": D}, date(2026, 3, 5)), "initial_meeting")
    assert initial.due is None
    assert initial.waiting_for == ("letter_before_proceedings",)
    assert initial.provisional == date(2026, 3, 25)  # 11 Mar + 10 working days
    assert initial.is_waiting and initial.status is Status.UPCOMING


def test_waiting_milestone_is_not_overdue_when_what_it_waits_for_is() -> None:
    """One slip, one alert: the late letter is overdue; the initial meeting still waits."""
    tt = tt_for({"lpm_held": D}, date(2026, 3, 30))
    assert get(tt, "letter_before_proceedings").status is Status.OVERDUE
    initial = get(tt, "initial_meeting")
    assert initial.status is Status.UPCOMING and initial.provisional == date(2026, 3, 25)


def test_once_the_letter_is_delivered_the_due_date_is_firm() -> None:
    tt = tt_for({"lpm_held": D, "letter_before_proceedings": date(2026, 3, 13)}, date(2026, 3, 16))
    initial = get(tt, "initial_meeting")
    assert (initial.due, initial.provisional, initial.waiting_for) == (date(2026, 3, 27), None, ())


def test_waiting_chains_propagate_provisional_dates() -> None:
    """Sutton: end = I + 12 weeks; I waits for L, L is due D + 5 (001)."""
    tt = tt_for({"lpm_held": date(2026, 3, 3)}, date(2026, 3, 3), policy="sutton")
    assert get(tt, "initial_meeting").provisional == date(2026, 3, 24)
    end = get(tt, "pre_proceedings_end")
    assert end.waiting_for == ("initial_meeting",)
    assert end.provisional == date(2026, 6, 16)
    assert tt.projected_end == date(2026, 6, 16)
    assert tt.clock_start is None and tt.week is None


def test_met_without_an_anchor_is_met() -> None:
    """A meeting recorded before its anchor was recorded cannot be judged late: met."""
    tt = tt_for({"lpm_held": D, "initial_meeting": date(2026, 3, 20)}, date(2026, 3, 23))
    initial = get(tt, "initial_meeting")
    assert (initial.status, initial.waiting_for, initial.due) == (Status.MET, (), None)


# -- weeks and extension ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "week"),
    [
        (date(2026, 3, 3), None),  # before the clock starts
        (D, 1),  # day 0
        (date(2026, 3, 10), 1),  # day 6
        (date(2026, 3, 11), 2),  # day 7
        (date(2026, 4, 29), 9),  # day 56: "week 9 of 16"
        (date(2026, 6, 24), 17),  # the 16-week point is day 112, the first day of week 17
    ],
)
def test_weeks_of_an_episode(today: date, week: int | None) -> None:
    """timescales.md §1 "Weeks of an episode": day 0 is the clock start, in week 1."""
    tt = tt_for({"lpm_held": D}, today)
    assert (tt.week, tt.of_weeks) == (week, 16)


def test_extension_moves_the_end_and_the_week_count() -> None:
    tt = tt_for({"lpm_held": D}, D, extension_weeks=4)
    assert tt.of_weeks == 20 and tt.extension_weeks == 4
    assert tt.projected_end == date(2026, 7, 22)
    assert get(tt, "final_meeting").due == date(2026, 7, 15)
    assert get(tt, "gateway_review", 2).due == date(2026, 5, 27)  # week 12 does not move


@pytest.mark.parametrize("weeks", [-1, 5, 100])
def test_extension_out_of_bounds_is_rejected(weeks: int) -> None:
    with pytest.raises(ValueError, match="extension"):
        tt_for({"lpm_held": D}, D, extension_weeks=weeks)


def test_extension_must_be_whole_weeks() -> None:
    with pytest.raises(ValueError, match="whole number"):
        tt_for({"lpm_held": D}, D, extension_weeks=1.5)


# -- decision paths --------------------------------------------------------------------------------


def test_before_a_decision_only_the_lpm_milestones_show() -> None:
    tt = tt_for({"lpm_request": date(2026, 2, 2)}, date(2026, 2, 3), outcome=None)
    keys = {m.key for m in tt.milestones}
    # No head of service decision date: 002 states none until a deferral (§6b).
    assert keys == {
        "letter_to_legal",
        "lpm_held",
        "lpm_papers",
        "lpm_outcome_recorded",
        "lpm_minutes",
        "advice_to_head_of_service",  # 002 App. 2: the record of the advice, whatever the decision
    }
    assert tt.projected_end is None


def test_lpm_milestones_are_moot_once_the_lpm_is_held() -> None:
    events = {"lpm_request": date(2026, 2, 2), "lpm_deferred_until": date(2026, 2, 13), "lpm_held": D}
    tt = tt_for(events, date(2026, 3, 20))
    # Their dates passed unmet before the LPM was held: a miss stays a miss (issue 20 §4) ...
    assert get(tt, "lpm_papers").status is Status.MISSED
    assert get(tt, "letter_to_legal").status is Status.MISSED
    assert get(tt, "lpm_request_decision").status is Status.MISSED
    reason = get(tt, "lpm_papers").reason or ""
    assert "before the LPM / legal gateway panel held was recorded on 4 Mar 2026" in reason
    assert get(tt, "lpm_held").status is Status.MET
    # ... but an LPM held before the papers fell due overtook them: not applicable, and why.
    early = tt_for({"lpm_request": date(2026, 2, 2), "panel_date": date(2026, 3, 11), "lpm_held": D}, date(2026, 3, 20))
    papers = get(early, "lpm_papers")
    assert (papers.status, papers.reason) == (
        Status.NOT_APPLICABLE,
        "Not needed: the LPM / legal gateway panel held was recorded on 4 Mar 2026 before it was due",
    )


def test_decision_to_issue_at_the_lpm() -> None:
    """002 §9c: the LPM itself decided to issue, so issue_decision = lpm_held."""
    tt = tt_for({"lpm_held": D, "issue_decision": D}, D, outcome="issue")
    keys = [m.key for m in tt.milestones]
    assert "letter_before_proceedings" not in keys and "pre_proceedings_end" not in keys
    assert get(tt, "letter_of_issue").due == date(2026, 3, 5)
    assert get(tt, "proceedings_issued").due == date(2026, 3, 18)
    assert get(tt, "irh").waiting_for == ("proceedings_issued",)
    assert tt.projected_end is None


def test_decision_to_defer() -> None:
    tt = tt_for({"lpm_held": D}, D, outcome="defer")
    assert {m.key for m in tt.milestones} >= {"further_lpm", "revised_papers"}
    assert "letter_before_proceedings" not in {m.key for m in tt.milestones}


def test_no_further_action() -> None:
    tt = tt_for({"lpm_held": D}, D, outcome="nfa")
    assert {m.key for m in tt.milestones} == {
        "letter_to_legal",
        "lpm_held",
        "lpm_papers",
        "lpm_outcome_recorded",
        "lpm_minutes",
        "advice_to_head_of_service",  # 002 App. 2: the record of the advice, whatever the decision
    }


def test_recorded_dates_off_the_decision_path_show_as_not_applicable() -> None:
    tt = tt_for(
        {"lpm_held": D, "issue_decision": D, "letter_before_proceedings": date(2026, 3, 6)},
        D,
        outcome="issue",
    )
    letter = get(tt, "letter_before_proceedings")
    assert (letter.status, letter.met_on, letter.due) == (
        Status.NOT_APPLICABLE,
        date(2026, 3, 6),
        None,
    )


@pytest.mark.parametrize("outcome", ["issue", "step_down", "nfa"])
def test_after_pre_proceedings_end_unmet_milestones_are_not_applicable(outcome: str) -> None:
    """Step up to issue / step down at the week-12 review: what was not done is moot."""
    events: Events = {
        "lpm_held": D,
        "letter_before_proceedings": date(2026, 3, 10),
        "initial_meeting": date(2026, 3, 24),
        "gateway_review": [date(2026, 4, 29), date(2026, 5, 27)],
        "pre_proceedings_end": date(2026, 5, 27),
        # A decision to issue puts the episode on the issue path whatever else is recorded.
        "issue_decision": date(2026, 5, 27) if outcome == "issue" else None,
    }
    tt = tt_for(events, date(2026, 6, 3), outcome=outcome)
    assert get(tt, "letter_before_proceedings").status is Status.MET
    assert get(tt, "initial_meeting").status is Status.MET
    assert get(tt, "gateway_review", 2).status is Status.MET
    # The week-8 review passed unmet before the end: missed; the final meeting never fell due.
    assert get(tt, "review_meeting").status is Status.MISSED
    assert get(tt, "final_meeting").status is Status.NOT_APPLICABLE
    end = get(tt, "pre_proceedings_end")
    assert (end.status, end.due) == (Status.MET, date(2026, 6, 24))
    assert tt.projected_end == date(2026, 5, 27)
    # Minutes of meetings that were held are still owed after the end.
    assert get(tt, "approved_minutes", 2, of="gateway_review").status is Status.OVERDUE
    if outcome == "issue":
        assert get(tt, "letter_of_issue").due == date(2026, 5, 28)
        assert get(tt, "proceedings_issued").due == date(2026, 6, 10)
    else:
        assert tt.get("letter_of_issue") is None


def test_unknown_outcome_and_unknown_event_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown outcome 'start'"):
        tt_for({"lpm_held": D}, D, outcome="start")
    with pytest.raises(ValueError, match="unknown event 'letter_sent'"):
        tt_for({"lpm_held": D, "letter_sent": D}, D)
    assert OUTCOMES == ("initiate", "issue", "defer", "nfa", "step_down")


def test_canonical_keys_are_accepted_even_if_the_policy_does_not_use_them() -> None:
    tt = tt_for({"lpm_held": D, "cmh": date(2026, 9, 1), "review_meeting": None}, D, policy="sutton")
    assert tt.policy == "sutton"


# -- recurring reviews -----------------------------------------------------------------------------


def test_recurring_reviews_stop_at_the_end_of_the_episode() -> None:
    """004: every 4 weeks until the episode ends (standard policy)."""
    events = {"lpm_held": D, "initial_meeting": date(2026, 3, 18)}
    tt = tt_for(events, D, policy="standard")
    reviews = [m.due for m in tt.milestones if m.key == "review_meeting"]
    assert reviews == [date(2026, 4, 15), date(2026, 5, 13), date(2026, 6, 10)]
    assert all(r is not None and r <= date(2026, 6, 24) for r in reviews)


def test_recurring_reviews_extend_with_the_episode() -> None:
    events = {"lpm_held": D, "initial_meeting": date(2026, 3, 18)}
    tt = tt_for(events, D, policy="standard", extension_weeks=4)
    reviews = [m.due for m in tt.milestones if m.key == "review_meeting"]
    assert reviews[-1] == date(2026, 7, 8)
    assert len(reviews) == 4


def test_recurring_reviews_wait_with_the_initial_meeting() -> None:
    """standard: the initial meeting waits for the letter, so the reviews are provisional."""
    tt = tt_for({"lpm_held": D}, D, policy="standard")
    reviews = [m for m in tt.milestones if m.key == "review_meeting"]
    assert [m.provisional for m in reviews] == [
        date(2026, 4, 22),
        date(2026, 5, 20),
        date(2026, 6, 17),
    ]
    assert all(m.due is None and m.waiting_for == ("initial_meeting",) for m in reviews)


def test_every_held_review_is_kept_even_past_the_end() -> None:
    held = [date(2026, 4, 15), date(2026, 5, 13), date(2026, 6, 10), date(2026, 7, 8)]
    events: Events = {"lpm_held": D, "initial_meeting": date(2026, 3, 18), "review_meeting": held}
    tt = tt_for(events, date(2026, 7, 9), policy="standard")
    reviews = [m for m in tt.milestones if m.key == "review_meeting"]
    assert [m.met_on for m in reviews] == held
    assert [m.label for m in reviews][-1] == "Pre-proceedings review meeting 4"


def test_minutes_of_each_review_are_numbered() -> None:
    events: Events = {
        "lpm_held": D,
        "gateway_review": [date(2026, 4, 15), date(2026, 5, 13)],
        "approved_minutes:gateway_review": [date(2026, 4, 22)],  # due Tue 21 Apr
    }
    tt = tt_for(events, date(2026, 5, 14), policy="gloucestershire")
    first = get(tt, "approved_minutes", 1, of="gateway_review")
    second = get(tt, "approved_minutes", 2, of="gateway_review")
    assert (first.status, first.days_late) == (Status.MET_LATE, 1)
    assert second.label == "Minutes approved and circulated: legal gateway review / review LPM 2"
    assert (second.due, second.status) == (date(2026, 5, 19), Status.UPCOMING)
    assert second.ref == "approved_minutes:gateway_review#2"


# -- ordering and helpers --------------------------------------------------------------------------


def test_milestones_are_in_due_order_and_next_due_is_the_first_open_one() -> None:
    events = {"lpm_held": D, "letter_before_proceedings": date(2026, 3, 10)}
    tt = tt_for(events, date(2026, 3, 12))
    dated = [m.sort_date for m in tt.milestones if m.sort_date is not None]
    assert dated == sorted(dated)
    nxt = tt.next_due()
    assert nxt is not None and nxt.key == "lpm_outcome_recorded"  # overdue since 5 Mar
    # The record of the LPM's advice to the head of service was due Wed 11 Mar (+5 working days).
    assert [m.key for m in tt.overdue()] == ["lpm_outcome_recorded", "lpm_minutes", "advice_to_head_of_service"]
    assert all(m.is_open for m in tt.open())


def test_next_due_is_none_when_everything_is_done() -> None:
    done = {"lpm_outcome_recorded": D, "lpm_minutes": D, "advice_to_head_of_service": D}
    tt = tt_for({"lpm_held": D, **done}, D, outcome="nfa")
    assert tt.next_due() is None


def test_milestones_carry_source_role_and_labels_for_the_screen() -> None:
    letter = get(tt_for({"lpm_held": D}, D), "letter_before_proceedings")
    assert letter.source == "002 §9b ii"
    assert letter.responsible_role == "social_worker"
    assert letter.label == "Letter before proceedings delivered to parents"
    assert letter.record_key == "letter_before_proceedings"


def test_timetable_and_milestones_are_frozen() -> None:
    tt = tt_for({"lpm_held": D}, D)
    with pytest.raises(AttributeError):
        tt.week = 3  # type: ignore[misc]  # the point: a frozen dataclass refuses it
    with pytest.raises(AttributeError):
        tt.milestones[0].due = D  # type: ignore[misc]  # the point: a frozen dataclass refuses it
    assert (tt.policy, tt.policy_version) == ("gloucestershire", "2026.4")


def test_the_same_inputs_give_the_same_timetable() -> None:
    events: Events = {"lpm_held": D, "review_meeting": [date(2026, 4, 29)]}
    assert tt_for(events, D) == tt_for(events, D)


def test_closure_days_move_deadlines() -> None:
    closed = WorkingCalendar(closures=[date(2026, 3, 11)])
    tt = timetable(GLOS, {"lpm_held": D}, closed, D, outcome="initiate")
    assert get(tt, "letter_before_proceedings").due == date(2026, 3, 12)


def test_step_down_decided_but_end_not_yet_recorded_keeps_the_plan_visible() -> None:
    tt = tt_for({"lpm_held": D, "letter_before_proceedings": LETTER_DUE}, D, outcome="step_down")
    assert get(tt, "letter_before_proceedings").status is Status.MET
    assert get(tt, "pre_proceedings_end").status is Status.UPCOMING


def test_a_string_is_not_a_date() -> None:
    with pytest.raises(TypeError, match="expected a date"):
        tt_for({"lpm_held": "2026-03-04"}, D)  # type: ignore[dict-item]  # the wrong type on purpose
