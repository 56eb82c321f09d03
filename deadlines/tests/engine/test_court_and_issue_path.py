"""Issue 20: the court timeline is statute under every policy; an issue decision at any LPM
drives the issue timetable from that decision; a miss stays a miss; impossible orders of events
and policy files that break the statute are refused with the dates, or the file and line."""

from __future__ import annotations

import datetime as dt
from datetime import date
from pathlib import Path

import pytest

from deadlines.engine import PolicyError, Status, WorkingCalendar, available_policies, load_policy, timetable
from deadlines.engine.timetable import Timetable

from .test_policies import VALID, write

CAL = WorkingCalendar()


def tt(policy: str, events: dict, today: date, **kw) -> Timetable:
    return timetable(load_policy(policy), events, CAL, today, **kw)


def status(t: Timetable, key: str) -> tuple[date | None, Status]:
    m = t.get(key)
    assert m is not None, f"no {key}"
    return m.due, m.status


# -- 1. the court's 26 weeks under every policy ------------------------------------------------


@pytest.mark.parametrize("policy", available_policies())
def test_every_policy_has_the_statutory_final_hearing_once_proceedings_are_issued(policy: str) -> None:
    """s32(1)(a)(ii): 26 weeks beginning with the day of issue; week 1 day 1 is the issue day."""
    issued = date(2027, 1, 6)  # a Wednesday
    t = tt(policy, {"proceedings_issued": issued}, date(2027, 1, 20), outcome="initiate")
    assert (t.court_week, t.court_of_weeks) == (3, 26)  # 20 Jan is day 15: week 3 of 26
    # Issue + 181 days = Tue 6 Jul 2027, the last day of week 26.
    assert t.court_limit == date(2027, 7, 6)
    assert status(t, "final_hearing") == (date(2027, 7, 6), Status.UPCOMING)
    # s32(5): an 8-week extension moves it 56 days, and the count reads "of 34".
    extended = tt(policy, {"proceedings_issued": issued}, date(2027, 1, 20), court_extension_weeks=8)
    assert (extended.court_of_weeks, extended.get("final_hearing").due) == (34, date(2027, 8, 31))  # type: ignore[union-attr]


def test_st_helens_week_3_of_26_and_a_listed_final_hearing_replaces_the_worked_out_one() -> None:
    issued = date(2026, 12, 9)
    events = {"lpm_held": date(2026, 11, 25), "proceedings_issued": issued}
    t = tt("st_helens", events, date(2026, 12, 23), outcome="issue")
    assert t.court_week == 3
    # Issue + 181 = Tue 8 Jun 2027.
    assert t.get("final_hearing").due == date(2027, 6, 8)  # type: ignore[union-attr]
    listed = tt("st_helens", {**events, "final_hearing_listed": date(2027, 5, 20)}, date(2026, 12, 23))
    assert listed.get("final_hearing").due == date(2027, 5, 20)  # type: ignore[union-attr]


# -- 2. an issue decision at any LPM -----------------------------------------------------------

FIRST_LPM = date(2026, 10, 1)
REVIEW_LPM = date(2026, 12, 10)  # Thursday: a review LPM decides to issue


def test_a_review_lpm_decision_to_issue_counts_from_that_meeting_not_the_first_lpm() -> None:
    """002 App. 2: papers to legal within 10 and issue within 15 working days *from the meeting*;
    the letter of issue the next working day (§9c iii, as for a first LPM). The first outcome
    stays "initiate": the decision is not ignored, and the path changes to issue."""
    events = {"lpm_held": FIRST_LPM, "review_issue_decision": REVIEW_LPM}
    t = tt("gloucestershire", events, date(2026, 12, 11), outcome="initiate")
    assert t.outcome == "issue"
    assert status(t, "letter_of_issue") == (date(2026, 12, 11), Status.DUE_TODAY)  # M + 1, not the first LPM + 1
    assert t.get("swet_to_legal").due == date(2026, 12, 24)  # type: ignore[union-attr]  # M + 10
    # M + 15 over Christmas: 25 and 28 Dec and 1 Jan are bank holidays: 29, 30, 31 Dec, 4, 5 Jan.
    assert t.get("proceedings_issued").due == date(2027, 1, 5)  # type: ignore[union-attr]
    assert t.get("final_hearing").waiting_for == ("proceedings_issued",)  # type: ignore[union-attr]
    # Pre-proceedings ended with the decision; what was already late stays missed, with why.
    review = t.get("review_meeting")
    assert review is not None and review.status is Status.MISSED
    assert review.reason == (
        "Missed: due 26 Nov 2026 and not done before the council decided to issue care proceedings on 10 Dec 2026"
    )
    final = t.get("final_meeting")
    assert final is not None and final.status is Status.NOT_APPLICABLE and "before it was due" in (final.reason or "")
    assert t.get("pre_proceedings_end").met_on == REVIEW_LPM  # type: ignore[union-attr]


def test_a_first_lpm_decision_to_issue_counts_002_s9c_from_the_decision() -> None:
    """§9c: letter D + 1, SWET D + 5, issue D + 10 working days, over Christmas."""
    d = date(2026, 12, 23)
    t = tt("gloucestershire", {"lpm_held": d, "issue_decision": d}, d, outcome="issue")
    assert t.get("letter_of_issue").due == date(2026, 12, 24)  # type: ignore[union-attr]
    # 25 and 28 Dec and 1 Jan are bank holidays: 24, 29, 30, 31 Dec, 4 Jan.
    assert t.get("swet_to_legal").due == date(2027, 1, 4)  # type: ignore[union-attr]
    assert t.get("proceedings_issued").due == date(2027, 1, 11)  # type: ignore[union-attr]
    assert t.get("letter_before_proceedings") is None


