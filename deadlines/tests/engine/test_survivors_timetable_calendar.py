"""Corners of the deadline engine that a full mutation run left untested (docs/testing.md,
"Mutation testing"): which recorded meeting meets which numbered review, review meetings due on
the very day pre-proceedings end, steps overtaken by a decision to issue, floors, panel days of a
listed hearing, court extensions counted in weeks, minutes labels, and how far the working-day
calendar's table reaches (its first and last supported year, growth past closures)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from deadlines.engine import Milestone, Status, Timetable, WorkingCalendar, load_policy, timetable

CAL = WorkingCalendar()
STD = load_policy("standard")
GLOS = load_policy("gloucestershire")
D = date(2026, 3, 4)  # Wednesday: the LPM decides to initiate pre-proceedings
INITIAL = date(2026, 3, 25)  # Wednesday: the initial meeting
END_DUE = date(2026, 6, 24)  # D + 16 weeks, a Wednesday

Events = Mapping[str, date | Sequence[date] | None]


def std(events: Events, today: date, **kw: Any) -> Timetable:
    kw.setdefault("outcome", "initiate")
    return timetable(STD, events, CAL, today, **kw)


def get(tt: Timetable, key: str, occurrence: int = 1, of: str | None = None) -> Milestone:
    m = tt.get(key, occurrence, of=of)
    assert m is not None, f"{key} #{occurrence} not in {[x.ref for x in tt.milestones]}"
    return m


# -- which recorded review meets which numbered review (occurrences) ------------------------------

REVIEWS = [date(2026, 4, 15), date(2026, 5, 13)]


def glos_pinned(occurrences: Mapping[str, Mapping[int, date]], events: Events | None = None) -> Timetable:
    return timetable(
        GLOS,
        events if events is not None else {"lpm_held": D, "gateway_review": REVIEWS},
        CAL,
        date(2026, 6, 1),
        outcome="initiate",
        occurrences=occurrences,
    )


def test_pinning_a_meeting_that_has_no_numbered_rules_is_refused() -> None:
    # Review meetings recur: there is no "review meeting 2" rule to pin a date to.
    events: Events = {"lpm_held": D, "initial_meeting": INITIAL, "review_meeting": [date(2026, 4, 22)]}
    with pytest.raises(
        ValueError, match=r"^occurrences: policy 'standard' has no numbered rules for 'review_meeting'$"
    ):
        timetable(
            STD,
            events,
            CAL,
            date(2026, 5, 1),
            outcome="initiate",
            occurrences={"review_meeting": {1: date(2026, 4, 22)}},
        )


def test_pinning_a_review_that_was_never_recorded_names_the_date() -> None:
    with pytest.raises(
        ValueError, match=r"^occurrences of gateway_review: 2026-04-15 is not a recorded date of gateway_review$"
    ):
        glos_pinned({"gateway_review": {1: date(2026, 4, 15)}}, {"lpm_held": D})


def test_review_number_0_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^occurrences of gateway_review: 0 is not a number from 1$"):
        glos_pinned({"gateway_review": {0: REVIEWS[0]}})


def test_a_pinned_date_outside_the_calendar_names_the_event() -> None:
    with pytest.raises(ValueError, match=r"^gateway_review: 1899-12-31 is not a date the calendar covers"):
        glos_pinned({"gateway_review": {1: date(1899, 12, 31)}})


def test_one_review_lpm_may_meet_two_review_points_held_the_same_day() -> None:
    tt = glos_pinned({"gateway_review": {1: REVIEWS[1], 2: REVIEWS[1]}})
    assert get(tt, "gateway_review", 1).met_on == date(2026, 5, 13)
    assert get(tt, "gateway_review", 2).met_on == date(2026, 5, 13)
    assert get(tt, "gateway_review", 2).status is Status.MET


def test_a_later_review_pinned_before_an_earlier_one_names_both_reviews() -> None:
    with pytest.raises(ValueError) as err:
        glos_pinned({"gateway_review": {1: REVIEWS[1], 2: REVIEWS[0]}})
    assert str(err.value) == (
        "gateway_review 2 (2026-04-15) is before gateway_review 1 (2026-05-13): "
        "the care planning LPM (week 12) cannot be held before the care planning LPM (week 7/8)"
    )


def test_extra_reviews_beyond_the_numbered_rules_are_named_by_number() -> None:
    with pytest.raises(ValueError) as err:
        glos_pinned({"gateway_review": {5: REVIEWS[1], 6: REVIEWS[0]}})
    assert str(err.value) == (
        "gateway_review 6 (2026-04-15) is before gateway_review 5 (2026-05-13): "
        "the gateway_review 6 cannot be held before the gateway_review 5"
    )


# -- arguments ------------------------------------------------------------------------------------


def test_a_negative_court_extension_is_refused() -> None:
    with pytest.raises(ValueError, match="^court_extension_weeks must be a whole number of weeks >= 0, not -1$"):
        std({"lpm_held": D}, date(2026, 3, 5), court_extension_weeks=-1)


def test_the_last_day_of_the_last_supported_year_is_a_valid_today() -> None:
    cal = WorkingCalendar(years=(2098, 2100))
    tt = timetable(STD, {}, cal, date(2099, 12, 31), outcome="initiate")
    assert tt.today == date(2099, 12, 31)
    assert tt.week is None


# -- recurring review meetings --------------------------------------------------------------------


def test_reviews_every_4_weeks_with_the_signed_agreement_a_week_after_the_first() -> None:
    tt = std({"lpm_held": D, "initial_meeting": INITIAL}, date(2026, 3, 26))
    assert [get(tt, "review_meeting", n).due for n in (1, 2, 3)] == [
        date(2026, 4, 22),
        date(2026, 5, 20),
        date(2026, 6, 17),
    ]
    assert tt.get("review_meeting", 4) is None  # 15 Jul is after the end (24 Jun)
    # Counts from the first review meeting, not a later one.
    agreement = get(tt, "signed_agreement")
    assert (agreement.provisional, agreement.waiting_for) == (date(2026, 4, 29), ("review_meeting",))


def test_before_anything_is_recorded_the_first_review_is_listed_waiting_for_the_initial_meeting() -> None:
    tt = std({}, date(2026, 3, 26))
    first = get(tt, "review_meeting", 1)
    assert (first.due, first.provisional, first.waiting_for, first.status) == (
        None,
        None,
        ("initial_meeting",),
        Status.UPCOMING,
    )
    assert tt.get("review_meeting", 2) is None


def test_provisional_reviews_run_up_to_the_provisional_end() -> None:
    # LPM approved Wed 4 Mar: held by 18 Mar, so pre-proceedings provisionally end 8 Jul.
    tt = std({"lpm_approved": D}, date(2026, 3, 5))
    assert get(tt, "pre_proceedings_end").provisional == date(2026, 7, 8)
    assert [get(tt, "review_meeting", n).provisional for n in (1, 2, 3)] == [
        date(2026, 5, 8),
        date(2026, 6, 5),
        date(2026, 7, 3),
    ]
    assert tt.get("review_meeting", 4) is None


def test_a_review_due_on_the_day_pre_proceedings_end_is_still_listed() -> None:
    # The second review was held on 27 May, so the third is due 24 Jun, the very day they end.
    events: Events = {
        "lpm_held": D,
        "initial_meeting": INITIAL,
        "review_meeting": [date(2026, 4, 22), date(2026, 5, 27)],
    }
    tt = std(events, date(2026, 5, 28))
    assert get(tt, "pre_proceedings_end").due == END_DUE
    third = get(tt, "review_meeting", 3)
    assert (third.due, third.status) == (END_DUE, Status.UPCOMING)
    assert tt.get("review_meeting", 4) is None


def test_a_hundred_weekly_reviews_are_all_listed() -> None:
    held = [date(2026, 4, 1) + timedelta(weeks=k) for k in range(100)]
    tt = std({"lpm_held": D, "initial_meeting": INITIAL, "review_meeting": held}, date(2028, 3, 1))
    last = get(tt, "review_meeting", 100)
    assert (last.label, last.met_on, last.status) == (
        "Pre-proceedings review meeting 100",
        date(2028, 2, 23),
        Status.MET,
    )


def test_reviews_not_held_when_pre_proceedings_ended_early_are_not_needed() -> None:
    tt = std({"lpm_held": D, "pre_proceedings_end": date(2026, 3, 12)}, date(2026, 5, 28))
    review = get(tt, "review_meeting")
    assert (review.status, review.days_late, review.reason) == (
        Status.NOT_APPLICABLE,
        0,
        "Not needed: pre-proceedings ended on 12 Mar 2026 before it was due",
    )
    # The letter was due Wed 11 Mar: one working day late when pre-proceedings ended on Thu 12 Mar.
    letter = get(tt, "letter_before_proceedings")
    assert (letter.due, letter.status, letter.days_late) == (date(2026, 3, 11), Status.MISSED, 1)
    # Not yet due when they ended: not applicable, and not late at all.
    initial = get(tt, "initial_meeting")
    assert (initial.status, initial.days_late) == (Status.NOT_APPLICABLE, 0)


def test_reviews_recorded_on_a_path_not_taken_keep_their_numbers_source_and_no_lateness() -> None:
    events: Events = {
        "lpm_held": D,
        "initial_meeting": INITIAL,
        "review_meeting": [date(2026, 4, 22), date(2026, 5, 20)],
    }
    tt = std(events, date(2026, 5, 28), outcome="nfa")
    first, second = get(tt, "review_meeting", 1), get(tt, "review_meeting", 2)
    rule = STD.rules_for("review_meeting")[0]
    assert (first.label, first.met_on, first.status, first.days_late, first.source) == (
        "Pre-proceedings review meeting 1",
        date(2026, 4, 22),
        Status.NOT_APPLICABLE,
        0,
        rule.source,
    )
    assert (second.label, second.met_on) == ("Pre-proceedings review meeting 2", date(2026, 5, 20))
    assert first.reason == "Recorded, but the episode's decision took another path"
    assert tt.get("review_meeting", 3) is None


def test_minutes_of_a_meeting_held_once_are_not_numbered() -> None:
    events = {"lpm_held": D, "initial_meeting": INITIAL}
    tt = timetable(load_policy("pre_action_flowchart"), events, CAL, date(2026, 3, 26), outcome="initiate")
    draft = get(tt, "draft_minutes", of="initial_meeting")
    assert (draft.label, draft.due) == (
        "Draft minutes sent for approval: initial pre-proceedings meeting",
        date(2026, 3, 27),
    )


# -- a decision to issue ends pre-proceedings ------------------------------------------------------


def test_a_decision_to_issue_after_the_lpm_ends_pre_proceedings_that_day() -> None:
    tt = std({"lpm_held": D, "issue_decision": date(2026, 5, 6)}, date(2026, 5, 28))
    assert get(tt, "pre_proceedings_end").met_on == date(2026, 5, 6)
    assert get(tt, "gateway_review", 2).reason == (
        "Not needed: the council decided to issue care proceedings on 6 May 2026 before it was due"
    )


def test_pre_proceedings_recorded_as_ended_after_the_decision_keep_the_recorded_date() -> None:
    events = {"lpm_held": D, "issue_decision": date(2026, 5, 6), "pre_proceedings_end": date(2026, 5, 13)}
    tt = std(events, date(2026, 5, 28))
    end = get(tt, "pre_proceedings_end")
    assert (end.met_on, end.status) == (date(2026, 5, 13), Status.MET)
    assert get(tt, "gateway_review", 1).reason == (
        "Missed: due 29 Apr 2026 and not done before the council decided to issue care proceedings on 6 May 2026"
    )


def test_a_decision_to_issue_on_the_day_pre_proceedings_ended_keeps_the_recorded_end_as_reason() -> None:
    events = {"lpm_held": D, "issue_decision": date(2026, 5, 6), "pre_proceedings_end": date(2026, 5, 6)}
    tt = std(events, date(2026, 5, 28))
    assert get(tt, "gateway_review", 2).reason == "Not needed: pre-proceedings ended on 6 May 2026 before it was due"


def test_issued_proceedings_without_a_recorded_decision_and_the_26_weeks() -> None:
    events = {"lpm_held": D, "proceedings_issued": date(2026, 5, 6), "final_hearing": date(2026, 10, 1)}
    tt = std(events, date(2026, 5, 28))
    assert get(tt, "gateway_review", 1).reason == (
        "Missed: due 29 Apr 2026 and not done before the council issued care proceedings on 6 May 2026"
    )
    assert tt.issued == date(2026, 5, 6)
    assert tt.court_week == 4
    assert tt.court_limit == date(2026, 11, 3)
    # The hearing held is the one that was listed, when no listing was recorded.
    assert tt.final_hearing_listed == date(2026, 10, 1)
    assert get(tt, "final_hearing").met_on == date(2026, 10, 1)


# -- a policy of its own: floors, panel days of a listed hearing, court extensions in weeks -------

MINI = """\
name = "mini"
title = "Mini Council"
version = "1"
clock_start = "lpm_held"
standard_weeks = 16

