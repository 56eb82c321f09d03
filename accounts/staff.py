"""Writes for the staff pages (issue #12 §1): people, teams, service areas, roles, caseloads.

Every change is audited by pghistory (User, Team, ServiceArea and role membership are tracked;
a web request's middleware names the acting user, `staff_context` does it elsewhere). People are
never deleted: deactivating keeps their history and their name on every record, and refuses
their sign-in (password and single sign-on both check `is_active`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from plo_tracker.text import clean_name

from .models import ServiceArea, Team, User
from .roles import Role
from .services import user_set_roles


def _active_admins() -> Any:
    return User.objects.filter(is_active=True, groups__name=Role.ADMINISTRATOR.label).distinct()


def _check_last_admin(*, user: User, roles: Iterable[Role], active: bool, by: User) -> None:
    """The last active administrator cannot remove their own role or switch themselves off."""
    still_admin = active and Role.ADMINISTRATOR in set(roles)
    if still_admin or not user.has_role(Role.ADMINISTRATOR) or not user.is_active:
        return
    if not _active_admins().exclude(pk=user.pk).exists():
        who = "your own" if user.pk == by.pk else "their"
        raise ValidationError(
            {
                "roles": [
                    f"This is the last administrator: give someone else the Administrator role before removing {who}"
                ]
            }
        )


def _unique(errors: dict[str, list[str]], user: User | None, username: str, email: str, oidc_subject: str = "") -> None:
    others = User.objects.exclude(pk=user.pk) if user is not None else User.objects.all()
    username, email, oidc_subject = clean_name(username), clean_name(email), clean_name(oidc_subject)
    if others.filter(username__iexact=username).exists():
        errors["username"] = ["Someone already has this username"]
    if email and others.filter(email__iexact=email).exists():
        errors["email"] = ["Someone already has this email address (single sign-on matches people by it)"]
    if oidc_subject and others.filter(oidc_subject__iexact=oidc_subject).exists():
        errors["oidc_subject"] = ["Someone already has this single sign-on id"]


@transaction.atomic
def staff_create(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    job_title: str = "",
    oidc_subject: str = "",
    team: Team | None,
    roles: list[Role],
    by: User,
) -> User:
    """Add a member of staff with their roles. They have no password: they sign in with single
    sign-on, or choose a password from an invitation (accounts/credentials.py)."""
    errors: dict[str, list[str]] = {}
    username, email, oidc_subject = username.strip(), email.strip(), oidc_subject.strip()
    _unique(errors, None, username, email, oidc_subject)
    if not roles:
        errors["roles"] = ["Choose at least one role"]
    if team is None and set(roles) & {Role.SOCIAL_WORKER, Role.TEAM_MANAGER}:
        errors["team"] = ["Choose the team of a social worker or team manager"]
    if errors:
        raise ValidationError(errors)
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        job_title=job_title.strip(),
        oidc_subject=oidc_subject,
        team=team,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    user_set_roles(user=user, roles=roles)
    _sync_team_manager(user, team, roles)
    return user


@transaction.atomic
def staff_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    job_title: str,
    team: Team | None,
    roles: list[Role],
    active: bool,
    by: User,
    oidc_subject: str | None = None,
) -> User:
    """Change a person's details, team (moving a worker between teams), roles or switch them off.
    `oidc_subject` None leaves their single sign-on id as it is."""
    user = User.objects.select_for_update().get(pk=user.pk)
    errors: dict[str, list[str]] = {}
    oidc_subject = user.oidc_subject if oidc_subject is None else oidc_subject.strip()
    _unique(errors, user, user.username, email.strip(), oidc_subject)
    if not roles:
        errors["roles"] = ["Choose at least one role"]
    if team is None and set(roles) & {Role.SOCIAL_WORKER, Role.TEAM_MANAGER}:
        errors["team"] = ["Choose the team of a social worker or team manager"]
    if errors:
        raise ValidationError(errors)
    _check_last_admin(user=user, roles=roles, active=active, by=by)
    old_team = user.team
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.email, user.job_title, user.team, user.is_active = email.strip(), job_title.strip(), team, active
    user.oidc_subject = oidc_subject
    user.full_clean()
    user.save()
    user_set_roles(user=user, roles=roles)
    if old_team is not None and old_team != team:
        old_team.managers.remove(user)
    _sync_team_manager(user, team, roles)
    return user


def _sync_team_manager(user: User, team: Team | None, roles: Iterable[Role]) -> None:
    """A team manager manages the team they belong to (they may manage others too)."""
    if team is not None and Role.TEAM_MANAGER in set(roles):
        team.managers.add(user)
    elif Role.TEAM_MANAGER not in set(roles):
        Team.managers.through.objects.filter(user_id=user.pk).delete()


@transaction.atomic
def team_save(
    *, team: Team | None, name: str, service_area: ServiceArea | None, managers: list[User], by: User
) -> Team:
    """Create or change a team, its service area and its team managers."""
    errors: dict[str, list[str]] = {}
    name = clean_name(name)  # as it will be stored: "North" plus a control character is "North"
    others = Team.objects.exclude(pk=team.pk) if team is not None else Team.objects.all()
    if others.filter(name__iexact=name).exists():
        errors["name"] = ["There is already a team with this name"]
    not_managers = [m for m in managers if not m.has_role(Role.TEAM_MANAGER)]
    if not_managers:
        errors["managers"] = [f"{m} is not a team manager: give them the role first" for m in not_managers]
    if errors:
        raise ValidationError(errors)
    team = team or Team()
    team.name, team.service_area = name, service_area
    team.full_clean()
    team.save()
    team.managers.set(managers)
    return team


@transaction.atomic
def service_area_save(*, area: ServiceArea | None, name: str, managers: list[User], by: User) -> ServiceArea:
    """Create or change a service area and its service managers."""
    name = clean_name(name)  # as it will be stored
    others = ServiceArea.objects.exclude(pk=area.pk) if area is not None else ServiceArea.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ValidationError({"name": ["There is already a service area with this name"]})
    area = area or ServiceArea()
    area.name = name
    area.full_clean()
    area.save()
    area.managers.set(managers)
    return area


@transaction.atomic
def caseload_reallocate(*, leaver: User, social_worker: User | None, team_manager: User | None, by: User) -> int:
    """Move every family allocated to a leaver (as social worker or team manager) to the people
    named, in one step; each family's change is versioned and audited. Returns families moved."""
    from cases.models import Family
    from cases.services import family_reallocate

    errors: dict[str, list[str]] = {}
    as_worker = Family.objects.filter(social_worker=leaver, closed_on__isnull=True)
    as_manager = Family.objects.filter(team_manager=leaver, closed_on__isnull=True)
    if as_worker.exists():
        if social_worker is None:
            errors["social_worker"] = ["Choose who takes on the families allocated to them"]
        elif social_worker == leaver or not social_worker.is_active:
            errors["social_worker"] = ["Choose another member of staff who is active"]
        elif not social_worker.has_role(Role.SOCIAL_WORKER, Role.TEAM_MANAGER):
            errors["social_worker"] = ["Choose a social worker"]
    if as_manager.exists():
        if team_manager is None:
            errors["team_manager"] = ["Choose who takes on the families they manage"]
        elif team_manager == leaver or not team_manager.is_active or not team_manager.has_role(Role.TEAM_MANAGER):
            errors["team_manager"] = ["Choose another active team manager"]
    if errors:
        raise ValidationError(errors)
    moved = 0
    for family in Family.objects.select_for_update().filter(
        Q(social_worker=leaver) | Q(team_manager=leaver), closed_on__isnull=True
    ):
        changes: dict[str, Any] = {}
        if family.social_worker_id == leaver.pk and social_worker is not None:
            changes["social_worker"] = social_worker
            if social_worker.team_id and social_worker.team_id != family.team_id:
                changes["team"] = social_worker.team
        if family.team_manager_id == leaver.pk and team_manager is not None:
            changes["team_manager"] = team_manager
        family_reallocate(family=family, by=by, **changes)
        moved += 1
    return moved


def staff_context(by: User, source: str) -> Any:
    """Audit context for staff changes made outside a web request (the CSV command, tests)."""
    return pghistory.context(user=by.pk, source=source)
