"""Who may see and change which records: one visibility scope per record kind (docs/security.md).

Every read in the product starts from one of these functions; a page, list, count, chart,
export, print view, calendar feed, alert email or audit row never decides visibility itself.
Each scope is a pure queryset filter (Q objects and `EXISTS` / `IN` subqueries, no Python loops
and no per-row checks), so it composes with any selector's annotations and stays one query.

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
# Deadlines whose existence reveals legal advice (002 App. 2: the record of the LPM's legal advice
# goes only to the head of service): read only where the user may read that case's advice.
PRIVILEGED_DEADLINE_KEYS: tuple[str, ...] = ("advice_to_head_of_service",)
# Only these may restrict a case, lift a restriction or change who is named (issue 9 §2).
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
    from cases.models import FamilyRestriction

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


def _filter(qs: QuerySet[Any], user: User, prefix: str, table: dict[Role, str] = READ_SCOPE) -> QuerySet[Any]:
    q = family_q(user, prefix, table=table)
    return qs.none() if q is None else qs.filter(q)


# --- One scope per record kind --------------------------------------------------------------


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


def weekly_snapshots_visible_to(user: User) -> QuerySet[Any]:
    """Stored weekly figures: the whole service's row only for service-wide roles; anyone else
    reads the rows of the teams they work with (a count is a read like any other)."""
    from deadlines.models import WeeklySnapshot

    scope = _scope_q(user, READ_SCOPE, "")
    if scope is None:
        return WeeklySnapshot.objects.none()
    if not scope:
        return WeeklySnapshot.objects.all()
    return WeeklySnapshot.objects.filter(team__in=teams_visible_to(user).values("pk"))


def sees_whole_service(user: User) -> bool:
    """Whether the user's read scope is the whole service (heads of service, AD, CLO, legal, oversight)."""
    scope = _scope_q(user, READ_SCOPE, "")
    return scope is not None and not scope


def families_visible_to(user: User) -> QuerySet[Any]:
    """Families the user may see (deny by default; restricted ones only for the people named)."""
    from cases.models import Family

    return _filter(Family.objects.all(), user, "")


def families_editable_by(user: User) -> QuerySet[Any]:
    """Families on which the user may record steps (read-only oversight and administrators: none)."""
    from cases.models import Family

    return _filter(Family.objects.all(), user, "", WRITE_SCOPE)


def children_visible_to(user: User) -> QuerySet[Any]:
    """Children of the families the user may see."""
    from cases.models import Child

    return _filter(Child.objects.all(), user, "family__")


def persons_visible_to(user: User) -> QuerySet[Any]:
    """Parents and others with parental responsibility in families the user may see."""
    from cases.models import Person

    return _filter(Person.objects.all(), user, "family__")


def episodes_visible_to(user: User) -> QuerySet[Any]:
    """Episodes (PLO pre-proceedings and proceedings) of families the user may see."""
    from cases.models import Episode

    return _filter(Episode.objects.all(), user, "family__")


def lpm_preparations_visible_to(user: User) -> QuerySet[Any]:
    """LPM requests being prepared (or prepared) on families the user may see."""
    from meetings.models import LPMRequestPreparation

    return _filter(LPMRequestPreparation.objects.all(), user, "family__")


def letter_drafts_visible_to(user: User) -> QuerySet[Any]:
    """Letters and papers drafted on families the user may see (issue 21)."""
    from letters.models import Draft

    return _filter(Draft.objects.all(), user, "episode__family__")


def lpm_requests_visible_to(user: User) -> QuerySet[Any]:
    """LPM requests on families the user may see."""
    from meetings.models import LPMRequest

    return _filter(LPMRequest.objects.all(), user, "episode__family__")


def lpms_visible_to(user: User) -> QuerySet[Any]:
    """Legal planning meetings (panels) on families the user may see; their advice has its own scope."""
    from meetings.models import LPM

    return _filter(LPM.objects.all(), user, "episode__family__")


def legal_advice_visible_to(user: User) -> QuerySet[Any]:
    """Privileged legal advice and LPM minutes: legal advisers, heads of service, the case's team managers."""
    from meetings.models import LegalAdvice

    return _filter(LegalAdvice.objects.all(), user, "lpm__episode__family__", ADVICE_READ_SCOPE)


