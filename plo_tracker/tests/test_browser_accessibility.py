"""axe-core on every page of the product, with no violation of any impact (issue 13, Accessibility).

The pages come from the URL resolver, as in the authorization matrix: each page is a test of its own
(so the walk spreads over the test workers), and a new page that is neither walked here nor listed in
NOT_A_PAGE (with the reason) gets a test that fails until it is. Each page is opened on the demo
council, with real records of the demo data, as a role the matrix says may open it; every page that
takes a POST is then sent back blank, and its error state (error summary and messages beside the
fields) is checked too. Sign-in, each role's home, the tracker and staff import steps and a tracker
meeting's pages have tests of their own. The keyboard-only journey is in test_browser_keyboard.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.urls import get_resolver, reverse

from accounts.models import Team, User
from accounts.roles import Role
from cases import services as cs
from cases.models import Assessment, Child, Episode, Family, Person, Stage
from conftest import CHROMIUM_CONTEXT, DEMO_NOW, axe_violations, demo_council_database, empty_database, sign_in
from deadlines.models import Deadline, WeeklySnapshot
from deadlines.services import calendar_current
from imports.sample import sample_tracker_xlsx
from imports.tests.test_browser_staff_import import HEADER as STAFF_HEADER
from imports.tests.test_browser_staff_import import ROWS as STAFF_ROWS
from meetings.models import LPM, LPMRequest, Meeting, PermanencyPlanningMeeting
from plo_tracker.tests.shots import SHOTS
from tracker_meetings import services as ts
from tracker_meetings.models import AgendaItem

from .test_authorization_matrix import EXPECTED, NONE, PUBLIC, _url_names

# The demo council is copied in for the module and committed, so the live server sees it; the tests
# are not wrapped in a transaction (see `walk`).
pytestmark = [pytest.mark.browser]

TODAY = dt.date(2026, 11, 23)  # a Monday (conftest.DEMO_TODAY)
PASSWORD = "demo-password-2026"
R = Role

# The demo council's sign-in for each role (cases/demo/staff.py).
DEMO_USER = {
    R.SOCIAL_WORKER: "sam.social",
    R.TEAM_MANAGER: "tara.manager",
    R.COURT_LIAISON_OFFICER: "clara.clo",
    R.HEAD_OF_SERVICE: "helen.hos",
    R.LEGAL_ADVISER: "leo.legal",
    R.BUSINESS_SUPPORT: "ben.support",
    R.SERVICE_MANAGER: "sian.sm",
    R.ASSISTANT_DIRECTOR: "adam.ad",
    R.READ_ONLY: "owen.oversight",
    R.ADMINISTRATOR: "ada.admin",
}
# Who opens a page: the first of these the matrix lets in (the whole-service roles first, so any
# demo family can be used).
VIEW_ORDER = (
    R.HEAD_OF_SERVICE,
    R.COURT_LIAISON_OFFICER,
    R.BUSINESS_SUPPORT,
    R.LEGAL_ADVISER,
    R.ASSISTANT_DIRECTOR,
    R.SERVICE_MANAGER,
    R.TEAM_MANAGER,
    R.SOCIAL_WORKER,
    R.READ_ONLY,
    R.ADMINISTRATOR,
)

# URLs that are not pages a person reads, each with where its output is checked instead.
NOT_A_PAGE = {
    "health": "JSON for the load balancer, not a page",
    "health-live": "JSON for the load balancer, not a page",
    "health-ready": "JSON for monitoring, not a page",
    "metrics": "Prometheus text for monitoring, not a page",
    "accounts:sign-out": "POST only: the Sign out button in the header of every page checked here",
    "accounts:oidc-callback": "where the council's identity provider sends the browser back; it only redirects",
    "deadlines:tracker-export": "a CSV or XLSX download (the tracker page's export links are checked)",
    "deadlines:weekly-history-export": "a CSV or XLSX download (the history page's export links are checked)",
    "deadlines:calendar-feed": "an iCalendar file for calendar apps (its subscription page is checked)",
    "accounts:staff-calendar-reset": "POST only: the Reset calendar address button on a staff page, checked there",
    "tracker_meetings:refresh": "POST only: the Refresh the agenda button on the meeting page, checked there",
    "accounts:staff-invite": "POST only: the Send an invitation button on a person's page, checked there",
    # The pages an emailed link opens, and the second step of sign-in, need a live link or a right
    # password first: accounts/tests/test_browser_invitation.py walks them and runs axe on each.
    "accounts:set-up": "the emailed link's first page: axe-checked in test_browser_invitation.py",
    "accounts:set-up-password": "choosing a password: axe-checked (with errors) in test_browser_invitation.py",
    "accounts:set-up-second-factor": "enrolling from a link: axe-checked (with errors) in test_browser_invitation.py",
    "accounts:second-factor": "sign-in step 2 after a right password: axe-checked in test_browser_invitation.py",
    "letters:template-download": "a Word file (.docx): the template list's links are checked",
    "letters:draft-download": "a Word file (.docx): the draft's preview page and the case page link to it",
    "letters:minutes-download": "a Word file (.docx): the tracker meeting page links to it",
    "cases:national-export-download": "a CSV download made by an export job (its progress page links to it)",
    # Progress pages of jobs (issue 24 §5) need an import or export over the job threshold first; not yet
    # in this walk (the import job's browser test and the export job tests open them).
    "imports:job": "an import job's progress page: opened by imports/tests/test_browser_import_job.py",
    "accounts:staff-import-job": "a staff import job's progress page: opened by imports/tests/test_import_jobs.py",
    "cases:national-export-job": "an export job's progress page: opened by cases/tests/test_export_jobs.py",
    "admin:index": (
        "Django's own admin site, kept for developers (is_staff accounts only, none in the demo): its "
        "templates are Django's, not the product's GOV.UK pages"
    ),
}
# Pages with a form whose blank submission is not an error, and why.
NO_ERROR_STATE = {
    "tracker_meetings:action-done": "one button (Mark as done) and nothing to fill in",
    "deadlines:alert-list": "buttons only (Mark as read), nothing to fill in",
    "deadlines:calendar": "one button (make a new link), nothing to fill in",
    "cases:family-reopen": "one button (Reopen) and nothing to fill in",
    "imports:columns": "checked with a column chosen twice (below): the selects cannot be blank",
    "imports:preview": "the error state is the rows that cannot be imported, checked on the preview",
    "accounts:staff-import-preview": "the error state is the rows that cannot be imported, checked on the preview",
    "accounts:staff-invite-all": "one button (Send the invitations), nothing to fill in",
    "accounts:staff-revoke": "one button (Sign them out and remove it), nothing to fill in",
}


def _role_for(name: str) -> Role | None:
    get = EXPECTED[name][0]
    if get == PUBLIC:
        return None
    return next(role for role in VIEW_ORDER if role in get)


def _demo_ids(clo: User) -> dict[str, Any]:
    """Real records of the demo council for each page that takes one (never a restricted family)."""
    open_families = Family.objects.filter(restricted=False, closed_on__isnull=True)
    pre = Episode.objects.filter(family__in=open_families, stage=Stage.PRE_PROCEEDINGS, ended_on__isnull=True).order_by(
        "pk"
    )
    pre_episode = next(e for e in pre if e.family.people.filter(interpreter_needed=True).exists() or e == pre.last())
    court = Episode.objects.filter(family__in=open_families, stage=Stage.PROCEEDINGS, ended_on__isnull=True).first()
    family = pre_episode.family
    awaiting = LPMRequest.objects.filter(status="awaiting", episode__family__in=open_families).first()
    without_outcome = LPM.objects.filter(outcome="", episode__family__in=open_families).first()
    held = LPM.objects.filter(episode__family__in=open_families).exclude(outcome="").first()
    assessment = Assessment.objects.filter(episode__family__in=open_families, cost_approval_needed=True).first()
    assessment = assessment or Assessment.objects.filter(episode__family__in=open_families).first()
    meeting = Meeting.objects.filter(episode__family__in=open_families).first()
    ppm = PermanencyPlanningMeeting.objects.filter(family__in=open_families).first()
    deadline = Deadline.objects.filter(episode=pre_episode, state="open").first()
    # Families with no open episode: one to ask for an LPM, one the head of service closes (the
    # demo closes no record) so that it can be reopened.
    no_episode, to_close = open_families.exclude(episodes__ended_on__isnull=True).order_by("pk")[:2]
    closed = cs.family_close(
        family=to_close,
        expected_version=None,
        closed_on=TODAY,
        reason="Stepped down to child in need; the family moved away",
        by=User.objects.get(username="helen.hos"),
        today=TODAY,
    )
    week = WeeklySnapshot.objects.filter(team__isnull=True, entries__gt=0).order_by("-week_ending").first()
    # A tracker meeting set up by the CLO, with its agenda built from the tracker and an action.
    tracker_meeting = ts.tracker_meeting_prepare(
        kind="weekly_tracker", meets_on=TODAY, starts_at=dt.time(10), by=clo, today=TODAY, calendar=calendar_current()
    )
    item = AgendaItem.objects.filter(meeting=tracker_meeting).order_by("position").first()
    assert item is not None, "the demo tracker meeting's agenda is empty"
    action = ts.meeting_action_add(
        item=item,
        description="Chase the parenting assessment",
        owner=item.episode.family.social_worker,
        due_on=TODAY + dt.timedelta(days=7),
        by=clo,
    )
    found: dict[str, Any] = {
        "cases:family-detail": family,
        "cases:family-edit": family,
        "cases:family-restriction": family,
        "cases:family-close": family,
        "cases:family-reopen": closed,
        "cases:child-add": family,
        "cases:child-edit": Child.objects.filter(family=family).first(),
        "cases:person-add": family,
        "cases:person-edit": Person.objects.filter(family=family).first(),
        "cases:letter": pre_episode,
        "cases:letter-deliver": pre_episode,
        "cases:proposed-agreement": pre_episode,
        "cases:signed-agreement": pre_episode,
        "cases:extension": pre_episode,
        "cases:episode-end": pre_episode,
        "cases:exit-letter": pre_episode,
        "cases:assessment-add": pre_episode,
        "cases:assessment-edit": assessment,
        "cases:assessment-approve-cost": assessment,
        "cases:proceedings": court,
        "cases:hearing-add": court,
        "cases:court-extension": court,
        "cases:deadline-waive": deadline,
        "meetings:lpm-request": no_episode,
        "meetings:lpm-request-prepare": no_episode,
        "meetings:lpm-request-documents": awaiting,
        "meetings:lpm-request-decide": awaiting,
        "meetings:lpm-list": pre_episode,
        "meetings:lpm-outcome": without_outcome,
        "meetings:lpm-edit": held,
        "meetings:legal-advice": held,
        "meetings:lpm-minutes": held,
        "meetings:meeting-add": pre_episode,
        "meetings:meeting-edit": meeting,
        "meetings:meeting-minutes": meeting,
        "meetings:ppm-add": family,
        "meetings:ppm-minutes": ppm,
        "tracker_meetings:detail": tracker_meeting,
        "tracker_meetings:held": tracker_meeting,
        "tracker_meetings:minutes": tracker_meeting,
        "tracker_meetings:minutes-record": tracker_meeting,
        "tracker_meetings:item": item,
        "tracker_meetings:action-add": item,
        "tracker_meetings:action-done": action,
        "accounts:staff-edit": User.objects.get(username="sam.social"),
        "accounts:staff-reallocate": User.objects.get(username="sam.social"),
        "accounts:staff-revoke": User.objects.get(username="sam.social"),
        "accounts:team-edit": Team.objects.order_by("pk").first(),
        "accounts:area-edit": Team.objects.order_by("pk").first().service_area,  # type: ignore[union-attr]
        "deadlines:weekly-history-week": week,
    }
    # A letter before proceedings drafted for the family, for its preview page (issue 21).
    from letters.services import draft_create

    found["letters:draft"] = pre_episode
    found["letters:draft-preview"] = draft_create(
        episode=pre_episode, kind="letter_before_proceedings", by=clo, today=TODAY
    )[0]
    missing = sorted(name for name, record in found.items() if record is None)
    assert not missing, f"the demo data has no record for {missing}"
    return found


def _url(name: str, ids: dict[str, Any]) -> str:
    if name == "deadlines:calendar-feed-retired":  # an old calendar address opened in a browser
        return reverse(name, kwargs={"token": "an-old-token-0123456789"})
    if name == "deadlines:weekly-history-week":
        return reverse(name, args=[ids[name].week_ending.isoformat()]) + "?figure=entries"
    record = ids.get(name)
    return reverse(name, args=[record.pk]) if record is not None else reverse(name)


# Screens saved for docs/screenshots (see docs/screenshots/README.md).
SCREENSHOTS = {
    "deadlines:calendar": "calendar-subscription.png",
    "cases:person-edit": "person-edit.png",
    "cases:national-export": "national-export.png",
    "meetings:lpm-minutes": "minutes-form.png",
}
ERROR_SCREENSHOTS = {"cases:letter-deliver": "letter-delivery-errors.png"}


class Checker:
    """Opens pages as the right person and keeps what axe found, page by page."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.signed_in: str | None = None
        self.found: dict[str, list[dict[str, object]]] = {}
        self.visited: set[str] = set()
        self.errored: set[str] = set()
        self.unreachable: dict[str, str] = {}

    def fresh(self) -> Checker:
        """Forget what earlier tests found (who is signed in stays, to save signing in again)."""
        self.found, self.visited, self.errored, self.unreachable = {}, set(), set(), {}
        return self

    def as_user(self, username: str | None) -> None:
        if username == self.signed_in:
            return
        if username is None:
            self.page.context.clear_cookies()
        else:
            sign_in(self.page, self.base, username, PASSWORD)
        self.signed_in = username

    def axe(self, label: str) -> None:
        if problems := axe_violations(self.page):
            self.found[label] = problems

    def open(self, name: str, path: str, username: str | None, expected: int = 200) -> bool:
        self.as_user(username)
        response = self.page.goto(self.base + path)
        status = response.status if response else 0
        if status != expected or not self.page.url.endswith(path):
            self.unreachable[name] = f"{path} as {username}: {status}, ended at {self.page.url}"
            return False
        self.page.wait_for_selector("main")
        self.visited.add(name)
        if name in SCREENSHOTS:
            self.page.screenshot(path=str(SHOTS / SCREENSHOTS[name]), full_page=True)
        self.axe(f"{name} ({path})")
        return True

    def _form(self) -> Any:
        """The page's own form: one posting back to the page, not a button posting elsewhere (the
        staff page's "Send an invitation" and "Reset calendar address" sit around its form)."""
        own = self.page.locator("main form[method=post]:not([action]), main form[method=POST]:not([action])")
        if own.count():
            return own.last
        return self.page.locator("main form[method=post], main form[method=POST]").last

    def _submit(self) -> bool:
        self._form().locator("button:not([formaction]), input[type=submit]").last.click()
        self.page.wait_for_load_state()
        return self.page.locator(".govuk-error-summary").count() > 0

    def send_back(self, name: str, path: str) -> None:
        """The page's form sent with every text box emptied; if all its fields are optional, with
        dates that do not exist instead: the error summary and the messages beside the fields."""
        text_boxes = (
            "input[type=text], input[type=email], input[type=tel], input[type=number], input:not([type]), textarea"
        )
        for field in self._form().locator(text_boxes).all():
            if field.is_visible() and field.is_editable():
                field.fill("")
        if not self._submit():
            self.page.goto(self.base + path)
            dates = self._form().locator(".govuk-date-input")
            if not dates.count():
                self.unreachable[f"{name} error state"] = "every field is optional and there is no date to get wrong"
                return
            for group in dates.all():
                for part, value in zip(group.locator("input").all(), ("31", "2", "2026"), strict=True):
                    part.fill(value)
            if not self._submit():
                self.unreachable[f"{name} error state"] = "no error summary for 31 February either"
                return
        self.errored.add(name)
        if name in ERROR_SCREENSHOTS:
            self.page.screenshot(path=str(SHOTS / ERROR_SCREENSHOTS[name]), full_page=True)
        self.axe(f"{name} sent back with errors")


