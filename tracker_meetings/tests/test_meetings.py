"""Tracker meetings and panels: the agenda comes from the tracker, actions are deadlines that alert
and carry over, and the minutes keep legal advice from people who may not read it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.roles import Role
from deadlines.alerts import alert_scan
from deadlines.models import Alert, AlertKind, DeadlineState
from deadlines.selectors.tracker import tracker_rows
from deadlines.services import calendar_current, deadlines_recompute
from deadlines.tests.test_scenarios import DOCS, family, staff, start_pre_proceedings
from meetings import services as ms
from meetings.models import Recommendation, RequestStatus
from tracker_meetings import services
from tracker_meetings.models import AgendaReason, MeetingAction, TrackerMeetingKind

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")

MONDAY = dt.date(2027, 1, 18)  # the letter (due 14 Jan) is overdue: the Ashworths are red
PANEL_DAY = dt.date(2027, 1, 20)  # a Wednesday


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


@pytest.fixture
def clo(make_user):
    return make_user(Role.COURT_LIAISON_OFFICER, first_name="Cleo", last_name="Liaison")


@pytest.fixture
def red_case(people):
    fam = family(people, name="Ashworth family", reference="PLO-RED")
    return start_pre_proceedings(fam, people)


@pytest.fixture
def listed_case(people):
    """A new request listed for the panel on PANEL_DAY, papers not yet sent."""
    fam = family(people, name="Brook family", reference="PLO-NEW", children=(("Ben", "Brook"),))
    docs = dict(DOCS)
    docs["genogram"] = ("missing", "")
    request = ms.lpm_request_create(
        family=fam,
        requested_on=MONDAY - dt.timedelta(days=7),
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=docs,
        by=people.tm,
        today=MONDAY,
    )
    ms.lpm_request_decide(
        request=request,
        expected_version=request.version,
        status=RequestStatus.APPROVED,
        decided_on=MONDAY - dt.timedelta(days=5),
        by=people.hos,
        today=MONDAY,
    )
    ms.lpm_list(episode=request.episode, panel_date=PANEL_DAY, by=people.tm, today=MONDAY)
    return request.episode


def prepare(kind, day, by, today=MONDAY):
    return services.tracker_meeting_prepare(
        kind=kind, meets_on=day, starts_at=None, by=by, today=today, calendar=calendar_current()
    )


def test_panel_agenda_lists_new_requests_with_slots_and_papers_then_the_tracker(red_case, listed_case, clo):
    meeting = prepare(TrackerMeetingKind.PANEL, PANEL_DAY, clo)
    items = list(meeting.items.select_related("episode__family").order_by("position"))
    assert [i.episode.family.reference for i in items] == ["PLO-NEW", "PLO-RED"]
    new, red = items
    assert new.reasons[0] == AgendaReason.NEW_REQUEST
    assert new.slot_at == dt.time(13, 0)
    assert new.papers == "missing"
    assert "Genogram" in new.papers_missing
    assert AgendaReason.RED in red.reasons and red.slot_at is None
    # Papers are due by Monday 12:00 of the panel's week (004 §7).
    assert meeting.papers_due_at.astimezone(LONDON) == dt.datetime(2027, 1, 18, 12, 0, tzinfo=LONDON)


def test_panel_papers_due_the_working_day_before_a_bank_holiday_monday(clo):
    # Easter Monday 29 Mar 2027: papers for Wednesday 31 Mar are due on Thursday 25 Mar (Good Friday is a holiday).
    meeting = prepare(TrackerMeetingKind.PANEL, dt.date(2027, 3, 31), clo, today=dt.date(2027, 3, 22))
    assert meeting.papers_due_at.astimezone(LONDON).date() == dt.date(2027, 3, 25)


def test_setting_up_refuses_a_past_date_a_closed_day_and_a_second_meeting(clo, red_case):
    with pytest.raises(ValidationError) as past:
        prepare(TrackerMeetingKind.WEEKLY, MONDAY - dt.timedelta(days=1), clo)
    assert "today or in the future" in str(past.value.message_dict["meets_on"])
    with pytest.raises(ValidationError) as weekend:
        prepare(TrackerMeetingKind.WEEKLY, dt.date(2027, 1, 23), clo)
    assert "23 Jan 2027 is a Saturday: choose a working day" in str(weekend.value.message_dict["meets_on"])
    prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo)
    with pytest.raises(ValidationError) as twice:
        prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo)
    assert "already set up" in str(twice.value.message_dict["meets_on"])


def test_an_action_is_a_deadline_that_alerts_its_owner_and_carries_over_until_done(red_case, people, clo):
    weekly = prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo)
    item = weekly.items.get(episode=red_case)
    # Owned by the head of service, who is not the family's social worker or team manager.
    action = services.meeting_action_add(
        item=item, description="Send the letter to legal", owner=people.hos, due_on=dt.date(2027, 1, 20), by=clo
    )
    deadline = action.deadline
    assert deadline is not None
    assert deadline.due_on == dt.date(2027, 1, 20) and deadline.state == DeadlineState.OPEN
    # A recompute of the episode (any step recorded) leaves the action alone.
    deadlines_recompute(episode=red_case, today=MONDAY)
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.OPEN and deadline.label == "Action: Send the letter to legal"

    # The day after it falls due, the 07:00 scan raises an overdue alert to its owner.
    alert_scan(today=dt.date(2027, 1, 21))
    assert Alert.objects.filter(deadline=deadline, kind=AlertKind.OVERDUE, recipient=people.hos).exists()
    assert not Alert.objects.filter(deadline=deadline, recipient=people.sw).exists()

    # The next week's meeting carries it over.
    nxt = prepare(TrackerMeetingKind.WEEKLY, dt.date(2027, 1, 25), clo, today=dt.date(2027, 1, 21))
    assert AgendaReason.ACTIONS in nxt.items.get(episode=red_case).reasons

    services.meeting_action_complete(
        action=action,
        completed_on=dt.date(2027, 1, 22),
        by=people.hos,
        today=dt.date(2027, 1, 22),
        calendar=calendar_current(),
    )
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.MET_LATE and deadline.days_late == 2
    later = prepare(TrackerMeetingKind.WEEKLY, dt.date(2027, 2, 1), clo, today=dt.date(2027, 1, 28))
    assert AgendaReason.ACTIONS not in later.items.get(episode=red_case).reasons


def test_an_action_needs_an_owner_who_can_see_the_case_and_a_date_on_or_after_the_meeting(red_case, clo, make_user):
    from accounts.tests.factories import TeamFactory

    item = prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo).items.get(episode=red_case)
    outsider = make_user(Role.SOCIAL_WORKER, team=TeamFactory(name="Another team"))
    with pytest.raises(ValidationError) as exc:
        services.meeting_action_add(
            item=item, description="  ", owner=outsider, due_on=MONDAY - dt.timedelta(days=1), by=clo
        )
    errors = exc.value.message_dict
    assert errors["description"] == ["Enter what needs to be done"]
    assert "cannot see it" in errors["owner"][0]
    assert "on or after the meeting" in errors["due_on"][0]
    assert not MeetingAction.objects.exists()


def test_review_date_brings_the_case_back_when_it_falls_due(people, clo, make_user):
    fam = family(people, name="Green family", reference="PLO-GREEN")
    episode = start_pre_proceedings(fam, people, decision=dt.date(2027, 1, 14), today=MONDAY)
    weekly = prepare(TrackerMeetingKind.COURT, MONDAY, clo)
    item = weekly.items.get(episode=episode)
    assert item.reasons == [AgendaReason.LEGAL_FRAMEWORK] or AgendaReason.LEGAL_FRAMEWORK in item.reasons
    with pytest.raises(ValidationError) as exc:
        services.agenda_item_record(
            item=item, expected_version=item.version, note="", decisions="", review_on=MONDAY, legal_advice=None, by=clo
        )
    assert "after the meeting" in exc.value.message_dict["review_on"][0]
    services.agenda_item_record(
        item=item,
        expected_version=item.version,
        note="Progressing",
        decisions="Review in two weeks",
        review_on=dt.date(2027, 2, 1),
        legal_advice=None,
        by=clo,
    )
    nxt = prepare(TrackerMeetingKind.WEEKLY, dt.date(2027, 2, 1), clo, today=dt.date(2027, 1, 28))
    assert AgendaReason.REVIEW_DUE in nxt.items.get(episode=episode).reasons


def test_minutes_show_legal_advice_to_legal_staff_only(client, red_case, people, clo, make_user):
    legal = make_user(Role.LEGAL_ADVISER)
    meeting = prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo)
    item = meeting.items.get(episode=red_case)
    item = services.agenda_item_record(
        item=item,
        expected_version=item.version,
        note="Letter late",
        decisions="Escalate to the head of service",
        review_on=None,
        legal_advice=None,
        by=clo,
    )
    services.agenda_item_record(
        item=item,
        expected_version=item.version,
        note=item.note,
        decisions=item.decisions,
        review_on=None,
        legal_advice="Threshold is met on the evidence of neglect",
        by=legal,
    )
    url = reverse("tracker_meetings:minutes", args=[meeting.pk])
    client.force_login(legal)
    assert "Threshold is met" in client.get(url).content.decode()
    client.force_login(clo)
    body = client.get(url).content.decode()
    assert "Letter late" in body and "Escalate to the head of service" in body
    assert "Threshold is met" not in body
    assert "not included in this copy" in body
    client.force_login(clo)
    body = client.get(reverse("tracker_meetings:detail", args=[meeting.pk])).content.decode()
    assert "Threshold is met" not in body


def test_only_legal_staff_may_record_legal_advice(red_case, clo):
    item = prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo).items.get(episode=red_case)
    with pytest.raises(ValidationError) as exc:
        services.agenda_item_record(
            item=item, expected_version=item.version, note="", decisions="", review_on=None, legal_advice="x", by=clo
        )
    assert exc.value.message_dict["legal_advice"] == ["Only legal staff can record legal advice"]


def test_a_legal_adviser_records_only_the_legal_advice_at_a_meeting(client, red_case, clo, make_user):
    """Issue 9: the legal adviser writes legal advice only: not a case's notes, decisions or actions."""
    legal = make_user(Role.LEGAL_ADVISER)
    meeting = prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo)
    item = meeting.items.get(episode=red_case)
    with pytest.raises(PermissionDenied):
        services.agenda_item_record(
            item=item,
            expected_version=item.version,
            note="Mine",
            decisions="",
            review_on=None,
            legal_advice="x",
            by=legal,
        )
    client.force_login(legal)
    detail = client.get(reverse("tracker_meetings:detail", args=[meeting.pk])).content.decode()
    assert "Record the legal advice" in detail
    assert "Record notes and decisions" not in detail and "Add an action" not in detail
    url = reverse("tracker_meetings:item", args=[item.pk])
    page = client.get(url).content.decode()
    assert 'name="legal_advice"' in page and 'name="note"' not in page and 'name="decisions"' not in page
    response = client.post(url, {"version": item.version, "legal_advice": "Threshold is met", "note": "Ignored"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.legal_advice, item.note, item.recorded_by) == ("Threshold is met", "", legal)
    assert client.get(reverse("tracker_meetings:action-add", args=[item.pk])).status_code == 403
    assert client.get(reverse("tracker_meetings:held", args=[meeting.pk])).status_code == 403


def test_the_action_makes_the_case_red_on_the_tracker_once_overdue(red_case, people, clo):
    # Deliver nothing else: the case is red already; a second case shows only the action.
    fam = family(people, name="Green family", reference="PLO-GREEN")
    episode = start_pre_proceedings(fam, people, decision=dt.date(2027, 1, 14), today=MONDAY)
    meeting = prepare(TrackerMeetingKind.COURT, MONDAY, clo)

    def row():
        rows = tracker_rows(user=clo, today=dt.date(2027, 1, 19), calendar=calendar_current())
        return next(r for r in rows if r.episode_id == episode.pk)

    before = row().overdue_count
    services.meeting_action_add(
        item=meeting.items.get(episode=episode), description="Book the review", owner=people.sw, due_on=MONDAY, by=clo
    )
    after = row()
    assert after.overdue_count == before + 1 and after.rag == "red"


def test_restricted_case_is_left_off_the_agenda_for_people_not_named(people, clo, client):
    fam = family(people, name="Secret family", reference="PLO-SECRET", restricted=True)
    episode = start_pre_proceedings(fam, people)
    hos = people.hos
    fam.restricted_to.add(hos)
    meeting = prepare(TrackerMeetingKind.WEEKLY, MONDAY, hos)
    assert meeting.items.filter(episode=episode).exists()
    client.force_login(clo)
    body = client.get(reverse("tracker_meetings:detail", args=[meeting.pk])).content.decode()
    assert "Secret family" not in body and "restricted and not shown to you" in body
    item = meeting.items.get(episode=episode)
    assert client.get(reverse("tracker_meetings:item", args=[item.pk])).status_code == 404


def test_meeting_pages_take_a_fixed_number_of_queries(red_case, people, clo, client, django_assert_max_num_queries):
    for i in range(3):
        fam = family(people, name=f"Extra {i} family", reference=f"PLO-X{i}")
        start_pre_proceedings(fam, people)
    meeting = prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo)
    for item in meeting.items.all():
        services.meeting_action_add(item=item, description="Chase", owner=people.tm, due_on=MONDAY, by=clo)
    assert meeting.items.count() == 4
    with time_machine.travel(dt.datetime(2027, 1, 18, 9, tzinfo=LONDON), tick=False):
        client.force_login(clo)
        with django_assert_max_num_queries(24):
            assert client.get(reverse("tracker_meetings:detail", args=[meeting.pk])).status_code == 200
        with django_assert_max_num_queries(24):
            assert client.get(reverse("tracker_meetings:minutes", args=[meeting.pk])).status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get(reverse("tracker_meetings:list")).status_code == 200


