#!/usr/bin/env python
"""The production topology rehearsed on one machine, under a day's load, with faults (issue 22).

    python bench/topology.py            # the full run (about 20 minutes), figures for docs/benchmarks.md
    python bench/topology.py --quick    # a short check of every part (about 8 minutes)

Everything on loopback, real servers from Debian and PyPI, each with its own port and files under
var/bench-topology-<pid>/ (removed afterwards unless --keep):

* PostgreSQL 15 (Debian's binaries, its own data folder and port, fsync on): restarted during the
  faults without touching the machine's shared server;
* PgBouncer in transaction pooling mode in front of it: every product process connects through it;
* Redis (broker and results);
* haproxy with health checks on /health/ in front of two gunicorn "nodes" (each its own process
  group and port, production settings: plo_tracker.gunicorn_conf, DEBUG off);
* two Celery workers (acks late, as configured) and beat; a second beat is started as after a
  failover.

The data: bench/tracker.py's builder makes 2,000 open episodes (50,000 deadlines) in 40 teams with
about 300 social workers, 41 team managers, 4 court liaison officers, business support and legal
advisers; a second database holds the 25-family demo council (`manage.py demo_data`). Locust
(bench/load/topology_locustfile.py) plays the working day's mix.

Phases, in one run so the ratios compare like with like:

1. saturation: users stepped up until p95 passes 500 ms, on the two-node topology at 2,000 open
   episodes, on a single gunicorn with the same workers (straight to PostgreSQL), and on the
   two-node topology with the demo council; the saturation throughput is the highest requests/s
   of a step whose p95 was within 500 ms;
2. server CPU per request for each page: the CPU time the server processes (gunicorn, haproxy,
   PgBouncer, PostgreSQL) spent, over a run of requests one at a time;
3. the busy hour: 300 staff each opening a page about every 30 s, with an alert scan and its
   emails running;
4. faults while Locust runs: a web node killed, a worker killed mid-task, PgBouncer, Redis and
   PostgreSQL restarted, beat failing over. After each: every acknowledged save in the database
   once (each form's token), alerts once, and the time until the service answered again.

Prints every figure with its target and exits 1 if one is missed (this shared machine is busy:
misses are reported as they are). `--markdown` prints the tables for docs/benchmarks.md and
`--chart PATH` writes the SVG chart of p95 against users.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import pickle
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import psycopg2
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plo_tracker.tests.servers import (  # noqa: E402
    PostgresServer,
    RedisServer,
    free_port,
    port_open,
    product_env,
    wait_until,
)

PY = sys.executable
LOCUSTFILE = ROOT / "bench" / "load" / "topology_locustfile.py"
P95_LIMIT_MS = 500
LARGE_DB, DEMO_DB = "plo_bench", "plo_bench_demo"
DAY_MIX = "sw=12,tm=4,clo=2,hos=1"  # the saturation steps: each kind of page in every step
STAFF_MIX = "sw=300,tm=40,clo=4,hos=1"  # the busy hour: staff as they are in the service
NODE_WORKERS, THREADS = 2, 4
TWO_LARGE, SINGLE_LARGE, TWO_DEMO = (
    "two nodes, large service",
    "single gunicorn, large service",
    "two nodes, demo",
)  # per node; the single gunicorn has both nodes' workers


# --- Servers ------------------------------------------------------------------------------------


class Postgres(PostgresServer):
    """Debian's PostgreSQL 15 on its own port and folder, durable (fsync on), restartable."""

    def start(self) -> Postgres:
        if not (self.data / "PG_VERSION").exists():
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            )
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=100 -c shared_buffers=256MB "
            "-c timezone=UTC"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        wait_until(lambda: port_open(self.port), timeout=30, what="postgres")
        return self

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: open connections are ended, the server is back in a second or two."""
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
            "restart",
            timeout=90,
        )

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def version(self) -> str:
        out = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True, text=True, check=True)
        m = re.search(r"PostgreSQL\) (\S+)", out.stdout)
        return m.group(1) if m else out.stdout.strip()


@dataclass
class Proc:
    """A server process in its own process group, logging to a file; can be killed and started again."""

    name: str
    args: list[str]
    log: Path
    env: dict[str, str] | None = None
    user: str | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with open(self.log, "ab") as log:
            kwargs: dict[str, Any] = {"user": self.user} if self.user else {}
            self.popen = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **kwargs,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL the process and its children (a crash, not a shutdown)."""
        if self.popen is None:
            return
        self.signal_group(signal.SIGKILL)
        self.popen.wait(timeout=20)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 25) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        self.signal_group(sig)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def http_ok(url: str, timeout: float = 3) -> bool:
    try:
        return requests.get(url, timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def gunicorn(name: str, port: int, workers: int, env: dict[str, str], work: Path) -> Proc:
    """A gunicorn node as docs/operations.md runs it (its config is the service's logging)."""
    return Proc(
        name,
        [
            PY,
            "-m",
            "gunicorn",
            "plo_tracker.wsgi",
            "--config",
            "python:plo_tracker.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(THREADS),
            "--timeout",
            "30",
            "--keep-alive",
            "75",
        ],
        work / f"{name}.log",
        env,
    )


def wait_web(proc: Proc, port: int, timeout: float = 180) -> None:
    """Until the node answers /health/ (on a new machine its first start also compiles every
    module: once, 90 s was not enough); its log's end in the error if it never does."""

    def ready() -> bool:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.log.read_text()[-3000:]}")
        return http_ok(f"http://127.0.0.1:{port}/health/")

    try:
        wait_until(ready, timeout=timeout, interval=0.5, what=proc.name)
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}; its log ends:\n{proc.log.read_text()[-3000:]}") from None


PGBOUNCER_INI = """\
[databases]
{large} = host=127.0.0.1 port={pg} dbname={large}
{demo} = host=127.0.0.1 port={pg} dbname={demo}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 500
default_pool_size = 10
reserve_pool_size = 5
reserve_pool_timeout = 2
server_lifetime = 3600
server_idle_timeout = 120
query_wait_timeout = 30
ignore_startup_parameters = extra_float_digits,options
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
"""

HAPROXY_CFG = """\
global
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 35s
    timeout queue 30s
    timeout check 5s
    timeout http-keep-alive 10s
    option forwardfor
    option redispatch
    retries 2
    retry-on conn-failure

frontend web
    bind 127.0.0.1:{port}
    default_backend nodes

backend nodes
    balance leastconn
    http-reuse safe
    option httpchk
    http-check send meth GET uri /health/ ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    default-server inter 1s fastinter 500ms downinter 1s fall 3 rise 2 maxconn {maxconn}
    server node1 127.0.0.1:{node1} check
    server node2 127.0.0.1:{node2} check
"""


# --- Scripts run inside the product (manage.py shell) ------------------------------------------

BUILD_SCRIPT = """
import sys
sys.path.insert(0, "bench")
from django.contrib.auth.models import Group
from django.utils import timezone
from accounts.models import User
from accounts.roles import Role
from deadlines.services import calendar_current
from tracker import build
today = calendar_current().roll_back(timezone.localdate())
data = build(today=today, open_episodes={episodes}, ended_episodes=300, small_team=0, teams={teams},
             social_workers_per_team=7, seniors=True)
groups = {{g.name: g for g in Group.objects.all()}}
for role, prefix, count in [(Role.COURT_LIAISON_OFFICER, "clo-more-", 3), (Role.BUSINESS_SUPPORT, "bs-", 6),
                            (Role.LEGAL_ADVISER, "legal-", 4)]:
    for i in range(count):
        u = User(username=f"{{prefix}}{{i}}", first_name=prefix.split("-")[0].title(), last_name="Bench",
                 email=f"{{prefix}}{{i}}@council.example")
        u.set_unusable_password()
        u.save()
        u.groups.add(groups[role.label])
from deadlines.scans import alert_scan_catch_up
# Today's 07:00 scan, recorded as the beat's would be (as demo_data does): the workers' start-up
# catch-up then finds today scanned. Its emails wait in the outbox for the workers.
scan = alert_scan_catch_up(today=today, recompute=False)
print("built", data["episodes_open"], "open episodes,", data["deadlines"], "deadlines;", scan.raised, "alerts today")
"""

