""" "Why this date" shows the working: what it counted from, the days it skipped, by name (issue 20 §6)."""

from __future__ import annotations

import datetime as dt

import pytest

from deadlines.engine import WorkingCalendar, available_policies, load_policy, timetable
from deadlines.explain import ALTERNATIVES, MOOT_CLAUSES, rule_for, rule_in_words, working_for

D = dt.date
CLOSURE = D(2026, 12, 29)
NAMES = {CLOSURE: "Christmas closure, a council closure day"}
CALENDAR = WorkingCalendar(closures=[CLOSURE])


def _working(policy_name: str, key: str, events: dict):
    policy = load_policy(policy_name)
    tt = timetable(policy, events, CALENDAR, D(2026, 12, 14), outcome="initiate")
    m = tt.get(key)
    assert m is not None
    rule = rule_for(policy, key, 1, m.rule)
    assert rule is not None
    working = working_for(
        policy=policy,
        rule=rule,
        key=key,
        occurrence=1,
        due=m.due,
        events=events,
        due_dates={},
        calendar=CALENDAR,
        day_names=NAMES,
    )
    assert working is not None
    return m, working


EVENTS = {
    "lpm_request": D(2026, 11, 20),
    "lpm_approved": D(2026, 11, 23),
    "lpm_request_decision": D(2026, 11, 23),
    "lpm_held": D(2026, 12, 4),
    "letter_before_proceedings": D(2026, 12, 11),
}


def test_the_initial_meeting_moved_by_a_closure_day_and_two_bank_holidays_says_which_days():
    m, working = _working("gloucestershire", "initial_meeting", EVENTS)
    # 10 working days after Fri 11 Dec: Christmas Day, Boxing Day (observed) and the closure pass.
    assert m.due == D(2026, 12, 30)
    assert working.counted_from == "Letter before proceedings delivered to parents"
    assert working.counted_from_on == D(2026, 12, 11)
    assert working.skipped_words == (
        "Fri 25 Dec 2026 (Christmas Day, a bank holiday), Mon 28 Dec 2026 (Boxing Day (observed), a bank holiday), "
        "Tue 29 Dec 2026 (Christmas closure, a council closure day) and 3 weekends"
    )


def test_a_count_in_weeks_that_lands_on_a_bank_holiday_says_it_moved_to_the_day_before():
    events = {**EVENTS, "lpm_held": D(2026, 10, 30)}  # 8 weeks later is Fri 25 Dec
    m, working = _working("gloucestershire", "gateway_review", events)
    assert m.due == D(2026, 12, 24)
    assert working.counted_from == "LPM / legal gateway panel held"
    assert [s.day for s in working.skipped] == [D(2026, 12, 25)]
    assert "Fri 25 Dec 2026 is not a working day, so the deadline is the working day before it" in working.moved


def test_a_count_from_a_step_not_yet_recorded_says_it_counted_from_its_due_date():
    policy = load_policy("gloucestershire")
    rule = rule_for(policy, "initial_meeting", 1)
    assert rule is not None
    working = working_for(
        policy=policy,
        rule=rule,
        key="initial_meeting",
        occurrence=1,
        due=D(2026, 12, 30),
        events={},
        due_dates={"letter_before_proceedings": D(2026, 12, 11)},
        calendar=CALENDAR,
        day_names=NAMES,
    )
    assert working is not None
    assert working.from_due_date and working.counted_from_on == D(2026, 12, 11)


@pytest.mark.parametrize("name", available_policies())
def test_every_rule_reads_as_a_sentence_with_no_labels_joined_by_a_machine(name):
    policy = load_policy(name)
    for rule in policy.rules:
        text = rule_in_words(policy, rule)
        assert "_" not in text, text
        for keys in (rule.anchor, rule.moot_after, rule.requires):
            if len(keys) > 1 and keys is rule.anchor:
                assert frozenset(keys) in ALTERNATIVES, f"{name} {rule.key}: write a phrase for {keys}"
            if len(keys) > 1 and keys is not rule.anchor:
                assert frozenset(keys) in MOOT_CLAUSES, f"{name} {rule.key}: write a clause for {keys}"
        assert " and the " not in text.replace("the head of service", ""), text


def test_the_deferred_decision_and_the_head_of_service_decision_read_as_people_say_them():
    policy = load_policy("gloucestershire")
    held = rule_for(policy, "lpm_held", 1)
    assert held is not None
    assert rule_in_words(policy, held) == ("2 weeks after the head of service's decision on the LPM request.")
    deferred = next(r for r in policy.rules if r.key == "lpm_request_decision")
    assert rule_in_words(policy, deferred).startswith("On the date the head of service deferred the decision to;")
