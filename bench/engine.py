"""Benchmark the deadline engine (a script, not a test): ``python bench/engine.py``.

Measures, in one process:

1. ``WorkingCalendar.add_working_days`` per scalar call against ``numpy.busday_offset`` per
   scalar call with a prebuilt ``busdaycalendar`` (numpy's fastest scalar path), and
   ``working_days_between`` against ``numpy.busday_count``;
2. 10,000 full timetables over a mix of the five policies and episode states;
3. the memory of the calendar's precomputed index (tracemalloc).

Targets (the issue): scalar call at least as fast as numpy's; 10,000 timetables < 1 s;
calendar index < 5 MB. ``--markdown`` prints the table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deadlines.engine import WorkingCalendar, load_policy, timetable
from deadlines.engine.calendar import _build_index, bank_holidays
from deadlines.engine.policies import Policy

SEED = 20260304
CALLS = 200_000
TIMETABLES = 10_000
REPEATS = 7


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Fastest of ``repeats`` runs, in seconds (the least disturbed by other processes)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def machine() -> dict[str, str]:
    model = platform.processor() or "unknown"
    lscpu = shutil.which("lscpu")
    if lscpu:
        # A fixed absolute path, no input.
        out = subprocess.run([lscpu], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "model": model,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
    }


# -- 1. scalar calendar calls ----------------------------------------------------------------------


def bench_scalar(cal: WorkingCalendar) -> dict[str, float]:
    rng = random.Random(SEED)  # reproducible benchmark data, not security
    first, last = cal.years
    holidays = np.array(bank_holidays(first, last), dtype="datetime64[D]")
    busdaycal = np.busdaycalendar(weekmask="1111100", holidays=holidays)
    # Inside the default precomputed range, so no call pays for a lazy extension.
    start, span = dt.date(2021, 1, 1).toordinal(), 14 * 365
    days = [dt.date.fromordinal(start + rng.randrange(span)) for _ in range(CALLS)]
    ns = [rng.choice([-1, 1]) * rng.randrange(1, 60) for _ in range(CALLS)]
    pairs = list(zip(days, ns, strict=True))
    pairs64 = [(np.datetime64(d, "D"), n) for d, n in pairs]
    ends = [dt.date.fromordinal(d.toordinal() + rng.randrange(-120, 120)) for d in days]
    spans = list(zip(days, ends, strict=True))
    spans64 = [(np.datetime64(a, "D"), np.datetime64(b, "D")) for a, b in spans]

    add = cal.add_working_days
    between = cal.working_days_between
    offset = np.busday_offset
    count = np.busday_count

    def ours() -> None:
        for d, n in pairs:
            add(d, n)

    def numpy_date() -> None:
        for d, n in pairs:
            offset(d, n, roll="forward", busdaycal=busdaycal)

    def numpy_dt64() -> None:
        for d, n in pairs64:
            offset(d, n, roll="forward", busdaycal=busdaycal)

    def ours_between() -> None:
        for a, b in spans:
            between(a, b)

    def numpy_count() -> None:
        for a, b in spans64:
            count(a, b, busdaycal=busdaycal)

    per_call = 1e9 / CALLS  # seconds for CALLS calls -> ns per call
    return {
        "add_working_days": best_of(ours) * per_call,
        "busday_offset(date)": best_of(numpy_date) * per_call,
        "busday_offset(datetime64)": best_of(numpy_dt64) * per_call,
        "working_days_between": best_of(ours_between) * per_call,
        "busday_count(datetime64)": best_of(numpy_count) * per_call,
    }


# -- 2. full timetables ----------------------------------------------------------------------------


Case = tuple[Policy, Mapping[str, dt.date | Sequence[dt.date]], dt.date, str | None, int]


def episode_cases(cal: WorkingCalendar, n: int) -> list[Case]:
    """A seeded mix of the five policies and the states an episode passes through."""
    rng = random.Random(SEED)  # reproducible benchmark data, not security
    names = ("standard", "gloucestershire", "st_helens", "sutton", "pre_action_flowchart")
    policies = [load_policy(name) for name in names]
    cases: list[Case] = []
    for _ in range(n):
        policy = rng.choice(policies)
        d = cal.roll_back(dt.date(2025, 1, 6) + dt.timedelta(days=rng.randrange(900)))
        stage = rng.randrange(8)
        events: dict[str, dt.date | list[dt.date]] = {}
        outcome: str | None = "initiate"
        ext = 0
        if stage == 0:  # request made, no LPM yet
            key = "lpm_request" if "lpm_request" in policy.event_keys else "lpm_approved"
            if key in policy.event_keys:
                events[key] = d - dt.timedelta(days=14)
            outcome = None
        else:
            events["lpm_held"] = d
        if stage >= 2:
            events["letter_before_proceedings"] = cal.add_working_days(d, rng.randrange(2, 7))
            if "letter_deadline" in policy.event_keys:
                events["letter_deadline"] = cal.add_working_days(d, 5)
        if stage >= 3:
            initial = cal.add_working_days(d, rng.randrange(9, 16))
            events["initial_meeting"] = initial
            events["review_meeting"] = [initial + dt.timedelta(weeks=4 * k + 4) for k in range(rng.randrange(0, 3))]
            ext = rng.randrange(0, (policy.max_extension_weeks or 4) + 1)
        if stage == 4:
            events["gateway_review"] = [d + dt.timedelta(weeks=8)]
        if stage == 5:  # stepped up to issue at week 12
            events["pre_proceedings_end"] = d + dt.timedelta(weeks=12)
            if "issue_decision" in policy.event_keys:
                events["issue_decision"] = d + dt.timedelta(weeks=12)
            outcome = "issue"
        if stage == 6:
            outcome = "defer"
            events.pop("letter_before_proceedings", None)
            events.pop("letter_deadline", None)
        if stage == 7 and "issue_decision" in policy.event_keys:  # issue at the LPM
            outcome = "issue"
            events = {
                "lpm_held": d,
                "issue_decision": d,
                "proceedings_issued": d + dt.timedelta(days=13),
            }
        if stage in (6, 7) and "issue_decision" not in policy.event_keys:
            outcome = "nfa"
        today = d + dt.timedelta(days=rng.randrange(-10, 160))
        cases.append((policy, events, today, outcome, ext))
    return cases


def bench_timetables(cal: WorkingCalendar) -> dict[str, float]:
    cases = episode_cases(cal, TIMETABLES)
    milestones = sum(
        len(timetable(p, ev, cal, today, outcome=o, extension_weeks=x).milestones) for p, ev, today, o, x in cases
    )

    def run() -> None:
        for p, ev, today, o, x in cases:
            timetable(p, ev, cal, today, outcome=o, extension_weeks=x)

    seconds = best_of(run, repeats=5)
    return {
        "seconds": seconds,
        "per_timetable_us": seconds / TIMETABLES * 1e6,
        "milestones_per_timetable": milestones / TIMETABLES,
    }


def bench_full_timetable(cal: WorkingCalendar) -> dict[str, float]:
    """The heaviest common case: standard policy mid-episode, every milestone computed."""
    policy = load_policy("standard")
    d = dt.date(2026, 3, 4)
    events: dict[str, dt.date | list[dt.date]] = {
        "lpm_request": dt.date(2026, 2, 2),
        "lpm_held": d,
        "letter_before_proceedings": dt.date(2026, 3, 10),
        "initial_meeting": dt.date(2026, 3, 20),
        "review_meeting": [dt.date(2026, 4, 17), dt.date(2026, 5, 15)],
        "gateway_review": [dt.date(2026, 4, 29)],
        # Since policies 2026.2 the standard policy times approved minutes for gateway reviews only.
        "approved_minutes:gateway_review": [dt.date(2026, 5, 5)],
    }
    today = dt.date(2026, 5, 20)
    size = len(timetable(policy, events, cal, today, outcome="initiate").milestones)

    def run() -> None:
        for _ in range(TIMETABLES):
            timetable(policy, events, cal, today, outcome="initiate", extension_weeks=2)

    seconds = best_of(run, repeats=5)
    return {"seconds": seconds, "milestones": float(size)}


def bench_construction() -> dict[str, float]:
    """Building one calendar per request: the index is shared through a cache."""
    closures = [dt.date(2026, 12, 29), dt.date(2026, 12, 30), dt.date(2026, 12, 31)]
    WorkingCalendar(closures=closures)
    n = 20_000

    def run() -> None:
        for _ in range(n):
            WorkingCalendar(closures=closures)

    return {"us": best_of(run, repeats=5) / n * 1e6}


# -- 3. memory -------------------------------------------------------------------------------------


def bench_memory() -> dict[str, float]:
    first, last = WorkingCalendar().years  # the default range: this year -6 .. +10
    build: Any = _build_index.__wrapped__  # bypass the cache so the build is measured
    build(first, last, frozenset())  # warm the per-year bank-holiday cache
    tracemalloc.start()
    try:
        index = build(first, last, frozenset())
        size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del index
    tracemalloc.start()
    try:
        wide = build(1950, 2049, frozenset())
        wide_size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del wide
    return {
        "years": float(last - first + 1),
        "index_mb": size / 2**20,
        "peak_mb": peak / 2**20,
        "century_index_mb": wide_size / 2**20,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()

    cal = WorkingCalendar()
    info = machine()
    scalar = bench_scalar(cal)
    tts = bench_timetables(cal)
    mem = bench_memory()
    full = bench_full_timetable(cal)
    build = bench_construction()
    best_numpy = scalar["busday_offset(datetime64)"]
    rows = [
        ("add_working_days, per call", f"{scalar['add_working_days']:.0f} ns", ""),
        (
            "numpy.busday_offset, date in",
            f"{scalar['busday_offset(date)']:.0f} ns",
            f"ours is {scalar['busday_offset(date)'] / scalar['add_working_days']:.1f}x faster",
        ),
        (
            "numpy.busday_offset, datetime64 in (best case)",
            f"{best_numpy:.0f} ns",
            f"ours is {best_numpy / scalar['add_working_days']:.1f}x faster (target >= 1x)",
        ),
        ("working_days_between, per call", f"{scalar['working_days_between']:.0f} ns", ""),
        (
            "numpy.busday_count, datetime64 in",
            f"{scalar['busday_count(datetime64)']:.0f} ns",
            f"ours is {scalar['busday_count(datetime64)'] / scalar['working_days_between']:.1f}x faster",
        ),
        (
            f"{TIMETABLES:,} timetables (5 policies, mixed states)",
            f"{tts['seconds'] * 1000:.0f} ms",
            f"{tts['per_timetable_us']:.1f} us each, "
            f"{tts['milestones_per_timetable']:.1f} milestones avg (target < 1 s)",
        ),
        (
            f"{TIMETABLES:,} timetables, standard policy mid-episode",
            f"{full['seconds'] * 1000:.0f} ms",
            f"{full['seconds'] / TIMETABLES * 1e6:.1f} us each, {full['milestones']:.0f} milestones",
        ),
        ("WorkingCalendar(closures=...) per request", f"{build['us']:.1f} us", "index cached"),
        (
            f"calendar index, {mem['years']:.0f} years",
            f"{mem['index_mb']:.2f} MB",
            f"peak while building {mem['peak_mb']:.2f} MB (target < 5 MB)",
        ),
        ("calendar index, 100 years (lazily extended)", f"{mem['century_index_mb']:.2f} MB", ""),
    ]
    ok = (
        scalar["add_working_days"] <= best_numpy
        and tts["seconds"] < 1.0
        and full["seconds"] < 1.0
        and mem["index_mb"] < 5.0
    )
    if args.markdown:
        print("| machine | |\n|---|---|")
        for k, v in info.items():
            print(f"| {k} | {v} |")
        print("\n| measurement | result | notes |\n|---|---:|---|")
        for name, value, note in rows:
            print(f"| {name} | {value} | {note} |")
    else:
        for k, v in info.items():
            print(f"{k:>14}: {v}")
        print()
        width = max(len(r[0]) for r in rows)
        for name, value, note in rows:
            print(f"{name:<{width}}  {value:>10}  {note}")
    print(f"\nall targets met: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
