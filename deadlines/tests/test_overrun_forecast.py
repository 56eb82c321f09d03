"""004 "Timescale for Pre-Proceedings": an episode predicted to run past its agreed length is
escalated to the assistant director (and, in the standard policy, the head of service), from the
current forecast: every change of date raises the alert, or clears it, at once (issue 10 §5)."""

from __future__ import annotations

import datetime as dt
import html
import re
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from accounts.roles import Role
from cases import services as cs
from cases.models import EndOutcome, Episode
from deadlines.alerts import alert_scan
from deadlines.forecast import Overrun, episode_overrun_forecast, overrun_forecasts
from deadlines.models import Alert, AlertKind, Deadline
from deadlines.services import deadline_waive, deadlines_recompute_open
from meetings import services as ms
from meetings.models import MeetingKind

from .test_scenarios import deliver_letter, family, hold_initial_meeting, staff, start_pre_proceedings

pytestmark = pytest.mark.django_db

# LPM Fri 4 Dec 2026: 16 weeks on is Good Friday, Fri 26 Mar 2027, so pre-proceedings are due to end
# Thu 25 Mar 2027; with 4 weeks' extension, Fri 23 Apr 2027.
D = dt.date(2026, 12, 4)
END = dt.date(2027, 3, 25)
EXTENDED_END = dt.date(2027, 4, 23)


@pytest.fixture
def people(make_user, team):
    return staff(make_user, team)


@pytest.fixture
def ad(make_user):
    return make_user(Role.ASSISTANT_DIRECTOR, first_name="Ada", last_name="Director")


def overruns(episode) -> set[tuple[int, dt.date | None]]:
    return set(Alert.objects.filter(episode=episode, kind=AlertKind.OVERRUN).values_list("recipient_id", "due_on"))


def test_an_extension_and_a_rebooked_review_meeting_raise_and_clear_the_escalation(client, people, ad):
    episode = start_pre_proceedings(family(people), people, decision=D)
    seniors = {people.hos.pk, ad.pk}
    assert overruns(episode) == set()

    # An assessment due after the end: predicted to run over, escalated on the day it is recorded.
    cs.assessment_create(
        episode=episode, kind="psychological", provider="Dr Expert", instructed_on=dt.date(2027, 1, 20),
        due_on=dt.date(2027, 4, 15), by=people.sw, today=dt.date(2027, 1, 20),
    )  # fmt: skip
    assert overruns(episode) == {(r, END) for r in seniors}
    client.force_login(people.tm)
    page = client.get(reverse("cases:family-detail", args=[episode.family_id])).content.decode()
    assert "Predicted to run past the agreed end of pre-proceedings (25 Mar 2027)" in page
    assert "The psychological assessment is due on Thu 15 Apr 2027, after the end on Thu 25 Mar 2027" in page

    # The head of service agrees 4 weeks: the end moves to Fri 23 Apr, the assessment fits, cleared.
    cs.extension_agree(
        episode=episode, weeks=4, agreed_on=dt.date(2027, 2, 1), rationale="Psychological assessment",
        by=people.hos, today=dt.date(2027, 2, 1),
    )  # fmt: skip
    assert overruns(episode) == set()
    page = client.get(reverse("cases:family-detail", args=[episode.family_id])).content.decode()
    assert "Predicted to run past" not in page

    # A review meeting booked for Tue 27 Apr, after the extended end: raised again, for the new end.
    meeting = ms.meeting_record(
        episode=episode, kind=MeetingKind.REVIEW, scheduled_for=dt.date(2027, 4, 27), by=people.tm,
        today=dt.date(2027, 2, 2),
    )  # fmt: skip
    assert overruns(episode) == {(r, EXTENDED_END) for r in seniors}
    # Moved to Tue 20 Apr, inside the 20 weeks: cleared.
    ms.meeting_update(
        meeting=meeting, expected_version=None, by=people.tm, today=dt.date(2027, 2, 3),
        scheduled_for=dt.date(2027, 4, 20),
    )  # fmt: skip
    assert overruns(episode) == set()
    # The daily scan raises no overrun of its own from an old forecast.
    alert_scan(today=dt.date(2027, 2, 3))
    assert overruns(episode) == set()


