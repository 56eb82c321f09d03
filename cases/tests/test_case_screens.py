"""The case page and step forms as staff use them: what they see, and bad input refused beside the field."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import TeamFactory
from cases import services as cs
from cases.models import Episode
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from meetings import services as ms
from meetings.models import LPMOutcome, MeetingKind, Recommendation, RequestStatus

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 1, 20)
DOCS = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment"), ("present", ""))


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def staff(make_user, team):
    return {
        "sw": make_user(Role.SOCIAL_WORKER, username="sw"),
        "tm": make_user(Role.TEAM_MANAGER, username="tm"),
        "hos": make_user(Role.HEAD_OF_SERVICE, username="hos", team=None),
        "legal": make_user(Role.LEGAL_ADVISER, username="legal", team=None),
        "clo": make_user(Role.COURT_LIAISON_OFFICER, username="clo", team=None),
        "ro": make_user(Role.READ_ONLY, username="ro", team=None),
    }


@pytest.fixture
def family(team, staff):
    family = FamilyFactory(
        team=team, social_worker=staff["sw"], team_manager=staff["tm"], name="Ashworth family", reference="PLO-01001"
    )
    ChildFactory(family=family, first_name="Mia", last_name="Ashworth", case_system_id="LL5001")
    ChildFactory(
        family=family,
        first_name="Unborn baby",
        last_name="Ashworth",
        date_of_birth=None,
        expected_date_of_birth=dt.date(2027, 3, 1),
        case_system_id="LL5002",
    )
    PersonFactory(family=family, full_name="Dawn Ashworth", relationship="mother")
    return family


@pytest.fixture
def in_pre_proceedings(family, staff):
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2026, 12, 1),
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=DOCS,
        by=staff["tm"],
    )
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.APPROVED,
        decided_on=dt.date(2026, 12, 3),
        by=staff["hos"],
    )
    lpm = ms.lpm_list(episode=request.episode, panel_date=dt.date(2026, 12, 17), by=staff["clo"])
    ms.lpm_record_outcome(
        lpm=lpm,
        expected_version=None,
        held_on=dt.date(2026, 12, 17),
        outcome=LPMOutcome.INITIATE,
        chair=staff["hos"],
        by=staff["hos"],
    )
    ms.legal_advice_record(lpm=lpm, advice="Threshold is crossed on neglect.", by=staff["legal"])
    return Episode.objects.get(pk=request.episode_id)


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_case_page_shows_children_unborn_baby_and_whats_due(client, staff, in_pre_proceedings, family):
    client.force_login(staff["sw"])
    html = _text(client.get(reverse("cases:family-detail", args=[family.pk])))
    assert "Ashworth family" in html and "PLO-01001" in html
    assert "Unborn, expected 1 Mar 2027" in html
    assert "Week 5 of 16" in html  # D = 17 Dec 2026; 20 Jan 2027 is day 34: week 5 is days 28-34 (§1)
    # 002 §9b ii: letter due D + 5 working days = Thu 24 Dec 2026, now overdue.
    assert re.search(r"Letter before proceedings.*?Thu 24 Dec 2026.*?Overdue", html)
    assert "Record the letter being delivered" in html


def test_legal_advice_is_shown_only_to_legal_advisers_heads_of_service_and_the_team_manager(
    client, staff, in_pre_proceedings, family, make_user
):
    url = reverse("cases:family-detail", args=[family.pk])
    for who in ("legal", "hos", "tm"):
        client.force_login(staff[who])
        assert "Threshold is crossed on neglect." in _text(client.get(url)), who
    for who in ("sw", "clo", "ro"):
        client.force_login(staff[who])
        html = _text(client.get(url))
        assert "Threshold is crossed on neglect." not in html, who
        assert 'data-testid="legal-advice"' not in html
    client.force_login(staff["sw"])
    lpm = in_pre_proceedings.lpms.get()
    assert client.get(reverse("meetings:legal-advice", args=[lpm.pk])).status_code == 403
    other_tm = make_user(Role.TEAM_MANAGER, team=TeamFactory(name="Another team"))
    client.force_login(other_tm)
    assert "Threshold is crossed" not in _text(client.get(url))


def test_another_teams_social_worker_cannot_see_the_case(client, family, make_user):
    outsider = make_user(Role.SOCIAL_WORKER, team=TeamFactory(name="South team"))
    client.force_login(outsider)
    assert client.get(reverse("cases:family-detail", args=[family.pk])).status_code == 404
    assert "Ashworth" not in _text(client.get(reverse("cases:family-list")))


def test_a_restricted_case_is_hidden_from_everyone_not_named(client, family, staff):
    family.restricted = True
    family.save()
    family.restricted_to.set([staff["sw"]])
    url = reverse("cases:family-detail", args=[family.pk])
    client.force_login(staff["hos"])
    assert client.get(url).status_code == 404
    listing = _text(client.get(reverse("cases:family-list") + "?q=Ashworth"))
    assert "No families found" in listing and "PLO-01001" not in listing
    client.force_login(staff["sw"])
    assert client.get(url).status_code == 200


def test_read_only_oversight_sees_but_cannot_record(client, staff, in_pre_proceedings, family):
    client.force_login(staff["ro"])
    html = _text(client.get(reverse("cases:family-detail", args=[family.pk])))
    assert "You can see this case but not change it" in html
    response = client.post(reverse("cases:letter-deliver", args=[in_pre_proceedings.pk]), {})
    assert response.status_code == 403


def _date(prefix: str, value: dt.date | None) -> dict[str, str]:
    if value is None:
        return {f"{prefix}_0": "", f"{prefix}_1": "", f"{prefix}_2": ""}
    return {f"{prefix}_0": str(value.day), f"{prefix}_1": str(value.month), f"{prefix}_2": str(value.year)}


def test_a_letter_delivered_before_the_lpm_is_refused_beside_the_field(client, staff, in_pre_proceedings, family):
    client.force_login(staff["sw"])
    mother = family.people.get()
    url = reverse("cases:letter-deliver", args=[in_pre_proceedings.pk])
    response = client.post(
        url,
        {
            "person": mother.pk,
            "method": "Hand delivered",
            "address": "4 Mill Lane, Northmoor",
            **_date("delivered_on", dt.date(2026, 12, 10)),
        },
    )
    html = _text(response)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Date delivered must be on or after the LPM decision to start pre-proceedings (17/12/2026)" in html
    assert "4 Mill Lane, Northmoor</textarea>" in html and 'name="delivered_on_0" value="10"' in html
    assert not in_pre_proceedings.letter_deliveries.exists()


def test_an_impossible_date_and_a_future_date_are_refused(client, staff, in_pre_proceedings, family):
    client.force_login(staff["sw"])
    mother = family.people.get()
    url = reverse("cases:letter-deliver", args=[in_pre_proceedings.pk])
    html = _text(
        client.post(
            url,
            {
                "person": mother.pk,
                "method": "Sent by post",
                "delivered_on_0": "31",
                "delivered_on_1": "2",
                "delivered_on_2": "2027",
            },
        )
    )
    assert "Date delivered must be a real date" in html
    html = _text(
        client.post(url, {"person": mother.pk, "method": "Sent by post", **_date("delivered_on", dt.date(2027, 1, 21))})
    )
    assert "Date delivered must be today or in the past" in html


def test_recording_the_letter_moves_the_initial_meeting_deadline(client, staff, in_pre_proceedings, family):
    client.force_login(staff["sw"])
    mother = family.people.get()
    response = client.post(
        reverse("cases:letter-deliver", args=[in_pre_proceedings.pk]),
        {
            "person": mother.pk,
            "method": "Hand delivered",
            "no_address_reason": "No fixed address: handed over at the contact centre",
            **_date("delivered_on", dt.date(2026, 12, 23)),
        },
        follow=True,
    )
    html = _text(response)
    assert "The delivery has been recorded" in html
    # 002 §9b iii: initial meeting L + 10 working days: Wed 23 Dec 2026 -> Mon 11 Jan 2027 (Christmas, Boxing
    # Day substitute 28 Dec, New Year's Day skipped), now overdue.
    assert re.search(r"Initial pre-proceedings meeting.*?Mon 11 Jan 2027.*?Overdue", html)


def test_an_initial_meeting_before_the_letter_is_refused(client, staff, in_pre_proceedings, family):
    cs.letter_deliver(
        episode=in_pre_proceedings, person=family.people.get(), delivered_on=dt.date(2026, 12, 23), by=staff["sw"]
    )
    client.force_login(staff["tm"])
    url = reverse("meetings:meeting-add", args=[in_pre_proceedings.pk]) + f"?kind={MeetingKind.INITIAL}"
    html = _text(
        client.post(
            url,
            {
                **_date("held_on", dt.date(2026, 12, 22)),
                **_date("scheduled_for", None),
                "attendees": "Dawn Ashworth, mother",
            },
        )
    )
    assert "Date held must be on or after the letter before proceedings was delivered (23/12/2026)" in html
    assert "Dawn Ashworth, mother" in html


def test_an_extension_longer_than_the_policy_allows_is_refused(client, staff, in_pre_proceedings, settings):
    client.force_login(staff["hos"])
    url = reverse("cases:extension", args=[in_pre_proceedings.pk])
    html = _text(
        client.post(url, {"weeks": "6", "rationale": "Assessment delayed", **_date("agreed_on", dt.date(2027, 1, 19))})
    )
    assert "The extension can be at most 4 more weeks" in html
    assert "Assessment delayed" in html
    response = client.post(
        url, {"weeks": "4", "rationale": "Assessment delayed", **_date("agreed_on", dt.date(2027, 1, 19))}, follow=True
    )
    assert "Week 5 of 20" in _text(response)


def test_only_a_head_of_service_can_agree_an_extension(client, staff, in_pre_proceedings):
    client.force_login(staff["tm"])
    assert client.get(reverse("cases:extension", args=[in_pre_proceedings.pk])).status_code == 403


def test_a_second_open_episode_for_the_family_is_refused(client, staff, in_pre_proceedings, family):
    client.force_login(staff["tm"])
    response = client.post(
        reverse("meetings:lpm-request", args=[family.pk]),
        {
            **_date("requested_on", dt.date(2027, 1, 19)),
            "recommendation": "pre_proceedings",
            "concerns": "More",
            "children": [c.pk for c in family.children.all()],
            **{
                f"doc_{k}_state": "present"
                for k in (
                    "plo_summary",
                    "chronology",
                    "genogram",
                    "single_assessment",
                    "swet",
                    "parenting_assessment",
                    "viability",
                    "fgc_minutes",
                    "cp_minutes",
                    "gcp2",
                    "test_results",
                    "other_reports",
                )
            },
        },
    )
    assert "This family already has an open PLO episode" in _text(response)
    assert family.episodes.count() == 1


def test_a_stale_edit_is_refused_and_shows_the_difference(client, staff, in_pre_proceedings, family, make_user):
    child = family.children.get(case_system_id="LL5001")
    url = reverse("cases:child-edit", args=[child.pk])
    client.force_login(staff["sw"])
    form = {
        "first_name": "Mia",
        "last_name": "Ashworth",
        **_date("date_of_birth", dt.date(2019, 5, 4)),
        **_date("expected_date_of_birth", None),
        "gender": "female",
        "case_system_id": "LL5001",
        "legal_status": "pre_proceedings",
        "cp_plan_count": "1",
        "previous_pre_proceedings": "0",
        "previous_care_proceedings": "0",
        "version": str(child.version),
    }
    # Someone else saves first.
    cs.child_update(child=child, expected_version=child.version, by=staff["tm"], first_name="Amelia")
    response = client.post(url, {**form, "first_name": "Mya"})
    html = _text(response)
    assert 'data-testid="stale-edit"' in html
    assert "Amelia" in html and "Mya" in html
    child.refresh_from_db()
    assert child.first_name == "Amelia"


def test_the_hos_decides_a_request_from_their_home_page(client, staff, family):
    ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2027, 1, 18),
        recommendation="pre_proceedings",
        concerns="Neglect",
        documents=DOCS,
        by=staff["tm"],
    )
    client.force_login(staff["hos"])
    html = _text(client.get("/"))
    assert "LPM requests waiting for your decision" in html and "Ashworth family" in html
    request = family.episodes.get().lpm_request
    response = client.post(
        reverse("meetings:lpm-request-decide", args=[request.pk]),
        {
            "status": "deferred",
            **_date("decided_on", dt.date(2027, 1, 19)),
            **_date("deferred_until", dt.date(2027, 2, 10)),
            "note": "Need a genogram",
            "version": request.version,
        },
    )
    assert "A decision can be deferred for no longer than 2 weeks" in _text(response)


def test_national_export_has_the_item_codes_and_uk_dates(client, staff, in_pre_proceedings, make_user):
    client.force_login(staff["clo"])
    response = client.get(
        reverse("cases:national-export"),
        {**_date("date_from", dt.date(2026, 4, 1)), **_date("date_to", dt.date(2027, 3, 31))},
    )
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    header, *rows = body.strip().splitlines()
    assert header.split(",")[:4] == ["PREP024A", "PREP001A", "PREP002A", "PREP003A"]
    assert len(rows) == 2  # one row per child
    assert "LL5001,PLO-01001,17/12/2026" in body
    assert "Threshold" not in body


def test_a_social_worker_cannot_download_the_national_data(client, staff):
    client.force_login(staff["sw"])
    assert client.get(reverse("cases:national-export")).status_code == 403


def test_a_record_is_closed_with_who_when_and_why_never_deleted(client, staff, family):
    client.force_login(staff["tm"])
    url = reverse("cases:family-close", args=[family.pk])
    html = _text(
        client.post(url, {**_date("closed_on", dt.date(2027, 1, 19)), "reason": "", "version": family.version})
    )
    assert "Enter why the record is being closed" in html
    response = client.post(
        url,
        {**_date("closed_on", dt.date(2027, 1, 19)), "reason": "Moved out of the area", "version": family.version},
        follow=True,
    )
    html = _text(response)
    assert "This record was closed on 19 Jan 2027" in html and "Moved out of the area" in html
    family.refresh_from_db()
    assert family.closed_by == staff["tm"]
    assert family.children.count() == 2  # nothing removed


def test_a_family_with_an_open_episode_cannot_be_closed(client, staff, in_pre_proceedings, family):
    client.force_login(staff["tm"])
    html = _text(
        client.post(
            reverse("cases:family-close", args=[family.pk]),
            {**_date("closed_on", dt.date(2027, 1, 19)), "reason": "x", "version": family.version},
        )
    )
    assert "End the family's open PLO episode before closing the record" in html


def test_restricting_a_case_names_who_may_see_it_and_is_audited(client, staff, family, make_user):
    """Only a head of service or service manager restricts; a reason is required; the allocated
    social worker and team manager stay named; the case page says who is named (issue 9 §2)."""
    from pghistory.models import Events

    url = reverse("cases:family-restriction", args=[family.pk])
    for role in ("sw", "tm", "legal", "clo", "ro"):
        client.force_login(staff[role])
        assert client.get(url).status_code == 403, role
        assert client.post(url, {"restricted": "on", "reason": "x"}).status_code == 403, role
    client.force_login(staff["hos"])
    data = {"version": family.version, "restricted": "on", "restricted_to": [staff["legal"].pk], "reason": ""}
    html = _text(client.post(url, data))
    assert "Enter why the restriction is being changed" in html
    kept = client.post(url, data).content.decode()
    legal_pk = staff["legal"].pk
    assert re.search(rf"<input[^>]*value=\"{legal_pk}\"[^>]*checked", kept), "the ticked names are kept"
    html = _text(client.post(url, {**data, "restricted_to": []}))
    assert "Name at least one person who may see a restricted case" in html
    response = client.post(url, {**data, "reason": "The mother works in the service"})
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.restricted and family.restriction_reason == "The mother works in the service"
    # The allocated social worker and team manager stay named although the form did not tick them.
    assert set(family.restricted_to.all()) == {staff["legal"], staff["sw"], staff["tm"]}
    # The head of service did not name herself, so the case is now hidden from her too.
    assert client.get(reverse("cases:family-detail", args=[family.pk])).status_code == 404
    client.force_login(staff["tm"])
    page = _text(client.get(reverse("cases:family-detail", args=[family.pk])))
    assert "Only these people can see it:" in page
    for person in (staff["legal"], staff["sw"], staff["tm"]):
        assert str(person) in page
    assert "Change who may see this case" not in page  # a team manager may not change it
    client.force_login(staff["clo"])
    assert client.get(reverse("cases:family-detail", args=[family.pk])).status_code == 404
    added = [e for e in Events.objects.all() if e.pgh_model == "cases.FamilyRestrictionEvent"]
    assert len(added) == 3 and all(e.pgh_context["user"] == staff["hos"].pk for e in added)
    changed = [e for e in Events.objects.tracks(family) if e.pgh_diff and "restriction_reason" in e.pgh_diff]
    assert changed and changed[-1].pgh_context["user"] == staff["hos"].pk


def test_a_newly_allocated_social_worker_is_named_on_a_restricted_case(staff, family, make_user):
    sw2 = make_user(Role.SOCIAL_WORKER, username="sw2")
    cs.family_restrict(family=family, restricted=True, people=[staff["hos"]], reason="Staff family", by=staff["hos"])
    family.refresh_from_db()
    cs.family_update(family=family, expected_version=family.version, by=staff["hos"], social_worker=sw2)
    assert sw2 in family.restricted_to.all()


def test_only_restriction_managers_may_restrict_through_the_service(staff, family, make_user):
    from django.core.exceptions import PermissionDenied

    for role in ("sw", "tm", "legal", "clo", "ro"):
        with pytest.raises(PermissionDenied):
            cs.family_restrict(family=family, restricted=True, people=[staff[role]], reason="x", by=staff[role])
    sm = make_user(Role.SERVICE_MANAGER, username="sm")
    family = cs.family_restrict(family=family, restricted=True, people=[sm], reason="Staff family", by=sm)
    assert family.restricted
    family = cs.family_restrict(family=family, restricted=False, people=[], reason="No longer needed", by=sm)
    assert not family.restricted and not family.restricted_to.exists()


def test_a_permanency_planning_meeting_is_recorded_and_shown_on_the_case_page(client, staff, family):
    client.force_login(staff["sw"])
    child = family.children.get(case_system_id="LL5001")
    url = reverse("meetings:ppm-add", args=[family.pk])
    data = {
        "child": child.pk,
        "organised_by": staff["sw"].pk,
        "chair": staff["tm"].pk,
        **_date("held_on", dt.date(2027, 1, 18)),
        "options_considered": ["return_home", "kinship", "sgo"],
        "preferred_option": "adoption",
        "parallel_plan": "",
        "notes": "",
        **_date("next_review_on", None),
    }
    html = _text(client.post(url, data))
    assert "The preferred plan must be one of the options considered" in html
    response = client.post(url, {**data, "preferred_option": "kinship", "parallel_plan": "sgo"}, follow=True)
    html = _text(response)
    assert "The permanency planning meeting has been recorded" in html
    assert (
        "Remain with or return to parents, Placement with family or friends (kinship care), Special guardianship"
        " order" in html
    )


def test_a_closed_record_can_be_reopened_and_the_closure_stays_audited(client, staff, family):
    from pghistory.models import Events

    cs.family_close(
        family=family, expected_version=None, closed_on=dt.date(2027, 1, 19), reason="Moved away", by=staff["tm"]
    )
    client.force_login(staff["tm"])
    html = _text(client.get(reverse("cases:family-detail", args=[family.pk])))
    assert "This record was closed on 19 Jan 2027" in html and "Reopen the record" in html
    response = client.post(reverse("cases:family-reopen", args=[family.pk]), {}, follow=True)
    assert "The record has been reopened" in _text(response)
    family.refresh_from_db()
    assert family.closed_on is None
    assert any(e.pgh_diff and "closed_reason" in e.pgh_diff for e in Events.objects.tracks(family))
    html = _text(client.post(reverse("cases:family-reopen", args=[family.pk]), {}))
    assert "This record is not closed" in html


def test_the_exit_letter_is_recorded_after_stepping_down(client, staff, in_pre_proceedings):
    episode = in_pre_proceedings
    cs.episode_end(
        episode=episode,
        expected_version=None,
        ended_on=dt.date(2027, 1, 18),
        end_outcome="step_down_cin",
        by=staff["tm"],
    )
    client.force_login(staff["tm"])
    url = reverse("cases:family-detail", args=[episode.family_id])
    assert "Record the exit letter" in _text(client.get(url))
    exit_url = reverse("cases:exit-letter", args=[episode.pk])
    html = _text(client.post(exit_url, _date("exit_letter_on", dt.date(2027, 1, 15))))
    assert "Date of the exit letter must be on or after the decision to step down (18/01/2027)" in html
    response = client.post(exit_url, _date("exit_letter_on", dt.date(2027, 1, 19)), follow=True)
    assert "The exit letter has been recorded" in _text(response)
    assert "Record the exit letter" not in _text(client.get(url))


def test_a_parents_contact_language_and_advocate_are_kept_and_shown(client, staff, family):
    client.force_login(staff["sw"])
    mother = family.people.get()
    url = reverse("cases:person-edit", args=[mother.pk])
    base = {
        "full_name": "Dawn Ashworth",
        "relationship": "mother",
        "parental_responsibility": "on",
        "address": "4 Mill Lane\nNorthmoor\nNM1 2AB",
        "phone": "07700 900123",
        "language": "",
        "interpreter_needed": "on",
        "support_kind": "intermediary",
        "support_contact": "",
        "solicitor_name": "",
        "solicitor_firm": "Marsh & Co",
        "solicitor_email": "",
        "solicitor_phone": "01632 960001",
        "legally_represented": "yes",
        "version": mother.version,
    }
    html = _text(client.post(url, base))
    assert "Enter the language the interpreter is needed for" in html
    assert "Enter the advocate's or intermediary's name and how to contact them" in html
    assert "4 Mill Lane Northmoor NM1 2AB</textarea>" in html  # nothing typed is lost
    response = client.post(
        url, {**base, "language": "Polish", "support_contact": "Jo Marsh, 01632 960555"}, follow=True
    )
    page = _text(response)
    assert "The details have been updated" in page
    assert "4 Mill Lane<br>Northmoor<br>NM1 2AB" in page
    assert 'Polish <strong class="govuk-tag govuk-tag--orange">Interpreter needed' in page
    assert "Intermediary: Jo Marsh, 01632 960555" in page
    assert "Marsh &amp; Co" in response.content.decode() and "01632 960001" in page


def test_a_hand_delivery_needs_an_address_or_a_reason(client, staff, in_pre_proceedings, family):
    client.force_login(staff["sw"])
    mother = family.people.get()
    mother.address = ""
    mother.save()
    url = reverse("cases:letter-deliver", args=[in_pre_proceedings.pk])
    delivery = {"person": mother.pk, "method": "Hand delivered", **_date("delivered_on", dt.date(2026, 12, 23))}
    html = _text(client.post(url, delivery))
    assert "Enter the address the letter was handed over at, or say why there is no address for Dawn Ashworth" in html
    assert not in_pre_proceedings.letter_deliveries.exists()
    # The parent's address on record is used when none is typed.
    mother.address = "4 Mill Lane\nNorthmoor"
    mother.save()
    page = _text(client.post(url, delivery, follow=True))
    assert "Delivered 23 Dec 2026 (hand delivered) to 4 Mill Lane<br>Northmoor" in page
    assert in_pre_proceedings.letter_deliveries.get().address == "4 Mill Lane\nNorthmoor"


def test_ending_lists_each_deadline_that_will_close_and_refuses_an_end_before_the_start(
    client, staff, in_pre_proceedings
):
    client.force_login(staff["tm"])
    url = reverse("cases:episode-end", args=[in_pre_proceedings.pk])
    page = client.get(url).content.decode()
    items = re.search(
        r'<ul class="govuk-list govuk-list--bullet" data-testid="closing-deadlines"[^>]*>(.*?)</ul>', page, re.S
    )
    assert items is not None
    closing = [
        re.sub(r"\s+", " ", html.unescape(li)).strip() for li in re.findall(r"<li>(.*?)</li>", items.group(1), re.S)
    ]
    # D = Thu 17 Dec 2026: the letter is due D + 5 working days (Thu 24 Dec), the end D + 16 weeks.
    assert "Letter before proceedings delivered to parents: due Thu 24 Dec 2026" in closing
    assert "Pre-proceedings concluded: due Thu 8 Apr 2027" in closing
    assert all(": due " in item or ": waiting for " in item for item in closing)
    assert f"Ending pre-proceedings closes {len(closing)} open deadlines" in _text(client.get(url))

    response = client.post(
        url,
        {
            "end_outcome": "step_down_cp",
            "end_reason": "Progress made",
            "confirm": "on",
            **_date("ended_on", dt.date(2026, 12, 16)),
            **_date("end_decision_date", None),
            **_date("exit_letter_on", None),
        },
    )
    text = _text(response)
    assert "End date must be on or after the start of pre-proceedings (17/12/2026)" in text
    assert "Date of the decision must be" not in text  # left blank: it is the end date, refused once
    assert "Progress made" in text
    in_pre_proceedings.refresh_from_db()
    assert in_pre_proceedings.ended_on is None


def test_an_extension_agreed_after_the_end_is_refused_beside_the_date(client, staff, in_pre_proceedings):
    """LPM Thu 17/12/2026: 16 weeks end on 08/04/2027; agreed in May, the page says so beside the date."""
    url = reverse("cases:extension", args=[in_pre_proceedings.pk])
    with time_machine.travel(dt.datetime(2027, 5, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(staff["hos"])  # signed in that day (sessions time out)
        response = client.post(
            url, {"weeks": "2", "rationale": "Assessment delayed", **_date("agreed_on", dt.date(2027, 5, 12))}
        )
    html = response.content.decode()
    message = "The extension was agreed on 12/05/2027, after pre-proceedings were due to end on 08/04/2027"
    assert message in _text(response)
    field = html.index('id="div_id_agreed_on"')
    error_at = html.index('class="govuk-error-message"', field)
    assert html.index("Date agreed", field) < error_at  # inside the date's own group
    assert message in html[error_at : error_at + 400]  # beside the date, not only in the summary
    assert "Assessment delayed" in html  # nothing typed is lost
    assert in_pre_proceedings.extensions.count() == 0


def test_the_meeting_form_reads_its_chairs_in_one_query_whatever_the_number_of_teams(
    client, staff, in_pre_proceedings, make_user, django_assert_num_queries
):
    """The chair list names each person's team. At a large service (40 teams, a manager each) the
    form read every chair's team with a query of its own: 48 queries instead of 11."""
    client.force_login(staff["sw"])
    url = reverse("meetings:meeting-add", args=[in_pre_proceedings.pk]) + f"?kind={MeetingKind.REVIEW}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(6):
        make_user(Role.TEAM_MANAGER, username=f"tm-{n}", team=TeamFactory(name=f"Team {n}"))
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "(Team 5)" in page
