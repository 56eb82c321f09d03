"""Pages to bring a council's staff list in from CSV, on the administrators' staff pages (issue #12 §1)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.access import SignedInRequest, allow
from accounts.roles import Role

from . import jobs, services
from .models import JobState, UploadKind
from .parsing import Sheet
from .staff import COLUMN_LABELS, ROLE_OF, read_staff, staff_check, staff_import, staff_sheet
from .views import UploadSpec, job_page, upload_save

ADMINS = frozenset({Role.ADMINISTRATOR})
STAFF_FILE = UploadSpec(
    field="staff",
    kind=UploadKind.STAFF,
    reader=lambda name, data, limits: read_staff(name, data, limits).sheet,
    missing="Choose the CSV file of staff to upload",
    max_bytes=5 * 1024 * 1024,
    command="manage.py import_staff",
)


@allow(ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def staff_upload(request: SignedInRequest) -> HttpResponse:
    """Choose the staff CSV file."""
    error = ""
    if request.method == "POST":
        saved = upload_save(request, STAFF_FILE)
        if not isinstance(saved, str):
            return HttpResponseRedirect(reverse("accounts:staff-import-preview", args=[saved.pk]))
        error = saved
    roles = sorted({r.label for r in ROLE_OF.values()})
    return render(
        request, "imports/staff_upload.html", {"error": error, "columns": COLUMN_LABELS.values(), "roles": roles}
    )


@allow(ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def staff_preview(request: SignedInRequest, pk: int) -> HttpResponse:
    """Every row with what will happen to that person, or the error beside it; then import."""
    upload = services.upload_get(pk=pk, by=request.user, kind=UploadKind.STAFF)
    if upload is None:
        messages.error(request, "That upload has been imported, has expired or is not yours: upload the file again")
        return HttpResponseRedirect(reverse("accounts:staff-import"))
    if upload.state != JobState.READY:
        return HttpResponseRedirect(reverse("accounts:staff-import-job", args=[upload.pk]))
    staff = staff_sheet(Sheet.from_json(upload.sheet))
    context: dict[str, Any] = {"upload": upload}
    if request.method == "POST" and jobs.import_job_wanted(len(staff.sheet.rows)):
        jobs.import_queue(upload=upload, by=request.user, plan=request.POST.get("plan", ""))
        return HttpResponseRedirect(reverse("accounts:staff-import-job", args=[upload.pk]))
    if request.method == "POST":
        done = staff_import(staff=staff, by=request.user, expected_plan=request.POST.get("plan", ""))
        if not done.refused:
            upload.delete()
            rows = "row" if done.skipped == 1 else "rows"
            messages.success(
                request,
                f"Imported staff from {upload.filename}: {done.created} added, {done.updated} updated, "
                f"{done.unchanged} unchanged, {done.skipped} {rows} left out with errors.",
            )
            return HttpResponseRedirect(reverse("accounts:staff-list"))
        context["refused"] = done.refused
        check = done.check
    else:
        check = staff_check(staff=staff, by=request.user)
    context["check"] = check
    return render(request, "imports/staff_preview.html", context)


@allow(ADMINS)
@require_http_methods(["GET", "HEAD"])
def staff_job(request: SignedInRequest, pk: int) -> HttpResponse:
    """A large staff import's progress, then its result."""
    upload = services.upload_get(pk=pk, by=request.user, kind=UploadKind.STAFF)
    if upload is None or upload.state == JobState.READY:
        return HttpResponseRedirect(reverse("accounts:staff-import"))
    return job_page(
        request,
        upload,
        {
            "caption": "Staff and teams",
            "title": "Importing staff",
            "done_title": "Staff imported",
            "next_url": reverse("accounts:staff-list"),
            "next_label": "See the staff list",
            "again_url": reverse("accounts:staff-import"),
        },
    )