ALL_NAMES = set(_url_names(get_resolver())) | {"admin:index"}
# Pages a journey test below walks (they need more than opening: a wrong password, a file uploaded).
JOURNEY_PAGES = frozenset(
    {
        "accounts:sign-in",
        "accounts:password-reset",
        "home",
        "imports:upload",
        "imports:columns",
        "imports:preview",
        "imports:done",
        "accounts:staff-import",
        "accounts:staff-import-preview",
    }
)
EXPECTED_STATUS = {"deadlines:calendar-feed-retired": 410}  # an old calendar address: "renew your link"


def _who(name: str) -> str | None:
    role = _role_for(name)
    return DEMO_USER[role] if role else None


# Every other page, grouped by the person who opens it (one sign-in per person while in order).
PAGES = sorted(ALL_NAMES - set(NOT_A_PAGE) - JOURNEY_PAGES, key=lambda n: (_who(n) or "", n))


class Walk:
    def __init__(self, page: Any, base: str, ids: dict[str, Any]) -> None:
        self.page, self.base, self.ids = page, base, ids
        self.checker = Checker(page, base)


@pytest.fixture(scope="module")
def walk(browser, django_db_setup, django_db_blocker):
    """The demo council (copied in once for the module, built once per run), a live server of the
    module's own and one browser page, the clock at 09:00 on Monday 23 November 2026. Tests here run
    outside a transaction, like the one walk they were, and the empty database is put back after."""
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        demo_council_database()
    traveller = time_machine.travel(DEMO_NOW, tick=True)
    traveller.start()
    server = context = None
    try:
        with django_db_blocker.unblock():
            ids = _demo_ids(User.objects.get(username="clara.clo"))
        server = LiveServer("localhost")
        context = browser.new_context(**CHROMIUM_CONTEXT)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield Walk(page, server.url, ids)
    finally:
        if context is not None:
            context.close()
        if server is not None:
            server.stop()
        traveller.stop()
        with django_db_blocker.unblock():
            empty_database()


