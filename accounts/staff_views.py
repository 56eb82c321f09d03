"""The staff pages for administrators (issue #12 §1): people, teams, service areas, caseloads."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from plo_tracker.once import ALREADY_SAVED, ONCE_FIELD, AlreadySaved, create_once, once_form

from . import credentials, staff
from .access import SignedInRequest, allow
from .models import ServiceArea, Team, User
from .roles import Role
from .services import calendar_token_regenerate
from .staff_forms import ReallocateForm, ServiceAreaForm, StaffForm, TeamForm

ADMINS = frozenset({Role.ADMINISTRATOR})


def _form_page(request: HttpRequest, form: Any, title: str, back: str, **extra: Any) -> HttpResponse:
    return render(request, "accounts/staff_form.html", {"form": form, "title": title, "back_url": back, **extra})


@allow(ADMINS)
@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    """Everyone with an account, their team and roles; teams and service areas."""
    people = credentials.staff_with_sign_in_facts(
        User.objects.select_related("team")
        .prefetch_related("groups")
        .annotate(
            families=Count("families_allocated", filter=Q(families_allocated__closed_on__isnull=True), distinct=True)
        )
        .order_by("-is_active", "last_name", "first_name")
    )
    rows = [(person, credentials.sign_in_status(person)) for person in people]
    teams = (
        Team.objects.select_related("service_area")
        .prefetch_related("managers")
        .annotate(people=Count("members", filter=Q(members__is_active=True), distinct=True))
    )
    areas = ServiceArea.objects.prefetch_related("managers", "teams")
    return render(request, "accounts/staff_list.html", {"people": rows, "teams": teams, "areas": areas})


@allow(ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def staff_add(request: SignedInRequest) -> HttpResponse:
    """Add a member of staff."""
    form = once_form(StaffForm)(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = create_once(
                token=data[ONCE_FIELD],
                by=request.user,
                create=lambda: staff.staff_create(
                    username=data["username"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    job_title=data["job_title"],
                    oidc_subject=data["oidc_subject"],
                    team=data["team"],
                    roles=form.chosen_roles(),
                    by=request.user,
                ),
            )
        except AlreadySaved:
            messages.info(request, ALREADY_SAVED)
            return HttpResponseRedirect(reverse("accounts:staff-list"))
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{user.get_full_name()} has been added.")
            return HttpResponseRedirect(reverse("accounts:staff-list"))
    return _form_page(request, form, "Add a member of staff", reverse("accounts:staff-list"))


@allow(ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def staff_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    """Change a person's details, move them to another team, change their roles, switch them off."""
    person = get_object_or_404(User, pk=pk)
    initial = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "username": person.username,
        "email": person.email,
        "job_title": person.job_title,
        "oidc_subject": person.oidc_subject,
        "team": person.team_id,
        "roles": [r.value for r in person.roles],
        "active": person.is_active,
    }
    form = StaffForm(request.POST if request.method == "POST" else None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff.staff_update(
                user=person,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                job_title=data["job_title"],
                team=data["team"],
                roles=form.chosen_roles(),
                active=data["active"],
                oidc_subject=data["oidc_subject"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{person.get_full_name() or person.username}'s details have been saved.")
            return HttpResponseRedirect(reverse("accounts:staff-list"))
    open_families = person.families_allocated.filter(closed_on__isnull=True).count()
    return _form_page(
        request,
        form,
        f"Change {person.get_full_name() or person.username}",
        reverse("accounts:staff-list"),
        person=person,
        open_families=open_families,
        sign_in=credentials.sign_in_status(person),
        can_invite=person.is_active and bool(person.email),
        has_second_factor=credentials.has_second_factor(person),
    )


@allow(ADMINS)
@require_POST
def staff_calendar_reset(request: SignedInRequest, pk: int) -> HttpResponse:
    """Give a person a new private calendar address; the old one stops working (issue 24 §4)."""
    person = get_object_or_404(User, pk=pk)
    calendar_token_regenerate(user=person, by=request.user)
    messages.success(request, f"{person}'s calendar address has been reset. The old one no longer works.")
    return HttpResponseRedirect(reverse("accounts:staff-edit", args=[person.pk]) + "#calendar-address")


@allow(ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def staff_reallocate(request: SignedInRequest, pk: int) -> HttpResponse:
    """Move all of a leaver's families to another worker (and team manager) in one step."""
    leaver = get_object_or_404(User, pk=pk)
    form = ReallocateForm(request.POST if request.method == "POST" else None, leaver=leaver)
    as_worker = leaver.families_allocated.filter(closed_on__isnull=True).count()
    from cases.models import Family

    as_manager = Family.objects.filter(team_manager=leaver, closed_on__isnull=True).count()
    if request.method == "POST" and form.is_valid():
        try:
            moved = staff.caseload_reallocate(
                leaver=leaver,
                social_worker=form.cleaned_data["social_worker"],
                team_manager=form.cleaned_data["team_manager"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{moved} famil{'y' if moved == 1 else 'ies'} moved from {leaver}.")
            return HttpResponseRedirect(reverse("accounts:staff-list"))
    return _form_page(
        request,
        form,
        f"Move {leaver}'s families",
        reverse("accounts:staff-edit", args=[leaver.pk]),
        intro=f"{leaver} has {as_worker} open famil{'y' if as_worker == 1 else 'ies'} as social worker and "
        f"{as_manager} as team manager. Each family moves in one step, and the change is in its history.",
    )


@allow(ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def team_edit(request: SignedInRequest, pk: int | None = None) -> HttpResponse:
    """Add or change a team: its name, service area and team managers."""
    team = get_object_or_404(Team, pk=pk) if pk else None
    initial = (
        {"name": team.name, "service_area": team.service_area_id, "managers": list(team.managers.all())} if team else {}
    )
    form_class = TeamForm if team else once_form(TeamForm)
    form = form_class(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = create_once(
                token=data.get(ONCE_FIELD, ""),
                by=request.user,
                create=lambda: staff.team_save(
                    team=team,
                    name=data["name"],
                    service_area=data["service_area"],
                    managers=list(data["managers"]),
                    by=request.user,
                ),
            )
        except AlreadySaved:
            messages.info(request, ALREADY_SAVED)
            return HttpResponseRedirect(reverse("accounts:staff-list") + "#teams")
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{saved.name} has been saved.")
            return HttpResponseRedirect(reverse("accounts:staff-list") + "#teams")
    return _form_page(request, form, f"Change {team.name}" if team else "Add a team", reverse("accounts:staff-list"))


@allow(ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def area_edit(request: SignedInRequest, pk: int | None = None) -> HttpResponse:
    """Add or change a service area and its service managers."""
    area = get_object_or_404(ServiceArea, pk=pk) if pk else None
    initial = {"name": area.name, "managers": list(area.managers.all())} if area else {}
    form = (ServiceAreaForm if area else once_form(ServiceAreaForm))(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = create_once(
                token=form.cleaned_data.get(ONCE_FIELD, ""),
                by=request.user,
                create=lambda: staff.service_area_save(
                    area=area,
                    name=form.cleaned_data["name"],
                    managers=list(form.cleaned_data["managers"]),
                    by=request.user,
                ),
            )
        except AlreadySaved:
            messages.info(request, ALREADY_SAVED)
            return HttpResponseRedirect(reverse("accounts:staff-list") + "#areas")
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{saved.name} has been saved.")
            return HttpResponseRedirect(reverse("accounts:staff-list") + "#areas")
    title = f"Change {area.name}" if area else "Add a service area"
    return _form_page(request, form, title, reverse("accounts:staff-list"))
