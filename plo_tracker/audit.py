"""The audit trail: who changed what, through which request, and a page for administrators to read it."""

from __future__ import annotations

import uuid
from typing import Any

import pghistory.middleware
from django import forms
from django.apps import apps
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.access import allow
from accounts.models import User
from accounts.roles import Role
from plo_tracker.record_scopes import audit_entries_visible_to, audit_record_hidden, record_readable


class AuditContextMiddleware(pghistory.middleware.HistoryMiddleware):
    """Attach the acting user, the URL, the method and a request id to every change a request makes."""

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().get_context(request)
        context["method"] = request.method
        context["request_id"] = uuid.uuid4().hex[:12]
        return context


# Records whose history administrators can look up: every model that holds case data.
AUDITED = {
    "family": "cases.Family",
    "child": "cases.Child",
    "person": "cases.Person",
    "episode": "cases.Episode",
    "assessment": "cases.Assessment",
    "care-proceedings": "cases.CareProceedings",
    "hearing": "cases.Hearing",
    "extension": "cases.Extension",
    "letter-delivery": "cases.LetterDelivery",
    "lpm-request": "meetings.LPMRequest",
    "lpm": "meetings.LPM",
    "legal-advice": "meetings.LegalAdvice",
    "meeting": "meetings.Meeting",
    "permanency-meeting": "meetings.PermanencyPlanningMeeting",
    "tracker-meeting": "tracker_meetings.TrackerMeeting",
    "agenda-item": "tracker_meetings.AgendaItem",
    "meeting-action": "tracker_meetings.MeetingAction",
    "deadline": "deadlines.Deadline",
    "closure-day": "deadlines.ClosureDay",
    "staff": "accounts.User",
    "team": "accounts.Team",
    "service-area": "accounts.ServiceArea",
    "extra-bank-holiday": "deadlines.ExtraBankHoliday",
    "letter-template": "letters.LetterTemplate",
    "letter-draft": "letters.Draft",
}


class LookupForm(forms.Form):
    record = forms.ChoiceField(
        label="Type of record",
        choices=[(k, k.replace("-", " ").capitalize()) for k in AUDITED],
        error_messages={
            "required": "Choose the type of record",
            "invalid_choice": "Choose a type of record from the list",
        },
    )
    record_id = forms.IntegerField(
        label="Record ID",
        min_value=1,
        error_messages={
            "required": "Enter the record's ID",
            "invalid": "Enter the record's ID as a whole number, like 42",
            "min_value": "Enter an ID of 1 or more",
        },
    )


def history_rows(user: User, obj: models.Model) -> list[dict[str, Any]]:
    """Every recorded change to a record, newest first, with who made it and from which request;
    what changed only where the reader may read that record through its own scope (issue 9 §3)."""
    # The record's own events and those of records pointing at it (children, restrictions).
    events = list(audit_entries_visible_to(user, obj).order_by("-pgh_created_at"))
    user_ids = {e.pgh_context.get("user") for e in events if e.pgh_context and e.pgh_context.get("user")}
    users: dict[object, User] = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    rows = []
    for event in events:
        context = event.pgh_context or {}
        diff = event.pgh_diff or {}
        visible = bool(event.content_visible)
        rows.append(
            {
                "when": event.pgh_created_at,
                "record": event.pgh_obj_model.split(".")[-1],
                "record_id": event.pgh_obj_id,
                "label": event.pgh_label,
                "content_visible": visible,
                "user": users.get(context.get("user")),
                "source": context.get("source", ""),
                "url": context.get("url", ""),
                "method": context.get("method", ""),
                "request_id": context.get("request_id", ""),
                "changes": sorted((k, v[0], v[1]) for k, v in diff.items() if k not in {"version", "updated_at"})
                if diff and visible
                else [],
                "snapshot": event.pgh_data if visible and not diff else None,
            }
        )
    return rows


@allow({Role.ADMINISTRATOR, Role.HEAD_OF_SERVICE})
@require_safe
def audit_history(request: HttpRequest) -> HttpResponse:
    """Look up the change history of one record (issue #2 item 6): administrators see who changed
    it when; what changed is shown only to readers who may read the record itself (issue 9 §3)."""
    form = LookupForm(data=request.GET or None)
    rows = None
    obj = None
    if request.GET and form.is_valid():
        model = apps.get_model(AUDITED[form.cleaned_data["record"]])
        obj = model._default_manager.filter(pk=form.cleaned_data["record_id"]).first()
        if obj is None or audit_record_hidden(request.user, obj):  # type: ignore[arg-type]
            # A restricted case she is not named on answers as if it did not exist (docs/security.md).
            raise Http404("No such record")
        rows = history_rows(request.user, obj)  # type: ignore[arg-type]
    label = None
    if obj is not None:
        # The record's own name (a family's or child's name) is case content too.
        readable = record_readable(request.user, obj)  # type: ignore[arg-type]
        label = str(obj) if readable else f"{obj._meta.verbose_name} {obj.pk}"
    return render(request, "audit/history.html", {"form": form, "rows": rows, "obj": obj, "label": label})