def test_an_overdue_final_meeting_raises_it_and_an_acknowledged_alert_stays(people, ad):
    episode = start_pre_proceedings(family(people), people, decision=D)
    deadlines_recompute_open(today=dt.date(2027, 3, 18))  # the final meeting is due Fri 19 Mar (week 15)
    assert overruns(episode) == set()
    deadlines_recompute_open(today=dt.date(2027, 3, 22))  # Mon 22 Mar: not held, so the end will be missed
    assert overruns(episode) == {(people.hos.pk, END), (ad.pk, END)}
    alert = Alert.objects.get(episode=episode, kind=AlertKind.OVERRUN, recipient=ad)
    assert alert.raised_on == dt.date(2027, 3, 22)
    Alert.objects.filter(pk=alert.pk).update(acknowledged_at=dt.datetime(2027, 3, 23, 9, 0, tzinfo=dt.UTC))
    # 4 weeks agreed on Tue 23 Mar: the final meeting moves to Fri 16 Apr, the end to Fri 23 Apr.
    cs.extension_agree(
        episode=episode, weeks=4, agreed_on=dt.date(2027, 3, 23), rationale="Final assessment delayed",
        by=people.hos, today=dt.date(2027, 3, 23),
    )  # fmt: skip
    # The head of service's unread alert is cleared; the one the director acknowledged is kept.
    assert overruns(episode) == {(ad.pk, END)}
    alert_scan(today=dt.date(2027, 3, 24))
    assert overruns(episode) == {(ad.pk, END)}


def test_under_gloucestershire_only_the_head_of_service_is_told(people, ad, settings):
    settings.PLO_POLICY = "gloucestershire"  # 002 App. 2 week 12: the head of service agrees any extension
    episode = start_pre_proceedings(family(people), people, decision=D)
    deadlines_recompute_open(today=dt.date(2027, 3, 26))  # Good Friday: the 16 weeks ended on Thu 25 Mar
    assert overruns(episode) == {(people.hos.pk, END)}
    forecast = episode_overrun_forecast(episode, deadlines=list(episode.deadlines.all()), today=dt.date(2027, 3, 26))
    assert forecast is not None and forecast.reasons == (
        "The agreed length ended on Thu 25 Mar 2027",
        "The final meeting was due on Fri 19 Mar 2027 and has not been held",
    )


# -- many episodes at once ---------------------------------------------------------------------
# The senior managers' home pages forecast many episodes at once (``overrun_forecasts``): each
# episode's forecast must be the one its own page shows (``episode_overrun_forecast``); mutation
# testing found this untested (docs/testing.md, "Mutation testing").
LATE = dt.date(2027, 4, 15)  # after the end


@pytest.fixture
def episodes(people):

    def start(name: str) -> Episode:
        return start_pre_proceedings(family(people, name=name), people, decision=D)

    on_track = start("Ashworth family")
    late_assessment = start("Brook family")
    cs.assessment_create(
        episode=late_assessment, kind="psychological", provider="Dr Expert", instructed_on=dt.date(2027, 1, 20),
        due_on=LATE, by=people.sw, today=dt.date(2027, 1, 20),
    )  # fmt: skip
    done_assessment = start("Carter family")
    assessment = cs.assessment_create(
        episode=done_assessment, kind="psychological", provider="Dr Expert", instructed_on=dt.date(2027, 1, 20),
        due_on=LATE, by=people.sw, today=dt.date(2027, 1, 20),
    )  # fmt: skip
    cs.assessment_update(
        assessment=assessment, expected_version=None, completed_on=dt.date(2027, 2, 1), by=people.sw,
        today=dt.date(2027, 2, 1),
    )  # fmt: skip
    late_meeting = start("Dale family")
    ms.meeting_record(
        episode=late_meeting, kind=MeetingKind.REVIEW, scheduled_for=dt.date(2027, 4, 27), by=people.tm,
        today=dt.date(2027, 2, 2),
    )  # fmt: skip
    return {"on_track": on_track, "assessment": late_assessment, "done": done_assessment, "meeting": late_meeting}


def one_by_one(episodes: dict[str, Episode], today: dt.date) -> dict[int, Overrun]:
    out = {}
    for episode in episodes.values():
        deadlines = list(Deadline.objects.filter(episode=episode))
        forecast = episode_overrun_forecast(episode, deadlines=deadlines, today=today)
        if forecast is not None:
            out[episode.pk] = forecast
    return out


def test_only_the_episodes_predicted_to_overrun_are_forecast_with_their_reasons(episodes):
    forecasts = overrun_forecasts(
        Episode.objects.filter(pk__in=[e.pk for e in episodes.values()]), today=dt.date(2027, 2, 3)
    )
    assert forecasts == {
        episodes["assessment"].pk: Overrun(
            END, ("The psychological assessment is due on Thu 15 Apr 2027, after the end on Thu 25 Mar 2027",)
        ),
        episodes["meeting"].pk: Overrun(
            END, ("The pre-proceedings review meeting is booked for Tue 27 Apr 2027, after the end on Thu 25 Mar 2027",)
        ),
    }
    assert forecasts == one_by_one(episodes, dt.date(2027, 2, 3))


