"""Benchmark importing a council's tracker (a script, not a test): ``python bench/tracker_import.py``.

Creates a throwaway database (``bench_plo_<pid>``) with the sample tracker's teams and staff,
builds a 2,000-row tracker CSV from the sample's nine valid families (fresh case IDs and child IDs
on every row; one row per family, every step from LPM to outcome present somewhere), then times
once each, server-side:

* reading the CSV and checking every row (the preview);
* importing all 2,000 families (the button / the command): families, children, parents,
  episodes pinned to the policy, LPMs, letters, meetings, assessments, extensions, outcomes and
  every deadline, through the services, in one transaction;
* importing the same file again (idempotent: nothing changes);

against a baseline in the same process: importing a 20-row file. Targets (issue #12): importing
2,000 rows under 30 s, and the preview of them under 10 s; the script exits with status 1 when
either is missed. ``--markdown`` prints the rows for docs/benchmarks.md. Drops the database
afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tracker import ThrowawayDatabase, django_setup, machine, print_results, select_one_round_trip

ROWS = 2000
BASELINE_ROWS = 20
IMPORT_TARGET_S = 30.0
PREVIEW_TARGET_S = 10.0


def _csv(rows: int, prefix: str) -> bytes:
    from imports.sample import sample_tracker_csv

    return sample_tracker_csv(rows, prefix)


def _council() -> object:
    from accounts.roles import Role
    from accounts.tests.factories import TeamFactory, UserFactory
    from imports.tests.conftest import SAMPLE_STAFF

    teams = {}
    for _username, _first, _last, _role, team in SAMPLE_STAFF:
        teams.setdefault(team, TeamFactory(name=team))
    for username, first, last, role, team in SAMPLE_STAFF:
        UserFactory(username=username, first_name=first, last_name=last, roles=[role], team=teams[team])
    return UserFactory(username="clara.clo", roles=[Role.COURT_LIAISON_OFFICER], team=None)


def run(markdown: bool, rows: int = ROWS) -> int:
    django_setup()
    import time_machine

    from imports.fields import mapping_guess
    from imports.parsing import COMMAND_LIMITS, read_tracker
    from imports.sample import SAMPLE_TODAY
    from imports.services import tracker_check, tracker_import

    with ThrowawayDatabase(), time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=True):
        clo = _council()
        info = machine()
        rtt = select_one_round_trip()

        def do_import(data: bytes) -> tuple[float, object]:
            start = time.perf_counter()
            sheet = read_tracker("t.csv", data, COMMAND_LIMITS)
            result = tracker_import(sheet=sheet, mapping=mapping_guess(sheet.headers), by=clo, today=SAMPLE_TODAY)
            return time.perf_counter() - start, result

        small, small_result = do_import(_csv(BASELINE_ROWS, "BASE"))
        big_data = _csv(rows, "BIG")
        start = time.perf_counter()
        sheet = read_tracker("t.csv", big_data, COMMAND_LIMITS)
        check = tracker_check(sheet=sheet, mapping=mapping_guess(sheet.headers), today=SAMPLE_TODAY)
        checked = time.perf_counter() - start
        big, big_result = do_import(big_data)
        again, again_result = do_import(big_data)
    per_small = small / BASELINE_ROWS
    results = [
        (f"import {BASELINE_ROWS} rows (baseline)", small, small, "1.0× per row", f"{small_result.created} created"),  # type: ignore[attr-defined]
        (
            f"read and check {rows:,} rows (preview)",
            checked,
            checked,
            f"{checked / small:.1f}× the baseline file",
            f"{check.count_new} new, {check.error_rows} errors; target < {PREVIEW_TARGET_S:g} s "
            + ("✔" if checked < PREVIEW_TARGET_S else "✘"),
        ),
        (
            f"import {rows:,} rows",
            big,
            big,
            f"{(big / rows) / per_small:.2f}× baseline per row",
            f"{big_result.created} created, {big_result.deadlines:,} deadlines; "  # type: ignore[attr-defined]
            + f"target < {IMPORT_TARGET_S:g} s "
            + ("✔" if big < IMPORT_TARGET_S else "✘"),
        ),
        (
            f"import the same {rows:,} rows again",
            again,
            again,
            f"{again / big:.2f}× the first import",
            f"{again_result.unchanged} unchanged, {again_result.created} created",
        ),  # type: ignore[attr-defined]
    ]
    summary = f"SELECT 1 round trip: {rtt * 1000:.2f} ms. One run each (an import cannot be repeated on the same data)."
    print_results(info, summary, results, markdown)
    missed = [
        what
        for what, took, limit in (
            (f"import {rows:,} rows", big, IMPORT_TARGET_S),
            (f"preview {rows:,} rows", checked, PREVIEW_TARGET_S),
        )
        if took >= limit
    ]
    if big_result.created != rows:  # type: ignore[attr-defined]
        missed.append(f"import {rows:,} rows: only {big_result.created} created")  # type: ignore[attr-defined]
    for what in missed:
        print(f"MISSED: {what}")
    return 1 if missed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print rows for docs/benchmarks.md")
    parser.add_argument("--rows", type=int, default=ROWS, help=f"rows in the big file (default {ROWS})")
    args = parser.parse_args()
    sys.exit(run(args.markdown, args.rows))
