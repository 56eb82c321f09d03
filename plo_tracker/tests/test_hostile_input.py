"""Random and hostile values thrown at every form: never a server error, never stored unescaped.

Each step form is found by GET (its field names read from the page), then hypothesis posts
huge strings, unicode, script tags, impossible dates and negative numbers into every field as a
member of staff allowed to use it. The answer must be the form again with errors (200) or a
redirect after a valid save (302), never a 500; the database's own constraints then hold.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
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
]


def _field_names(html: str) -> list[str]:
    names = set(re.findall(r'name="([a-z_0-9]+)"', html)) - {"csrfmiddlewaretoken", "q"}
    return sorted(names)


@pytest.fixture
def everyone(make_user, world):
    """A member of staff holding every case-writing role, so each form is reachable."""
    return make_user(*(CASE_WRITERS - {Role.READ_ONLY}), username="all.roles")


@pytest.mark.parametrize("name", FORMS)
def test_hostile_values_never_cause_a_server_error(name, world, everyone, client):
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
        assert response.status_code in (200, 302), (name, response.status_code, data)
        if response.status_code == 200:
            body = response.content.decode()
            assert "<script>alert('x')</script>" not in body
            assert "<img src=x onerror" not in body

    post()


def test_script_typed_into_a_saved_field_is_shown_as_text(world, everyone, client):
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
