"""England & Wales working-day calendar with the counting rules of timescales.md §1.

A working day is Monday–Friday that is not an England & Wales bank holiday (from the
``holidays`` package, substitute and one-off days included) and not one of the council's own
closure days or extra holidays.

Every query is an index lookup or a bisect over a precomputed table covering a range of years,
so a deadline costs the same whether it is 1 or 200 working days away. The table is extended
lazily when a date outside it is asked about.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

import holidays

__all__ = ["WorkingCalendar", "bank_holidays"]

# The table covers this many years either side of the current year; anything further out
# (old episodes being audited, far-future court dates) extends it on demand.
_YEARS_BACK = 6
_YEARS_AHEAD = 10
# A year has at least 200 working days even with generous closures; used to size extensions.
_MIN_WORKING_DAYS_PER_YEAR = 200
# The years whose England bank holidays the `holidays` package knows (it has none after 2100): a
# year outside them would count every bank holiday as a working day.
_MIN_YEAR = 1900
_MAX_YEAR = 2100


@lru_cache(maxsize=512)
def _bank_holiday_ordinals(year: int) -> frozenset[int]:
    """England bank holidays of one year, as ordinals (cached: the package is slow to build)."""
    table = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(d.toordinal() for d in table)


def bank_holidays(first_year: int, last_year: int) -> list[dt.date]:
    """England & Wales bank holidays from ``first_year`` to ``last_year`` inclusive, sorted."""
    out: set[int] = set()
    for year in range(first_year, last_year + 1):
        out |= _bank_holiday_ordinals(year)
    return [dt.date.fromordinal(o) for o in sorted(out)]


class _Index(NamedTuple):
    """Precomputed lookup tables for one year range (immutable, so swapping it is atomic)."""

    first_year: int
    last_year: int
    start: int  # ordinal of 1 Jan first_year
    cum: list[int]  # cum[i] = working days with ordinal in [start, start + i)
    working: list[int]  # ordinals of working days, ascending
    off_weekdays: list[int]  # ordinals of Mon–Fri that are not working days, ascending


# A deployment has one or a few closure sets; each entry is ~0.35 MB for the default range.
@lru_cache(maxsize=16)
def _build_index(first_year: int, last_year: int, closed: frozenset[int]) -> _Index:
    """Build the tables for ``first_year``..``last_year`` (shared by equal calendars)."""
    start = dt.date(first_year, 1, 1).toordinal()
    end = dt.date(last_year + 1, 1, 1).toordinal()
    off: set[int] = set(closed)
    for year in range(first_year, last_year + 1):
        off |= _bank_holiday_ordinals(year)
    cum = [0] * (end - start + 1)
    working: list[int] = []
    off_weekdays: list[int] = []
    count = 0
    # date.fromordinal(o).weekday() == (o + 6) % 7; avoids building ~6,000 date objects.
    for i, o in enumerate(range(start, end)):
        if (o + 6) % 7 < 5:
            if o in off:
                off_weekdays.append(o)
            else:
                working.append(o)
                count += 1
        cum[i + 1] = count
    return _Index(first_year, last_year, start, cum, working, off_weekdays)


def _to_ordinals(days: Iterable[dt.date]) -> frozenset[int]:
    return frozenset(d.toordinal() for d in days)


class WorkingCalendar:
    """Working days in England & Wales plus a council's closure days (timescales.md §1)."""

    __slots__ = ("_closures", "_extra", "_closed", "_idx", "_hash")

    def __init__(
        self,
        closures: Iterable[dt.date] = (),
        extra_holidays: Iterable[dt.date] = (),
        *,
        years: tuple[int, int] | None = None,
    ) -> None:
        """Build a calendar; ``years`` (first, last) overrides the default precomputed range."""
        self._closures = _to_ordinals(closures)
        self._extra = _to_ordinals(extra_holidays)
        self._closed = self._closures | self._extra
        self._hash = hash((self._closures, self._extra))
        if years is None:
            # Only the year matters, so UTC vs Europe/London around midnight is irrelevant.
            this_year = dt.datetime.now(dt.UTC).year
            years = (this_year - _YEARS_BACK, this_year + _YEARS_AHEAD)
        first, last = years
        if not _MIN_YEAR <= first <= last <= _MAX_YEAR:
            raise ValueError(f"bad calendar year range {years!r}")
        self._idx = _build_index(first, last, self._closed)

    # -- identity -------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkingCalendar):
            return NotImplemented
        return self._closures == other._closures and self._extra == other._extra

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(closures={len(self._closures)} days, "
            f"extra_holidays={len(self._extra)} days, "
            f"years={self._idx.first_year}..{self._idx.last_year})"
        )

    @property
    def closures(self) -> frozenset[dt.date]:
        """The council's closure days."""
        return frozenset(dt.date.fromordinal(o) for o in self._closures)

    @property
    def extra_holidays(self) -> frozenset[dt.date]:
        """Extra (e.g. newly announced one-off) holidays added by an admin."""
        return frozenset(dt.date.fromordinal(o) for o in self._extra)

    @property
    def years(self) -> tuple[int, int]:
        """The year range currently precomputed (grows on demand)."""
        return (self._idx.first_year, self._idx.last_year)

    # -- index management -------------------------------------------------------------------

    def _extend(self, ordinal: int, span: int) -> _Index:
        """Grow the table to cover ``ordinal`` and ``span`` working days either side of it."""
        idx = self._idx
        year = dt.date.fromordinal(min(max(ordinal, 1), dt.date.max.toordinal())).year
        margin = abs(span) // _MIN_WORKING_DAYS_PER_YEAR + 1
        first = min(idx.first_year, year - margin)
        last = max(idx.last_year, year + margin)
        if (first, last) == (idx.first_year, idx.last_year):
            # Only reachable when closures leave fewer working days a year than assumed.
            first, last = first - margin, last + margin
        first, last = max(_MIN_YEAR, first), min(_MAX_YEAR, last)
        if (first, last) == (idx.first_year, idx.last_year):
            raise ValueError(f"date out of the supported range ({_MIN_YEAR}..{_MAX_YEAR})")
        new = _build_index(first, last, self._closed)
        self._idx = new
        return new

    def _cover(self, o: int) -> _Index:
        """The current index, extended first if it does not cover ordinal ``o``."""
        idx = self._idx
        if idx.start <= o < idx.start + len(idx.cum) - 1:
            return idx
        return self._extend(o, 0)

    # -- ordinal API (used by the timetable's hot loop; no date objects) -------------------

    def _add_wd(self, o: int, n: int) -> int:
        """Ordinal ``n`` working days from ordinal ``o`` (§1: ``o`` itself never counts)."""
        if n == 0:
            return o
        idx = self._idx
        while True:
            i = o - idx.start
            cum = idx.cum
            if 0 <= i < len(cum) - 1:
                # cum[i+1] working days are <= o, cum[i] are < o.
                j = cum[i + 1] - 1 + n if n > 0 else cum[i] + n
                if 0 <= j < len(idx.working):
                    return idx.working[j]
            idx = self._extend(o, n)

    def _between(self, a: int, b: int) -> int:
        """Working days in (a, b], negated when b < a."""
        idx = self._idx
        cum = idx.cum
        ia = a - idx.start + 1
        ib = b - idx.start + 1
        if 0 < ia < len(cum) and 0 < ib < len(cum):
            return cum[ib] - cum[ia]
        self._cover(a)
        idx = self._cover(b)
        return idx.cum[b - idx.start + 1] - idx.cum[a - idx.start + 1]

    def _is_working(self, o: int) -> bool:
        idx = self._cover(o)
        i = o - idx.start
        return idx.cum[i + 1] != idx.cum[i]

    def _roll_back(self, o: int) -> int:
        """``o`` if it is a working day, else the previous working day (§1 weeks/days)."""
        idx = self._idx
        i = o - idx.start
        cum = idx.cum
        if 0 <= i < len(cum) - 1:
            c = cum[i + 1]
            if c != cum[i]:
                return o
            if c > 0:
                return idx.working[c - 1]
        return o if self._is_working(o) else self._add_wd(o, -1)

    # -- public date API (timescales.md §1) ---------------------------------------------------

    def is_working_day(self, d: dt.date) -> bool:
        """True for Mon–Fri that is neither a bank holiday nor a closure day."""
        return self._is_working(d.toordinal())

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """The ``n``-th working day strictly after (n > 0) or before (n < 0) ``d``; ``d`` if 0."""
        if n == 0:
            return d
        return dt.date.fromordinal(self._add_wd(d.toordinal(), n))

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b]; when b < a, minus the working days in (b, a]."""
        return self._between(a.toordinal(), b.toordinal())

    def next_working_day(self, d: dt.date) -> dt.date:
        """The first working day strictly after ``d``."""
        return dt.date.fromordinal(self._add_wd(d.toordinal(), 1))

    def previous_working_day(self, d: dt.date) -> dt.date:
        """The first working day strictly before ``d``."""
        return dt.date.fromordinal(self._add_wd(d.toordinal(), -1))

    def roll_back(self, d: dt.date) -> dt.date:
        """``d`` if it is a working day, else the previous working day."""
        o = d.toordinal()
        r = self._roll_back(o)
        return d if r == o else dt.date.fromordinal(r)

    def add_days(self, d: dt.date, n: int) -> dt.date:
        """``d`` + ``n`` calendar days, then back to the previous working day if needed (§1)."""
        return dt.date.fromordinal(self._roll_back(d.toordinal() + n))

    def add_weeks(self, d: dt.date, n: int) -> dt.date:
        """``d`` + 7``n`` days, then back to the previous working day if needed (§1)."""
        return dt.date.fromordinal(self._roll_back(d.toordinal() + 7 * n))

    def holidays_between(self, a: dt.date, b: dt.date) -> list[dt.date]:
        """Weekdays in [a, b] that are not working days (bank holidays and closures)."""
        lo, hi = a.toordinal(), b.toordinal()
        if hi < lo:
            return []
        self._cover(lo)
        idx = self._cover(hi)
        off = idx.off_weekdays
        return [dt.date.fromordinal(o) for o in off[bisect_left(off, lo) : bisect_right(off, hi)]]
