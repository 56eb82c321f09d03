"""Pages to bring a council's pre-action tracker in: upload, map columns, preview, import (issue #12 §3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.access import SignedInRequest, allow
from accounts.roles import Role
from deadlines.golive import go_live_date

from . import jobs, services
from .fields import FIELDS, IGNORE, mapping_errors
from .models import BeforeGoLive, JobState, TrackerUpload, UploadKind
from .parsing import WEB_LIMITS, Limits, Sheet, TooManyRows, TrackerFileError, read_tracker

# The people who keep the tracker today (CLO, business support) and the managers who own it.
IMPORT_ROLES = frozenset(
    {Role.COURT_LIAISON_OFFICER, Role.BUSINESS_SUPPORT, Role.SERVICE_MANAGER, Role.HEAD_OF_SERVICE}
)
MAX_BYTES = 20 * 1024 * 1024
# What a file uploaded on a page may hold (parsing.Limits: rows, columns, merges, unpacked size,
# the time it takes to read). Bigger files go through `manage.py import_tracker`.
MAX_WEB_ROWS = WEB_LIMITS.rows


def _upload(request: SignedInRequest, pk: int) -> tuple[TrackerUpload, Sheet] | None:
    """The person's own upload: another person's, or one already imported or expired, is gone."""
    upload = services.upload_get(pk=pk, by=request.user, kind=UploadKind.TRACKER)
    if upload is None:
        messages.error(request, "That upload has been imported, has expired or is not yours: upload the file again")
        return None
    return upload, Sheet.from_json(upload.sheet)


def _example_text(value: Any) -> str:
    """A column's first value as a person reads it: spreadsheet dates as UK dates (2 Sep 2026)."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    if isinstance(value, dt.datetime):
        return f"{value.day} {value:%b %Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value.day} {value:%b %Y}"
    return str(value)[:40]


@dataclass(frozen=True, slots=True)
class UploadSpec:
    """An import page's file: its form field, how it is read, and what is said when it cannot be."""

    field: str
    kind: str
    reader: Callable[[str, bytes, Limits], Sheet]
    missing: str
    max_bytes: int
    command: str


def upload_save(request: SignedInRequest, spec: UploadSpec) -> TrackerUpload | str:
    """Read the file chosen on an import page, once, and keep its rows until it is imported; or
    the message saying why it cannot be used (shown beside the file input). The reader refuses a
    file beyond WEB_LIMITS while reading it, so no upload can hold a server process for long."""
    file = request.FILES.get(spec.field)
    if file is None:
        return spec.missing
    if file.size and file.size > spec.max_bytes:
        return f"The file is larger than {spec.max_bytes // 2**20} MB: split it, or ask IT to use the import command"
    name, content = file.name or spec.field, file.read(spec.max_bytes + 1)
    try:
        sheet = spec.reader(name, content, WEB_LIMITS)
    except TooManyRows as exc:
        return f"{exc}. Ask IT to use the import command ({spec.command}), which takes any number"
    except TrackerFileError as exc:
        return str(exc)
    return services.upload_create(filename=name, content=content, sheet=sheet, by=request.user, kind=spec.kind)


TRACKER_FILE = UploadSpec(
    field="tracker",
    kind=UploadKind.TRACKER,
    reader=read_tracker,
    missing="Choose the tracker file to upload",
    max_bytes=MAX_BYTES,
    command="manage.py import_tracker",
)


@allow(IMPORT_ROLES)
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request: SignedInRequest) -> HttpResponse:
    """Choose the tracker file (CSV or XLSX)."""
    error = ""
    if request.method == "POST":
        saved = upload_save(request, TRACKER_FILE)
        if not isinstance(saved, str):
            return HttpResponseRedirect(reverse("imports:columns", args=[saved.pk]))
        error = saved
    return render(request, "imports/upload.html", {"error": error, "fields": FIELDS})


@allow(IMPORT_ROLES)
@require_http_methods(["GET", "HEAD", "POST"])
def columns(request: SignedInRequest, pk: int) -> HttpResponse:
    """Say which field each column holds; the choice is remembered for files with the same headers."""
    found = _upload(request, pk)
    if found is None:
        return HttpResponseRedirect(reverse("imports:upload"))
    upload, sheet = found
    mapping, remembered = services.mapping_for(sheet.headers)
    if upload.mapping:
        mapping = {h: upload.mapping.get(h, IGNORE) for h in sheet.headers}
    errors: list[str] = []
    if request.method == "POST":
        valid = {f.key for f in FIELDS} | {IGNORE}
        mapping = {h: request.POST.get(f"col_{i}", IGNORE) for i, h in enumerate(sheet.headers)}
        mapping = {h: (k if k in valid else IGNORE) for h, k in mapping.items()}
        errors = mapping_errors(mapping)
        if not errors:
            services.mapping_remember(headers=sheet.headers, mapping=mapping, by=request.user)
            upload.mapping = mapping
            upload.save(update_fields=["mapping"])
            return HttpResponseRedirect(reverse("imports:preview", args=[upload.pk]))
    examples = [
        next((r.cells[i] for r in sheet.rows if r.cells[i] not in (None, "")), "") for i in range(len(sheet.headers))
    ]
    rows = [
        {"index": i, "header": h, "example": _example_text(examples[i]), "chosen": mapping.get(h, IGNORE)}
        for i, h in enumerate(sheet.headers)
    ]
    return render(
        request,
        "imports/columns.html",
        {"upload": upload, "sheet": sheet, "rows": rows, "fields": FIELDS, "errors": errors, "remembered": remembered},
    )


