"""Benchmark a large service (a script, not a test): ``python bench/large.py``.

Issue #14 §2: a shared or regional service, or several years of one large council, holds 20,000
open episodes and 500,000 stored deadlines. The screens a team works from must cost what the
team's share costs, not what the whole service holds (indexes, not scans), and the 07:00 alert
scan must grow no faster than the deadlines it reads.

In one throwaway database (``bench_plo_<pid>``, on the embedded PostgreSQL or DATABASE_URL):

1. build 2,000 open episodes (50,000 deadlines) in 8 teams of about 250;
   time a team manager's dashboard, the tracker filtered to that team (as the CLO), and a case
   page of that team; time the first alert scan of a day over the 50,000, then clear the alerts;
2. add 18,000 open episodes (450,000 deadlines) in 72 more teams of the same size, so the
   measured team is unchanged and the service is ten times larger;
   time the same three views; the first scan of the same day over 500,000 deadlines; its re-run
   (nothing changed since, so it skips), and the same re-run forced to do the full work;
3. run scans side by side on two connections: two scans of the next day, then a catch-up of
   a day with the scan of the day after it (they insert the same alert keys). Each must finish
   with no error and the alerts must be exactly those one scan at a time would raise.

Prints every ratio with its target and exits 1 if one is missed. ``--markdown`` prints tables
for docs/benchmarks.md. Drops the database afterwards.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tracker import (
    Result,
    Target,
    ThrowawayDatabase,
    build,
    django_setup,
    machine,
    print_results,
    report_targets,
    select_one_round_trip,
    timed,
)

SMALL, LARGE = 2000, 20000
TEAM_SIZE = 250
BUILD_LIMIT_S = 180


def run(markdown: bool) -> int:
    django_setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from deadlines import alerts
    from deadlines.models import Alert
    from deadlines.services import calendar_current

    # The broker is not what is measured: the scan's outbox row for the email job is skipped.
    alerts.outbox_enqueue = lambda *args, **kwargs: None  # type: ignore[assignment]

    with ThrowawayDatabase():
        cal = calendar_current()
        today = cal.roll_back(timezone.localdate())  # the scan does nothing on a non-working day
        start = time.perf_counter()
        data = build(today=today, open_episodes=SMALL, small_team=0, teams=SMALL // TEAM_SIZE)
        built_small = time.perf_counter() - start
        deadlines_small = data["deadlines"]
        info = machine()
        rtt = select_one_round_trip()

        clients: dict[int, Client] = {}

        def get(user: Any, url: str, **query: Any) -> Callable[[], object]:
            # One signed-in client per person, signed in once: a sign-in before every request
            # (a new session row, last_login and its audit row) is not part of the view's cost.
            if user.pk not in clients:
                clients[user.pk] = Client()
                clients[user.pk].force_login(user)
            client = clients[user.pk]

            def fetch() -> object:
                response = client.get(url, query)
                assert response.status_code == 200, (url, response.status_code)
                return response

            return fetch

        team = data["team"]
        views: dict[str, Callable[[], object]] = {
            "team dashboard (the team's manager)": get(data["tm"], reverse("deadlines:team-dashboard")),
            "tracker filtered to the team (CLO)": get(data["clo"], reverse("deadlines:tracker"), team=team.pk),
            "case page of a family in the team": get(
                data["tm"], reverse("cases:family-detail", args=[data["family"].pk])
            ),
        }
        small = {name: timed(fn) for name, fn in views.items()}

        def scan_first() -> tuple[float, int]:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE deadlines_alert")
            t = time.perf_counter()
            created = alerts.alert_scan(today=today, calendar=cal).created
            return time.perf_counter() - t, created

        scan_small, created_small = min(scan_first() for _ in range(3))

        # Ten times the service: 72 more teams of the same size; the measured team is unchanged.
        start = time.perf_counter()
        more = build(
            today=today,
            open_episodes=LARGE - SMALL,
            small_team=0,
            teams=(LARGE - SMALL) // TEAM_SIZE,
            prefix="x",
            first_reference=SMALL + 1,
            seed=7,
            seniors=False,
        )
        built = built_small + time.perf_counter() - start
        deadlines_large = deadlines_small + more["deadlines"]
        large = {name: timed(fn) for name, fn in views.items()}

        scan_large, created_large = min(scan_first() for _ in range(2))
        rerun = timed(lambda: alerts.alert_scan(today=today, calendar=cal), repeats=3)
        assert alerts.alert_scan(today=today, calendar=cal).unchanged, "the re-run did not find the day unchanged"
        # What a re-run costs when something did change since the first (the full work again).
        rerun_full = timed(lambda: alerts.alert_scan(today=today, calendar=cal, force=True), repeats=3)

        # Side by side: two scans of the next day; a catch-up of a day with the scan after it.
        errors: list[str] = []

        def together(*days: Any) -> tuple[float, list[int]]:
            created: list[int] = []
            barrier = threading.Barrier(len(days))

            def scan(day: Any) -> None:
                try:
                    barrier.wait()
                    created.append(alerts.alert_scan(today=day, calendar=cal).created)
                except Exception as exc:  # counted and printed: the target is none
                    errors.append(f"{day}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                finally:
                    connection.close()

            threads = [threading.Thread(target=scan, args=(d,)) for d in days]
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            return time.perf_counter() - t, created

        day1 = cal.next_working_day(today)
        day2 = cal.next_working_day(day1)
        day3 = cal.next_working_day(day2)
        t_two, two = together(day1, day1)
        t_catch, catch = together(day2, day3)
        # Nothing missed: one more scan of each day, alone, finds nothing left to raise.
        missed = sum(alerts.alert_scan(today=d, calendar=cal, force=True).created for d in (day1, day2, day3))
        duplicates = (
            Alert.objects.values("episode", "deadline", "kind", "recipient", "due_on")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )

    results: list[Result] = [("bare `SELECT 1` round trip", rtt, rtt, "", "baseline")]
    targets: list[Target] = []
    for name in views:
        (b_small, m_small), (b_large, m_large) = small[name], large[name]
        results.append((f"{name}, {SMALL:,} episodes", b_small, m_small, "", "baseline"))
        results.append((f"{name}, {LARGE:,} episodes", b_large, m_large, f"{b_large / b_small:.2f}× at {SMALL:,}", ""))
        targets.append((f"{name} at {LARGE:,} ÷ at {SMALL:,}", b_large / b_small, 1.5))
    results += [
        (
            f"first scan of {deadlines_small:,} deadlines: {created_small:,} alerts",
            scan_small,
            scan_small,
            "",
            "baseline",
        ),
        (
            f"first scan of {deadlines_large:,} deadlines: {created_large:,} alerts",
            scan_large,
            scan_large,
            f"{scan_large / scan_small:.1f}× the scan of {deadlines_small:,}",
            "",
        ),
        (
            "its re-run the same day, nothing changed since: 0 alerts",
            *rerun,
            f"{rerun[0] / scan_large:.4f}× the first",
            "skips: the day's snapshot saw every change",
        ),
        (
            "its re-run the same day after a change (the full work): 0 alerts",
            *rerun_full,
            f"{rerun_full[0] / scan_large:.3f}× the first",
            "not a target",
        ),
        (
            f"two scans of one day at once: {' + '.join(f'{n:,}' for n in two)} created",
            t_two,
            t_two,
            "",
            f"{len(errors)} errors",
        ),
        (
            f"a catch-up and the next day's scan at once: {' + '.join(f'{n:,}' for n in catch)} created",
            t_catch,
            t_catch,
            "",
            f"{missed} missed, {duplicates} duplicated",
        ),
    ]
    targets += [
        (f"alert scan of {deadlines_large:,} ÷ scan of {deadlines_small:,}", scan_large / scan_small, 12),
        ("alert scan re-run ÷ its first run (500,000 deadlines)", rerun[0] / scan_large, 0.1),
        (f"building the data ({built:.0f} s) ÷ {BUILD_LIMIT_S} s", built / BUILD_LIMIT_S, 1),
        (
            "scans side by side: errors + missed + duplicated alerts",
            float(len(errors) + missed + duplicates),
            0,
        ),
    ]
    summary = (
        f"Data: {SMALL:,} then {LARGE:,} open episodes in teams of about {TEAM_SIZE} "
        f"({deadlines_small:,} then {deadlines_large:,} stored deadlines; built in {built:.0f} s). "
        "Views: best and median of at least 5 runs (as many as fit in a second) after a warm-up, server-side "
        "(Django test Client)."
    )
    print_results(info, summary, results, markdown)
    for error in errors:
        print(f"  error: {error}")
    return report_targets(targets, markdown)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print rows for docs/benchmarks.md")
    sys.exit(1 if run(parser.parse_args().markdown) else 0)
