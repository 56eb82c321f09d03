"""Which audit rows a user may read (issue 9 §3, issue 24 §8): every audited record kind with
the scope that decides who reads its content, and the path from it to its family. The audit trail
is the one reader of every app's records, so it sits above them all and gathers their scopes here
(docs/architecture.md "Layers"); each scope itself lives with its records (docs/security.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from cases.models import Episode
from cases.scopes import (
    assessments_visible_to,
    children_visible_to,
    episodes_visible_to,
    extensions_visible_to,
    families_hidden_from,
    families_visible_to,
    hearings_visible_to,
    legal_advice_families_for,
    letter_deliveries_visible_to,
    persons_visible_to,
    proceedings_visible_to,
)
from deadlines.scopes import deadlines_visible_to
from letters.scopes import letter_drafts_visible_to
from meetings.scopes import (
    legal_advice_visible_to,
    lpm_preparations_visible_to,
    lpm_requests_visible_to,
    lpms_visible_to,
    meetings_visible_to,
    permanency_meetings_visible_to,
)
from tracker_meetings.scopes import agenda_items_visible_to, meeting_actions_visible_to, tracker_meetings_visible_to

if TYPE_CHECKING:
    from accounts.models import User


# The record kinds the audit trail can show, each with the scope that decides who reads its content.
def tracker_meeting_records_visible_to(user: User) -> QuerySet[Any]:
    """Tracker meetings (kind, date, chair: no case details) for the roles that work from the tracker."""
    return tracker_meetings_visible_to(user)


def agenda_items_audit_visible_to(user: User) -> QuerySet[Any]:
    """Agenda items whose history the user may read in full: an item can hold privileged legal
    advice, so its audit rows need the agenda scope and the right to read that family's advice."""
    return agenda_items_visible_to(user).filter(episode__family__in=legal_advice_families_for(user))


def meeting_actions_audit_visible_to(user: User) -> QuerySet[Any]:
    """Meeting actions whose history the user may read (the actions scope)."""
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
