"""Every column of the national return and of the SSD row, as the performance team submits them
and an analyst opens them: DD/MM/YYYY dates in the return, ISO dates in the SSD, Yes/No/Unknown
(national) and Y/N/U (SSD) codes, and what each item says for a child not in care proceedings
(docs/national-dataset.md, docs/national-data.md). Whole rows are compared, so a column that
loses its value, takes another column's value or changes its spelling is caught."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace

import pytest
from django.urls import reverse

from cases.exports import NationalRecord, csv_filename, export_csv, national_row, spreadsheet_safe, ssd_row
from cases.models import Child

from . import test_case_screens as screens
from .test_exports import PERIOD, _issue

_today = screens._today
staff = screens.staff
family = screens.family
in_pre_proceedings = screens.in_pre_proceedings

NATIONAL_HEADER = (
    "PREP024A,PREP001A,PREP002A,PREP003A,PREP004A,PREP005A,PREP006A,PREP007A,PREP008A,PREP009A,"
    "PREP010A,PREP011A,PREP012A,PREP013A,PREP014A,PREP015A,PREP016A,PREP017A,PREP018A,PREP019A,"
    "PREP020A,PREP021A,PREP022A,PREP023A"
)
SSD_HEADER = (
    "prep_table_id,prep_person_id,prep_plo_family_id,prep_pre_pro_decision_date,"
    "prep_initial_pre_pro_meeting_date,prep_pre_pro_outcome,prep_agree_stepdown_issue_date,"
    "prep_cp_plans_referral_period,prep_legal_gateway_outcome,prep_prev_pre_proc_child,"
    "prep_prev_care_proc_child,prep_pre_pro_letter_date,prep_care_pro_letter_date,"
    "prep_pre_pro_meetings_num,prep_pre_pro_parents_legal_rep,prep_parents_legal_rep_point_of_issue,"
    "prep_court_reference,prep_care_proc_court_hearings,prep_care_proc_short_notice,"
    "prep_proc_short_notice_reason,prep_la_inital_plan_approved,prep_la_initial_care_plan,"
    "prep_la_final_plan_approved,prep_la_final_care_plan"
)

# A child whose proceedings were issued and reached the final hearing: every item has a value,
# every date has a day below 13 (so a day/month swap shows) and every count differs.
ISSUED = NationalRecord(
    row_id="41-7",
    family_pk=3,
    family_reference="PLO-01001",
    child_name="Mia Ashworth",
    child_id="LL5001",
    decision_date=dt.date(2026, 11, 3),
    initial_meeting=dt.date(2026, 11, 9),
    outcome="issue",
    outcome_date=dt.date(2027, 1, 4),
    cp_plans=2,
    gateway_outcome="C",
    previous_pre_proceedings=1,
    previous_proceedings=3,
    letter_delivered=dt.date(2026, 11, 8),
    letter_of_issue=dt.date(2027, 1, 5),
    review_meetings=4,
    represented_pre="yes",
    issued=True,
    represented_at_issue="no",
    court_reference="NB27C12345",
    hearings_held=5,
    short_notice="yes",
    short_notice_reason="B",
    initial_plan_approved="yes",
    initial_care_plan="A",
    final_plan_approved="no",
    final_care_plan="E",
    final_hearing_held=True,
)

# Issued, no hearing beyond the first yet, nothing known about representation or approval.
ISSUED_UNKNOWNS = replace(
    ISSUED,
    initial_meeting=None,
    letter_of_issue=None,
    represented_pre="unknown",
    represented_at_issue="unknown",
    hearings_held=1,
    short_notice="no",
    short_notice_reason="",
    initial_plan_approved="unknown",
    final_plan_approved="unknown",
    final_care_plan="",
    final_hearing_held=False,
)

# Still in pre-proceedings: no outcome, no proceedings record (national_records fills the
# proceedings items with "" and counts no hearings).
OPEN = NationalRecord(
    row_id="42-8",
    family_pk=4,
    family_reference="PLO-01002",
    child_name="Leo Brook",
    child_id="LL5003",
    decision_date=dt.date(2026, 12, 1),
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
    represented_pre="no",
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
)

# Proceedings decided and prepared but not issued: the proceedings record already holds answers
# (a short-notice application with its reason, plans approved, representation), none of which
# the return may report until the proceedings are issued.
DECIDED_NOT_ISSUED = replace(
    OPEN,
    outcome="issue",
    outcome_date=dt.date(2027, 1, 4),
    letter_of_issue=dt.date(2027, 1, 5),
    represented_at_issue="yes",
    short_notice="yes",
    short_notice_reason="A",
    initial_plan_approved="yes",
    initial_care_plan="B",
    final_plan_approved="yes",
    final_care_plan="A",
)


def test_an_issued_child_in_the_national_return():
    assert national_row(ISSUED) == {
        "PREP024A": "41-7",
        "PREP001A": "LL5001",
        "PREP002A": "PLO-01001",
        "PREP003A": "03/11/2026",
        "PREP004A": "09/11/2026",
        "PREP005A": "Decision to Issue Care Proceedings",
        "PREP006A": "04/01/2027",
        "PREP007A": "2",
        "PREP008A": "C",
        "PREP009A": "1",
        "PREP010A": "3",
        "PREP011A": "08/11/2026",
        "PREP012A": "05/01/2027",
        "PREP013A": "4",
        "PREP014A": "Yes",
        "PREP015A": "No",
        "PREP016A": "NB27C12345",
        "PREP017A": "5",
        "PREP018A": "Yes",
        "PREP019A": "B",
        "PREP020A": "Yes",
        "PREP021A": "A",
        "PREP022A": "No",
        "PREP023A": "E",
    }


def test_an_issued_child_in_the_ssd():
    assert ssd_row(ISSUED) == {
        "prep_table_id": "41-7",
        "prep_person_id": "LL5001",
        "prep_plo_family_id": "PLO-01001",
        "prep_pre_pro_decision_date": "2026-11-03",
        "prep_initial_pre_pro_meeting_date": "2026-11-09",
        "prep_pre_pro_outcome": "Decision to Issue Care Proceedings",
        "prep_agree_stepdown_issue_date": "2027-01-04",
        "prep_cp_plans_referral_period": "2",
        "prep_legal_gateway_outcome": "C",
        "prep_prev_pre_proc_child": "1",
        "prep_prev_care_proc_child": "3",
        "prep_pre_pro_letter_date": "2026-11-08",
        "prep_care_pro_letter_date": "2027-01-05",
        "prep_pre_pro_meetings_num": "4",
        "prep_pre_pro_parents_legal_rep": "Y",
        "prep_parents_legal_rep_point_of_issue": "N",
        "prep_court_reference": "NB27C12345",
        "prep_care_proc_court_hearings": "5",
        "prep_care_proc_short_notice": "Y",
        "prep_proc_short_notice_reason": "B",
        "prep_la_inital_plan_approved": "Y",
        "prep_la_initial_care_plan": "A",
        "prep_la_final_plan_approved": "N",
        "prep_la_final_care_plan": "E",
    }


def test_unknown_answers_are_written_unknown_and_missing_dates_blank():
    national = national_row(ISSUED_UNKNOWNS)
    assert {k: national[k] for k in ("PREP004A", "PREP012A", "PREP014A", "PREP015A")} == {
        "PREP004A": "",
        "PREP012A": "",
        "PREP014A": "Unknown",
        "PREP015A": "Unknown",
    }
    assert {k: national[k] for k in ("PREP017A", "PREP018A", "PREP019A", "PREP020A", "PREP022A", "PREP023A")} == {
        "PREP017A": "1",
        "PREP018A": "No",
        "PREP019A": "none",  # issued, not on short notice
        "PREP020A": "Unknown",
        "PREP022A": "Unknown",
        "PREP023A": "H",  # not yet at the final hearing
    }
    ssd = ssd_row(ISSUED_UNKNOWNS)
    assert {k: ssd[k] for k in SSD_HEADER.split(",")[11:]} == {
        "prep_pre_pro_letter_date": "2026-11-08",
        "prep_care_pro_letter_date": "",
        "prep_pre_pro_meetings_num": "4",
        "prep_pre_pro_parents_legal_rep": "U",
        "prep_parents_legal_rep_point_of_issue": "U",
        "prep_court_reference": "NB27C12345",
        "prep_care_proc_court_hearings": "1",
        "prep_care_proc_short_notice": "N",
        "prep_proc_short_notice_reason": "No short notice applications",
        "prep_la_inital_plan_approved": "U",
        "prep_la_initial_care_plan": "A",
        "prep_la_final_plan_approved": "U",
        "prep_la_final_care_plan": "H",
    }
    assert ssd["prep_initial_pre_pro_meeting_date"] == ""


@pytest.mark.parametrize("record", [OPEN, DECIDED_NOT_ISSUED], ids=["open", "decided-not-issued"])
def test_a_child_not_in_care_proceedings_in_the_national_return(record):
    row = national_row(record)
    proceedings_items = {k: row.pop(k) for k in [f"PREP{n:03d}A" for n in range(15, 24)]}
    assert proceedings_items == {
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
    if record is OPEN:
        assert row == {
            "PREP024A": "42-8",
            "PREP001A": "LL5003",
            "PREP002A": "PLO-01002",
            "PREP003A": "01/12/2026",
            "PREP004A": "",
            "PREP005A": "",  # still open
            "PREP006A": "",
            "PREP007A": "0",
            "PREP008A": "B",
            "PREP009A": "0",
            "PREP010A": "0",
            "PREP011A": "",
            "PREP012A": "",
            "PREP013A": "0",
            "PREP014A": "No",
        }
    else:
        assert (row["PREP005A"], row["PREP006A"], row["PREP012A"]) == (
            "Decision to Issue Care Proceedings",
            "04/01/2027",
            "05/01/2027",
        )


@pytest.mark.parametrize("record", [OPEN, DECIDED_NOT_ISSUED], ids=["open", "decided-not-issued"])
def test_a_child_not_in_care_proceedings_in_the_ssd(record):
    row = ssd_row(record)
    proceedings_items = {k: row.pop(k) for k in SSD_HEADER.split(",")[12:] if k != "prep_pre_pro_meetings_num"}
    assert proceedings_items == {
        "prep_care_pro_letter_date": "",  # blank until issued, even when the letter was sent
        "prep_pre_pro_parents_legal_rep": "N",
        "prep_parents_legal_rep_point_of_issue": "NA",
        "prep_court_reference": "",
        "prep_care_proc_court_hearings": "",
        "prep_care_proc_short_notice": "",
        "prep_proc_short_notice_reason": "",
        "prep_la_inital_plan_approved": "",
        "prep_la_initial_care_plan": "Not in care proceedings",
        "prep_la_final_plan_approved": "",
        "prep_la_final_care_plan": "",
    }
    if record is OPEN:
        assert row == {
            "prep_table_id": "42-8",
            "prep_person_id": "LL5003",
            "prep_plo_family_id": "PLO-01002",
            "prep_pre_pro_decision_date": "2026-12-01",
            "prep_initial_pre_pro_meeting_date": "",
            "prep_pre_pro_outcome": "",
            "prep_agree_stepdown_issue_date": "",
            "prep_cp_plans_referral_period": "0",
            "prep_legal_gateway_outcome": "B",
            "prep_prev_pre_proc_child": "0",
            "prep_prev_care_proc_child": "0",
            "prep_pre_pro_letter_date": "",
            "prep_pre_pro_meetings_num": "0",
        }
    else:
        assert (row["prep_pre_pro_outcome"], row["prep_agree_stepdown_issue_date"]) == (
            "Decision to Issue Care Proceedings",
            "2027-01-04",
        )


def test_a_stepped_down_child_is_written_with_the_step_down_decision():
    stepped_down = replace(OPEN, outcome="step_down", outcome_date=dt.date(2027, 2, 10))
    assert (national_row(stepped_down)["PREP005A"], national_row(stepped_down)["PREP006A"]) == (
        "Decision to step down",
        "10/02/2027",
    )
    assert (ssd_row(stepped_down)["prep_pre_pro_outcome"], ssd_row(stepped_down)["prep_agree_stepdown_issue_date"]) == (
        "Decision to step down",
        "2027-02-10",
    )


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


@pytest.mark.parametrize(
    ("code_set", "header", "filename"),
    [
        ("national", NATIONAL_HEADER, "pre-proceedings-20260401-20270331.csv"),
        ("ssd", SSD_HEADER, "ssd-pre-proceedings-20260401-20270331.csv"),
    ],
    ids=["national", "ssd"],
)
def test_the_download_is_named_for_its_code_set_and_period(code_set, header, filename):
    response = export_csv(
        records=[ISSUED, OPEN], code_set=code_set, date_from=dt.date(2026, 4, 1), date_to=dt.date(2027, 3, 31)
    )
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = _body(response).split("\r\n")
    assert lines[0] == header
    assert len(lines) == 4 and lines[3] == ""  # the header, two rows, the final line break
    assert csv_filename(code_set=code_set, date_from=dt.date(2026, 4, 1), date_to=dt.date(2027, 3, 31)) == filename


def test_the_csv_rows_are_the_rows_the_analyst_reads():
    response = export_csv(
        records=[ISSUED, OPEN], code_set="national", date_from=dt.date(2026, 4, 1), date_to=dt.date(2027, 3, 31)
    )
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert rows[1:] == [
        [
            "41-7", "LL5001", "PLO-01001", "03/11/2026", "09/11/2026", "Decision to Issue Care Proceedings",
            "04/01/2027", "2", "C", "1", "3", "08/11/2026", "05/01/2027", "4", "Yes", "No", "NB27C12345", "5",
            "Yes", "B", "Yes", "A", "No", "E",
        ],
        [
            "42-8", "LL5003", "PLO-01002", "01/12/2026", "", "", "", "0", "B", "0", "0", "", "", "0", "No",
            "Not in care proceedings", "", "0", "Not in care proceedings", "none", "Unknown",
            "Not in care proceedings", "Unknown", "H",
        ],
    ]  # fmt: skip


def test_an_empty_value_is_an_empty_cell_not_the_word_none():
    assert spreadsheet_safe(None) == ""
    assert spreadsheet_safe(0) == "0"
    assert spreadsheet_safe("=1+1") == "'=1+1"


@pytest.mark.django_db
def test_proceedings_decided_but_not_issued_are_downloaded_as_not_in_care_proceedings(
    client, staff, in_pre_proceedings
):
    """The court liaison officer has prepared the application (short notice, reason A, plans
    approved, the letter of issue sent) but the court has not issued it yet."""
    _issue(
        in_pre_proceedings,
        staff,
        issued_on=None,
        court_reference="",
        letter_of_issue_on=dt.date(2027, 1, 5),
        short_notice="yes",
        short_notice_reason="A",
        parents_represented_at_issue="yes",
        initial_plan_approved="yes",
        final_plan_approved="yes",
        final_care_plan="C",
    )
    mia = Child.objects.get(case_system_id="LL5001")
    client.force_login(staff["clo"])
    national = client.get(reverse("cases:national-export"), {**PERIOD, "code_set": "national"})
    assert national["Content-Disposition"] == 'attachment; filename="pre-proceedings-20260401-20270331.csv"'
    rows = {r["PREP001A"]: r for r in csv.DictReader(io.StringIO(_body(national)))}
    assert rows["LL5001"] == {
        "PREP024A": f"{in_pre_proceedings.pk}-{mia.pk}",
        "PREP001A": "LL5001",
        "PREP002A": "PLO-01001",
        "PREP003A": "17/12/2026",
        "PREP004A": "",
        "PREP005A": "Decision to Issue Care Proceedings",
        "PREP006A": "04/01/2027",
        "PREP007A": "0",
        "PREP008A": "B",
        "PREP009A": "0",
        "PREP010A": "0",
        "PREP011A": "",
        "PREP012A": "05/01/2027",
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
    ssd = client.get(reverse("cases:national-export"), {**PERIOD, "code_set": "ssd"})
    assert ssd["Content-Disposition"] == 'attachment; filename="ssd-pre-proceedings-20260401-20270331.csv"'
    rows = {r["prep_person_id"]: r for r in csv.DictReader(io.StringIO(_body(ssd)))}
    assert rows["LL5001"] == {
        "prep_table_id": f"{in_pre_proceedings.pk}-{mia.pk}",
        "prep_person_id": "LL5001",
        "prep_plo_family_id": "PLO-01001",
        "prep_pre_pro_decision_date": "2026-12-17",
        "prep_initial_pre_pro_meeting_date": "",
        "prep_pre_pro_outcome": "Decision to Issue Care Proceedings",
        "prep_agree_stepdown_issue_date": "2027-01-04",
        "prep_cp_plans_referral_period": "0",
        "prep_legal_gateway_outcome": "B",
        "prep_prev_pre_proc_child": "0",
        "prep_prev_care_proc_child": "0",
        "prep_pre_pro_letter_date": "",
        "prep_care_pro_letter_date": "",
        "prep_pre_pro_meetings_num": "0",
        "prep_pre_pro_parents_legal_rep": "U",
        "prep_parents_legal_rep_point_of_issue": "NA",
        "prep_court_reference": "",
        "prep_care_proc_court_hearings": "",
        "prep_care_proc_short_notice": "",
        "prep_proc_short_notice_reason": "",
        "prep_la_inital_plan_approved": "",
        "prep_la_initial_care_plan": "Not in care proceedings",
        "prep_la_final_plan_approved": "",
        "prep_la_final_care_plan": "",
    }
