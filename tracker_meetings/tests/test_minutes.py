"""Minutes of tracker meetings and panels: drafted (by whom), approved (by whom), circulated (to which
staff), with the same rules as a case meeting's minutes, shown on the meeting and on the print."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from deadlines.models import Deadline
from deadlines.services import calendar_current
from deadlines.tests.test_scenarios import family, start_pre_proceedings
from plo_tracker.versioning import StaleEditError
from tracker_meetings import services
from tracker_meetings.models import MinutesRecipient, TrackerMeeting, TrackerMeetingKind
from tracker_meetings.tests import test_meetings

pytestmark = pytest.mark.django_db
people = test_meetings.people
clo = test_meetings.clo
LONDON = ZoneInfo("Europe/London")

MONDAY = dt.date(2027, 1, 18)
THURSDAY = dt.date(2027, 1, 21)


@pytest.fixture
def held(people, clo) -> TrackerMeeting:
    """This Monday's weekly tracker meeting, with one case on it, recorded as held on the day."""
    start_pre_proceedings(family(people, name="Ashworth family", reference="PLO-RED"), people)
    meeting = services.tracker_meeting_prepare(
        kind=TrackerMeetingKind.WEEKLY,
        meets_on=MONDAY,
        starts_at=None,
        by=clo,
        today=MONDAY,
        calendar=calendar_current(),
    )
    return services.tracker_meeting_hold(
        meeting=meeting, expected_version=meeting.version, held_on=MONDAY, chair=people.hos, attendees="", by=clo,
        today=MONDAY,
    )  # fmt: skip


@pytest.fixture
def thursday():
    with time_machine.travel(dt.datetime(2027, 1, 21, 10, tzinfo=LONDON), tick=False):
        yield


def _post(version: int, recipients=(), **dates: dt.date | None) -> dict[str, object]:
    data: dict[str, object] = {"version": version, "minutes_drafted_by": "", "minutes_approved_by": ""}
    for name in ("minutes_drafted_on", "minutes_approved_on", "minutes_circulated_on"):
        value = dates.get(name)
        parts = (value.day, value.month, value.year) if value else ("", "", "")
        data |= {f"{name}_{i}": str(p) for i, p in enumerate(parts)}
    data["minutes_recipients"] = [u.pk for u in recipients]
    for who in ("minutes_drafted_by", "minutes_approved_by"):
        if who in dates:
            data[who] = dates[who].pk  # type: ignore[union-attr]
    return data


def _error_beside(html: str, field: str) -> str:
    """The GOV.UK error messages shown next to a field (not only in the summary at the top)."""
    pattern = (
        rf'<span id="id_{field}_\d+_error" class="govuk-error-message">\s*'
        r'<span class="govuk-visually-hidden">Error:</span>(.*?)</span>'
    )
    found = [m.strip() for m in re.findall(pattern, html, re.S)]
    assert found, f"no error beside {field}"
    return " | ".join(found)


