"""Invariants of every timetable, proved by hypothesis over all five policies (issue 20 §3).

Each example is one episode's story: the events a policy knows, recorded in an order that can
happen (the LPM request before the LPM, the decision to issue before the issue, hearings after
it), any subset of them, any decision path, any day to look at it. The invariants:

* no due date precedes the recorded event it counts from (docs/timescales.md §4);
* a deadline that was overdue or missed never turns "not applicable", as days pass or as later
  events are recorded (a miss stays a miss);
* once proceedings are issued, the statutory final hearing (Children Act 1989 s32) is there,
  under every policy and every decision path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deadlines.engine import OUTCOMES, Policy, Status, WorkingCalendar, available_policies, load_policy, timetable
from deadlines.engine.timetable import Milestone, Timetable

CAL = WorkingCalendar(closures=(dt.date(2026, 12, 29), dt.date(2027, 12, 29)))
POLICIES = available_policies()
#: The order events can happen in, earliest first (the engine refuses other orders).
STORY = (
    "lpm_request",
    "lpm_deferred_until",
    "lpm_request_decision",
    "lpm_approved",
    "panel_date",
    "lpm_papers",
    "letter_to_legal",
    "letter_back_from_legal",
    "lpm_held",
    "lpm_outcome_recorded",
    "lpm_minutes",
    "letter_deadline",
    "letter_before_proceedings",
    "proposed_agreement_to_legal",
    "initial_meeting",
    "review_meeting",
    "gateway_review",
    "further_lpm",
    "revised_papers",
    "signed_agreement",
    "final_meeting",
    "signed_agreement_final",
    "pre_proceedings_end",
    "exit_letter",
    "review_issue_decision",
    "issue_decision",
    "letter_of_issue",
    "swet_to_legal",
    "proceedings_issued",
    "cmh_listed",
    "cmh",
    "advocates_meeting",
    "la_final_evidence",
    "irh_advocates_meeting",
    "irh_listed",
    "irh",
    "final_hearing_listed",
    "final_hearing",
)
#: Repeated events (a list of dates); the rest happen once.
REPEATED = frozenset({"review_meeting", "gateway_review"})
#: Events that make the episode take the issue path whatever the first outcome was.
ISSUE_EVENTS = ("review_issue_decision", "issue_decision", "proceedings_issued")
NOT_MET = frozenset({Status.OVERDUE, Status.MISSED})
# Fast enough for `make test`: each property runs in a few seconds per policy.
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Replaying a story event by event costs two timetables per event.
REPLAY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Events = dict[str, dt.date | list[dt.date]]


@st.composite
def stories(draw: st.DrawFn, policy_name: str) -> tuple[list[tuple[str, dt.date]], str | None, int]:
    """Recorded events in date order (key, date), a decision path and the court's extension."""
    keys = [k for k in STORY if k in load_policy(policy_name).event_keys]
    day = draw(st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2028, 6, 30)))
    story: list[tuple[str, dt.date]] = []
    for key in keys:
        times = draw(st.integers(min_value=0, max_value=3 if key in REPEATED else 1))
        for _ in range(times):
            day += dt.timedelta(days=draw(st.integers(min_value=0, max_value=40)))
            story.append((key, day))
    outcome = draw(st.sampled_from((None, *OUTCOMES)))
    court_extension = draw(st.integers(min_value=0, max_value=16))
    return story, outcome, court_extension


def as_events(story: Sequence[tuple[str, dt.date]]) -> Events:
    events: Events = {}
    for key, day in story:
        if key in REPEATED:
            dates = events.setdefault(key, [])
            assert isinstance(dates, list)
            dates.append(day)
        else:
            events[key] = day
    return events


def compute(policy_name: str, story: Sequence[tuple[str, dt.date]], outcome: str | None, ext: int, today: dt.date):
    return timetable(load_policy(policy_name), as_events(story), CAL, today, outcome=outcome, court_extension_weeks=ext)


def by_ref(tt: Timetable) -> dict[str, Milestone]:
    return {m.ref: m for m in tt.milestones}


def counted_from(policy: Policy, ident: str) -> set[str]:
    """Every event a rule's date depends on: its anchors, caps, variants, listing and, through any anchor
    that is itself a milestone, what that one counts from (a recurring rule, also its own key)."""
    out: set[str] = set()
    todo = [policy.rule_by_ident(ident)]
    while todo:
        rule = todo.pop()
        if rule is None:
            continue
        keys = {*rule.anchor, *rule.for_each, *rule.requires, *rule.excluded_by}
        keys |= {o.anchor for o in (rule.not_after, rule.not_before) if o is not None}
        if rule.recurring:
            keys.add(rule.key)
        if rule.listed:
            keys.add(rule.listed)  # the date the court listed replaces the worked-out one
        for key in keys - out:
            out.add(key)
            todo.extend(policy.rules_for(key))
    return out


