"""The go-live page for administrators (issue 24 §2): the date this council went live, which says
which steps of an imported family's history are "not tracked before go-live"."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.access import SignedInRequest, allow
from accounts.roles import Role
from plo_tracker.forms import GOVUKForm, UKDateField

from .golive import go_live_current
from .models import GoLive
from .services import go_live_set


class GoLiveForm(GOVUKForm):
    submit_label = "Save the go-live date"

    date = UKDateField(
        label="go-live date",
        help_text="The first day the council kept its pre-proceedings in PLO Tracker. For example, 1 12 2026",
    )


@allow(frozenset({Role.ADMINISTRATOR}))
@require_http_methods(["GET", "HEAD", "POST"])
def go_live(request: SignedInRequest) -> HttpResponse:
    """Show and set the council's go-live date; every change is kept with who made it."""
    current = go_live_current()
    initial = {"date": current.date} if current.date else {}
    form = GoLiveForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            row = go_live_set(date=form.cleaned_data["date"], by=request.user, today=timezone.localdate())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                f"The go-live date is now {row.date.day} {row.date:%B %Y}. "
                "Every imported family's deadlines have been worked out again under it.",
            )
            return HttpResponseRedirect(reverse("deadlines:go-live"))
    changes = GoLive.objects.select_related("set_by").order_by("-set_at", "-id")[:20]
    return render(request, "deadlines/go_live.html", {"form": form, "current": current, "changes": changes})