[events.cmh_listed]
label = "the date the court listed the case management hearing for"

[events.lpm_deferred_until]
label = "Date the head of service deferred the LPM decision to"

[[rules]]
key = "lpm_request_decision"
anchor = "lpm_deferred_until"
amount = 0
unit = "calendar_days"
entered = true
responsible_role = "head_of_service"
source = "test"

[[rules]]
key = "initial_meeting"
anchor = "lpm_held"
amount = 10
unit = "working_days"
when = ["initiate"]
responsible_role = "team_manager"
source = "test"

[[rules]]
key = "review_meeting"
anchor = "initial_meeting"
amount = 15
unit = "working_days"
recurring = true
wait = false
when = ["initiate"]
responsible_role = "team_manager"
source = "test"

[[rules]]
key = "signed_agreement"
custom = true
label = "Signed agreement attached"
anchor = "review_meeting"
amount = 5
unit = "working_days"
wait = false
when = ["initiate"]
responsible_role = "social_worker"
source = "test"

[[rules]]
key = "gateway_review"
anchor = "lpm_held"
amount = 6
unit = "weeks"
not_before = { anchor = "initial_meeting", amount = 10, unit = "working_days" }
when = ["initiate"]
responsible_role = "head_of_service"
source = "test"

[[rules]]
key = "pre_proceedings_end"
anchor = "lpm_held"
amount = 16
unit = "weeks"
extends = true
when = ["initiate"]
responsible_role = "head_of_service"
source = "test"

