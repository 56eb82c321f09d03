"""Property tests of the calendar against an independent oracle: ``numpy.busday_*``.

The oracle gets the same holiday list (England bank holidays from the ``holidays`` package plus
closures). timescales.md §1 never counts the start date A, whether or not it is a working day;
numpy first *rolls* a non-working start to a working day and then counts from there, so:

* A working, any N: ``busday_offset(A, N)``.
* A not working, N > 0: rolling forward lands on the 1st working day after A, so the Nth is
  ``busday_offset(A, N - 1, roll="forward")``.
* A not working, N < 0: rolling backward lands on the 1st working day before A, so the |N|th
  is ``busday_offset(A, N + 1, roll="backward")``.
* Working days in (a, b] = ``busday_count(a + 1, b + 1)`` (numpy counts [begin, end)); when
  b < a the answer is minus the count in (b, a], so ``-busday_count(b + 1, a + 1)`` (numpy's
  own negative counts shift the half-open end, so the oracle always counts forwards).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deadlines.engine import WorkingCalendar
from deadlines.engine.calendar import bank_holidays

CLOSURES = (date(2026, 12, 24), date(2027, 12, 29), date(2031, 8, 1), date(2033, 12, 30))
CAL = WorkingCalendar(closures=CLOSURES, years=(2018, 2037))
ORACLE = np.busdaycalendar(
    weekmask="1111100",
    holidays=np.array(sorted(set(bank_holidays(2018, 2037)) | set(CLOSURES)), dtype="datetime64[D]"),
)
ONE_DAY = np.timedelta64(1, "D")

dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
offsets = st.integers(min_value=-400, max_value=400)
small = st.integers(min_value=-60, max_value=60)
PROPS = settings(max_examples=300, deadline=None)


def _d(x: np.datetime64) -> date:
    result: date = x.astype("datetime64[D]").astype(object)
    return result


def oracle_add(d: date, n: int) -> date:
    x = np.datetime64(d, "D")
    if n == 0:
        return d
    if np.is_busday(x, busdaycal=ORACLE):
        return _d(np.busday_offset(x, n, busdaycal=ORACLE))
    if n > 0:
        return _d(np.busday_offset(x, n - 1, roll="forward", busdaycal=ORACLE))
    return _d(np.busday_offset(x, n + 1, roll="backward", busdaycal=ORACLE))


@PROPS
@given(dates, offsets)
def test_add_working_days_matches_numpy(d: date, n: int) -> None:
    assert CAL.add_working_days(d, n) == oracle_add(d, n)


@PROPS
@given(dates, dates)
def test_working_days_between_matches_numpy_busday_count(a: date, b: date) -> None:
    lo, hi = np.datetime64(min(a, b), "D"), np.datetime64(max(a, b), "D")
    count = int(np.busday_count(lo + ONE_DAY, hi + ONE_DAY, busdaycal=ORACLE))
    expected = count if a <= b else -count
    assert CAL.working_days_between(a, b) == expected


@PROPS
@given(dates)
def test_is_working_day_matches_numpy(d: date) -> None:
    assert CAL.is_working_day(d) == bool(np.is_busday(np.datetime64(d, "D"), busdaycal=ORACLE))


@PROPS
@given(dates, small)
def test_add_weeks_and_days_match_numpy_roll_backward(d: date, n: int) -> None:
    """§1: A + 7N (or N) days, then the previous working day if that is not one."""
    for days, got in ((7 * n, CAL.add_weeks(d, n)), (n, CAL.add_days(d, n))):
        target = np.datetime64(d + timedelta(days=days), "D")
        assert got == _d(np.busday_offset(target, 0, roll="backward", busdaycal=ORACLE))


@PROPS
@given(dates, dates)
def test_holidays_between_matches_numpy(a: date, b: date) -> None:
    lo, hi = min(a, b), min(max(a, b), min(a, b) + timedelta(days=400))
    expected = [
        lo + timedelta(days=i)
        for i in range((hi - lo).days + 1)
        if (lo + timedelta(days=i)).weekday() < 5
        and not np.is_busday(np.datetime64(lo + timedelta(days=i), "D"), busdaycal=ORACLE)
    ]
    assert CAL.holidays_between(lo, hi) == expected


@PROPS
@given(dates, st.integers(min_value=1, max_value=400))
def test_adding_n_then_counting_gives_n_back(d: date, n: int) -> None:
    later = CAL.add_working_days(d, n)
    assert later > d
    assert CAL.is_working_day(later)
    assert CAL.working_days_between(d, later) == n
    earlier = CAL.add_working_days(d, -n)
    assert earlier < d
    assert CAL.is_working_day(earlier)
    # (earlier, d] holds the n-1 working days after `earlier`, plus d itself if it works.
    assert CAL.working_days_between(d, earlier) == -(n - 1 + CAL.is_working_day(d))


@PROPS
@given(dates, st.integers(min_value=1, max_value=400))
def test_round_trip(d: date, n: int) -> None:
    """add(add(d, n), -n) is d for a working day; from a non-working day it overshoots to the
    working day on the far side, because the way out skips d and the way back counts past it."""
    there_and_back = CAL.add_working_days(CAL.add_working_days(d, n), -n)
    back_and_there = CAL.add_working_days(CAL.add_working_days(d, -n), n)
    if CAL.is_working_day(d):
        assert there_and_back == d == back_and_there
    else:
        assert there_and_back == CAL.previous_working_day(d)
        assert back_and_there == CAL.next_working_day(d)


@PROPS
@given(dates, dates, offsets)
def test_monotone_in_the_start_date(a: date, b: date, n: int) -> None:
    lo, hi = min(a, b), max(a, b)
    assert CAL.add_working_days(lo, n) <= CAL.add_working_days(hi, n)


@PROPS
@given(dates, offsets, offsets)
def test_monotone_in_n_and_additive_from_a_working_day(d: date, m: int, n: int) -> None:
    if m <= n:
        assert CAL.add_working_days(d, m) <= CAL.add_working_days(d, n)
    start = CAL.roll_back(d)
    if (m > 0 and n > 0) or (m < 0 and n < 0):
        step = CAL.add_working_days(CAL.add_working_days(start, m), n)
        assert step == CAL.add_working_days(start, m + n)


@PROPS
@given(dates)
def test_next_and_previous_are_adjacent_working_days(d: date) -> None:
    nxt, prev = CAL.next_working_day(d), CAL.previous_working_day(d)
    assert prev < d < nxt
    assert CAL.working_days_between(prev, nxt) == 1 + CAL.is_working_day(d)
    assert CAL.roll_back(d) == (d if CAL.is_working_day(d) else prev)