def legal_advice_families_for(user: User, *, write: bool = False) -> QuerySet[Any]:
    """Families whose legal advice the user may read (or, with write=True, record)."""
    from cases.models import Family

    return _filter(Family.objects.all(), user, "", ADVICE_WRITE_SCOPE if write else ADVICE_READ_SCOPE)


def meetings_visible_to(user: User) -> QuerySet[Any]:
    """Pre-proceedings meetings on families the user may see."""
    from meetings.models import Meeting

    return _filter(Meeting.objects.all(), user, "episode__family__")


def permanency_meetings_visible_to(user: User) -> QuerySet[Any]:
    """Permanency planning meetings on families the user may see."""
    from meetings.models import PermanencyPlanningMeeting

    return _filter(PermanencyPlanningMeeting.objects.all(), user, "family__")


def assessments_visible_to(user: User) -> QuerySet[Any]:
    """Assessments on families the user may see."""
    from cases.models import Assessment

    return _filter(Assessment.objects.all(), user, "episode__family__")


def proceedings_visible_to(user: User) -> QuerySet[Any]:
    """Care proceedings of families the user may see."""
    from cases.models import CareProceedings

    return _filter(CareProceedings.objects.all(), user, "episode__family__")


def hearings_visible_to(user: User) -> QuerySet[Any]:
    """Court hearings of families the user may see."""
    from cases.models import Hearing

    return _filter(Hearing.objects.all(), user, "proceedings__episode__family__")


def extensions_visible_to(user: User) -> QuerySet[Any]:
    """Agreed extensions on families the user may see."""
    from cases.models import Extension

    return _filter(Extension.objects.all(), user, "episode__family__")


def letter_deliveries_visible_to(user: User) -> QuerySet[Any]:
    """Deliveries of the letter before proceedings on families the user may see."""
    from cases.models import LetterDelivery

    return _filter(LetterDelivery.objects.all(), user, "episode__family__")


def privileged_deadlines_q(user: User, prefix: str = "", family_prefix: str = "episode__family__") -> Q:
    """Deadlines (reached through `prefix`) the user may read as far as privilege goes: any that is
    not a PRIVILEGED_DEADLINE_KEYS one, and those only on families whose legal advice they may read."""
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


def deadlines_visible_to(user: User) -> QuerySet[Any]:
    """Stored deadlines of episodes on families the user may see (privileged ones: advice readers only)."""
    from deadlines.models import Deadline

    return _filter(Deadline.objects.all(), user, "episode__family__").filter(privileged_deadlines_q(user))


def alerts_visible_to(user: User) -> QuerySet[Any]:
    """Alerts about families the user may see (whoever they were raised for; privileged deadlines'
    alerts: advice readers only)."""
    from deadlines.models import Alert

    return _filter(Alert.objects.all(), user, "episode__family__").filter(
        Q(deadline__isnull=True) | privileged_deadlines_q(user, "deadline__")
    )


# The record kinds the audit trail can show, each with the scope that decides who reads its content.
def tracker_meeting_records_visible_to(user: User) -> QuerySet[Any]:
    """Tracker meetings (kind, date, chair: no case details) for the roles that work from the tracker."""
    from tracker_meetings.selectors import tracker_meetings_visible_to

    return tracker_meetings_visible_to(user)


def agenda_items_audit_visible_to(user: User) -> QuerySet[Any]:
    """Agenda items whose history the user may read in full: an item can hold privileged legal
    advice, so its audit rows need the agenda scope and the right to read that family's advice."""
    from tracker_meetings.selectors import agenda_items_visible_to

    return agenda_items_visible_to(user).filter(episode__family__in=legal_advice_families_for(user))


def meeting_actions_audit_visible_to(user: User) -> QuerySet[Any]:
    """Meeting actions whose history the user may read (the actions scope)."""
    from tracker_meetings.selectors import meeting_actions_visible_to

    return meeting_actions_visible_to(user)