[[rules]]
key = "cmh"
anchor = "proceedings_issued"
amount = 17
unit = "calendar_days"
weekdays = ["tue"]
listed = "cmh_listed"
when = ["issue"]
responsible_role = "legal_adviser"
source = "test"

[[rules]]
key = "irh"
anchor = "proceedings_issued"
amount = 20
unit = "weeks"
court_extends = true
when = ["issue"]
responsible_role = "legal_adviser"
source = "test"
"""


@pytest.fixture
def mini(tmp_path: Path) -> Any:
    path = tmp_path / "mini.toml"
    path.write_text(MINI, encoding="utf-8")
    policy = load_policy(path)

    def run(events: Events, today: date, cal: WorkingCalendar = CAL, **kw: Any) -> Timetable:
        kw.setdefault("outcome", "initiate")
        return timetable(policy, events, cal, today, **kw)

    return run


def test_a_decision_deferred_to_easter_saturday_is_due_the_tuesday_not_the_thursday_before(mini: Any) -> None:
    # Sat 4 Apr 2026 rolled back would be Thu 2 Apr, before the date it was deferred to; Mon 6 Apr
    # is Easter Monday, so the first working day on or after it is Tue 7 Apr.
    tt = mini({"lpm_deferred_until": date(2026, 4, 4)}, date(2026, 4, 1), outcome=None)
    assert get(tt, "lpm_request_decision").due == date(2026, 4, 7)


def test_reviews_every_15_working_days_over_easter_and_the_step_counted_from_the_first(mini: Any) -> None:
    # Initial meeting Wed 1 Apr 2026; Good Friday 3 Apr and Easter Monday 6 Apr do not count.
    tt = mini({"lpm_held": D, "initial_meeting": date(2026, 4, 1)}, date(2026, 4, 2))
    assert get(tt, "review_meeting", 1).due == date(2026, 4, 24)
    assert get(tt, "review_meeting", 2).due == date(2026, 5, 18)  # May Day 4 May does not count
    agreement = get(tt, "signed_agreement")
    assert (agreement.due, agreement.waiting_for) == (date(2026, 5, 1), ())


def test_a_review_lpm_is_never_before_its_floor_counted_in_working_days(mini: Any) -> None:
    # 6 weeks after Wed 4 Mar is Wed 15 Apr; but not before 10 working days after the initial
    # meeting of Wed 1 Apr, which skips Good Friday and Easter Monday: Fri 17 Apr.
    tt = mini({"lpm_held": D, "initial_meeting": date(2026, 4, 1)}, date(2026, 4, 2))
    assert get(tt, "gateway_review").due == date(2026, 4, 17)
    # Without the later initial meeting the floor does not apply.
    tt = mini({"lpm_held": D, "initial_meeting": date(2026, 3, 18)}, date(2026, 3, 19))
    assert get(tt, "gateway_review").due == date(2026, 4, 15)


def test_a_hearing_not_yet_listed_falls_on_the_next_panel_day_after_the_spring_bank_holiday(mini: Any) -> None:
    # Issued Wed 6 May 2026: + 17 days is Sat 23 May, back to Fri 22 May; Mon 25 May is the
    # spring bank holiday and the court sits on Tuesdays: Tue 26 May.
    tt = mini({"lpm_held": D, "proceedings_issued": date(2026, 5, 6)}, date(2026, 5, 7))
    assert get(tt, "cmh").due == date(2026, 5, 26)
    listed = mini(
        {"lpm_held": D, "proceedings_issued": date(2026, 5, 6), "cmh_listed": date(2026, 5, 21)}, date(2026, 5, 7)
    )
    assert get(listed, "cmh").due == date(2026, 5, 21)


def test_a_court_extension_moves_a_step_counted_in_weeks_by_whole_weeks(mini: Any) -> None:
    events = {"lpm_held": D, "proceedings_issued": date(2026, 5, 6)}
    assert get(mini(events, date(2026, 5, 7)), "irh").due == date(2026, 9, 23)  # 20 weeks
    assert get(mini(events, date(2026, 5, 7), court_extension_weeks=2), "irh").due == date(2026, 10, 7)


def _tuesdays(first: date, count: int) -> list[date]:
    return [first + timedelta(weeks=k) for k in range(count)]


def test_a_panel_that_does_not_sit_for_400_days_is_refused(mini: Any) -> None:
    # Issued Fri 5 Jun 2026: the CMH is worked out to Mon 22 Jun. Closing every Tuesday up to
    # 20 Jul 2027 leaves Tue 27 Jul 2027, 400 days on: too far.
    events = {"lpm_held": D, "proceedings_issued": date(2026, 6, 5)}
    closed = _tuesdays(date(2026, 6, 23), 57)
    assert closed[-1] == date(2027, 7, 20)
    with pytest.raises(ValueError, match=r"^no working day on the policy's panel weekdays within a year$"):
        mini(events, date(2026, 6, 6), WorkingCalendar(closures=closed))
    # One Tuesday fewer closed: the panel sits on Tue 20 Jul 2027, 393 days on.
    tt = mini(events, date(2026, 6, 6), WorkingCalendar(closures=closed[:-1]))
    assert get(tt, "cmh").due == date(2027, 7, 20)


# -- the calendar's table -----------------------------------------------------------------------------


def test_the_default_table_covers_six_years_back_and_ten_ahead() -> None:
    first, last = WorkingCalendar().years
    assert last - first == 16
    assert first < dt.datetime.now(dt.UTC).year < last


def test_the_first_and_last_supported_years_can_be_tabled() -> None:
    assert WorkingCalendar(years=(1900, 1900)).years == (1900, 1900)
    assert WorkingCalendar(years=(2100, 2100)).years == (2100, 2100)
    with pytest.raises(ValueError, match="year range"):
        WorkingCalendar(years=(1899, 1900))
    with pytest.raises(ValueError, match="year range"):
        WorkingCalendar(years=(2100, 2101))


def test_a_date_past_the_last_supported_year_is_refused_with_the_range() -> None:
    cal = WorkingCalendar(years=(2099, 2100))
    with pytest.raises(ValueError, match=r"^date out of the supported range \(1900\.\.2100\)$"):
        cal.is_working_day(date(2101, 1, 1))


def test_every_year_the_calendar_accepts_has_its_bank_holidays() -> None:
    """The `holidays` package knows England's bank holidays up to 2100 and none after: a calendar
    reaching 2101 counted Christmas Day 2102 (a Monday) as a working day."""
    cal = WorkingCalendar(years=(2099, 2100))
    assert cal.is_working_day(date(2100, 12, 27)) is False  # Monday: the Christmas Day substitute
    assert cal.is_working_day(date(2100, 12, 24)) is True  # a Friday
    with pytest.raises(ValueError, match="supported range"):
        cal.is_working_day(date(2102, 12, 25))


def test_a_question_inside_the_table_does_not_grow_it() -> None:
    cal = WorkingCalendar(years=(2026, 2027))
    assert not cal.is_working_day(date(2026, 1, 1))  # New Year's Day, the table's first day
    assert cal.working_days_between(date(2026, 1, 1), date(2026, 1, 9)) == 6
    assert cal.years == (2026, 2027)


def test_a_question_a_year_past_the_table_grows_it_by_a_year_around_that_date() -> None:
    cal = WorkingCalendar(years=(2026, 2026))
    assert cal.is_working_day(date(2030, 1, 2))
    assert cal.years == (2026, 2031)


def test_counting_from_new_years_eve_before_the_table_grows_it_to_that_year() -> None:
    cal = WorkingCalendar(years=(2026, 2027))
    # (Wed 31 Dec 2025, Fri 9 Jan 2026]: New Year's Day is off; Fri 2 and Mon 5 - Fri 9 Jan count.
    assert cal.working_days_between(date(2025, 12, 31), date(2026, 1, 9)) == 6
    assert cal.years == (2024, 2027)


def _within_10_seconds(work: Callable[[], date]) -> date:
    """``work()``, failing instead of hanging if the table keeps being rebuilt without the answer."""
    out: list[date] = []
    worker = threading.Thread(target=lambda: out.append(work()), daemon=True)
    worker.start()
    worker.join(10)
    assert out, "the calendar did not find the date within 10 seconds"
    return out[0]


def _weekdays(first_year: int, last_year: int) -> list[date]:
    start, end = date(first_year, 1, 1), date(last_year + 1, 1, 1)
    return [start + timedelta(days=k) for k in range((end - start).days) if (start + timedelta(days=k)).weekday() < 5]


def test_going_back_past_years_of_closures_reaches_the_last_open_year() -> None:
    # Every weekday of 2020-2025 closed: 9 working days back from Thu 15 Jan 2026 reach Fri 2 Jan;
    # the other 91 count back from Tue 31 Dec 2019 (Christmas and Boxing Day off) to Thu 22 Aug 2019,
    # the working day before the August bank holiday.
    cal = WorkingCalendar(closures=_weekdays(2020, 2025), years=(2020, 2030))
    assert _within_10_seconds(lambda: cal.add_working_days(date(2026, 1, 15), -100)) == date(2019, 8, 22)
    assert cal.years == (2019, 2031)


def test_adding_working_days_past_years_of_closures_reaches_the_first_open_year() -> None:
    # Every weekday of 2027-2030 closed: from Tue 1 Dec 2026, 100 working days run past them.
    cal = WorkingCalendar(closures=_weekdays(2027, 2030), years=(2020, 2030))
    # 20 working days left in December 2026 (Christmas and the Boxing Day substitute Mon 28 Dec
    # off), then 80 in 2031 from Thu 2 Jan, skipping Good Friday and Easter Monday: Fri 25 Apr.
    assert _within_10_seconds(lambda: cal.add_working_days(date(2026, 12, 1), 100)) == date(2031, 4, 25)
    assert cal.years == (2019, 2031)
