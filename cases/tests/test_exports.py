"""The national and SSD pre-proceedings exports: every row checked before anything is downloaded."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from cases import services as cs
from cases.exports import SSD_FIELDS
from cases.models import CareProceedings, HearingKind

from . import test_case_screens as screens
from .test_case_screens import _date, _text

# The case-screen fixtures (a family of two children in pre-proceedings on 20 Jan 2027).
_today = screens._today
staff = screens.staff
family = screens.family
in_pre_proceedings = screens.in_pre_proceedings

pytestmark = pytest.mark.django_db
PERIOD = {**_date("date_from", dt.date(2026, 4, 1)), **_date("date_to", dt.date(2027, 3, 31))}


def _issue(episode, staff, **changes) -> CareProceedings:
    proceedings = cs.proceedings_decide(episode=episode, issue_decision_on=dt.date(2027, 1, 4), by=staff["clo"])
    values: dict[str, Any] = {
        "issued_on": dt.date(2027, 1, 6),
        "court_reference": "NB27C12345",
        "short_notice": "no",
        "parents_represented_at_issue": "yes",
        "initial_care_plan": "A",
    }
    values.update(changes)
    return cs.proceedings_update(proceedings=proceedings, expected_version=None, by=staff["clo"], **values)


def _download(client, code_set: str = "national") -> list[dict[str, str]]:
    response = client.get(reverse("cases:national-export"), {**PERIOD, "code_set": code_set})
    assert response["Content-Type"].startswith("text/csv"), _text(response)[:2000]
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_hearings_listed_for_the_future_are_not_counted_as_held(client, staff, in_pre_proceedings):
    proceedings = _issue(in_pre_proceedings, staff)
    cs.hearing_record(proceedings=proceedings, kind=HearingKind.CMH, hearing_date=dt.date(2027, 1, 14), by=staff["clo"])
    cs.hearing_record(proceedings=proceedings, kind=HearingKind.IRH, hearing_date=dt.date(2027, 5, 26), by=staff["clo"])
    cs.hearing_record(
        proceedings=proceedings, kind=HearingKind.FINAL, hearing_date=dt.date(2027, 7, 7), by=staff["clo"]
    )
    client.force_login(staff["clo"])
    rows = _download(client)
    assert {r["PREP017A"] for r in rows} == {"1"}  # only the CMH on 14 Jan has happened (today 20 Jan)
    assert {r["PREP021A"] for r in rows} == {"A"}
    assert {r["PREP023A"] for r in rows} == {"H"}  # not yet at the final hearing


def test_an_undecided_initial_care_plan_is_a_problem_to_fix_not_g_other(client, staff, in_pre_proceedings, family):
    _issue(in_pre_proceedings, staff, initial_care_plan="")
    client.force_login(staff["clo"])
    response = client.get(reverse("cases:national-export"), {**PERIOD, "code_set": "national"})
    assert response["Content-Type"].startswith("text/html")  # nothing downloaded
    page = _text(response)
    assert "Fix 2 records before you can download the file" in page
    assert "PLO-01001, Mia Ashworth: Proceedings are issued but the initial care plan is not recorded" in page
    assert reverse("cases:family-detail", args=[family.pk]) in page
    assert response.context["title"] in page and "Error: " in page


def test_short_notice_yes_needs_a_reason_at_the_form_and_in_the_database(client, staff, in_pre_proceedings):
    proceedings = _issue(in_pre_proceedings, staff)
    client.force_login(staff["clo"])
    url = reverse("cases:proceedings", args=[proceedings.episode_id])
    response = client.post(
        url,
        {
            **_date("letter_of_issue_on", None),
            **_date("swet_to_legal_on", None),
            **_date("issued_on", dt.date(2027, 1, 6)),
            "court_reference": "NB27C12345",
            "short_notice": "yes",
            "parents_represented_at_issue": "yes",
            "short_notice_reason": "",
            "initial_care_plan": "A",
            "initial_plan_approved": "unknown",
            "final_care_plan": "",
            "final_plan_approved": "unknown",
            "version": proceedings.version,
        },
    )
    assert "Select the main reason for the short-notice application" in _text(response)
    with pytest.raises(IntegrityError), transaction.atomic():
        CareProceedings.objects.filter(pk=proceedings.pk).update(short_notice="yes", short_notice_reason="")


def test_the_ssd_export_uses_the_ssd_field_names_and_code_sets(client, staff, in_pre_proceedings):
    proceedings = _issue(in_pre_proceedings, staff)
    cs.hearing_record(proceedings=proceedings, kind=HearingKind.CMH, hearing_date=dt.date(2027, 1, 14), by=staff["clo"])
    client.force_login(staff["clo"])
    rows = _download(client, "ssd")
    assert list(rows[0]) == SSD_FIELDS
    row = next(r for r in rows if r["prep_person_id"] == "LL5001")
    assert row["prep_plo_family_id"] == "PLO-01001"
    assert row["prep_pre_pro_decision_date"] == "2026-12-17"
    assert row["prep_pre_pro_outcome"] == "Decision to Issue Care Proceedings"
    assert row["prep_agree_stepdown_issue_date"] == "2027-01-04"
    assert row["prep_legal_gateway_outcome"] == "B"
    assert row["prep_parents_legal_rep_point_of_issue"] == "Y"
    assert row["prep_care_proc_short_notice"] == "N"
    assert row["prep_proc_short_notice_reason"] == "No short notice applications"
    assert row["prep_care_proc_court_hearings"] == "1"
    assert row["prep_la_initial_care_plan"] == "A"
    assert row["prep_la_final_care_plan"] == "H"


def test_the_ssd_export_of_a_case_not_in_proceedings(client, staff, in_pre_proceedings):
    client.force_login(staff["clo"])
    row = _download(client, "ssd")[0]
    assert row["prep_pre_pro_outcome"] == ""  # still in pre-proceedings: left blank
    assert row["prep_parents_legal_rep_point_of_issue"] == "NA"
    assert row["prep_la_initial_care_plan"] == "Not in care proceedings"
    assert row["prep_court_reference"] == "" and row["prep_care_proc_court_hearings"] == ""
