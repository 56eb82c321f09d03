"""Issue #10 through the services: listed hearings, the court's extension, decisions to issue at a
review, escalations as policy rules, and nothing going quiet. Dates counted by hand (see each)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from cases import services as cs
from cases.models import CareProceedings, CourtExtension, EndOutcome
from deadlines.alerts import alert_scan
from deadlines.models import Alert, AlertKind, Deadline, DeadlineState
from deadlines.selectors.tracker import tracker_rows
from deadlines.services import calendar_current, episode_inputs
from deadlines.tests.test_scenarios import D, family, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


def due(episode, key: str, occurrence: int = 1) -> dt.date | None:
    return Deadline.objects.get(episode=episode, key=key, occurrence=occurrence).due_on


def issue_at_a_review(people, settings, *, policy: str = "gloucestershire"):
    """Pre-proceedings from D (Thu 7 Jan 2027); a review LPM on Thu 11 Mar 2027 decides to issue."""
    settings.PLO_POLICY = policy
    episode = start_pre_proceedings(family(people), people)
    cs.episode_end(
        episode=episode,
        expected_version=None,
        ended_on=dt.date(2027, 3, 11),
        end_outcome=EndOutcome.ISSUE,
        end_decision_date=dt.date(2027, 3, 11),
        end_reason="No progress at the care-planning LPM",
        by=people.hos,
        today=dt.date(2027, 3, 11),
    )
    return episode


def test_a_decision_to_issue_after_pre_proceedings_started_uses_app2_timescales(people, settings):
    assert dt.date(2027, 1, 7) == D
    episode = issue_at_a_review(people, settings)
    assert episode_inputs(episode, today=dt.date(2027, 3, 11))["events"]["review_issue_decision"] == dt.date(
        2027, 3, 11
    )
    # 002 App. 2: papers to legal within 10 working days (Thu 25 Mar 2027) and issue within 15:
    # over Good Friday 26 Mar and Easter Monday 29 Mar 2027, Mon 5 Apr.
    assert due(episode, "swet_to_legal") == dt.date(2027, 3, 25)
    assert due(episode, "proceedings_issued") == dt.date(2027, 4, 5)


def issued(people, settings) -> CareProceedings:
    episode = issue_at_a_review(people, settings)
    proceedings = CareProceedings.objects.get(episode=episode)
    return cs.proceedings_update(
        proceedings=proceedings,
        expected_version=proceedings.version,
        by=people.hos,
        today=dt.date(2027, 3, 30),
        issued_on=dt.date(2027, 3, 30),  # Tue 30 Mar 2027, the day after Easter Monday
    )


def test_a_listed_cmh_replaces_day_18_and_a_future_hearing_meets_nothing(people, settings):
    p = issued(people, settings)
    episode = p.episode
    # Issued Tue 30 Mar 2027: day 18 is Fri 16 Apr; advocates Wed 14 Apr.
    assert (due(episode, "cmh"), due(episode, "advocates_meeting")) == (dt.date(2027, 4, 16), dt.date(2027, 4, 14))
    # The court lists the CMH for Tue 4 May 2027: 2 working days before is back over the early May
    # bank holiday (Mon 3 May) to Fri 30 Apr, then Thu 29 Apr.
    cs.hearing_record(
        proceedings=p, kind="cmh", hearing_date=dt.date(2027, 5, 4), by=people.hos, today=dt.date(2027, 4, 1)
    )
    assert (due(episode, "cmh"), due(episode, "advocates_meeting")) == (dt.date(2027, 5, 4), dt.date(2027, 4, 29))
    cmh = Deadline.objects.get(episode=episode, key="cmh")
    assert cmh.state == DeadlineState.OPEN and cmh.met_on is None  # listed for later: not yet held


def test_the_courts_extension_up_to_8_weeks_with_reasons_moves_the_final_hearing(people, settings):
    p = issued(people, settings)
    # Week 26 from Tue 30 Mar 2027 ends Mon 27 Sep 2027 (+181 days), a working day.
    assert due(p.episode, "final_hearing") == dt.date(2027, 9, 27)
    with pytest.raises(ValidationError) as bad:
        cs.court_extension_record(
            proceedings=p,
            weeks=9,
            granted_on=dt.date(2027, 4, 20),
            reasons="",
            by=people.hos,
            today=dt.date(2027, 4, 20),
        )
    assert "no more than 8 weeks at a time" in bad.value.message_dict["weeks"][0]
    assert "reasons" in bad.value.message_dict
    with pytest.raises(ValidationError) as early:
        cs.court_extension_record(
            proceedings=p,
            weeks=2,
            granted_on=dt.date(2027, 3, 29),
            reasons="x",
            by=people.hos,
            today=dt.date(2027, 4, 20),
        )
    assert "granted_on" in early.value.message_dict  # before the issue date
    assert not CourtExtension.objects.exists()
    cs.court_extension_record(
        proceedings=p,
        weeks=8,
        granted_on=dt.date(2027, 4, 20),
        reasons="Expert",
        by=people.hos,
        today=dt.date(2027, 4, 20),
    )
    cs.court_extension_record(
        proceedings=p,
        weeks=1,
        granted_on=dt.date(2027, 9, 1),
        reasons="Relisted",
        by=people.hos,
        today=dt.date(2027, 9, 1),
    )
    # + 9 weeks: Mon 29 Nov 2027.
    assert due(p.episode, "final_hearing") == dt.date(2027, 11, 29)
    # The tracker's row counts the court's weeks with both extensions: week 23 of 35.
    today = dt.date(2027, 9, 1)
    row = tracker_rows(user=people.hos, today=today, calendar=calendar_current())[0]
    assert (row.episode_id, row.court_week, row.court_of_weeks) == (p.episode.pk, 23, 35)


def test_escalations_follow_the_policy(people, make_user, settings):
    """004: the AD is told of a second episode; 002 names no such escalation."""
    ad = make_user(Role.ASSISTANT_DIRECTOR)
    settings.PLO_POLICY = "st_helens"
    st_helens = start_pre_proceedings(family(people, reference="PLO-00901", previous_pre_proceedings=1), people)
    settings.PLO_POLICY = "gloucestershire"
    glos = start_pre_proceedings(family(people, reference="PLO-00902", previous_pre_proceedings=1), people)
    alert_scan(today=dt.date(2027, 1, 8))
    repeats = set(Alert.objects.filter(kind=AlertKind.REPEAT_EPISODE).values_list("episode_id", "recipient_id"))
    assert repeats == {(st_helens.pk, ad.pk)}
    assert glos.pk not in {e for e, _ in repeats}


def test_an_end_date_before_the_start_is_refused_and_nothing_closes(people):
    episode = start_pre_proceedings(family(people), people)
    with pytest.raises(ValidationError) as bad:
        cs.episode_end(
            episode=episode,
            expected_version=None,
            ended_on=dt.date(2027, 1, 6),  # the day before D
            end_outcome=EndOutcome.STEP_DOWN_CP,
            by=people.tm,
            today=dt.date(2027, 1, 20),
        )
    assert "ended_on" in bad.value.message_dict
    assert Deadline.objects.filter(episode=episode, state=DeadlineState.OPEN).exists()


def test_dates_out_of_order_are_refused_with_the_reason_not_a_crash(people):
    """Issue #10 §6: the engine refuses a review before the initial meeting; a service that hits
    it raises a ValidationError (shown in the error summary) and stores nothing."""
    from deadlines.services import deadlines_recompute
    from meetings.models import Meeting, MeetingKind

    episode = start_pre_proceedings(family(people), people)
    Meeting.objects.create(episode=episode, kind=MeetingKind.INITIAL, held_on=dt.date(2027, 2, 1))
    Meeting.objects.create(episode=episode, kind=MeetingKind.REVIEW, held_on=dt.date(2027, 1, 28))
    # Both dates, in people's words (issue 20 "Bad input").
    with pytest.raises(
        ValidationError, match=r"A review meeting \(28/01/2027\) cannot be before the initial meeting \(01/02/2027\)"
    ):
        deadlines_recompute(episode=episode, today=dt.date(2027, 2, 2))


def test_the_final_evidence_and_the_advocates_meeting_before_the_irh_are_recorded_after_issue(people, settings):
    """002 App. 3 weeks 15 and 19, recorded on the care proceedings: issued Tue 30 Mar 2027, so
    week 15 ends Mon 12 Jul 2027 (issue + 104 days) and week 19 Mon 9 Aug 2027 (issue + 132)."""
    p = issued(people, settings)
    episode = p.episode
    assert due(episode, "la_final_evidence") == dt.date(2027, 7, 12)
    assert due(episode, "irh_advocates_meeting") == dt.date(2027, 8, 9)
    # A date before the issue is refused beside its field, and nothing is saved.
    with pytest.raises(ValidationError) as refused:
        cs.proceedings_update(
            proceedings=p,
            expected_version=p.version,
            by=people.hos,
            today=dt.date(2027, 7, 14),
            final_evidence_filed_on=dt.date(2027, 3, 29),
        )
    assert "final_evidence_filed_on" in refused.value.message_dict
    p.refresh_from_db()
    assert p.final_evidence_filed_on is None
    # Filed two working days late (Tue 13, Wed 14 Jul): met late by 2.
    cs.proceedings_update(
        proceedings=p,
        expected_version=p.version,
        by=people.hos,
        today=dt.date(2027, 7, 14),
        final_evidence_filed_on=dt.date(2027, 7, 14),
    )
    row = Deadline.objects.get(episode=episode, key="la_final_evidence")
    assert (row.state, row.met_on, row.days_late) == (DeadlineState.MET_LATE, dt.date(2027, 7, 14), 2)


def test_an_issue_date_before_a_review_lpm_is_refused_beside_the_issue_date(client, people, settings):
    """Issue 20 "Bad input": the engine's refusal of two dates out of order is shown beside the date
    the person typed, not only in the summary. Issue decided Thu 11 Mar 2027; a review LPM recorded on
    Thu 18 Mar (written past the forms, as an old import or a data fix could); the issue date typed
    as Tue 16 Mar is before that review LPM, which cannot be held once proceedings are issued."""
    from html import unescape

    import time_machine
    from django.urls import reverse

    from meetings.models import LPM, LPMKind, LPMOutcome

    episode = issue_at_a_review(people, settings)
    review = dt.date(2027, 3, 18)
    LPM.objects.create(
        episode=episode, kind=LPMKind.REVIEW, panel_date=review, held_on=review, outcome=LPMOutcome.CONTINUE
    )
    proceedings = CareProceedings.objects.get(episode=episode)
    form = {
        "letter_of_issue_on_0": "", "letter_of_issue_on_1": "", "letter_of_issue_on_2": "",
        "swet_to_legal_on_0": "", "swet_to_legal_on_1": "", "swet_to_legal_on_2": "",
        "issued_on_0": "16", "issued_on_1": "3", "issued_on_2": "2027",
        "court_reference": "NB27C00016", "short_notice": "no", "parents_represented_at_issue": "yes",
        "short_notice_reason": "", "initial_care_plan": "A", "initial_plan_approved": "unknown",
        "final_care_plan": "", "final_plan_approved": "unknown", "version": proceedings.version,
    }  # fmt: skip
    with time_machine.travel(dt.datetime(2027, 3, 22, 10, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(people.hos)
        response = client.post(reverse("cases:proceedings", args=[episode.pk]), form)
    page = response.content.decode()
    message = "The review LPM (18/03/2027) cannot be after the issue of care proceedings (16/03/2027)"
    field = page.index('id="div_id_issued_on"')
    error_at = page.index('class="govuk-error-message"', field)
    assert message in unescape(page[error_at : error_at + 600]), unescape(page)[:3000]
    proceedings.refresh_from_db()
    assert proceedings.issued_on is None  # nothing saved