@pytest.fixture(autouse=True)
def _database_open(django_db_blocker):
    """The live server's threads read and write the committed demo council during each test."""
    with django_db_blocker.unblock():
        yield


def _assert_clean(check: Checker) -> None:
    assert check.unreachable == {}, "\n".join(f"{k}: {v}" for k, v in check.unreachable.items())
    assert check.found == {}, "\n".join(f"{k}: {v}" for k, v in check.found.items())


def test_every_page_is_walked_or_said_why_not():
    """NOT_A_PAGE and the journeys name only pages that exist; every other page has its test."""
    gone = (set(NOT_A_PAGE) | JOURNEY_PAGES) - ALL_NAMES
    assert not gone, f"NOT_A_PAGE or JOURNEY_PAGES lists URLs that no longer exist: {sorted(gone)}"
    assert set(PAGES) | JOURNEY_PAGES | set(NOT_A_PAGE) == ALL_NAMES
    assert not set(PAGES) & set(NOT_A_PAGE)


def test_sign_in_page_and_a_wrong_password(walk):
    check, page = walk.checker.fresh(), walk.page
    check.as_user(None)
    check.open("accounts:sign-in", reverse("accounts:sign-in"), None)
    page.fill("#id_username", "sam.social")
    page.fill("#id_password", "not the password")
    page.click("button:has-text('Sign in')")
    page.wait_for_selector(".govuk-error-summary")
    page.screenshot(path=str(SHOTS / "sign-in-error.png"), full_page=True)
    check.axe("sign-in with a wrong password")
    assert "accounts:sign-in" in check.visited
    _assert_clean(check)


