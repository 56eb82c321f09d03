"""Random and hostile values thrown at every form: never a server error, never stored unescaped.

Each step form is found by GET (its field names read from the page), then hypothesis posts
huge strings, unicode, script tags, impossible dates and negative numbers into every field as a
member of staff allowed to use it. The answer must be the form again with errors (200) or a
redirect after a valid save (302), never a 500; the database's own constraints then hold.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.roles import CASE_WRITERS, Role

pytestmark = pytest.mark.django_db

HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://evil.example","click")',
    "'; DROP TABLE cases_child; --",
    "\x00nul",
    "Zoë Ørsted-Łukasiewicz 李小龍 👶🏽",
    "-1",
    "99999999999999999999",
    "31",
    "02",
    "1900",
    "0",
    "",
    " ",
    "A" * 20_000,
]
VALUE = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60), st.integers(-10_000, 10_000).map(str))

FORMS = [
    "cases:family-create",
    "cases:family-edit",
    "cases:family-close",
    "cases:child-add",
    "cases:child-edit",
    "cases:person-add",
    "cases:person-edit",
    "cases:letter",
    "cases:proposed-agreement",
    "cases:signed-agreement",
    "cases:letter-deliver",
    "cases:extension",
    "cases:episode-end",
    "cases:assessment-add",
    "cases:assessment-edit",
    "cases:assessment-approve-cost",
    "cases:proceedings",
    "cases:hearing-add",
    "cases:court-extension",
    "cases:deadline-waive",
    "meetings:lpm-request",
    "meetings:lpm-request-documents",
    "meetings:lpm-request-decide",
    "meetings:lpm-list",
    "meetings:lpm-outcome",
    "meetings:lpm-edit",
    "meetings:legal-advice",
    "meetings:meeting-add",
    "meetings:meeting-edit",
    "meetings:ppm-add",
    "letters:draft",
]


def _field_names(html: str) -> list[str]:
    names = set(re.findall(r'name="([a-z_0-9]+)"', html)) - {"csrfmiddlewaretoken", "q"}
    return sorted(names)


@pytest.fixture
def everyone(make_user, shared_world):
    """A member of staff holding every case-writing role, so each form is reachable."""
    return make_user(*(CASE_WRITERS - {Role.READ_ONLY}), username="all.roles")


@pytest.mark.parametrize("name", FORMS)
def test_hostile_values_never_cause_a_server_error(name, shared_world, everyone, client):
    world = shared_world
    pk = world["kwargs"].get(name)
    url = reverse(name, args=[pk]) if pk is not None else reverse(name)
    client.force_login(everyone)
    page = client.get(url)
    assert page.status_code == 200, (name, page.status_code)
    fields = _field_names(page.content.decode())
    assert fields, name

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries(dict.fromkeys(fields, VALUE)))
    def post(data: dict[str, str]) -> None:
        response = client.post(url, data)
        # A NUL byte (which no keyboard types) is refused as a bad request before any view sees it.
        nul = any("\x00" in v for v in data.values())
        assert response.status_code in ((400,) if nul else (200, 302)), (name, response.status_code, data)
        if response.status_code == 200:
            body = response.content.decode()
            assert "<script>alert('x')</script>" not in body
            assert "<img src=x onerror" not in body

    post()


def test_script_typed_into_a_saved_field_is_shown_as_text(shared_world, everyone, client):
    world = shared_world
    client.force_login(everyone)
    family_pk = world["kwargs"]["cases:family-detail"]
    response = client.post(
        reverse("cases:person-add", args=[family_pk]),
        {
            "full_name": "<script>alert('x')</script>",
            "relationship": "father",
            "parental_responsibility": "on",
            "legally_represented": "unknown",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("cases:family-detail", args=[family_pk])).content.decode()
    assert "<script>alert('x')</script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


# --- Every URL, not only the forms (issue 9 §5) ----------------------------------------------

BIDI = "\u202eevil\u202c Smith"
HOSTILE_QUERY = {
    "q": ["\x00", BIDI, "A" * 100_000, "%00", "' OR 1=1 --"],
    "team": ["abc", "-1", "99999999999999999999", "\x00"],
    "sort": ["<script>", "\x00"],
    "dir": ["sideways"],
    "due_since": ["2027-02-31", "31/02/2027", "0000-00-00", "\x00"],
    "ended_since": ["not a date"],
    "record": ["family", "\x00", "nonsense"],
    "record_id": ["-1", "1e9", "99999999999999999999", "\x00", "abc"],
    "kind": ["\x00", "nonsense"],
    "fmt": ["csv"],
}


def _all_urls(world):
    from django.urls import get_resolver

    from .test_authorization_matrix import _url_names

    names = sorted(set(_url_names(get_resolver())))
    urls = []
    for name in names:
        if name == "deadlines:tracker-export":
            urls.append(reverse(name, kwargs={"fmt": "csv"}))
        elif name == "deadlines:calendar-feed":
            urls.append(reverse(name) + "?key=x")
        elif name == "deadlines:calendar-feed-retired":
            urls.append(reverse(name, kwargs={"token": "x" * 43}))
        elif name in world["kwargs"]:
            urls.append(reverse(name, args=[world["kwargs"][name]]))
        else:
            try:
                urls.append(reverse(name))
            except NoReverseMatch:  # an export (any format) or a week's page (a malformed week too)
                kwargs = {"week_ending": "2027-02-31"} if "week" in name and "export" not in name else {"fmt": "csv"}
                urls.append(reverse(name, kwargs=kwargs))
    return urls


def _server_error(url: str, response: Any) -> bool:
    """A 5xx, except readiness's own 503: no beat runs in the test world, so /health/ready/ says
    "not ready" with its checks (database and broker ok, beat stale) whatever it is sent."""
    if url == reverse("health-ready") and response.status_code == 503:
        return response.json()["checks"] != {"database": "ok", "broker": "ok", "beat": "stale"}
    return bool(response.status_code >= 500)


def test_no_url_gives_a_server_error_for_hostile_paths_queries_and_forms(shared_world, make_user, client):
    world = shared_world
    """Every URL the resolver knows, as a user holding every role: NUL bytes, bidi controls,
    100 kB strings, malformed ids and dates in the path, the query string and the form."""
    everyone = make_user(*Role, username="every.role")
    client.force_login(everyone)
    urls = _all_urls(world)
    assert len(urls) > 40
    bad_paths = [
        "/cases/families/%00/",
        "/cases/families/1%00/",
        "/deadlines/calendar/%00.ics",
        "/deadlines/calendar/" + "A" * 5000 + ".ics",
        "/cases/families/99999999999999999999999/",
        "/cases/families/-1/",
        "/%E2%80%AE/",
        "/audit/%00",
        "/cases/%FF%FE/",
    ]
    for path in bad_paths:
        for c in (client, type(client)()):  # signed in, and not (the calendar feed is public)
            status = c.get(path).status_code
            assert status in (400, 404, 302), (path, status)
    failures: list[tuple[Any, ...]] = []
    for url in urls:
        # A NUL byte in the query string is answered 400 before any view reads it, whichever key
        # holds it: one request with a NUL in every key stands for a request per key (and should
        # that refusal ever go, the view reads one of them and the 500 is caught here).
        response = client.get(url, dict.fromkeys(HOSTILE_QUERY, "\x00"))
        if _server_error(url, response):
            failures.append(("GET", url, "every key", "\x00", response.status_code))
        for key, values in HOSTILE_QUERY.items():
            for value in values:
                if value == "\x00":
                    continue  # above
                response = client.get(url, {key: value})
                if _server_error(url, response):
                    failures.append(("GET", url, key, value[:20], response.status_code))
        # Every field the page's own form offers, and the usual names besides (a page may take
        # fields its GET does not show, or show no form until a step is reached).
        page = client.get(url)
        html = page.status_code == 200 and page["Content-Type"].startswith("text/html")  # not a .docx download
        shown = _field_names(page.content.decode()) if html else []
        for value in ("\x00", BIDI, "A" * 100_000, "2027-02-31", "-1", "99999999999999999999"):
            data = dict.fromkeys(
                (
                    *shown,
                    "q",
                    "name",
                    "reference",
                    "first_name",
                    "username",
                    "password",
                    "reason",
                    "team",
                    "social_worker",
                    "record_id",
                    "kind",
                    "alert",
                    "advice",
                ),
                value,
            )
            response = client.post(url, data)
            if _server_error(url, response):
                failures.append(("POST", url, value[:20], response.status_code))
            client.force_login(everyone)  # the sign-out and sign-in pages change who is signed in
    assert not failures, failures[:20]


def test_bidi_controls_are_stripped_from_names(shared_world, everyone, client):
    world = shared_world
    client.force_login(everyone)
    family_pk = world["kwargs"]["cases:family-detail"]
    response = client.post(
        reverse("cases:person-add", args=[family_pk]),
        {"full_name": "Dawn \u202eSmith\u202c", "relationship": "mother", "legally_represented": "unknown"},
    )
    assert response.status_code == 302
    from cases.models import Person

    assert Person.objects.filter(family_id=family_pk, full_name="Dawn Smith").exists()
    assert not Person.objects.filter(full_name__contains="\u202e").exists()


def test_sign_in_with_a_nul_byte_is_a_bad_request_not_a_server_error(client):
    response = client.post(reverse("accounts:sign-in"), {"username": "sam\x00", "password": "x"})
    assert response.status_code == 400


# --- Hidden characters never stored, whatever path writes (issue 9 §5) -----------------------

HIDDEN = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\x00\x07\x1b\x7f"


@pytest.mark.django_db
def test_services_and_the_shell_store_no_bidi_or_control_characters(make_user, team):
    """Not only forms: a service call (a Celery task, the shell) and a bare save() are cleaned too."""
    import datetime as dt

    from cases import services as cs
    from cases.models import Child, Family
    from meetings import services as ms

    tm = make_user(Role.TEAM_MANAGER)
    sw = make_user(Role.SOCIAL_WORKER)
    family = cs.family_create(
        reference="PLO-\u202eHID",
        name=f"Smith{HIDDEN} family",
        team=team,
        social_worker=sw,
        team_manager=tm,
        by=tm,
    )
    child = cs.child_create(
        family=family,
        first_name="\u202eEvil\u202c Amy",
        last_name="Smi\x00th",
        date_of_birth=dt.date(2020, 1, 2),
        expected_date_of_birth=None,
        gender="female",
        case_system_id="C-\u2066123\u2069",
        by=tm,
    )
    family.refresh_from_db()
    child.refresh_from_db()
    assert (family.reference, family.name) == ("PLO-HID", "Smith family")
    assert (child.first_name, child.last_name, child.case_system_id) == ("Evil Amy", "Smith", "C-123")
    # The shell: a bare save() of any project model.
    child.first_name = "Amy\u200f\x1b"
    child.save()
    assert Child.objects.get(pk=child.pk).first_name == "Amy"
    # Created in bulk (no pre_save): the LPM request's document notes are cleaned by the service.
    docs = dict.fromkeys(
        ("plo_summary", "chronology", "genogram", "single_assessment", "swet"), ("present", "Seen \u202eok")
    )
    request = ms.lpm_request_create(
        family=family,
        requested_on=dt.date(2027, 1, 4),
        recommendation="issue",
        concerns="Neglect\u202e\x00",
        documents=docs,
        by=tm,
        today=dt.date(2027, 2, 1),
    )
    request.refresh_from_db()
    assert request.concerns == "Neglect"
    assert set(request.documents.values_list("note", flat=True)) == {"Seen ok"}
    assert not Family.objects.filter(name__regex="[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]").exists()


@pytest.mark.django_db
def test_exports_neutralise_hidden_characters_and_formulas_already_in_the_database(client, make_user, team):
    """A name stored before this rule (or by raw SQL) leaves the tracker export clean and inert."""
    import csv
    import datetime as dt
    import io

    from cases.models import Family
    from deadlines.tests.test_scenarios import family as make_family
    from deadlines.tests.test_scenarios import staff, start_pre_proceedings

    people = staff(make_user, team)
    fam = make_family(people, name="Placeholder", reference="PLO-XSS")
    start_pre_proceedings(fam, people, today=dt.date(2027, 2, 1))
    Family.objects.filter(pk=fam.pk).update(name='\u202e=HYPERLINK("http://x","Smith")\x1b')  # bypasses save()
    client.force_login(make_user(Role.COURT_LIAISON_OFFICER))
    body = client.get(reverse("deadlines:tracker-export", kwargs={"fmt": "csv"})).content.decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(body)) if r["Family reference"] == "PLO-XSS")
    assert row["Family"] == '\'=HYPERLINK("http://x","Smith")'