def first_recorded(story: Sequence[tuple[str, dt.date]], key: str) -> dt.date | None:
    return next((day for k, day in story if k == key), None)


@pytest.mark.parametrize("policy_name", POLICIES)
@PROPS
@given(data=st.data())
def test_no_due_date_precedes_the_recorded_event_it_counts_from(policy_name: str, data: st.DataObject) -> None:
    story, outcome, ext = data.draw(stories(policy_name))
    today = data.draw(st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 12, 31)))
    policy = load_policy(policy_name)
    tt = compute(policy_name, story, outcome, ext, today)
    events = as_events(story)
    for m in tt.milestones:
        rule = policy.rule_by_ident(m.rule)
        assert rule is not None
        if m.due is None or rule.amount < 0 or (rule.listed and rule.listed in events):
            continue  # waiting, due before its anchor by design ("2 days before the CMH"), or listed by the court
        if rule.for_each:
            held = events.get(m.of or "")
            held_on = held[m.occurrence - 1] if isinstance(held, list) else held
            assert held_on is not None and m.due >= held_on, (m, held_on)
            continue
        if rule.recurring and m.occurrence > 1:
            continue  # counts from the previous meeting (checked as that meeting's anchor)
        anchor_on = next((d for a in rule.anchor if (d := first_recorded(story, a)) is not None), None)
        if anchor_on is not None:
            assert m.due >= anchor_on, f"{m.label} due {m.due} before {rule.anchor} recorded {anchor_on}"


@pytest.mark.parametrize("policy_name", POLICIES)
@PROPS
@given(data=st.data())
def test_an_overdue_or_missed_deadline_never_turns_not_applicable_as_days_pass(
    policy_name: str, data: st.DataObject
) -> None:
    story, outcome, ext = data.draw(stories(policy_name))
    first = data.draw(st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 12, 31)))
    later = first + dt.timedelta(days=data.draw(st.integers(min_value=1, max_value=400)))
    before = by_ref(compute(policy_name, story, outcome, ext, first))
    after = by_ref(compute(policy_name, story, outcome, ext, later))
    for ref, m in before.items():
        if m.status in NOT_MET:
            assert ref in after and after[ref].status in NOT_MET, (m, after.get(ref))


@pytest.mark.parametrize("policy_name", POLICIES)
@REPLAY
@given(data=st.data())
def test_recording_a_later_event_never_makes_an_earlier_miss_disappear(policy_name: str, data: st.DataObject) -> None:
    """Record the story's events one by one, each on the day it happened: a deadline already
    overdue or missed that day stays not met (or is met late, if the event is that step), unless
    the new event moved its due date (a date counted from the event itself)."""
    story, outcome, ext = data.draw(stories(policy_name))
    policy = load_policy(policy_name)
    for k in range(len(story)):
        key, today = story[k]
        before = by_ref(compute(policy_name, story[:k], outcome, ext, today))
        after = by_ref(compute(policy_name, story[: k + 1], outcome, ext, today))
        for ref, m in before.items():
            if m.status not in NOT_MET or m.due is None or m.due >= today:
                continue
            now = after.get(ref)
            if now is None or now.due != m.due:
                # Only counting afresh from the event just recorded may move or drop a date (review
                # meetings re-based on the initial meeting held late): a new date, not a forgiven miss.
                assert key in counted_from(policy, m.rule), (
                    f"{m.label} ({m.status}) vanished or moved when {key} was recorded on {today}"
                )
                continue
            assert now.status in NOT_MET | {Status.MET_LATE}, (
                f"{m.label} was {m.status} on {today}; recording {key} made it {now.status}"
            )


@pytest.mark.parametrize("policy_name", POLICIES)
@PROPS
@given(data=st.data())
def test_every_statutory_court_date_exists_once_proceedings_are_issued(policy_name: str, data: st.DataObject) -> None:
    story, outcome, ext = data.draw(stories(policy_name))
    issued = data.draw(st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2029, 12, 31)))
    story = [(k, d) for k, d in story if k not in ("proceedings_issued", "final_hearing_listed", "final_hearing")]
    story = [(k, d) for k, d in story if d <= issued] + [("proceedings_issued", issued)]
    today = issued + dt.timedelta(days=data.draw(st.integers(min_value=0, max_value=300)))
    tt = compute(policy_name, story, outcome, ext, today)
    final = tt.get("final_hearing")
    assert final is not None, f"{policy_name}: no final hearing after issue on {issued} (outcome {outcome})"
    last_day = issued + dt.timedelta(days=181 + 7 * ext)
    assert tt.court_limit == last_day
    assert final.due == CAL.roll_back(last_day)
    assert final.status is not Status.NOT_APPLICABLE
    assert tt.court_week == (today - issued).days // 7 + 1
    assert tt.court_of_weeks == 26 + ext