def test_forgotten_password_sent_blank_then_sent(walk):
    """Sent blank, then the answer that never says whether the address exists."""
    check, page = walk.checker.fresh(), walk.page
    assert check.open("accounts:password-reset", reverse("accounts:password-reset"), None), check.unreachable
    page.get_by_role("button", name="Send me a reset link").click()
    page.wait_for_selector(".govuk-error-summary")
    check.axe("accounts:password-reset sent back with errors")
    page.fill("#id_email", "nobody@council.example")
    page.get_by_role("button", name="Send me a reset link").click()
    page.wait_for_selector("text=Check your email")
    check.axe("accounts:password-reset sent")
    _assert_clean(check)


@pytest.mark.parametrize("role", list(DEMO_USER))
def test_each_roles_home_page(role, walk):
    check = walk.checker.fresh()
    assert check.open("home", "/", DEMO_USER[role]), check.unreachable
    _assert_clean(check)


def test_tracker_import_steps(walk, tmp_path):
    """Upload (sent empty first), choose columns (one chosen twice), preview with errors, done."""
    check, page = walk.checker.fresh(), walk.page
    sample = tmp_path / "sample-tracker.xlsx"
    sample.write_bytes(sample_tracker_xlsx())
    assert check.open("imports:upload", reverse("imports:upload"), "clara.clo"), check.unreachable
    page.get_by_role("button", name="Upload and choose columns").click()
    page.wait_for_selector(".govuk-error-summary")
    check.axe("imports:upload sent back with errors")
    page.set_input_files("#tracker", str(sample))
    page.get_by_role("button", name="Upload and choose columns").click()
    page.wait_for_selector("[data-testid=columns]")
    check.axe("imports:columns")
    columns_url = page.url
    first = page.input_value("#col_0")
    page.select_option("#col_1", first)
    page.get_by_role("button", name="Check every row").click()
    page.wait_for_selector(".govuk-error-summary")
    check.axe("imports:columns with a column chosen twice")
    page.goto(columns_url)
    page.get_by_role("button", name="Check every row").click()
    page.wait_for_selector("[data-testid=import-rows]")
    assert "cannot be imported" in page.inner_text(".govuk-error-summary")
    check.axe("imports:preview with rows in error")
    page.get_by_role("button", name=re.compile(r"Import \d+ famil")).click()
    page.wait_for_selector("[data-testid=import-result]")
    check.axe("imports:done")
    _assert_clean(check)