RECORD_SCOPES: dict[str, Any] = {
    "tracker_meetings.TrackerMeeting": tracker_meeting_records_visible_to,
    "tracker_meetings.AgendaItem": agenda_items_audit_visible_to,
    "tracker_meetings.MeetingAction": meeting_actions_audit_visible_to,
    "cases.Family": families_visible_to,
    "cases.Child": children_visible_to,
    "cases.Person": persons_visible_to,
    "cases.Episode": episodes_visible_to,
    "cases.Assessment": assessments_visible_to,
    "cases.CareProceedings": proceedings_visible_to,
    "cases.Hearing": hearings_visible_to,
    "cases.Extension": extensions_visible_to,
    "cases.LetterDelivery": letter_deliveries_visible_to,
    "meetings.LPMRequest": lpm_requests_visible_to,
    "meetings.LPMRequestPreparation": lpm_preparations_visible_to,
    "meetings.LPM": lpms_visible_to,
    "meetings.LegalAdvice": legal_advice_visible_to,
    "meetings.Meeting": meetings_visible_to,
    "meetings.PermanencyPlanningMeeting": permanency_meetings_visible_to,
    "deadlines.Deadline": deadlines_visible_to,
    "letters.Draft": letter_drafts_visible_to,
}
# Link rows tracked on their own, read with the record they belong to: (parent's field, its scope).
LINK_SCOPES: dict[str, tuple[str, Any]] = {
    "cases.FamilyRestriction": ("family", families_visible_to),
    "cases.EpisodeChild": ("episode", episodes_visible_to),
    "meetings.LPMRequestDocument": ("request", lpm_requests_visible_to),
    "tracker_meetings.MinutesRecipient": ("meeting", tracker_meeting_records_visible_to),
}
# Records that hold no case content: whoever may use the audit page reads their history in full.
NON_CASE_RECORDS = frozenset({"deadlines.ClosureDay", "deadlines.ExtraBankHoliday", "letters.LetterTemplate"})


# Every audited record kind tied to a family, with the path from it to that family: the audit
# trail shows no row at all about a restricted case to someone not named on it (docs/security.md).
# A test fails if an audited model with a path to a family is missing here.
FAMILY_PATHS: dict[str, str] = {
    "cases.Family": "",
    "cases.FamilyRestriction": "family__",
    "cases.Child": "family__",
    "cases.Person": "family__",
    "cases.Episode": "family__",
    "cases.EpisodeChild": "episode__family__",
    "cases.LetterDelivery": "episode__family__",
    "cases.Extension": "episode__family__",
    "cases.Assessment": "episode__family__",
    "cases.CareProceedings": "episode__family__",
    "cases.CourtExtension": "proceedings__episode__family__",
    "cases.Hearing": "proceedings__episode__family__",
    "meetings.LPMRequest": "episode__family__",
    "meetings.LPMRequestDocument": "request__episode__family__",
    "meetings.LPMRequestPreparation": "family__",
    "meetings.LPM": "episode__family__",
    "meetings.LegalAdvice": "lpm__episode__family__",
    "meetings.Meeting": "episode__family__",
    "meetings.PermanencyPlanningMeeting": "family__",
    "deadlines.Deadline": "episode__family__",
    "tracker_meetings.AgendaItem": "episode__family__",
    "tracker_meetings.MeetingAction": "item__episode__family__",
    "imports.ImportedEpisode": "episode__family__",
    "letters.Draft": "episode__family__",
}


def export_jobs_visible_to(user: User) -> QuerySet[Any]:
    """National export jobs: the person who asked for one only, whatever their role."""
    from cases.models import NationalExportJob

    return NationalExportJob.objects.filter(requested_by_id=user.pk)


def families_hidden_from(user: User) -> QuerySet[Any]:
    """Restricted families the user is not named on: nothing about them may reach this user."""
    from cases.models import Family, FamilyRestriction

    named = FamilyRestriction.objects.filter(family_id=OuterRef("pk"), user_id=user.pk)
    return Family.objects.filter(restricted=True).exclude(Exists(named))


def _hidden_records(user: User, label: str) -> QuerySet[Any]:
    """The records of one kind that belong to a restricted family the user is not named on."""
    from django.apps import apps

    model = apps.get_model(label)
    return model._default_manager.filter(**{f"{FAMILY_PATHS[label]}pk__in": families_hidden_from(user).values("pk")})


def audit_record_hidden(user: User, obj: Any) -> bool:
    """Whether a record belongs to a restricted case the user is not named on (its history: Not found)."""
    label = obj._meta.label
    return label in FAMILY_PATHS and _hidden_records(user, label).filter(pk=obj.pk).exists()


