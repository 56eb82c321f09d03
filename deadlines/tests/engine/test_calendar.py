"""Working-day calendar: the counting rules of docs/timescales.md §1, by example."""

from __future__ import annotations

import tracemalloc
from datetime import date

import pytest

from deadlines.engine import WorkingCalendar
from deadlines.engine.calendar import _build_index, bank_holidays


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# -- §1 worked examples ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Fri + 1 = next Mon
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # Sat + 1 = next Mon
        (date(2026, 3, 8), 1, date(2026, 3, 9)),  # Sun + 1 = next Mon
        (date(2026, 12, 17), 5, date(2026, 12, 24)),  # Thu 17 Dec 2026 + 5 = Thu 24 Dec
        (date(2026, 12, 24), 1, date(2026, 12, 29)),  # Thu 24 Dec 2026 + 1 = Tue 29 Dec
    ],
)
def test_timescales_s1_plus_n_working_days_examples(cal: WorkingCalendar, start: date, n: int, expected: date) -> None:
    """timescales.md §1: "+N working days" is the Nth working day strictly after A."""
    assert cal.add_working_days(start, n) == expected


def test_plus_zero_leaves_the_date_unchanged_even_on_a_weekend(cal: WorkingCalendar) -> None:
    """timescales.md §1: "+0" is A unchanged."""
    assert cal.add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 7)
    assert cal.add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 25)


def test_minus_n_is_the_nth_working_day_strictly_before(cal: WorkingCalendar) -> None:
    """timescales.md §1: "−N working days" counts back, never counting A itself."""
    assert cal.add_working_days(date(2026, 3, 9), -1) == date(2026, 3, 6)  # Mon - 1 = Fri
    assert cal.add_working_days(date(2026, 3, 8), -1) == date(2026, 3, 6)  # Sun - 1 = Fri
    assert cal.add_working_days(date(2026, 12, 29), -1) == date(2026, 12, 24)
    assert cal.add_working_days(date(2026, 12, 24), -5) == date(2026, 12, 17)


def test_next_and_previous_working_day_are_strict(cal: WorkingCalendar) -> None:
    assert cal.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    assert cal.next_working_day(date(2026, 3, 9)) == date(2026, 3, 10)
    assert cal.previous_working_day(date(2026, 12, 29)) == date(2026, 12, 24)
    assert cal.previous_working_day(date(2026, 3, 10)) == date(2026, 3, 9)


def test_roll_back_keeps_working_days_and_moves_others_back(cal: WorkingCalendar) -> None:
    assert cal.roll_back(date(2026, 3, 9)) == date(2026, 3, 9)
    assert cal.roll_back(date(2026, 3, 8)) == date(2026, 3, 6)
    assert cal.roll_back(date(2026, 12, 28)) == date(2026, 12, 24)  # substitute Boxing Day


def test_weeks_land_on_a_working_day_by_rolling_back(cal: WorkingCalendar) -> None:
    """timescales.md §1: "+N weeks" is A + 7N days, then the previous working day if needed."""
    assert cal.add_weeks(date(2026, 3, 4), 16) == date(2026, 6, 24)  # a Wednesday: unchanged
    # Mon 11 May 2026 + 16 weeks = Mon 31 Aug 2026, the late summer bank holiday -> Fri 28 Aug.
    assert cal.add_weeks(date(2026, 5, 11), 16) == date(2026, 8, 28)
    # Sat + 1 week is a Saturday -> the Friday before it.
    assert cal.add_weeks(date(2026, 3, 7), 1) == date(2026, 3, 13)


def test_minus_weeks_and_days_also_roll_back(cal: WorkingCalendar) -> None:
    """timescales.md §1: "−1 week" ("at least one full week before") rolls back too."""
    assert cal.add_weeks(date(2026, 4, 13), -1) == date(2026, 4, 2)  # Mon 6 Apr -> Thu 2 Apr
    assert cal.add_days(date(2026, 5, 27), -2) == date(2026, 5, 22)  # Mon 25 May -> Fri 22


