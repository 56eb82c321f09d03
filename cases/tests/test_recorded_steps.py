"""Policy steps that are recorded as done, not only waived (issue 10 §5): the proposed agreement
sent to legal, the draft letter sent to legal the day before the LPM, and the exit letter; each
from its form on the case page, with met or met late by the right number of working days."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from cases import services as cs
from cases.models import Episode
from deadlines.models import Deadline, DeadlineState
from meetings import services as ms
from meetings.models import LPMOutcome, MeetingKind, Recommendation, RequestStatus

from . import test_case_screens as screens
from .test_case_screens import DOCS, _date, _text

staff, family = screens.staff, screens.family  # the case screens' fixtures: staff, and a family with a mother

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def listed(family, staff, panel: dt.date) -> Episode:
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2026, 12, 1),
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=DOCS,
        by=staff["tm"],
    )
    ms.lpm_request_decide(
        request=request, expected_version=None, status=RequestStatus.APPROVED, decided_on=dt.date(2026, 12, 3),
        by=staff["hos"],
    )  # fmt: skip
    ms.lpm_list(episode=request.episode, panel_date=panel, by=staff["clo"])
    return Episode.objects.get(pk=request.episode_id)


def hold(episode: Episode, staff, held_on: dt.date) -> Episode:
    lpm = episode.lpms.get()
    ms.lpm_record_outcome(
        lpm=lpm, expected_version=None, held_on=held_on, outcome=LPMOutcome.INITIATE, chair=staff["hos"],
        by=staff["hos"],
    )  # fmt: skip
    return Episode.objects.get(pk=episode.pk)


def deadline(episode: Episode, key: str) -> Deadline:
    return episode.deadlines.get(key=key, occurrence=1)


def row(html: str, label: str) -> str:
    found = re.search(rf"<tr[^>]*>\s*<td[^>]*>{re.escape(label)}</td>.*?</tr>", html, re.S)
    assert found is not None, label
    return _text_of(found.group(0))


def _text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def test_the_proposed_agreement_is_recorded_from_the_case_page_two_working_days_before_the_initial_meeting(
    client, staff, family
):
    episode = hold(listed(family, staff, dt.date(2026, 12, 17)), staff, dt.date(2026, 12, 17))
    cs.letter_deliver(episode=episode, person=family.people.get(), delivered_on=dt.date(2026, 12, 23), by=staff["sw"])
    client.force_login(staff["sw"])
    case_url = reverse("cases:family-detail", args=[family.pk])
    assert "Record the proposed agreement sent to legal" in _text(client.get(case_url))
    url = reverse("cases:proposed-agreement", args=[episode.pk])

    # Bad dates are refused beside the field, with what was typed kept.
    page = _text(client.post(url, {"sent_on_0": "31", "sent_on_1": "2", "sent_on_2": "2027"}))
    assert "There is a problem" in page and "Date sent to legal must be a real date" in page
    assert 'name="sent_on_0" value="31"' in page
    page = _text(client.post(url, _date("sent_on", dt.date(2027, 1, 21))))
    assert "Date sent to legal must be today or in the past" in page
    page = _text(client.post(url, _date("sent_on", dt.date(2026, 12, 16))))
    assert "Date sent to legal must be on or after the LPM decision (17/12/2026)" in page

    # Sent Thu 31 Dec 2026; the initial meeting is then held Mon 4 Jan 2027. Two working days before
    # it is Wed 30 Dec (Fri 1 Jan is New Year's Day), so the agreement went 1 working day late.
    response = client.post(url, _date("sent_on", dt.date(2026, 12, 31)), follow=True)
    assert "The date the proposed agreement was sent to legal has been recorded" in _text(response)
    ms.meeting_record(
        episode=episode, kind=MeetingKind.INITIAL, held_on=dt.date(2027, 1, 4), attendees="Dawn Ashworth",
        by=staff["tm"],
    )  # fmt: skip
    agreement = deadline(episode, "proposed_agreement_to_legal")
    assert (agreement.due_on, agreement.met_on) == (dt.date(2026, 12, 30), dt.date(2026, 12, 31))
    assert (agreement.state, agreement.days_late) == (DeadlineState.MET_LATE, 1)
    shown = row(client.get(case_url).content.decode(), "Proposed pre-proceedings agreement sent to legal")
    assert "30 Dec 2026" in shown and "31 Dec 2026 (1 working day late)" in shown and "Met late" in shown
    assert "Proposed pre-proceedings agreement sent to legal" in _text(client.get(case_url))  # on the timeline

    # Corrected to Wed 30 Dec: met on the day. After the meeting it is refused.
    client.post(url, _date("sent_on", dt.date(2026, 12, 30)))
    agreement.refresh_from_db()
    assert (agreement.state, agreement.days_late) == (DeadlineState.MET, 0)
    page = _text(client.post(url, _date("sent_on", dt.date(2027, 1, 5))))
    assert "Date sent to legal must be on or before the initial meeting (04/01/2027)" in page
    agreement.refresh_from_db()
    assert agreement.met_on == dt.date(2026, 12, 30)


def test_an_initial_meeting_before_the_proposed_agreement_was_sent_is_refused(staff, family):
    episode = hold(listed(family, staff, dt.date(2026, 12, 17)), staff, dt.date(2026, 12, 17))
    cs.letter_deliver(episode=episode, person=family.people.get(), delivered_on=dt.date(2026, 12, 23), by=staff["sw"])
    cs.proposed_agreement_record(episode=episode, sent_on=dt.date(2027, 1, 5), by=staff["sw"])
    with pytest.raises(Exception, match="proposed agreement was sent to legal for comment"):
        ms.meeting_record(
            episode=episode, kind=MeetingKind.INITIAL, held_on=dt.date(2027, 1, 4), attendees="Dawn Ashworth",
            by=staff["tm"],
        )  # fmt: skip


@pytest.mark.parametrize(
    ("sent", "state", "late"),
    [
        # Panel Tue 29 Dec 2026: the day before is Mon 28 Dec (Boxing Day's substitute), so the draft
        # is due Thu 24 Dec (Christmas Day on Fri 25). Sent Thu 24: met; Tue 29 (the LPM): 1 day late.
        (dt.date(2026, 12, 24), DeadlineState.MET, 0),
        (dt.date(2026, 12, 29), DeadlineState.MET_LATE, 1),
    ],
)
def test_the_draft_letter_goes_to_the_lawyer_the_day_before_the_lpm_and_is_recorded_before_it(
    client, staff, family, sent, state, late
):
    episode = listed(family, staff, dt.date(2026, 12, 29))
    client.force_login(staff["sw"])
    case_url = reverse("cases:family-detail", args=[family.pk])
    assert "Letter before proceedings" in _text(client.get(case_url))  # offered before the LPM
    response = client.post(
        reverse("cases:letter", args=[episode.pk]),
        {
            "version": episode.version,
            **_date("letter_drafted_on", dt.date(2026, 12, 23)),
            **_date("letter_to_legal_on", sent),
            **_date("letter_approved_on", None),
            **_date("letter_due_on", None),
        },
        follow=True,
    )
    assert "The letter&#x27;s dates have been saved" in response.content.decode() or "saved" in _text(response)
    episode = hold(episode, staff, dt.date(2026, 12, 29))
    draft = deadline(episode, "letter_to_legal")
    assert (draft.due_on, draft.met_on, draft.state, draft.days_late) == (dt.date(2026, 12, 24), sent, state, late)
    shown = row(client.get(case_url).content.decode(), "Draft letter before proceedings sent to the lawyer")
    assert ("Met late" in shown) == (state == DeadlineState.MET_LATE)
    assert ("1 working day late" in shown) == bool(late)


def test_a_draft_letter_before_the_lpm_request_is_refused(client, staff, family):
    episode = listed(family, staff, dt.date(2026, 12, 29))
    client.force_login(staff["sw"])
    page = _text(
        client.post(
            reverse("cases:letter", args=[episode.pk]),
            {
                "version": episode.version,
                **_date("letter_drafted_on", dt.date(2026, 11, 30)),
                **_date("letter_to_legal_on", dt.date(2026, 11, 30)),
                **_date("letter_approved_on", None),
                **_date("letter_due_on", None),
            },
        )
    )
    assert "Date drafted must be on or after the LPM request (01/12/2026)" in page


@pytest.mark.parametrize(
    ("given", "state", "late"), [(dt.date(2027, 1, 4), "met", 0), (dt.date(2027, 1, 5), "met_late", 1)]
)
def test_the_exit_letter_is_recorded_within_5_working_days_of_the_end(
    client, staff, family, settings, given, state, late
):
    settings.PLO_POLICY = "pre_action_flowchart"
    episode = hold(listed(family, staff, dt.date(2026, 12, 17)), staff, dt.date(2026, 12, 17))
    # Stepped down on Wed 23 Dec 2026 with no final meeting: 5 working days on is Mon 4 Jan 2027
    # (Christmas, Boxing Day's substitute on Mon 28 Dec and New Year's Day skipped).
    cs.episode_end(
        episode=episode, expected_version=None, ended_on=dt.date(2026, 12, 23), end_outcome="step_down_cin",
        by=staff["tm"],
    )  # fmt: skip
    client.force_login(staff["tm"])
    response = client.post(reverse("cases:exit-letter", args=[episode.pk]), _date("exit_letter_on", given), follow=True)
    assert "The exit letter has been recorded" in _text(response)
    letter = deadline(episode, "exit_letter")
    assert (letter.due_on, letter.met_on, letter.state, letter.days_late) == (dt.date(2027, 1, 4), given, state, late)
    shown = row(response.content.decode(), "Reflective exit letter given to the family")
    assert "Mon 4 Jan 2027" in shown or "4 Jan 2027" in shown


def test_the_signed_agreement_is_recorded_from_the_case_page_within_a_week_of_the_review_meeting(client, staff, family):
    """002 App. 2 week 8: the signed agreement is attached within a week of the review meeting."""
    episode = hold(listed(family, staff, dt.date(2026, 12, 17)), staff, dt.date(2026, 12, 17))
    cs.letter_deliver(episode=episode, person=family.people.get(), delivered_on=dt.date(2026, 12, 23), by=staff["sw"])
    for kind, held_on in ((MeetingKind.INITIAL, dt.date(2027, 1, 4)), (MeetingKind.REVIEW, dt.date(2027, 1, 11))):
        ms.meeting_record(episode=episode, kind=kind, held_on=held_on, attendees="Dawn Ashworth", by=staff["tm"])
    client.force_login(staff["sw"])
    case_url = reverse("cases:family-detail", args=[family.pk])
    assert "Record the signed agreement" in _text(client.get(case_url))
    assert deadline(episode, "signed_agreement").due_on == dt.date(2027, 1, 18)  # Mon 11 Jan + 7 days
    url = reverse("cases:signed-agreement", args=[episode.pk])

    # Before the review meeting it follows: refused beside the field, and the final one needs its meeting.
    page = _text(client.post(url, _date("agreement_signed_on", dt.date(2027, 1, 8))))
    assert "There is a problem" in page and "Date attached must be on or after the review meeting (11/01/2027)" in page
    page = _text(client.post(url, _date("final_agreement_signed_on", dt.date(2027, 1, 12))))
    assert "Record the final meeting first: the signed agreement follows it" in page
    assert deadline(episode, "signed_agreement").met_on is None

    # Attached Tue 19 Jan 2027: one working day late.
    response = client.post(url, _date("agreement_signed_on", dt.date(2027, 1, 19)), follow=True)
    assert "The signed agreement has been recorded" in _text(response)
    signed = deadline(episode, "signed_agreement")
    assert (signed.state, signed.met_on, signed.days_late) == (DeadlineState.MET_LATE, dt.date(2027, 1, 19), 1)
