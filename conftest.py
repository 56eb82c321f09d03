"""Fixtures shared by every app's tests: staff in each role, signed-in clients."""

from __future__ import annotations

import os
from collections.abc import Callable

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


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; browser tests fail (not skip) in CI without it."""
    need_service(os.path.exists(CHROMIUM), f"Chromium at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page (CSP bypassed only so the axe-core checker can be injected)."""
    context = browser.new_context(
        bypass_csp=True, locale="en-GB", timezone_id="Europe/London", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


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

    def pytest_configure(config):
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