def test_calendar_days_roll_back(cal: WorkingCalendar) -> None:
    assert cal.add_days(date(2026, 3, 13), 7) == date(2026, 3, 20)
    assert cal.add_days(date(2026, 3, 30), 7) == date(2026, 4, 2)  # Easter Monday -> Thu
    assert cal.add_days(date(2026, 3, 4), 0) == date(2026, 3, 4)


def test_working_days_between_is_half_open_and_signed(cal: WorkingCalendar) -> None:
    """Working days in (a, b]; negative when b < a."""
    assert cal.working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1
    assert cal.working_days_between(date(2026, 12, 17), date(2026, 12, 24)) == 5
    assert cal.working_days_between(date(2026, 12, 24), date(2026, 12, 17)) == -5
    assert cal.working_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0
    assert cal.working_days_between(date(2026, 3, 6), date(2026, 3, 8)) == 0  # Fri -> Sun


# -- Christmas, New Year and Easter 2025–2028 ------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected", "why"),
    [
        (date(2025, 12, 24), date(2025, 12, 29), "Christmas Thu 25 + Boxing Day Fri 26 Dec 2025"),
        (date(2025, 12, 31), date(2026, 1, 2), "New Year's Day Thu 1 Jan 2026"),
        (date(2026, 12, 24), date(2026, 12, 29), "Christmas Fri 25, substitute Boxing Day Mon 28"),
        (date(2026, 12, 31), date(2027, 1, 4), "New Year's Day Fri 1 Jan 2027"),
        (date(2027, 12, 24), date(2027, 12, 29), "substitute days Mon 27 + Tue 28 Dec 2027"),
        (date(2027, 12, 31), date(2028, 1, 4), "New Year's Day Sat 1 Jan 2028 -> Mon 3 Jan"),
        (date(2028, 12, 22), date(2028, 12, 27), "Christmas Mon 25 + Boxing Day Tue 26 Dec 2028"),
        (date(2028, 12, 29), date(2029, 1, 2), "New Year's Day Mon 1 Jan 2029"),
        (date(2025, 4, 17), date(2025, 4, 22), "Good Friday 18 + Easter Monday 21 Apr 2025"),
        (date(2026, 4, 2), date(2026, 4, 7), "Good Friday 3 + Easter Monday 6 Apr 2026"),
        (date(2027, 3, 25), date(2027, 3, 30), "Good Friday 26 + Easter Monday 29 Mar 2027"),
        (date(2028, 4, 13), date(2028, 4, 18), "Good Friday 14 + Easter Monday 17 Apr 2028"),
        (date(2022, 9, 16), date(2022, 9, 20), "State funeral Mon 19 Sep 2022 (one-off)"),
        (date(2023, 5, 5), date(2023, 5, 9), "Coronation Mon 8 May 2023 (one-off)"),
    ],
)
def test_bank_holidays_are_skipped(cal: WorkingCalendar, start: date, expected: date, why: str) -> None:
    assert cal.add_working_days(start, 1) == expected, why
    assert cal.add_working_days(expected, -1) == start, why


@pytest.mark.parametrize(
    "holiday",
    [
        date(2025, 4, 18),
        date(2025, 4, 21),
        date(2025, 12, 25),
        date(2025, 12, 26),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 25),
        date(2026, 12, 25),
        date(2026, 12, 28),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 12, 27),
        date(2027, 12, 28),
        date(2028, 1, 3),
        date(2028, 4, 14),
        date(2028, 4, 17),
        date(2022, 9, 19),
        date(2023, 5, 8),
    ],
)
def test_bank_holidays_including_substitute_and_one_off_days(cal: WorkingCalendar, holiday: date) -> None:
    assert not cal.is_working_day(holiday)
    assert holiday in cal.holidays_between(holiday, holiday)


def test_ordinary_weekdays_work_and_weekends_do_not(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2026, 12, 24))
    assert cal.is_working_day(date(2026, 12, 29))
    assert not cal.is_working_day(date(2026, 12, 26))  # Saturday (Boxing Day itself)


