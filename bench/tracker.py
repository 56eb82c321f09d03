"""Benchmark the tracker screens (a script, not a test): ``python bench/tracker.py``.

Creates a throwaway database (``bench_plo_<pid>``) on the embedded PostgreSQL, or on the server
of DATABASE_URL, bulk-creates 2,000 open episodes with 50,000 stored deadlines (plus 300
recently ended episodes for the weekly screen's outcomes), then times, server-side through
Django's test Client, the best of at least 5 runs (and of as many as fit in a second) after a
warm-up:

* the pre-action tracker (2,000 rows, shown 100 a page), its CSV and XLSX exports and printout
  (every row);
* the weekly tracker screen; a team manager's dashboard;

against two baselines in the same process: a bare ``SELECT 1`` round trip, and the tracker
filtered to a team of 10 episodes. Target (issue #5): tracker and weekly screen < 500 ms.
``--markdown`` prints the rows for docs/benchmarks.md. Drops the database afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plo_tracker.settings.test")
os.environ.setdefault("PLO_INSECURE_DEV_KEY", "1")

SEED = 20270301
REPEATS = 5
Result = tuple[str, float, float, str, str]  # name, best s, median s, ratio, note


# --- Shared with bench/alerts.py -----------------------------------------------------------------


def django_setup() -> None:
    import django

    django.setup()


class ThrowawayDatabase:
    """A fresh database with the project's migrations, dropped on exit (django.test.utils)."""

    def __enter__(self) -> ThrowawayDatabase:
        from django.db import connection
        from django.test.utils import setup_databases, setup_test_environment

        setup_test_environment()
        # Our own name, so a benchmark never collides with a test run on the same server.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_plo_{os.getpid()}"
        self.old = setup_databases(verbosity=0, interactive=False)
        return self

    def __exit__(self, *exc: object) -> None:
        from django.test.utils import teardown_databases, teardown_test_environment

        teardown_databases(self.old, verbosity=0)
        teardown_test_environment()


def settle() -> None:
    """Collect the building's garbage and set the survivors aside (gc.freeze), so the timings
    that follow do not pay for collecting a hundred thousand objects a server process never
    holds."""
    gc.collect()
    gc.freeze()


def machine() -> dict[str, str]:
    """Where the figures were taken (docs/benchmarks.md records it)."""
    model = platform.processor() or "unknown"
    lscpu = shutil.which("lscpu")
    if lscpu:
        out = subprocess.run([lscpu], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "model": model,
        "python": platform.python_version(),
        "postgresql": pg.split()[0],
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
    }


def timed(
    fn: Callable[[], object], repeats: int = REPEATS, seconds: float = 1.0, most: int = 200
) -> tuple[float, float]:
    """(best, median) wall time in seconds after one warm-up run: at least `repeats` runs, and
    more until `seconds` of runs have passed (at most `most`). A page of 15 ms is timed about 60
    times, as the `SELECT 1` it is compared with is timed 200 times: the best of five runs of a
    quick page is mostly the noise of this shared machine (a collection, a context switch)."""
    fn()
    times: list[float] = []
    while len(times) < repeats or (sum(times) < seconds and len(times) < most):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def select_one_round_trip() -> float:
    """Best of 200 bare `SELECT 1` round trips, in seconds."""
    from django.db import connection

    best = float("inf")
    with connection.cursor() as cursor:
        for _ in range(200):
            start = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            best = min(best, time.perf_counter() - start)
    return best


def page_database_time(fetch: Callable[[], object], runs: int = 30) -> tuple[float, float, int]:
    """Where a page's time goes in the database: (the least, over `runs` requests, of the time
    spent inside its queries as the client sees it; PostgreSQL's own planning and execution of
    those queries, each the best of five EXPLAIN ANALYZE runs; how many queries), in seconds.
    A floor for the page that no Python change can go below."""
    from django.db import connection

    statements: list[tuple[str, Any]] = []
    spent: list[float] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - start)
            statements.append((sql, params))

    least = float("inf")
    for _ in range(runs):
        spent.clear()
        statements.clear()
        with connection.execute_wrapper(wrapper):
            fetch()
        least = min(least, sum(spent))
    server = 0.0
    with connection.cursor() as cursor:
        for sql, params in statements:
            if not sql.lstrip("(").startswith("SELECT"):
                continue  # a session renewal's UPDATE, say: EXPLAIN ANALYZE would run it again
            best = float("inf")
            for _ in range(5):
                # The page's own statements, with their own parameters.
                cursor.execute("EXPLAIN (ANALYZE, SUMMARY) " + sql, params)  # nosec B608: no input
                lines = [row[0] for row in cursor.fetchall()]
                ms = sum(float(line.split(":")[1].split()[0]) for line in lines if line.endswith(" ms"))
                best = min(best, ms / 1000)
            server += best
    return least, server, len(statements)


