"""Services refuse what the pages refuse (issue 9 §4): a task, the shell or a future API cannot
record a step with a role that may not, or on a family the user may not change.

Each service is called as every role on a case of the user's own team (refused exactly for the
roles the step table in docs/security.md leaves out), and as the allowed roles on another team's
case and on a restricted case they are not named on (refused unless their scope reaches it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.roles import (
    ADVICE_ROLES,
    ASSESSMENT_ROLES,
    COST_APPROVAL_ROLES,
    COURT_ROLES,
    DECIDE_ROLES,
    DELIVERY_ROLES,
    END_ROLES,
    EXPORT_ROLES,
    EXTENSION_ROLES,
    FAMILY_OPENERS,
    LETTER_ROLES,
    LETTER_TEMPLATE_ROLES,
    LPM_ROLES,
    MEETING_ROLES,
    PPM_ROLES,
    PREPARE_ROLES,
    REQUEST_ROLES,
    TRACKER_MEETING_PREPARERS,
    TRACKER_MEETING_RECORDERS,
    WAIVE_ROLES,
    WEEKLY_ROLES,
    Role,
)
from accounts.scopes import RESTRICTION_MANAGERS
from cases import services as cs
from cases.models import Assessment, CareProceedings, Child, Episode, Family, Person
from deadlines.engine import WorkingCalendar
from deadlines.models import Deadline
from deadlines.services import deadline_waive
from letters import services as letters
from letters.kinds import CASE_DRAFTERS
from meetings import services as ms
from meetings.models import LPM, LPMRequest, Meeting
from tracker_meetings import services as ts
from tracker_meetings.models import AgendaItem, MeetingAction, TrackerMeeting
from tracker_meetings.services import MEETING_PREPARERS, MEETING_RECORDERS

from .conftest import OTHER_TEAM, OWN_TEAM, RESTRICTED_NOT_NAMED
from .test_authorization_matrix import SECURITY_MD

pytestmark = pytest.mark.django_db
D = dt.date(2027, 2, 1)


class _Rollback(Exception):
    pass


def _refused(call: Callable[[Any], Any], user: Any) -> bool:
    """Whether the service refuses this user (PermissionDenied); nothing it does is kept."""
    try:
        with transaction.atomic():
            call(user)
            raise _Rollback
    except PermissionDenied:
        return True
    except TypeError:
        raise  # a wrong call in this test, not a refusal
    except Exception:  # a ValidationError or any other refusal is not a permission refusal
        return False


def _calls(ids: dict[str, int]) -> list[tuple[str, frozenset[Role], Callable[[Any], Any]]]:
    family = Family.objects.get(pk=ids["cases:family-detail"])
    episode = Episode.objects.get(pk=ids["cases:letter"])
    request = LPMRequest.objects.get(pk=ids["meetings:lpm-request-decide"])
    lpm = LPM.objects.get(pk=ids["meetings:lpm-outcome"])
    meeting = Meeting.objects.get(pk=ids["meetings:meeting-edit"])
    assessment = Assessment.objects.get(pk=ids["cases:assessment-edit"])
    deadline = Deadline.objects.get(pk=ids["cases:deadline-waive"])
    child = Child.objects.get(pk=ids["cases:child-edit"])
    person = Person.objects.get(pk=ids["cases:person-edit"])
    proceedings = CareProceedings.objects.get(episode_id=ids["cases:proceedings"])
    return [
        # cases/ services
        ("family_update", FAMILY_OPENERS, lambda u: cs.family_update(family=family, expected_version=None, by=u)),
        (
            "family_close",
            WAIVE_ROLES,
            lambda u: cs.family_close(family=family, expected_version=None, closed_on=D, reason="x", by=u),
        ),
        (
            "child_create",
            FAMILY_OPENERS,
            lambda u: cs.child_create(
                family=family,
                by=u,
                first_name="A",
                last_name="B",
                date_of_birth=None,
                expected_date_of_birth=None,
                gender="female",
                case_system_id="ZZ1",
            ),
        ),
        ("child_update", FAMILY_OPENERS, lambda u: cs.child_update(child=child, expected_version=None, by=u)),
        ("person_create", FAMILY_OPENERS, lambda u: cs.person_create(family=family, by=u, full_name="A")),
        ("person_update", FAMILY_OPENERS, lambda u: cs.person_update(person=person, expected_version=None, by=u)),
        (
            "letter_update",
            LETTER_ROLES,
            lambda u: cs.letter_update(
                episode=episode,
                expected_version=None,
                letter_drafted_on=D,
                letter_to_legal_on=None,
                letter_approved_on=None,
                letter_due_on=None,
                by=u,
            ),
        ),
        (
            "letter_deliver",
            DELIVERY_ROLES,
            lambda u: cs.letter_deliver(episode=episode, person=person, delivered_on=D, method="post", by=u),
        ),
        (
            "extension_agree",
            EXTENSION_ROLES,
            lambda u: cs.extension_agree(episode=episode, weeks=4, agreed_on=D, rationale="x", by=u),
        ),
        (
            "draft_create (letter before proceedings)",
            LETTER_ROLES,
            lambda u: letters.draft_create(episode=episode, kind="letter_before_proceedings", by=u, today=D),
        ),
        (
            "draft_create (LPM cover sheet)",
            LPM_ROLES,
            lambda u: letters.draft_create(episode=episode, kind="lpm_cover_sheet", by=u, today=D),
        ),
        ("exit_letter_record", END_ROLES, lambda u: cs.exit_letter_record(episode=episode, exit_letter_on=D, by=u)),
        (
            "proposed_agreement_record",
            LETTER_ROLES,
            lambda u: cs.proposed_agreement_record(episode=episode, sent_on=D, by=u),
        ),
        (
            "assessment_create",
            ASSESSMENT_ROLES,
            lambda u: cs.assessment_create(episode=episode, by=u, kind="parenting", provider="P"),
        ),
        (
            "assessment_approve_cost",
            frozenset({Role.HEAD_OF_SERVICE}),
            lambda u: cs.assessment_approve_cost(assessment=assessment, approved_on=D, by=u),
        ),
        (
            "hearing_record",
            COURT_ROLES,
            lambda u: cs.hearing_record(proceedings=proceedings, kind="cmh", hearing_date=D, notes="", by=u),
        ),
        (
            "court_extension_record",
            COURT_ROLES,
            lambda u: cs.court_extension_record(proceedings=proceedings, weeks=2, granted_on=D, reasons="x", by=u),
        ),
        # deadlines/ services
        ("deadline_waive", WAIVE_ROLES, lambda u: deadline_waive(deadline=deadline, reason="x", by=u)),
        # meetings/ services
        (
            "lpm_request_decide",
            DECIDE_ROLES,
            lambda u: ms.lpm_request_decide(
                request=request, expected_version=None, status="approved", decided_on=D, by=u
            ),
        ),
        (
            "lpm_request_prepare",
            PREPARE_ROLES,
            lambda u: ms.lpm_request_prepare(
                family=Family.objects.get(pk=ids["meetings:lpm-request-prepare"]),
                recommendation="pre_proceedings",
                concerns="x",
                documents={},
                by=u,
            ),
        ),
        (
            "lpm_request_documents_update",
            REQUEST_ROLES,
            lambda u: ms.lpm_request_documents_update(request=request, documents={}, by=u),
        ),
        ("lpm_list", LPM_ROLES, lambda u: ms.lpm_list(episode=episode, panel_date=D, kind="review", by=u)),
        ("lpm_update", LPM_ROLES, lambda u: ms.lpm_update(lpm=lpm, expected_version=None, by=u)),
        ("legal_advice_record", ADVICE_ROLES, lambda u: ms.legal_advice_record(lpm=lpm, advice="x", by=u)),
        ("meeting_record", MEETING_ROLES, lambda u: ms.meeting_record(episode=episode, kind="review_meeting", by=u)),
        (
            "meeting_update",
            MEETING_ROLES,
            lambda u: ms.meeting_update(meeting=meeting, expected_version=None, by=u),
        ),
        (
            "permanency_meeting_record",
            PPM_ROLES,
            lambda u: ms.permanency_meeting_record(
                family=family,
                child=child,
                organised_by=u,
                chair=u,
                held_on=D,
                options_considered=[],
                preferred_option="",
                by=u,
            ),
        ),
    ]


def _tracker_meeting_calls(
    ids: dict[str, int], users: dict[Role, Any]
) -> list[tuple[str, frozenset[Role], Callable[[Any], Any]]]:
    """Tracker meetings (000, 001, 004) cover the whole service, not one family: their services
    are refused by role. The world's weekly meeting, its agenda item and the action the social
    worker owns (who may mark it done as its owner)."""
    meeting = TrackerMeeting.objects.get(pk=ids["tracker_meetings:detail"])
    item = AgendaItem.objects.get(pk=ids["tracker_meetings:item"])
    action = MeetingAction.objects.get(pk=ids["tracker_meetings:action-done"])
    sw = users[Role.SOCIAL_WORKER]
    assert action.owner_id == sw.pk
    cal = WorkingCalendar()
    prepare = ts.tracker_meeting_prepare
    return [
        (
            "tracker_meeting_prepare",
            TRACKER_MEETING_PREPARERS,
            lambda u: prepare(kind="court", meets_on=D, starts_at=None, by=u, today=D, calendar=cal),
        ),
        (
            "agenda_refresh",
            TRACKER_MEETING_PREPARERS,
            lambda u: ts.agenda_refresh(meeting=meeting, by=u, today=D, calendar=cal),
        ),
        (
            "tracker_meeting_hold",
            TRACKER_MEETING_RECORDERS,
            lambda u: ts.tracker_meeting_hold(
                meeting=meeting, expected_version=None, held_on=D, chair=None, attendees="", by=u, today=D
            ),
        ),
        (
            "agenda_item_record",
            TRACKER_MEETING_RECORDERS,
            lambda u: ts.agenda_item_record(
                item=item, expected_version=None, note="x", decisions="", review_on=None, legal_advice=None, by=u
            ),
        ),
        (
            "meeting_action_add",
            TRACKER_MEETING_RECORDERS,
            lambda u: ts.meeting_action_add(item=item, description="x", owner=sw, due_on=D, by=u),
        ),
        (
            "meeting_action_complete",
            TRACKER_MEETING_RECORDERS | {Role.SOCIAL_WORKER},
            lambda u: ts.meeting_action_complete(action=action, completed_on=D, by=u, today=D, calendar=cal),
        ),
        (
            "tracker_meeting_minutes_record",
            TRACKER_MEETING_RECORDERS,
            lambda u: ts.tracker_meeting_minutes_record(
                meeting=meeting, expected_version=None, by=u, today=D, minutes_drafted_on=D
            ),
        ),
    ]


def test_services_refuse_roles_the_step_table_leaves_out(world):
    users = world["users"]
    wrong = []
    calls = _calls(world["variants"][OWN_TEAM]) + _tracker_meeting_calls(world["variants"][OWN_TEAM], users)
    calls.append(
        (
            "template_upload",
            LETTER_TEMPLATE_ROLES,
            lambda u: letters.template_upload(kind="exit_letter", filename="x.docx", content=b"x", by=u),
        )
    )
    for name, allowed, call in calls:
        for role in Role:
            if _refused(call, users[role]) == (role in allowed):
                wrong.append((name, role.value, "refused" if role in allowed else "allowed"))
    assert not wrong, wrong


def test_services_refuse_families_outside_the_users_scope(world):
    users = world["users"]
    wrong = []
    whole_service = {
        Role.HEAD_OF_SERVICE,
        Role.ASSISTANT_DIRECTOR,
        Role.COURT_LIAISON_OFFICER,
        Role.BUSINESS_SUPPORT,
        Role.LEGAL_ADVISER,
    }
    for variant in (OTHER_TEAM, RESTRICTED_NOT_NAMED):
        for name, allowed, call in _calls(world["variants"][variant]):
            for role in allowed:
                reaches = variant == OTHER_TEAM and role in whole_service
                if _refused(call, users[role]) == reaches:
                    wrong.append((name, variant, role.value))
    assert not wrong, wrong


def test_a_missing_or_inactive_user_is_refused(world):
    hos = world["users"][Role.HEAD_OF_SERVICE]
    (_, _, call) = next(c for c in _calls(world["variants"][OWN_TEAM]) if c[0] == "deadline_waive")
    assert _refused(call, None)
    hos.is_active = False
    assert _refused(call, hos)


# --- The step table in docs/security.md is the code's ---------------------------------------

# The table's first cell -> the role set the pages and services use (before any "; cost
# approval" or "(legal advice" remark, which are checked on their own).
STEP_ROWS: dict[str, frozenset[Role]] = {
    "Open a family, change its details, add or change children and parents": FAMILY_OPENERS,
    "Restrict a case, lift a restriction, change who is named": RESTRICTION_MANAGERS,
    "Prepare an LPM request (summary of concerns, papers)": PREPARE_ROLES,
    "Request an LPM, update its checklist": REQUEST_ROLES,
    "Decide on an LPM request": DECIDE_ROLES,
    "List at a panel, record the outcome, panel papers and minutes": LPM_ROLES,
    "Record legal advice and the privileged LPM minutes": ADVICE_ROLES,
    "Letter before proceedings": LETTER_ROLES,
    "Record delivery of the letter": DELIVERY_ROLES,
    "Pre-proceedings meetings and minutes": MEETING_ROLES,
    "Assessments": ASSESSMENT_ROLES,
    "Agree an extension": EXTENSION_ROLES,
    "End pre-proceedings": END_ROLES,
    "Care proceedings, hearings and the court's extensions of the 26 weeks": COURT_ROLES,
    "Waive a deadline": WAIVE_ROLES,
    "Permanency planning meeting": PPM_ROLES,
    "Download the national data": EXPORT_ROLES,
    "Set up a tracker meeting or panel, add cases to its agenda": MEETING_PREPARERS,
    "Record notes, decisions, review dates and actions in a meeting, and its minutes (drafted, approved, circulated)": (
        MEETING_RECORDERS
    ),
    "Weekly tracker and its history, drill-down and download": WEEKLY_ROLES,
    "Draft a case's letters and papers from the council's templates": CASE_DRAFTERS,
    "Upload the council's letter templates": LETTER_TEMPLATE_ROLES,
}
SHORT_LABELS = {"CLO": Role.COURT_LIAISON_OFFICER}


def _roles(cell: str) -> frozenset[Role]:
    by_label = {role.label.lower(): role for role in Role} | {k.lower(): v for k, v in SHORT_LABELS.items()}
    return frozenset(by_label[w.strip().lower()] for w in cell.split(","))


def documented_steps() -> dict[str, str]:
    text = SECURITY_MD.read_text(encoding="utf-8")
    section = text.split("## Who can do which step", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): cells[1].strip() for cells in rows[1:]}


def test_the_step_table_in_the_docs_is_the_code_s():
    steps = documented_steps()
    assert set(STEP_ROWS) <= set(steps), sorted(set(STEP_ROWS) - set(steps))
    for step, roles in STEP_ROWS.items():
        cell = steps[step].split(";")[0].split("(")[0]
        assert _roles(cell) == roles, (step, sorted(_roles(cell)), sorted(roles))
    assert _roles(steps["Assessments"].split("cost approval:")[1]) == COST_APPROVAL_ROLES


def test_the_legal_adviser_records_legal_advice_and_nothing_else():
    """Issue 9: the legal adviser reads service-wide and writes legal advice only."""
    writes = [step for step, roles in STEP_ROWS.items() if Role.LEGAL_ADVISER in roles]
    assert writes == ["Record legal advice and the privileged LPM minutes"]
