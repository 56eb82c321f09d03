"""Nothing in the national or SSD download runs as a formula when a council opens it in a
spreadsheet (OWASP "CSV injection"): text that reached the database by any route — a form, the
tracker import, a fix in the database — is quoted when it starts with = + - @, a tab or a
carriage return (issue 23: dropping the quoting from the exports passed every test)."""

from __future__ import annotations

import pytest

from cases.models import CareProceedings, Child, Family

from . import test_case_screens as screens
from .test_exports import _download, _issue

_today = screens._today
staff = screens.staff
family = screens.family
in_pre_proceedings = screens.in_pre_proceedings

pytestmark = pytest.mark.django_db

HOSTILE = {
    "court": '=HYPERLINK("x"&A1,"Open")',
    "family": "@SUM(1+1)*cmd|'/C calc'",
    "child": "-2+3",
}


@pytest.fixture
def hostile(staff, in_pre_proceedings):
    proceedings = _issue(in_pre_proceedings, staff)
    CareProceedings.objects.filter(pk=proceedings.pk).update(court_reference=HOSTILE["court"])
    Family.objects.filter(pk=in_pre_proceedings.family_id).update(reference=HOSTILE["family"])
    child = Child.objects.filter(family_id=in_pre_proceedings.family_id).order_by("pk").first()
    assert child is not None
    Child.objects.filter(pk=child.pk).update(case_system_id=HOSTILE["child"])
    return in_pre_proceedings


@pytest.mark.parametrize(
    ("code_set", "court", "child", "family_id"),
    [
        ("national", "PREP016A", "PREP001A", "PREP002A"),
        ("ssd", "prep_court_reference", "prep_person_id", "prep_plo_family_id"),
    ],
)
def test_text_that_would_run_as_a_formula_is_quoted(client, staff, hostile, code_set, court, child, family_id):
    client.force_login(staff["clo"])
    rows = _download(client, code_set)
    assert rows, "the family in proceedings is exported"
    assert {r[court] for r in rows} == {"'" + HOSTILE["court"]}
    assert {r[family_id] for r in rows} == {"'" + HOSTILE["family"]}
    assert "'" + HOSTILE["child"] in {r[child] for r in rows}
    # No cell of any row starts with a character a spreadsheet would run.
    for exported in rows:
        for name, value in exported.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (name, value)
