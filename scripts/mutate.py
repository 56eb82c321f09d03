"""`make mutate`: mutation testing of the code that decides who sees what, when things are due and
what is alerted, with the score per module (docs/testing.md, "Mutation testing").

    python scripts/mutate.py            # prepare the database, run mutmut, print the scores
    python scripts/mutate.py --score    # print the scores of the last run only
    python scripts/mutate.py --run 'deadlines.engine*'   # only the mutants whose names match

mutmut (configured under [tool.mutmut] in pyproject.toml) runs the selected tests once, then one
forked child per mutant running only the tests that reach the mutated function. The tests need
PostgreSQL: this script migrates one database, `plo_mutate`, on the embedded server under var/ (or
on the server DATABASE_URL names, if set) and hands it to every child through DATABASE_URL and
PLO_MUTATE_DB_SLOTS: one copy per process that runs tests at once (conftest.py gives each child a
free copy and uses it as it is, rather than creating a test database per child).

A mutant counts as killed when a test fails on it or it times out (an endless loop the tests
caught). The score of a module is killed / (mutants - equivalent mutants); the equivalent ones are
those listed in docs/testing.md's table of equivalent mutants, each with why no test can tell it
from the original.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess  # nosec B404
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DB_NAME = "plo_mutate"

# Module (as docs/testing.md names it) -> the source files it covers, as globs on the path. A file
# split or moved keeps its module as long as it still matches (scopes per app, the engine in parts).
MODULES: dict[str, list[str]] = {
    "scopes": ["accounts/scopes*.py", "*/scopes.py"],
    "alerts": ["deadlines/alerts*.py"],
    "engine": ["deadlines/engine/*.py"],
    "forecast": ["deadlines/forecast*.py"],
    "imports": ["imports/services*.py"],
    "exports": ["cases/exports*.py"],
}

# Module -> the tests that judge its mutants. mutmut first runs every selected test once to learn
# which tests reach which function; a function as central as the timetable is reached by hundreds
# of database tests, and a mutant that survives would run them all. Each module's mutants are
# judged by its own tests only (a stricter gate, and minutes instead of hours per module).
MODULE_TESTS: dict[str, list[str]] = {
    "scopes": ["accounts/tests/test_scope_edges.py::*", "accounts/tests/test_access.py::*", "*/tests/test_scope*"],
    "alerts": ["deadlines/tests/test_alert*"],
    "engine": ["deadlines/tests/engine/*"],
    "forecast": ["deadlines/tests/test_overrun_forecast.py::*"],
    "imports": ["imports/tests/*"],
    "exports": ["cases/tests/test_export*"],
}
# Module -> mutmut's names for its mutants ("deadlines.engine.calendar.x_...__mutmut_3").
MODULE_MUTANTS: dict[str, list[str]] = {
    "scopes": ["accounts.scopes*", "*.scopes.*"],
    "alerts": ["deadlines.alerts*"],
    "engine": ["deadlines.engine.*"],
    "forecast": ["deadlines.forecast*"],
    "imports": ["imports.services*"],
    "exports": ["cases.exports*"],
}

KILLED = {1, 3, 36, 37, 24, -24, 152, 255}  # a test failed, pytest errored, timed out, type check
NOT_RUN = {None, 2, 34}
EQUIVALENT_ROW = re.compile(r"^\|\s*`([\w.]+__mutmut_\d+)`\s*\|")


def module_of(source: str) -> str | None:
    for module, globs in MODULES.items():
        if any(fnmatch.fnmatch(source, g) for g in globs):
            return module
    return None


def equivalent_mutants() -> set[str]:
    """Mutant names in the first column of docs/testing.md's table of equivalent mutants."""
    text = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    return {m.group(1) for line in text.splitlines() if (m := EQUIVALENT_ROW.match(line))}


def scores() -> int:
    """Print each module's score from mutants/**/*.meta; exit status 1 if any is under 90 %."""
    equivalent = equivalent_mutants()
    per_module: dict[str, Counter[str]] = {m: Counter() for m in MODULES}
    survivors: dict[str, list[str]] = {m: [] for m in MODULES}
    for meta in sorted((REPO / "mutants").rglob("*.py.meta")):
        source = str(meta.relative_to(REPO / "mutants"))[: -len(".meta")]
        module = module_of(source)
        if module is None:
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        for name, code in codes.items():
            tally = per_module[module]
            tally["mutants"] += 1
            if name in equivalent:
                tally["equivalent"] += 1
            elif code in KILLED:
                tally["killed"] += 1
            elif code in NOT_RUN:
                tally["not run"] += 1
            else:
                tally["survived"] += 1
                survivors[module].append(name)
    failing = False
    # score: killed of all the module's mutants but the equivalent ones (a mutant not run counts
    # against it); "of run": killed of those run so far, for a run stopped part way.
    print(
        f"{'module':<10} {'mutants':>8} {'killed':>7} {'equiv.':>7} {'survived':>9} {'not run':>8} "
        f"{'score':>7} {'of run':>7}"
    )
    for module, tally in per_module.items():
        judged = tally["mutants"] - tally["equivalent"]
        score = 100.0 * tally["killed"] / judged if judged else 0.0
        run = tally["killed"] + tally["survived"]
        of_run = f"{100.0 * tally['killed'] / run:>6.1f}%" if run else f"{'-':>7}"
        failing |= score < 90.0
        print(
            f"{module:<10} {tally['mutants']:>8} {tally['killed']:>7} {tally['equivalent']:>7} "
            f"{tally['survived']:>9} {tally['not run']:>8} {score:>6.1f}% {of_run}"
        )
    listing = REPO / "mutants" / "survivors.txt"
    listing.write_text(
        "".join(f"{module}\t{name}\n" for module, names in survivors.items() for name in names), encoding="utf-8"
    )
    print(f"Survivors (not listed as equivalent): {listing.relative_to(REPO)}; `mutmut show NAME` shows one.")
    return 1 if failing else 0


