"""Benchmark the 07:00 alert scan (a script, not a test): ``python bench/alerts.py``.

Creates a throwaway database (``bench_plo_<pid>``) on the embedded PostgreSQL, or on the server
of DATABASE_URL, bulk-creates 4,000 open episodes with 100,000 stored deadlines (8% of those
already due left open, so overdue, as in a service that is behind), then times:

* the first scan of the day (creates every alert);
* a second scan the same day (creates nothing);
* two scans at once on two connections (the second creates nothing);
* the email job for everything the first scan raised (locmem backend: building and "sending");
* the header's unacknowledged-alert count for one user;

against a bare ``SELECT 1`` round trip. Targets (issue #5): first scan < 5 s, second < 1 s.
``--markdown`` prints the rows for docs/benchmarks.md. Drops the database afterwards.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tracker import (
    Result,
    ThrowawayDatabase,
    build,
    django_setup,
    machine,
    print_results,
    report_targets,
    select_one_round_trip,
    timed,
)


def run(markdown: bool) -> int:
    django_setup()
    from django.db import connection
    from django.utils import timezone

    from deadlines import alerts
    from deadlines.models import Alert
    from deadlines.selectors.alerts import alert_count_unacknowledged
    from deadlines.services import calendar_current

    # The email job is timed on its own below, not through the broker.
    alerts.outbox_enqueue = lambda *args, **kwargs: None  # type: ignore[assignment]  # no e-mail job from the scan

    with ThrowawayDatabase():
        cal = calendar_current()
        today = cal.roll_back(timezone.localdate())  # the scan does nothing on a non-working day
        start = time.perf_counter()
        data = build(today=today, open_episodes=4000, ended_episodes=0, small_team=0)
        built = time.perf_counter() - start
        info = machine()
        rtt = select_one_round_trip()

        start = time.perf_counter()
        first = alerts.alert_scan(today=today, calendar=cal)
        t_first = time.perf_counter() - start
        second_best, second_median = timed(lambda: alerts.alert_scan(today=today, calendar=cal))
        assert alerts.alert_scan(today=today, calendar=cal, force=True).created == 0

        # Two beats at once, the day after: each on its own connection; together they create
        # what one would, and neither fails (the unique constraint settles the race).
        next_day = cal.next_working_day(today)
        created: list[int] = []
        errors: list[str] = []

        def scan() -> None:
            try:
                created.append(alerts.alert_scan(today=next_day, calendar=cal).created)
            except Exception as exc:  # counted: the target is none
                errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
            finally:
                connection.close()

        threads = [threading.Thread(target=scan) for _ in range(2)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        t_both = time.perf_counter() - start
        total = Alert.objects.filter(raised_on=next_day).count()
        missed = alerts.alert_scan(today=next_day, calendar=cal, force=True).created

        start = time.perf_counter()
        sent = alerts.alerts_email_pending()
        t_mail = time.perf_counter() - start
        stored = Alert.objects.count()
        count_best, count_median = timed(lambda: alert_count_unacknowledged(user=data["tm"]), repeats=50)

    n = data["deadlines"]
    results: list[Result] = [
        ("bare `SELECT 1` round trip", rtt, rtt, "", "baseline"),
        (
            f"first scan of {n:,} deadlines: {first.created:,} alerts",
            t_first,
            t_first,
            f"{t_first / n * 1e6:.1f} µs a deadline",
            "target < 5 s",
        ),
        (
            "second scan the same day: 0 alerts",
            second_best,
            second_median,
            f"{second_best / t_first:.2f}× the first",
            "target < 1 s",
        ),
        (
            f"two scans at once (next day): {' + '.join(f'{n:,}' for n in created)} created, {total:,} stored",
            t_both,
            t_both,
            "",
            f"{len(errors)} errors, {missed} missed",
        ),
        (
            f"email job: {sent:,} emails for {stored:,} alerts",
            t_mail,
            t_mail,
            f"{t_mail / stored * 1e6:.0f} µs an alert",
            "",
        ),
        (
            "header alert count (one user)",
            count_best,
            count_median,
            f"{count_best / rtt:.0f}× `SELECT 1`",
            "one indexed COUNT",
        ),
    ]
    summary = (
        f"Data: {data['episodes_open']:,} open episodes, {n:,} stored deadlines, 8% of those already due left "
        f"open (overdue), 3 heads of service, 2 assistant directors (built in {built:.0f} s)."
    )
    print_results(info, summary, results, markdown)
    for error in errors:
        print(f"  error: {error}")
    return report_targets(
        [
            ("second scan the same day ÷ the first", second_best / t_first, 0.1),
            ("two scans at once: errors + missed alerts", float(len(errors) + missed), 0),
            ("two scans at once: created ÷ stored (1 = nothing twice)", sum(created) / max(total, 1), 1),
        ],
        markdown,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print rows for docs/benchmarks.md")
    sys.exit(1 if run(parser.parse_args().markdown) else 0)