Target = tuple[str, float, float]  # what, measured ratio, the most it may be


def report_targets(targets: list[Target], markdown: bool = False) -> int:
    """Print every ratio beside its target (issue #14); return how many were missed."""
    missed = 0
    if markdown:
        print("\n| ratio | measured | target | |\n|---|---:|---:|---|")
    else:
        print()
    for what, value, limit in targets:
        ok = value <= limit
        missed += not ok
        mark = "✔" if ok else "✘ MISSED"
        if markdown:
            print(f"| {what} | {value:,.2f}× | ≤ {limit:g}× | {mark} |")
        else:
            print(f"{what:<70} {value:>9,.2f}×  target ≤ {limit:g}×  {mark}")
    return missed


def tracker_floor(*, user_id: int, today: dt.date, soon_before: dt.date, team_id: int | None = None) -> int:
    """The floor for `tracker_rows`: hand-written SQL fetching the same columns (the open episodes
    with their next deadline, counts, assessments and extensions; children; key deadlines;
    meetings; LPMs not yet held) as plain tuples, with no ORM and no Python pass. Returns rows."""
    from django.db import connection

    team = "AND f.team_id = %(team)s" if team_id else ""
    episodes_sql = f"""
        SELECT e.id, e.family_id, f.reference, f.name, f.social_worker_id, u.first_name, u.last_name,
               u.username, f.team_id, t.name, e.stage, e.policy_name, e.decision_date, e.ended_on,
               e.end_outcome, nd.due_on, nd.label, dl.overdue, dl.soon, a.outstanding, a.overdue,
               COALESCE(x.weeks, 0)
        FROM cases_episode e
        JOIN cases_family f ON f.id = e.family_id
        JOIN accounts_user u ON u.id = f.social_worker_id
        JOIN accounts_team t ON t.id = f.team_id
        LEFT JOIN LATERAL (SELECT d.due_on, d.label FROM deadlines_deadline d
                           WHERE d.episode_id = e.id AND d.state = 'open' AND d.due_on IS NOT NULL
                           ORDER BY d.due_on, d.id LIMIT 1) nd ON true
        LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE d.due_on < %(today)s) AS overdue,
                                  count(*) FILTER (WHERE d.due_on >= %(today)s AND d.due_on < %(soon)s) AS soon
                           FROM deadlines_deadline d
                           WHERE d.episode_id = e.id AND d.state = 'open' AND d.due_on IS NOT NULL) dl ON true
        LEFT JOIN LATERAL (SELECT count(*) AS outstanding, count(*) FILTER (WHERE s.due_on < %(today)s) AS overdue
                           FROM cases_assessment s
                           WHERE s.episode_id = e.id AND s.completed_on IS NULL) a ON true
        LEFT JOIN LATERAL (SELECT sum(weeks) AS weeks FROM cases_extension x WHERE x.episode_id = e.id) x ON true
        WHERE e.ended_on IS NULL {team}
          AND (NOT f.restricted OR EXISTS (SELECT 1 FROM cases_familyrestriction r
                                           WHERE r.family_id = f.id AND r.user_id = %(user)s))
    """  # noqa: S608  (a constant; every value is a parameter)
    params: dict[str, Any] = {"today": today, "soon": soon_before, "user": user_id, "team": team_id}
    with connection.cursor() as cursor:
        cursor.execute(episodes_sql, params)
        ids = [row[0] for row in cursor.fetchall()]
        for sql in (
            """SELECT ec.episode_id, c.first_name, c.last_name, c.case_system_id
               FROM cases_episodechild ec JOIN cases_child c ON c.id = ec.child_id
               WHERE ec.episode_id = ANY(%s) ORDER BY c.last_name, c.first_name, c.id""",
            """SELECT episode_id, key, due_on, met_on, state FROM deadlines_deadline
               WHERE episode_id = ANY(%s) AND occurrence = 1
                 AND key IN ('letter_before_proceedings', 'initial_meeting', 'pre_proceedings_end')""",
            "SELECT episode_id, kind, scheduled_for, held_on FROM meetings_meeting WHERE episode_id = ANY(%s)",
            "SELECT episode_id, kind, panel_date FROM meetings_lpm WHERE episode_id = ANY(%s) AND held_on IS NULL",
        ):
            cursor.execute(sql, [ids])
            cursor.fetchall()
    return len(ids)


