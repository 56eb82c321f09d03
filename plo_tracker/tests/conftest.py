"""Fixtures for the project-wide test battery (access, hostile input, faults)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.roles import Role
from cases import services as cs
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from meetings import services as ms

R = Role


# The kinds of case each record-level check is made on (issue 9 acceptance).
OWN_TEAM = "own team"
OTHER_TEAM = "other team"
RESTRICTED_NOT_NAMED = "restricted, not named"
RESTRICTED_NAMED = "restricted, named"
VARIANTS = (OWN_TEAM, OTHER_TEAM, RESTRICTED_NOT_NAMED, RESTRICTED_NAMED)


def _case_set(team, sw, tm, hos, tag: str) -> dict[str, int]:
    """One family in pre-proceedings and one in care proceedings, with every kind of record."""
    today = dt.date(2027, 2, 1)
    docs = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment", "swet"), ("present", ""))

    def journey(name: str, outcome: str):
        family = FamilyFactory.create(team=team, social_worker=sw, team_manager=tm, name=name)
        child = ChildFactory.create(family=family)
        person = PersonFactory.create(family=family)
        request = ms.lpm_request_create(
            family=family,
            requested_on=dt.date(2027, 1, 4),
            recommendation="issue",
            concerns="x",
            documents=docs,
            by=tm,
            today=today,
        )
        ms.lpm_request_decide(
            request=request,
            expected_version=None,
            status="approved",
            decided_on=dt.date(2027, 1, 5),
            by=hos,
            today=today,
        )
        lpm = ms.lpm_list(episode=request.episode, panel_date=dt.date(2027, 1, 7), by=tm, today=today)
        ms.lpm_record_outcome(
            lpm=lpm, expected_version=None, held_on=dt.date(2027, 1, 7), outcome=outcome, chair=hos, by=hos, today=today
        )
        return family, child, person, request, lpm

    family, child, person, request, lpm = journey(f"Matrix family {tag}", "initiate")
    episode = request.episode
    meeting = ms.meeting_record(
        episode=episode, kind="initial_meeting", scheduled_for=dt.date(2027, 1, 20), by=tm, today=today
    )
    assessment = cs.assessment_create(
        episode=episode,
        kind="parenting",
        provider="P",
        by=sw,
        today=today,
        instructed_on=dt.date(2027, 1, 8),
        due_on=dt.date(2027, 3, 1),
    )
    ppm = ms.permanency_meeting_record(
        family=family,
        child=child,
        organised_by=sw,
        chair=tm,
        held_on=dt.date(2027, 1, 9),
        options_considered=["return_home", "kinship"],
        preferred_option="return_home",
        by=sw,
        today=today,
    )
    issued_family, *_, issued_request, _ = journey(f"Court family {tag}", "issue")
    from letters.services import draft_create

    draft = draft_create(episode=episode, kind="letter_before_proceedings", by=sw, today=today)[0]
    return {
        "letters:draft": episode.pk,
        "letters:draft-preview": draft.pk,
        "letters:draft-download": draft.pk,
        "meetings:ppm-minutes": ppm.pk,
        "meetings:meeting-minutes": meeting.pk,
        "meetings:lpm-minutes": lpm.pk,
        "cases:family-detail": family.pk,
        "cases:family-edit": family.pk,
        "cases:family-restriction": family.pk,
        "cases:family-close": family.pk,
        "cases:family-reopen": family.pk,
        "cases:exit-letter": episode.pk,
        "cases:child-add": family.pk,
        "cases:child-edit": child.pk,
        "cases:person-add": family.pk,
        "cases:person-edit": person.pk,
        "cases:letter": episode.pk,
        "cases:proposed-agreement": episode.pk,
        "cases:signed-agreement": episode.pk,
        "cases:letter-deliver": episode.pk,
        "cases:extension": episode.pk,
        "cases:episode-end": episode.pk,
        "cases:assessment-add": episode.pk,
        "cases:assessment-edit": assessment.pk,
        "cases:assessment-approve-cost": assessment.pk,
        "cases:proceedings": issued_request.episode_id,
        "cases:hearing-add": issued_request.episode_id,
        "cases:court-extension": issued_request.episode_id,
        "cases:deadline-waive": episode.deadlines.filter(state="open").first().pk,
        "meetings:lpm-request": issued_family.pk,
        "meetings:lpm-request-prepare": issued_family.pk,
        "meetings:lpm-request-documents": request.pk,
        "meetings:lpm-request-decide": request.pk,
        "meetings:lpm-list": episode.pk,
        "meetings:lpm-outcome": lpm.pk,
        "meetings:lpm-edit": lpm.pk,
        "meetings:legal-advice": lpm.pk,
        "meetings:meeting-add": episode.pk,
        "meetings:meeting-edit": meeting.pk,
        "meetings:ppm-add": family.pk,
    }


@pytest.fixture
def world(make_user, team):
    """Everyone's team (in the service manager's area) and another team in another service area,
    each with a family in pre-proceedings and one in care proceedings; `kwargs` are the own-team
    case's ids, and `variants` the ids for each kind of case in VARIANTS."""
    return build_world(make_user, team)


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """The same world built once for a module (rolled back afterwards): for tests that only read."""
    from django.db import transaction

    from accounts.tests.factories import TeamFactory, UserFactory

    with django_db_blocker.unblock(), transaction.atomic():
        team = TeamFactory.create(name="Safeguarding Team North")

        def make_user(*roles, **kwargs):
            kwargs.setdefault("team", team)
            return UserFactory.create(roles=list(roles), **kwargs)

        yield build_world(make_user, team)
        transaction.set_rollback(True)