def test_minutes_drafted_approved_and_circulated_from_the_meeting_page_then_printed(
    client, held, people, clo, make_user, thursday
):
    ad = make_user(Role.ASSISTANT_DIRECTOR, first_name="Ada", last_name="Director")
    detail = reverse("tracker_meetings:detail", args=[held.pk])
    url = reverse("tracker_meetings:minutes-record", args=[held.pk])
    deadlines = set(Deadline.objects.values_list("pk", "key", "due_on"))
    client.force_login(clo)
    page = client.get(detail).content.decode()
    assert "Not yet drafted." in page and "No council policy sets a timescale for these minutes" in page
    assert url in page
    printed = client.get(reverse("tracker_meetings:minutes", args=[held.pk])).content.decode()
    assert 'data-testid="minutes-draft">DRAFT<' in printed and "draft, not yet approved." in printed

    # Out of order, in the future and sent to nobody: each refused beside its field, nothing lost.
    html = client.post(
        url,
        _post(
            held.version,
            minutes_drafted_on=dt.date(2027, 1, 20),
            minutes_approved_on=dt.date(2027, 1, 19),
            minutes_circulated_on=dt.date(2027, 1, 22),
        ),
    ).content.decode()
    assert "There is a problem" in html
    assert _error_beside(html, "minutes_approved_on") == (
        "The date the minutes were approved must be on or after the date drafted (20/01/2027); you entered 19/01/2027"
    )
    assert "The date the minutes were circulated must be today or in the past" in _error_beside(
        html, "minutes_circulated_on"
    )
    assert _error_beside(html, "minutes_recipients") == "Choose who the minutes were sent to"
    assert 'name="minutes_drafted_on_0" value="20"' in html and 'name="minutes_approved_on_0" value="19"' in html
    html = client.post(url, _post(held.version, minutes_drafted_on=dt.date(2027, 1, 17))).content.decode()
    assert "must be on or after the meeting (18/01/2027)" in _error_beside(html, "minutes_drafted_on")
    held.refresh_from_db()
    assert held.minutes_drafted_on is None

    # The CLO drafts them: recorded as the author.
    response = client.post(url, _post(held.version, minutes_drafted_on=dt.date(2027, 1, 19)), follow=True)
    page = response.content.decode()
    assert "The minutes have been saved" in page and "Drafted, waiting for approval." in page
    assert "19 Jan 2027 by Cleo Liaison" in page
    printed = client.get(reverse("tracker_meetings:minutes", args=[held.pk])).content.decode()
    assert 'data-testid="minutes-draft">DRAFT<' in printed
    assert "draft, drafted by Cleo Liaison on 19 January 2027, not yet approved." in printed

    # The head of service approves them and they go to two senior managers.
    held.refresh_from_db()
    client.force_login(people.hos)
    form = client.get(url).content.decode()
    offered = {int(pk) for pk in re.findall(r'name="minutes_recipients"[^>]*?value="(\d+)"', form)}
    assert ad.pk in offered and people.hos.pk in offered
    assert people.tm.pk in offered and people.sw.pk not in offered  # only staff who can read them
    response = client.post(
        url,
        _post(
            held.version,
            recipients=[ad, clo],
            minutes_drafted_on=dt.date(2027, 1, 19),
            minutes_drafted_by=clo,
            minutes_approved_on=dt.date(2027, 1, 20),
            minutes_circulated_on=dt.date(2027, 1, 21),
        ),
        follow=True,
    )
    page = response.content.decode()
    assert "Circulated." in page and "20 Jan 2027 by Helen Head" in page
    assert "21 Jan 2027 to Ada Director, Cleo Liaison" in page
    held.refresh_from_db()
    assert (held.minutes_drafted_by, held.minutes_approved_by) == (clo, people.hos)
    assert set(held.minutes_recipients.all()) == {ad, clo}
    printed = client.get(reverse("tracker_meetings:minutes", args=[held.pk])).content.decode()
    assert "DRAFT" not in printed
    assert "approved by Helen Head on 20 January 2027 (drafted by Cleo Liaison on 19 January 2027)." in printed
    assert "Circulated on 21 January 2027 to Ada Director, Cleo Liaison." in printed
    listing = client.get(reverse("tracker_meetings:list")).content.decode()
    assert '<td class="govuk-table__cell">Circulated</td>' in listing
    # No source sets a timescale for these minutes: no deadline is made for them.
    assert set(Deadline.objects.values_list("pk", "key", "due_on")) == deadlines