def test_staff_import_steps(walk, tmp_path):
    """The staff import: upload (sent empty first), then the preview with a row in error."""
    check, page = walk.checker.fresh(), walk.page
    assert check.open("accounts:staff-import", reverse("accounts:staff-import"), "ada.admin"), check.unreachable
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_selector(".govuk-error-summary")
    check.axe("accounts:staff-import sent back with errors")
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF_HEADER + STAFF_ROWS.format(team="No such team"), encoding="utf-8")
    page.set_input_files("#staff", str(staff))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_selector("[data-testid=import-rows]")
    assert "cannot be imported" in page.inner_text(".govuk-error-summary")
    check.axe("accounts:staff-import-preview with a row in error")
    _assert_clean(check)


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_accessibility_violations(name, walk):
    """The page as a role that may open it, on a real demo record; a form sent back blank too."""
    check = walk.checker.fresh()
    url, who = _url(name, walk.ids), _who(name)
    if check.open(name, url, who, expected=EXPECTED_STATUS.get(name, 200)):
        post = EXPECTED[name][1]
        if post not in (NONE, PUBLIC) and name not in NO_ERROR_STATE and _role_for(name) in post:
            check.send_back(name, url)
    assert name in check.visited, f"never opened: {check.unreachable}"
    _assert_clean(check)


def test_case_page_of_a_family_needing_an_interpreter(walk):
    """Parents with contact details, an interpreter and a solicitor."""
    check, page = walk.checker.fresh(), walk.page
    check.as_user("helen.hos")
    family = Person.objects.filter(interpreter_needed=True, family__restricted=False).first().family  # type: ignore[union-attr]
    page.goto(walk.base + reverse("cases:family-detail", args=[family.pk]))
    page.locator("[data-testid=people]").screenshot(path=str(SHOTS / "case-people.png"))
    check.axe("case page with an interpreter needed")
    _assert_clean(check)


def test_weekly_tracker_history_over_52_weeks(walk):
    """A year of stored weeks, with its charts."""
    check, page = walk.checker.fresh(), walk.page
    check.as_user("helen.hos")
    page.goto(walk.base + reverse("deadlines:weekly-history") + "?weeks=52")
    page.screenshot(path=str(SHOTS / "weekly-history-52-weeks.png"), full_page=True)
    check.axe("weekly tracker history over 52 weeks")
    _assert_clean(check)
