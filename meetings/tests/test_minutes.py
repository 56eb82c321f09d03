"""Minutes of every meeting kind: drafted (by whom), approved (by whom), circulated (to whom), each
step beside its policy deadline on the case page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from cases.tests import test_case_screens as screens
from cases.tests.test_case_screens import _date, _text
from meetings import services as ms
from meetings.models import LPM, Meeting

pytestmark = pytest.mark.django_db
_today = screens._today
staff = screens.staff
family = screens.family
in_pre_proceedings = screens.in_pre_proceedings


def _row(page: str, title: str) -> str:
    """The minutes table row of one meeting, as text."""
    table = page[page.index('data-testid="minutes"') :]
    found = re.search(re.escape(title) + r"<br>.*?</tr>", table)
    assert found, f"no minutes row for {title}"
    return found.group(0)


def _minutes_post(version: int, **values: object) -> dict[str, object]:
    data: dict[str, object] = {"version": version, "minutes_drafted_by": "", "minutes_approved_by": ""}
    for name in ("minutes_drafted_on", "minutes_approved_on", "minutes_circulated_on"):
        data |= _date(name, values.get(name))  # type: ignore[arg-type]
    data["minutes_circulated_to"] = values.get("minutes_circulated_to", "")
    for who in ("minutes_drafted_by", "minutes_approved_by"):
        if who in values:
            data[who] = values[who]
    return data


@pytest.fixture
def initial_meeting(in_pre_proceedings, family, staff) -> Meeting:
    from cases import services as cs

    cs.letter_deliver(
        episode=in_pre_proceedings, person=family.people.get(), delivered_on=dt.date(2026, 12, 23), by=staff["sw"]
    )
    return ms.meeting_record(
        episode=in_pre_proceedings,
        kind="initial_meeting",
        held_on=dt.date(2027, 1, 11),
        chair=staff["tm"],
        by=staff["tm"],
    )


def test_the_minutes_of_a_meeting_step_by_step_with_author_approver_and_recipients(
    client, staff, initial_meeting, family
):
    client.force_login(staff["sw"])
    case = reverse("cases:family-detail", args=[family.pk])
    page = _text(client.get(case))
    row = _row(page, "Initial pre-proceedings meeting")
    assert "Held 11 Jan 2027 · Not yet drafted" in row
    # The standard policy sets no deadline for a pre-proceedings meeting's minutes: 002 App. 2's four
    # working days are for LPM and care-planning minutes only (the LPM test below pins that one).
    assert "Due " not in row and "Overdue" not in row

    url = reverse("meetings:meeting-minutes", args=[initial_meeting.pk])
    # Out of order: circulated without approval, approval before drafting, no recipients.
    html = _text(
        client.post(
            url,
            _minutes_post(
                initial_meeting.version,
                minutes_drafted_on=dt.date(2027, 1, 14),
                minutes_approved_on=dt.date(2027, 1, 13),
                minutes_circulated_on=dt.date(2027, 1, 15),
            ),
        )
    )
    assert "The date the minutes were approved must be on or after the date drafted (14/01/2027)" in html
    assert "Enter who the minutes were sent to" in html
    assert 'name="minutes_drafted_on_0" value="14"' in html  # nothing typed is lost

    client.post(url, _minutes_post(initial_meeting.version, minutes_drafted_on=dt.date(2027, 1, 12)))
    client.force_login(staff["tm"])
    response = client.post(
        url,
        _minutes_post(
            initial_meeting.version + 1,
            minutes_drafted_on=dt.date(2027, 1, 12),
            minutes_drafted_by=staff["sw"].pk,
            minutes_approved_on=dt.date(2027, 1, 14),
            minutes_circulated_on=dt.date(2027, 1, 18),
            minutes_circulated_to="Dawn Ashworth and her solicitor",
        ),
        follow=True,
    )
    page = _text(response)
    assert "The minutes have been saved" in page
    row = _row(page, "Initial pre-proceedings meeting")
    assert "Held 11 Jan 2027 · Circulated" in row
    assert f"12 Jan 2027 by {staff['sw']}" in row
    assert f"14 Jan 2027 by {staff['tm']}" in row
    assert "18 Jan 2027 to Dawn Ashworth and her solicitor" in row
    meeting = Meeting.objects.get(pk=initial_meeting.pk)
    assert (meeting.minutes_drafted_by, meeting.minutes_approved_by) == (staff["sw"], staff["tm"])


def test_lpm_minutes_have_the_same_workflow_and_the_lpm_minutes_deadline(client, staff, in_pre_proceedings, family):
    lpm = LPM.objects.get(episode=in_pre_proceedings)
    # The legal adviser records legal advice only (issue 9); the CLO keeps the minutes' dates.
    client.force_login(staff["legal"])
    assert client.get(reverse("meetings:lpm-minutes", args=[lpm.pk])).status_code == 403
    client.force_login(staff["clo"])
    response = client.post(
        reverse("meetings:lpm-minutes", args=[lpm.pk]),
        _minutes_post(
            lpm.version,
            minutes_drafted_on=dt.date(2026, 12, 18),
            minutes_approved_on=dt.date(2026, 12, 21),
            minutes_circulated_on=dt.date(2026, 12, 21),
            minutes_circulated_to="Team manager and social worker",
        ),
        follow=True,
    )
    page = _text(response)
    row = _row(page, "Legal planning meeting")
    assert "Held 17 Dec 2026 · Circulated" in row
    # 002 §9b: LPM minutes within 4 working days of the LPM (17 Dec 2026) = Wed 23 Dec 2026; met.
    assert "21 Dec 2026 to Team manager and social worker" in row and "Due 23 Dec 2026" in row and "Met" in row
    assert in_pre_proceedings.deadlines.get(key="lpm_minutes").state == "met"


def test_permanency_meeting_minutes_and_the_database_keeps_the_order(client, staff, family):
    ppm = ms.permanency_meeting_record(
        family=family,
        child=family.children.first(),
        organised_by=staff["sw"],
        chair=staff["tm"],
        held_on=dt.date(2027, 1, 12),
        options_considered=["return_home", "kinship"],
        preferred_option="return_home",
        by=staff["sw"],
    )
    client.force_login(staff["sw"])
    url = reverse("meetings:ppm-minutes", args=[ppm.pk])
    html = _text(client.post(url, _minutes_post(ppm.version, minutes_drafted_on=dt.date(2027, 1, 11))))
    assert "The date the minutes were drafted must be on or after the meeting (12/01/2027)" in html
    client.post(url, _minutes_post(ppm.version, minutes_drafted_on=dt.date(2027, 1, 13)))
    ppm.refresh_from_db()
    assert ppm.minutes_drafted_by == staff["sw"] and ppm.minutes_state == "Drafted, waiting for approval"
    with pytest.raises(IntegrityError), transaction.atomic():
        type(ppm).objects.filter(pk=ppm.pk).update(minutes_approved_on=dt.date(2027, 1, 12))