FIXTURE_SCRIPT = """
import json, os
from collections import defaultdict
from django.conf import settings
from django.test import Client
from django.utils import timezone
from accounts.models import User
from accounts.roles import Role
from cases.models import Episode, Family
from deadlines.services import calendar_current
from meetings.models import Meeting

def session(user):
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value

def people(role):
    return list(User.objects.filter(groups__name=role.label, is_active=True).order_by("pk").distinct())

families = Family.objects.filter(closed_on__isnull=True, restricted=False)
by_worker, by_team = defaultdict(list), defaultdict(list)
for pk, worker, team in families.values_list("pk", "social_worker_id", "team_id"):
    by_worker[worker].append(pk)
    by_team[team].append(pk)
held = set(Meeting.objects.filter(kind="initial_meeting", held_on__isnull=False).values_list("episode_id", flat=True))
episodes = defaultdict(list)
for pk, worker in Episode.objects.filter(
    stage="pre_proceedings", decision_date__isnull=False, ended_on__isnull=True, family__restricted=False,
    family__closed_on__isnull=True,
).values_list("pk", "family__social_worker_id"):
    episodes[worker].append({"episode": pk, "initial_held": pk in held})
cal = calendar_current()
today = cal.roll_back(timezone.localdate())
days = [cal.next_working_day(today)]
for _ in range(3):
    days.append(cal.next_working_day(days[-1]))
out = {
    "cookie_name": settings.SESSION_COOKIE_NAME,
    "today": timezone.localdate().isoformat(),
    "scan_days": [d.isoformat() for d in days],
    "teams": sorted(t for t in by_team if t),
    "social_workers": [
        {"session": session(u), "families": by_worker[u.pk], "episodes": episodes[u.pk]}
        for u in people(Role.SOCIAL_WORKER) if by_worker[u.pk]
    ],
    "team_managers": [
        {"session": session(u), "families": by_team[u.team_id]} for u in people(Role.TEAM_MANAGER) if by_team[u.team_id]
    ],
    "clos": [{"session": session(u)} for u in people(Role.COURT_LIAISON_OFFICER)],
    "heads_of_service": [{"session": session(u)} for u in people(Role.HEAD_OF_SERVICE)],
    "staff": User.objects.filter(is_active=True).count(),
    "open_episodes": Episode.objects.filter(ended_on__isnull=True).count(),
}
with open(os.environ["PLO_TOPO_OUT"], "w") as f:
    json.dump(out, f)
"""