@pytest.mark.parametrize("today", [dt.date(2027, 3, 25), dt.date(2027, 3, 26), dt.date(2027, 5, 3)])
def test_many_at_once_is_each_episodes_own_forecast_on_any_day(episodes, today):
    everyone = Episode.objects.filter(pk__in=[e.pk for e in episodes.values()])
    assert overrun_forecasts(everyone, today=today) == one_by_one(episodes, today)


def test_an_ended_episode_or_none_at_all_is_not_forecast(episodes):
    assert overrun_forecasts(Episode.objects.none(), today=dt.date(2027, 5, 3)) == {}
    Episode.objects.filter(pk=episodes["assessment"].pk).update(
        ended_on=dt.date(2027, 2, 3), end_outcome=EndOutcome.NFA
    )
    everyone = Episode.objects.filter(pk__in=[e.pk for e in episodes.values()])
    assert set(overrun_forecasts(everyone, today=dt.date(2027, 2, 3))) == {episodes["meeting"].pk}


def test_an_end_passed_with_nothing_else_outstanding_is_forecast_on_its_own(episodes):
    """The end of pre-proceedings has passed and is not met, with the final meeting held and no
    assessment or meeting outstanding: the passed end alone is the reason, on the many-at-once
    read as on the episode's own page."""
    from deadlines.models import DeadlineState

    on_track = episodes["on_track"]
    Deadline.objects.filter(episode=on_track, key="final_meeting").update(
        state=DeadlineState.MET, met_on=dt.date(2027, 3, 10)
    )
    today = dt.date(2027, 3, 26)
    forecasts = overrun_forecasts(Episode.objects.filter(pk=on_track.pk), today=today)
    assert forecasts == {on_track.pk: Overrun(END, ("The agreed length ended on Thu 25 Mar 2027",))}
    assert forecasts == one_by_one({"on_track": on_track}, today)


# -- what the team and the seniors see, day by day ---------------------------------------------
# The family page lists the forecast's reasons (data-testid="overrun-reasons"); the seniors are
# told by an alert in their inbox. Mutation testing found the boundary days, the order of the
# reasons and the alert's deadline untested (docs/testing.md, "Mutation testing").
LONDON = ZoneInfo("Europe/London")
FINAL = dt.date(2027, 3, 19)  # Fri, week 15: the final meeting is due