def test_notes_recorded_in_the_browser_are_in_the_audit_trail(client, red_case, clo, make_user):
    meeting = prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo)
    item = meeting.items.get(episode=red_case)
    client.force_login(clo)
    response = client.post(
        reverse("tracker_meetings:item", args=[item.pk]),
        {
            "note": "Letter late",
            "decisions": "Chase legal",
            "review_on_0": "",
            "review_on_1": "",
            "review_on_2": "",
            "version": item.version,
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.note, item.decisions, item.recorded_by) == ("Letter late", "Chase legal", clo)
    # A head of service reads the notes in the audit trail; an administrator sees who and when, not what.
    client.force_login(make_user(Role.HEAD_OF_SERVICE))
    html = client.get(reverse("audit-history"), {"record": "agenda-item", "record_id": item.pk}).content.decode()
    assert f"({clo.username})" in html and f"POST /tracker-meetings/items/{item.pk}/" in html and "Letter late" in html
    client.force_login(make_user(Role.ADMINISTRATOR))
    html = client.get(reverse("audit-history"), {"record": "agenda-item", "record_id": item.pk}).content.decode()
    assert f"({clo.username})" in html and "Letter late" not in html


def test_a_stale_copy_of_the_notes_is_refused_and_shows_what_changed(client, red_case, clo):
    item = prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo).items.get(episode=red_case)
    opened = item.version
    services.agenda_item_record(
        item=item, expected_version=opened, note="First", decisions="", review_on=None, legal_advice=None, by=clo
    )
    client.force_login(clo)
    response = client.post(
        reverse("tracker_meetings:item", args=[item.pk]),
        {"note": "Second", "decisions": "", "review_on_0": "", "review_on_1": "", "review_on_2": "", "version": opened},
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="stale-edit"' in body and "First" in body and "Second" in body
    item.refresh_from_db()
    assert item.note == "First"


def test_the_agenda_lists_a_case_predicted_to_overrun_by_the_escalations_forecast(people, clo, red_case, client):
    """Issue 20 §8: a case escalated to the assistant director for a predicted overrun (here an
    assessment due after the end of pre-proceedings, in week 7 of 16) is on the weekly agenda for
    that reason, from the same forecast as the escalation; a case on track is not."""
    from cases import services as cs
    from deadlines.forecast import overrun_forecasts
    from deadlines.screens import episodes_visible

    fam = family(people, name="Overrun family", reference="PLO-OVER")
    episode = start_pre_proceedings(fam, people, decision=dt.date(2026, 12, 4))
    cs.assessment_create(
        episode=episode, kind="psychological", provider="Dr Expert", instructed_on=dt.date(2027, 1, 15),
        due_on=dt.date(2027, 4, 15), by=people.sw, today=dt.date(2027, 1, 15),
    )  # fmt: skip
    assert Alert.objects.filter(episode=episode, kind=AlertKind.OVERRUN).exists()  # escalated
    assert set(overrun_forecasts(episodes_visible(clo), today=MONDAY)) == {episode.pk}
    row = next(
        r for r in tracker_rows(user=clo, today=MONDAY, calendar=calendar_current()) if r.episode_id == episode.pk
    )
    assert not row.past_standard  # the old agenda rule ("past the standard length") missed it

    meeting = prepare(TrackerMeetingKind.WEEKLY, MONDAY, clo)
    reasons = {i.episode_id: i.reasons for i in meeting.items.all()}
    assert AgendaReason.OVERRUN in reasons[episode.pk]
    assert AgendaReason.OVERRUN not in reasons[red_case.pk]
    with time_machine.travel(dt.datetime(2027, 1, 18, 9, tzinfo=LONDON), tick=False):
        client.force_login(clo)
        body = client.get(reverse("tracker_meetings:detail", args=[meeting.pk])).content.decode()
    assert "Predicted to overrun (escalated to the assistant director)" in body