def shell(env: dict[str, str], script: str, timeout: float = 900) -> str:
    result = subprocess.run(
        [PY, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py shell failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result.stdout


def manage(env: dict[str, str], *args: str, timeout: float = 900) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result.stdout


# --- Reading the request log --------------------------------------------------------------------


@dataclass
class Req:
    t: float
    name: str
    ms: float
    ok: bool
    status: int


def read_log(path: Path) -> list[Req]:
    rows = []
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        parts = line.rsplit(",", 3)
        head = parts[0].split(",", 1)
        if len(parts) != 4 or len(head) != 2:
            continue
        rows.append(Req(float(head[0]), head[1], float(parts[1]), parts[2] == "1", int(parts[3])))
    return rows


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


@dataclass
class Stats:
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    failures: int
    server_errors: int  # 5xx answers and dropped connections
    pages: dict[str, tuple[int, float, float, float, int]] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def summarise(rows: list[Req], start: float, end: float) -> Stats:
    window = [r for r in rows if start <= r.t <= end]
    by_page: dict[str, list[Req]] = defaultdict(list)
    for r in window:
        by_page[r.name].append(r)
    pages = {
        name: (
            len(rs),
            pct([r.ms for r in rs], 50),
            pct([r.ms for r in rs], 95),
            pct([r.ms for r in rs], 99),
            sum(not r.ok for r in rs),
        )
        for name, rs in sorted(by_page.items())
    }
    ms = [r.ms for r in window]
    return Stats(
        requests=len(window),
        seconds=end - start,
        p50=pct(ms, 50),
        p95=pct(ms, 95),
        p99=pct(ms, 99),
        failures=sum(not r.ok for r in window),
        server_errors=sum(not r.ok and (r.status >= 500 or r.status == 0) for r in window),
        pages=pages,
    )


# --- The rehearsal ------------------------------------------------------------------------------


class Rehearsal:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick = args.quick
        self.work = ROOT / "var" / f"bench-topology-{os.getpid()}"
        self.work.mkdir(parents=True)
        self.pg = Postgres()
        self.redis = RedisServer()
        self.ports = {k: free_port() for k in ("pgbouncer", "haproxy", "node1", "node2", "single")}
        self.procs: dict[str, Proc] = {}
        self.saved = self.work / "saved.txt"
        self.saved.touch()
        self.demo_saved = self.work / "saved-demo.txt"
        self.demo_saved.touch()
        self.results: dict[str, Any] = {"steps": {}, "faults": [], "cpu": {}}
        self.fixtures: dict[str, Path] = {}
        self.pgbouncer_dir = self.work / "pgbouncer"
        self.secret_key = "bench-" + secrets.token_urlsafe(40)

    # -- set-up

    def url(self, db: str, *, pooled: bool) -> str:
        port = self.ports["pgbouncer"] if pooled else self.pg.port
        return f"postgresql://postgres@127.0.0.1:{port}/{db}"

    def env(self, db: str, *, pooled: bool = True, proxied: bool = True) -> dict[str, str]:
        return product_env(
            DJANGO_SECRET_KEY=self.secret_key,  # one for every process: sessions are signed with it
            DATABASE_URL=self.url(db, pooled=pooled),
            # Through PgBouncer's transaction pooling: no server-side cursors, no startup options.
            DATABASE_POOLING="transaction" if pooled else "",
            REDIS_URL=f"redis://127.0.0.1:{self.redis.port}/0",
            PLO_HTTPS="0",  # loopback, plain http
            PLO_VAR_DIR=str(self.work / "plo-var"),
            LOG_LEVEL="WARNING",
            PLO_PASSWORD_2FA_REQUIRED="0",  # noqa: S106  (a switch: the bench's sessions are made without a second factor)
            PLO_TRUSTED_PROXY_COUNT="1" if proxied else "0",
            # Shortened from 3600 s so a task lost with a killed worker is seen to run again within the
            # run; still above the longest task here (the scan of 50,000 deadlines under load).
            PLO_BROKER_VISIBILITY_TIMEOUT="120",
            PLO_SITE_URL="http://localhost",
        )

    def sql(self, db: str, query: str, params: tuple[Any, ...] = (), tries: int = 30) -> list[tuple[Any, ...]]:
        """A query straight to PostgreSQL (not through PgBouncer), waiting out a restart."""
        for attempt in range(tries):
            try:
                conn = psycopg2.connect(self.url(db, pooled=False), connect_timeout=3)
                try:
                    conn.autocommit = True  # CREATE DATABASE runs outside a transaction
                    with conn.cursor() as cur:
                        cur.execute(query, params)
                        return cur.fetchall() if cur.description else []
                finally:
                    conn.close()
            except psycopg2.OperationalError:
                if attempt == tries - 1:
                    raise
                time.sleep(1)
        return []

    def setup(self) -> None:
        t = time.time()
        self.pg.start()
        self.pg.createdb(LARGE_DB)
        self.redis.start()
        self.start_pgbouncer()
        print(
            f"[{time.time() - t:5.0f} s] PostgreSQL {self.pg.version()} :{self.pg.port}, PgBouncer "
            f":{self.ports['pgbouncer']}, Redis :{self.redis.port}; work folder {self.work}",
            flush=True,
        )
        episodes = 200 if self.quick and self.args.small else 2000
        # Built straight on PostgreSQL: the builder turns triggers off for its session, which a
        # transaction pool would not keep.
        direct = self.env(LARGE_DB, pooled=False)
        manage(direct, "migrate", "--no-input", "-v", "0")
        # The demo's database is a copy of the migrated empty one (migrating twice costs minutes here).
        self.sql("postgres", f"CREATE DATABASE {DEMO_DB} TEMPLATE {LARGE_DB}")
        for db in (LARGE_DB, DEMO_DB):
            # PgBouncer does not pass on libpq's `options` (the settings' `-c jit=off`), so the
            # database carries it (docs/operations.md "Reference deployment").
            self.sql("postgres", f"ALTER DATABASE {db} SET jit = off")
        print(f"[{time.time() - t:5.0f} s] migrated; building the data", flush=True)
        # The demo council loads alongside the large service's build (two databases).
        with open(self.work / "demo_data.log", "wb") as demo_log:
            demo = subprocess.Popen(
                [PY, "manage.py", "demo_data"],
                cwd=ROOT,
                env=self.env(DEMO_DB, pooled=False),
                stdout=demo_log,
                stderr=subprocess.STDOUT,
            )
        built = shell(direct, BUILD_SCRIPT.format(episodes=episodes, teams=40)).strip().splitlines()[-1]
        print(f"[{time.time() - t:5.0f} s] {built}", flush=True)
        if demo.wait(timeout=900) != 0:
            raise RuntimeError(f"demo_data failed: {(self.work / 'demo_data.log').read_text()[-3000:]}")
        for db in (LARGE_DB, DEMO_DB):
            out = self.work / f"fixture-{db}.json"
            shell({**self.env(db), "PLO_TOPO_OUT": str(out)}, FIXTURE_SCRIPT)  # through PgBouncer
            self.fixtures[db] = out
            f = json.loads(out.read_text())
            print(
                f"[{time.time() - t:5.0f} s] {db}: {f['open_episodes']:,} open episodes, {f['staff']} staff; "
                f"signed in {len(f['social_workers'])} social workers, {len(f['team_managers'])} team managers, "
                f"{len(f['clos'])} CLOs, {len(f['heads_of_service'])} heads of service",
                flush=True,
            )
        self.results["setup_s"] = time.time() - t

    def start_pgbouncer(self) -> None:
        folder = self.pgbouncer_dir
        folder.mkdir(exist_ok=True)
        (folder / "userlist.txt").write_text('"postgres" ""\n')
        ini = folder / "pgbouncer.ini"
        ini.write_text(
            PGBOUNCER_INI.format(
                large=LARGE_DB, demo=DEMO_DB, pg=self.pg.port, port=self.ports["pgbouncer"], folder=folder
            )
        )
        shutil.chown(folder, self.pg.user, self.pg.user) if self.pg.user else None
        for child in folder.iterdir():
            shutil.chown(child, self.pg.user, self.pg.user) if self.pg.user else None
        # PgBouncer will not run as root: as the same unprivileged user as the PostgreSQL server.
        self.procs["pgbouncer"] = Proc(
            "pgbouncer", ["/usr/sbin/pgbouncer", str(ini)], self.work / "pgbouncer.out", user=self.pg.user
        ).start()
        wait_until(lambda: port_open(self.ports["pgbouncer"]), timeout=20, what="pgbouncer")

    def start_nodes(self, db: str) -> None:
        env = self.env(db)
        for name in ("node1", "node2"):
            self.procs[name] = gunicorn(name, self.ports[name], NODE_WORKERS, env, self.work).start()
        for name in ("node1", "node2"):
            wait_web(self.procs[name], self.ports[name])

    def stop_nodes(self) -> None:
        for name in ("node1", "node2"):
            self.procs[name].stop()

    def start_topology(self) -> None:
        t = time.time()
        cfg = self.work / "haproxy.cfg"
        cfg.write_text(
            HAPROXY_CFG.format(
                port=self.ports["haproxy"],
                node1=self.ports["node1"],
                node2=self.ports["node2"],
                maxconn=NODE_WORKERS * THREADS,
            )
        )
        self.start_nodes(LARGE_DB)
        self.procs["haproxy"] = Proc("haproxy", ["haproxy", "-f", str(cfg), "-db"], self.work / "haproxy.log").start()
        wait_until(lambda: http_ok(self.base + "/health/"), timeout=30, what="haproxy")
        env = self.env(LARGE_DB)
        for name in ("worker1", "worker2"):
            self.procs[name] = self.worker(name, env).start()
        self.procs["beat1"] = self.beat("beat1", env).start()
        # Workers and beat send the catch-up at start: today's scan over 50,000 deadlines, then its
        # emails. Wait for it, so the measurements start from the service's ordinary day.
        today = json.loads(self.fixtures[LARGE_DB].read_text())["today"]
        wait_until(
            lambda: self.sql(LARGE_DB, "SELECT 1 FROM deadlines_alertscanday WHERE day = %s", (today,)),
            timeout=600,
            interval=2,
            what="the start-up alert scan",
        )
        self.wait_emails(timeout=300)
        alerts = self.sql(LARGE_DB, "SELECT count(*) FROM deadlines_alert")[0][0]
        print(
            f"[{time.time() - t:5.0f} s] topology up: haproxy :{self.ports['haproxy']} -> node1 "
            f":{self.ports['node1']}, node2 :{self.ports['node2']}; 2 workers, beat; start-up scan raised "
            f"{alerts:,} alerts, emailed",
            flush=True,
        )

    def wait_emails(self, timeout: float) -> None:
        wait_until(
            lambda: not self.sql(LARGE_DB, "SELECT 1 FROM deadlines_alert WHERE emailed_at IS NULL LIMIT 1"),
            timeout=timeout,
            interval=2,
            what="the alert emails",
        )

    # The reference deployment runs the workers and beat on nodes of their own; here they share
    # the web nodes' two cores, so they run at a lower priority (nice 10), as CPU of their own
    # would leave the web requests alone. The database and PgBouncer they use are shared as there.
    def celery(self, name: str, env: dict[str, str], *args: str) -> Proc:
        command = ["nice", "-n", "10", PY, "-m", "celery", "-A", "plo_tracker", *args, "--loglevel", "INFO"]
        return Proc(name, command, self.work / f"{name}.log", env)

    def worker(self, name: str, env: dict[str, str]) -> Proc:
        return self.celery(name, env, "worker", "--concurrency", "2", "--hostname", f"{name}@%h")

    def beat(self, name: str, env: dict[str, str]) -> Proc:
        return self.celery(name, env, "beat", "--schedule", str(self.work / f"{name}-schedule"))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.ports['haproxy']}"

    def send_task(self, name: str, **kwargs: Any) -> str:
        out = subprocess.run(
            [PY, "-m", "celery", "-A", "plo_tracker", "call", name, "--kwargs", json.dumps(kwargs)],
            cwd=ROOT,
            env=self.env(LARGE_DB),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return out.stdout.strip().splitlines()[-1]

    # -- load

    def locust(
        self,
        *,
        host: str,
        db: str,
        users: int,
        seconds: float,
        mix: str,
        wait: str,
        log: Path,
        spawn_rate: float | None = None,
    ) -> subprocess.Popen[bytes]:
        env = dict(
            os.environ,
            PLO_TOPO_FIXTURE=str(self.fixtures[db]),
            PLO_TOPO_SAVED=str(self.saved if db == LARGE_DB else self.demo_saved),
            PLO_TOPO_LOG=str(log),
            PLO_TOPO_WEIGHTS=mix,
            PLO_TOPO_WAIT=wait,
        )
        rate = spawn_rate or max(5.0, users / 2)
        with open(self.work / "locust.out", "ab") as out:
            return subprocess.Popen(
                [
                    PY,
                    "-m",
                    "locust",
                    "-f",
                    str(LOCUSTFILE),
                    "--headless",
                    "--users",
                    str(users),
                    "--spawn-rate",
                    f"{rate:g}",
                    "--run-time",
                    f"{int(seconds)}s",
                    "--host",
                    host,
                    "--only-summary",
                    "--loglevel",
                    "ERROR",
                    "--stop-timeout",
                    "35",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def step_up(self, label: str, host: str, db: str) -> None:
        # Steps of 8 users up to 96 and 16 beyond: since the head of service's home and the
        # meeting form stopped growing with the service, the large service held p95 under 500 ms
        # at 64 users, the old top step, so the steps go on until the machine itself saturates.
        steps = [2, 8] if self.quick else [2, 4, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 112, 128]
        seconds = 20 if self.quick else 35
        warm = 6
        rows = []
        # A warm-up that is not counted: each freshly started worker's first requests load templates
        # and open connections.
        proc = self.locust(host=host, db=db, users=4, seconds=15, mix=DAY_MIX, wait="0.5,1", log=self.work / "warm.csv")
        proc.wait(timeout=120)
        for users in steps:
            log = self.work / f"steps-{label}-{users}.csv"
            proc = self.locust(host=host, db=db, users=users, seconds=seconds, mix=DAY_MIX, wait="1,3", log=log)
            proc.wait(timeout=seconds + 90)
            reqs = read_log(log)
            if not reqs:
                raise RuntimeError(f"locust recorded nothing ({self.work / 'locust.out'})")
            start = min(r.t for r in reqs) + warm
            stats = summarise(reqs, start, max(r.t for r in reqs))
            rows.append((users, stats))
            print(
                f"  {label:<36} {users:>3} users: {stats.rps:5.1f} requests/s, p50 {stats.p50:4.0f} ms, "
                f"p95 {stats.p95:5.0f} ms, p99 {stats.p99:5.0f} ms, {stats.failures} failed",
                flush=True,
            )
            if stats.p95 > P95_LIMIT_MS:
                break
        self.results["steps"][label] = rows

    def saturation(self, label: str) -> tuple[float, int, Stats | None]:
        within = [(s.rps, u, s) for u, s in self.results["steps"].get(label, []) if s.p95 <= P95_LIMIT_MS]
        if not within:
            return 0.0, 0, None
        rps, users, stats = max(within, key=lambda x: x[0])
        return rps, users, stats

    def settle(self, db: str) -> None:
        """VACUUM ANALYZE and a checkpoint before a configuration is measured, so none pays for the
        dead rows, stale statistics or dirty pages the previous one's saves left (autovacuum and
        the checkpointer would otherwise do that work inside its steps, and in its CPU figures)."""
        self.sql(db, "VACUUM (ANALYZE)")
        self.sql(db, "CHECKPOINT")

    def saturation_phase(self) -> None:
        print("\nSaturation: users stepped up until p95 passes 500 ms", flush=True)
        self.settle(LARGE_DB)
        self.step_up(TWO_LARGE, self.base, LARGE_DB)
        direct = self.env(LARGE_DB, pooled=False, proxied=False)
        single = gunicorn("single", self.ports["single"], 2 * NODE_WORKERS, direct, self.work)
        single.start()
        self.procs["single"] = single
        wait_web(single, self.ports["single"])
        self.settle(LARGE_DB)
        self.step_up(SINGLE_LARGE, f"http://127.0.0.1:{self.ports['single']}", LARGE_DB)
        single.stop()
        self.stop_nodes()
        self.start_nodes(DEMO_DB)
        wait_until(lambda: http_ok(self.base + "/health/"), timeout=30, what="haproxy")
        self.settle(DEMO_DB)
        self.step_up(TWO_DEMO, self.base, DEMO_DB)
        self.stop_nodes()
        self.start_nodes(LARGE_DB)
        wait_until(lambda: http_ok(self.base + "/health/"), timeout=30, what="haproxy")

    # -- server CPU per request

    def server_cpu(self) -> float:
        """CPU seconds used so far by the server processes (and their children, ended ones included)."""
        pids = [self.procs[n].pid for n in ("node1", "node2", "haproxy", "pgbouncer")] + [self.pg.postmaster_pid()]
        total = 0.0
        for pid in pids:
            try:
                top = psutil.Process(pid)
                procs = [top, *top.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for p in procs:
                try:
                    c = p.cpu_times()
                    total += c.user + c.system + (c.children_user + c.children_system if p is top else 0)
                except psutil.NoSuchProcess:
                    pass
        return total

    def cpu_phase(self) -> None:
        print("\nServer CPU per request (one request at a time, through haproxy)", flush=True)
        self.settle(LARGE_DB)
        fixture = json.loads(self.fixtures[LARGE_DB].read_text())
        runs = 3 if self.quick else 8

        def client(kind: str) -> requests.Session:
            s = requests.Session()
            s.cookies.set(fixture["cookie_name"], fixture[kind][0]["session"])
            return s

        sw, tm, clo, hos = (client(k) for k in ("social_workers", "team_managers", "clos", "heads_of_service"))
        person = next(p for p in fixture["social_workers"] if p["episodes"])
        family = person["families"][0]
        team = fixture["teams"][0]
        ep = (person["episodes"] or [{"episode": 0, "initial_held": True}])[0]
        form_url = f"{self.base}/meetings/episodes/{ep['episode']}/meetings/add/?kind=review_meeting"
        today = dt.date.fromisoformat(fixture["today"])

        def save() -> requests.Response:
            import uuid

            form = sw.get(form_url, timeout=60)
            token = uuid.uuid4().hex[:16]
            data = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.text))
            data["attendees"] = f"Parents, their solicitors, team manager [load {token}]"
            field = "held_on" if ep["initial_held"] else "scheduled_for"
            day = today if ep["initial_held"] else today + dt.timedelta(days=28)
            data |= {f"{field}_0": str(day.day), f"{field}_1": str(day.month), f"{field}_2": str(day.year)}
            r = sw.post(form_url, data=data, allow_redirects=False, timeout=60)
            if r.status_code == 302:
                with open(self.saved, "a") as f:
                    f.write(token + "\n")
            return r

        pages: list[tuple[str, int, Any]] = [
            ("my cases (SW)", 1, lambda: sw.get(f"{self.base}/cases/mine/", timeout=60)),
            ("case page (SW)", 1, lambda: sw.get(f"{self.base}/cases/families/{family}/", timeout=60)),
            ("meeting form (SW)", 1, lambda: sw.get(form_url, timeout=60)),
            ("meeting form + record a meeting (POST)", 2, save),
            ("team dashboard (TM)", 1, lambda: tm.get(f"{self.base}/deadlines/team/", timeout=60)),
            ("alerts (TM)", 1, lambda: tm.get(f"{self.base}/deadlines/alerts/", timeout=60)),
            ("tracker (CLO)", 1, lambda: clo.get(f"{self.base}/deadlines/tracker/", timeout=60)),
            (
                "tracker filtered to a team (CLO)",
                1,
                lambda: clo.get(f"{self.base}/deadlines/tracker/?team={team}&stage=pre_proceedings", timeout=60),
            ),
            ("tracker printout (CLO)", 1, lambda: clo.get(f"{self.base}/deadlines/tracker/print/", timeout=60)),
            ("tracker XLSX export (CLO)", 1, lambda: clo.get(f"{self.base}/deadlines/tracker/export.xlsx", timeout=60)),
            ("weekly tracker (HoS)", 1, lambda: hos.get(f"{self.base}/deadlines/weekly/", timeout=60)),
            ("home (HoS)", 1, lambda: hos.get(f"{self.base}/", timeout=60)),
        ]
        for name, requests_per_run, fetch in pages:
            first = fetch()  # warm-up
            if first.status_code not in (200, 302):
                raise RuntimeError(f"{name} answered {first.status_code}")
            walls = []
            before = self.server_cpu()
            for _ in range(runs):
                t = time.perf_counter()
                r = fetch()
                walls.append((time.perf_counter() - t) * 1000)
                assert r.status_code in (200, 302), (name, r.status_code)
            cpu_ms = (self.server_cpu() - before) * 1000 / runs
            self.results["cpu"][name] = (cpu_ms, pct(walls, 50), requests_per_run)
            print(
                f"  {name:<42} {cpu_ms:7.1f} CPU-ms per {'request' if requests_per_run == 1 else 'form + save'},"
                f" wall p50 {pct(walls, 50):6.0f} ms",
                flush=True,
            )

    # -- busy hour

    def busy_hour(self) -> None:
        users = 100 if self.quick else 300
        seconds = 60 if self.quick else 180
        print(f"\nBusy hour: {users} staff, a page about every 30 s each, an alert scan and its emails", flush=True)
        fixture = json.loads(self.fixtures[LARGE_DB].read_text())
        day = fixture["scan_days"][0]
        log = self.work / "busy.csv"
        errors_before = self.logged_server_errors()
        proc = self.locust(
            host=self.base,
            db=LARGE_DB,
            users=users,
            seconds=seconds,
            mix=STAFF_MIX,
            # "300 staff each opening a page about every 30 s (about 10 requests/s)": a social
            # worker's save is three requests (the form, the POST, the case page it returns to),
            # so 25-48 s between actions (36.5 s on average) makes the mix's 300 staff ask for
            # about 10 requests a second; 20-40 s made it 11.9.
            wait="25,48",
            log=log,
            spawn_rate=users / 15,
        )
        time.sleep(20)
        task_id = self.send_task("deadlines.alert_scan", today=day)
        proc.wait(timeout=seconds + 90)
        reqs = read_log(log)
        start = min(r.t for r in reqs) + 15  # once every user has started
        stats = summarise(reqs, start, max(r.t for r in reqs))
        done = self.task_result(task_id)
        with contextlib.suppress(TimeoutError):  # the emails may still be going out
            wait_until(lambda: self.day_alerts(day)[0] == self.day_alerts(day)[1], timeout=90, interval=2)
        alerts, emailed = self.day_alerts(day)
        self.results["busy"] = {
            "users": users,
            "stats": stats,
            "scan_day": day,
            "scan_raised": done[1] if done else None,
            "scan_done_s": done[0] if done else float("nan"),
            "alerts": alerts,
            "emailed": emailed,
            "logged_server_errors": self.logged_server_errors() - errors_before,
        }
        print(
            f"  {stats.rps:.1f} requests/s, p50 {stats.p50:.0f} ms, p95 {stats.p95:.0f} ms, p99 {stats.p99:.0f} ms,"
            f" {stats.failures} failed ({stats.server_errors} server errors); scan of {day}: "
            f"{'raised ' + str(done[1]) + ' alerts in ' + f'{done[0]:.1f} s' if done else 'NOT finished'}, "
            f"{emailed} of {alerts} emailed",
            flush=True,
        )

    def day_alerts(self, day: str) -> tuple[int, int]:
        row = self.sql(LARGE_DB, "SELECT count(*), count(emailed_at) FROM deadlines_alert WHERE raised_on = %s", (day,))
        return int(row[0][0]), int(row[0][1])

    def task_result(self, task_id: str) -> tuple[float, str] | None:
        """(seconds, result) from the worker log line of a task that succeeded, or None."""
        pattern = re.compile(rf"\[{re.escape(task_id)}\] succeeded in ([\d.]+)s: (.*)")
        for name in ("worker1", "worker2"):
            m = pattern.search(self.procs[name].log.read_text(errors="replace"))
            if m:
                return float(m.group(1)), m.group(2).strip()
        return None

    def logged_server_errors(self) -> int:
        return sum(
            (self.work / f"{n}.log").read_text(errors="replace").count("django.request")
            for n in ("node1", "node2", "single")
            if (self.work / f"{n}.log").exists()
        )

    # -- faults

    def faults(self) -> None:
        window = 30 if self.quick else 40
        _, sat_users, _ = self.saturation(TWO_LARGE)
        users = max(8, (sat_users or 16) // 2)
        fixture = json.loads(self.fixtures[LARGE_DB].read_text())
        plan = [
            ("a web node killed (SIGKILL)", self.fault_node),
            ("PgBouncer restarted", self.fault_pgbouncer),
            # Redis keeps nothing on disk here: a task waiting in it is lost with a restart, so the
            # worker is killed after it, to see its task given to a worker again.
            ("Redis restarted", self.fault_redis),
            ("PostgreSQL restarted (fast)", self.fault_postgres),
            ("a worker killed mid-task", self.fault_worker),
            ("beat killed, a second beat started", self.fault_beat),
        ]
        print(f"\nFaults, each while {users} users work (half the saturation step), {window} s apart", flush=True)
        log = self.work / "faults.csv"
        proc = self.locust(
            host=self.base, db=LARGE_DB, users=users, seconds=window * len(plan) + 300, mix=DAY_MIX, wait="1,3", log=log
        )  # stopped after the last fault's window
        probes: list[tuple[float, bool]] = []
        stop = threading.Event()
        probe = requests.Session()
        probe.cookies.set(fixture["cookie_name"], fixture["social_workers"][-1]["session"])

        def probing() -> None:
            while not stop.is_set():
                t = time.time()
                try:
                    r = probe.get(self.base + "/cases/mine/", timeout=5, allow_redirects=False)
                    ok = r.status_code == 200
                except requests.RequestException:
                    ok = False
                probes.append((t, ok))
                time.sleep(0.25)

        prober = threading.Thread(target=probing, daemon=True)
        prober.start()
        time.sleep(12)
        marks = []
        for name, action in plan:
            t0 = time.time()
            try:
                note = action(fixture)
            except Exception as exc:
                note = f"ERROR {type(exc).__name__}: {str(exc)[:200]}"
                self.results.setdefault("failed_phases", []).append(f"fault: {name}")
            marks.append((name, t0, note))
            time.sleep(max(0.0, t0 + window - time.time()))
            try:
                self.after_fault(name)
            except Exception as exc:
                print(f"  after {name}: {type(exc).__name__}: {str(exc)[:200]}", flush=True)
                self.results.setdefault("failed_phases", []).append(f"after: {name}")
        proc.terminate()  # locust stops its users and writes the rest of its log
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        stop.set()
        prober.join(timeout=10)
        reqs = read_log(log)
        for name, t0, note in marks:
            in_window = [(t, ok) for t, ok in probes if t0 <= t <= t0 + window]
            failed = [t for t, ok in in_window if not ok]
            if failed:
                back = [t for t, ok in in_window if ok and t > failed[-1]]
                recovery = (back[0] - t0) if back else float("inf")
            else:
                recovery = 0.0
            stats = summarise(reqs, t0, t0 + window)
            self.results["faults"].append(
                {"fault": name, "recovery_s": recovery, "stats": stats, "note": note, "probe_failures": len(failed)}
            )
            print(
                f"  {name:<38} service back after {recovery:5.1f} s; {stats.failures} of {stats.requests} requests"
                f" failed ({stats.server_errors} server errors / dropped); {note}",
                flush=True,
            )

    def after_fault(self, name: str) -> None:
        if name.startswith("a web node") and not self.procs["node1"].alive():
            self.procs["node1"] = gunicorn(
                "node1", self.ports["node1"], NODE_WORKERS, self.env(LARGE_DB), self.work
            ).start()
            wait_web(self.procs["node1"], self.ports["node1"])

    def fault_node(self, fixture: dict[str, Any]) -> str:
        self.procs["node1"].kill()
        return "node1 killed; haproxy marks it down after 3 refused checks"

    def fault_worker(self, fixture: dict[str, Any]) -> str:
        day = fixture["scan_days"][1]
        self.results["killed_scan_day"] = day
        sizes = {n: self.procs[n].log.stat().st_size for n in ("worker1", "worker2")}
        task_id = self.send_task("deadlines.alert_scan", today=day)
        self.results["killed_task"] = task_id
        victim = None
        end = time.time() + 20
        while time.time() < end and victim is None:
            for n in ("worker1", "worker2"):
                with open(self.procs[n].log, "rb") as f:
                    f.seek(sizes[n])
                    if task_id.encode() in f.read():
                        victim = n
            time.sleep(0.02)
        if victim is None:
            return f"the scan task {task_id} was not seen by a worker within 20 s"
        # Killed as soon as it has the task: a whole-service scan takes well under a second, so
        # waiting longer kills it between tasks, not during one.
        with open(self.procs[victim].log, "rb") as f:
            f.seek(sizes[victim])
            finished = b"succeeded" in f.read()
        self.procs[victim].kill()
        # A supervisor starts it again (its start sends the catch-up); the killed task is given to
        # a worker again after the visibility timeout (120 s here).
        self.procs[victim] = self.worker(victim, self.env(LARGE_DB)).start()
        return f"{victim} killed {'after' if finished else 'during'} the scan of {day}"

    def fault_pgbouncer(self, fixture: dict[str, Any]) -> str:
        self.procs["pgbouncer"].stop(signal.SIGTERM)  # immediate shutdown: every connection is cut
        self.procs["pgbouncer"].start()
        wait_until(lambda: port_open(self.ports["pgbouncer"]), timeout=20, what="pgbouncer")
        return "stopped (SIGTERM, immediate) and started"

    def fault_redis(self, fixture: dict[str, Any]) -> str:
        self.redis.stop()
        self.redis.start()
        return "stopped and started (nothing kept on disk: queued tasks lost, the outbox resends)"

    def fault_postgres(self, fixture: dict[str, Any]) -> str:
        t = time.time()
        self.pg.restart()
        return f"pg_ctl restart -m fast took {time.time() - t:.1f} s"

    def fault_beat(self, fixture: dict[str, Any]) -> str:
        self.procs["beat1"].kill()
        self.procs["beat2"] = self.beat("beat2", self.env(LARGE_DB)).start()
        return "beat1 killed, beat2 started (sends the catch-up)"

    # -- checks

    def writes(self, db: str, saved: Path) -> dict[str, int]:
        acknowledged = [t for t in saved.read_text().split() if t]
        rows = self.sql(db, "SELECT attendees FROM meetings_meeting WHERE attendees LIKE %s", ("%[load %",))
        stored = Counter(m.group(1) for (a,) in rows if (m := re.search(r"\[load (\w+)\]", a)))
        ack = set(acknowledged)
        return {
            "acknowledged": len(ack),
            "stored": sum(stored.values()),
            "lost": len(ack - set(stored)),
            "duplicates": sum(n - 1 for n in stored.values() if n > 1),
            "saved_not_acknowledged": len(set(stored) - ack),
        }

    def final_checks(self) -> None:
        task_id = self.results.get("killed_task")
        if task_id:
            # Redis gives the unacknowledged task to a worker again once the visibility timeout passes.
            try:
                wait_until(lambda: self.task_result(task_id), timeout=240, interval=3, what="the killed task")
                self.results["killed_scan_done"] = True
            except TimeoutError:
                self.results["killed_scan_done"] = False
        with contextlib.suppress(TimeoutError):
            self.wait_emails(timeout=60)
        # Overrun alerts raised by a day's writes (a recompute moving the forecast) are emailed with
        # the next scan's batch, not at once: counted by kind, not waited for.
        self.results["emails_pending"] = (
            ", ".join(
                f"{n} {kind}"
                for kind, n in self.sql(
                    LARGE_DB, "SELECT kind, count(*) FROM deadlines_alert WHERE emailed_at IS NULL GROUP BY kind"
                )
            )
            or "0"
        )
        self.results["writes"] = self.writes(LARGE_DB, self.saved)
        self.results["writes_demo"] = self.writes(DEMO_DB, self.demo_saved)
        self.results["alert_duplicates"] = self.sql(
            LARGE_DB,
            "SELECT count(*) FROM (SELECT 1 FROM deadlines_alert GROUP BY episode_id, deadline_id, kind, recipient_id,"
            " due_on HAVING count(*) > 1) d",
        )[0][0]
        self.results["alerts"] = self.sql(LARGE_DB, "SELECT count(*) FROM deadlines_alert")[0][0]
        self.results["scan_days"] = self.sql(LARGE_DB, "SELECT day, raised FROM deadlines_alertscanday ORDER BY day")
        self.results["outbox_waiting"] = self.sql(
            LARGE_DB, "SELECT count(*) FROM plo_tracker_outboxmessage WHERE sent_at IS NULL"
        )[0][0]
        self.results["logged_server_errors"] = self.logged_server_errors()

    # -- tidy up

    def close(self) -> None:
        for proc in reversed(list(self.procs.values())):
            try:
                proc.stop()
            except Exception as exc:
                print(f"stopping {proc.name}: {exc!r}")
        self.redis.close()
        self.pg.close()
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            print(f"logs kept in {self.work}")


# --- Report -------------------------------------------------------------------------------------


def versions(pg: Postgres) -> dict[str, str]:
    def first(cmd: list[str], pattern: str) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=20)
        except OSError:
            return "?"
        m = re.search(pattern, out.stdout + out.stderr)
        return m.group(1) if m else "?"

    from importlib.metadata import version

    model = platform.processor() or platform.machine()
    for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus (nproc)": str(os.cpu_count()),
        "model (lscpu)": model,
        "load average at the start": "",
        "haproxy": first(["haproxy", "-v"], r"version (\S+)"),
        "PgBouncer": first(["/usr/sbin/pgbouncer", "--version"], r"PgBouncer (\S+)"),
        "PostgreSQL": pg.version(),
        "Redis": first(["redis-server", "--version"], r"v=(\S+)"),
        "python": platform.python_version(),
        "gunicorn": version("gunicorn"),
        "celery": version("celery"),
        "locust": version("locust"),
    }


def chart_svg(steps: dict[str, list[tuple[int, Stats]]], path: Path) -> None:
    """p95 against users for each configuration, with the 500 ms line (a hand-written SVG)."""
    w, h, left, bottom, top, right = 720, 420, 70, 50, 30, 210
    max_users = max((u for rows in steps.values() for u, _ in rows), default=1)
    max_ms = max([P95_LIMIT_MS * 1.2, *(s.p95 for rows in steps.values() for _, s in rows)])
    max_ms = min(max_ms, 5000)

    def x(u: float) -> float:
        return left + (w - left - right) * u / max_users

    def y(ms: float) -> float:
        return h - bottom - (h - bottom - top) * min(ms, max_ms) / max_ms

    colours = ["#1d70b8", "#d4351c", "#00703c", "#6f72af"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="14">p95 against simulated users (bench/topology.py)</text>',
        f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
    ]
    for i in range(6):
        ms = max_ms * i / 5
        out.append(f'<text x="{left - 6}" y="{y(ms) + 4:.0f}" text-anchor="end">{ms:.0f}</text>')
        out.append(f'<line x1="{left}" y1="{y(ms):.0f}" x2="{w - right}" y2="{y(ms):.0f}" stroke="#eee"/>')
    users = sorted({u for rows in steps.values() for u, _ in rows})
    for u in users:
        out.append(f'<text x="{x(u):.0f}" y="{h - bottom + 16}" text-anchor="middle">{u}</text>')
    out.append(
        f'<text x="{(left + w - right) / 2:.0f}" y="{h - 12}" text-anchor="middle">users (1-3 s think time)</text>'
    )
    out.append(
        f'<text x="16" y="{(top + h - bottom) / 2:.0f}" transform="rotate(-90 16 {(top + h - bottom) / 2:.0f})"'
        ' text-anchor="middle">p95 (ms)</text>'
    )
    out.append(
        f'<line x1="{left}" y1="{y(P95_LIMIT_MS):.0f}" x2="{w - right}" y2="{y(P95_LIMIT_MS):.0f}" '
        'stroke="#d4351c" stroke-dasharray="6 4"/>'
    )
    out.append(
        f'<text x="{w - right - 4}" y="{y(P95_LIMIT_MS) - 4:.0f}" text-anchor="end" fill="#d4351c">500 ms</text>'
    )
    for i, (label, rows) in enumerate(steps.items()):
        colour = colours[i % len(colours)]
        points = " ".join(f"{x(u):.0f},{y(s.p95):.0f}" for u, s in rows)
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for u, s in rows:
            out.append(f'<circle cx="{x(u):.0f}" cy="{y(s.p95):.0f}" r="3" fill="{colour}"/>')
        ly = top + 20 + i * 20
        out.append(
            f'<line x1="{w - right + 12}" y1="{ly - 4}" x2="{w - right + 32}" y2="{ly - 4}" stroke="{colour}" '
            'stroke-width="2"/>'
        )
        out.append(f'<text x="{w - right + 38}" y="{ly}">{label}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def report(r: Rehearsal, info: dict[str, str], markdown: bool) -> int:
    res = r.results
    targets: list[tuple[str, float, str, bool]] = []  # what, value, target text, met

    def target(what: str, value: float, text: str, met: bool) -> None:
        targets.append((what, value, text, met))

    sat = {label: r.saturation(label) for label in res["steps"]}
    large, single, demo = (sat.get(k, (0.0, 0, None)) for k in (TWO_LARGE, SINGLE_LARGE, TWO_DEMO))

    def ratio(a: float, b: float) -> float:
        """a ÷ b; not a number (a miss) when either had no step within 500 ms."""
        return a / b if a and b else float("nan")

    target(
        "saturation at 2,000 open episodes ÷ on the 25-family demo (two nodes)",
        ratio(large[0], demo[0]),
        "≥ 0.8×",
        ratio(large[0], demo[0]) >= 0.8,
    )
    target(
        "two nodes + haproxy + PgBouncer ÷ a single gunicorn, same workers (large service)",
        ratio(large[0], single[0]),
        "≥ 0.85×",
        ratio(large[0], single[0]) >= 0.85,
    )
    if "busy" in res:
        b = res["busy"]
        target(f"busy hour ({b['users']} staff): p95 (ms)", b["stats"].p95, "< 300 ms", b["stats"].p95 < 300)
        errors = b["stats"].server_errors + b["logged_server_errors"]
        target("busy hour: server errors (5xx, dropped, logged)", errors, "0", errors == 0)
        done = b["scan_raised"] is not None and b["alerts"] == b["emailed"]
        target("busy hour: the alert scan finished and its emails sent", float(done), "yes (1)", done)
    for f in res["faults"]:
        target(
            f"fault: {f['fault']}: service answered again after (s)", f["recovery_s"], "< 30 s", f["recovery_s"] < 30
        )
    w = res.get("writes", {})
    target("acknowledged saves lost (all phases)", w.get("lost", -1), "0", w.get("lost") == 0)
    target("saves stored twice (all phases)", w.get("duplicates", -1), "0", w.get("duplicates") == 0)
    wd = res.get("writes_demo", {})
    target(
        "demo: acknowledged saves lost + stored twice",
        wd.get("lost", 0) + wd.get("duplicates", 0),
        "0",
        wd.get("lost") == 0 and wd.get("duplicates") == 0,
    )
    target("alerts existing more than once", res.get("alert_duplicates", -1), "0", res.get("alert_duplicates") == 0)
    if "killed_scan_done" in res:
        target(
            "the scan killed with its worker ran again (visibility timeout)",
            float(res["killed_scan_done"]),
            "yes (1)",
            bool(res["killed_scan_done"]),
        )

    failed = res.get("failed_phases", [])
    target(f"phases that stopped with an error ({', '.join(failed) or 'none'})", len(failed), "0", not failed)
    md = markdown
    if md:
        print("\n| machine | |\n|---|---|")
        for k, v in info.items():
            print(f"| {k} | {v} |")
    else:
        print()
        for k, v in info.items():
            print(f"{k:28} {v}")

    print("\n" + ("#### Saturation" if md else "Saturation (users stepped up until p95 > 500 ms)"))
    if md:
        print(
            "\n| configuration | users | requests/s | p50 | p95 | p99 | failed |\n|---|---:|---:|---:|---:|---:|---:|"
        )
    for label, rows in res["steps"].items():
        for users, s in rows:
            line = (label, users, f"{s.rps:.1f}", f"{s.p50:.0f} ms", f"{s.p95:.0f} ms", f"{s.p99:.0f} ms", s.failures)
            if md:
                print("| " + " | ".join(str(c) for c in line) + " |")
            else:
                print(
                    f"  {line[0]:<34} {line[1]:>4} {line[2]:>7} req/s {line[3]:>8} {line[4]:>8} {line[5]:>8}"
                    f" {line[6]:>5} failed"
                )
    first = {label: rows[0][1] for label, rows in res["steps"].items() if rows}
    if TWO_LARGE in first:
        base = first[TWO_LARGE]
        for label, s in first.items():
            if label != TWO_LARGE:
                print(
                    f"{'- ' if md else '  '}at the first step, p50 {label} ÷ {TWO_LARGE}: {s.p50 / base.p50:.2f}×, "
                    f"p95 {s.p95 / base.p95:.2f}× (not a target: each server's speed below saturation)"
                )
    for label, (rps, users, _stats) in sat.items():
        print(
            f"{'- ' if md else '  '}saturation throughput, {label}: {rps:.1f} requests/s at {users} users "
            f"(p95 ≤ 500 ms)"
        )

    for label, (rps, users, stats) in sat.items():
        if stats is None:
            continue
        print(f"\n{'#### ' if md else ''}Per page at the saturation step: {label}, {users} users, {rps:.1f} requests/s")
        if md:
            print("\n| page | requests | p50 | p95 | p99 | failed |\n|---|---:|---:|---:|---:|---:|")
        for name, (n, p50, p95, p99, failed) in stats.pages.items():
            if md:
                print(f"| {name} | {n} | {p50:.0f} ms | {p95:.0f} ms | {p99:.0f} ms | {failed} |")
            else:
                print(f"  {name:<40} {n:>6} {p50:>7.0f} {p95:>7.0f} {p99:>7.0f} ms {failed:>4} failed")

    if res["cpu"]:
        print(
            "\n"
            + (
                "#### Server CPU per request"
                if md
                else "Server CPU per request (gunicorn + haproxy + PgBouncer + PostgreSQL processes)"
            )
        )
        if md:
            print("\n| page | server CPU-ms per request | wall p50 (one at a time) |\n|---|---:|---:|")
        for name, (cpu, wall, n) in res["cpu"].items():
            each = f"{cpu:.1f}" + ("" if n == 1 else f" (the pair; {cpu / n:.1f} per request)")
            print(
                f"| {name} | {each} | {wall:.0f} ms |" if md else f"  {name:<42} {each:>30} CPU-ms, wall {wall:.0f} ms"
            )

    if "busy" in res:
        b = res["busy"]
        s = b["stats"]
        print("\n" + ("#### Busy hour" if md else "Busy hour"))
        print(
            f"{b['users']} staff, {s.rps:.1f} requests/s; p50 {s.p50:.0f} ms, p95 {s.p95:.0f} ms, p99 {s.p99:.0f} ms; "
            f"{s.failures} failed, {s.server_errors} server errors, {b['logged_server_errors']} logged by Django; "
            f"scan of {b['scan_day']} sent during the load: raised {b['scan_raised']} alerts, finished "
            f"{b['scan_done_s']:.0f} s after it was sent; {b['emailed']} of {b['alerts']} emailed"
        )
        if md:
            print("\n| page | requests | p50 | p95 | p99 | failed |\n|---|---:|---:|---:|---:|---:|")
            for name, (n, p50, p95, p99, failed) in s.pages.items():
                print(f"| {name} | {n} | {p50:.0f} ms | {p95:.0f} ms | {p99:.0f} ms | {failed} |")

    if res["faults"]:
        print("\n" + ("#### Faults" if md else "Faults"))
        if md:
            print(
                "\n| fault | service back after | requests in its window | failed | of which 5xx or dropped | "
                "what happened |\n|---|---:|---:|---:|---:|---|"
            )
        for f in res["faults"]:
            s = f["stats"]
            if md:
                print(
                    f"| {f['fault']} | {f['recovery_s']:.1f} s | {s.requests} | {s.failures} | {s.server_errors} "
                    f"| {f['note']} |"
                )
            else:
                print(
                    f"  {f['fault']:<38} back after {f['recovery_s']:5.1f} s, {s.failures}/{s.requests} failed"
                    f" ({s.server_errors} 5xx/dropped); {f['note']}"
                )
        w = res.get(
            "writes",
            {"acknowledged": "?", "stored": "?", "lost": "?", "duplicates": "?", "saved_not_acknowledged": "?"},
        )
        days = ", ".join(f"{d} ({n})" for d, n in res.get("scan_days", []))
        print(
            f"Saves: {w['acknowledged']} acknowledged, {w['stored']} stored, {w['lost']} lost, {w['duplicates']} "
            f"stored twice, {w['saved_not_acknowledged']} stored but never acknowledged. Alerts: "
            f"{res.get('alerts')}, {res.get('alert_duplicates')} duplicated; scan days {days}; outbox waiting "
            f"{res.get('outbox_waiting')}; emails pending {res.get('emails_pending')}; server errors logged by "
            f"Django over the whole run {res.get('logged_server_errors')}"
        )

    print("\n" + ("#### Targets\n\n| figure | measured | target | |\n|---|---:|---:|---|" if md else "Targets"))
    missed = 0
    for what, value, text, met in targets:
        missed += not met
        mark = "✔" if met else "✘ MISSED"
        if md:
            print(f"| {what} | {value:,.2f} | {text} | {mark} |".replace("| nan |", "| not measured |"))
        else:
            print(f"  {what:<78} {value:>9,.2f}  target {text:<8} {mark}")
    print(f"\n{missed} target(s) missed" if missed else "\nevery target met")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short steps, a short busy hour and fault windows")
    parser.add_argument("--small", action="store_true", help="with --quick: 200 episodes instead of 2,000")
    parser.add_argument("--markdown", action="store_true", help="print the tables for docs/benchmarks.md")
    parser.add_argument("--chart", type=Path, help="write the SVG chart of p95 against users here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs) afterwards")
    parser.add_argument("--report-from", type=Path, help="print the report of a kept run's results.pickle")
    parser.add_argument("--skip", default="", help="comma-separated phases to leave out: steps,cpu,busy,faults")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    for tool in ("haproxy", "/usr/sbin/pgbouncer", "redis-server"):
        if not shutil.which(tool):
            print(f"{tool} is not installed (apt-get install -y haproxy pgbouncer redis-server)")
            return 2
    if args.report_from:  # print the report of a kept run again (e.g. with --markdown)
        saved = pickle.loads(args.report_from.read_bytes())  # noqa: S301  (our own file)
        r = Rehearsal.__new__(Rehearsal)
        r.results = saved["results"]
        if args.chart and r.results["steps"]:
            chart_svg(r.results["steps"], args.chart)
        return 1 if report(r, saved["info"], args.markdown) else 0
    started = time.time()
    r = Rehearsal(args)
    try:
        info = versions(r.pg)
        info["load average at the start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        r.setup()
        r.start_topology()
        phases = [("steps", r.saturation_phase), ("cpu", r.cpu_phase), ("busy", r.busy_hour), ("faults", r.faults)]
        for name, phase in [*[(n, p) for n, p in phases if n not in skip], ("checks", r.final_checks)]:
            try:
                phase()
            except Exception:
                traceback.print_exc()
                r.results.setdefault("failed_phases", []).append(name)
        info["load average at the end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        info["run time"] = f"{(time.time() - started) / 60:.1f} min" + (" (--quick)" if args.quick else "")
        (r.work / "results.pickle").write_bytes(pickle.dumps({"results": r.results, "info": info}))
        if args.keep:
            shutil.copy(r.work / "results.pickle", ROOT / "var" / "bench-topology-results.pickle")
        if args.chart and r.results["steps"]:
            chart_svg(r.results["steps"], args.chart)
            print(f"chart written to {args.chart}")
        return 1 if report(r, info, args.markdown) else 0
    finally:
        r.close()


if __name__ == "__main__":
    sys.exit(main())