def build_world(make_user, team):
    """Build the world (see `world`)."""
    from accounts.tests.factories import ServiceAreaFactory, TeamFactory
    from cases.models import Family

    users = {role: make_user(role, username=role.value) for role in Role}
    tm, hos, sw = users[R.TEAM_MANAGER], users[R.HEAD_OF_SERVICE], users[R.SOCIAL_WORKER]
    other_team = TeamFactory.create(
        name="Safeguarding Team South", service_area=ServiceAreaFactory.create(name="Southern area")
    )
    other_sw = make_user(R.SOCIAL_WORKER, team=other_team, username="sw.south")
    other_tm = make_user(R.TEAM_MANAGER, team=other_team, username="tm.south")
    # Restricted cases are allocated to colleagues in the same team, who stay named on them.
    colleague_sw = make_user(R.SOCIAL_WORKER, username="sw.colleague")
    colleague_tm = make_user(R.TEAM_MANAGER, username="tm.colleague")
    variants = {
        OWN_TEAM: _case_set(team, sw, tm, hos, "A"),
        OTHER_TEAM: _case_set(other_team, other_sw, other_tm, hos, "B"),
        RESTRICTED_NOT_NAMED: _case_set(team, colleague_sw, colleague_tm, hos, "C"),
        RESTRICTED_NAMED: _case_set(team, colleague_sw, colleague_tm, hos, "D"),
    }
    for variant, named in ((RESTRICTED_NOT_NAMED, []), (RESTRICTED_NAMED, list(users.values()))):
        ids = [variants[variant]["cases:family-detail"], variants[variant]["meetings:lpm-request"]]
        for family in Family.objects.filter(pk__in=ids):
            family.restricted = True
            family.save()
            family.restricted_to.set([colleague_sw, colleague_tm, *named])
    from tracker_meetings import services as ts
    from tracker_meetings.models import AgendaItem, TrackerMeeting

    own = variants[OWN_TEAM]
    tracker_meeting = TrackerMeeting.objects.create(
        kind="weekly_tracker",
        meets_on=dt.date(2027, 2, 1),
        starts_at=dt.time(10),
        prepared_by=users[R.COURT_LIAISON_OFFICER],
    )
    item = AgendaItem.objects.create(
        meeting=tracker_meeting, episode_id=own["cases:letter"], position=1, reasons=["red"]
    )
    action = ts.meeting_action_add(
        item=item,
        description="Chase the papers",
        owner=sw,
        due_on=dt.date(2027, 2, 8),
        by=users[R.COURT_LIAISON_OFFICER],
    )
    own.update(
        {
            "tracker_meetings:detail": tracker_meeting.pk,
            "tracker_meetings:refresh": tracker_meeting.pk,
            "tracker_meetings:held": tracker_meeting.pk,
            "tracker_meetings:minutes": tracker_meeting.pk,
            "tracker_meetings:minutes-record": tracker_meeting.pk,
            "tracker_meetings:item": item.pk,
            "tracker_meetings:action-add": item.pk,
            "tracker_meetings:action-done": action.pk,
            "accounts:staff-edit": sw.pk,
            "accounts:staff-reallocate": sw.pk,
            "accounts:staff-invite": sw.pk,
            "accounts:staff-revoke": sw.pk,
            "accounts:staff-calendar-reset": sw.pk,
            "accounts:team-edit": sw.team_id,
            "accounts:area-edit": sw.team.service_area_id,
            "letters:minutes-download": tracker_meeting.pk,
            "letters:template-download": _shipped_template_pk(),
            "imports:columns": 999_999,
            "imports:preview": 999_999,
            "accounts:staff-import-preview": 999_999,
            "imports:job": 999_999,
            "cases:national-export-job": 999_999,
            "cases:national-export-download": 999_999,
            "accounts:staff-import-job": 999_999,
        }
    )
    return {"users": users, "kwargs": own, "variants": variants}


def _shipped_template_pk() -> int:
    """The shipped letter before proceedings template (stored as version 1 when first needed)."""
    from letters.services import template_current

    return template_current(kind="letter_before_proceedings").pk