@allow(IMPORT_ROLES)
@require_http_methods(["GET", "HEAD", "POST"])
def preview(request: SignedInRequest, pk: int) -> HttpResponse:
    """Every row with what will happen to it, or the error beside it; then import the valid ones."""
    found = _upload(request, pk)
    if found is None:
        return HttpResponseRedirect(reverse("imports:upload"))
    upload, sheet = found
    if upload.state != JobState.READY:
        return HttpResponseRedirect(reverse("imports:job", args=[upload.pk]))
    if not upload.mapping:
        return HttpResponseRedirect(reverse("imports:columns", args=[upload.pk]))
    go_live = go_live_date()
    choice = request.POST.get("before_go_live", BeforeGoLive.NOT_TRACKED)
    context: dict[str, Any] = {
        "upload": upload,
        "sheet": sheet,
        "go_live": go_live,
        "before_go_live": choice,
        "before_go_live_choices": BeforeGoLive.choices,
    }
    if request.method == "POST" and choice not in BeforeGoLive.values:
        context["choice_error"] = "Choose what happens to steps due before go-live with no date in the tracker"
        context["before_go_live"] = BeforeGoLive.NOT_TRACKED
    elif request.method == "POST" and jobs.import_job_wanted(len(sheet.rows)):
        # The importer's choice for steps before go-live goes with the job (kept in `plan`).
        jobs.import_queue(upload=upload, by=request.user, plan=choice)
        return HttpResponseRedirect(reverse("imports:job", args=[upload.pk]))
    elif request.method == "POST":
        done = services.tracker_import(sheet=sheet, mapping=upload.mapping, by=request.user, before_go_live=choice)
        if not done.refused:
            upload.delete()
            messages.success(
                request,
                f"Imported {done.created} new famil{'y' if done.created == 1 else 'ies'} and updated {done.updated}; "
                f"{done.unchanged} unchanged; {done.skipped} left out with errors. "
                f"{done.deadlines} deadlines computed.",
            )
            request.session["import_result"] = {
                "created": done.created,
                "updated": done.updated,
                "unchanged": done.unchanged,
                "skipped": done.skipped,
                "deadlines": done.deadlines,
                "filename": upload.filename,
            }
            return HttpResponseRedirect(reverse("imports:done"))
        context["refused"] = True
        context["check"] = done.check
    if "check" not in context:
        check = services.tracker_check(sheet=sheet, mapping=upload.mapping)
        context["check"] = check
        if go_live is not None:
            counts = services.not_tracked_counts(check=check, sheet=sheet, mapping=upload.mapping, by=request.user)
            context["not_tracked_total"] = None if counts is None else sum(counts.values())
            context["not_tracked_families"] = None if counts is None else sum(1 for n in counts.values() if n)
            if counts is not None:
                for report in check.rows:
                    fam = report.reference
                    if fam in counts and report.action in ("new", "update"):
                        report.not_tracked = counts.pop(fam)  # shown once, on the family's first row
    return render(request, "imports/preview.html", context)


@allow(IMPORT_ROLES)
@require_http_methods(["GET", "HEAD"])
def done(request: HttpRequest) -> HttpResponse:
    """What the last import did."""
    result = request.session.get("import_result")
    return render(request, "imports/done.html", {"result": result})


# The progress page asks again this often while a job waits or runs.
JOB_REFRESH_SECONDS = 2


def job_page(request: HttpRequest, upload: TrackerUpload, words: dict[str, str]) -> HttpResponse:
    """An import job's page: its progress in words while it waits or runs (refreshing itself, no
    JavaScript needed), then what it did or why nothing was imported."""
    running = upload.state in (JobState.QUEUED, JobState.RUNNING)
    response = render(
        request,
        "imports/job.html",
        {
            "upload": upload,
            "running": running,
            "result": upload.result,
            "refresh_seconds": JOB_REFRESH_SECONDS,
            "progress_text": f"{upload.rows_done:,} of {upload.rows_total:,}",
            "rows_done_text": f"{upload.rows_done:,}",
            **words,
        },
    )
    if running:
        response["Cache-Control"] = "no-store"
    return response


@allow(IMPORT_ROLES)
@require_http_methods(["GET", "HEAD"])
def job(request: SignedInRequest, pk: int) -> HttpResponse:
    """A large tracker import's progress, then its result."""
    upload = services.upload_get(pk=pk, by=request.user, kind=UploadKind.TRACKER)
    if upload is None or upload.state == JobState.READY:
        return HttpResponseRedirect(reverse("imports:upload"))
    return job_page(
        request,
        upload,
        {
            "caption": "Import",
            "title": "Importing your tracker",
            "done_title": "Tracker imported",
            "next_url": reverse("deadlines:tracker"),
            "next_label": "See the families on the pre-action tracker",
            "again_url": reverse("imports:upload"),
        },
    )