def module_of_function(mangled: str) -> str | None:
    for module, globs in MODULE_MUTANTS.items():
        if any(fnmatch.fnmatch(mangled, g) for g in globs):
            return module
    return None


def mutmut_with_own_tests(argv: list[str]) -> None:
    """mutmut's command line, with each module's functions mapped to its own tests only."""
    from mutmut import __main__ as mutmut_main
    from mutmut.state import state
    from mutmut.stats import save_stats

    original = mutmut_main.collect_or_load_stats

    def collect_or_load_stats(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)  # type: ignore[arg-type]
        tests = state().tests_by_mangled_function_name
        for function in list(tests):
            module = module_of_function(function)
            own = MODULE_TESTS.get(module or "", [])
            tests[function] = {t for t in tests[function] if any(fnmatch.fnmatch(t, g) for g in own)}
        save_stats()

    mutmut_main.collect_or_load_stats = collect_or_load_stats
    mutmut_main.cli(argv)


def database_url(slots: int, *, keep: bool = False) -> tuple[str, list[str], object]:
    """A freshly migrated `plo_mutate` database and `slots` copies of it, one per process that may
    run tests at once; returns its URL, the copies' names and the server handle to keep."""
    import psycopg2  # type: ignore[import-untyped]  # no stubs installed; two plain statements

    sys.path.insert(0, str(REPO))
    given = os.environ.get("DATABASE_URL")
    server = None
    if given:
        base = given
    else:
        from plo_tracker import embedded

        base = embedded.embedded_database_url()
        server = embedded._server
    names = [f"{DB_NAME}_{i}" for i in range(slots)]
    conn = psycopg2.connect(base)
    conn.autocommit = True
    # the same server and options, the database name swapped
    scheme, rest = base.split("://", 1)
    head, _, tail = rest.partition("/")
    _, q, query = tail.partition("?")
    url = f"{scheme}://{head}/{DB_NAME}{q}{query}"
    if keep:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname = ANY(%s)", ([*names, DB_NAME],))
            if cursor.fetchone()[0] == len(names) + 1:
                conn.close()
                return url, names, server
    with conn.cursor() as cursor:
        for name in [*names, DB_NAME]:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(  # nosec B603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=REPO,
        env=child_env(url, []),
        check=True,
    )
    with conn.cursor() as cursor:
        for name in names:
            cursor.execute(f"CREATE DATABASE {name} TEMPLATE {DB_NAME}")
    conn.close()
    return url, names, server


def child_env(url: str, slots: list[str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="plo_tracker.settings.test")
    if slots:
        env["PLO_MUTATE_DB_SLOTS"] = ",".join(slots)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--score", action="store_true", help="print the scores of the last run only")
    parser.add_argument("--mutmut", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--keep-db", action="store_true", help="reuse the databases of the last run")
    parser.add_argument(
        "--module",
        nargs="*",
        default=["engine", "forecast", "exports", "alerts", "scopes", "imports"],
        help="modules to run (all by default, quickest first)",
    )
    parser.add_argument("--run", nargs="*", default=[], help="mutant name globs to (re)run")
    parser.add_argument("--max-children", type=int, default=int(os.environ.get("MUTATE_CHILDREN", "1")))
    args = parser.parse_args()
    if args.mutmut is not None:
        mutmut_with_own_tests(args.mutmut)
        return 0
    if args.score:
        return scores()
    url, slots, server = database_url(args.max_children + 2, keep=args.keep_db)  # children, mutmut, stats
    # One module at a time, so each "clean run" before the mutants runs that module's tests only.
    groups = [args.run] if args.run else [MODULE_MUTANTS[m] for m in args.module]
    for names in groups:
        mutmut = [sys.executable, __file__, "--mutmut", "run", "--max-children", str(args.max_children), *names]
        status = subprocess.run(mutmut, cwd=REPO, env=child_env(url, slots), check=False).returncode  # nosec B603
        if status != 0:
            print(f"mutmut stopped with status {status}")
            return status
    del server  # the embedded server stops once no process uses it
    return scores()


if __name__ == "__main__":
    sys.exit(main())
