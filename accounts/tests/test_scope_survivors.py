"""Who sees which family, legal advice, deadline, alert, export and tracker-meeting record: each
rule of docs/security.md tested on both sides, the role that may and the closest role that may not.

One council: a North team and a South team, each in its own service area. North's social workers
Nia and Noel each hold a family of the team; Nia also holds a South family (allocated to her
across teams). South holds a family of its own and a restricted one; North holds a restricted one
that Nia is named on. The tests compare whole sets of family references, so a scope that shows one
family too many (a leak) or one too few fails.

Written to catch the faults a mutation run found no test for (issue 23): a social worker losing
her team's or her allocated families, a team manager losing the legal advice of her team, a social
worker or an assistant director reading a deadline, alert or advice that reveals legal advice, the
read-only role being able to change a case, and the tracker meetings shown to the wrong roles.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from accounts import scopes
from accounts.models import Team
from accounts.roles import Role
from accounts.tests.factories import ServiceAreaFactory, TeamFactory
from cases import scopes as case_scopes
from cases.models import Family, NationalExportJob
from deadlines import scopes as deadline_scopes
from deadlines.models import Alert, AlertKind
from deadlines.tests.test_scenarios import D, Staff, family, start_pre_proceedings
from meetings import scopes as meeting_scopes
from meetings import services as ms
from tracker_meetings import scopes as tracker_scopes
from tracker_meetings.models import AgendaItem, MeetingAction, TrackerMeeting, TrackerMeetingKind

pytestmark = pytest.mark.django_db

ADVICE_KEY = "advice_to_head_of_service"  # the deadline that says legal advice exists (002 App. 2)
UNRESTRICTED = {"PLO-N1", "PLO-N2", "PLO-S1", "PLO-S2"}


@pytest.fixture
def council(make_user) -> dict[str, Any]:
    north = TeamFactory(name="North team", service_area=ServiceAreaFactory(name="Northern area"))
    south = TeamFactory(name="South team", service_area=ServiceAreaFactory(name="Southern area"))
    hos = make_user(Role.HEAD_OF_SERVICE, team=None, username="hos")
    tara = make_user(Role.TEAM_MANAGER, team=north, username="tara")  # manages North (factory)
    nick = make_user(Role.TEAM_MANAGER, team=south, username="nick")  # manages South
    nia = make_user(Role.SOCIAL_WORKER, team=north, username="nia")
    noel = make_user(Role.SOCIAL_WORKER, team=north, username="noel")
    sam = make_user(Role.SOCIAL_WORKER, team=south, username="sam")
    north_staff = Staff(tm=tara, hos=hos, sw=nia, team=north)
    south_staff = Staff(tm=nick, hos=hos, sw=sam, team=south)
    n1 = family(north_staff, name="Northfield family", reference="PLO-N1")
    family(north_staff, name="Norbury family", reference="PLO-N2", sw=noel)
    s1 = family(south_staff, name="Southgate family", reference="PLO-S1")
    # A South family allocated to Nia: she sees it although it is not her team's.
    family(south_staff, name="Sowerby family", reference="PLO-S2", sw=nia)
    # Restricted: named are the allocated social worker, the team manager and the head of service.
    family(south_staff, name="Selby family", reference="PLO-R-SOUTH", restricted=True)
    family(north_staff, name="Nash family", reference="PLO-R-NORTH", restricted=True)
    return {
        "north": north,
        "south": south,
        "hos": hos,
        "tara": tara,
        "nick": nick,
        "nia": nia,
        "noel": noel,
        "sam": sam,
        "n1": n1,
        "s1": s1,
        "north_staff": north_staff,
        "south_staff": south_staff,
        "legal": make_user(Role.LEGAL_ADVISER, team=None, username="legal"),
        "ad": make_user(Role.ASSISTANT_DIRECTOR, team=None, username="ad"),
        "clo": make_user(Role.COURT_LIAISON_OFFICER, team=None, username="clo"),
        "ro": make_user(Role.READ_ONLY, team=None, username="ro"),
        "sm": make_user(Role.SERVICE_MANAGER, team=north, username="sm"),  # manages the Northern area
        "admin": make_user(Role.ADMINISTRATOR, team=None, username="admin"),
    }


def _refs(families) -> set[str]:
    return set(families.values_list("reference", flat=True))


def _fam(reference: str) -> Family:
    return Family.objects.get(reference=reference)


# --- Families: a social worker's team, and what is allocated to her -----------------------------


def test_a_social_worker_sees_her_teams_families_and_those_allocated_to_her_in_another_team(council):
    c = council
    # Nia: both North families (one is Noel's), the South one allocated to her, the restricted
    # North family she is named on; never South's own family nor the restricted one she is not on.
    assert _refs(case_scopes.families_visible_to(c["nia"])) == {"PLO-N1", "PLO-N2", "PLO-S2", "PLO-R-NORTH"}
    # Noel: his team's families, including Nia's, but neither Nia's South family nor the restricted ones.
    assert _refs(case_scopes.families_visible_to(c["noel"])) == {"PLO-N1", "PLO-N2"}
    assert _refs(case_scopes.families_editable_by(c["noel"])) == {"PLO-N1", "PLO-N2"}
    # South's social worker: her team's families and the restricted one she is named on.
    assert _refs(case_scopes.families_visible_to(c["sam"])) == {"PLO-S1", "PLO-S2", "PLO-R-SOUTH"}


def test_a_team_manager_sees_a_family_she_manages_in_a_team_she_does_not(council):
    c = council
    assert _refs(case_scopes.families_visible_to(c["tara"])) == {"PLO-N1", "PLO-N2", "PLO-R-NORTH"}
    s1 = c["s1"]
    s1.team_manager = c["tara"]
    s1.save()
    assert _refs(case_scopes.families_visible_to(c["tara"])) == {"PLO-N1", "PLO-N2", "PLO-S1", "PLO-R-NORTH"}
    assert "PLO-S1" not in _refs(case_scopes.families_visible_to(c["noel"]))  # her team's worker does not


def test_a_social_workers_team_picker_holds_her_own_team_only(council):
    c = council
    assert set(scopes.teams_visible_to(c["noel"])) == {c["north"]}
    # Allocated a South family, Nia still picks from her own team only.
    assert set(scopes.teams_visible_to(c["nia"])) == {c["north"]}
    assert set(scopes.teams_visible_to(c["sm"])) == {c["north"]}  # her service area's team
    assert set(scopes.teams_visible_to(c["ad"])) == set(Team.objects.all()) >= {c["north"], c["south"]}
    assert set(scopes.teams_visible_to(c["admin"])) == set()


def test_read_only_oversight_sees_every_family_but_may_change_none(council):
    c = council
    assert _refs(case_scopes.families_visible_to(c["ro"])) == UNRESTRICTED
    assert _refs(case_scopes.families_editable_by(c["ro"])) == set()
    assert not scopes.can_edit(c["ro"], c["n1"])
    # The closest role that may: the assistant director, whole service, writes as well as reads.
    assert _refs(case_scopes.families_editable_by(c["ad"])) == UNRESTRICTED
    assert scopes.can_edit(c["ad"], c["n1"])


# --- Restricted families -------------------------------------------------------------------------


def test_families_hidden_from_a_person_are_the_restricted_ones_she_is_not_named_on(council):
    c = council
    assert _refs(case_scopes.families_hidden_from(c["nia"])) == {"PLO-R-SOUTH"}
    assert _refs(case_scopes.families_hidden_from(c["sam"])) == {"PLO-R-NORTH"}
    assert _refs(case_scopes.families_hidden_from(c["hos"])) == set()  # named on both
    # Whatever their role: the legal adviser and the read-only oversight are named on neither.
    assert _refs(case_scopes.families_hidden_from(c["legal"])) == {"PLO-R-NORTH", "PLO-R-SOUTH"}
    assert _refs(case_scopes.families_hidden_from(c["ro"])) == {"PLO-R-NORTH", "PLO-R-SOUTH"}


def test_only_a_head_of_service_or_service_manager_may_manage_a_restriction(council):
    c = council
    may = {
        name
        for name in ("hos", "sm", "tara", "nia", "legal", "ad", "clo", "ro", "admin")
        if scopes.can_manage_restriction(c[name])
    }
    assert may == {"hos", "sm"}
    # A head of service whose account is deactivated may not, even where a caller asks this alone.
    c["hos"].is_active = False
    c["hos"].save(update_fields=["is_active"])
    assert scopes.can_manage_restriction(c["hos"]) is False


# --- Legal advice (privileged) -------------------------------------------------------------------


def test_legal_advice_families_read_by_the_team_manager_legal_adviser_and_head_of_service_only(council):
    c = council
    read = {
        name: _refs(case_scopes.legal_advice_families_for(c[name]))
        for name in ("tara", "nia", "sm", "ad", "legal", "hos", "ro")
    }
    assert read == {
        "tara": {"PLO-N1", "PLO-N2", "PLO-R-NORTH"},  # her team's, as a team manager
        "nia": set(),  # a social worker sees the family, never its legal advice
        "sm": set(),
        "ad": set(),
        "ro": set(),
        "legal": UNRESTRICTED,  # whole service, but not the restricted families she is not named on
        "hos": UNRESTRICTED | {"PLO-R-NORTH", "PLO-R-SOUTH"},
    }


def test_legal_advice_families_recorded_by_the_legal_adviser_and_head_of_service_only(council):
    c = council
    write = {
        name: _refs(case_scopes.legal_advice_families_for(c[name], write=True))
        for name in ("tara", "nia", "legal", "hos")
    }
    assert write == {
        "tara": set(),  # reads her team's advice, records none
        "nia": set(),
        "legal": UNRESTRICTED,
        "hos": UNRESTRICTED | {"PLO-R-NORTH", "PLO-R-SOUTH"},
    }


def test_can_see_and_can_record_legal_advice_on_one_family(council):
    c = council
    n1, s1, r_south = c["n1"], c["s1"], _fam("PLO-R-SOUTH")
    see = {
        (name, f.reference)
        for name in ("tara", "nia", "ad", "legal", "hos")
        for f in (n1, s1, r_south)
        if scopes.can_see_legal_advice(c[name], f)
    }
    assert see == {
        ("tara", "PLO-N1"),
        ("legal", "PLO-N1"),
        ("legal", "PLO-S1"),
        ("hos", "PLO-N1"),
        ("hos", "PLO-S1"),
        ("hos", "PLO-R-SOUTH"),
    }
    record = {
        (name, f.reference)
        for name in ("tara", "nia", "ad", "legal", "hos")
        for f in (n1, s1, r_south)
        if scopes.can_record_legal_advice(c[name], f)
    }
    assert record == {
        ("legal", "PLO-N1"),
        ("legal", "PLO-S1"),
        ("hos", "PLO-N1"),
        ("hos", "PLO-S1"),
        ("hos", "PLO-R-SOUTH"),
    }


def test_recorded_legal_advice_is_read_by_the_team_manager_not_the_social_worker(council):
    c = council
    episode = start_pre_proceedings(c["n1"], c["north_staff"])
    advice = ms.legal_advice_record(lpm=episode.lpms.get(), advice="Threshold met on neglect.", by=c["legal"], today=D)
    readers = {
        name
        for name in ("tara", "nick", "nia", "noel", "sm", "ad", "clo", "ro", "legal", "hos")
        if set(meeting_scopes.legal_advice_visible_to(c[name])) == {advice}
    }
    assert readers == {"tara", "legal", "hos"}
    assert not meeting_scopes.legal_advice_visible_to(c["nia"]).exists()
    assert set(meeting_scopes.lpms_visible_to(c["nia"])) == {episode.lpms.get()}  # the LPM itself she sees


# --- Deadlines and alerts that reveal legal advice -----------------------------------------------


def test_the_deadline_revealing_legal_advice_reaches_advice_readers_only(council):
    c = council
    episode = start_pre_proceedings(c["n1"], c["north_staff"])

    def keys(name: str) -> set[str]:
        return set(deadline_scopes.deadlines_visible_to(c[name]).filter(episode=episode).values_list("key", flat=True))

    tara = keys("tara")
    assert {ADVICE_KEY, "letter_before_proceedings", "pre_proceedings_end"} <= tara
    # A social worker and an assistant director see every other deadline of the family, never that one.
    assert keys("nia") == keys("ad") == keys("sm") == tara - {ADVICE_KEY}
    assert keys("legal") == keys("hos") == tara
    assert keys("admin") == set()


def test_figures_worked_out_per_episode_leave_out_the_privileged_keys_unless_all_advice_is_readable(council):
    c = council
    hidden = {
        name: deadline_scopes.deadline_keys_hidden_from(c[name])
        for name in ("tara", "legal", "hos", "nia", "sm", "ad", "clo", "ro")
    }
    assert hidden == {
        "tara": [],  # reads the advice of every family she sees
        "legal": [],
        "hos": [],
        "nia": [ADVICE_KEY],
        "sm": [ADVICE_KEY],
        "ad": [ADVICE_KEY],
        "clo": [ADVICE_KEY],
        "ro": [ADVICE_KEY],
    }


def test_an_alert_about_the_privileged_deadline_reaches_advice_readers_only(council):
    c = council
    episode = start_pre_proceedings(c["n1"], c["north_staff"])
    advice = Alert.objects.create(
        episode=episode,
        deadline=episode.deadlines.get(key=ADVICE_KEY),
        kind=AlertKind.OVERDUE,
        recipient=c["tara"],
        raised_on=D,
    )
    letter = Alert.objects.create(
        episode=episode,
        deadline=episode.deadlines.get(key="letter_before_proceedings"),
        kind=AlertKind.DUE_SOON,
        recipient=c["nia"],
        raised_on=D,
    )
    repeat = Alert.objects.create(episode=episode, kind=AlertKind.REPEAT_EPISODE, recipient=c["nia"], raised_on=D)

    def seen(name: str) -> set[Alert]:
        return set(deadline_scopes.alerts_visible_to(c[name]))

    assert seen("tara") == seen("legal") == seen("hos") == {advice, letter, repeat}
    assert seen("nia") == seen("noel") == seen("ad") == {letter, repeat}
    assert seen("nick") == seen("admin") == set()


# --- Single-record refusals ----------------------------------------------------------------------


def test_authorize_refuses_a_case_outside_the_persons_scope_and_says_which_refusal(council):
    c = council
    social_work = frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER})
    scopes.authorize(c["noel"], social_work, c["n1"])  # his team's family: no refusal
    scopes.authorize(c["noel"], social_work)  # a step not about one family
    with pytest.raises(PermissionDenied, match=r"^You may not change this case\.$"):
        scopes.authorize(c["noel"], social_work, c["s1"])
    with pytest.raises(PermissionDenied, match=r"^You may not change this case\.$"):
        scopes.authorize(c["legal"], frozenset({Role.LEGAL_ADVISER}), _fam("PLO-R-SOUTH"))  # not named
    with pytest.raises(PermissionDenied, match=r"^Your role may not record this step\.$"):
        scopes.authorize(c["noel"], frozenset({Role.HEAD_OF_SERVICE}), c["n1"])


# --- Export jobs ---------------------------------------------------------------------------------


def test_an_export_job_is_read_by_the_person_who_asked_for_it_only(council):
    c = council
    job = NationalExportJob.objects.create(
        requested_by=c["clo"], code_set="national", date_from=dt.date(2026, 4, 1), date_to=dt.date(2027, 3, 31)
    )
    assert list(case_scopes.export_jobs_visible_to(c["clo"])) == [job]
    assert list(case_scopes.export_jobs_visible_to(c["hos"])) == []  # even a head of service


# --- Tracker meetings ----------------------------------------------------------------------------


def test_tracker_meetings_their_agenda_and_actions_by_role_and_case(council):
    c = council
    n_episode = start_pre_proceedings(c["n1"], c["north_staff"])
    s_episode = start_pre_proceedings(c["s1"], c["south_staff"])
    meeting = TrackerMeeting.objects.create(
        kind=TrackerMeetingKind.WEEKLY, meets_on=dt.date(2027, 1, 18), starts_at=dt.time(10, 0), prepared_by=c["clo"]
    )
    n_item = AgendaItem.objects.create(meeting=meeting, episode=n_episode, position=1)
    s_item = AgendaItem.objects.create(meeting=meeting, episode=s_episode, position=2)

    def action(item: AgendaItem, owner: Any, what: str) -> MeetingAction:
        return MeetingAction.objects.create(
            item=item, description=what, owner=owner, due_on=dt.date(2027, 1, 25), created_by=c["clo"]
        )

    nias = action(n_item, c["nia"], "Visit the children")
    taras = action(n_item, c["tara"], "Book the panel")
    nicks = action(s_item, c["nick"], "Chase the school")

    # Meetings: the tracker roles, not a social worker nor the administrator.
    assert list(tracker_scopes.tracker_meetings_visible_to(c["clo"])) == [meeting]
    assert list(tracker_scopes.tracker_meetings_visible_to(c["tara"])) == [meeting]
    assert list(tracker_scopes.tracker_meetings_visible_to(c["nia"])) == []
    assert list(tracker_scopes.tracker_meetings_visible_to(c["admin"])) == []

    # Agenda items: of a meeting she may read, about a case she may see.
    assert set(tracker_scopes.agenda_items_visible_to(c["clo"])) == {n_item, s_item}
    assert set(tracker_scopes.agenda_items_visible_to(c["tara"])) == {n_item}
    assert set(tracker_scopes.agenda_items_visible_to(c["nia"])) == set()  # her case, but no meetings

    # Actions: every one on an item she may read, or her own on a case she may see.
    assert set(tracker_scopes.meeting_actions_visible_to(c["clo"])) == {nias, taras, nicks}
    assert set(tracker_scopes.meeting_actions_visible_to(c["tara"])) == {nias, taras}
    assert set(tracker_scopes.meeting_actions_visible_to(c["nia"])) == {nias}
    assert set(tracker_scopes.meeting_actions_visible_to(c["noel"])) == set()
