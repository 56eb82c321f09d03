"""Who may see and change which records: the one visibility rule (docs/security.md).

This module holds the rule itself: the role tables and the family filter (`family_q`,
`filter_visible`) every record kind's scope is built from, and the single-record questions
(`can_edit`, `authorize`). The scope of each record kind, `<things>_visible_to(user)`, lives in
the app that owns the records (`cases/scopes.py`, `meetings/scopes.py`, `deadlines/scopes.py`,
`tracker_meetings/scopes.py`, `letters/scopes.py`), so this lowest layer imports none of them
(docs/architecture.md "Layers"). Every read in the product starts from one of those scopes; a
page, list, count, chart, export, print view, calendar feed, alert email or audit row never
decides visibility itself. Each scope is a pure queryset filter (Q objects and `EXISTS` / `IN`
subqueries, no Python loops and no per-row checks), so it composes with any selector's
annotations and stays one query.

The rules, per role (docs/security.md "Records a role can see", which the tests read):

- social worker: their team's families and those allocated to them;
- team manager: their team(s) (their own and those they manage) and the families they manage;
- service manager: the teams of the service areas they manage;
- head of service, assistant director, court liaison officer, business support, legal adviser
  and read-only oversight: the whole service;
- administrator: no case content at all (staff, calendar and audit metadata only).

A restricted family is seen only by the people named on it, whatever their role. Changing a
family needs a role that writes case records (read-only oversight never may); which step a role
may record is declared on each page (docs/security.md "Who can do which step").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet

from .roles import Role

if TYPE_CHECKING:
    from .models import User

R = Role

# The scope words docs/security.md uses, per role. A user holding several roles gets the widest.
WHOLE_SERVICE = "whole service"
SERVICE_AREA = "service area"
TEAMS = "team"
NONE = "none"

READ_SCOPE: dict[Role, str] = {
    R.SOCIAL_WORKER: TEAMS,
    R.TEAM_MANAGER: TEAMS,
    R.SERVICE_MANAGER: SERVICE_AREA,
    R.HEAD_OF_SERVICE: WHOLE_SERVICE,
    R.ASSISTANT_DIRECTOR: WHOLE_SERVICE,
    R.COURT_LIAISON_OFFICER: WHOLE_SERVICE,
    R.BUSINESS_SUPPORT: WHOLE_SERVICE,
    R.LEGAL_ADVISER: WHOLE_SERVICE,
    R.READ_ONLY: WHOLE_SERVICE,
    R.ADMINISTRATOR: NONE,
}
# Where a role may record steps (the pages then say which steps). Read-only oversight: nowhere.
WRITE_SCOPE: dict[Role, str] = {**READ_SCOPE, R.READ_ONLY: NONE}
# Privileged legal advice and LPM minutes (001, 002 §12, 004 §10).
ADVICE_READ_SCOPE: dict[Role, str] = {
    **dict.fromkeys(Role, NONE),
    R.LEGAL_ADVISER: WHOLE_SERVICE,
    R.HEAD_OF_SERVICE: WHOLE_SERVICE,
    R.TEAM_MANAGER: TEAMS,
}
ADVICE_WRITE_SCOPE: dict[Role, str] = {
    **dict.fromkeys(Role, NONE),
    R.LEGAL_ADVISER: WHOLE_SERVICE,
    R.HEAD_OF_SERVICE: WHOLE_SERVICE,
}
# Only these may restrict a case, lift a restriction or change who is named (issue 9 §2).
# Deadlines whose existence reveals legal advice (002 App. 2: the record of the LPM's legal advice
# goes only to the head of service): read only where the user may read that case's advice.
PRIVILEGED_DEADLINE_KEYS: tuple[str, ...] = ("advice_to_head_of_service",)
RESTRICTION_MANAGERS: frozenset[Role] = frozenset({R.HEAD_OF_SERVICE, R.SERVICE_MANAGER})


def _p(prefix: str, name: str) -> str:
    return f"{prefix}{name}" if prefix else name


def _teams_q(user: User, prefix: str) -> Q:
    """Their own team, the teams they manage, and families allocated to or managed by them."""
    from .models import Team

    managed = Team.objects.filter(managers=user.pk).values("pk")
    q = Q(**{_p(prefix, "social_worker_id"): user.pk}) | Q(**{_p(prefix, "team_manager_id"): user.pk})
    q |= Q(**{_p(prefix, "team_id__in"): managed})
    if user.team_id is not None:
        q |= Q(**{_p(prefix, "team_id"): user.team_id})
    return q


def _service_area_q(user: User, prefix: str) -> Q:
    """The teams of the service areas the user manages (and families allocated to or managed by them)."""
    from .models import Team

    teams = Team.objects.filter(service_area__managers=user.pk).values("pk")
    return (
        Q(**{_p(prefix, "team_id__in"): teams})
        | Q(**{_p(prefix, "social_worker_id"): user.pk})
        | Q(**{_p(prefix, "team_manager_id"): user.pk})
    )


def _named_q(user: User, prefix: str) -> Q:
    """Not restricted, or restricted and the user is named on it."""
    # The family's own restriction table, by name: the family rule applies to any app's records,
    # so this lowest layer imports none of them (docs/architecture.md "Layers").
    FamilyRestriction = apps.get_model("cases", "FamilyRestriction")
    named = FamilyRestriction.objects.filter(family_id=OuterRef(_p(prefix, "pk")), user_id=user.pk)
    return Q(**{_p(prefix, "restricted"): False}) | Q(Exists(named))


def _scope_q(user: User, table: dict[Role, str], prefix: str) -> Q | None:
    """The family filter for this user under `table`: None for no family at all, `Q()` for all."""
    if not user.is_authenticated or not user.is_active:
        return None
    words = {table[r] for r in user.roles}
    if WHOLE_SERVICE in words:
        return Q()
    q: Q | None = None
    if TEAMS in words:
        q = _teams_q(user, prefix)
    if SERVICE_AREA in words:
        q = _service_area_q(user, prefix) if q is None else q | _service_area_q(user, prefix)
    return q


def family_q(user: User, prefix: str = "", *, table: dict[Role, str] = READ_SCOPE) -> Q | None:
    """The filter for a queryset reaching the family through `prefix` (e.g. "episode__family__"),
    or None when the user may see no family at all."""
    scope = _scope_q(user, table, prefix)
    if scope is None:
        return None
    return scope & _named_q(user, prefix)


def filter_visible(qs: QuerySet[Any], user: User, prefix: str, table: dict[Role, str] = READ_SCOPE) -> QuerySet[Any]:
    """`qs` narrowed to the records whose family (reached through `prefix`) the user may see under
    `table`: each app's scopes module applies the family rule to its own record kinds with this."""
    q = family_q(user, prefix, table=table)
    return qs.none() if q is None else qs.filter(q)