# Milestones of the standard policy, as (key, occurrence, days after D, responsible role).
MILESTONES: list[tuple[str, int, int, str]] = [
    ("lpm_request_decision", 1, -21, "head_of_service"),
    ("lpm_papers", 1, -7, "business_support"),
    ("lpm_held", 1, 0, "head_of_service"),
    ("lpm_outcome_recorded", 1, 1, "team_manager"),
    ("lpm_minutes", 1, 6, "legal_adviser"),
    ("letter_before_proceedings", 1, 7, "social_worker"),
    ("initial_meeting", 1, 21, "team_manager"),
    ("approved_minutes:initial_meeting", 1, 27, "team_manager"),
    ("review_meeting", 1, 49, "team_manager"),
    ("approved_minutes:review_meeting", 1, 55, "team_manager"),
    ("gateway_review", 1, 56, "head_of_service"),
    ("approved_minutes:gateway_review", 1, 62, "legal_adviser"),
    ("review_meeting", 2, 77, "team_manager"),
    ("approved_minutes:review_meeting", 2, 83, "team_manager"),
    ("gateway_review", 2, 84, "head_of_service"),
    ("approved_minutes:gateway_review", 2, 90, "legal_adviser"),
    ("review_meeting", 3, 105, "team_manager"),
    ("final_meeting", 1, 105, "team_manager"),
    ("approved_minutes:review_meeting", 3, 111, "team_manager"),
    ("approved_minutes:final_meeting", 1, 111, "team_manager"),
    ("pre_proceedings_end", 1, 112, "head_of_service"),
    ("review_meeting", 4, 133, "team_manager"),
    ("approved_minutes:review_meeting", 4, 139, "team_manager"),
    ("review_meeting", 5, 161, "team_manager"),
    ("approved_minutes:review_meeting", 5, 167, "team_manager"),
]