def test_ten_working_days_over_easter_2026(cal: WorkingCalendar) -> None:
    """002 §9b iii over Easter: letter Thu 2 Apr 2026 -> initial meeting by Mon 20 Apr."""
    assert cal.add_working_days(date(2026, 4, 2), 10) == date(2026, 4, 20)


def test_holidays_between_lists_non_working_weekdays_only(cal: WorkingCalendar) -> None:
    assert cal.holidays_between(date(2026, 12, 1), date(2027, 1, 31)) == [
        date(2026, 12, 25),
        date(2026, 12, 28),
        date(2027, 1, 1),
    ]
    assert cal.holidays_between(date(2027, 1, 31), date(2026, 12, 1)) == []


# -- council closures and extra holidays -----------------------------------------------------------


def test_closure_day_is_not_a_working_day() -> None:
    """A council closure (e.g. Christmas Eve) is skipped like a bank holiday (§1)."""
    closed = WorkingCalendar(closures=[date(2026, 12, 24)])
    assert not closed.is_working_day(date(2026, 12, 24))
    assert closed.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 29)
    assert closed.add_working_days(date(2026, 12, 17), 5) == date(2026, 12, 29)
    assert closed.roll_back(date(2026, 12, 24)) == date(2026, 12, 23)
    assert closed.holidays_between(date(2026, 12, 24), date(2026, 12, 24)) == [date(2026, 12, 24)]


def test_closure_between_christmas_and_new_year() -> None:
    closed = WorkingCalendar(closures=[date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)])
    assert closed.add_working_days(date(2026, 12, 24), 1) == date(2027, 1, 4)
    assert closed.working_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 1


def test_extra_one_off_holiday_added_by_an_admin() -> None:
    """Admins can add future one-off bank holidays without a release (§1)."""
    cal = WorkingCalendar(extra_holidays=[date(2030, 5, 7)])
    assert not cal.is_working_day(date(2030, 5, 7))
    assert cal.add_working_days(date(2030, 5, 6), 1) == date(2030, 5, 8)
    assert WorkingCalendar().is_working_day(date(2030, 5, 7))


def test_closures_on_weekends_change_nothing() -> None:
    assert WorkingCalendar(closures=[date(2026, 3, 7)]).add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)


# -- identity, caching and range -------------------------------------------------------------------


def test_equal_calendars_are_equal_and_hash_alike() -> None:
    a = WorkingCalendar(closures=[date(2026, 12, 24)])
    b = WorkingCalendar(closures=(date(2026, 12, 24),))
    assert a == b
    assert hash(a) == hash(b)
    assert a != WorkingCalendar()
    assert len({a, b, WorkingCalendar()}) == 2


def test_dates_outside_the_precomputed_range_extend_it() -> None:
    cal = WorkingCalendar(years=(2026, 2026))
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert cal.add_working_days(date(1999, 12, 24), 1) == date(1999, 12, 29)
    assert cal.add_working_days(date(2026, 6, 1), 2000) > date(2033, 1, 1)
    assert cal.working_days_between(date(1990, 1, 1), date(2040, 1, 1)) > 12000
    assert not cal.is_working_day(date(2045, 12, 25))
    first, last = cal.years
    assert first <= 1990 and last >= 2045


def test_bank_holidays_helper_matches_holidays_package() -> None:
    days = bank_holidays(2027, 2027)
    assert date(2027, 12, 27) in days and date(2027, 12, 28) in days
    assert days == sorted(days)


def test_calendar_index_memory_is_under_5_mb() -> None:
    """Issue target: the precomputed index for the default 17-year range stays under 5 MB."""
    _build_index.__wrapped__(2020, 2036, frozenset())  # warm the bank-holiday cache first
    tracemalloc.start()
    try:
        index = _build_index.__wrapped__(2020, 2036, frozenset())
        size, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert index.working
    assert size < 5 * 1024 * 1024


def test_bad_year_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="year range"):
        WorkingCalendar(years=(2030, 2020))
