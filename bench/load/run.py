#!/usr/bin/env python
"""Load benchmark (a script, not a test): the product under gunicorn on loopback, 50 simulated staff.

    python bench/load/run.py                    # 50 users for 5 minutes (the figures in docs/benchmarks.md)
    python bench/load/run.py --run-time 30s     # a quick look

Sets up everything it needs and removes it afterwards: a throwaway database (`plo_load_<pid>` on
the PostgreSQL of --postgres-url, by default the machine's at 127.0.0.1:5432, or with
--own-postgres a throwaway server on its own port), a throwaway Redis on its own port, the demo
council (`manage.py demo_data`), then gunicorn (production settings, DEBUG off), a Celery worker
and beat. Locust (bench/load/locustfile.py) runs the users. Afterwards it counts the meetings in
the database: every save the users saw succeed must be there ("nothing lost").
Prints p50/p95 per step and overall, errors and throughput; `--markdown` prints them for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from plo_tracker.tests.servers import (  # noqa: E402  (after the sys.path line that makes the project importable)
    PostgresServer,
    RedisServer,
    WebServer,
    manage,
    product_env,
    start_worker,
    stop_worker,
)

USERNAMES = ["clara.clo", "ben.support", "sian.sm"]  # see every family and the tracker; may record meetings
STEPS = ["sign-in page", "sign in", "tracker", "case page", "meeting form", "record a meeting",
         "case page (after saving)"]  # fmt: skip

FIXTURE_SCRIPT = """
import json
from django.utils import timezone
from cases.demo import demo_password
from cases.models import Episode, Family
from meetings.models import Meeting
episodes = Episode.objects.filter(
    stage="pre_proceedings", decision_date__isnull=False, ended_on__isnull=True, family__restricted=False
)
print(json.dumps({
    "today": timezone.localdate().isoformat(),
    "password": demo_password(),
    "families": list(Family.objects.filter(closed_on__isnull=True, restricted=False).values_list("pk", flat=True)),
    "episodes": [
        {"episode": e.pk, "initial_held": e.meetings.filter(kind="initial_meeting", held_on__isnull=False).exists()}
        for e in episodes
    ],
    "meetings": Meeting.objects.count(),
}))
"""
SAVED_SCRIPT = """
import json, re
from meetings.models import Meeting
rows = Meeting.objects.filter(attendees__contains="[load ").values_list("attendees", flat=True)
tokens = [re.search(r"\\[load (\\w+)\\]", a).group(1) for a in rows]
print(json.dumps({"meetings": Meeting.objects.count(), "tokens": tokens}))
"""


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    model = platform.processor() or platform.machine()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    from importlib.metadata import version

    return {
        "cpus (`nproc`)": str(os.cpu_count()),
        "model (`lscpu`)": model,
        "python": platform.python_version(),
        "locust": version("locust"),
        "date": dt.date.today().isoformat(),
    }


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def create_database(base: str, name: str) -> None:
    parts = urlsplit(base)
    subprocess.run(
        ["createdb", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U",
         parts.username or "postgres", name],
        check=True,
    )  # fmt: skip


def drop_database(base: str, name: str) -> None:
    parts = urlsplit(base)
    subprocess.run(
        ["dropdb", "--if-exists", "--force", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
         "-U", parts.username or "postgres", name],
        check=False,
    )  # fmt: skip


def read_stats(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as f:
        return list(csv.DictReader(f))


def table(rows: list[dict[str, str]]) -> list[tuple[str, str, str, str, str, str]]:
    by_name = {r["Name"]: r for r in rows}
    out = []
    for name in [*STEPS, "Aggregated"]:
        r = by_name.get(name)
        if r is None:
            continue
        count = int(r["Request Count"])
        out.append(
            (
                "all requests" if name == "Aggregated" else name,
                f"{count:,}",
                f"{float(r['50%']):.0f} ms",
                f"{float(r['95%']):.0f} ms",
                f"{float(r['99%']):.0f} ms",
                str(int(r["Failure Count"])),
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second (default 5)")
    parser.add_argument("--run-time", default="5m", help="locust run time, e.g. 5m or 30s (default 5m)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (docs/operations.md: 4)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4)")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--own-postgres", action="store_true", help="start a throwaway PostgreSQL server instead")
    parser.add_argument("--markdown", action="store_true", help="print the result as docs/benchmarks.md rows")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="plo-load-"))
    name = f"plo_load_{os.getpid()}"
    own_pg: PostgresServer | None = None
    redis = RedisServer()
    web: WebServer | None = None
    worker: subprocess.Popen[bytes] | None = None
    beat: subprocess.Popen[bytes] | None = None
    base = args.postgres_url
    created = False
    try:
        if args.own_postgres:
            own_pg = PostgresServer().start()
            base = own_pg.url()
        create_database(base, name)
        created = True
        redis.start()
        env = product_env(
            DATABASE_URL=database_url(base, name),
            REDIS_URL=redis.url,
            PLO_HTTPS="0",  # loopback, plain http
            PLO_VAR_DIR=str(work),
            LOG_LEVEL="WARNING",
            PLO_PASSWORD_2FA_REQUIRED="0",  # noqa: S106  (a switch, not a password: the demo signs in with its published password alone)
        )
        print(f"database {name}, redis :{redis.port}, work folder {work}", flush=True)
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "demo_data", timeout=600)
        fixture = json.loads(manage(env, "shell", "-c", FIXTURE_SCRIPT).stdout.strip().splitlines()[-1])
        fixture["usernames"] = USERNAMES
        (work / "fixture.json").write_text(json.dumps(fixture))
        print(
            f"demo data: {len(fixture['families'])} families, {len(fixture['episodes'])} episodes in "
            f"pre-proceedings, {fixture['meetings']} meetings",
            flush=True,
        )

        # keep-alive above the users' longest think time (3 s): a real browser talks to a proxy that
        # holds connections; without it requests race gunicorn closing an idle connection (2 s).
        web = WebServer(
            env=env, log_path=work / "gunicorn.log", workers=args.workers, threads=args.threads, keep_alive=10
        ).start()
        worker = start_worker(env, work / "worker.log", pool="prefork")
        beat_args = [sys.executable, "-m", "celery", "-A", "plo_tracker", "beat", "--loglevel", "WARNING",
                     "--schedule", str(work / "celerybeat-schedule")]  # fmt: skip
        with open(work / "beat.log", "ab") as beat_log:
            beat = subprocess.Popen(beat_args, cwd=ROOT, env=env, stdout=beat_log, stderr=subprocess.STDOUT)

        prefix = work / "locust"
        saved_path = work / "saved.txt"
        saved_path.touch()
        locust_env = dict(os.environ, PLO_LOAD_FIXTURE=str(work / "fixture.json"), PLO_LOAD_SAVED=str(saved_path))
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless",
             "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", args.run_time,
             "--host", web.url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "30",
             "--loglevel", "WARNING"],
            cwd=ROOT, env=locust_env, check=False,
        )  # fmt: skip

        rows = read_stats(prefix)
        by_name = {r["Name"]: r for r in rows}
        acknowledged = set(saved_path.read_text().split())
        stored = json.loads(manage(env, "shell", "-c", SAVED_SCRIPT).stdout.strip().splitlines()[-1])
        in_database = set(stored["tokens"])
        lost = acknowledged - in_database
        unacknowledged = in_database - acknowledged  # saved, but the user never saw the confirmation
        added = stored["meetings"] - fixture["meetings"]
        aggregated = by_name["Aggregated"]
        failures = int(aggregated["Failure Count"])
        server_errors = (work / "gunicorn.log").read_text().count("django.request")

        print()
        info = machine()
        config = (
            f"{args.users} users (spawn {args.spawn_rate:g}/s, 1-3 s think time), {args.run_time}; gunicorn "
            f"{args.workers} workers x {args.threads} threads; Celery worker and beat; Redis; PostgreSQL "
            f"{'throwaway server' if own_pg else 'the machine server'}; locust on the same machine"
        )
        result = table(rows)
        if args.markdown:
            print("| machine | |\n|---|---|")
            for key, value in info.items():
                print(f"| {key} | {value} |")
            print(f"\n{config}.\n")
            print("| step | requests | p50 | p95 | p99 | errors |\n|---|---:|---:|---:|---:|---:|")
            for row in result:
                print("| " + " | ".join(row) + " |")
        else:
            for key, value in info.items():
                print(f"{key:18} {value}")
            print(config)
            print(f"{'step':28} {'requests':>9} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>7}")
            for row in result:
                print(f"{row[0]:28} {row[1]:>9} {row[2]:>8} {row[3]:>8} {row[4]:>8} {row[5]:>7}")
        print(
            f"\nthroughput {float(aggregated['Requests/s']):.1f} requests/s; errors {failures}; "
            f"server errors logged {server_errors}; meetings acknowledged (302) {len(acknowledged)}, new rows "
            f"{added}, acknowledged but missing {len(lost)}, saved but not acknowledged {len(unacknowledged)}: "
            f"{'nothing lost' if not lost and added == len(in_database) else 'LOST'}"
        )
        p95 = float(aggregated["95%"])
        ok = failures == 0 and not lost and not unacknowledged and p95 < 500 and server_errors == 0
        print(f"target p95 < 500 ms, zero errors, nothing lost: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        if beat is not None:
            beat.terminate()
            beat.wait(timeout=20)
        if worker is not None:
            stop_worker(worker)
        if web is not None:
            web.stop()
        redis.close()
        if created:
            drop_database(base, name)
        if own_pg is not None:
            own_pg.close()
        if os.environ.get("PLO_LOAD_KEEP"):
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