def _family_in(user: User, family: Any, table: dict[Role, str]) -> bool:
    """Whether this one family is within the user's scope under `table` (one EXISTS query)."""
    return filter_visible(type(family)._default_manager.all(), user, "", table).filter(pk=family.pk).exists()


# --- Scopes that need no case record --------------------------------------------------------


def teams_visible_to(user: User) -> QuerySet[Any]:
    """Teams whose cases the user works with, for team pickers: their own and managed teams,
    the teams of the service areas they manage, or every team for service-wide roles."""
    from .models import Team

    scope = _scope_q(user, READ_SCOPE, "")
    if scope is None:
        return Team.objects.none()
    if not scope:
        return Team.objects.all()
    q = Q(pk__in=Team.objects.filter(managers=user.pk).values("pk"))
    q |= Q(pk__in=Team.objects.filter(service_area__managers=user.pk).values("pk"))
    if user.team_id is not None and TEAMS in {READ_SCOPE[r] for r in user.roles}:
        q |= Q(pk=user.team_id)
    return Team.objects.filter(q)


def sees_whole_service(user: User) -> bool:
    """Whether the user's read scope is the whole service (heads of service, AD, CLO, legal, oversight)."""
    scope = _scope_q(user, READ_SCOPE, "")
    return scope is not None and not scope


# --- Single-record questions, answered through the scopes -----------------------------------


def can_edit(user: User, family: Any) -> bool:
    """Whether the user may record steps on this family."""
    return _family_in(user, family, WRITE_SCOPE)


def can_see_legal_advice(user: User, family: Any) -> bool:
    """Whether the user may read this family's privileged legal advice and LPM minutes."""
    return _family_in(user, family, ADVICE_READ_SCOPE)


def can_record_legal_advice(user: User, family: Any) -> bool:
    """Whether the user may record legal advice on this family (legal advisers, heads of service)."""
    return _family_in(user, family, ADVICE_WRITE_SCOPE)


def can_manage_restriction(user: User) -> bool:
    """Only a head of service or service manager may restrict, lift or change who is named; never
    one whose account is deactivated (deny by default, whatever the caller checks besides)."""
    return user.is_authenticated and user.is_active and bool(user.roles & RESTRICTION_MANAGERS)


def authorize(by: Any, roles: frozenset[Role], family: Any = None) -> None:
    """Refuse (PermissionDenied) a user whose role may not record this step, or who may not change
    this family: services call it, so a task, the shell or an API refuses what the page refuses."""
    from django.core.exceptions import PermissionDenied

    if by is None or not getattr(by, "is_authenticated", False) or not by.is_active or not by.roles & roles:
        raise PermissionDenied("Your role may not record this step.")
    if family is not None and not can_edit(by, family):
        raise PermissionDenied("You may not change this case.")


def privileged_deadlines_q(user: User, prefix: str = "", family_prefix: str = "episode__family__") -> Q:
    """Deadlines (reached through `prefix`) the user may read as far as privilege goes: any that is
    not a PRIVILEGED_DEADLINE_KEYS one, and those only on families whose legal advice they may read.
    Every deadlines scope (deadlines.scopes) and every per-episode figure applies it."""
    plain = ~Q(**{f"{prefix}key__in": PRIVILEGED_DEADLINE_KEYS})
    advice = family_q(user, family_prefix, table=ADVICE_READ_SCOPE)
    return plain if advice is None else plain | advice


def privileged_deadline_keys_hidden_from(user: User) -> list[str]:
    """For figures worked out per episode in SQL (the tracker): the privileged keys to leave out
    everywhere for this user: none when they may read the advice of every case they can see (legal
    advisers, heads of service, team managers); otherwise all of them, never showing more."""
    read = {READ_SCOPE[r] for r in user.roles} if user.is_authenticated else set()
    advice = {ADVICE_READ_SCOPE[r] for r in user.roles} if user.is_authenticated else set()
    return [] if WHOLE_SERVICE in advice or read <= advice else list(PRIVILEGED_DEADLINE_KEYS)