def reasons_on_page(client, user, episode: Episode, on: dt.date) -> list[str]:
    """The reasons the family page gives on `on` for predicting an overrun; [] if it predicts none."""
    with time_machine.travel(dt.datetime.combine(on, dt.time(9), tzinfo=LONDON), tick=False):
        client.force_login(user)
        response = client.get(reverse("cases:family-detail", args=[episode.family_id]))
    assert response.status_code == 200
    page = response.content.decode()
    found = re.search(r'data-testid="overrun-reasons">(.*?)</ul>', page, re.S)
    if found is None:
        assert "Predicted to run past" not in page
        return []
    return [html.unescape(r) for r in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def hold_final_meeting(episode: Episode, people, *, on: dt.date) -> None:
    """Letter delivered, initial meeting held, and the final meeting held on `on`."""
    deliver_letter(episode, people, on=dt.date(2026, 12, 8))
    hold_initial_meeting(episode, people, on=dt.date(2026, 12, 15))
    ms.meeting_record(episode=episode, kind=MeetingKind.FINAL, held_on=on, by=people.tm, today=on)


def psychological(episode: Episode, people, *, due_on: dt.date, today: dt.date = dt.date(2027, 1, 20)):
    return cs.assessment_create(
        episode=episode, kind="psychological", provider="Dr Expert", instructed_on=dt.date(2027, 1, 20),
        due_on=due_on, by=people.sw, today=today,
    )  # fmt: skip


def test_the_last_day_of_the_agreed_length_is_not_yet_an_overrun_the_day_after_is(client, people, ad):
    episode = start_pre_proceedings(family(people), people, decision=D)
    hold_final_meeting(episode, people, on=dt.date(2027, 3, 18))
    deadlines_recompute_open(today=END)  # Thu 25 Mar: the last day of the 16 weeks
    assert overruns(episode) == set()
    assert reasons_on_page(client, people.tm, episode, END) == []
    deadlines_recompute_open(today=dt.date(2027, 3, 26))
    assert overruns(episode) == {(people.hos.pk, END), (ad.pk, END)}
    assert reasons_on_page(client, people.tm, episode, dt.date(2027, 3, 26)) == [
        "The agreed length ended on Thu 25 Mar 2027"
    ]


def test_a_final_meeting_due_today_is_not_yet_overdue_the_day_after_it_is(client, people, ad):
    episode = start_pre_proceedings(family(people), people, decision=D)
    deadlines_recompute_open(today=FINAL)
    assert overruns(episode) == set()
    assert reasons_on_page(client, people.tm, episode, FINAL) == []
    deadlines_recompute_open(today=dt.date(2027, 3, 20))
    assert overruns(episode) == {(people.hos.pk, END), (ad.pk, END)}
    assert reasons_on_page(client, people.tm, episode, dt.date(2027, 3, 20)) == [
        "The final meeting was due on Fri 19 Mar 2027 and has not been held"
    ]


def test_an_assessment_due_on_the_last_day_fits_one_due_the_day_after_does_not(client, people, ad):
    episode = start_pre_proceedings(family(people), people, decision=D)
    assessment = psychological(episode, people, due_on=END)
    assert overruns(episode) == set()
    assert reasons_on_page(client, people.tm, episode, dt.date(2027, 2, 1)) == []
    cs.assessment_update(
        assessment=assessment, expected_version=None, due_on=dt.date(2027, 3, 26), by=people.sw,
        today=dt.date(2027, 2, 1),
    )  # fmt: skip
    assert overruns(episode) == {(people.hos.pk, END), (ad.pk, END)}
    assert reasons_on_page(client, people.tm, episode, dt.date(2027, 2, 1)) == [
        "The psychological assessment is due on Fri 26 Mar 2027, after the end on Thu 25 Mar 2027"
    ]


def test_a_meeting_booked_for_the_last_day_fits_one_booked_after_it_does_not(client, people, ad):
    episode = start_pre_proceedings(family(people), people, decision=D)
    meeting = ms.meeting_record(
        episode=episode, kind=MeetingKind.REVIEW, scheduled_for=END, by=people.tm, today=dt.date(2027, 2, 1)
    )
    assert overruns(episode) == set()
    assert reasons_on_page(client, people.tm, episode, dt.date(2027, 2, 1)) == []
    ms.meeting_update(
        meeting=meeting, expected_version=None, by=people.tm, today=dt.date(2027, 2, 1),
        scheduled_for=dt.date(2027, 3, 30),  # Tue after Easter
    )  # fmt: skip
    assert overruns(episode) == {(people.hos.pk, END), (ad.pk, END)}
    assert reasons_on_page(client, people.tm, episode, dt.date(2027, 2, 1)) == [
        "The pre-proceedings review meeting is booked for Tue 30 Mar 2027, after the end on Thu 25 Mar 2027"
    ]


def test_the_reasons_are_in_date_order_not_in_the_order_recorded_or_by_name(client, people):
    """Two assessments and two meetings after the end: each kind listed soonest first, although
    recorded latest first and although their names sort the other way."""
    episode = start_pre_proceedings(family(people), people, decision=D)
    cs.assessment_create(
        episode=episode, kind="parenting", provider="Family Assessments Ltd", instructed_on=dt.date(2027, 1, 20),
        due_on=dt.date(2027, 4, 15), by=people.sw, today=dt.date(2027, 1, 20),
    )  # fmt: skip
    psychological(episode, people, due_on=dt.date(2027, 4, 8))
    ms.meeting_record(
        episode=episode, kind=MeetingKind.FINAL, scheduled_for=dt.date(2027, 4, 1), by=people.tm,
        today=dt.date(2027, 2, 1),
    )  # fmt: skip
    ms.meeting_record(
        episode=episode, kind=MeetingKind.REVIEW, scheduled_for=dt.date(2027, 3, 30), by=people.tm,
        today=dt.date(2027, 2, 1),
    )  # fmt: skip
    expected = [
        "The psychological assessment is due on Thu 8 Apr 2027, after the end on Thu 25 Mar 2027",
        "The parenting assessment is due on Thu 15 Apr 2027, after the end on Thu 25 Mar 2027",
        "The pre-proceedings review meeting is booked for Tue 30 Mar 2027, after the end on Thu 25 Mar 2027",
        "The final pre-proceedings meeting is booked for Thu 1 Apr 2027, after the end on Thu 25 Mar 2027",
    ]
    assert reasons_on_page(client, people.tm, episode, dt.date(2027, 2, 1)) == expected
    # The seniors' homes (many at once) give the same reasons in the same order.
    forecasts = overrun_forecasts(Episode.objects.filter(pk=episode.pk), today=dt.date(2027, 2, 1))
    assert forecasts == {episode.pk: Overrun(END, tuple(expected))}


def test_a_meeting_booked_after_the_end_but_held_early_no_longer_predicts_an_overrun(client, people, ad):
    episode = start_pre_proceedings(family(people), people, decision=D)
    deliver_letter(episode, people, on=dt.date(2026, 12, 8))
    hold_initial_meeting(episode, people, on=dt.date(2026, 12, 15))
    meeting = ms.meeting_record(
        episode=episode, kind=MeetingKind.REVIEW, scheduled_for=dt.date(2027, 3, 30), by=people.tm,
        today=dt.date(2027, 2, 1),
    )  # fmt: skip
    assert reasons_on_page(client, people.tm, episode, dt.date(2027, 3, 9)) == [
        "The pre-proceedings review meeting is booked for Tue 30 Mar 2027, after the end on Thu 25 Mar 2027"
    ]
    # Brought forward and held on Wed 10 Mar: the date it was booked for stays on the record.
    ms.meeting_update(
        meeting=meeting, expected_version=None, held_on=dt.date(2027, 3, 10), by=people.tm,
        today=dt.date(2027, 3, 10),
    )  # fmt: skip
    assert overruns(episode) == set()
    assert reasons_on_page(client, people.tm, episode, dt.date(2027, 3, 10)) == []


def test_a_waived_end_of_pre_proceedings_is_not_forecast_to_overrun(client, people, ad):
    """The head of service waives the end (the family's plan changed): the end passing, with the
    final meeting not held, predicts nothing and escalates to no one."""
    episode = start_pre_proceedings(family(people), people, decision=D)
    end = episode.deadlines.get(key="pre_proceedings_end")
    deadline_waive(deadline=end, reason="Legal gateway panel: continue under child protection", by=people.hos,
                   today=dt.date(2027, 3, 1))  # fmt: skip
    deadlines_recompute_open(today=dt.date(2027, 3, 26))
    assert episode.deadlines.get(key="pre_proceedings_end").state == "waived"
    assert overruns(episode) == set()
    assert reasons_on_page(client, people.tm, episode, dt.date(2027, 3, 26)) == []


def overrun_alerts_in_inbox(client, user, on: dt.date) -> list[tuple[str, str]]:
    """The overrun alerts in `user`'s inbox on `on`: (family, deadline cell), as the page shows them."""
    with time_machine.travel(dt.datetime.combine(on, dt.time(9), tzinfo=LONDON), tick=False):
        client.force_login(user)
        page = client.get(reverse("deadlines:alert-list")).content.decode()
    rows = []
    for row in re.findall(r"<tr class=\"govuk-table__row\" data-alert=\"\d+\">(.*?)</tr>", page, re.S):
        cells = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if cells[0] == AlertKind.OVERRUN.label:
            rows.append((cells[1], cells[2]))
    return rows


def test_the_overrun_alert_names_the_end_of_pre_proceedings_in_the_inbox(client, people, ad):
    episode = start_pre_proceedings(family(people), people, decision=D)
    psychological(episode, people, due_on=dt.date(2027, 4, 15))
    reference = episode.family.reference
    for senior in (people.hos, ad):
        assert overrun_alerts_in_inbox(client, senior, dt.date(2027, 1, 20)) == [
            (f"Ashworth family {reference}", "Pre-proceedings concluded due 25 Mar 2027")
        ]


# -- what the seniors' home pages read ---------------------------------------------------------
# ``overrun_forecasts`` picks in SQL the episodes that can overrun, so a whole service's forecast
# reads and works through only those (its docstring: at 2,000 open episodes, a few hundred).
MON = dt.date(2027, 3, 22)  # Mon, after the final meeting was due (Fri 19 Mar), before the end (Thu 25 Mar)


@contextmanager
def rows_read():
    """How many rows each query run inside reads, in order: what a page costs the database."""
    counts: list[int] = []

    def count(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        counts.append(context["cursor"].rowcount)
        return result

    with connection.execute_wrapper(count):
        yield counts


def test_the_seniors_homes_read_only_the_cases_that_can_overrun(people):
    """A service of nine cases, all started on Fri 4 Dec 2026, on Mon 22 Mar 2027: two are
    predicted to overrun, seven are on track, each one short of a reason. The forecast reads the
    open end and final-meeting deadlines, outstanding assessments and booked meetings of the two
    alone, in three queries: the cases on track cost nothing."""

    def start(name: str, *, final_held: bool = True) -> Episode:
        episode = start_pre_proceedings(family(people, name=name), people, decision=D)
        if final_held:
            hold_final_meeting(episode, people, on=dt.date(2027, 3, 18))
        return episode

    def assessment(episode: Episode, kind: str, due_on: dt.date, completed_on: dt.date | None = None) -> None:
        made = cs.assessment_create(
            episode=episode, kind=kind, provider="Dr Expert", instructed_on=dt.date(2027, 1, 20), due_on=due_on,
            by=people.sw, today=dt.date(2027, 1, 20),
        )  # fmt: skip
        if completed_on:
            cs.assessment_update(
                assessment=made, expected_version=None, completed_on=completed_on, by=people.sw, today=completed_on
            )

    def review(episode: Episode, booked: dt.date, held_on: dt.date | None = None) -> None:
        meeting = ms.meeting_record(
            episode=episode, kind=MeetingKind.REVIEW, scheduled_for=booked, by=people.tm, today=dt.date(2027, 2, 1)
        )
        if held_on:
            ms.meeting_update(meeting=meeting, expected_version=None, held_on=held_on, by=people.tm, today=held_on)

    # Predicted: an assessment due and a review meeting booked after the end (its final meeting held,
    # an earlier assessment completed, an earlier review meeting held on the day booked).
    brook = start("Brook family")
    assessment(brook, "parenting", dt.date(2027, 3, 1), completed_on=dt.date(2027, 2, 26))
    assessment(brook, "psychological", dt.date(2027, 4, 15))
    review(brook, dt.date(2027, 3, 10), held_on=dt.date(2027, 3, 10))
    review(brook, dt.date(2027, 3, 30))
    # Predicted: the final meeting was due on Fri 19 Mar and has not been held.
    dale = start("Dale family", final_held=False)
    # On track: the final meeting held, nothing else outstanding.
    start("Ashworth family")
    # On track: an assessment due before the end, not yet completed.
    assessment(start("Carter family"), "parenting", dt.date(2027, 3, 24))
    # On track: an assessment that was due after the end, completed.
    assessment(start("Evans family"), "psychological", dt.date(2027, 4, 15), completed_on=dt.date(2027, 3, 19))
    # On track: a review meeting booked before the end.
    review(start("Fisher family"), dt.date(2027, 3, 24))
    # On track: a review meeting booked for after the end, brought forward and held on Fri 12 Mar.
    review(start("Green family"), dt.date(2027, 3, 30), held_on=dt.date(2027, 3, 12))
    # On track: 4 weeks agreed, the final meeting is due on Fri 16 Apr and the end Fri 23 Apr (the
    # letter before proceedings was never recorded as delivered: overdue, but no reason to overrun).
    harris = start("Harris family", final_held=False)
    cs.extension_agree(
        episode=harris, weeks=4, agreed_on=dt.date(2027, 2, 1), rationale="Psychological assessment",
        by=people.hos, today=dt.date(2027, 2, 1),
    )  # fmt: skip
    # Not forecast: the head of service waived the end (its final meeting overdue, not held).
    irwin = start("Irwin family", final_held=False)
    deadline_waive(
        deadline=irwin.deadlines.get(key="pre_proceedings_end"), reason="Continues under child protection",
        by=people.hos, today=dt.date(2027, 3, 1),
    )  # fmt: skip
    assert Episode.objects.filter(ended_on__isnull=True).count() == 9

    with rows_read() as rows:
        forecasts = overrun_forecasts(Episode.objects.all(), today=MON)
    assert forecasts == {
        brook.pk: Overrun(
            END,
            (
                "The psychological assessment is due on Thu 15 Apr 2027, after the end on Thu 25 Mar 2027",
                "The pre-proceedings review meeting is booked for Tue 30 Mar 2027, after the end on Thu 25 Mar 2027",
            ),
        ),
        dale.pk: Overrun(END, ("The final meeting was due on Fri 19 Mar 2027 and has not been held",)),
    }
    # Brook's end (its final meeting is held) and Dale's end and final meeting; Brook's outstanding
    # assessment; Brook's booked review meeting.
    assert rows == [3, 1, 1]
