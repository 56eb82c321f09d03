"""Issue #10: each changed or new rule against a hand count, across a bank-holiday boundary.

Every expected date below was counted by hand, day by day, from the source sentence (quoted in
the policy file and in docs/timescales-sources.md) and the counting rules of timescales.md §1:
"+N working days" is the Nth working day strictly after; "+N calendar days / weeks" rolls back
to the previous working day. England bank holidays used: 2026 Fri 3 Apr, Mon 6 Apr, Mon 4 May,
Mon 25 May, Mon 31 Aug, Fri 25 Dec, Mon 28 Dec (substitute); 2027 Fri 1 Jan, Fri 26 Mar,
Mon 29 Mar, Mon 3 May, Mon 30 Aug. No date here is copied from the engine's output.

docs/timescales-sources.md maps each source sentence to its policy key and to the test here that
pins it; test_sources_table.py checks that table against the policies and these tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import pytest

from deadlines.engine import Milestone, Status, Timetable, WorkingCalendar, load_policy, timetable

CAL = WorkingCalendar()
EARLY = date(2026, 1, 5)  # a "today" before every example, so nothing is overdue

Events = Mapping[str, date | Sequence[date] | None]


def tt(
    policy: str,
    events: Events,
    *,
    outcome: str | None = "initiate",
    today: date = EARLY,
    extension_weeks: int = 0,
    court_extension_weeks: int = 0,
    occurrences: Mapping[str, Mapping[int, date]] | None = None,
) -> Timetable:
    return timetable(
        load_policy(policy),
        events,
        CAL,
        today,
        outcome=outcome,
        extension_weeks=extension_weeks,
        court_extension_weeks=court_extension_weeks,
        occurrences=occurrences,
    )


def get(t: Timetable, key: str, occurrence: int = 1, of: str | None = None) -> Milestone:
    m = t.get(key, occurrence, of=of)
    assert m is not None, f"{key}#{occurrence} not in {[x.ref for x in t.milestones]}"
    return m


GLOS_LIKE = ["gloucestershire", "standard"]


# -- 1. The 26-week limit (Children Act 1989 s32(1)(a)(ii); 002 App. 3) -------------------------


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_s32_final_hearing_by_the_last_day_of_week_26(name: str) -> None:
    # Issued Tue 3 Mar 2026 = week 1, day 1. Week 26 ends Mon 31 Aug 2026 (3 Mar + 181 days), the
    # summer bank holiday, so the deadline rolls back over Sun 30 and Sat 29 to Fri 28 Aug.
    t = tt(name, {"issue_decision": date(2026, 2, 17), "proceedings_issued": date(2026, 3, 3)}, outcome="issue")
    assert get(t, "final_hearing").due == date(2026, 8, 28)
    assert t.court_limit == date(2026, 8, 31)
    # Issued Tue 30 Jun 2026: week 26 ends Mon 28 Dec (substitute Boxing Day); back over the
    # weekend and Christmas Day to Thu 24 Dec.
    t = tt(name, {"issue_decision": date(2026, 6, 16), "proceedings_issued": date(2026, 6, 30)}, outcome="issue")
    assert get(t, "final_hearing").due == date(2026, 12, 24)
    assert t.court_limit == date(2026, 12, 28)


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_app3_irh_by_the_end_of_week_20(name: str) -> None:
    # Issued Tue 6 Jan 2026: week 20 ends Mon 25 May 2026 (6 Jan + 139 days), the spring bank
    # holiday, so the IRH is due Fri 22 May.
    t = tt(name, {"issue_decision": date(2025, 12, 19), "proceedings_issued": date(2026, 1, 6)}, outcome="issue")
    assert get(t, "irh").due == date(2026, 5, 22)


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_app2_week_8_signed_agreement_within_a_week_over_christmas(name: str) -> None:
    # Review meeting Mon 21 Dec 2026: a week later is Mon 28 Dec, the Boxing Day substitute bank
    # holiday, so the signed agreement is due Thu 24 Dec (Fri 25 Dec is Christmas Day).
    events: Events = {
        "lpm_held": date(2026, 10, 29),
        "initial_meeting": date(2026, 11, 19),
        "review_meeting": [date(2026, 12, 21)],
    }
    assert get(tt(name, events, outcome="initiate"), "signed_agreement").due == date(2026, 12, 24)


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_app2_week_15_signed_agreement_within_five_working_days_over_christmas(name: str) -> None:
    # Final meeting Thu 24 Dec 2026: five working days skip 25 and 28 Dec and 1 Jan: 29, 30, 31 Dec,
    # 4, 5 Jan, so Tue 5 Jan 2027; attached on Wed 6 Jan it is one working day late.
    events = {"lpm_held": date(2026, 9, 10), "initial_meeting": date(2026, 10, 1), "final_meeting": date(2026, 12, 24)}
    assert get(tt(name, events, outcome="initiate"), "signed_agreement_final").due == date(2027, 1, 5)
    late = get(
        tt(name, {**events, "signed_agreement_final": date(2027, 1, 6)}, outcome="initiate"), "signed_agreement_final"
    )
    assert (late.status, late.days_late) == (Status.MET_LATE, 1)


@pytest.mark.parametrize("name", GLOS_LIKE)
@pytest.mark.parametrize("outcome", ["initiate", "issue", "defer", "nfa"])
def test_app2_record_of_the_lpm_advice_to_the_head_of_service_within_5_working_days_over_christmas(
    name: str, outcome: str
) -> None:
    # LPM Thu 24 Dec 2026, whatever it decided: Fri 25 Dec (Christmas Day), Sat 26, Sun 27, Mon 28 Dec
    # (Boxing Day's substitute) do not count; Tue 29 (1), Wed 30 (2), Thu 31 Dec (3); Fri 1 Jan 2027
    # (New Year's Day), Sat 2, Sun 3 do not count; Mon 4 (4), Tue 5 Jan (5): due Tue 5 Jan 2027.
    events = {"lpm_held": date(2026, 12, 24)}
    due = get(tt(name, events, outcome=outcome), "advice_to_head_of_service")
    assert (due.due, due.responsible_role) == (date(2027, 1, 5), "legal_adviser")
    sent = {**events, "advice_to_head_of_service": date(2027, 1, 5)}
    assert get(tt(name, sent, outcome=outcome), "advice_to_head_of_service").status is Status.MET
    late = get(
        tt(name, {**events, "advice_to_head_of_service": date(2027, 1, 6)}, outcome=outcome),
        "advice_to_head_of_service",
    )
    assert (late.status, late.days_late) == (Status.MET_LATE, 1)


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_app3_week_15_final_evidence_over_the_spring_bank_holiday(name: str) -> None:
    # Issued Tue 16 Feb 2027: week 15 ends Mon 31 May 2027 (16 Feb + 104 days), the spring bank
    # holiday, so the council's final evidence is due Fri 28 May; filed that day it is met.
    events = {"issue_decision": date(2027, 2, 1), "proceedings_issued": date(2027, 2, 16)}
    assert get(tt(name, events, outcome="issue"), "la_final_evidence").due == date(2027, 5, 28)
    met = get(tt(name, {**events, "la_final_evidence": date(2027, 5, 28)}, outcome="issue"), "la_final_evidence")
    assert met.status is Status.MET


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_app3_week_19_advocates_meeting_before_the_irh_over_the_summer_bank_holiday(name: str) -> None:
    # Issued Tue 20 Apr 2027: week 19 ends Mon 30 Aug 2027 (20 Apr + 132 days), the summer bank
    # holiday, so the advocates' meeting is due Fri 27 Aug, the week before the IRH (week 20).
    events = {"issue_decision": date(2027, 4, 6), "proceedings_issued": date(2027, 4, 20)}
    t = tt(name, events, outcome="issue")
    assert get(t, "irh_advocates_meeting").due == date(2027, 8, 27)
    assert get(t, "irh").due == date(2027, 9, 6)  # 20 Apr + 139 days, Mon 6 Sep


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_s32_5_court_extension_moves_the_final_hearing(name: str) -> None:
    events = {"issue_decision": date(2027, 1, 19), "proceedings_issued": date(2027, 2, 2)}
    # Issued Tue 2 Feb 2027: week 26 ends Mon 2 Aug 2027, a working day.
    assert get(tt(name, events, outcome="issue"), "final_hearing").due == date(2027, 8, 2)
    # The court extends by 4 weeks: the limit is Mon 30 Aug 2027, the summer bank holiday -> Fri 27 Aug.
    t = tt(name, events, outcome="issue", court_extension_weeks=4)
    assert get(t, "final_hearing").due == date(2027, 8, 27)
    assert (t.court_limit, t.court_of_weeks) == (date(2027, 8, 30), 30)


def test_s32_final_hearing_listed_past_week_26_is_flagged_until_extended() -> None:
    events = {
        "issue_decision": date(2026, 6, 16),
        "proceedings_issued": date(2026, 6, 30),
        "final_hearing_listed": date(2027, 1, 5),  # after Mon 28 Dec 2026, the last day of week 26
    }
    t = tt("gloucestershire", events, outcome="issue", today=date(2026, 11, 2))
    assert t.final_hearing_past_limit
    assert get(t, "final_hearing").due == date(2027, 1, 5)  # the listed date replaces the computed one
    # Week k of 26 on Mon 2 Nov 2026: 125 days after Tue 30 Jun, so week 18 (day 1 = week 1).
    assert (t.court_week, t.court_of_weeks) == (18, 26)
    # A 1-week extension moves the limit to Mon 4 Jan 2027: still short of Tue 5 Jan.
    assert tt("gloucestershire", events, outcome="issue", court_extension_weeks=1).final_hearing_past_limit
    ok = tt("gloucestershire", events, outcome="issue", court_extension_weeks=2)
    assert not ok.final_hearing_past_limit and ok.court_limit == date(2027, 1, 11)


# -- 2. Recorded hearings drive the court timeline (002 App. 3) ----------------------------------


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_app3_listed_cmh_replaces_day_18_and_moves_the_advocates_meeting(name: str) -> None:
    base = {"issue_decision": date(2026, 11, 30), "proceedings_issued": date(2026, 12, 14)}
    t = tt(name, base, outcome="issue")
    # Issued Mon 14 Dec 2026: day 18 is Thu 31 Dec; advocates 2 working days before: Tue 29 Dec
    # (Mon 28 Dec is the substitute bank holiday, but Wed 30 and Tue 29 are working days).
    assert get(t, "cmh").due == date(2026, 12, 31)
    assert get(t, "advocates_meeting").due == date(2026, 12, 29)
    # The court lists the CMH for Tue 5 Jan 2027: 2 working days before is Mon 4 Jan, then back
    # over New Year's Day (Fri 1 Jan) to Thu 31 Dec.
    t = tt(name, {**base, "cmh_listed": date(2027, 1, 5)}, outcome="issue")
    assert get(t, "cmh").due == date(2027, 1, 5)
    assert get(t, "advocates_meeting").due == date(2026, 12, 31)


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_app3_listed_irh_replaces_the_week_20_date(name: str) -> None:
    events = {"issue_decision": date(2025, 12, 19), "proceedings_issued": date(2026, 1, 6)}
    t = tt(name, {**events, "irh_listed": date(2026, 5, 26)}, outcome="issue")
    assert get(t, "irh").due == date(2026, 5, 26)


# -- 3. Issue decided at the first LPM, or at a review / care-planning LPM ------------------------


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_002_s9c_issue_outcome_without_a_decision_date_still_has_dates(name: str) -> None:
    # Decision to issue at the LPM on Thu 17 Dec 2026, no separate decision date recorded.
    t = tt(name, {"lpm_held": date(2026, 12, 17)}, outcome="issue")
    assert get(t, "letter_of_issue").due == date(2026, 12, 18)  # next working day
    assert get(t, "swet_to_legal").due == date(2026, 12, 24)  # Fri 18, Mon 21, Tue 22, Wed 23, Thu 24
    # +10: ... Thu 24 (5), Tue 29 (6), Wed 30 (7), Thu 31 (8), Mon 4 Jan (9), Tue 5 Jan (10).
    assert get(t, "proceedings_issued").due == date(2027, 1, 5)


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_app2_issue_decided_at_a_review_lpm_10_and_15_working_days(name: str) -> None:
    # Care-planning LPM Thu 11 Mar 2027 decides to issue: papers to legal within 10 working days
    # (Thu 25 Mar); issue within 15 (over Good Friday 26 Mar and Easter Monday 29 Mar: Mon 5 Apr).
    d = date(2027, 3, 11)
    events = {"lpm_held": date(2026, 12, 17), "issue_decision": d, "review_issue_decision": d}
    t = tt(name, events, outcome="issue")
    assert get(t, "swet_to_legal").due == date(2027, 3, 25)
    assert get(t, "proceedings_issued").due == date(2027, 4, 5)
    assert get(t, "proceedings_issued").rule == "proceedings_issued?review_issue_decision"
    # Decided Thu 18 Mar 2027: +10 crosses Easter to Mon 5 Apr; +15 is Mon 12 Apr.
    d = date(2027, 3, 18)
    t = tt(name, {"lpm_held": date(2026, 12, 17), "issue_decision": d, "review_issue_decision": d}, outcome="issue")
    assert get(t, "swet_to_legal").due == date(2027, 4, 5)
    assert get(t, "proceedings_issued").due == date(2027, 4, 12)


# -- 4. Rules no source states are gone --------------------------------------------------------------


@pytest.mark.parametrize("name", ["st_helens", "pre_action_flowchart"])
def test_004_000_no_maximum_extension(name: str) -> None:
    policy = load_policy(name)
    assert policy.max_extension_weeks is None
    # Panel agreement Fri 4 Sep 2026 + 16 weeks = Fri 25 Dec -> Thu 24 Dec; + 6 weeks agreed:
    # Fri 5 Feb 2027, a working day.
    events = {"lpm_held": date(2026, 9, 4)}
    assert get(tt(name, events), "pre_proceedings_end").due == date(2026, 12, 24)
    assert get(tt(name, events, extension_weeks=6), "pre_proceedings_end").due == date(2027, 2, 5)


def test_001_sutton_computes_no_lpm_date() -> None:
    assert tt("sutton", {"lpm_approved": date(2026, 12, 23)}, outcome=None).get("lpm_held") is None


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_002_s6b_no_decision_date_without_a_deferral_then_the_deferred_date(name: str) -> None:
    assert tt(name, {"lpm_request": date(2026, 12, 14)}, outcome=None).get("lpm_request_decision") is None
    # Deferred on Fri 18 Dec 2026 to Thu 31 Dec (within two weeks): the decision is due that day, and
    # the LPM within two weeks of it: Thu 14 Jan 2027 (provisional until the decision is recorded).
    events = {"lpm_request": date(2026, 12, 14), "lpm_deferred_until": date(2026, 12, 31)}
    t = tt(name, events, outcome=None)
    assert get(t, "lpm_request_decision").due == date(2026, 12, 31)
    assert get(t, "lpm_held").provisional == date(2027, 1, 14)


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_002_app2_no_4_day_minutes_for_pre_proceedings_meetings(name: str) -> None:
    events = {"lpm_held": date(2026, 12, 10), "letter_before_proceedings": date(2026, 12, 17)}
    t = tt(name, {**events, "initial_meeting": date(2027, 1, 5)})
    assert t.get("approved_minutes", of="initial_meeting") is None


# -- 5. Rules the sources state ------------------------------------------------------------------


def test_002_app2_week_13_review_meeting() -> None:
    # LPM Mon 2 Feb 2026 + 13 weeks = Mon 4 May 2026, the early May bank holiday -> Fri 1 May.
    assert get(tt("gloucestershire", {"lpm_held": date(2026, 2, 2)}), "review_meeting", 2).due == date(2026, 5, 1)


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_002_app2_week_14_lpm_if_required(name: str) -> None:
    # LPM Mon 16 Feb 2026 + 14 weeks = Mon 25 May 2026, the spring bank holiday -> Fri 22 May.
    m = get(tt(name, {"lpm_held": date(2026, 2, 16)}), "gateway_review", 3)
    assert (m.due, m.optional) == (date(2026, 5, 22), True)
    # "If required": not held by then, it lapses instead of going overdue.
    late = get(tt(name, {"lpm_held": date(2026, 2, 16)}, today=date(2026, 5, 26)), "gateway_review", 3)
    assert late.status is Status.NOT_APPLICABLE


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_002_app1_review_lpm_by_week_20(name: str) -> None:
    # LPM Mon 13 Apr 2026 + 20 weeks = Mon 31 Aug 2026, the summer bank holiday -> Fri 28 Aug.
    assert get(tt(name, {"lpm_held": date(2026, 4, 13)}), "gateway_review", 4).due == date(2026, 8, 28)


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_002_app2_draft_letter_to_legal_the_day_before_the_lpm(name: str) -> None:
    # Panel Tue 7 Apr 2026: the day before is Easter Monday; back over the weekend and Good Friday
    # to Thu 2 Apr.
    assert get(tt(name, {"panel_date": date(2026, 4, 7)}, outcome=None), "letter_to_legal").due == date(2026, 4, 2)
    # Panel Tue 29 Dec 2026: Mon 28 (substitute), weekend, Fri 25 Dec -> Thu 24 Dec.
    assert get(tt(name, {"panel_date": date(2026, 12, 29)}, outcome=None), "letter_to_legal").due == date(2026, 12, 24)


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_002_app2_proposed_agreement_2_working_days_before_the_initial_meeting(name: str) -> None:
    # LPM Thu 10 Dec 2026, letter delivered Thu 17 Dec: initial meeting due Tue 5 Jan 2027 (10
    # working days over Christmas and New Year); the proposed agreement 2 working days before:
    # Mon 4 Jan, then back over Fri 1 Jan to Thu 31 Dec 2026.
    t = tt(name, {"lpm_held": date(2026, 12, 10), "letter_before_proceedings": date(2026, 12, 17)})
    assert get(t, "initial_meeting").due == date(2027, 1, 5)
    assert get(t, "proposed_agreement_to_legal").due == date(2026, 12, 31)


def test_004_third_gateway_review_within_the_16_weeks() -> None:
    # Panel agreement Fri 4 Sep 2026 + 16 weeks = Fri 25 Dec 2026 -> Thu 24 Dec.
    assert get(tt("st_helens", {"lpm_held": date(2026, 9, 4)}), "gateway_review", 3).due == date(2026, 12, 24)


def test_000_exit_letter_within_5_days_of_the_final_meeting() -> None:
    # Final pre-action meeting Mon 21 Dec 2026, family steps down: Tue 22, Wed 23, Thu 24, then
    # Tue 29, Wed 30 Dec (Christmas Day and the substitute Boxing Day do not count).
    events = {"lpm_held": date(2026, 8, 31), "final_meeting": date(2026, 12, 21)}
    assert get(tt("pre_action_flowchart", events, outcome="step_down"), "exit_letter").due == date(2026, 12, 30)
    # Not on the step-down path: no exit letter.
    assert tt("pre_action_flowchart", events).get("exit_letter") is None


def test_004_escalations_to_the_assistant_director() -> None:
    policy = load_policy("st_helens")
    overrun, repeat = policy.escalation("overrun"), policy.escalation("repeat_episode")
    assert overrun is not None and "assistant_director" in overrun.to
    assert repeat is not None and repeat.to == ("assistant_director",)
    assert "Assistant Director" in overrun.quote and "second time" in repeat.quote
    assert load_policy("gloucestershire").escalation("repeat_episode") is None  # 002 has no such rule


@pytest.mark.parametrize("name", GLOS_LIKE)
def test_review_lpms_meet_the_review_point_they_were_held_for_not_the_next_in_date_order(name: str) -> None:
    # LPM Fri 18 Dec 2026. Week 8: Fri 12 Feb 2027; week 12: Fri 12 Mar. Week 14 falls on Good Friday,
    # Fri 26 Mar 2027, so the optional week-14 LPM is due Thu 25 Mar. Week 20: Fri 7 May 2027.
    # The week-14 LPM is skipped; the week-20 review LPM is held on Thu 6 May.
    held = [date(2027, 2, 11), date(2027, 3, 11), date(2027, 5, 6)]
    events: Events = {"lpm_held": date(2026, 12, 18), "gateway_review": held}
    points = {"gateway_review": {1: held[0], 2: held[1], 4: held[2]}}
    t = tt(name, events, today=date(2027, 5, 10), extension_weeks=4, occurrences=points)
    seen = [(m.due, m.met_on, m.status) for m in (get(t, "gateway_review", n) for n in (1, 2, 3, 4))]
    assert seen == [
        (date(2027, 2, 12), date(2027, 2, 11), Status.MET),
        (date(2027, 3, 12), date(2027, 3, 11), Status.MET),
        (date(2027, 3, 25), None, Status.NOT_APPLICABLE),  # held only if required: it lapsed
        (date(2027, 5, 7), date(2027, 5, 6), Status.MET),
    ]
    # The minutes are owed for each of the three meetings held, whichever point they were for.
    assert [m.due for m in t.milestones if m.key == "approved_minutes"] == [
        date(2027, 2, 17), date(2027, 3, 17), date(2027, 5, 12)
    ]  # fmt: skip
    # Matched in date order instead, the week-20 LPM would count as the week-14 one, met late, and
    # the week-20 review would show overdue: the miscount the review points prevent.
    by_order = tt(name, events, today=date(2027, 5, 10), extension_weeks=4)
    assert get(by_order, "gateway_review", 3).status is Status.MET_LATE
    assert get(by_order, "gateway_review", 4).status is Status.OVERDUE
    # Not held at all: the week-20 review is required (unlike week 14), so it goes overdue, not
    # lapsed: on Mon 10 May it is 1 working day late.
    early = tt(name, {**events, "gateway_review": held[:2]}, today=date(2027, 5, 10), extension_weeks=4,
               occurrences={"gateway_review": {1: held[0], 2: held[1]}})  # fmt: skip
    missed = get(early, "gateway_review", 4)
    assert (missed.status, missed.days_late) == (Status.OVERDUE, 1)


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ({4: date(2027, 2, 11), 2: date(2027, 3, 11)}, "cannot be held before the care planning LPM \\(week 12\\)"),
        ({1: date(2027, 2, 12)}, "2027-02-12 is not a recorded date of gateway_review"),
    ],
)
def test_review_points_out_of_order_or_not_held_are_refused(points: Mapping[int, date], message: str) -> None:
    events: Events = {"lpm_held": date(2026, 12, 18), "gateway_review": [date(2027, 2, 11), date(2027, 3, 11)]}
    with pytest.raises(ValueError, match=message):
        tt("gloucestershire", events, occurrences={"gateway_review": points})


# -- 6. Nothing silently goes quiet ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ({"lpm_held": date(2026, 12, 17), "letter_before_proceedings": date(2026, 12, 16)}, "before the LPM"),
        ({"lpm_held": date(2026, 12, 17), "initial_meeting": date(2026, 12, 16)}, "initial meeting cannot be held"),
        (
            {
                "lpm_held": date(2026, 12, 1),
                "initial_meeting": date(2026, 12, 17),
                "review_meeting": [date(2026, 12, 16)],
            },
            "review meeting cannot be held before the initial meeting",
        ),
        ({"lpm_held": [date(2026, 12, 17), date(2026, 12, 18)]}, "lpm_held is given more than once"),
        (
            {"lpm_held": date(2026, 12, 17), "proposed_agreement_to_legal": date(2026, 12, 16)},
            "proposed agreement cannot be sent to legal before the LPM",
        ),
        (
            {
                "lpm_held": date(2026, 12, 17),
                "proposed_agreement_to_legal": date(2027, 1, 5),
                "initial_meeting": date(2027, 1, 4),
            },
            "goes to legal for comment before the initial meeting, not after it",
        ),
        (
            {"lpm_held": date(2026, 12, 17), "gateway_review": [date(2026, 12, 16)]},
            "review LPM cannot be held before the LPM",
        ),
        ({"lpm_held": date(1, 1, 1)}, "use a date from 1900 to 2099"),
        ({"lpm_held": date(9999, 12, 31)}, "use a date from 1900 to 2099"),
    ],
)
def test_events_out_of_order_twice_or_out_of_range_are_refused(events: Events, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tt("gloucestershire", events)


def test_met_late_or_overdue_is_never_0_days_late() -> None:
    # LPM Thu 17 Dec 2026: letter due Thu 24 Dec. Delivered on Christmas Day (not a working day):
    # late, by less than a working day, shown as 1 day late, never 0.
    events = {"lpm_held": date(2026, 12, 17), "letter_before_proceedings": date(2026, 12, 25)}
    m = get(tt("gloucestershire", events, today=date(2026, 12, 29)), "letter_before_proceedings")
    assert (m.status, m.days_late) == (Status.MET_LATE, 1)
    # Not delivered, and today is Sat 26 Dec: overdue by 1, not 0.
    t = tt("gloucestershire", {"lpm_held": date(2026, 12, 17)}, today=date(2026, 12, 26))
    m = get(t, "letter_before_proceedings")
    assert (m.status, m.days_late) == (Status.OVERDUE, 1)
