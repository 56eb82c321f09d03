"""No personal data in the logs: a child and a parent with sentinel names go through the whole journey
(and through every way the product fails) while all log output is captured, and their names never
appear in it (issue #6 hardening; docs/security.md "Logs")."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import logging
import re
from collections.abc import Mapping
from typing import Any

import pytest
import time_machine
from django.db import OperationalError, transaction
from django.test import Client
from django.urls import path, reverse

from accounts.access import allow
from accounts.roles import ALL_STAFF, Role
from accounts.tests.factories import TEST_PASSWORD
from cases.models import Child, Episode, Family, Person
from plo_tracker import urls as project_urls
from plo_tracker.logging import WithholdExceptionDetail, format_traceback_without_messages

pytestmark = pytest.mark.django_db

CHILD_FIRST, CHILD_LAST = "Zzyzx", "Sentinelchild"
PARENT = "Qwertyuiop Sentinelparent"
SENTINELS = ("zzyzx", "sentinelchild", "qwertyuiop", "sentinelparent")
TODAY = dt.datetime(2027, 1, 20, 10, 0, tzinfo=dt.UTC)


# --- Test-only pages that fail the ways production code can fail --------------------------------


@allow(ALL_STAFF)
def _error_with_a_name(request):
    child = Child.objects.get(last_name=CHILD_LAST)
    raise RuntimeError(f"could not build the summary for {child.first_name} {child.last_name}")


@allow(ALL_STAFF)
def _integrity_error(request):
    family = Family.objects.get(name__contains=CHILD_LAST)
    with transaction.atomic():  # as a service would: the row breaks a check constraint
        Child.objects.create(
            family=family,
            first_name=CHILD_FIRST,
            last_name=CHILD_LAST,
            date_of_birth=None,
            expected_date_of_birth=None,
            case_system_id="LOG-DUP",
        )


@allow(ALL_STAFF)
def _database_down(request):
    raise OperationalError(f'connection lost while saving "{CHILD_FIRST} {CHILD_LAST}"')


handler500 = project_urls.handler500
urlpatterns = [
    path("boom/", _error_with_a_name),
    path("integrity/", _integrity_error),
    path("db-down/", _database_down),
    *project_urls.urlpatterns,
]


# --- Capturing everything the console handler writes ---------------------------------------------


@pytest.fixture
def log_output():
    """Everything the configured console handler writes, with the root logger (and django.request) at DEBUG."""
    root = logging.getLogger()
    handlers = [h for h in root.handlers if any(isinstance(f, WithholdExceptionDetail) for f in h.filters)]
    assert len(handlers) == 1, "LOGGING must send everything through one filtered console handler"
    handler = handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    saved = {name: logging.getLogger(name).level for name in ("", "django", "django.request", "celery")}
    for name in saved:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        handler.setStream(old_stream)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _date(prefix: str, value: dt.date | None) -> dict[str, str]:
    if value is None:
        return {f"{prefix}_0": "", f"{prefix}_1": "", f"{prefix}_2": ""}
    return {f"{prefix}_0": str(value.day), f"{prefix}_1": str(value.month), f"{prefix}_2": str(value.year)}


def _post(client: Client, url: str, data: Mapping[str, object], expect: int = 302):
    """Submit a form as a browser does: GET it first and send its hidden fields (the version) back."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    hidden = dict(re.findall(r'<input type="hidden" name="(version)" value="([^"]*)"', page.content.decode()))
    response = client.post(url, {**hidden, **data})
    if response.status_code != expect:
        spans = re.findall(r'govuk-error-message">(.*?)</(?:p|span)>', response.content.decode(), re.S)
        errors = [" ".join(re.sub(r"<[^>]+>", " ", e).split()) for e in spans]
        pytest.fail(f"POST {url}: {response.status_code}, errors: {errors}")
    return response


def _journey(make_user, team) -> None:
    """The whole journey through the real pages, each step by the role that does it."""
    tm = make_user(Role.TEAM_MANAGER, username="log.tm")
    sw = make_user(Role.SOCIAL_WORKER, username="log.sw")
    hos = make_user(Role.HEAD_OF_SERVICE, username="log.hos", team=None)
    clo = make_user(Role.COURT_LIAISON_OFFICER, username="log.clo", team=None)
    client = Client(raise_request_exception=False)

    # Sign in through the sign-in page: once with a name typed as the username (refused), once properly.
    client.post(reverse("accounts:sign-in"), {"username": f"{CHILD_FIRST} {CHILD_LAST}", "password": "wrong"})
    response = client.post(reverse("accounts:sign-in"), {"username": tm.username, "password": TEST_PASSWORD})
    assert response.status_code == 302

    _post(
        client,
        reverse("cases:family-create"),
        {"reference": "PLO-LOG-01", "name": f"{CHILD_LAST} family", "team": team.pk, "social_worker": sw.pk,
         "team_manager": tm.pk},
    )  # fmt: skip
    family = Family.objects.get(reference="PLO-LOG-01")
    child_fields = {
        "first_name": CHILD_FIRST,
        "last_name": CHILD_LAST,
        "gender": "female",
        "case_system_id": "LOG-001",
        "legal_status": "cp",
        "cp_plan_count": "1",
        "previous_pre_proceedings": "0",
        "previous_care_proceedings": "0",
        **_date("expected_date_of_birth", None),
    }
    # A failed submission: an impossible date of birth, shown back beside the field, never logged.
    page = _post(
        client,
        reverse("cases:child-add", args=[family.pk]),
        {**child_fields, "date_of_birth_0": "31", "date_of_birth_1": "2", "date_of_birth_2": "2019"},
        expect=200,
    )
    assert "must be a real date" in page.content.decode()
    _post(
        client,
        reverse("cases:child-add", args=[family.pk]),
        {**child_fields, **_date("date_of_birth", dt.date(2019, 5, 4))},
    )
    _post(
        client,
        reverse("cases:person-add", args=[family.pk]),
        {
            "full_name": PARENT,
            "relationship": "mother",
            "parental_responsibility": "on",
            "legally_represented": "unknown",
        },
    )
    child = Child.objects.get(last_name=CHILD_LAST)
    parent = Person.objects.get(full_name=PARENT)
    assert client.get(reverse("cases:family-list") + f"?q={CHILD_LAST}").status_code == 200
    assert CHILD_LAST in client.get(reverse("cases:family-detail", args=[family.pk])).content.decode()

    documents = {f"doc_{k}_state": "present" for k in ("plo_summary", "chronology", "genogram", "single_assessment")}
    for k in _other_documents():
        documents |= {f"doc_{k}_state": "not_applicable", f"doc_{k}_note": "Not relevant to the concerns"}
    _post(
        client,
        reverse("meetings:lpm-request", args=[family.pk]),
        {**_date("requested_on", dt.date(2026, 12, 1)), "recommendation": "pre_proceedings",
         "concerns": f"{CHILD_FIRST} is neglected; {PARENT} has not engaged.", "children": [child.pk], **documents},
    )  # fmt: skip
    request = family.episodes.get().lpm_request

    client.force_login(hos)
    _post(
        client,
        reverse("meetings:lpm-request-decide", args=[request.pk]),
        {"status": "approved", **_date("decided_on", dt.date(2026, 12, 3)), **_date("deferred_until", None)},
    )
    client.force_login(clo)
    episode = Episode.objects.get(family=family)
    _post(client, reverse("meetings:lpm-list", args=[episode.pk]), _date("panel_date", dt.date(2026, 12, 17)))
    lpm = episode.lpms.get()
    _post(
        client,
        reverse("meetings:lpm-outcome", args=[lpm.pk]),
        {**_date("held_on", dt.date(2026, 12, 17)), "outcome": "initiate", "chair": hos.pk,
         **_date("outcome_recorded_on", None)},
    )  # fmt: skip
    client.force_login(sw)
    deliver = reverse("cases:letter-deliver", args=[episode.pk])
    # Refused beside the field (before the LPM decision), then recorded.
    delivery = {"person": parent.pk, "method": "Hand delivered", "address": f"c/o {PARENT}, 1 Mill Lane"}
    _post(client, deliver, {**delivery, **_date("delivered_on", dt.date(2026, 12, 10))}, expect=200)
    _post(client, deliver, {**delivery, **_date("delivered_on", dt.date(2026, 12, 23))})
    assert episode.letter_deliveries.count() == 1

    # Every way a request can fail: an exception quoting a name, an IntegrityError whose DETAIL holds
    # the row, the database going away. Each shows the error page with a reference.
    for url, statuses in (("/boom/", {500}), ("/integrity/", {500, 503}), ("/db-down/", {503})):
        response = client.get(url)
        assert response.status_code in statuses, url
        assert 'data-testid="error-reference"' in response.content.decode()


def _other_documents() -> list[str]:
    from meetings.models import DocumentKind

    return [
        k.value for k in DocumentKind if k.value not in {"plo_summary", "chronology", "genogram", "single_assessment"}
    ]


def _run_alert_scan_if_present() -> bool:
    """The 07:00 alert scan (issue #5), through its Celery task, when that code exists."""
    if importlib.util.find_spec("deadlines.alerts") is None:
        return False
    tasks = importlib.import_module("deadlines.tasks")
    if not hasattr(tasks, "alert_scan"):
        return False
    result = tasks.alert_scan.apply(args=[TODAY.date().isoformat()])
    assert result.successful(), result.result
    return True


def test_sentinel_names_never_reach_the_logs(settings, make_user, team, log_output, django_capture_on_commit_callbacks):
    from plo_tracker.celery import app
    from plo_tracker.tests.fault_tasks import explode

    settings.ROOT_URLCONF = "plo_tracker.tests.test_no_personal_data_in_logs"
    saved_broker = app.conf.broker_url
    app.conf.broker_url = "memory://"  # the scan enqueues its emails after commit; never the real broker
    try:
        with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks(execute=True):
            _journey(make_user, team)
            scanned = _run_alert_scan_if_present()
            # A task failing with a name in its exception, as Celery logs it.
            assert explode.apply(args=[f"{CHILD_FIRST} {CHILD_LAST}"]).failed()
    finally:
        app.conf.broker_url = saved_broker

    output = log_output.getvalue()
    # The failures were logged, with their tracebacks and the exception class, not their messages.
    # Django's own line carries the reference the user was shown, then the exception's class.
    assert re.search(r"Internal Server Error: /boom/ reference=[0-9A-F]{10} exception=RuntimeError", output)
    assert re.search(
        r"Internal Server Error: /integrity/ reference=[0-9A-F]{10} exception=django.db.utils.IntegrityError", output
    )
    assert "psycopg2.errors.CheckViolation (message withheld)" in output  # its DETAIL held the row
    assert "fault_tasks.explode" in output and "exception=ValueError" in output
    assert "Traceback (most recent call last)" in output and "message withheld" in output
    assert "server error reference=" in output
    if scanned:
        assert "alert scan 2027-01-20:" in output
    leaked = [s for s in SENTINELS if s in output.lower()]
    assert leaked == [], f"personal data in the logs: {leaked}\n{output}"


def test_sql_is_never_logged_even_at_debug(settings):
    """SQL parameters are case data: django.db.backends stays at INFO in the production LOGGING."""
    from plo_tracker.settings import base

    logging_config: dict[str, Any] = base.LOGGING
    assert logging_config["loggers"]["django.db.backends"]["level"] == "INFO"
    assert logging_config["loggers"]["django"]["handlers"] == []  # no mail_admins with POST data
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.DEBUG)
    try:
        assert not logging.getLogger("django.db.backends").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(saved)


def test_the_traceback_keeps_its_frames_but_not_the_message():
    def fail() -> None:
        try:
            raise KeyError(f"{CHILD_FIRST} {CHILD_LAST}")
        except KeyError as exc:
            raise ValueError(f"no record for {PARENT}") from exc

    with pytest.raises(ValueError) as caught:
        fail()
    text = format_traceback_without_messages(caught.value)
    assert "in fail" in text and 'raise KeyError(f"{CHILD_FIRST} {CHILD_LAST}")' in text
    assert "KeyError (message withheld)" in text and "ValueError (message withheld)" in text
    assert "The above exception led to the following exception" in text
    assert not any(s in text.lower() for s in SENTINELS)
