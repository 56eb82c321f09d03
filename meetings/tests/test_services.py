"""The meetings services: LPM requests and decisions, panels and their outcomes, legal advice,
pre-proceedings meetings and permanency planning. What each records, and what each refuses.

Every refusal is a ValidationError keyed by the field the user must fix (the screens show it next to
that field), and nothing is saved. Who may call each service is tested with the role checks
(issue 9); here every call is made by a role that may make it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.roles import Role
from cases import services as cs
from cases.models import Child, EndOutcome, Episode, Family, Person, Stage
from cases.tests.factories import ChildFactory, FamilyFactory, PersonFactory
from meetings import services as ms
from meetings.models import (
    LPM,
    DocumentState,
    LegalAdvice,
    LPMKind,
    LPMOutcome,
    LPMRequest,
    Meeting,
    MeetingKind,
    PermanencyPlanningMeeting,
    PlanOption,
    Recommendation,
    RequestStatus,
)
from plo_tracker.versioning import StaleEditError

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 1)  # a Monday; every date below is before it
REQUESTED = dt.date(2027, 1, 4)
DECIDED = dt.date(2027, 1, 5)
PANEL = dt.date(2027, 1, 7)
DOCS = {
    "plo_summary": ("present", ""),
    "chronology": ("present", ""),
    "genogram": ("present", ""),
    "single_assessment": ("present", ""),
}


@pytest.fixture
def people(make_user) -> dict[str, User]:
    return {
        "sw": make_user(Role.SOCIAL_WORKER),
        "tm": make_user(Role.TEAM_MANAGER),
        "sm": make_user(Role.SERVICE_MANAGER),
        "hos": make_user(Role.HEAD_OF_SERVICE),
        "clo": make_user(Role.COURT_LIAISON_OFFICER),
        "legal": make_user(Role.LEGAL_ADVISER),
    }


@pytest.fixture
def family(team, people) -> Family:
    family = FamilyFactory.create(team=team, social_worker=people["sw"], team_manager=people["tm"])
    ChildFactory.create(family=family, first_name="Amy")
    ChildFactory.create(family=family, first_name="Ben", date_of_birth=dt.date(2021, 2, 3))
    PersonFactory.create(family=family, relationship="mother")
    PersonFactory.create(family=family, relationship="father")
    return family


def refused(call: Callable[[], object]) -> set[str]:
    """Call a service that must refuse; return the fields its errors are attached to."""
    with pytest.raises(ValidationError) as excinfo:
        call()
    return set(excinfo.value.message_dict)


def messages(call: Callable[[], object]) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        call()
    return excinfo.value.message_dict


def request_lpm(family: Family, people: dict[str, User], **overrides: Any) -> LPMRequest:
    kwargs: dict[str, Any] = {
        "family": family,
        "requested_on": REQUESTED,
        "recommendation": Recommendation.PRE_PROCEEDINGS,
        "concerns": "Neglect: the children are often hungry",
        "documents": DOCS,
        "by": people["tm"],
        "today": TODAY,
        **overrides,
    }
    return ms.lpm_request_create(**kwargs)


def approve(request: LPMRequest, people: dict[str, User]) -> LPMRequest:
    return ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.APPROVED,
        decided_on=DECIDED,
        by=people["hos"],
        today=TODAY,
    )


def listed(family: Family, people: dict[str, User]) -> LPM:
    request = approve(request_lpm(family, people), people)
    return ms.lpm_list(episode=request.episode, panel_date=PANEL, by=people["clo"], today=TODAY)


def outcome(lpm: LPM, people: dict[str, User], result: str, held_on: dt.date = PANEL) -> LPM:
    return ms.lpm_record_outcome(
        lpm=lpm,
        expected_version=None,
        held_on=held_on,
        outcome=result,
        chair=people["hos"],
        by=people["hos"],
        today=TODAY,
    )


def in_pre_proceedings(family: Family, people: dict[str, User]) -> Episode:
    lpm = outcome(listed(family, people), people, LPMOutcome.INITIATE)
    return Episode.objects.get(pk=lpm.episode_id)


def deliver_letters(episode: Episode, people: dict[str, User], on: dt.date) -> None:
    for person in Person.objects.filter(family=episode.family):
        cs.letter_deliver(episode=episode, person=person, delivered_on=on, by=people["sw"], today=TODAY)


# --- LPM requests ----------------------------------------------------------------------------


def test_a_request_opens_an_episode_at_the_lpm_stage_with_its_checklist(family, people):
    request = request_lpm(
        family,
        people,
        documents={**DOCS, "genogram": ("missing", ""), "viability": ("not_applicable", "  No relatives  ")},
        concerns="  Neglect  ",
    )
    episode = request.episode
    assert episode.family == family and episode.stage == Stage.LPM and episode.ended_on is None
    assert episode.started_on == REQUESTED
    assert request.status == RequestStatus.AWAITING and request.requested_by == people["tm"]
    assert request.concerns == "Neglect"
    checklist = {d.kind: (d.state, d.note) for d in request.documents.all()}
    assert checklist["genogram"] == ("missing", "")
    assert checklist["viability"] == ("not_applicable", "No relatives")
    assert set(checklist) == {*DOCS, "viability"}


def test_a_request_about_some_of_the_children_covers_only_them(family, people):
    amy = Child.objects.get(family=family, first_name="Amy")
    request = request_lpm(family, people, children=[amy])
    assert list(request.episode.children.all()) == [amy]
    assert Child.objects.filter(family=family).count() == 2


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"requested_on": TODAY + dt.timedelta(days=1)}, {"requested_on"}),
        ({"concerns": "   "}, {"concerns"}),
        ({"documents": {**DOCS, "genogram": ("not_applicable", " ")}}, {"doc_genogram_note"}),
        # 002 §4: recommending care proceedings needs the draft SWET with the papers.
        ({"recommendation": Recommendation.ISSUE}, {"doc_swet_state"}),
        ({"recommendation": Recommendation.ISSUE, "documents": {**DOCS, "swet": ("missing", "")}}, {"doc_swet_state"}),
    ],
)
def test_a_request_with_bad_input_is_refused_and_nothing_is_opened(family, people, overrides, fields):
    assert refused(lambda: request_lpm(family, people, **overrides)) == fields
    assert not Episode.objects.filter(family=family).exists()
    assert not LPMRequest.objects.exists()


def test_a_request_recommending_proceedings_with_the_swet_is_accepted(family, people):
    request = request_lpm(
        family, people, recommendation=Recommendation.ISSUE, documents={**DOCS, "swet": ("present", "")}
    )
    assert request.recommendation == Recommendation.ISSUE


def test_a_family_with_an_open_episode_cannot_be_asked_for_again(family, people):
    request_lpm(family, people)
    with pytest.raises(ValidationError):
        request_lpm(family, people)
    assert Episode.objects.filter(family=family).count() == 1


def test_the_checklist_is_updated_and_a_not_applicable_paper_needs_a_reason(family, people):
    request = request_lpm(family, people, documents={**DOCS, "genogram": ("missing", "")})
    version = LPMRequest.objects.get(pk=request.pk).version
    assert refused(
        lambda: ms.lpm_request_documents_update(
            request=request, documents={"genogram": ("not_applicable", "")}, by=people["tm"], today=TODAY
        )
    ) == {"doc_genogram_note"}
    assert request.documents.get(kind="genogram").state == DocumentState.MISSING

    ms.lpm_request_documents_update(
        request=request,
        documents={"genogram": ("present", " drawn with the family "), "fgc_minutes": ("missing", "")},
        by=people["tm"],
        today=TODAY,
    )
    checklist = {d.kind: (d.state, d.note) for d in request.documents.all()}
    assert checklist["genogram"] == ("present", "drawn with the family")
    assert checklist["fgc_minutes"] == ("missing", "")
    assert LPMRequest.objects.get(pk=request.pk).version == version + 1  # someone else's open copy is now stale


# --- The head of service's decision ------------------------------------------------------------


def test_approving_a_request_records_who_approved_it_and_when(family, people):
    request = approve(request_lpm(family, people), people)
    request.refresh_from_db()
    assert (request.status, request.decided_on, request.decided_by) == (RequestStatus.APPROVED, DECIDED, people["hos"])
    assert Episode.objects.get(pk=request.episode_id).stage == Stage.LPM  # waiting for the panel


def test_declining_a_request_ends_the_episode_with_no_further_action(family, people):
    request = request_lpm(family, people)
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.DECLINED,
        decided_on=DECIDED,
        note="  Threshold not met  ",
        by=people["hos"],
        today=TODAY,
    )
    request.refresh_from_db()
    episode = Episode.objects.get(pk=request.episode_id)
    assert request.decision_note == "Threshold not met"
    assert (episode.stage, episode.ended_on, episode.end_outcome) == (Stage.ENDED, DECIDED, EndOutcome.NFA)
    assert episode.end_reason == "LPM request not approved"


def test_a_deferral_keeps_its_date_after_the_later_approval(family, people):
    request = request_lpm(family, people)
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.DEFERRED,
        decided_on=DECIDED,
        deferred_until=DECIDED + dt.timedelta(weeks=2),
        note="Genogram needed",
        by=people["hos"],
        today=TODAY,
    )
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.APPROVED,
        decided_on=dt.date(2027, 1, 12),
        by=people["hos"],
        today=TODAY,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.deferred_until == dt.date(2027, 1, 19)  # it moved the decision deadline (002 §6b)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"status": "maybe"}, {"status"}),
        ({"decided_on": TODAY + dt.timedelta(days=1)}, {"decided_on"}),
        ({"decided_on": REQUESTED - dt.timedelta(days=1)}, {"decided_on"}),
        ({"status": RequestStatus.DECLINED, "note": " "}, {"note"}),
        ({"status": RequestStatus.DEFERRED, "note": "Better papers"}, {"deferred_until"}),
        ({"status": RequestStatus.DEFERRED, "note": "Better papers", "deferred_until": DECIDED}, {"deferred_until"}),
        # 002 §6b: a deferral is for two weeks at most.
        (
            {"status": RequestStatus.DEFERRED, "note": "Better papers", "deferred_until": DECIDED + dt.timedelta(15)},
            {"deferred_until"},
        ),
        ({"status": RequestStatus.DEFERRED, "deferred_until": DECIDED + dt.timedelta(7)}, {"note"}),
    ],
)
def test_a_decision_with_bad_input_is_refused_and_the_request_still_waits(family, people, changes, fields):
    request = request_lpm(family, people)
    kwargs: dict[str, Any] = {
        "request": request,
        "expected_version": None,
        "status": RequestStatus.APPROVED,
        "decided_on": DECIDED,
        "by": people["hos"],
        "today": TODAY,
        **changes,
    }
    assert refused(lambda: ms.lpm_request_decide(**kwargs)) == fields
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING and request.decided_on is None
    assert Episode.objects.get(pk=request.episode_id).ended_on is None


def test_a_decision_made_on_a_stale_copy_is_refused(family, people):
    request = request_lpm(family, people)
    opened_at = LPMRequest.objects.get(pk=request.pk).version
    ms.lpm_request_documents_update(request=request, documents={"swet": ("missing", "")}, by=people["tm"])
    with pytest.raises(StaleEditError):
        ms.lpm_request_decide(
            request=request,
            expected_version=opened_at,
            status=RequestStatus.APPROVED,
            decided_on=DECIDED,
            by=people["hos"],
            today=TODAY,
        )
    assert LPMRequest.objects.get(pk=request.pk).status == RequestStatus.AWAITING


# --- Listing at a panel ----------------------------------------------------------------------


def test_an_approved_request_is_listed_once_at_a_panel(family, people):
    lpm = listed(family, people)
    assert (lpm.kind, lpm.panel_date, lpm.outcome) == (LPMKind.INITIAL, PANEL, "")
    messages_ = messages(lambda: ms.lpm_list(episode=lpm.episode, panel_date=PANEL, by=people["clo"], today=TODAY))
    assert messages_ == {"__all__": ["This episode already has an LPM listed; list a further LPM or a review instead"]}
    assert LPM.objects.count() == 1


def test_listing_before_approval_or_before_the_approval_date_is_refused(family, people):
    request = request_lpm(family, people)
    assert refused(lambda: ms.lpm_list(episode=request.episode, panel_date=PANEL, by=people["clo"], today=TODAY)) == {
        "__all__"
    }
    approve(request, people)
    assert refused(
        lambda: ms.lpm_list(
            episode=request.episode, panel_date=DECIDED - dt.timedelta(days=1), by=people["clo"], today=TODAY
        )
    ) == {"panel_date"}
    assert not LPM.objects.exists()


def test_a_further_lpm_needs_a_deferral_and_a_review_needs_pre_proceedings(family, people):
    lpm = listed(family, people)
    episode = lpm.episode
    for kind in (LPMKind.FURTHER, LPMKind.REVIEW):
        assert refused(
            functools.partial(ms.lpm_list, episode=episode, panel_date=PANEL, kind=kind, by=people["clo"], today=TODAY)
        ) == {"kind"}
    outcome(lpm, people, LPMOutcome.DEFER)
    further = ms.lpm_list(
        episode=episode, panel_date=dt.date(2027, 1, 21), kind=LPMKind.FURTHER, by=people["clo"], today=TODAY
    )
    assert further.kind == LPMKind.FURTHER
    assert LPM.objects.filter(episode=episode).count() == 2


def test_a_review_is_not_listed_before_pre_proceedings_started(family, people):
    episode = in_pre_proceedings(family, people)
    assert refused(
        lambda: ms.lpm_list(
            episode=episode,
            panel_date=PANEL - dt.timedelta(days=1),
            kind=LPMKind.REVIEW,
            by=people["clo"],
            today=TODAY,
        )
    ) == {"panel_date"}
    review = ms.lpm_list(
        episode=episode, panel_date=dt.date(2027, 2, 11), kind=LPMKind.REVIEW, by=people["clo"], today=TODAY
    )
    assert review.kind == LPMKind.REVIEW


def test_nothing_is_listed_for_an_ended_episode(family, people):
    request = request_lpm(family, people)
    ms.lpm_request_decide(
        request=request,
        expected_version=None,
        status=RequestStatus.DECLINED,
        decided_on=DECIDED,
        note="Not needed",
        by=people["hos"],
        today=TODAY,
    )
    assert messages(lambda: ms.lpm_list(episode=request.episode, panel_date=PANEL, by=people["clo"], today=TODAY))[
        "__all__"
    ] == ["This episode has ended"]


# --- Outcomes --------------------------------------------------------------------------------


def test_initiating_pre_proceedings_starts_the_clock_on_the_day_the_lpm_was_held(family, people):
    episode = in_pre_proceedings(family, people)
    assert episode.stage == Stage.PRE_PROCEEDINGS and episode.decision_date == PANEL
    lpm = episode.lpms.get()
    assert (lpm.held_on, lpm.outcome, lpm.chair) == (PANEL, LPMOutcome.INITIATE, people["hos"])
    # 002 §9b ii: the letter before proceedings is due 5 working days after the decision.
    assert episode.deadlines.get(key="letter_before_proceedings").due_on == dt.date(2027, 1, 14)


def test_no_further_action_ends_the_episode_and_issue_moves_it_to_proceedings(family, people, team):
    ended = outcome(listed(family, people), people, LPMOutcome.NFA)
    episode = Episode.objects.get(pk=ended.episode_id)
    assert (episode.stage, episode.ended_on, episode.end_outcome) == (Stage.ENDED, PANEL, EndOutcome.NFA)

    other = FamilyFactory.create(team=team, social_worker=people["sw"], team_manager=people["tm"])
    ChildFactory.create(family=other)
    issued = outcome(listed(other, people), people, LPMOutcome.ISSUE)
    episode = Episode.objects.get(pk=issued.episode_id)
    assert episode.stage == Stage.PROCEEDINGS and episode.decision_date is None
    assert episode.proceedings.issue_decision_on == PANEL


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"outcome": LPMOutcome.CONTINUE}, {"outcome"}),  # a review's outcome, not an LPM's
        ({"outcome": "adjourn"}, {"outcome"}),
        ({"held_on": TODAY + dt.timedelta(days=1)}, {"held_on"}),
        ({"held_on": DECIDED - dt.timedelta(days=1)}, {"held_on"}),
        ({"outcome_recorded_on": TODAY + dt.timedelta(days=1)}, {"outcome_recorded_on"}),
        ({"outcome_recorded_on": PANEL - dt.timedelta(days=1)}, {"outcome_recorded_on"}),
    ],
)
def test_an_outcome_with_bad_input_is_refused_and_nothing_changes(family, people, changes, fields):
    lpm = listed(family, people)
    kwargs: dict[str, Any] = {
        "lpm": lpm,
        "expected_version": None,
        "held_on": PANEL,
        "outcome": LPMOutcome.INITIATE,
        "chair": people["hos"],
        "by": people["hos"],
        "today": TODAY,
        **changes,
    }
    assert refused(lambda: ms.lpm_record_outcome(**kwargs)) == fields
    lpm.refresh_from_db()
    assert lpm.outcome == "" and lpm.held_on is None
    assert Episode.objects.get(pk=lpm.episode_id).stage == Stage.LPM


def test_a_recorded_outcome_is_not_changed_to_another(family, people):
    lpm = outcome(listed(family, people), people, LPMOutcome.DEFER)
    assert messages(lambda: outcome(lpm, people, LPMOutcome.NFA))["outcome"] == [
        "This LPM's outcome is already recorded; ask an administrator to correct it"
    ]
    lpm.refresh_from_db()
    assert lpm.outcome == LPMOutcome.DEFER
    assert Episode.objects.get(pk=lpm.episode_id).ended_on is None


def test_a_review_decides_continue_or_step_down_and_not_before_pre_proceedings(family, people):
    episode = in_pre_proceedings(family, people)
    review = ms.lpm_list(
        episode=episode, panel_date=dt.date(2027, 2, 11), kind=LPMKind.REVIEW, by=people["clo"], today=TODAY
    )
    assert refused(lambda: outcome(review, people, LPMOutcome.INITIATE, held_on=dt.date(2027, 2, 11))) == {"outcome"}
    assert refused(lambda: outcome(review, people, LPMOutcome.CONTINUE, held_on=PANEL - dt.timedelta(1))) == {"held_on"}
    outcome(review, people, LPMOutcome.CONTINUE, held_on=dt.date(2027, 2, 11))
    review.refresh_from_db()
    assert review.outcome == LPMOutcome.CONTINUE
    assert Episode.objects.get(pk=episode.pk).stage == Stage.PRE_PROCEEDINGS


# --- Panel dates, papers and minutes ---------------------------------------------------------


def test_papers_and_minutes_dates_are_recorded_in_order(family, people):
    lpm = listed(family, people)
    assert refused(
        lambda: ms.lpm_update(
            lpm=lpm, expected_version=None, by=people["clo"], today=TODAY, papers_submitted_on=TODAY + dt.timedelta(1)
        )
    ) == {"papers_submitted_on"}
    assert messages(
        lambda: ms.lpm_update(
            lpm=lpm, expected_version=None, by=people["clo"], today=TODAY, minutes_circulated_on=PANEL
        )
    )["minutes_circulated_on"] == ["Record the meeting's outcome first"]
    lpm = ms.lpm_update(
        lpm=lpm, expected_version=None, by=people["clo"], today=TODAY, papers_submitted_on=dt.date(2027, 1, 6)
    )
    assert LPM.objects.get(pk=lpm.pk).papers_submitted_on == dt.date(2027, 1, 6)

    lpm = outcome(lpm, people, LPMOutcome.INITIATE)
    assert refused(
        lambda: ms.lpm_update(
            lpm=lpm, expected_version=None, by=people["clo"], today=TODAY, minutes_circulated_on=PANEL - dt.timedelta(1)
        )
    ) == {"minutes_circulated_on"}
    ms.lpm_update(lpm=lpm, expected_version=None, by=people["clo"], today=TODAY, minutes_circulated_on=PANEL)
    assert LPM.objects.get(pk=lpm.pk).minutes_circulated_on == PANEL


def test_a_panel_change_on_a_stale_copy_is_refused(family, people):
    lpm = listed(family, people)
    opened_at = lpm.version
    ms.lpm_update(lpm=lpm, expected_version=opened_at, by=people["clo"], today=TODAY, panel_date=dt.date(2027, 1, 8))
    with pytest.raises(StaleEditError):
        ms.lpm_update(
            lpm=lpm, expected_version=opened_at, by=people["clo"], today=TODAY, panel_date=dt.date(2027, 1, 14)
        )
    assert LPM.objects.get(pk=lpm.pk).panel_date == dt.date(2027, 1, 8)


# --- Legal advice ------------------------------------------------------------------------------


def test_legal_advice_is_kept_once_per_lpm_and_updated_in_place(family, people):
    lpm = listed(family, people)
    assert refused(lambda: ms.legal_advice_record(lpm=lpm, advice="   ", by=people["legal"])) == {"advice"}
    assert not LegalAdvice.objects.exists()

    first = ms.legal_advice_record(lpm=lpm, advice="  Threshold is met  ", minutes=" Minutes ", by=people["legal"])
    assert (first.advice, first.minutes, first.recorded_by) == ("Threshold is met", "Minutes", people["legal"])
    second = ms.legal_advice_record(lpm=lpm, advice="Threshold is met; issue", by=people["hos"])
    assert second.pk == first.pk and LegalAdvice.objects.count() == 1
    second.refresh_from_db()
    assert (second.advice, second.minutes, second.recorded_by) == ("Threshold is met; issue", "", people["hos"])


# --- Pre-proceedings meetings ------------------------------------------------------------------


def test_meetings_wait_for_pre_proceedings_and_need_a_date(family, people):
    lpm = listed(family, people)
    assert messages(
        lambda: ms.meeting_record(
            episode=lpm.episode, kind=MeetingKind.INITIAL, scheduled_for=TODAY, by=people["sw"], today=TODAY
        )
    ) == {"__all__": ["Pre-proceedings have not started for this family"]}
    episode = in_pre_proceedings(FamilyFactory.create(team=family.team, social_worker=people["sw"]), people)
    assert refused(
        lambda: ms.meeting_record(episode=episode, kind=MeetingKind.INITIAL, by=people["sw"], today=TODAY)
    ) == {"scheduled_for"}
    assert not Meeting.objects.exists()


def test_the_initial_meeting_follows_the_letter_and_is_booked_then_held(family, people):
    episode = in_pre_proceedings(family, people)
    # Booked before the letter went out: fine. Held before the letter was delivered: refused.
    booked = ms.meeting_record(
        episode=episode, kind=MeetingKind.INITIAL, scheduled_for=dt.date(2027, 1, 20), by=people["sw"], today=TODAY
    )
    assert refused(
        lambda: ms.meeting_update(
            meeting=booked, expected_version=None, by=people["sw"], today=TODAY, held_on=dt.date(2027, 1, 20)
        )
    ) == {"held_on"}
    deliver_letters(episode, people, dt.date(2027, 1, 12))
    assert refused(
        lambda: ms.meeting_update(
            meeting=booked, expected_version=None, by=people["sw"], today=TODAY, held_on=dt.date(2027, 1, 11)
        )
    ) == {"held_on"}
    held = ms.meeting_update(
        meeting=booked, expected_version=None, by=people["sw"], today=TODAY, held_on=dt.date(2027, 1, 20)
    )
    assert Meeting.objects.get(pk=held.pk).held_on == dt.date(2027, 1, 20)  # updating itself is no duplicate
    assert episode.deadlines.get(key="initial_meeting").met_on == dt.date(2027, 1, 20)
    assert messages(
        lambda: ms.meeting_record(
            episode=episode, kind=MeetingKind.INITIAL, scheduled_for=dt.date(2027, 2, 1), by=people["sw"], today=TODAY
        )
    ) == {"kind": ["This family already has an initial pre-proceedings meeting"]}
    assert Meeting.objects.count() == 1


def test_review_and_final_meetings_come_after_the_initial_meeting(family, people):
    episode = in_pre_proceedings(family, people)
    deliver_letters(episode, people, dt.date(2027, 1, 12))
    assert messages(
        lambda: ms.meeting_record(
            episode=episode, kind=MeetingKind.REVIEW, held_on=dt.date(2027, 2, 1), by=people["sw"], today=TODAY
        )
    ) == {"held_on": ["Record the initial meeting first"]}
    ms.meeting_record(
        episode=episode, kind=MeetingKind.INITIAL, held_on=dt.date(2027, 1, 20), by=people["sw"], today=TODAY
    )
    assert refused(
        lambda: ms.meeting_record(
            episode=episode, kind=MeetingKind.FINAL, held_on=dt.date(2027, 1, 19), by=people["sw"], today=TODAY
        )
    ) == {"held_on"}
    for held_on in (dt.date(2027, 2, 1), dt.date(2027, 2, 15)):  # reviews may repeat
        ms.meeting_record(episode=episode, kind=MeetingKind.REVIEW, held_on=held_on, by=people["sw"], today=TODAY)
    assert episode.meetings.filter(kind=MeetingKind.REVIEW).count() == 2


@pytest.mark.parametrize(
    ("minutes", "fields"),
    [
        ({"held_on": TODAY + dt.timedelta(1)}, {"held_on"}),
        (
            {"held_on": None, "scheduled_for": dt.date(2027, 1, 20), "minutes_drafted_on": dt.date(2027, 1, 21)},
            {"minutes_drafted_on"},
        ),
        ({"minutes_drafted_on": dt.date(2027, 1, 19)}, {"minutes_drafted_on"}),
        ({"minutes_approved_on": dt.date(2027, 1, 22)}, {"minutes_drafted_on"}),
        (
            {"minutes_drafted_on": dt.date(2027, 1, 22), "minutes_approved_on": dt.date(2027, 1, 21)},
            {"minutes_approved_on"},
        ),
        (
            {"minutes_drafted_on": dt.date(2027, 1, 21), "minutes_circulated_on": dt.date(2027, 1, 22)},
            {"minutes_approved_on"},
        ),
        (
            {
                "minutes_drafted_on": dt.date(2027, 1, 21),
                "minutes_approved_on": dt.date(2027, 1, 22),
                "minutes_circulated_on": dt.date(2027, 1, 21),
            },
            {"minutes_circulated_on"},
        ),
        ({"minutes_drafted_on": TODAY + dt.timedelta(1)}, {"minutes_drafted_on"}),
    ],
)
def test_minutes_are_drafted_approved_and_circulated_in_that_order(family, people, minutes, fields):
    episode = in_pre_proceedings(family, people)
    deliver_letters(episode, people, dt.date(2027, 1, 12))
    meeting = {"held_on": dt.date(2027, 1, 20), **minutes}
    assert (
        refused(
            lambda: ms.meeting_record(
                episode=episode, kind=MeetingKind.INITIAL, by=people["sw"], today=TODAY, **meeting
            )
        )
        == fields
    )
    assert not Meeting.objects.exists()


def test_approved_minutes_record_who_approved_them(family, people):
    episode = in_pre_proceedings(family, people)
    deliver_letters(episode, people, dt.date(2027, 1, 12))
    meeting = ms.meeting_record(
        episode=episode,
        kind=MeetingKind.INITIAL,
        held_on=dt.date(2027, 1, 20),
        minutes_drafted_on=dt.date(2027, 1, 21),
        minutes_approved_on=dt.date(2027, 1, 22),
        minutes_circulated_on=dt.date(2027, 1, 25),
        by=people["tm"],
        today=TODAY,
    )
    assert Meeting.objects.get(pk=meeting.pk).minutes_approved_by == people["tm"]


# --- Permanency planning ---------------------------------------------------------------------


def permanency(family: Family, people: dict[str, User], **overrides: Any) -> PermanencyPlanningMeeting:
    kwargs: dict[str, Any] = {
        "family": family,
        "child": family.children.first(),
        "organised_by": people["sw"],
        "chair": people["tm"],
        "held_on": dt.date(2027, 2, 10),
        "options_considered": [PlanOption.RETURN_HOME, PlanOption.KINSHIP],
        "preferred_option": PlanOption.KINSHIP,
        "parallel_plan": PlanOption.RETURN_HOME,
        "next_review_on": dt.date(2027, 5, 10),
        "by": people["sw"],
        "today": TODAY,
        **overrides,
    }
    return ms.permanency_meeting_record(**kwargs)


def test_a_permanency_planning_meeting_is_recorded_for_a_child(family, people):
    ppm = permanency(family, people, chair=people["sm"], notes="Grandmother assessed")
    ppm.refresh_from_db()
    assert (ppm.child.family, ppm.organised_by, ppm.chair) == (family, people["sw"], people["sm"])
    assert ppm.options_considered == ["return_home", "kinship"] and ppm.preferred_option == "kinship"
    assert ppm.next_review_on == dt.date(2027, 5, 10) and ppm.notes == "Grandmother assessed"


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"organised_by": "tm"}, {"organised_by"}),  # 003: organised by the child's social worker
        ({"chair": "sw"}, {"chair"}),  # 003: chaired by a team manager or service manager
        ({"held_on": TODAY + dt.timedelta(1)}, {"held_on"}),
        ({"options_considered": []}, {"options_considered"}),
        ({"preferred_option": PlanOption.ADOPTION}, {"preferred_option"}),
        ({"parallel_plan": PlanOption.KINSHIP}, {"parallel_plan"}),
        ({"next_review_on": dt.date(2027, 2, 10)}, {"next_review_on"}),
    ],
)
def test_a_permanency_meeting_with_bad_input_is_refused(family, people, overrides, fields):
    for key in ("organised_by", "chair"):
        if key in overrides:
            overrides = {**overrides, key: people[overrides[key]]}
    assert refused(lambda: permanency(family, people, **overrides)) == fields
    assert not PermanencyPlanningMeeting.objects.exists()


def test_a_permanency_meeting_is_for_a_child_of_that_family(family, people, team):
    stranger = ChildFactory.create(family=FamilyFactory.create(team=team))
    assert refused(lambda: permanency(family, people, child=stranger)) == {"child"}
    assert not PermanencyPlanningMeeting.objects.exists()
