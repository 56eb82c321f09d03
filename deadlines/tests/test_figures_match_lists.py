"""Every linked number opens exactly the cases it counts (issue 20 §5).

A walker reads each page a senior manager or team manager works from, finds every link that
carries a count (``data-count`` on the link), follows it, and counts the rows of the list it
opens (``data-row``; every page of a paginated list; a ``#section`` link counts the rows of that
section of the same page). It is generic: a figure added to any of these pages with a
``data-count`` is checked without being listed here. Run on the demo council and on a built
service (bench/tracker.py's builder) of a few hundred episodes.
"""

from __future__ import annotations

import datetime as dt
import html
import importlib.util
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from accounts.scopes import sees_whole_service, teams_visible_to
from conftest import DEMO_TODAY, demo_council_copied
from deadlines.history import _compute, weekly_snapshots_backfill
from deadlines.screens import episodes_visible
from deadlines.selectors.weekly import weekly_figures
from deadlines.services import calendar_current

LONDON = ZoneInfo("Europe/London")
TODAY = DEMO_TODAY  # Monday 23 November 2026: the day the tests' demo council is built for

_TAG = re.compile(r"<a\b[^>]*>", re.S)
_ATTR = re.compile(r'\b([a-z-]+)="([^"]*)"')
_ROW = re.compile(r"<[a-z]+\b[^>]*\sdata-row[\s>]")
_NEXT = re.compile(r'<a\b[^>]*href="([^"]*)"[^>]*rel="next"')


def counted_links(body: str) -> list[tuple[str, int]]:
    """(href, count) of every link on the page that carries a count."""
    out = []
    for tag in _TAG.findall(body):
        attrs = dict(_ATTR.findall(tag))
        if "data-count" in attrs:
            out.append((html.unescape(attrs["href"]), int(attrs["data-count"])))
    return out


def _section(body: str, anchor: str) -> str:
    """The page from the element with this id to the next heading of the same level."""
    start = body.index(f'id="{anchor}"')
    level = body.rfind("<h", 0, start)
    tag = body[level + 1 : level + 3]
    end = body.find(f"<{tag}", start)
    return body[start : end if end != -1 else len(body)]


def listed(client: Any, page_url: str, page_body: str, href: str) -> int:
    """How many rows the list a link opens holds (every page of it)."""
    if href.startswith("#"):
        return len(_ROW.findall(_section(page_body, href[1:])))
    url = page_url.split("?")[0] + href if href.startswith("?") else href
    rows = 0
    for _ in range(1000):
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        body = response.content.decode()
        rows += len(_ROW.findall(body))
        following = _NEXT.search(body)
        if following is None:
            return rows
        url = url.split("?")[0] + html.unescape(following.group(1))
    raise AssertionError(f"{href} has more than 1,000 pages")


def walk(client: Any, user: User, urls: list[str]) -> dict[str, int]:
    """Follow every counted link on these pages as `user`; returns how many links each page had.
    Fails listing every figure whose number differs from the rows of the list it opens."""
    client.force_login(user)
    wrong: list[str] = []
    checked: dict[str, int] = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, f"{user.username}: {url} answered {response.status_code}"
        body = response.content.decode()
        links = counted_links(body)
        checked[url] = len(links)
        for href, count in links:
            rows = listed(client, url, body, href)
            if rows != count:
                wrong.append(f"{user.username} on {url}: {count} links to {href}, which lists {rows}")
    assert not wrong, "\n".join(wrong)
    return checked


def assert_snapshot_counts_as_the_live_page(users: list[User], day: dt.date) -> None:
    """The weekly snapshot worked out for `day` counts the open episodes by stage as the live
    weekly page does that day, as the history shows it to each user: the whole service's row or
    their own teams' rows, and only the cases they may see (a restricted family stays hidden)."""
    stored = _compute(day)
    for user in users:
        live = {
            f.query["stage"]: f.value
            for f in weekly_figures(user=user, today=day, calendar=calendar_current()).by_stage
        }
        teams = [None] if sees_whole_service(user) else list(teams_visible_to(user).values_list("pk", flat=True))
        visible = set(episodes_visible(user).values_list("pk", flat=True))
        snapshot = {
            stage: sum(
                1 for t in teams if t in stored for pk in stored[t].open_by_stage.get(stage, []) if pk in visible
            )
            for stage in live
        }
        assert snapshot == live, f"{user.username}: snapshot {snapshot}, live {live}"


