"""Who may see and change what, as people see it in a browser (issue 9), with the screenshots in
docs/security.md: a head of service restricting a case, the administrator's audit trail with a
privileged change withheld, and the legal adviser recording legal advice only."""

from __future__ import annotations

import datetime as dt

import pghistory
import pytest
import time_machine

from accounts.roles import Role
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from conftest import axe_violations, sign_in
from meetings import services as ms
from plo_tracker.tests.shots import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)  # Wednesday 3 February 2027
DOCS = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment", "swet"), ("present", ""))


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def people(make_user, team):
    return {
        "sw": make_user(Role.SOCIAL_WORKER, username="sam.social", first_name="Sam", last_name="Social"),
        "tm": make_user(Role.TEAM_MANAGER, username="tara.manager", first_name="Tara", last_name="Manager"),
        "hos": make_user(Role.HEAD_OF_SERVICE, username="helen.hos", first_name="Helen", last_name="Hos", team=None),
        "legal": make_user(Role.LEGAL_ADVISER, username="leo.legal", first_name="Leo", last_name="Legal", team=None),
        "clo": make_user(
            Role.COURT_LIAISON_OFFICER, username="clara.clo", first_name="Clara", last_name="Clo", team=None
        ),
        "admin": make_user(Role.ADMINISTRATOR, username="ada.admin", first_name="Ada", last_name="Admin", team=None),
    }


def _family(people, name="Quill family", reference="PLO-QUILL"):
    family = FamilyFactory.create(
        team=people["tm"].team, social_worker=people["sw"], team_manager=people["tm"], name=name, reference=reference
    )
    ChildFactory.create(family=family, first_name="Zebedee", last_name="Quill")
    PersonFactory.create(family=family, full_name="Dana Quill", relationship="mother")
    return family


def _held_lpm(people, family):
    today = dt.date(2027, 2, 3)
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2027, 1, 4),
        recommendation="pre_proceedings",
        concerns="Neglect",
        documents=DOCS,
        by=people["tm"],
        today=today,
    )
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status="approved",
        decided_on=dt.date(2027, 1, 5),
        by=people["hos"],
        today=today,
    )
    lpm = ms.lpm_list(episode=request.episode, panel_date=dt.date(2027, 1, 7), by=people["tm"], today=today)
    return ms.lpm_record_outcome(
        lpm=lpm,
        expected_version=None,
        held_on=dt.date(2027, 1, 7),
        outcome="initiate",
        chair=people["hos"],
        by=people["hos"],
        today=today,
    )


def test_a_head_of_service_restricts_a_case_naming_who_may_see_it(page, live_server, people):
    base = live_server.url
    family = _family(people)
    sign_in(page, base, "helen.hos")
    page.goto(f"{base}/cases/families/{family.pk}/")
    page.get_by_role("link", name="Restrict this case").click()
    page.check("input[name=restricted]")
    page.get_by_label("Clara Clo").check()
    page.get_by_label("Helen Hos").check()
    page.fill("#id_reason", "The mother works in children's services here: only the allocated staff, the CLO and me.")
    assert axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "restriction.png"), full_page=True)
    page.get_by_role("button").filter(has_text="Save").click()
    restriction = page.inner_text("[data-testid=restriction]")
    assert "Restricted case" in restriction
    for name in ("Clara Clo", "Helen Hos", "Sam Social", "Tara Manager"):
        assert name in restriction
    page.screenshot(path=str(SHOTS / "restriction-case-page.png"), full_page=True)
    family.refresh_from_db()
    assert family.restricted
    assert set(family.restricted_to.values_list("username", flat=True)) == {
        "clara.clo",
        "helen.hos",
        "sam.social",
        "tara.manager",
    }
    # The legal adviser, service-wide but not named, no longer finds it: "Page not found".
    sign_in(page, base, "leo.legal")
    response = page.goto(f"{base}/cases/families/{family.pk}/")
    assert response is not None and response.status == 404


def test_the_administrator_sees_that_privileged_advice_changed_but_not_what(page, live_server, people):
    base = live_server.url
    lpm = _held_lpm(people, _family(people))
    with pghistory.context(user=people["legal"].pk):
        advice = ms.legal_advice_record(lpm=lpm, advice="Threshold is met on neglect", by=people["legal"])
        advice = ms.legal_advice_record(
            lpm=lpm,
            advice="Threshold is met on neglect and emotional harm",
            minutes="Privileged minutes of the LPM",
            by=people["legal"],
            expected_version=advice.version,
        )
    sign_in(page, base, "ada.admin")
    page.goto(f"{base}/audit/?record=legal-advice&record_id={advice.pk}")
    main = page.inner_text("main")
    assert "Leo Legal (leo.legal)" in main and "details withheld" in main
    assert "Threshold" not in main and "Privileged minutes" not in main
    assert axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "audit-privileged-withheld.png"), full_page=True)


def test_the_legal_adviser_reads_the_case_and_records_legal_advice_only(page, live_server, people):
    base = live_server.url
    family = _family(people)
    lpm = _held_lpm(people, family)
    sign_in(page, base, "leo.legal")
    advice_link = page.get_by_role("link", name="Record the advice from the legal planning meeting on 7 Jan 2027")
    assert advice_link.count() == 1
    page.goto(f"{base}/cases/families/{family.pk}/")
    assert page.get_by_role("link", name="Change allocation").count() == 0
    assert page.locator("[data-testid=actions]").count() == 0
    page.goto(f"{base}/meetings/lpms/{lpm.pk}/legal-advice/")
    page.fill("#id_advice", "Threshold is met on neglect")
    page.get_by_role("button").filter(has_text="Save").click()
    assert "legal-advice" not in page.url  # saved, and back on the case
    # A step she may not record answers "forbidden", however she gets there.
    response = page.goto(f"{base}/cases/episodes/{lpm.episode_id}/letter/")
    assert response is not None and response.status == 403
