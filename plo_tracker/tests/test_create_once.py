"""Every create is idempotent (issue 24 §6): each form that creates a record carries a one-time
token, and the same form sent twice with it makes one record and lands on it, "This was already
saved".

The URL resolver is walked as the authorization matrix does: every page anyone may POST to is
either a create form below (with what to type into it) or named in NOT_A_CREATE with why, so a
new form cannot be forgotten. Each create form is read from its page (hidden fields, the token,
the first choice of each list, dates), filled like a person would, and posted twice.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db.models.signals import post_save
from django.test import Client
from django.urls import get_resolver, reverse

from accounts.roles import CASE_WRITERS, Role
from plo_tracker.models import UsedFormToken
from plo_tracker.once import ALREADY_SAVED, ONCE_FIELD

from .test_authorization_matrix import EXPECTED, NONE, PUBLIC, _url_names

pytestmark = pytest.mark.django_db
R = Role

FIRST = "<the first choice>"  # tick the first box of a group a person must choose from
BLANK = ""

# url name -> (the model one POST creates, who sends it, what a person types over the defaults).
CREATES: dict[str, tuple[str, Role | None, dict[str, Any]]] = {
    "cases:family-create": ("cases.Family", None, {"reference": "ONCE-001", "name": "Once family"}),
    "cases:child-add": (
        "cases.Child",
        None,
        {"first_name": "Ona", "last_name": "Once", "gender": "female", "case_system_id": "ONCE1"}
        | dict.fromkeys(("expected_date_of_birth_0", "expected_date_of_birth_1", "expected_date_of_birth_2"), BLANK),
    ),
    "cases:person-add": ("cases.Person", None, {"full_name": "Parent Once", "relationship": "mother"}),
    "cases:letter-deliver": ("cases.LetterDelivery", None, {}),
    "cases:extension": ("cases.Extension", None, {"weeks": "4", "reason": "Assessment late"}),
    "cases:assessment-add": ("cases.Assessment", None, {"provider": "Once provider"}),
    "cases:hearing-add": ("cases.Hearing", None, {}),
    "cases:court-extension": ("cases.CourtExtension", None, {"weeks": "8", "reasons": "Expert report late"}),
    "meetings:lpm-request": ("meetings.LPMRequest", None, {"concerns": "Neglect", "children": FIRST}),
    "meetings:lpm-list": ("meetings.LPM", None, {}),
    "meetings:meeting-add": ("meetings.Meeting", None, dict.fromkeys(("held_on_0", "held_on_1", "held_on_2"), BLANK)),
    "meetings:ppm-add": (
        "meetings.PermanencyPlanningMeeting",
        None,
        {"options_considered": FIRST, "parallel_plan": BLANK}
        | dict.fromkeys(("next_review_on_0", "next_review_on_1", "next_review_on_2"), BLANK),
    ),
    "tracker_meetings:prepare": (
        "tracker_meetings.TrackerMeeting",
        R.COURT_LIAISON_OFFICER,
        {"starts_at": "10:00", "meets_on_0": "10", "meets_on_1": "2", "meets_on_2": "2027"},
    ),
    "tracker_meetings:action-add": (
        "tracker_meetings.MeetingAction",
        R.COURT_LIAISON_OFFICER,
        {"description": "Chase the report", "owner": lambda world: str(world["users"][R.SOCIAL_WORKER].pk)},
    ),
    "accounts:staff-add": (
        "accounts.User",
        R.ADMINISTRATOR,
        {
            "username": "once.user",
            "first_name": "Once",
            "last_name": "User",
            "email": "once@example.gov.uk",
            "roles": FIRST,
            "oidc_subject": BLANK,
        },
    ),
    "accounts:team-add": ("accounts.Team", R.ADMINISTRATOR, {"name": "Once team"}),
    "accounts:area-add": ("accounts.ServiceArea", R.ADMINISTRATOR, {"name": "Once area"}),
}


def _issued(world: dict[str, Any]) -> int:
    """The court case's proceedings issued, so hearings and the court's extension can be added."""
    from cases import services as cs
    from cases.models import Episode

    episode = Episode.objects.get(pk=world["kwargs"]["cases:hearing-add"])
    hos = world["users"][R.HEAD_OF_SERVICE]
    today = dt.date(2027, 2, 8)
    proceedings = cs.proceedings_decide(episode=episode, issue_decision_on=dt.date(2027, 1, 20), by=hos, today=today)
    cs.proceedings_update(
        proceedings=proceedings,
        expected_version=None,
        by=hos,
        today=today,
        issued_on=dt.date(2027, 1, 22),
        court_reference="NB27C00099",
    )
    return episode.pk


def _new_family(world: dict[str, Any]) -> int:
    """A family with no open episode, so an LPM can be requested for it."""
    from cases.tests.factories import ChildFactory, FamilyFactory

    sw, tm = world["users"][R.SOCIAL_WORKER], world["users"][R.TEAM_MANAGER]
    family = FamilyFactory.create(team=sw.team, social_worker=sw, team_manager=tm, name="Once request family")
    ChildFactory.create(family=family)
    return family.pk


# What must be true before a form can be sent (the url's record), and its query string.
SETUP = {
    "cases:hearing-add": _issued,
    "cases:court-extension": _issued,
    "meetings:lpm-request": _new_family,
}
QUERY = {"meetings:lpm-list": "?kind=review"}

# Every other page someone may POST to, and why a second POST cannot make a second record.
_EDITS = "changes one existing record under its version number: a second POST is refused as stale or changes nothing"
NOT_A_CREATE: dict[str, str] = {
    "accounts:sign-in": "signs in: creates a session, not a record",
    "accounts:sign-out": "signs out",
    "accounts:staff-edit": _EDITS,
    "accounts:second-factor": "checks a sign-in code: creates a session, not a record",
    "accounts:set-up": "opens an invitation's single-use link (the invitation's own guard)",
    "accounts:set-up-password": "sets the person's one password: a second POST sets it again",
    "accounts:set-up-second-factor": "confirms the person's one authenticator device (one per person)",
    "accounts:password-reset": "sends a reset email: no record a person sees, and a second link replaces the first",
    "accounts:staff-invite": "sends a person's one invitation: a new one replaces the old",
    "accounts:staff-invite-all": "invites everyone not yet invited: a second POST finds them invited",
    "accounts:staff-revoke": "revokes sessions and the second factor: a second POST finds none",
    "accounts:staff-reallocate": "moves families between people: a second POST finds none left to move",
    "accounts:staff-calendar-reset": "replaces a token on the person: a second POST replaces it again, no record",
    "accounts:team-edit": _EDITS,
    "accounts:area-edit": _EDITS,
    "accounts:staff-import": "stores an upload for its preview (issue 24 §3 and §5: the imports' own guards)",
    "accounts:staff-import-preview": "confirms a stored upload once (the import's own guard)",
    "imports:upload": "stores an upload for its preview (issue 24 §3 and §5: the imports' own guards)",
    "imports:columns": "remembers a column mapping for a set of headers (unique per headers)",
    "imports:preview": "confirms a stored upload once (the import's own guard)",
    "cases:family-edit": _EDITS,
    "cases:family-restriction": "sets who is named: the same set twice is the same set",
    "cases:family-close": _EDITS,
    "cases:family-reopen": _EDITS,
    "cases:child-edit": _EDITS,
    "cases:person-edit": _EDITS,
    "cases:letter": _EDITS,
    "cases:proposed-agreement": _EDITS,
    "cases:signed-agreement": _EDITS,
    "cases:exit-letter": _EDITS,
    "cases:episode-end": "ends the open episode: a second POST finds it ended",
    "cases:assessment-edit": _EDITS,
    "cases:assessment-approve-cost": _EDITS,
    "cases:proceedings": "the episode's one set of care proceedings (one per episode, in the database)",
    "cases:deadline-waive": _EDITS,
    "meetings:lpm-request-documents": _EDITS,
    "meetings:lpm-request-prepare": "prepares or changes the family's one open preparation (locked): a second POST "
    "changes the same one",
    "meetings:lpm-request-decide": _EDITS,
    "meetings:lpm-outcome": _EDITS,
    "meetings:lpm-edit": _EDITS,
    "meetings:legal-advice": "the panel's one legal advice record (one per LPM, in the database), versioned",
    "meetings:meeting-edit": _EDITS,
    "meetings:meeting-minutes": _EDITS,
    "meetings:lpm-minutes": _EDITS,
    "meetings:ppm-minutes": _EDITS,
    "tracker_meetings:refresh": "rebuilds the agenda of one meeting: one item per case, in the database",
    "tracker_meetings:held": _EDITS,
    "tracker_meetings:minutes-record": _EDITS,
    "tracker_meetings:item": "records on one agenda item: " + _EDITS,
    "tracker_meetings:action-done": "marks one action done: a second POST finds it done",
    "deadlines:alert-list": "acknowledges alerts: a second POST finds them acknowledged",
    "deadlines:calendar": "replaces the user's own calendar token, no record",
    "letters:template-upload": "a create form (a file upload): sent twice, one version — "
    "letters/tests/test_templates.py::test_the_same_upload_sent_twice_keeps_one_version",
    "letters:draft": "a create form on a drafted family: sent twice, drafted once — "
    "letters/tests/test_drafts.py::test_the_same_draft_form_sent_twice_drafts_once",
    "deadlines:go-live": "sets the council's go-live date (issue 24 §2's page; whether a repeat POST adds a row is "
    "not checked here)",
}


def _posted_to() -> set[str]:
    """Every URL name some role may POST to (the authorization matrix's table)."""
    names = set(_url_names(get_resolver()))
    return {n for n in names if n in EXPECTED and EXPECTED[n][1] not in (NONE, PUBLIC, frozenset())} | {
        n for n in names if n in EXPECTED and EXPECTED[n][1] == PUBLIC
    }


def test_every_page_that_takes_a_post_is_a_create_form_or_says_why_not():
    posted = _posted_to()
    unknown = posted - set(CREATES) - set(NOT_A_CREATE)
    assert not unknown, f"POST pages neither in CREATES nor NOT_A_CREATE: {sorted(unknown)}"
    assert not set(CREATES) & set(NOT_A_CREATE)
    gone = (set(CREATES) | set(NOT_A_CREATE)) - posted
    assert not gone, f"declared but no longer taking a POST: {sorted(gone)}"


_FORM = re.compile(r"<form\b[^>]*>(.*?)</form>", re.S | re.I)
_ATTR = re.compile(r'([a-z_-]+)="([^"]*)"')


def _attrs(tag: str) -> dict[str, str]:
    return {k: unescape(v) for k, v in _ATTR.findall(tag)}


def filled(html: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The create form of a page as a person fills it: hidden values (the token among them) kept,
    the first choice of each list and radio group, a date in each date, text where it is needed."""
    forms = [f for f in _FORM.findall(html) if f'name="{ONCE_FIELD}"' in f]
    assert len(forms) == 1, "the page has no create form with a one-time token"
    form = forms[0]
    data: dict[str, Any] = {}
    boxes: dict[str, list[str]] = {}
    for tag in re.findall(r"<input\b[^>]*>", form):
        a = _attrs(tag)
        name, kind = a.get("name"), a.get("type", "text")
        if not name:
            continue
        if kind == "hidden":
            data[name] = a.get("value", "")
        elif kind == "radio":
            data.setdefault(name, a.get("value"))
        elif kind == "checkbox":
            boxes.setdefault(name, []).append(a.get("value", "on"))
        elif re.search(r"_[012]$", name) and "date-input" in a.get("class", ""):
            data[name] = {"_0": "3", "_1": "2", "_2": "2027"}[name[-2:]]
        elif kind == "email":
            data[name] = a.get("value", "")
        else:
            data[name] = a.get("value") or "10"
    for select in re.findall(r"<select\b[^>]*>.*?</select>", form, re.S):
        a = _attrs(select.split(">", 1)[0])
        values = [v for v in re.findall(r'<option value="([^"]*)"', select) if v]
        if a.get("name") and values and "multiple" not in select.split(">", 1)[0]:
            data[a["name"]] = values[0]
    for area in re.findall(r"<textarea\b[^>]*>", form):
        data[_attrs(area)["name"]] = "Noted at the meeting"
    for name, value in overrides.items():
        if value == FIRST:
            data[name] = boxes[name][0] if name in boxes else data[name]
        else:
            data[name] = value
    return data


@pytest.fixture
def everyone(make_user, shared_world):
    """A member of staff holding every case-writing role, so each case form is reachable."""
    return make_user(*(CASE_WRITERS - {Role.READ_ONLY}), username="once.all")


@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_create_form_sent_twice_with_its_token_makes_one_record(name, shared_world, everyone, make_user):
    label, role, overrides = CREATES[name]
    model = apps.get_model(label)
    world = shared_world
    client = Client()
    created: list[Any] = []

    def count(sender: Any, instance: Any, created_: bool = False, **kwargs: Any) -> None:
        if kwargs.get("created"):
            created.append(instance)

    with time_machine.travel(dt.datetime(2027, 2, 8, 10, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(world["users"][role] if role else everyone)  # signed in that day
        pk = SETUP[name](world) if name in SETUP else world["kwargs"].get(name)
        url = (reverse(name, args=[pk]) if pk is not None else reverse(name)) + QUERY.get(name, "")
        page = client.get(url)
        assert page.status_code == 200, (name, page.status_code)
        data = filled(page.content.decode(), {k: v(world) if callable(v) else v for k, v in overrides.items()})
        token = data[ONCE_FIELD]
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token), token
        # A new drawing of the form has a new token.
        assert filled(client.get(url).content.decode(), {})[ONCE_FIELD] != token
        before = model._default_manager.count()
        first = client.post(url, data)
        html = first.content.decode()
        errors = re.findall(r"Error:</span>([^<]*)<", html) + re.findall(r'<a href="#[^"]*">([^<]*)</a>', html)
        assert first.status_code == 302, (name, errors)
        assert model._default_manager.count() == before + 1, name
        assert UsedFormToken.objects.filter(token=token).count() == 1
        post_save.connect(count, weak=False, dispatch_uid="once-count")
        try:
            second = client.post(url, data, follow=True)
        finally:
            post_save.disconnect(dispatch_uid="once-count")
    assert model._default_manager.count() == before + 1, f"{name}: the second POST made another record"
    assert not created, f"{name}: the second POST created {created}"
    assert second.status_code == 200
    assert ALREADY_SAVED in second.content.decode(), name
    assert second.redirect_chain[-1][0] == first["Location"], (name, second.redirect_chain)  # the same result


def test_two_identical_posts_to_add_a_hearing_make_one_hearing(shared_world, everyone):
    """The issue's case: a hearing is added once however many times the same form is sent."""
    from cases.models import Hearing

    client = Client()
    with time_machine.travel(dt.datetime(2027, 2, 8, 10, 0, tzinfo=dt.UTC), tick=False):
        url = reverse("cases:hearing-add", args=[_issued(shared_world)])
        client.force_login(everyone)
        data = filled(client.get(url).content.decode(), {})
        before = Hearing.objects.count()
        responses = [client.post(url, data) for _ in range(2)]
    assert [r.status_code for r in responses] == [302, 302]
    assert Hearing.objects.count() == before + 1
    # A fresh drawing of the form is a new hearing (the token is per form, not per case).
    with time_machine.travel(dt.datetime(2027, 2, 8, 10, 0, tzinfo=dt.UTC), tick=False):
        again = filled(client.get(url).content.decode(), {})
        assert client.post(url, again).status_code == 302
    assert Hearing.objects.count() == before + 2


def test_a_concurrent_second_use_of_a_token_rolls_its_record_back(shared_world, everyone):
    """Two POSTs at once: the token's unique constraint fails the later one, whose record goes too."""
    from django.db import IntegrityError, transaction

    from cases.models import Family
    from cases.tests.factories import FamilyFactory
    from plo_tracker.once import AlreadySaved, create_once

    first = create_once(token="t" * 32, by=everyone, create=lambda: FamilyFactory.create(name="First"))
    before = Family.objects.count()
    real_filter = UsedFormToken.objects.filter
    calls = {"n": 0}

    def blind_once(*args: Any, **kwargs: Any) -> Any:  # the other POST has not committed when we look
        calls["n"] += 1
        return real_filter(pk__in=[]) if calls["n"] == 1 else real_filter(*args, **kwargs)

    UsedFormToken.objects.filter = blind_once  # type: ignore[method-assign]
    try:
        with pytest.raises(AlreadySaved) as already, transaction.atomic():
            create_once(token="t" * 32, by=everyone, create=lambda: FamilyFactory.create(name="Second"))
    finally:
        del UsedFormToken.objects.filter
    assert already.value.record == first
    assert Family.objects.count() == before and not Family.objects.filter(name="Second").exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        UsedFormToken.objects.create(token="t" * 32)