def _users(*roles: Role) -> list[User]:
    """The first active user (by username) holding each role."""
    return [User.objects.filter(groups__name=role.label, is_active=True).order_by("username")[0] for role in roles]


WEEKLY = reverse("deadlines:weekly")
HISTORY = reverse("deadlines:weekly-history")
TRACKER = reverse("deadlines:tracker")
TEAM = reverse("deadlines:team-dashboard")


@pytest.fixture
def demo_council(django_db_setup, django_db_blocker):
    """The demo council for TODAY (`manage.py demo_data`, built once per run and copied in), the
    database open to the test outside a transaction; the empty database is put back after it."""
    with demo_council_copied(django_db_blocker), django_db_blocker.unblock():
        yield


def test_every_figure_on_the_demo_council_opens_the_cases_it_counts(demo_council, client):
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, tzinfo=LONDON), tick=False):
        hos, ad, tm, clo = _users(
            Role.HEAD_OF_SERVICE, Role.ASSISTANT_DIRECTOR, Role.TEAM_MANAGER, Role.COURT_LIAISON_OFFICER
        )
        sm = User.objects.get(username="sian.sm")
        hos_pages = walk(client, hos, [WEEKLY, HISTORY, "/", TRACKER])
        ad_pages = walk(client, ad, ["/", WEEKLY])
        tm_pages = walk(client, tm, [TEAM, TRACKER])
        walk(client, clo, [TRACKER])
        sm_pages = walk(client, sm, [WEEKLY, HISTORY, TEAM])
        assert_snapshot_counts_as_the_live_page([hos, sm], TODAY)

    # The walk reached the figures it is meant to check (it cannot pass by finding none): the
    # headline, past standard, extended, 3 stages, 5 week bands and 6 outcomes on the weekly
    # screen; 13 weeks of 5 figures on the history; the RAG counts; the senior homes' overruns;
    # the team dashboard's episodes, overdue, due soon, assessments and one per social worker.
    assert hos_pages[WEEKLY] == 17 and sm_pages[WEEKLY] == 17
    assert hos_pages[HISTORY] == 13 * 5 and sm_pages[HISTORY] == 13 * 5
    assert hos_pages[TRACKER] == 3
    assert hos_pages["/"] >= 1 and ad_pages["/"] >= 1
    assert tm_pages[TEAM] >= 5


def _load_builder() -> Any:
    path = Path(__file__).resolve().parents[2] / "bench" / "tracker.py"
    spec = importlib.util.spec_from_file_location("plo_bench_tracker", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db
def test_every_figure_on_a_built_service_opens_the_cases_it_counts(client):
    """The large service's builder, small: 240 open and 60 ended episodes in 4 teams (with more
    than one page of the tracker, so the walker follows the pagination)."""
    from django.db import connection

    bench = _load_builder()
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=LONDON), tick=False):
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        built = bench._build(
            today=dt.date(2027, 3, 1),
            open_episodes=240,
            deadlines_per_episode=10,
            ended_episodes=60,
            small_team=10,
            teams=4,
            overdue_share=0.1,
            seed=bench.SEED,
            prefix="",
            first_reference=1,
            seniors=True,
        )
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
        weekly_snapshots_backfill(today=dt.date(2027, 3, 1), weeks=13)
        pages = walk(client, built["hos"], [WEEKLY, HISTORY, "/", TRACKER])
        walk(client, built["ads"][0], ["/"])
        team_pages = walk(client, built["tm"], [TEAM, TRACKER])
        assert_snapshot_counts_as_the_live_page([built["hos"]], dt.date(2027, 3, 1))
    assert pages[WEEKLY] == 17 and pages[HISTORY] == 13 * 5 and pages[TRACKER] == 3
    assert team_pages[TEAM] >= 5
