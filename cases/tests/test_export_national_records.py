"""The national pre-proceedings records item by item (docs/national-dataset.md): what each item is
filled from, which records a period holds and in what order, and the exact problems that stop a
record being exported (docs/national-data.md "Checked before download")."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from cases.exports import NationalRecord, national_record_count, national_records, national_rows, record_problems
from cases.models import (
    CareProceedings,
    Child,
    EndOutcome,
    Episode,
    EpisodeChild,
    Family,
    Hearing,
    HearingKind,
    LetterDelivery,
    Stage,
)
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from meetings.models import LPM, LPMKind, LPMOutcome, Meeting, MeetingKind

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 1, 20)
# The national export of a period reads episodes with their families, then each kind of record
# beside them (children, LPMs, meetings, letters, people, proceedings, hearings, issued episodes).
PINNED_QUERIES = 9
FROM, TO = dt.date(2026, 4, 1), dt.date(2027, 3, 31)

INITIAL_BEFORE_DECISION = "The initial meeting is recorded before the decision to start pre-proceedings"
LETTER_BEFORE_DECISION = "The letter before proceedings is recorded as delivered before the decision to start"
OUTCOME_BEFORE_DECISION = "The decision to step down or issue is recorded before the decision to start"
NO_COURT_REFERENCE = "Proceedings are issued but have no court reference: enter the court reference"
SHORT_NOTICE_NO_REASON = "Proceedings were issued on short notice but no reason is recorded: choose the main reason"
REASON_WITHOUT_SHORT_NOTICE = "A short-notice reason is recorded but the proceedings were not issued on short notice"
FINAL_HEARING_NO_PLAN = "The final hearing has taken place but the final care plan is not recorded"
FINAL_PLAN_NO_HEARING = "A final care plan is recorded but no final hearing has taken place"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def clo(make_user):
    """A court liaison officer: sees the whole service, and makes the national return."""
    return make_user(Role.COURT_LIAISON_OFFICER, username="clo", team=None)


def _family(reference: str, *children: str, **child_fields: Any) -> Family:
    family = FamilyFactory.create(reference=reference, name=f"{reference} family")
    for case_system_id in children:
        ChildFactory(family=family, case_system_id=case_system_id, **child_fields)
    return family


def _child(case_system_id: str) -> Child:
    return Child.objects.get(case_system_id=case_system_id)


def _episode(family: Family, by, *, started_on: dt.date, decision_date: dt.date | None = None, **fields) -> Episode:
    """An episode of the family with all its children, linked newest child first (the export
    still lists them in the order of the children's records)."""
    fields.setdefault("stage", Stage.PRE_PROCEEDINGS if decision_date else Stage.LPM)
    episode = Episode.objects.create(
        family=family,
        policy_name="Northmoor PLO",
        policy_version="2026",
        started_on=started_on,
        decision_date=decision_date,
        opened_by=by,
        **fields,
    )
    for child in family.children.order_by("-pk"):
        EpisodeChild.objects.create(episode=episode, child=child)
    return episode


def _lpm(episode: Episode, *, panel_date: dt.date, held_on: dt.date | None, outcome: str = "", **fields) -> LPM:
    return LPM.objects.create(episode=episode, panel_date=panel_date, held_on=held_on, outcome=outcome, **fields)


def _issued(episode: Episode, **fields: Any) -> CareProceedings:
    values: dict[str, Any] = {
        "issue_decision_on": dt.date(2026, 8, 20),
        "issued_on": dt.date(2026, 8, 27),
        "court_reference": "NB26C00417",
        "short_notice": "no",
        "parents_represented_at_issue": "yes",
        "initial_care_plan": "A",
    }
    values.update(fields)
    return CareProceedings.objects.create(episode=episode, **values)


def _records(user, date_from: dt.date = FROM, date_to: dt.date = TO) -> list[NationalRecord]:
    return national_records(user=user, date_from=date_from, date_to=date_to, today=TODAY)


def _by_child(records: list[NationalRecord]) -> dict[str, NationalRecord]:
    return {r.child_id: r for r in records}


# --- An issued case, item by item ----------------------------------------------------------------


@pytest.fixture
def issued_case(clo):
    """Two children whose pre-proceedings began in May 2026 and whose proceedings, issued in
    August 2026, reached the final hearing on 14 January 2027."""
    family = _family("PLO-01001", "LL5001", "LL5002")
    Child.objects.filter(case_system_id="LL5001").update(cp_plan_count=2, previous_care_proceedings=1)
    mother = PersonFactory.create(family=family, full_name="Dawn Ashworth", legally_represented="yes")
    father = PersonFactory.create(
        family=family, full_name="Lee Ashworth", relationship="father", legally_represented="no"
    )
    episode = _episode(family, clo, started_on=dt.date(2026, 4, 20), decision_date=dt.date(2026, 5, 14))
    EpisodeChild.objects.filter(episode=episode, child=_child("LL5002")).update(earlier_episodes=1)
    episode.stage = Stage.PROCEEDINGS
    episode.save()
    _lpm(episode, panel_date=dt.date(2026, 5, 14), held_on=dt.date(2026, 5, 14), outcome=LPMOutcome.INITIATE)
    # The legal gateway review that decided to issue is not the gateway decision (PREP008A).
    _lpm(
        episode,
        kind=LPMKind.REVIEW,
        panel_date=dt.date(2026, 8, 20),
        held_on=dt.date(2026, 8, 20),
        outcome=LPMOutcome.ISSUE,
    )
    Meeting.objects.create(episode=episode, kind=MeetingKind.INITIAL, held_on=dt.date(2026, 5, 21))
    Meeting.objects.create(episode=episode, kind=MeetingKind.REVIEW, held_on=dt.date(2026, 7, 2))
    # A review meeting only scheduled has not been held: it is not counted (PREP013A).
    Meeting.objects.create(episode=episode, kind=MeetingKind.REVIEW, scheduled_for=dt.date(2026, 8, 6))
    # The letter went to the mother on the 19th, to the father the day before (PREP011A: the first).
    LetterDelivery.objects.create(
        episode=episode, person=mother, delivered_on=dt.date(2026, 5, 19), method="Sent by post"
    )
    LetterDelivery.objects.create(
        episode=episode, person=father, delivered_on=dt.date(2026, 5, 18), method="Sent by post"
    )
    proceedings = _issued(
        episode,
        letter_of_issue_on=dt.date(2026, 8, 24),
        short_notice="yes",
        short_notice_reason="A",
        parents_represented_at_issue="no",
        initial_plan_approved="yes",
        final_care_plan="C",
        final_plan_approved="yes",
    )
    for kind, day in [
        (HearingKind.CMH, dt.date(2026, 9, 10)),
        (HearingKind.IRH, dt.date(2026, 12, 10)),
        (HearingKind.FINAL, dt.date(2027, 1, 14)),
        (HearingKind.OTHER, dt.date(2027, 2, 15)),  # listed, not yet held
    ]:
        Hearing.objects.create(proceedings=proceedings, kind=kind, hearing_date=day)
    return episode


def test_an_issued_case_is_written_with_every_item(clo, issued_case):
    records = _records(clo)
    e = issued_case.pk
    mia, baby = _child("LL5001").pk, _child("LL5002").pk
    assert [r.problems for r in records] == [[], []]
    rows = list(national_rows(user=clo, date_from=FROM, date_to=TO))
    common = {
        "PREP002A": "PLO-01001",
        "PREP003A": "14/05/2026",
        "PREP004A": "21/05/2026",
        "PREP005A": "Decision to Issue Care Proceedings",
        "PREP006A": "20/08/2026",
        "PREP008A": "B",
        "PREP011A": "18/05/2026",
        "PREP012A": "24/08/2026",
        "PREP013A": "1",
        "PREP014A": "Yes",
        "PREP015A": "No",
        "PREP016A": "NB26C00417",
        "PREP017A": "3",
        "PREP018A": "Yes",
        "PREP019A": "A",
        "PREP020A": "Yes",
        "PREP021A": "A",
        "PREP022A": "Yes",
        "PREP023A": "C",
    }
    assert rows == [
        # the children in the order of their records, not the order they were added to the episode
        {
            "PREP024A": f"{e}-{mia}",
            "PREP001A": "LL5001",
            **common,
            "PREP007A": "2",
            "PREP009A": "0",
            "PREP010A": "1",  # one before the system; these proceedings are not earlier ones
        },
        {
            "PREP024A": f"{e}-{baby}",
            "PREP001A": "LL5002",
            **common,
            "PREP007A": "0",
            "PREP009A": "1",
            "PREP010A": "0",
        },
    ]


def test_the_export_reads_each_kind_of_record_in_a_fixed_number_of_queries(clo, issued_case):
    """A period of hundreds of families is read in the same few queries as one family: nothing is
    looked up child by child, episode by episode or proceedings by proceedings."""
    _records(clo)  # the person's roles are read once and kept
    with CaptureQueriesContext(connection) as one_family:
        assert len(_records(clo)) == 2
    for n in range(2, 5):
        family = _family(f"PLO-0200{n}", f"LL600{n}", f"LL610{n}")
        PersonFactory(family=family, legally_represented="no")
        episode = _episode(family, clo, started_on=dt.date(2026, 6, n), decision_date=dt.date(2026, 6, 10))
        _lpm(episode, panel_date=dt.date(2026, 6, 10), held_on=dt.date(2026, 6, 10), outcome=LPMOutcome.INITIATE)
        Meeting.objects.create(episode=episode, kind=MeetingKind.INITIAL, held_on=dt.date(2026, 6, 17))
        proceedings = _issued(episode)
        Hearing.objects.create(proceedings=proceedings, kind=HearingKind.CMH, hearing_date=dt.date(2026, 9, 1))
    with CaptureQueriesContext(connection) as four_families:
        assert len(_records(clo)) == 8
    assert len(four_families) == len(one_family), [q["sql"][:120] for q in four_families.captured_queries]
    # Pinned: one query per kind of record read (a join given up for a query of its own shows here).
    assert len(one_family) == PINNED_QUERIES, [q["sql"][:120] for q in one_family.captured_queries]


# --- Which records, in what order -----------------------------------------------------------------


def test_rows_follow_the_order_the_episodes_started(clo):
    later = _episode(_family("PLO-03001", "LL7001"), clo, started_on=dt.date(2026, 9, 1))
    earlier = _episode(_family("PLO-03002", "LL7002"), clo, started_on=dt.date(2026, 5, 1))
    assert [r.row_id for r in _records(clo)] == [
        f"{earlier.pk}-{_child('LL7002').pk}",
        f"{later.pk}-{_child('LL7001').pk}",
    ]


def test_the_record_count_holds_every_child_of_every_episode_open_in_the_period(clo):
    _episode(_family("PLO-04001", "LL8001", "LL8002"), clo, started_on=dt.date(2026, 1, 5))  # still open
    ended: dict[str, Any] = {"end_outcome": EndOutcome.STEP_DOWN_CIN}
    _episode(
        _family("PLO-04002", "LL8003"), clo, started_on=dt.date(2025, 10, 1), ended_on=dt.date(2026, 3, 31), **ended
    )
    _episode(
        _family("PLO-04003", "LL8004"), clo, started_on=dt.date(2025, 10, 1), ended_on=dt.date(2026, 4, 1), **ended
    )
    _episode(_family("PLO-04004", "LL8005"), clo, started_on=dt.date(2027, 4, 1))  # after the period
    assert national_record_count(user=clo, date_from=FROM, date_to=TO) == 3
    assert sorted(r.child_id for r in _records(clo)) == ["LL8001", "LL8002", "LL8004"]


def test_national_rows_are_the_rows_of_the_records_without_problems(clo):
    """Only the period's records, and of those only the ones that can be sent."""
    fine = _episode(
        _family("PLO-05001", "LL9001"), clo, started_on=dt.date(2026, 6, 1), decision_date=dt.date(2026, 6, 8)
    )
    Meeting.objects.create(episode=fine, kind=MeetingKind.INITIAL, held_on=dt.date(2026, 6, 15))
    wrong = _episode(
        _family("PLO-05002", "LL9002"), clo, started_on=dt.date(2026, 6, 1), decision_date=dt.date(2026, 6, 8)
    )
    Meeting.objects.create(episode=wrong, kind=MeetingKind.INITIAL, held_on=dt.date(2026, 6, 5))
    _episode(_family("PLO-05003", "LL9003"), clo, started_on=dt.date(2027, 4, 1))  # after the period
    _episode(
        _family("PLO-05004", "LL9004"),
        clo,
        started_on=dt.date(2025, 1, 6),
        ended_on=dt.date(2025, 2, 1),
        end_outcome=EndOutcome.STEP_DOWN_CP,
    )  # ended before it
    rows = list(national_rows(user=clo, date_from=FROM, date_to=TO))
    assert rows == [
        {
            "PREP024A": f"{fine.pk}-{_child('LL9001').pk}",
            "PREP001A": "LL9001",
            "PREP002A": "PLO-05001",
            "PREP003A": "08/06/2026",
            "PREP004A": "15/06/2026",
            "PREP005A": "",
            "PREP006A": "",
            "PREP007A": "0",
            "PREP008A": "D",
            "PREP009A": "0",
            "PREP010A": "0",
            "PREP011A": "",
            "PREP012A": "",
            "PREP013A": "0",
            "PREP014A": "Unknown",
            "PREP015A": "Not in care proceedings",
            "PREP016A": "",
            "PREP017A": "0",
            "PREP018A": "Not in care proceedings",
            "PREP019A": "none",
            "PREP020A": "Unknown",
            "PREP021A": "Not in care proceedings",
            "PREP022A": "Unknown",
            "PREP023A": "H",
        }
    ]


# --- Items filled from the case ---------------------------------------------------------------------


def test_a_case_still_in_pre_proceedings_is_recorded_with_nothing_from_proceedings(clo):
    family = _family("PLO-06001", "LL9101")
    episode = _episode(family, clo, started_on=dt.date(2026, 11, 2), decision_date=dt.date(2026, 11, 12))
    _lpm(episode, panel_date=dt.date(2026, 11, 12), held_on=dt.date(2026, 11, 12), outcome=LPMOutcome.INITIATE)
    assert _records(clo) == [
        NationalRecord(
            row_id=f"{episode.pk}-{_child('LL9101').pk}",
            family_pk=family.pk,
            family_reference="PLO-06001",
            child_name=str(_child("LL9101")),
            child_id="LL9101",
            decision_date=dt.date(2026, 11, 12),
            initial_meeting=None,
            outcome="",
            outcome_date=None,
            cp_plans=0,
            gateway_outcome="B",
            previous_pre_proceedings=0,
            previous_proceedings=0,
            letter_delivered=None,
            letter_of_issue=None,
            review_meetings=0,
            represented_pre="unknown",
            issued=False,
            represented_at_issue="",
            court_reference="",
            hearings_held=0,
            short_notice="",
            short_notice_reason="",
            initial_plan_approved="",
            initial_care_plan="",
            final_plan_approved="",
            final_care_plan="",
            final_hearing_held=False,
            problems=[],
        )
    ]


def test_the_gateway_outcome_is_the_last_lpm_held_that_decided(clo):
    # The first listing (1 May) was adjourned and held on 14 May, after a second listing on 7 May
    # had deferred: the decision is the one held last, whatever order they were listed or entered.
    adjourned = _episode(_family("PLO-07001", "LL9201"), clo, started_on=dt.date(2026, 4, 20))
    _lpm(adjourned, panel_date=dt.date(2026, 5, 1), held_on=dt.date(2026, 5, 14), outcome=LPMOutcome.INITIATE)
    _lpm(adjourned, kind=LPMKind.FURTHER, panel_date=dt.date(2026, 5, 7), held_on=dt.date(2026, 5, 7), outcome="defer")
    listed = _episode(_family("PLO-07002", "LL9202"), clo, started_on=dt.date(2026, 12, 1))
    _lpm(listed, panel_date=dt.date(2027, 1, 28), held_on=None)  # not held yet
    deferred = _episode(_family("PLO-07003", "LL9203"), clo, started_on=dt.date(2026, 12, 1))
    _lpm(deferred, panel_date=dt.date(2027, 1, 7), held_on=dt.date(2027, 1, 7), outcome=LPMOutcome.DEFER)
    reviewed = _episode(_family("PLO-07004", "LL9204"), clo, started_on=dt.date(2026, 6, 1))
    _lpm(reviewed, panel_date=dt.date(2026, 6, 4), held_on=dt.date(2026, 6, 4), outcome=LPMOutcome.NFA)
    _lpm(reviewed, kind=LPMKind.REVIEW, panel_date=dt.date(2026, 9, 3), held_on=dt.date(2026, 9, 3), outcome="issue")
    held_no_outcome = _episode(_family("PLO-07005", "LL9205"), clo, started_on=dt.date(2026, 6, 1))
    _lpm(held_no_outcome, panel_date=dt.date(2026, 6, 4), held_on=dt.date(2026, 6, 4), outcome=LPMOutcome.ISSUE)
    _lpm(held_no_outcome, kind=LPMKind.FURTHER, panel_date=dt.date(2026, 6, 18), held_on=dt.date(2026, 6, 18))
    assert {r.child_id: r.gateway_outcome for r in _records(clo)} == {
        "LL9201": "B",
        "LL9202": "D",
        "LL9203": "D",
        "LL9204": "A",
        "LL9205": "C",
    }


def test_representation_in_pre_proceedings_is_from_the_parents_with_parental_responsibility(clo):
    yes = _family("PLO-08001", "LL9301")
    PersonFactory(family=yes, legally_represented="yes")
    PersonFactory(family=yes, legally_represented="no")
    no = _family("PLO-08002", "LL9302")
    PersonFactory(family=no, legally_represented="no")
    PersonFactory(family=no, legally_represented="no")
    PersonFactory(family=no, legally_represented="yes", parental_responsibility=False)  # a grandparent
    unknown = _family("PLO-08003", "LL9303")
    PersonFactory(family=unknown, legally_represented="no")
    PersonFactory(family=unknown, legally_represented="unknown")
    nobody = _family("PLO-08004", "LL9304")
    for family in (yes, no, unknown, nobody):
        _episode(family, clo, started_on=dt.date(2026, 6, 1))
    records = _records(clo)
    assert {r.child_id: r.represented_pre for r in records} == {
        "LL9301": "yes",
        "LL9302": "no",
        "LL9303": "unknown",
        "LL9304": "unknown",
    }
    rows = list(national_rows(user=clo, date_from=FROM, date_to=TO))
    assert {r["PREP001A"]: r["PREP014A"] for r in rows} == {
        "LL9301": "Yes",
        "LL9302": "No",
        "LL9303": "Unknown",
        "LL9304": "Unknown",
    }


def test_a_step_down_is_dated_by_its_decision_else_by_the_end(clo):
    _episode(
        _family("PLO-09001", "LL9401"),
        clo,
        started_on=dt.date(2026, 4, 20),
        decision_date=dt.date(2026, 5, 14),
        end_decision_date=dt.date(2026, 10, 1),
        ended_on=dt.date(2026, 10, 8),
        end_outcome=EndOutcome.STEP_DOWN_CP,
        stage=Stage.ENDED,
    )
    _episode(
        _family("PLO-09002", "LL9402"),
        clo,
        started_on=dt.date(2026, 4, 20),
        decision_date=dt.date(2026, 5, 14),
        ended_on=dt.date(2026, 11, 2),
        end_outcome=EndOutcome.NFA,
        stage=Stage.ENDED,
    )
    assert {r.child_id: (r.outcome, r.outcome_date) for r in _records(clo)} == {
        "LL9401": ("step_down", dt.date(2026, 10, 1)),
        "LL9402": ("step_down", dt.date(2026, 11, 2)),
    }
    rows = {r["PREP001A"]: (r["PREP005A"], r["PREP006A"]) for r in national_rows(user=clo, date_from=FROM, date_to=TO)}
    assert rows == {
        "LL9401": ("Decision to step down", "01/10/2026"),
        "LL9402": ("Decision to step down", "02/11/2026"),
    }


def test_earlier_care_proceedings_count_those_before_the_system_and_earlier_issued_episodes(clo):
    # LL9501's first episode was issued in 2025; this one is in pre-proceedings again.
    again = _family("PLO-10001", "LL9501")
    first = _episode(
        again,
        clo,
        started_on=dt.date(2025, 1, 6),
        decision_date=dt.date(2025, 1, 9),
        ended_on=dt.date(2025, 3, 3),
        end_outcome=EndOutcome.ISSUE,
        stage=Stage.ENDED,
    )
    _issued(first, issue_decision_on=dt.date(2025, 2, 20), issued_on=dt.date(2025, 3, 3))
    _episode(again, clo, started_on=dt.date(2026, 9, 1), decision_date=dt.date(2026, 9, 10))
    # LL9502: never in proceedings.
    _episode(_family("PLO-10002", "LL9502"), clo, started_on=dt.date(2026, 9, 1))
    # LL9503: once before the system, and issued now.
    now = _episode(_family("PLO-10003", "LL9503", previous_care_proceedings=1), clo, started_on=dt.date(2026, 6, 1))
    _issued(now)
    assert {r.child_id: r.previous_proceedings for r in _records(clo)} == {"LL9501": 1, "LL9502": 0, "LL9503": 1}


def test_hearings_count_once_held_by_the_end_of_the_period_or_today(clo):
    episode = _episode(_family("PLO-11001", "LL9601"), clo, started_on=dt.date(2026, 6, 1))
    proceedings = _issued(episode)
    for kind, day in [
        (HearingKind.CMH, dt.date(2026, 12, 31)),  # the last day of the first period
        (HearingKind.IRH, dt.date(2027, 1, 20)),  # today
        (HearingKind.OTHER, dt.date(2027, 1, 21)),  # tomorrow
    ]:
        Hearing.objects.create(proceedings=proceedings, kind=kind, hearing_date=day)
    assert [r.hearings_held for r in _records(clo, date_to=dt.date(2026, 12, 31))] == [1]
    assert [r.hearings_held for r in _records(clo, date_to=TO)] == [2]


# --- Problems that stop a record being exported -----------------------------------------------------


def test_dates_on_the_day_of_the_decision_are_not_problems_and_dates_before_it_are(clo):
    def case(reference: str, child: str, day: dt.date) -> Episode:
        family = _family(reference, child)
        parent = PersonFactory.create(family=family)
        episode = _episode(family, clo, started_on=dt.date(2026, 5, 1), decision_date=dt.date(2026, 5, 14))
        Meeting.objects.create(episode=episode, kind=MeetingKind.INITIAL, held_on=day)
        LetterDelivery.objects.create(episode=episode, person=parent, delivered_on=day, method="Sent by post")
        _issued(episode, issue_decision_on=day, issued_on=dt.date(2026, 8, 27))
        return episode

    case("PLO-12001", "LL9701", dt.date(2026, 5, 14))
    case("PLO-12002", "LL9702", dt.date(2026, 5, 13))
    assert {r.child_id: r.problems for r in _records(clo)} == {
        "LL9701": [],
        "LL9702": [INITIAL_BEFORE_DECISION, LETTER_BEFORE_DECISION, OUTCOME_BEFORE_DECISION],
    }


def test_issued_proceedings_need_a_court_reference_and_a_final_plan_only_with_a_final_hearing(clo):
    no_reference = _episode(_family("PLO-13001", "LL9801"), clo, started_on=dt.date(2026, 6, 1))
    _issued(no_reference, court_reference="")
    heard_no_plan = _episode(_family("PLO-13002", "LL9802"), clo, started_on=dt.date(2026, 6, 1))
    final = _issued(heard_no_plan)
    Hearing.objects.create(proceedings=final, kind=HearingKind.FINAL, hearing_date=dt.date(2027, 1, 14))
    plan_not_heard = _episode(_family("PLO-13003", "LL9803"), clo, started_on=dt.date(2026, 6, 1))
    listed = _issued(plan_not_heard, final_care_plan="E")
    Hearing.objects.create(proceedings=listed, kind=HearingKind.FINAL, hearing_date=dt.date(2027, 2, 3))
    records = _records(clo)
    assert {r.child_id: r.problems for r in records} == {
        "LL9801": [NO_COURT_REFERENCE],
        "LL9802": [FINAL_HEARING_NO_PLAN],
        "LL9803": [FINAL_PLAN_NO_HEARING],
    }
    assert {r.child_id: r.final_hearing_held for r in records} == {"LL9801": False, "LL9802": True, "LL9803": False}


# record_problems on its own: the database refuses these short-notice combinations (test_exports.py),
# so only a record built here can hold them; the check is the last guard before the DfE file.
_CLEAN = NationalRecord(
    row_id="1-1",
    family_pk=1,
    family_reference="PLO-01001",
    child_name="Mia Ashworth",
    child_id="LL5001",
    decision_date=dt.date(2026, 5, 14),
    initial_meeting=dt.date(2026, 5, 21),
    outcome="issue",
    outcome_date=dt.date(2026, 8, 20),
    cp_plans=0,
    gateway_outcome="B",
    previous_pre_proceedings=0,
    previous_proceedings=0,
    letter_delivered=dt.date(2026, 5, 18),
    letter_of_issue=None,
    review_meetings=1,
    represented_pre="yes",
    issued=True,
    represented_at_issue="yes",
    court_reference="NB26C00417",
    hearings_held=1,
    short_notice="yes",
    short_notice_reason="B",
    initial_plan_approved="unknown",
    initial_care_plan="A",
    final_plan_approved="unknown",
    final_care_plan="",
    final_hearing_held=False,
)


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({}, []),
        ({"short_notice_reason": ""}, [SHORT_NOTICE_NO_REASON]),
        ({"short_notice": "no"}, [REASON_WITHOUT_SHORT_NOTICE]),
        ({"short_notice": "unknown"}, [REASON_WITHOUT_SHORT_NOTICE]),
        ({"short_notice": "no", "short_notice_reason": ""}, []),
    ],
)
def test_short_notice_and_its_reason_go_together(changes, problems):
    assert record_problems(dataclasses.replace(_CLEAN, **changes)) == problems


def test_care_proceedings_issued_after_an_episode_are_not_earlier_proceedings_for_it(clo):
    """PREP010A counts the child's earlier periods of care proceedings: an episode stepped down in
    June is not given the proceedings a later episode issued in October, and the October episode
    does not count its own."""
    family = _family("PLO-12001", "LL9701")
    june = _episode(
        family,
        clo,
        started_on=dt.date(2026, 3, 2),
        decision_date=dt.date(2026, 3, 5),
        ended_on=dt.date(2026, 6, 1),
        end_outcome=EndOutcome.STEP_DOWN_CIN,
        stage=Stage.ENDED,
    )
    october = _episode(family, clo, started_on=dt.date(2026, 8, 3), decision_date=dt.date(2026, 8, 6))
    _issued(october, issue_decision_on=dt.date(2026, 9, 28), issued_on=dt.date(2026, 10, 5))
    records = {r.row_id: r.previous_proceedings for r in _records(clo, date_from=dt.date(2026, 1, 1))}
    child = october.episode_children.get().child_id
    assert records == {f"{june.pk}-{child}": 0, f"{october.pk}-{child}": 0}
