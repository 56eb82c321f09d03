"""004 "Timescale for Pre-Proceedings": an episode predicted to run past its agreed length is
escalated to the assistant director (and, in the standard policy, the head of service), from the
current forecast: every change of date raises the alert, or clears it, at once (issue 10 §5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from cases import services as cs
from cases.models import EndOutcome, Episode
from deadlines.alerts import alert_scan
from deadlines.forecast import Overrun, episode_overrun_forecast, overrun_forecasts
from deadlines.models import Alert, AlertKind, Deadline
from deadlines.services import deadlines_recompute_open
from meetings import services as ms
from meetings.models import MeetingKind

from .test_scenarios import family, staff, start_pre_proceedings

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
