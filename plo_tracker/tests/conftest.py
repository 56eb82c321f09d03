"""Fixtures for the project-wide test battery (access, hostile input, faults)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.roles import Role
from cases import services as cs
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from meetings import services as ms

R = Role


@pytest.fixture
def world(make_user, team):
    """One family in pre-proceedings and one in care proceedings, in the team everyone belongs to."""
    users = {role: make_user(role, username=role.value) for role in Role}
    tm, hos, sw = users[R.TEAM_MANAGER], users[R.HEAD_OF_SERVICE], users[R.SOCIAL_WORKER]
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

    family, child, person, request, lpm = journey("Matrix family", "initiate")
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
    issued_family, *_, issued_request, _ = journey("Court family", "issue")
    from tracker_meetings import services as ts
    from tracker_meetings.models import AgendaItem, TrackerMeeting

    tracker_meeting = TrackerMeeting.objects.create(
        kind="weekly_tracker",
        meets_on=dt.date(2027, 2, 1),
        starts_at=dt.time(10),
        prepared_by=users[R.COURT_LIAISON_OFFICER],
    )
    item = AgendaItem.objects.create(meeting=tracker_meeting, episode=episode, position=1, reasons=["red"])
    action = ts.meeting_action_add(
        item=item,
        description="Chase the papers",
        owner=sw,
        due_on=dt.date(2027, 2, 8),
        by=users[R.COURT_LIAISON_OFFICER],
    )
    return {
        "users": users,
        "kwargs": {
            "cases:family-detail": family.pk,
            "cases:family-edit": family.pk,
            "cases:family-close": family.pk,
            "cases:family-reopen": family.pk,
            "cases:exit-letter": episode.pk,
            "cases:child-add": family.pk,
            "cases:child-edit": child.pk,
            "cases:person-add": family.pk,
            "cases:person-edit": person.pk,
            "cases:letter": episode.pk,
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
            "meetings:lpm-request-documents": request.pk,
            "meetings:lpm-request-decide": request.pk,
            "meetings:lpm-list": episode.pk,
            "meetings:lpm-outcome": lpm.pk,
            "meetings:lpm-edit": lpm.pk,
            "meetings:legal-advice": lpm.pk,
            "meetings:meeting-add": episode.pk,
            "meetings:meeting-edit": meeting.pk,
            "meetings:ppm-add": family.pk,
            "tracker_meetings:detail": tracker_meeting.pk,
            "tracker_meetings:refresh": tracker_meeting.pk,
            "tracker_meetings:held": tracker_meeting.pk,
            "tracker_meetings:minutes": tracker_meeting.pk,
            "tracker_meetings:item": item.pk,
            "tracker_meetings:action-add": item.pk,
            "tracker_meetings:action-done": action.pk,
            "meetings:ppm-minutes": ppm.pk,
            "meetings:meeting-minutes": meeting.pk,
            "meetings:lpm-minutes": lpm.pk,
            # No such upload: the pages send the people allowed back to the upload page (302).
            "accounts:staff-edit": sw.pk,
            "accounts:staff-reallocate": sw.pk,
            "accounts:team-edit": sw.team_id,
            "accounts:area-edit": sw.team.service_area_id,
            "imports:columns": 999_999,
            "imports:preview": 999_999,
        },
    }