def build(
    *,
    today: dt.date,
    open_episodes: int,
    deadlines_per_episode: int = 25,
    ended_episodes: int = 0,
    small_team: int = 10,
    teams: int = 8,
    overdue_share: float = 0.08,
    seed: int = SEED,
    prefix: str = "",
    first_reference: int = 1,
    seniors: bool = True,
    social_workers_per_team: int = 10,
) -> dict[str, Any]:
    """Bulk-create staff, families, children, episodes, meetings, LPMs, assessments, extensions
    and stored deadlines; returns the people and counts the benchmarks need.

    `prefix` and `first_reference` let a second call add more of the same to the database (the
    large-service benchmark grows 2,000 episodes to 20,000). Rows go in with triggers off
    (`session_replication_role = replica`: no audit-trail rows, no foreign-key triggers), as a
    bulk import would: the benchmark times reading the data, not writing it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        return _build(
            today=today,
            open_episodes=open_episodes,
            deadlines_per_episode=deadlines_per_episode,
            ended_episodes=ended_episodes,
            small_team=small_team,
            teams=teams,
            overdue_share=overdue_share,
            seed=seed,
            prefix=prefix,
            first_reference=first_reference,
            seniors=seniors,
            social_workers_per_team=social_workers_per_team,
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            # VACUUM as well as ANALYZE: a live database has been vacuumed, and without it
            # autovacuum starts on the new rows in the middle of the timings (and index-only
            # scans have no visibility map to use).
            cursor.execute("VACUUM ANALYZE")
        settle()


def _build(
    *,
    today: dt.date,
    open_episodes: int,
    deadlines_per_episode: int,
    ended_episodes: int,
    small_team: int,
    teams: int,
    overdue_share: float,
    seed: int,
    prefix: str,
    first_reference: int,
    seniors: bool,
    social_workers_per_team: int = 10,
) -> dict[str, Any]:
    from django.contrib.auth.models import Group

    from accounts.models import Team, User
    from accounts.roles import Role
    from accounts.services import roles_ensure
    from cases.models import (
        Assessment,
        CareProceedings,
        Child,
        EndOutcome,
        Episode,
        EpisodeChild,
        Extension,
        Family,
        Stage,
    )
    from deadlines.engine import load_policy
    from meetings.models import LPM, LPMKind, LPMOutcome, Meeting, MeetingKind

    rng = random.Random(seed)
    roles_ensure()
    groups = {g.name: g for g in Group.objects.all()}
    policy = load_policy("standard")

    team_objs = Team.objects.bulk_create([Team(name=f"Bench team {prefix}{i + 1}") for i in range(teams)])
    small = Team.objects.create(name=f"Bench small team {prefix}")
    users: list[User] = []
    roles: list[tuple[int, Role]] = []

    def user(username: str, role: Role, team: Team | None) -> User:
        u = User(username=username, first_name=username.split("-")[0].title(), last_name="Bench", team=team)
        u.set_unusable_password()
        u.email = f"{username}@council.example"
        users.append(u)
        roles.append((len(users) - 1, role))
        return u

    sws = {
        t.pk: [user(f"sw-{t.pk}-{i}", Role.SOCIAL_WORKER, t) for i in range(social_workers_per_team)]
        for t in [*team_objs, small]
    }
    tms = {t.pk: user(f"tm-{t.pk}", Role.TEAM_MANAGER, t) for t in [*team_objs, small]}
    # Heads of service and assistant directors are service-wide: a second call adds none (with
    # `seniors=False`), so a larger service raises the same escalations per deadline.
    hos = [user(f"hos-{prefix}{i}", Role.HEAD_OF_SERVICE, None) for i in range(3 if seniors else 0)]
    ads = [user(f"ad-{prefix}{i}", Role.ASSISTANT_DIRECTOR, None) for i in range(2 if seniors else 0)]
    clo = user(f"clo-{prefix}0", Role.COURT_LIAISON_OFFICER, None)
    User.objects.bulk_create(users)
    through = User.groups.through
    through.objects.bulk_create([through(user_id=users[i].pk, group_id=groups[role.label].pk) for i, role in roles])

    def team_for(i: int) -> Team:
        return small if i < small_team else team_objs[i % teams]

    total = open_episodes + ended_episodes
    families = []
    for i in range(total):
        t = team_for(i)
        families.append(
            Family(
                reference=f"PLO-{first_reference + i:06d}",
                name=f"Bench{i} family",
                team=t,
                social_worker=rng.choice(sws[t.pk]),
                team_manager=tms[t.pk],
                restricted=rng.random() < 0.02,
            )
        )
    Family.objects.bulk_create(families)
    restricted_through = Family.restricted_to.through
    restricted_through.objects.bulk_create(
        [
            restricted_through(family_id=f.pk, user_id=uid)
            for f in families
            if f.restricted
            # The CLO is named too, so the timed tracker really shows every open episode.
            for uid in (f.social_worker_id, f.team_manager_id, clo.pk)
        ]
    )
    children = []
    for i, f in enumerate(families):
        for j in range(2):
            children.append(
                Child(
                    family=f,
                    first_name=f"Child{j}",
                    last_name=f"Bench{i}",
                    date_of_birth=dt.date(2018 + j, 1 + i % 12, 1 + i % 28),
                    case_system_id=f"LL{first_reference + i:06d}{j}",
                    previous_pre_proceedings=1 if rng.random() < 0.05 and j == 0 else 0,
                )
            )
    Child.objects.bulk_create(children)

    episodes = []
    for i, f in enumerate(families):
        ended = i >= open_episodes
        if ended:
            ended_on = today - dt.timedelta(days=rng.randint(1, 13 * 7))
            decision = ended_on - dt.timedelta(days=rng.randint(60, 140))
            outcome = rng.choice([EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN, EndOutcome.ISSUE, EndOutcome.NFA])
            stage = Stage.ENDED
        else:
            ended_on, outcome = None, ""
            decision = today - dt.timedelta(days=rng.randint(1, 22 * 7))
            stage = rng.choices([Stage.PRE_PROCEEDINGS, Stage.LPM, Stage.PROCEEDINGS], [90, 5, 5])[0]
        episodes.append(
            Episode(
                family=f,
                policy_name=policy.name,
                policy_version=policy.version,
                stage=stage,
                started_on=decision - dt.timedelta(days=21),
                decision_date=None if stage == Stage.LPM else decision,
                ended_on=ended_on,
                end_outcome=outcome,
                end_decision_date=ended_on,
                opened_by=clo,
            )
        )
    Episode.objects.bulk_create(episodes)
    # An open episode in care proceedings has had the decision to issue, as the product records it
    # (proceedings_decide): here a week ago, or on the LPM decision if that was later.
    CareProceedings.objects.bulk_create(
        [
            CareProceedings(episode=e, issue_decision_on=max(e.decision_date, today - dt.timedelta(days=7)))
            for e in episodes
            if e.stage == Stage.PROCEEDINGS and e.decision_date is not None
        ]
    )
    EpisodeChild.objects.bulk_create(
        [
            EpisodeChild(episode=episodes[k // 2], child=c, earlier_episodes=c.previous_pre_proceedings)
            for k, c in enumerate(children)
        ]
    )

    lpms, meetings, assessments, extensions = [], [], [], []
    deadlines: list[tuple[Any, ...]] = []
    labels = {key: policy.label_for(key.split(":")[0]) for key, _, _, _ in MILESTONES}
    for e in episodes:
        d = e.decision_date or (e.started_on + dt.timedelta(days=21))
        if e.decision_date:
            lpms.append(LPM(episode=e, panel_date=d, held_on=d, outcome=LPMOutcome.INITIATE))
        else:
            lpms.append(LPM(episode=e, panel_date=today + dt.timedelta(days=rng.randint(1, 14))))
        if e.decision_date and (today - d).days > 21:
            meetings.append(Meeting(episode=e, kind=MeetingKind.INITIAL, held_on=d + dt.timedelta(days=20)))
            meetings.append(
                Meeting(episode=e, kind=MeetingKind.REVIEW, scheduled_for=today + dt.timedelta(days=rng.randint(1, 28)))
            )
            if rng.random() < 0.3:
                lpms.append(
                    LPM(episode=e, kind=LPMKind.REVIEW, panel_date=today + dt.timedelta(days=rng.randint(1, 21)))
                )
        for _ in range(2):
            instructed = d + dt.timedelta(days=rng.randint(7, 30))
            due = instructed + dt.timedelta(days=rng.randint(20, 90))
            done = due - dt.timedelta(days=2) if due < today and rng.random() < 0.7 else None
            assessments.append(
                Assessment(
                    episode=e,
                    kind="parenting",
                    provider="Bench provider",
                    instructed_on=instructed,
                    due_on=due,
                    completed_on=done if done is None or done >= instructed else instructed,
                )
            )
        if e.decision_date and (today - d).days > 100 and rng.random() < 0.3:
            extensions.append(
                Extension(
                    episode=e,
                    weeks=rng.randint(1, 4),
                    agreed_on=d + dt.timedelta(days=100),
                    agreed_by=hos[0] if hos else clo,
                    rationale="Bench",
                )
            )
        count = deadlines_per_episode if e.ended_on is None else 10
        for key, occurrence, days, role in MILESTONES[:count]:
            due = d + dt.timedelta(days=days)
            while due.weekday() >= 5:
                due -= dt.timedelta(days=1)
            state, met_on, late = "open", None, 0
            if e.decision_date is None and days > 0:
                # Before the LPM: later milestones wait for it, with a provisional date only.
                deadlines.append((e.pk, key, occurrence, labels[key], None, due, "lpm_held", "open", None, 0, role))
                continue
            horizon = e.ended_on or today
            if due < horizon:
                r = rng.random()
                if r < overdue_share and e.ended_on is None:
                    state = "open"
                elif r < 0.85:
                    state, met_on = "met", due - dt.timedelta(days=rng.randint(0, 3))
                else:
                    late = rng.randint(1, 10)
                    state, met_on = "met_late", due + dt.timedelta(days=late)
            elif e.ended_on is not None:
                state = "not_applicable"
            deadlines.append((e.pk, key, occurrence, labels[key], due, None, "", state, met_on, late, role))
    LPM.objects.bulk_create(lpms)
    Meeting.objects.bulk_create(meetings)
    Assessment.objects.bulk_create(assessments)
    Extension.objects.bulk_create(extensions)
    _copy_deadlines(deadlines)
    return {
        "clo": clo,
        "hos": hos[0] if hos else None,
        "ads": ads,
        "tm": tms[team_objs[0].pk],
        "team": team_objs[0],
        # An open, unrestricted family of that team: the case page the benchmarks open.
        "family": next(
            f
            for f, e in zip(families, episodes, strict=True)
            if f.team_id == team_objs[0].pk and not f.restricted and e.ended_on is None
        ),
        "small_team": small,
        "episodes_open": open_episodes,
        "episodes_ended": ended_episodes,
        "deadlines": len(deadlines),
    }


def _copy_deadlines(rows: list[tuple[Any, ...]]) -> None:
    """Stored deadlines through COPY: 500,000 rows in seconds, where model instances take minutes."""
    import csv
    import io

    from django.db import connection

    from deadlines.models import Deadline

    out = io.StringIO()
    writer = csv.writer(out)
    now = dt.datetime.now(dt.UTC).isoformat()
    for episode_id, key, occurrence, label, due, provisional, waiting, state, met_on, late, role in rows:
        writer.writerow(
            [
                episode_id,
                key,
                occurrence,
                label,
                due or "\\N",
                provisional or "\\N",
                waiting,
                state,
                met_on or "\\N",
                late,
                role,
                "bench",
                "",
                "f",
                "",
                now,
            ]
        )
    out.seek(0)
    columns = (
        "episode_id, key, occurrence, label, due_on, provisional_on, waiting_for, state, met_on, "
        "days_late, responsible_role, source, rule, entered, waived_reason, computed_at"
    )
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {Deadline._meta.db_table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            out,
        )


# --- The tracker benchmark -----------------------------------------------------------------------


def run(markdown: bool) -> int:
    """Build, measure, print; returns how many targets were missed."""
    django_setup()
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from deadlines.screens import soon_before
    from deadlines.selectors.tracker import tracker_page, tracker_rows
    from deadlines.selectors.weekly import weekly_figures
    from deadlines.services import calendar_current

    with ThrowawayDatabase():
        today = timezone.localdate()
        start = time.perf_counter()
        data = build(today=today, open_episodes=2000, ended_episodes=300)
        built = time.perf_counter() - start
        info = machine()

        client = Client()
        client.force_login(data["clo"])
        tracker = reverse("deadlines:tracker")

        def get(url: str, **query: Any) -> Callable[[], object]:
            def fetch() -> object:
                response = client.get(url, query)
                assert response.status_code == 200, response.status_code
                return response

            return fetch

        first_page = client.get(tracker).context["page"]
        html_size = len(client.get(tracker).content)
        measured: list[tuple[str, float, float, str]] = []
        rtt = select_one_round_trip()
        small_best, small_median = timed(get(tracker, team=data["small_team"].pk))
        # The lightest signed-in page there is (the calendar address: no case data, one form):
        # what a request through the middleware, session and GOV.UK layout costs on its own.
        bare_page = timed(get(reverse("deadlines:calendar")))
        in_queries, on_server, queries = page_database_time(get(tracker, team=data["small_team"].pk))
        best, median = timed(get(tracker))
        measured.append(
            (
                f"tracker, all {first_page.total:,} open episodes: page 1 of {first_page.pages}, "
                f"{len(first_page.rows)} rows ({html_size / 1e3:.0f} kB of HTML)",
                best,
                median,
                "target ≤ 3× team of 10",
            )
        )
        cal = calendar_current()
        measured.append(
            (
                "  of which the page's selector (keys of all rows, full rows of the page)",
                *timed(lambda: tracker_page(user=data["clo"], today=today, calendar=cal)),
                "",
            )
        )
        measured.append(
            (
                f"tracker, last page ({first_page.pages} of {first_page.pages})",
                *timed(get(tracker, page=first_page.pages)),
                "",
            )
        )
        measured.append(
            ("tracker sorted by children (every full row built to sort)", *timed(get(tracker, sort="children")), "")
        )
        sel = timed(lambda: tracker_rows(user=data["clo"], today=today, calendar=cal))
        measured.append(
            ("tracker selector, every row (the exports' and printout's; 5 queries + one Python pass)", *sel, "")
        )
        soon = soon_before(today, cal, "standard")
        floor = timed(lambda: tracker_floor(user_id=data["clo"].pk, today=today, soon_before=soon))
        measured.append(("  hand-written SQL for the same columns (the floor)", *floor, ""))
        csv = timed(get(reverse("deadlines:tracker-export", args=["csv"])))
        xlsx = timed(get(reverse("deadlines:tracker-export", args=["xlsx"])))
        measured.append(("tracker CSV export", *csv, ""))
        measured.append(("tracker XLSX export", *xlsx, "target ≤ 2× CSV"))
        measured.append(("tracker printable view", *timed(get(reverse("deadlines:tracker-print"))), ""))
        client.force_login(data["hos"])
        w_best, w_median = timed(get(reverse("deadlines:weekly")))
        measured.append(("weekly tracker screen", w_best, w_median, ""))
        ws = timed(lambda: weekly_figures(user=data["hos"], today=today, calendar=cal))
        measured.append(("  of which the selectors", *ws, ""))
        client.force_login(data["tm"])
        measured.append(
            ("team dashboard (a team of ~250 episodes)", *timed(get(reverse("deadlines:team-dashboard"))), "")
        )

    results: list[Result] = [
        ("bare `SELECT 1` round trip", rtt, rtt, "", "baseline"),
        (
            "tracker, a team of 10 episodes",
            small_best,
            small_median,
            f"{small_best / rtt:,.0f}× `SELECT 1`",
            "baseline; target < 200× `SELECT 1`",
        ),
    ]
    results.append(
        (
            f"  of which waiting on its {queries} queries (client side: send, plan, run, receive, convert)",
            in_queries,
            in_queries,
            f"{in_queries / rtt:,.0f}× `SELECT 1`",
            "best request's sum",
        )
    )
    results.append(
        (
            "  of which PostgreSQL planning and running them (EXPLAIN ANALYZE)",
            on_server,
            on_server,
            f"{on_server / rtt:,.0f}× `SELECT 1`",
            "best of 5 per query, summed",
        )
    )
    results.append(
        (
            "the lightest signed-in page (calendar address, no case data)",
            *bare_page,
            f"{bare_page[0] / rtt:,.0f}× `SELECT 1`",
            "what any page costs before it shows anything",
        )
    )
    results += [(name, b, m, f"{b / small_best:.1f}× team of 10", note) for name, b, m, note in measured]
    of_open = data["episodes_open"] * 25
    summary = (
        f"Data: {data['episodes_open']:,} open episodes with {of_open:,} stored deadlines, "
        f"plus {data['episodes_ended']:,} ended in the last 13 weeks with {data['deadlines'] - of_open:,} "
        f"(built in {built:.0f} s). Best and median of at least 5 runs (as many as fit in a second, "
        "up to 200) after a warm-up, server-side (Django test Client)."
    )
    print_results(info, summary, results, markdown)
    return report_targets(
        [
            ("tracker, all 2,000 open episodes (first page) ÷ a team of 10", best / small_best, 3),
            ("tracker selector ÷ hand-written SQL for the same columns", sel[0] / floor[0], 3),
            ("tracker XLSX export ÷ CSV export", xlsx[0] / csv[0], 2),
            ("tracker, a team of 10 ÷ a bare `SELECT 1`", small_best / rtt, 200),
        ],
        markdown,
    )


def print_results(
    info: dict[str, str],
    summary: str,
    results: list[Result],
    markdown: bool,
) -> None:
    """The figures as text, or as markdown rows for docs/benchmarks.md."""
    if markdown:
        print("| machine | |\n|---|---|")
        for k, v in info.items():
            print(f"| {k} | {v} |")
        print(f"\n{summary}\n")
        print("| measurement | best | median | ratio | note |\n|---|---:|---:|---|---|")
        for name, best, median, ratio, note in results:
            print(f"| {name} | {_ms(best)} | {_ms(median)} | {ratio} | {note} |")
        return
    for k, v in info.items():
        print(f"{k:>14}: {v}")
    print(summary)
    for name, best, median, ratio, note in results:
        print(f"{name:<62} best {_ms(best):>10}  median {_ms(median):>10}  {ratio:<28} {note}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.01 else f"{seconds * 1000:.0f} ms"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print rows for docs/benchmarks.md")
    sys.exit(1 if run(parser.parse_args().markdown) else 0)
