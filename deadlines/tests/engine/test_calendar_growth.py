"""A calendar whose precomputed table is small answers every first look-up beyond it exactly as a
calendar built wide enough from the start (issue 23: the first look-up past the table once
counted one day too many, and no test noticed). Each example builds a fresh one-year calendar,
so every look-up here is the *first* one past its table, forwards and backwards."""

from __future__ import annotations

from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st

from deadlines.engine import WorkingCalendar

CLOSURES = (date(2026, 12, 24), date(2031, 8, 1), date(2019, 4, 23))
WIDE = WorkingCalendar(closures=CLOSURES, years=(2010, 2045))

far_dates = st.dates(min_value=date(2012, 1, 1), max_value=date(2043, 12, 31))
offsets = st.integers(min_value=-300, max_value=300)
PROPS = settings(max_examples=150, deadline=None)


def narrow() -> WorkingCalendar:
    return WorkingCalendar(closures=CLOSURES, years=(2026, 2026))


@PROPS
@given(far_dates, offsets)
@example(date(2027, 1, 1), 1)
@example(date(2025, 12, 31), -1)
@example(date(2027, 1, 1), -1)
def test_adding_working_days_past_the_table_matches_a_wide_calendar(d, n):
    assert narrow().add_working_days(d, n) == WIDE.add_working_days(d, n)


@PROPS
@given(far_dates, far_dates)
@example(date(2025, 12, 31), date(2027, 1, 1))
@example(date(2027, 1, 1), date(2025, 12, 31))
def test_counting_working_days_past_the_table_matches_a_wide_calendar(a, b):
    assert narrow().working_days_between(a, b) == WIDE.working_days_between(a, b)


@PROPS
@given(far_dates)
# The days either side of the one-year table, where an off-by-one in "is it covered?" shows.
@example(date(2027, 1, 1))
@example(date(2025, 12, 31))
@example(date(2027, 1, 4))
@example(date(2026, 1, 1))  # New Year's Day, before the table's first working day
def test_day_questions_past_the_table_match_a_wide_calendar(d):
    assert narrow().is_working_day(d) == WIDE.is_working_day(d)
    assert narrow().roll_back(d) == WIDE.roll_back(d)
    assert narrow().next_working_day(d) == WIDE.next_working_day(d)
    assert narrow().previous_working_day(d) == WIDE.previous_working_day(d)
    assert narrow().add_weeks(d, 3) == WIDE.add_weeks(d, 3)


def test_the_first_look_up_a_year_past_the_table_lands_on_the_right_day():
    # Thu 17 Dec 2026 + 5 working days is Thu 24 Dec 2026 (timescales §1); a year later, over
    # Christmas 2027 (27 and 28 Dec substitute days), Fri 24 Dec 2027 + 1 is Wed 29 Dec 2027.
    cal = WorkingCalendar(years=(2026, 2026))
    assert cal.add_working_days(date(2027, 12, 24), 1) == date(2027, 12, 29)
    cal = WorkingCalendar(years=(2030, 2030))
    assert cal.add_working_days(date(2026, 12, 17), 5) == date(2026, 12, 24)
    assert cal.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
