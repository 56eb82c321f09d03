"""002 App. 2: "Within 5 working days of LPM – Record of the discussion and legal advice are set out
in writing and sent only to the Head of Service."

The date it was sent is recorded on the LPM's legal advice page (beside the advice), meets the
deadline, and is refused beside the field when impossible, in the future or before the LPM. The
deadline says that legal advice exists, so it reaches only the people who may read that case's
legal advice: legal advisers, heads of service and the case's team manager; nobody else finds it
on any page that shows, counts or exports deadlines.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse

from accounts.roles import Role
from cases.tests.factories import ChildFactory, FamilyFactory
from deadlines.alerts import alert_scan
from deadlines.models import Deadline, DeadlineState
from meetings import services as ms
from meetings.models import LPM, LegalAdvice, LPMKind, LPMOutcome, Recommendation, RequestStatus

pytestmark = pytest.mark.django_db

LABEL = "Record of the LPM discussion and legal advice sent to the head of service"
DOCS = dict.fromkeys(("plo_summary", "chronology", "genogram", "single_assessment"), ("present", ""))
HELD = dt.date(2027, 1, 7)  # a Thursday: + 5 working days = Thu 14 Jan 2027
DUE = dt.date(2027, 1, 14)
TODAY = dt.date(2027, 1, 15)  # the record is one working day overdue


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2027, 1, 15, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def people(make_user):
    return {
        "sw": make_user(Role.SOCIAL_WORKER, username="sw"),
        "tm": make_user(Role.TEAM_MANAGER, username="tm"),
        "sm": make_user(Role.SERVICE_MANAGER, username="sm"),  # manages the team's service area
        "hos": make_user(Role.HEAD_OF_SERVICE, username="hos", team=None),
        "ad": make_user(Role.ASSISTANT_DIRECTOR, username="ad", team=None),
        "legal": make_user(Role.LEGAL_ADVISER, username="legal", team=None),
        "clo": make_user(Role.COURT_LIAISON_OFFICER, username="clo", team=None),
        "ro": make_user(Role.READ_ONLY, username="ro", team=None),
    }


def _lpm(team, people, *, outcome: str = LPMOutcome.DEFER, advice: bool = True) -> LPM:
    """An LPM held on Thu 7 Jan 2027, its outcome recorded and minutes circulated that day, so
    the record of the advice is the case's earliest open deadline (deferred: the revised papers
    are next, due Mon 18 Jan, three working days before the further LPM by Thu 21 Jan)."""
    family = FamilyFactory.create(
        team=team, social_worker=people["sw"], team_manager=people["tm"], name="Birchall family", reference="PLO-7"
    )
    ChildFactory(family=family, first_name="Ava", last_name="Birchall")
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2027, 1, 4),
        recommendation=Recommendation.PRE_PROCEEDINGS,
        concerns="Neglect",
        documents=DOCS,
        by=people["tm"],
    )
    ms.lpm_request_decide(
        request=request, expected_version=None, status=RequestStatus.APPROVED, decided_on=dt.date(2027, 1, 5),
        by=people["hos"],
    )  # fmt: skip
    lpm = ms.lpm_list(episode=request.episode, panel_date=HELD, by=people["tm"])
    lpm = ms.lpm_record_outcome(
        lpm=lpm, expected_version=None, held_on=HELD, outcome=outcome, chair=people["hos"], outcome_recorded_on=HELD,
        by=people["hos"],
    )  # fmt: skip
    lpm = ms.lpm_update(lpm=lpm, expected_version=None, by=people["clo"], minutes_circulated_on=HELD)
    if advice:
        ms.legal_advice_record(lpm=lpm, advice="Threshold is met on neglect.", by=people["legal"])
    return LPM.objects.get(pk=lpm.pk)


def _deadline(lpm: LPM) -> Deadline:
    return Deadline.objects.get(episode=lpm.episode, key="advice_to_head_of_service")


def _date(prefix: str, day: str, month: str, year: str) -> dict[str, str]:
    return {f"{prefix}_0": day, f"{prefix}_1": month, f"{prefix}_2": year}


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8", "replace").replace("\r\n ", "")  # a calendar feed's folded lines
    return re.sub(r"\s+", " ", html.unescape(text))


def _form(lpm: LPM, sent: dict[str, str], **extra: str) -> dict[str, str]:
    advice = LegalAdvice.objects.filter(lpm=lpm).first()
    return {
        "advice": "Threshold is met on neglect.",
        "minutes": "",
        "version": str(advice.version) if advice else "",
        **_date("sent_to_head_of_service_on", *sent.values()),
        **extra,
    }


def test_the_record_of_the_advice_sent_to_the_head_of_service_meets_its_deadline(client, team, people):
    lpm = _lpm(team, people)
    open_one = _deadline(lpm)
    assert (open_one.due_on, open_one.state, open_one.label) == (DUE, DeadlineState.OPEN, LABEL)

    client.force_login(people["legal"])
    url = reverse("meetings:legal-advice", args=[lpm.pk])
    page = _body(client.get(url))
    assert "Date the written record of the discussion and advice was sent to the head of service" in page
    response = client.post(url, _form(lpm, {"d": "14", "m": "1", "y": "2027"}))
    assert response.status_code == 302
    assert LegalAdvice.objects.get(lpm=lpm).sent_to_head_of_service_on == DUE
    met = _deadline(lpm)
    assert (met.state, met.met_on) == (DeadlineState.MET, DUE)

    # Sent a working day later (Fri 15 Jan), by the head of service correcting it: met one day late.
    client.force_login(people["hos"])
    client.post(url, _form(lpm, {"d": "15", "m": "1", "y": "2027"}))
    late = _deadline(lpm)
    assert (late.state, late.met_on) == (DeadlineState.MET_LATE, TODAY)
    assert 'value="15"' in client.get(url).content.decode()  # the page shows what was recorded


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (
            {"d": "30", "m": "2", "y": "2027"},
            "Date the written record of the discussion and advice was sent to the head of service must be a real date",
        ),
        (
            {"d": "18", "m": "1", "y": "2027"},
            "The date the record was sent to the head of service must be today or in the past",
        ),
        (
            {"d": "6", "m": "1", "y": "2027"},
            "The date the record was sent to the head of service must be on or after the LPM (07/01/2027); "
            "you entered 06/01/2027",
        ),
        ({"d": "14", "m": "", "y": "2027"}, "Enter the month"),
    ],
)
def test_a_bad_date_is_refused_beside_the_field_and_nothing_typed_is_lost(client, team, people, sent, message):
    lpm = _lpm(team, people)
    client.force_login(people["legal"])
    response = client.post(
        reverse("meetings:legal-advice", args=[lpm.pk]),
        _form(lpm, sent, advice="Threshold is met on neglect; CHANGED"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    field = page.index('id="div_id_sent_to_head_of_service_on"')
    error_at = page.index('class="govuk-error-message"', field)
    assert message in html.unescape(page[error_at : error_at + 600])  # beside the date, not only in the summary
    assert "govuk-error-summary" in page
    assert "CHANGED" in page  # the advice typed is kept
    advice = LegalAdvice.objects.get(lpm=lpm)
    assert (advice.sent_to_head_of_service_on, advice.advice) == (None, "Threshold is met on neglect.")
    assert _deadline(lpm).state == DeadlineState.OPEN


def test_the_date_cannot_be_recorded_before_the_lpm_is_held(team, people):
    lpm = _lpm(team, people)
    listed = ms.lpm_list(episode=lpm.episode, panel_date=dt.date(2027, 1, 21), kind=LPMKind.FURTHER, by=people["tm"])
    with pytest.raises(Exception) as refused:
        ms.legal_advice_record(
            lpm=listed, advice="Advice", by=people["legal"], sent_to_head_of_service_on=dt.date(2027, 1, 14)
        )
    assert refused.value.message_dict == {  # type: ignore[attr-defined]
        "sent_to_head_of_service_on": [
            "Record the date the LPM was held (its outcome) before the date the record was sent"
        ]
    }


def test_a_stale_copy_of_the_advice_is_refused_and_shows_the_difference(client, team, people):
    lpm = _lpm(team, people)
    client.force_login(people["legal"])
    stale = _form(lpm, {"d": "14", "m": "1", "y": "2027"})
    advice = LegalAdvice.objects.get(lpm=lpm)
    ms.legal_advice_record(
        lpm=lpm, advice=advice.advice, by=people["hos"], expected_version=advice.version,
        sent_to_head_of_service_on=dt.date(2027, 1, 13),
    )  # fmt: skip  # the head of service saves first
    page = _body(client.post(reverse("meetings:legal-advice", args=[lpm.pk]), stale))
    assert 'data-testid="stale-edit"' in page
    assert "13 Jan 2027" in page and "14 Jan 2027" in page
    assert LegalAdvice.objects.get(lpm=lpm).sent_to_head_of_service_on == dt.date(2027, 1, 13)


# --- Privilege: only people who may read the case's legal advice see the deadline exists -------

SHOWN = ("hos", "legal", "tm")
HIDDEN = ("sw", "sm", "ad", "clo", "ro")


def _pages(lpm: LPM) -> dict[str, str]:
    return {
        "case page": reverse("cases:family-detail", args=[lpm.episode.family_id]),
        "end pre-proceedings": reverse("cases:episode-end", args=[lpm.episode_id]),
        "my cases": reverse("cases:my-cases"),
        "tracker": reverse("deadlines:tracker"),
        "tracker, missed filter": reverse("deadlines:tracker") + "?missed=advice_to_head_of_service",
        "tracker print": reverse("deadlines:tracker-print"),
        "tracker CSV": reverse("deadlines:tracker-export", kwargs={"fmt": "csv"}),
        "team dashboard": reverse("deadlines:team-dashboard"),
        "weekly figures": reverse("deadlines:weekly"),
        "alerts": reverse("deadlines:alert-list"),
        "home": reverse("home"),
    }


def test_the_deadline_reaches_only_people_who_may_read_the_legal_advice(client, team, people):
    lpm = _lpm(team, people)
    alert_scan(today=TODAY)  # alerts for the overdue record are raised (to the social worker too)
    read: dict[str, dict[str, str]] = {}
    for who in SHOWN + HIDDEN:
        client.force_login(people[who])
        read[who] = {}
        for name, url in _pages(lpm).items():
            response = client.get(url)
            assert response.status_code in (200, 403), (who, name, response.status_code)
            if response.status_code == 200:
                read[who][name] = _body(response)
        feed = client.get(reverse("deadlines:calendar-feed") + "?key=" + people[who].calendar_token)
        read[who]["calendar feed"] = _body(feed)

    for who in HIDDEN:
        # The missed filter names the milestone asked for (any policy's, typed in the address);
        # it must not list the case.
        missed = read[who].pop("tracker, missed filter", "")
        assert "PLO-7" not in missed, who
        leaked = [name for name, body in read[who].items() if LABEL in body or "legal advice sent" in body]
        assert leaked == [], who
        assert "PLO-7" in read[who]["case page"], who  # they read the case itself
    # Each way out was open to someone it must hide the deadline from, and showed them the case.
    for who, name in (
        ("sw", "my cases"),
        ("sw", "calendar feed"),
        ("sm", "team dashboard"),
        ("sm", "end pre-proceedings"),
        ("clo", "tracker print"),
        ("clo", "tracker CSV"),
        ("ad", "tracker"),
        ("ro", "tracker"),
    ):
        assert "PLO-7" in read[who][name], (who, name)
    assert "Revised papers for the further LPM" in read["sw"]["alerts"]  # their other alert is there
    assert {"weekly figures", "home"} <= set(read["ad"])

    # The people who may read the advice see it where the case's deadlines are shown to them.
    assert all(LABEL in read[who]["case page"] for who in SHOWN)
    assert LABEL in read["hos"]["tracker"] and LABEL in read["legal"]["tracker CSV"]
    assert LABEL in read["tm"]["calendar feed"]
    assert LABEL in read["tm"]["team dashboard"], read["tm"]["team dashboard"][-6000:]
    assert LABEL in read["tm"]["my cases"] and LABEL in read["hos"]["end pre-proceedings"]
    assert "PLO-7" in read["hos"]["tracker, missed filter"]


def test_the_tracker_counts_the_overdue_record_only_for_people_who_may_read_the_advice(team, people):
    from deadlines.selectors.tracker import tracker_rows
    from deadlines.services import calendar_current

    _lpm(team, people)
    rows = {
        who: tracker_rows(user=people[who], today=TODAY, calendar=calendar_current())[0] for who in ("hos", "tm", "sm")
    }
    # The record (due Thu 14 Jan) is the one overdue deadline; next are the revised papers (Mon 18 Jan).
    assert (rows["hos"].overdue_count, rows["hos"].rag, rows["hos"].next_label) == (1, "red", LABEL)
    assert (rows["tm"].overdue_count, rows["tm"].rag) == (1, "red")
    assert rows["sm"].overdue_count == 0 and rows["sm"].rag == "amber"
    assert rows["sm"].next_label == "Revised papers for the further LPM"
