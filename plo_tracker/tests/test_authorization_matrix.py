"""Every URL the project defines x every role and anonymous x GET and POST, against declared tables.

The URLs come from the resolver, so a new page without an entry in EXPECTED fails this test
(issue #6). Which roles may use a page is written out here rather than imported from the views,
so a change of who may use a page has to be made in two places on purpose.

Which *records* each role may reach is read from the table in docs/security.md ("Records a role
can see"), the one the documentation shows: for every page that takes a record, every role is
checked on a case of their own team, of another team (in another service area), and on restricted
cases they are and are not named on (issue 9). That grid is decided by calling the page's own scope
look-up and access check directly; one real request per page and role (on a kind of case that turns
round) shows the page goes through them (issue 23: the grid over HTTP took minutes).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import LABEL_TO_ROLE, Role
from accounts.scopes import ADVICE_READ_SCOPE, ADVICE_WRITE_SCOPE, READ_SCOPE, WRITE_SCOPE

from .conftest import OTHER_TEAM, OWN_TEAM, RESTRICTED_NAMED, RESTRICTED_NOT_NAMED, VARIANTS

pytestmark = pytest.mark.django_db

R = Role
ALL = frozenset(Role)
READERS = ALL - {R.ADMINISTRATOR}
WRITERS = READERS - {R.READ_ONLY}
PUBLIC = "public"
# Pages an emailed link opens (issue 24 §1): anyone may, signed in or not; without a live link
# they say so (410), and they never send anyone to sign in.
LINK = "link"
NONE: frozenset[Role] = frozenset()
MEETING_PREPARERS = frozenset({R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT, R.HEAD_OF_SERVICE})
MEETING_RECORDERS = MEETING_PREPARERS | {R.ASSISTANT_DIRECTOR, R.SERVICE_MANAGER}
IMPORTERS = {R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE}
# docs/security.md: legal advisers and assistant directors do not change families, children or parents.
FAMILY_WRITERS = frozenset(
    {R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT}
)

# Who drafts some document from a case: the letter and agreement (social worker, team manager, CLO,
# business support), the exit letter (end roles), the letter of issue (court roles), the LPM cover
# sheet (LPM roles).
DRAFTERS = frozenset(
    {
        R.SOCIAL_WORKER,
        R.TEAM_MANAGER,
        R.COURT_LIAISON_OFFICER,
        R.BUSINESS_SUPPORT,
        R.SERVICE_MANAGER,
        R.HEAD_OF_SERVICE,
        R.ASSISTANT_DIRECTOR,
    }
)

# url name -> (roles that may GET, roles that may POST). PUBLIC needs no sign-in.
EXPECTED: dict[str, tuple[Any, Any]] = {
    "home": (ALL, NONE),
    "health": (PUBLIC, NONE),
    "health-live": (PUBLIC, NONE),
    "health-ready": (PUBLIC, NONE),
    # The test client connects from 127.0.0.1, inside the default PLO_METRICS_ALLOWED_NETWORKS.
    "metrics": (PUBLIC, NONE),
    "audit-history": ({R.ADMINISTRATOR, R.HEAD_OF_SERVICE}, NONE),
    "accounts:sign-in": (PUBLIC, PUBLIC),
    "accounts:sign-out": (NONE, ALL),
    "accounts:signed-out": (PUBLIC, NONE),
    # Single sign-on: without an issuer configured both say it is not set up.
    "accounts:oidc-start": (PUBLIC, NONE),
    "accounts:oidc-callback": (PUBLIC, NONE),
    # The second step of password sign-in, and the pages of an emailed invitation or reset link.
    "accounts:second-factor": (PUBLIC, PUBLIC),
    "accounts:password-reset": (PUBLIC, PUBLIC),
    "accounts:set-up": (LINK, LINK),
    "accounts:set-up-password": (LINK, LINK),
    "accounts:set-up-second-factor": (LINK, LINK),
    "accounts:recovery-codes": (ALL, NONE),
    "cases:family-list": (READERS, NONE),
    "cases:family-create": (
        {
            R.SOCIAL_WORKER,
            R.TEAM_MANAGER,
            R.SERVICE_MANAGER,
            R.HEAD_OF_SERVICE,
            R.COURT_LIAISON_OFFICER,
            R.BUSINESS_SUPPORT,
        },
    )
    * 2,
    "cases:my-cases": ({R.SOCIAL_WORKER, R.TEAM_MANAGER}, NONE),
    "cases:family-detail": (READERS, NONE),
    "cases:family-edit": (FAMILY_WRITERS,) * 2,
    "cases:family-restriction": ({R.HEAD_OF_SERVICE, R.SERVICE_MANAGER},) * 2,
    "cases:family-close": ({R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE},) * 2,
    "cases:family-reopen": ({R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE},) * 2,
    "cases:child-add": (FAMILY_WRITERS,) * 2,
    "cases:child-edit": (FAMILY_WRITERS,) * 2,
    "cases:person-add": (FAMILY_WRITERS,) * 2,
    "cases:person-edit": (FAMILY_WRITERS,) * 2,
    "cases:letter": ({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT},) * 2,
    # The proposed agreement goes to legal with the letter (002): the same people send both.
    "cases:signed-agreement": ({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT},) * 2,
    "cases:proposed-agreement": ({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT},) * 2,
    "cases:letter-deliver": ({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT},) * 2,
    "cases:extension": ({R.HEAD_OF_SERVICE},) * 2,
    "cases:episode-end": ({R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE, R.COURT_LIAISON_OFFICER},) * 2,
    "cases:exit-letter": ({R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE, R.COURT_LIAISON_OFFICER},) * 2,
    "cases:assessment-add": ({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT},) * 2,
    "cases:assessment-edit": ({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT},) * 2,
    "cases:assessment-approve-cost": ({R.HEAD_OF_SERVICE},) * 2,
    "cases:proceedings": ({R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.HEAD_OF_SERVICE, R.BUSINESS_SUPPORT},) * 2,
    "cases:hearing-add": ({R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.HEAD_OF_SERVICE, R.BUSINESS_SUPPORT},) * 2,
    "cases:court-extension": ({R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.HEAD_OF_SERVICE, R.BUSINESS_SUPPORT},) * 2,
    "cases:deadline-waive": ({R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE},) * 2,
    "cases:national-export": (
        {R.COURT_LIAISON_OFFICER, R.HEAD_OF_SERVICE, R.SERVICE_MANAGER, R.ASSISTANT_DIRECTOR},
        NONE,
    ),
    # A large export made by a worker (issue 24 §5): read by the person who asked only.
    "cases:national-export-job": (
        {R.COURT_LIAISON_OFFICER, R.HEAD_OF_SERVICE, R.SERVICE_MANAGER, R.ASSISTANT_DIRECTOR},
        NONE,
    ),
    "cases:national-export-download": (
        {R.COURT_LIAISON_OFFICER, R.HEAD_OF_SERVICE, R.SERVICE_MANAGER, R.ASSISTANT_DIRECTOR},
        NONE,
    ),
    "meetings:lpm-request": ({R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE},) * 2,
    # 002 §4: the social worker prepares the request; a manager reviews it and makes it.
    "meetings:lpm-request-prepare": ({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE},) * 2,
    "meetings:lpm-request-documents": ({R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE},) * 2,
    "meetings:lpm-request-decide": ({R.HEAD_OF_SERVICE},) * 2,
    "meetings:lpm-list": (
        {
            R.TEAM_MANAGER,
            R.SERVICE_MANAGER,
            R.HEAD_OF_SERVICE,
            R.ASSISTANT_DIRECTOR,
            R.COURT_LIAISON_OFFICER,
            R.BUSINESS_SUPPORT,
        },
    )
    * 2,
    "meetings:lpm-outcome": (
        {
            R.TEAM_MANAGER,
            R.SERVICE_MANAGER,
            R.HEAD_OF_SERVICE,
            R.ASSISTANT_DIRECTOR,
            R.COURT_LIAISON_OFFICER,
            R.BUSINESS_SUPPORT,
        },
    )
    * 2,
    "meetings:lpm-edit": (
        {
            R.TEAM_MANAGER,
            R.SERVICE_MANAGER,
            R.HEAD_OF_SERVICE,
            R.ASSISTANT_DIRECTOR,
            R.COURT_LIAISON_OFFICER,
            R.BUSINESS_SUPPORT,
        },
    )
    * 2,
    "meetings:legal-advice": ({R.LEGAL_ADVISER, R.HEAD_OF_SERVICE},) * 2,
    "meetings:meeting-add": (
        {R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT},
    )
    * 2,
    "meetings:meeting-edit": (
        {R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT},
    )
    * 2,
    "meetings:ppm-add": ({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_MANAGER, R.BUSINESS_SUPPORT},) * 2,
    "meetings:ppm-minutes": ({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_MANAGER, R.BUSINESS_SUPPORT},) * 2,
    "meetings:meeting-minutes": (
        {R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT},
    )
    * 2,
    "meetings:lpm-minutes": (
        {
            R.TEAM_MANAGER,
            R.SERVICE_MANAGER,
            R.HEAD_OF_SERVICE,
            R.ASSISTANT_DIRECTOR,
            R.COURT_LIAISON_OFFICER,
            R.BUSINESS_SUPPORT,
        },
    )
    * 2,
    "deadlines:team-dashboard": ({R.TEAM_MANAGER, R.SERVICE_MANAGER}, NONE),
    "deadlines:tracker": (READERS - {R.SOCIAL_WORKER}, NONE),
    "deadlines:tracker-print": (READERS - {R.SOCIAL_WORKER}, NONE),
    "deadlines:tracker-export": (READERS - {R.SOCIAL_WORKER}, NONE),
    "deadlines:weekly": ({R.HEAD_OF_SERVICE, R.ASSISTANT_DIRECTOR, R.SERVICE_MANAGER}, NONE),
    "deadlines:weekly-history": ({R.HEAD_OF_SERVICE, R.ASSISTANT_DIRECTOR, R.SERVICE_MANAGER}, NONE),
    "deadlines:weekly-history-week": ({R.HEAD_OF_SERVICE, R.ASSISTANT_DIRECTOR, R.SERVICE_MANAGER}, NONE),
    "deadlines:weekly-history-export": ({R.HEAD_OF_SERVICE, R.ASSISTANT_DIRECTOR, R.SERVICE_MANAGER}, NONE),
    "deadlines:alert-list": (READERS, READERS),
    "deadlines:calendar": (READERS, READERS),
    "deadlines:calendar-feed": ("token", NONE),
    "deadlines:go-live": ({R.ADMINISTRATOR},) * 2,
    "deadlines:calendar-feed-retired": (PUBLIC, NONE),  # "renew your link", whatever the token
    # Tracker meetings and panels (issue 13 §3): the CLO, business support and heads of service set
    # them up; senior managers record in them too; an action's owner (here the social worker) may
    # mark it done.
    "tracker_meetings:list": (READERS - {R.SOCIAL_WORKER}, NONE),
    "tracker_meetings:detail": (READERS - {R.SOCIAL_WORKER}, NONE),
    "tracker_meetings:minutes": (READERS - {R.SOCIAL_WORKER}, NONE),
    "tracker_meetings:prepare": (MEETING_PREPARERS,) * 2,
    "tracker_meetings:refresh": (NONE, MEETING_PREPARERS),
    "tracker_meetings:held": (MEETING_RECORDERS,) * 2,
    "tracker_meetings:minutes-record": (MEETING_RECORDERS,) * 2,
    # A legal adviser records a case's legal advice there, and nothing else.
    "tracker_meetings:item": (MEETING_RECORDERS | {R.LEGAL_ADVISER},) * 2,
    "tracker_meetings:action-add": (MEETING_RECORDERS,) * 2,
    "tracker_meetings:action-done": (MEETING_RECORDERS | {R.SOCIAL_WORKER},) * 2,
    "accounts:staff-list": ({R.ADMINISTRATOR}, NONE),
    "accounts:staff-add": ({R.ADMINISTRATOR},) * 2,
    "accounts:staff-edit": ({R.ADMINISTRATOR},) * 2,
    "accounts:staff-reallocate": ({R.ADMINISTRATOR},) * 2,
    "accounts:staff-calendar-reset": (NONE, {R.ADMINISTRATOR}),
    "accounts:staff-import": ({R.ADMINISTRATOR},) * 2,
    "accounts:staff-import-preview": ({R.ADMINISTRATOR},) * 2,
    "accounts:staff-invite": (NONE, {R.ADMINISTRATOR}),
    "accounts:staff-invite-all": ({R.ADMINISTRATOR},) * 2,
    "accounts:staff-revoke": ({R.ADMINISTRATOR},) * 2,
    "accounts:team-add": ({R.ADMINISTRATOR},) * 2,
    "accounts:team-edit": ({R.ADMINISTRATOR},) * 2,
    "accounts:area-add": ({R.ADMINISTRATOR},) * 2,
    "accounts:area-edit": ({R.ADMINISTRATOR},) * 2,
    "imports:upload": (IMPORTERS, IMPORTERS),
    "imports:columns": (IMPORTERS, IMPORTERS),
    "imports:preview": (IMPORTERS, IMPORTERS),
    "imports:done": (IMPORTERS, NONE),
    "imports:job": (IMPORTERS, NONE),
    "accounts:staff-import-job": ({R.ADMINISTRATOR}, NONE),
    # Letters and papers (issue 21): the administrator keeps the council's templates; a document is
    # drafted by those who record its step (letters.kinds.DRAFT_ROLES); anyone who sees the case reads it.
    "letters:template-list": ({R.ADMINISTRATOR}, NONE),
    "letters:template-upload": ({R.ADMINISTRATOR},) * 2,
    "letters:template-download": ({R.ADMINISTRATOR}, NONE),
    "letters:draft": (DRAFTERS,) * 2,
    "letters:draft-preview": (READERS, NONE),
    "letters:draft-download": (READERS, NONE),
    "letters:minutes-download": (READERS - {R.SOCIAL_WORKER}, NONE),
    # The admin site keeps its own checks (is_staff, model permissions); only its front door is listed.
    "admin:index": ("admin", "admin"),
}


def _url_names(resolver: URLResolver, namespace: str = "") -> list[str]:
    names = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace == "admin":
                continue
            names += _url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.append(f"{namespace}{entry.name}")
    return names


def test_every_url_is_in_the_declared_table():
    names = set(_url_names(get_resolver())) | {"admin:index"}
    missing = names - set(EXPECTED)
    assert not missing, f"pages with no declared access: {sorted(missing)}"
    assert not set(EXPECTED) - names, f"declared but gone: {sorted(set(EXPECTED) - names)}"


def _url(name: str, world: dict[str, Any], user: Any) -> str:
    if name in ("deadlines:tracker-export", "deadlines:weekly-history-export"):
        return reverse(name, kwargs={"fmt": "csv"})
    if name == "deadlines:weekly-history-week":
        return reverse(name, args=["2027-01-31"]) + "?figure=entries"
    if name == "deadlines:calendar-feed":
        token = user.calendar_token if user is not None else world["users"][R.SOCIAL_WORKER].calendar_token
        return reverse(name) + "?key=" + token
    if name == "deadlines:calendar-feed-retired":
        return reverse(name, kwargs={"token": "an-old-token-0123456789"})
    if name in EXPORT_JOB_PAGES:
        return reverse(name, args=[_export_job(user or world["users"][R.COURT_LIAISON_OFFICER]).pk])
    pk = world["kwargs"].get(name)
    return reverse(name, args=[pk]) if pk is not None else reverse(name)


EXPORT_JOB_PAGES = ("cases:national-export-job", "cases:national-export-download")


def _export_job(owner: Any) -> Any:
    """A finished national export of the person's own: the job pages are the asker's only."""
    from cases.models import ExportState, NationalExportJob

    job, _ = NationalExportJob.objects.get_or_create(
        requested_by=owner,
        code_set="national",
        date_from=dt.date(2026, 4, 1),
        date_to=dt.date(2027, 3, 31),
        defaults={"state": ExportState.DONE, "content": "PREP024A\r\n"},
    )
    return job


def _allowed(spec: Any, role: Role | None) -> bool:
    if spec == PUBLIC or spec == "token":
        return True
    if spec == "admin":
        return role == R.ADMINISTRATOR
    return role is not None and role in spec


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_page_admits_exactly_its_roles(name, shared_world):
    world = shared_world
    get_spec, post_spec = EXPECTED[name]
    for role in [None, *Role]:
        user = world["users"][role] if role else None
        client = Client()
        if user is not None:
            client.force_login(user)
        url = _url(name, world, user)
        for method, spec in (("GET", get_spec), ("POST", post_spec)):
            response = client.get(url) if method == "GET" else client.post(url, {})
            who = role.value if role else "anonymous"
            status = response.status_code
            if name == "health-ready" and status == 503:
                # Readiness's own answer, not a refusal: no beat has run in this test world.
                assert response.json()["checks"] == {"database": "ok", "broker": "ok", "beat": "stale"}
                status = 200
            public_page = PUBLIC in (get_spec, post_spec) or get_spec in ("token", LINK)
            if spec == LINK:
                assert status in (200, 302, 410), (name, method, who, status)
                if status == 302:
                    assert "/accounts/sign-in/" not in response["Location"], (name, method, who)
            elif spec == "admin":
                # Anonymous: to the sign-in page; signed in without the admin role: a plain 403.
                expected = (200, 302) if role == R.ADMINISTRATOR else (302,) if role is None else (403,)
                assert status in expected, (name, method, who, status)
            elif role is None and public_page and spec is NONE:
                assert status == 405, (name, method, who, status)
            elif role is None and spec not in (PUBLIC, "token", "admin"):
                assert status == 302 and "/accounts/sign-in/" in response["Location"], (name, method, who, status)
            elif spec == "admin" and role != R.ADMINISTRATOR:
                assert status == 302, (name, method, who, status)  # to the admin's sign-in
            elif spec is NONE or spec == frozenset():
                # No role may use this method: refused (403) or not allowed at all (405).
                assert status in (403, 405), (name, method, who, status)
            elif _allowed(spec, role):
                assert status in (200, 302), (name, method, who, status)
                if status == 302:
                    assert "/accounts/sign-in/" not in response["Location"], (name, method, who)
            else:
                assert status == 403, (name, method, who, status)


def test_posts_without_a_csrf_token_are_refused(shared_world):
    world = shared_world
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"][R.TEAM_MANAGER])
    for name in ("cases:child-add", "cases:letter-deliver", "meetings:meeting-add", "accounts:sign-out"):
        response = client.post(_url(name, world, None), {"first_name": "x"})
        assert response.status_code == 403, name
        assert "Your form could not be sent" in response.content.decode()


# --- Record level: the table in docs/security.md ---------------------------------------------

SECURITY_MD = Path(__file__).resolve().parents[2] / "docs" / "security.md"
COLUMNS = ("see", "write", "advice read", "advice write")
SCOPE_WORDS = {"team", "service area", "whole service", "none"}


def documented_scopes() -> dict[Role, dict[str, str]]:
    """The "Records a role can see" table of docs/security.md: role -> column -> scope word."""
    text = SECURITY_MD.read_text(encoding="utf-8")
    section = text.split("## Records a role can see", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| role")]
    table: dict[Role, dict[str, str]] = {}
    for line in rows:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        role = LABEL_TO_ROLE[cells[0]]
        assert set(cells[1:]) <= SCOPE_WORDS, line
        table[role] = dict(zip(COLUMNS, cells[1:], strict=True))
    return table


def test_the_code_implements_the_documented_table():
    """accounts.scopes holds the same table the documentation shows, for every role."""
    table = documented_scopes()
    assert set(table) == set(Role)
    for role, cells in table.items():
        assert READ_SCOPE[role] == cells["see"], role
        assert WRITE_SCOPE[role] == cells["write"], role
        assert ADVICE_READ_SCOPE[role] == cells["advice read"], role
        assert ADVICE_WRITE_SCOPE[role] == cells["advice write"], role


def _reaches(word: str, variant: str) -> bool:
    """Whether a role with this scope word reaches a case of this kind (the world's layout:
    everyone's team is in the service manager's area; the other team is in another area)."""
    if word == "none" or variant == RESTRICTED_NOT_NAMED:
        return False
    if variant in (OWN_TEAM, RESTRICTED_NAMED):
        return True
    assert variant == OTHER_TEAM
    return word == "whole service"


RECORD_PAGES = sorted(
    n for n in EXPECTED if n.startswith(("cases:", "meetings:", "letters:draft")) and n != "cases:family-list"
)
# Pages that only read a case: whoever sees the family reaches them, whether or not they may change it.
READ_PAGES = frozenset({"cases:family-detail", "letters:draft-preview", "letters:draft-download"})


RECORD_LEVEL_PAGES = [
    n
    for n in RECORD_PAGES
    if n not in ("cases:family-create", "cases:my-cases", "cases:national-export", *EXPORT_JOB_PAGES)
]
# The pages that are not step views find their record through a selector of their own.
READ_SELECTORS = {
    "cases:family-detail": "cases.selectors.family_get",
    "letters:draft-preview": "letters.selectors.draft_get",
    "letters:draft-download": "letters.selectors.draft_get",
}


def _expected_statuses(name: str, role: Role, variant: str, method: str, table: dict[Role, dict[str, str]]):
    """The answers the table allows this person on this kind of case (docs/security.md)."""
    spec = EXPECTED[name][0 if method == "GET" else 1]
    column = "advice write" if name == "meetings:legal-advice" else "see"
    if spec is NONE or role not in spec:
        return (403, 405)
    if _reaches(table[role][column], variant) and (name in READ_PAGES or _reaches(table[role]["write"], variant)):
        return (200, 302)
    if _reaches(table[role]["see"], variant):
        return (403,)  # may see the case but not change it
    return (404,)  # its existence is not revealed


def _decided_by_the_view(name: str, url: str, user: Any) -> int:
    """What the page's own code decides for this person and record, without a request through the
    middleware or a page drawn: a step view's scope look-up, its hooks and its access check (the
    code StepView.dispatch runs), or the read page's selector. 404 when the scope does not find the
    record, 403 when the view refuses a change, 200 when it would go on to the form."""
    from importlib import import_module

    from django.core.exceptions import PermissionDenied
    from django.http import Http404
    from django.test import RequestFactory
    from django.urls import resolve

    from plo_tracker.stepview import StepView

    match = resolve(url)
    request = RequestFactory().get(url)
    request.user = user
    try:
        view_class = getattr(match.func, "view_class", None)
        if view_class is not None and issubclass(view_class, StepView):
            view = view_class()
            view.setup(request, *match.args, **match.kwargs)
            view.family, view.obj = view.resolve()
            view.after_resolve()
            view.check_access()
        else:
            module, function = READ_SELECTORS[name].rsplit(".", 1)
            getattr(import_module(module), function)(user, match.kwargs["pk"])
    except Http404:
        return 404
    except PermissionDenied:
        return 403
    return 200


@pytest.mark.parametrize("name", RECORD_LEVEL_PAGES)
def test_each_page_reaches_exactly_the_records_the_table_allows(name, shared_world):
    """Every role on every kind of case (own team, another team, restricted and not named, restricted
    and named) is decided by the page's own scope look-up and access check, called directly; then
    each role makes one real request to the page (GET, or POST where only POST is theirs), the kind
    of case turning round from role to role and page to page, so the view is seen to use that code."""
    world = shared_world
    table = documented_scopes()
    get_spec, post_spec = EXPECTED[name]
    for variant in VARIANTS:
        url = reverse(name, args=[world["variants"][variant][name]])
        for role in Role:
            if role not in get_spec and role not in post_spec:
                continue  # refused by its role before any record is looked up (the test above)
            method = "GET" if role in get_spec else "POST"
            expected = _expected_statuses(name, role, variant, method, table)
            decided = _decided_by_the_view(name, url, world["users"][role])
            assert decided in expected, (name, variant, role.value, decided)

    turn = RECORD_LEVEL_PAGES.index(name)
    for i, role in enumerate(Role):
        variant = VARIANTS[(i + turn) % len(VARIANTS)]
        url = reverse(name, args=[world["variants"][variant][name]])
        client = Client()
        client.force_login(world["users"][role])
        method = "POST" if role not in get_spec and role in post_spec else "GET"
        response = client.get(url) if method == "GET" else client.post(url, {})
        expected = _expected_statuses(name, role, variant, method, table)
        assert response.status_code in expected, (name, variant, method, role.value, response.status_code)