def test_st_helens_the_panels_own_decision_starts_the_letter_of_issue() -> None:
    """004: the immediate issue letter within 2 days of the panel's decision; no separate date."""
    panel = date(2026, 12, 23)
    t = tt("st_helens", {"lpm_held": panel}, panel, outcome="issue")
    assert t.get("letter_of_issue").due == date(2026, 12, 29)  # type: ignore[union-attr]  # 24 Dec, then 29 Dec
    later = tt("st_helens", {"lpm_held": FIRST_LPM, "issue_decision": REVIEW_LPM}, REVIEW_LPM, outcome="initiate")
    assert later.get("letter_of_issue").due == date(2026, 12, 14)  # type: ignore[union-attr]


# -- 4. a miss stays a miss --------------------------------------------------------------------


def test_the_proposed_agreement_not_sent_before_the_initial_meeting_is_missed_not_moot() -> None:
    events = {
        "lpm_held": date(2026, 11, 5),
        "letter_before_proceedings": date(2026, 11, 10),
        "initial_meeting": date(2026, 11, 24),
    }
    m = tt("gloucestershire", events, date(2026, 12, 1), outcome="initiate").get("proposed_agreement_to_legal")
    assert m is not None and m.status is Status.MISSED and m.days_late == 2
    assert m.reason == (
        "Missed: due 20 Nov 2026 and not done before the initial pre-proceedings meeting was recorded on 24 Nov 2026"
    )


# -- bad input: impossible orders ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            {"lpm_held": date(2026, 10, 1), "issue_decision": date(2026, 9, 30)},
            r"issue_decision \(2026-09-30\) is before lpm_held \(2026-10-01\)",
        ),
        (
            {
                "lpm_held": date(2026, 10, 1),
                "gateway_review": [date(2027, 1, 20)],
                "proceedings_issued": date(2027, 1, 6),
            },
            r"gateway_review \(2027-01-20\) is after proceedings_issued \(2027-01-06\): a review LPM cannot be",
        ),
        (
            {"lpm_held": date(2026, 10, 1), "review_issue_decision": date(2026, 9, 1)},
            r"review_issue_decision \(2026-09-01\) is before lpm_held \(2026-10-01\)",
        ),
    ],
)
def test_events_in_an_impossible_order_name_both_dates(events: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tt("gloucestershire", events, date(2027, 2, 1), outcome="initiate")


# -- bad input: policy files ---------------------------------------------------------------------

FINAL = """
[[rules]]
key = "final_hearing"
anchor = "proceedings_issued"
amount = 26
unit = "weeks"
when = ["issue"]
responsible_role = "legal_adviser"
source = "002 App. 3 week 26"
"""


def line_of(text: str, needle: str) -> int:
    """The last line that reads ``needle`` (the changed rule comes after VALID's own lines)."""
    lines = text.splitlines()
    return len(lines) - lines[::-1].index(needle)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda t: t + FINAL, "amount = 26", "amount 26 changes a statutory court step"),
        (
            lambda t: (
                t
                + FINAL.replace("amount = 26", "amount = 181")
                .replace('"weeks"', '"calendar_days"')
                .replace('when = ["issue"]', 'when = ["initiate"]')
            ),
            'when = ["initiate"]',
            r"when \('initiate',\) changes a statutory court step",
        ),
        (
            lambda t: t.replace("amount = 10\n", "amount = 0\n"),
            "amount = 0",
            "amount 0 is a zero timescale",
        ),
        (
            lambda t: t.replace("amount = 10\n", "amount = -10\n"),
            "amount = -10",
            "amount -10 is a negative timescale",
        ),
        (
            lambda t: t.replace('anchor = "letter_before_proceedings"', 'anchor = "letter_posted"'),
            'anchor = "letter_posted"',
            "anchor 'letter_posted' is not a known event",
        ),
    ],
)
def test_a_policy_that_breaks_the_statute_or_a_timescale_is_refused_with_file_and_line(
    tmp_path: Path, change, field: str, message: str
) -> None:
    text = change(VALID)
    path = write(tmp_path, text)
    with pytest.raises(PolicyError, match=message) as excinfo:
        load_policy(path)
    assert f"{path}:{line_of(text, field)}: rule #" in str(excinfo.value)


def test_a_policy_may_restate_the_statute_word_for_word_and_gets_it_when_silent(tmp_path: Path) -> None:
    exact = FINAL.replace("amount = 26", "amount = 181").replace('"weeks"', '"calendar_days"')
    exact = exact.replace('source = "002', 'court_extends = true\nlisted = "final_hearing_listed"\nsource = "002')
    restated = load_policy(write(tmp_path, VALID + exact))
    assert [r.source for r in restated.rules_for("final_hearing")] == ["002 App. 3 week 26"]
    (tmp_path / "silent").mkdir()
    silent = load_policy(write(tmp_path / "silent", VALID))
    assert [r.source for r in silent.rules_for("final_hearing")] == ["Children Act 1989 s32(1)(a)(ii), s32(5)"]
    issued = date(2027, 3, 1)
    t = timetable(silent, {"proceedings_issued": issued}, CAL, issued)
    # Issue + 181 days is Sun 29 Aug 2027: due the working day before, Fri 27 Aug.
    assert t.court_limit == issued + dt.timedelta(days=181) == date(2027, 8, 29)
    assert t.get("final_hearing").due == date(2027, 8, 27)  # type: ignore[union-attr]
