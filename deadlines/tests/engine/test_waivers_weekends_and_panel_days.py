"""Corners of the engine that mutation testing found untested (docs/testing.md, "Mutation testing"):
waivers of one meeting's minutes, a step counted in calendar days from a weekend, steps that fall
on a panel's sitting days, and the bank holiday list itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import pytest

from deadlines.engine import Status, WorkingCalendar, load_policy, timetable
from deadlines.engine.calendar import bank_holidays

CAL = WorkingCalendar()
D = date(2026, 3, 4)  # Wednesday: LPM decides to initiate pre-proceedings

MINUTES_EVENTS: Mapping[str, date | Sequence[date] | None] = {
    "lpm_held": D,
    "gateway_review": [date(2026, 4, 15), date(2026, 5, 13)],
}


def minutes(waived: dict[str, str]) -> list[tuple[Status, str | None]]:
    tt = timetable(
        load_policy("gloucestershire"), MINUTES_EVENTS, CAL, date(2026, 6, 1), outcome="initiate", waived=waived
    )
    rows = [m for m in tt.milestones if m.key == "approved_minutes" and m.ref.startswith("approved_minutes:gateway")]
    return [(m.status, m.waived_reason) for m in rows]


def test_the_minutes_of_one_review_are_waived_by_their_own_reference() -> None:
    assert minutes({"approved_minutes:gateway_review#2": "Taken with the first review's minutes"}) == [
        (Status.OVERDUE, None),
        (Status.WAIVED, "Taken with the first review's minutes"),
    ]


def test_the_minutes_of_every_review_are_waived_by_the_record_key() -> None:
    assert minutes({"approved_minutes:gateway_review": "Minuted by the panel"}) == [
        (Status.WAIVED, "Minuted by the panel"),
        (Status.WAIVED, "Minuted by the panel"),
    ]


def test_bank_holidays_are_england_and_wales_for_exactly_the_years_asked() -> None:
    # A holiday on a weekend is listed on its day and on the weekday it is observed (both are off).
    assert bank_holidays(2026, 2027) == [
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 5, 25),
        date(2026, 8, 31),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 12, 28),
        date(2027, 1, 1),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 5, 3),
        date(2027, 5, 31),
        date(2027, 8, 30),
        date(2027, 12, 25),
        date(2027, 12, 26),
        date(2027, 12, 27),
        date(2027, 12, 28),
    ]


POLICY = """\
name = "mini"
title = "Mini Council"
version = "1"
clock_start = "lpm_held"
standard_weeks = 16

[[rules]]
key = "letter_before_proceedings"
anchor = "lpm_held"
amount = {amount}
unit = "{unit}"
when = ["initiate"]
responsible_role = "social_worker"
source = "test"
{extra}
[[rules]]
key = "pre_proceedings_end"
anchor = "lpm_held"
amount = 16
unit = "weeks"
extends = true
when = ["initiate"]
responsible_role = "head_of_service"
source = "test"
"""


def letter_due(tmp_path: Path, held: date, *, amount: int, unit: str, extra: str = "") -> date | None:
    path = tmp_path / "mini.toml"
    path.write_text(POLICY.format(amount=amount, unit=unit, extra=extra), encoding="utf-8")
    tt = timetable(load_policy(path), {"lpm_held": held}, CAL, date(2026, 1, 5), outcome="initiate")
    letter = tt.get("letter_before_proceedings")
    assert letter is not None
    return letter.due


@pytest.mark.parametrize(
    ("held", "amount", "expected"),
    [
        # Saturday + 1 day is a Sunday; rolling back would put it on the Friday before the LPM,
        # so it is due the next working day instead.
        (date(2026, 3, 7), 1, date(2026, 3, 9)),
        # Friday + 1 day is a Saturday: rolled back to the Friday itself (not before the LPM).
        (date(2026, 3, 6), 1, date(2026, 3, 6)),
        # Thursday before Easter + 1 day is Good Friday: rolled back to the Thursday.
        (date(2026, 4, 2), 1, date(2026, 4, 2)),
        # Saturday + 2 days is a Monday: a working day, kept.
        (date(2026, 3, 7), 2, date(2026, 3, 9)),
        # Easter Saturday + 1 day is a Sunday, then the bank holiday Monday: Tuesday.
        (date(2026, 4, 4), 1, date(2026, 4, 7)),
    ],
)
def test_a_step_counted_in_calendar_days_from_a_weekend_is_never_before_its_event(
    tmp_path: Path, held: date, amount: int, expected: date
) -> None:
    assert letter_due(tmp_path, held, amount=amount, unit="calendar_days") == expected


@pytest.mark.parametrize(
    ("held", "weekdays", "expected"),
    [
        # 5 working days after Wed 4 Mar is Wed 11 Mar, a panel day: kept.
        (D, '["wed"]', date(2026, 3, 11)),
        # ... the next Thursday panel is the day after.
        (D, '["thu"]', date(2026, 3, 12)),
        # ... with Tuesday and Thursday panels, the first on or after is Thursday.
        (D, '["tue", "thu"]', date(2026, 3, 12)),
        # ... a Monday panel is the following week.
        (D, '["mon"]', date(2026, 3, 16)),
        # Due Thu 2 Apr; the Friday panel would be Good Friday: the next one that sits is 10 Apr.
        (date(2026, 3, 26), '["fri"]', date(2026, 4, 10)),
    ],
)
def test_a_step_on_panel_days_falls_on_the_first_sitting_on_or_after_its_date(
    tmp_path: Path, held: date, weekdays: str, expected: date
) -> None:
    assert letter_due(tmp_path, held, amount=5, unit="working_days", extra=f"weekdays = {weekdays}\n") == expected


def test_a_panel_day_that_never_sits_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no working day on the policy's panel weekdays within a year"):
        letter_due(tmp_path, D, amount=5, unit="working_days", extra='weekdays = ["sat"]\n')
