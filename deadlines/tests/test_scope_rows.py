"""A team manager's screens, exports, feed and emails hold only families in her scope (issue 9).

Two service areas, a team in each. Each way a family can leave the system for her is counted
by team: the tracker, its print view, its CSV and XLSX exports, the calendar feed and the alert
emails; the weekly figures for a service manager of one area only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.roles import Role
from accounts.tests.factories import ServiceAreaFactory, TeamFactory
from deadlines.alerts import alert_scan, alerts_email_pending
from deadlines.models import Alert, AlertKind

from .test_scenarios import Staff, family, start_pre_proceedings

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 1, 15)


@pytest.fixture
def travel():
    with time_machine.travel(dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def council(make_user, travel):
    north = TeamFactory(name="North team", service_area=ServiceAreaFactory(name="Northern area"))
    south = TeamFactory(name="South team", service_area=ServiceAreaFactory(name="Southern area"))
    hos = make_user(Role.HEAD_OF_SERVICE, team=None, username="hos")
    tara = make_user(Role.TEAM_MANAGER, team=north, username="tara", email="tara@council.example")
    nick = make_user(Role.TEAM_MANAGER, team=south, username="nick", email="nick@council.example")
    north_staff = Staff(tm=tara, hos=hos, sw=make_user(Role.SOCIAL_WORKER, team=north), team=north)
    south_staff = Staff(tm=nick, hos=hos, sw=make_user(Role.SOCIAL_WORKER, team=south), team=south)
    episodes: dict[str, list[Any]] = {"north": [], "south": []}
    for i in range(3):
        fam = family(north_staff, name=f"North{i} family", reference=f"PLO-N{i}")
        episodes["north"].append(start_pre_proceedings(fam, north_staff))
    for i in range(2):
        fam = family(south_staff, name=f"South{i} family", reference=f"PLO-S{i}")
        episodes["south"].append(start_pre_proceedings(fam, south_staff))
    return {"tara": tara, "nick": nick, "hos": hos, "north": north, "south": south, "episodes": episodes}


def _by_team(references: list[str]) -> Counter[str]:
    return Counter("north" if ref.startswith("PLO-N") else "south" for ref in references)


def test_the_team_managers_tracker_print_and_exports_hold_only_her_teams_families(client, council):
    client.force_login(council["tara"])
    rows = client.get(reverse("deadlines:tracker")).context["rows"]
    assert Counter(r.team for r in rows) == {"North team": 3}
    printed = client.get(reverse("deadlines:tracker-print"))
    assert Counter(r.team for r in printed.context["rows"]) == {"North team": 3}
    assert "PLO-S" not in printed.content.decode()

    body = client.get(reverse("deadlines:tracker-export", kwargs={"fmt": "csv"})).content.decode("utf-8-sig")
    csv_rows = list(csv.DictReader(io.StringIO(body)))
    assert Counter(r["Team"] for r in csv_rows) == {"North team": 3}

    xlsx = client.get(reverse("deadlines:tracker-export", kwargs={"fmt": "xlsx"}))
    sheet: Any = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    team_col = header.index("Team")
    teams = Counter(row[team_col] for row in sheet.iter_rows(min_row=2, values_only=True) if any(row))
    assert teams == {"North team": 3}

    # The other team's manager sees the other two, and the head of service all five.
    client.force_login(council["nick"])
    assert Counter(r.team for r in client.get(reverse("deadlines:tracker")).context["rows"]) == {"South team": 2}
    client.force_login(council["hos"])
    rows = client.get(reverse("deadlines:tracker")).context["rows"]
    assert Counter(r.team for r in rows) == {"North team": 3, "South team": 2}


def test_a_service_managers_weekly_figures_count_only_their_service_area(client, council, make_user):
    sm = make_user(Role.SERVICE_MANAGER, team=None, username="sm")
    council["north"].service_area.managers.add(sm)
    client.force_login(sm)
    figures = client.get(reverse("deadlines:weekly")).context["figures"]
    assert figures.open_total == 3
    client.force_login(council["hos"])
    assert client.get(reverse("deadlines:weekly")).context["figures"].open_total == 5


def test_the_calendar_feed_holds_only_families_in_her_scope(client, council):
    tara = council["tara"]
    # A south family once managed by Tara, now with Nick: it must leave her feed.
    south_family = council["episodes"]["south"][0].family
    feed = client.get(reverse("deadlines:calendar-feed") + "?key=" + tara.calendar_token).content.decode()
    refs = {line.split(":", 2)[1].strip() for line in feed.splitlines() if line.startswith("SUMMARY:")}
    assert refs and _by_team(sorted(refs)) == {"north": len(refs)}
    assert south_family.reference not in feed


def test_alert_emails_hold_only_families_in_the_recipients_scope(council):
    alert_scan(today=TODAY)
    # An alert left over for Tara about a south family (say she covered it once): never emailed to her.
    stray = Alert.objects.create(
        episode=council["episodes"]["south"][0], kind=AlertKind.OVERDUE, recipient=council["tara"], raised_on=TODAY
    )
    mail.outbox.clear()
    alerts_email_pending()
    to_tara = [m for m in mail.outbox if m.to == ["tara@council.example"]]
    to_nick = [m for m in mail.outbox if m.to == ["nick@council.example"]]
    assert to_tara and to_nick
    tara_text = "\n".join(str(m.body) for m in to_tara)
    nick_text = "\n".join(str(m.body) for m in to_nick)
    assert all(f"PLO-N{i}" in tara_text for i in range(3)) and "PLO-S" not in tara_text
    assert all(f"PLO-S{i}" in nick_text for i in range(2)) and "PLO-N" not in nick_text
    stray.refresh_from_db()
    assert stray.emailed_at is not None  # dealt with, not retried for ever
    # Her alert list and its badge leave it out too.
    from deadlines.selectors.alerts import alert_count_unacknowledged, alert_inbox

    pending, _ = alert_inbox(user=council["tara"])
    assert stray.pk not in {a.pk for a in pending}
    assert alert_count_unacknowledged(user=council["tara"]) == len(pending)


def _options(html: str, select_id: str) -> list[str]:
    import re

    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, select_id
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))]


def test_the_tracker_filter_offers_only_the_teams_and_workers_in_her_scope(client, council, make_user):
    """Issue 9: the team list names her teams, not every team in the council."""
    tara = council["tara"]
    south_worker = council["episodes"]["south"][0].family.social_worker
    north_worker = council["episodes"]["north"][0].family.social_worker
    client.force_login(tara)
    html = client.get(reverse("deadlines:tracker")).content.decode()
    assert _options(html, "id_team") == ["All teams", "North team"]
    workers = _options(html, "id_worker")
    assert north_worker.get_full_name() in workers and south_worker.get_full_name() not in workers
    # A team from outside her scope typed into the address is refused beside the field, not obeyed.
    response = client.get(reverse("deadlines:tracker"), {"team": council["south"].pk})
    assert response.context["form"].errors["team"]
    # A team manager who also manages the south team sees both; the head of service every team.
    council["south"].managers.add(tara)
    html = client.get(reverse("deadlines:tracker")).content.decode()
    assert _options(html, "id_team") == ["All teams", "North team", "South team"]
    client.force_login(council["hos"])
    every_team = _options(client.get(reverse("deadlines:tracker")).content.decode(), "id_team")
    assert {"North team", "South team"} <= set(every_team)


def test_the_weekly_history_offers_only_the_service_managers_teams(client, council, make_user):
    sm = make_user(Role.SERVICE_MANAGER, team=None, username="sm")
    council["north"].service_area.managers.add(sm)
    client.force_login(sm)
    html = client.get(reverse("deadlines:weekly-history")).content.decode()
    # No "All teams": those are the whole service's figures, outside her scope.
    assert _options(html, "id_team") == ["North team"]
    # Asking for the other area's team by its id shows her own team's figures, not the other's.
    response = client.get(reverse("deadlines:weekly-history"), {"team": council["south"].pk})
    assert response.context["team"] == council["north"]
    # The stored figures themselves: the service-wide row and the south team's are not hers to read.
    from deadlines.history import weekly_history, weekly_snapshots_backfill

    today = timezone.localdate()
    weekly_snapshots_backfill(today=today, weeks=2)
    assert weekly_history(user=sm, weeks=2, team=None, today=today) == []
    assert weekly_history(user=sm, weeks=2, team=council["south"].pk, today=today) == []
    assert len(weekly_history(user=sm, weeks=2, team=council["north"].pk, today=today)) == 2
    assert len(weekly_history(user=council["hos"], weeks=2, team=None, today=today)) == 2