def test_a_stale_copy_of_the_minutes_is_refused_and_shows_what_changed(client, held, clo, people, thursday):
    opened = held.version
    services.tracker_meeting_minutes_record(
        meeting=held, expected_version=opened, by=people.hos, minutes_drafted_on=dt.date(2027, 1, 19)
    )
    client.force_login(clo)
    response = client.post(
        reverse("tracker_meetings:minutes-record", args=[held.pk]),
        _post(opened, minutes_drafted_on=dt.date(2027, 1, 20)),
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="stale-edit"' in body
    assert "19 Jan 2027" in body and "20 Jan 2027" in body
    held.refresh_from_db()
    assert (held.minutes_drafted_on, held.minutes_drafted_by) == (dt.date(2027, 1, 19), people.hos)


def test_the_service_refuses_what_the_page_refuses(held, people, clo, make_user):
    def record(by, **changes):
        held.refresh_from_db()
        return services.tracker_meeting_minutes_record(
            meeting=held, expected_version=held.version, by=by, today=THURSDAY, **changes
        )

    for role in (Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.READ_ONLY):
        with pytest.raises(PermissionDenied):
            record(make_user(role), minutes_drafted_on=dt.date(2027, 1, 19))
    with pytest.raises(ValidationError) as refused:
        record(clo, minutes_approved_on=dt.date(2027, 1, 19))
    assert refused.value.message_dict == {
        "minutes_drafted_on": ["Enter the date the minutes were drafted before approval"]
    }
    # Sent to a social worker, who cannot read tracker meetings; drafted by one too.
    with pytest.raises(ValidationError) as refused:
        record(
            clo,
            minutes_drafted_on=dt.date(2027, 1, 19),
            minutes_drafted_by=people.sw,
            minutes_approved_on=dt.date(2027, 1, 19),
            minutes_circulated_on=dt.date(2027, 1, 20),
            recipients=[people.sw, people.hos],
        )
    assert refused.value.message_dict == {
        "minutes_drafted_by": ["Choose who drafted the minutes from staff who can read tracker meetings"],
        "minutes_recipients": ["Sam Worker cannot read tracker meetings: choose staff who can"],
    }
    with pytest.raises(StaleEditError):
        services.tracker_meeting_minutes_record(
            meeting=held,
            expected_version=held.version - 1,
            by=clo,
            today=THURSDAY,
            minutes_drafted_on=dt.date(2027, 1, 19),
        )
    # Recipients taken off are removed; the date without anyone, or anyone without the date, is refused.
    record(
        clo,
        minutes_drafted_on=dt.date(2027, 1, 19),
        minutes_approved_on=dt.date(2027, 1, 20),
        minutes_circulated_on=dt.date(2027, 1, 20),
        recipients=[people.hos, clo],
    )
    record(clo, recipients=[people.hos])
    assert list(held.minutes_recipients.all()) == [people.hos]
    with pytest.raises(ValidationError, match="Choose who the minutes were sent to"):
        record(clo, recipients=[])
    with pytest.raises(ValidationError, match="Enter the date the minutes were sent"):
        record(clo, minutes_circulated_on=None)


def test_the_database_keeps_the_steps_in_order_and_says_who(held, people):
    meetings = TrackerMeeting.objects.filter(pk=held.pk)
    for values in (
        {"minutes_drafted_on": dt.date(2027, 1, 17), "minutes_drafted_by": people.hos},  # before the meeting
        {"minutes_drafted_on": dt.date(2027, 1, 19)},  # by nobody
        {"minutes_approved_on": dt.date(2027, 1, 19), "minutes_approved_by": people.hos},  # never drafted
        {
            "minutes_drafted_on": dt.date(2027, 1, 20),
            "minutes_drafted_by": people.hos,
            "minutes_approved_on": dt.date(2027, 1, 19),
            "minutes_approved_by": people.hos,
        },
        {
            "minutes_drafted_on": dt.date(2027, 1, 19),
            "minutes_drafted_by": people.hos,
            "minutes_circulated_on": dt.date(2027, 1, 20),
        },
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            meetings.update(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        MinutesRecipient.objects.bulk_create([MinutesRecipient(meeting=held, user=people.hos)] * 2)


def test_each_step_is_in_the_audit_trail_with_who_did_it(client, held, people, clo, make_user, thursday):
    url = reverse("tracker_meetings:minutes-record", args=[held.pk])
    client.force_login(clo)
    client.post(url, _post(held.version, minutes_drafted_on=dt.date(2027, 1, 19)))
    client.force_login(people.hos)
    client.post(
        url,
        _post(
            held.version + 1,
            recipients=[clo],
            minutes_drafted_on=dt.date(2027, 1, 19),
            minutes_drafted_by=clo,
            minutes_approved_on=dt.date(2027, 1, 20),
            minutes_circulated_on=dt.date(2027, 1, 21),
        ),
    )
    held.refresh_from_db()
    assert held.minutes_state == "Circulated"
    events = held.events.order_by("pgh_id")
    drafted, approved = [e for e in events if e.pgh_label == "update"][-2:]
    assert drafted.minutes_drafted_on == dt.date(2027, 1, 19) and drafted.pgh_context.metadata["user"] == clo.pk
    assert approved.minutes_approved_by_id == people.hos.pk and approved.pgh_context.metadata["user"] == people.hos.pk
    sent = MinutesRecipient.pgh_event_models["insert"].objects.get()  # type: ignore[attr-defined]
    assert sent.user_id == clo.pk and sent.pgh_context.metadata["user"] == people.hos.pk
    # A head of service reads the steps and who they went to in the meeting's audit trail; an
    # administrator sees who changed it and when, not what.
    client.force_login(make_user(Role.HEAD_OF_SERVICE))
    html = client.get(reverse("audit-history"), {"record": "tracker-meeting", "record_id": held.pk}).content.decode()
    assert "MinutesRecipient" in html and "minutes_approved_on" in html and "2027-01-20" in html
    client.force_login(make_user(Role.ADMINISTRATOR))
    html = client.get(reverse("audit-history"), {"record": "tracker-meeting", "record_id": held.pk}).content.decode()
    assert f"({people.hos.username})" in html and "2027-01-20" not in html


def test_the_minutes_page_reads_the_staff_in_a_fixed_number_of_queries(
    client, held, clo, make_user, django_assert_num_queries
):
    url = reverse("tracker_meetings:minutes-record", args=[held.pk])
    client.force_login(clo)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(10):
        make_user(Role.SERVICE_MANAGER, first_name=f"Extra{i}", last_name="Manager")
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "Extra9 Manager, Service manager" in page