def _hidden_events_q(user: User) -> tuple[Q, dict[str, Any]]:
    """Audit rows about restricted families the user is not named on: the record's own row, and a
    deleted record's rows by the family or episode its snapshot names (a lifted-off named person)."""
    from django.db.models.fields.json import KT

    from cases.models import Episode

    hidden_families = _text_ids(families_hidden_from(user))
    hidden_episodes = _text_ids(Episode.objects.filter(family__in=families_hidden_from(user).values("pk")))
    annotations = {"hide_family": KT("pgh_data__family"), "hide_episode": KT("pgh_data__episode")}
    q = Q(pk__in=[])
    for label, path in FAMILY_PATHS.items():
        q |= Q(pgh_obj_model=label, pgh_obj_id__in=_text_ids(_hidden_records(user, label)))
        if path == "family__":
            q |= Q(pgh_obj_model=label, hide_family__in=hidden_families)
        elif path.startswith("episode__"):
            q |= Q(pgh_obj_model=label, hide_episode__in=hidden_episodes)
    return q, annotations


def _text_ids(qs: QuerySet[Any]) -> QuerySet[Any]:
    from django.db.models import TextField
    from django.db.models.functions import Cast

    return qs.annotate(text_pk=Cast("pk", output_field=TextField())).values("text_pk")


def audit_entries_visible_to(user: User, obj: Any) -> QuerySet[Any]:
    """The audit entries of a record (its own and those of records pointing at it), each marked
    `content_visible` only where the user may read that record itself; the others show that a
    change happened, by whom and when, and nothing else (issue 9 §3). Rows about a restricted case
    the user is not named on are not there at all, whatever their role (issue 24 §8)."""
    from django.db.models import BooleanField, Case, Value, When
    from django.db.models.fields.json import KT
    from pghistory.models import Events

    readable = Q(pgh_obj_model__in=sorted(NON_CASE_RECORDS))
    for label, scope in RECORD_SCOPES.items():
        readable |= Q(pgh_obj_model=label, pgh_obj_id__in=_text_ids(scope(user)))
    annotations: dict[str, Any] = {}
    for label, (field, scope) in LINK_SCOPES.items():
        key = f"link_{field}"
        annotations[key] = KT(f"pgh_data__{field}")
        readable |= Q(pgh_obj_model=label, **{f"{key}__in": _text_ids(scope(user))})
    hidden, hide_keys = _hidden_events_q(user)
    return (
        Events.objects.references(obj)
        .annotate(**annotations, **hide_keys)
        .exclude(hidden)
        .annotate(
            content_visible=Case(When(readable, then=Value(True)), default=Value(False), output_field=BooleanField())
        )
    )


def record_readable(user: User, obj: Any) -> bool:
    """Whether the user may read this record's content (one EXISTS query through its scope)."""
    label = obj._meta.label
    if label in NON_CASE_RECORDS:
        return True
    if label in LINK_SCOPES:
        field, scope = LINK_SCOPES[label]
        return bool(scope(user).filter(pk=getattr(obj, f"{field}_id")).exists())
    scope = RECORD_SCOPES.get(label)
    return scope is not None and bool(scope(user).filter(pk=obj.pk).exists())


# --- Single-record questions, answered through the scopes -----------------------------------


def can_edit(user: User, family: Any) -> bool:
    """Whether the user may record steps on this family."""
    return families_editable_by(user).filter(pk=family.pk).exists()


def can_see_legal_advice(user: User, family: Any) -> bool:
    """Whether the user may read this family's privileged legal advice and LPM minutes."""
    return legal_advice_families_for(user).filter(pk=family.pk).exists()


def can_record_legal_advice(user: User, family: Any) -> bool:
    """Whether the user may record legal advice on this family (legal advisers, heads of service)."""
    return legal_advice_families_for(user, write=True).filter(pk=family.pk).exists()


def can_manage_restriction(user: User) -> bool:
    """Only a head of service or service manager may restrict, lift or change who is named."""
    return user.is_authenticated and bool(user.roles & RESTRICTION_MANAGERS)


def authorize(by: Any, roles: frozenset[Role], family: Any = None) -> None:
    """Refuse (PermissionDenied) a user whose role may not record this step, or who may not change
    this family: services call it, so a task, the shell or an API refuses what the page refuses."""
    from django.core.exceptions import PermissionDenied

    if by is None or not getattr(by, "is_authenticated", False) or not by.is_active or not by.roles & roles:
        raise PermissionDenied("Your role may not record this step.")
    if family is not None and not can_edit(by, family):
        raise PermissionDenied("You may not change this case.")
