"""Writes for families, children, episodes, letters, assessments and care proceedings.

Every service is keyword-only, validates what people type (date order, dates in the future,
duplicates, stale edits) with messages keyed by field so the form can show them beside the
field, writes in one transaction, and recomputes the episode's deadlines before it commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Team, User
from accounts.roles import (
    ASSESSMENT_ROLES,
    COST_APPROVAL_ROLES,
    COURT_ROLES,
    DELIVERY_ROLES,
    END_ROLES,
    EXTENSION_ROLES,
    FAMILY_OPENERS,
    LETTER_ROLES,
    WAIVE_ROLES,
    Role,
)
from accounts.scopes import authorize, can_manage_restriction
from cases.scopes import families_editable_by
from deadlines.engine import load_policy
from deadlines.services import deadlines_recompute, non_working_day_error, policy_for
from plo_tracker.versioning import save_versioned

from .models import (
    COURT_EXTENSION_MAX_WEEKS,
    HAND_DELIVERED,
    Assessment,
    CareProceedings,
    Child,
    CourtExtension,
    EndOutcome,
    Episode,
    EpisodeChild,
    Extension,
    Family,
    FamilyRestriction,
    Hearing,
    LegalStatus,
    LetterDelivery,
    Person,
    Stage,
    YesNoUnknown,
)


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def not_in_future(errors: dict[str, list[str]], field: str, value: dt.date | None, today: dt.date, what: str) -> None:
    """Record an error if a date of something that has happened is after today."""
    if value is not None and value > today:
        errors.setdefault(field, []).append(f"{what} must be today or in the past")


def not_before(
    errors: dict[str, list[str]],
    field: str,
    value: dt.date | None,
    earlier: dt.date | None,
    what: str,
    earlier_what: str,
) -> None:
    """Record an error if `value` is before `earlier` (both optional), naming both dates."""
    if value is not None and earlier is not None and value < earlier:
        errors.setdefault(field, []).append(
            f"{what} must be on or after {earlier_what} ({earlier:%d/%m/%Y}); you entered {value:%d/%m/%Y}"
        )


def raise_if(errors: dict[str, list[str]]) -> None:
    """Raise the collected field errors, if any."""
    if errors:
        raise ValidationError(errors)


def lock_episode(episode: Episode) -> Episode:
    """Re-read the episode and lock its row for this transaction: decisions are made on fresh data,
    and two people recording steps on one episode at once are applied one after the other.

    FOR NO KEY UPDATE (of the episode and its family): it serialises writers of the episode as FOR UPDATE
    would, but does not block the FOR KEY SHARE lock that inserting an alert about the episode
    takes, so a step being saved and the alert scan never wait on each other (deadlines/locking.py)."""
    return Episode.objects.select_for_update(no_key=True).select_related("family").get(pk=episode.pk)


def _save_new(instance: Any) -> Any:
    """full_clean then save, turning a constraint race into a field-less validation error."""
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:  # a concurrent duplicate slipped past full_clean
        raise ValidationError("This has already been recorded by someone else. Reload the page.") from exc
    return instance


# --- Families, children, people -------------------------------------------------------------


@transaction.atomic
def family_create(
    *,
    reference: str,
    name: str,
    team: Team,
    social_worker: User,
    team_manager: User | None,
    restricted: bool = False,
    restriction_reason: str = "",
    by: User,
) -> Family:
    """Open a PLO family group, allocated to a social worker and team manager."""
    authorize(by, FAMILY_OPENERS)
    if restricted and not can_manage_restriction(by):
        raise PermissionDenied("Only a head of service or service manager may restrict a case.")
    errors: dict[str, list[str]] = {}
    if not social_worker.has_role(Role.SOCIAL_WORKER, Role.TEAM_MANAGER):
        errors["social_worker"] = ["Choose a social worker"]
    if team_manager is not None and not team_manager.has_role(Role.TEAM_MANAGER):
        errors["team_manager"] = ["Choose a team manager"]
    raise_if(errors)
    family = _save_new(
        Family(
            reference=reference.strip(),
            name=name.strip(),
            team=team,
            social_worker=social_worker,
            team_manager=team_manager,
        )
    )
    if restricted:
        named = [by, social_worker, *([team_manager] if team_manager else [])]
        family = family_restrict(family=family, restricted=True, people=named, reason=restriction_reason, by=by)
    return family


def _allocated(family: Family) -> set[int]:
    """The allocated social worker and team manager, who stay named on a restricted family."""
    return {pk for pk in (family.social_worker_id, family.team_manager_id) if pk is not None}


@transaction.atomic
def family_restrict(
    *,
    family: Family,
    restricted: bool,
    people: list[User],
    reason: str,
    by: User,
    expected_version: int | None = None,
) -> Family:
    """Restrict a family (for example a member of staff's family), lift the restriction or change
    who is named; only a head of service or service manager may, with a reason, audited. The
    allocated social worker and team manager stay named while they are allocated (issue 9 §2)."""
    if not can_manage_restriction(by) or not families_editable_by(by).filter(pk=family.pk).exists():
        raise PermissionDenied("Only a head of service or service manager may restrict a case.")
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = ["Enter why the restriction is being changed"]
    if restricted and not people:
        errors["restricted_to"] = ["Name at least one person who may see a restricted case"]
    raise_if(errors)
    family = save_versioned(
        family,
        expected_version=expected_version,
        changes={"restricted": restricted, "restriction_reason": reason.strip()},
    )
    allocated = _allocated(family)
    wanted = ({p.pk for p in people} | allocated) if restricted else set()
    FamilyRestriction.objects.filter(family=family).exclude(user_id__in=wanted).delete()
    existing = set(FamilyRestriction.objects.filter(family=family).values_list("user_id", flat=True))
    FamilyRestriction.objects.bulk_create(FamilyRestriction(family=family, user_id=pk) for pk in wanted - existing)
    return family


@transaction.atomic
def family_update(*, family: Family, expected_version: int | None, by: User, **changes: Any) -> Family:
    """Change a family's name, reference or allocation (stale copies are refused). On a restricted
    family a newly allocated social worker or team manager is named on it (issue 9 §2)."""
    authorize(by, FAMILY_OPENERS, family)
    family = save_versioned(family, expected_version=expected_version, changes=changes)
    _name_allocated(family)
    return family


def _name_allocated(family: Family) -> None:
    """On a restricted family, a newly allocated social worker or team manager is named on it (issue 9 §2)."""
    if family.restricted:
        allocated = _allocated(family)
        existing = set(FamilyRestriction.objects.filter(family=family).values_list("user_id", flat=True))
        FamilyRestriction.objects.bulk_create(
            FamilyRestriction(family=family, user_id=pk) for pk in allocated - existing
        )


@transaction.atomic
def family_reallocate(*, family: Family, by: User, **allocation: Any) -> Family:
    """Move a family to another social worker, team manager or team when staff leave or move.

    Administrators may do this although they read no case content: it changes who holds the
    case, nothing in it. Other roles go through family_update and its case-level check."""
    if not (by.is_authenticated and by.is_active and by.has_role(Role.ADMINISTRATOR)):
        return family_update(family=family, expected_version=None, by=by, **allocation)
    unknown = set(allocation) - {"social_worker", "team_manager", "team"}
    if unknown:
        raise ValueError(f"family_reallocate changes allocation only, not {sorted(unknown)}")
    family = save_versioned(family, expected_version=None, changes=allocation)
    _name_allocated(family)
    return family


@transaction.atomic
def family_close(
    *,
    family: Family,
    expected_version: int | None,
    closed_on: dt.date,
    reason: str,
    by: User,
    today: dt.date | None = None,
) -> Family:
    """Close a family's record (never deleted): who, when and why are kept."""
    authorize(by, WAIVE_ROLES, family)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    not_in_future(errors, "closed_on", closed_on, today, "Date closed")
    if not reason.strip():
        errors["reason"] = ["Enter why the record is being closed"]
    if family.episodes.filter(ended_on__isnull=True).exists():
        errors["__all__"] = ["End the family's open PLO episode before closing the record"]
    last_end = family.episodes.exclude(ended_on__isnull=True).order_by("-ended_on").values_list("ended_on", flat=True)
    not_before(errors, "closed_on", closed_on, last_end.first(), "Date closed", "the end of the last episode")
    if family.closed_on is not None:
        errors["__all__"] = ["This record is already closed"]
    raise_if(errors)
    return save_versioned(
        family,
        expected_version=expected_version,
        changes={"closed_on": closed_on, "closed_by": by, "closed_reason": reason.strip()},
    )


@transaction.atomic
def family_reopen(*, family: Family, by: User) -> Family:
    """Reopen a closed family record (the closure stays in the audit trail)."""
    authorize(by, WAIVE_ROLES, family)
    if Family.objects.filter(pk=family.pk, closed_on__isnull=True).exists():
        raise ValidationError("This record is not closed")
    return save_versioned(
        family, expected_version=None, changes={"closed_on": None, "closed_by": None, "closed_reason": ""}
    )


@transaction.atomic
def child_create(
    *,
    family: Family,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    expected_date_of_birth: dt.date | None,
    gender: str,
    case_system_id: str,
    legal_status: str = LegalStatus.CP,
    cp_plan_count: int = 0,
    previous_pre_proceedings: int = 0,
    previous_care_proceedings: int = 0,
    by: User,
    today: dt.date | None = None,
) -> Child:
    """Add a child or unborn baby to a family group."""
    authorize(by, FAMILY_OPENERS, family)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if date_of_birth is None and expected_date_of_birth is None:
        errors["date_of_birth"] = ["Enter a date of birth, or an expected date of birth for an unborn baby"]
    if date_of_birth is not None and expected_date_of_birth is not None:
        errors["expected_date_of_birth"] = ["Enter a date of birth or an expected date of birth, not both"]
    not_in_future(errors, "date_of_birth", date_of_birth, today, "Date of birth")
    if expected_date_of_birth is not None and expected_date_of_birth < today - dt.timedelta(days=30):
        errors.setdefault("expected_date_of_birth", []).append(
            "Expected date of birth is more than a month ago: record the baby's date of birth instead"
        )
    raise_if(errors)
    child = _save_new(
        Child(
            family=family,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            date_of_birth=date_of_birth,
            expected_date_of_birth=expected_date_of_birth,
            gender=gender,
            case_system_id=case_system_id.strip(),
            legal_status=legal_status,
            cp_plan_count=cp_plan_count,
            previous_pre_proceedings=previous_pre_proceedings,
            previous_care_proceedings=previous_care_proceedings,
        )
    )
    episode = family.episodes.filter(ended_on__isnull=True).first()
    if episode is not None:
        _link_child(episode, child)
    return child


@transaction.atomic
def child_update(
    *, child: Child, expected_version: int | None, by: User, today: dt.date | None = None, **changes: Any
) -> Child:
    """Change a child's details (stale copies are refused)."""
    authorize(by, FAMILY_OPENERS, child.family)
    errors: dict[str, list[str]] = {}
    not_in_future(errors, "date_of_birth", changes.get("date_of_birth"), _today(today), "Date of birth")
    raise_if(errors)
    return save_versioned(child, expected_version=expected_version, changes=changes)


@transaction.atomic
def person_create(*, family: Family, by: User, **fields: Any) -> Person:
    """Add a parent or other person with parental responsibility, with their solicitor."""
    authorize(by, FAMILY_OPENERS, family)
    return _save_new(Person(family=family, **fields))


@transaction.atomic
def person_update(*, person: Person, expected_version: int | None, by: User, **changes: Any) -> Person:
    """Change a parent's details or solicitor (stale copies are refused)."""
    authorize(by, FAMILY_OPENERS, person.family)
    return save_versioned(person, expected_version=expected_version, changes=changes)


# --- Episodes ---------------------------------------------------------------------------------


def _link_child(episode: Episode, child: Child) -> EpisodeChild:
    earlier = (
        EpisodeChild.objects.filter(child=child, episode__decision_date__isnull=False).exclude(episode=episode).count()
        + child.previous_pre_proceedings
    )
    link, _ = EpisodeChild.objects.get_or_create(episode=episode, child=child, defaults={"earlier_episodes": earlier})
    return link


@transaction.atomic
def episode_open(
    *,
    family: Family,
    started_on: dt.date,
    by: User,
    children: Iterable[Child] | None = None,
    policy_name: str | None = None,
) -> Episode:
    """Open an episode for a family when an LPM is requested, pinned to the policy in force."""
    policy = load_policy(policy_name or settings.PLO_POLICY)
    if family.episodes.filter(ended_on__isnull=True).exists():
        raise ValidationError(
            {"family": ["This family already has an open PLO episode. End it before starting another."]}
        )
    if family.closed_on is not None:
        raise ValidationError({"family": ["This family's record is closed. Reopen it first."]})
    episode = _save_new(
        Episode(
            family=family,
            started_on=started_on,
            opened_by=by,
            policy_name=policy.name,
            policy_version=policy.version,
            stage=Stage.LPM,
        )
    )
    for child in children if children is not None else family.children.all():
        _link_child(episode, child)
    return episode


@transaction.atomic
def episode_rebase(*, episode: Episode, policy_name: str, by: User) -> Episode:
    """Move an episode to the current version of a policy (explicit and audited, timescales.md)."""
    policy = load_policy(policy_name)
    episode = save_versioned(
        episode, expected_version=None, changes={"policy_name": policy.name, "policy_version": policy.version}
    )
    deadlines_recompute(episode=episode)
    return episode


@transaction.atomic
def pre_proceedings_start(*, episode: Episode, decision_date: dt.date, by: User) -> Episode:
    """The LPM decided to initiate pre-proceedings: the clock starts at the decision date (D)."""
    episode = lock_episode(episode)
    episode = save_versioned(
        episode, expected_version=None, changes={"decision_date": decision_date, "stage": Stage.PRE_PROCEEDINGS}
    )
    for link in episode.episode_children.select_related("child"):
        # Recount now the decision is made: earlier episodes are those that reached pre-proceedings.
        link.earlier_episodes = (
            EpisodeChild.objects.filter(child=link.child, episode__decision_date__isnull=False)
            .exclude(episode=episode)
            .count()
            + link.child.previous_pre_proceedings
        )
        link.save(update_fields=["earlier_episodes"])
    Child.objects.filter(episode_links__episode=episode).update(legal_status=LegalStatus.PRE_PROCEEDINGS)
    return episode


@transaction.atomic
def letter_update(
    *,
    episode: Episode,
    expected_version: int | None,
    letter_drafted_on: dt.date | None,
    letter_to_legal_on: dt.date | None,
    letter_approved_on: dt.date | None,
    letter_due_on: dt.date | None = None,
    by: User,
    today: dt.date | None = None,
) -> Episode:
    """Record the letter before proceedings being drafted, checked by legal and approved.

    The draft can go to the lawyer before the LPM (002 App. 2: "on day before the LPM"), so the
    dates are allowed from the LPM request on, while the LPM is being arranged.
    """
    authorize(by, LETTER_ROLES, episode.family)
    episode = lock_episode(episode)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if not episode.is_open or episode.stage not in (Stage.LPM, Stage.PRE_PROCEEDINGS):
        raise ValidationError("The letter before proceedings is recorded while the LPM or pre-proceedings are open.")
    for field, value, what in (
        ("letter_drafted_on", letter_drafted_on, "Date drafted"),
        ("letter_to_legal_on", letter_to_legal_on, "Date sent to legal"),
        ("letter_approved_on", letter_approved_on, "Date approved"),
    ):
        not_in_future(errors, field, value, today, what)
    not_before(errors, "letter_drafted_on", letter_drafted_on, episode.started_on, "Date drafted", "the LPM request")
    not_before(
        errors, "letter_to_legal_on", letter_to_legal_on, letter_drafted_on, "Date sent to legal", "the date drafted"
    )
    if letter_to_legal_on and not letter_drafted_on:
        errors.setdefault("letter_drafted_on", []).append("Enter the date the letter was drafted")
    not_before(
        errors, "letter_approved_on", letter_approved_on, letter_to_legal_on, "Date approved", "the date sent to legal"
    )
    if letter_approved_on and not letter_to_legal_on:
        errors.setdefault("letter_to_legal_on", []).append("Enter the date the letter was sent to legal")
    if letter_due_on != episode.letter_due_on and (problem := non_working_day_error(letter_due_on)):
        # The CLO's deadline for the letter (000) is a deadline: it falls on a working day.
        errors["letter_due_on"] = [problem]
    raise_if(errors)
    episode = save_versioned(
        episode,
        expected_version=expected_version,
        changes={
            "letter_drafted_on": letter_drafted_on,
            "letter_to_legal_on": letter_to_legal_on,
            "letter_approved_on": letter_approved_on,
            "letter_due_on": letter_due_on,
        },
    )
    deadlines_recompute(episode=episode, today=today)
    return episode


@transaction.atomic
def signed_agreement_record(
    *,
    episode: Episode,
    agreement_signed_on: dt.date | None,
    final_agreement_signed_on: dt.date | None,
    by: User,
    today: dt.date | None = None,
) -> Episode:
    """Record when the signed pre-proceedings agreement was attached to the child's record: after
    the review meeting (002 App. 2 week 8) and, updated, after the final meeting (week 15). Each
    follows the meeting it comes from."""
    from meetings.models import MeetingKind

    authorize(by, LETTER_ROLES, episode.family)
    episode = lock_episode(episode)
    today = _today(today)
    if episode.decision_date is None:
        raise ValidationError("The agreement is signed once pre-proceedings have started.")
    errors: dict[str, list[str]] = {}
    held = {}
    for kind in (MeetingKind.REVIEW, MeetingKind.FINAL):
        dates = [m.held_on for m in episode.meetings.filter(kind=kind, held_on__isnull=False) if m.held_on]
        held[kind] = min(dates, default=None)
    steps = (
        ("agreement_signed_on", agreement_signed_on, MeetingKind.REVIEW, "the review meeting"),
        ("final_agreement_signed_on", final_agreement_signed_on, MeetingKind.FINAL, "the final meeting"),
    )
    for field, value, kind, meeting in steps:
        if value is None:
            continue
        not_in_future(errors, field, value, today, "Date attached")
        first = held[kind]
        if first is None:
            errors.setdefault(field, []).append(f"Record {meeting} first: the signed agreement follows it")
        else:
            not_before(errors, field, value, first, "Date attached", meeting)
    raise_if(errors)
    episode = save_versioned(
        episode,
        expected_version=None,
        changes={"agreement_signed_on": agreement_signed_on, "final_agreement_signed_on": final_agreement_signed_on},
    )
    deadlines_recompute(episode=episode, today=today)
    return episode


@transaction.atomic
def proposed_agreement_record(*, episode: Episode, sent_on: dt.date, by: User, today: dt.date | None = None) -> Episode:
    """Record the date the proposed pre-proceedings agreement was sent to legal for comment (002 App. 2:
    two working days before the initial meeting). It follows the LPM's decision and comes before the
    initial meeting, never after it."""
    from meetings.models import MeetingKind

    authorize(by, LETTER_ROLES, episode.family)
    episode = lock_episode(episode)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if episode.decision_date is None or not episode.is_open:
        raise ValidationError("The proposed agreement is sent while pre-proceedings are open.")
    not_in_future(errors, "sent_on", sent_on, today, "Date sent to legal")
    not_before(errors, "sent_on", sent_on, episode.decision_date, "Date sent to legal", "the LPM decision")
    initial = episode.meetings.filter(kind=MeetingKind.INITIAL, held_on__isnull=False).first()
    if initial is not None and initial.held_on is not None and sent_on > initial.held_on:
        errors.setdefault("sent_on", []).append(
            f"Date sent to legal must be on or before the initial meeting ({initial.held_on:%d/%m/%Y}): "
            "the proposed agreement goes to legal for comment before that meeting"
        )
    raise_if(errors)
    episode = save_versioned(episode, expected_version=None, changes={"proposed_agreement_to_legal_on": sent_on})
    deadlines_recompute(episode=episode, today=today)
    return episode


@transaction.atomic
def letter_deliver(
    *,
    episode: Episode,
    person: Person,
    delivered_on: dt.date,
    method: str = HAND_DELIVERED,
    address: str = "",
    no_address_reason: str = "",
    by: User,
    today: dt.date | None = None,
) -> LetterDelivery:
    """Record the letter before proceedings delivered to one parent (this entitles them to legal help).

    A hand delivery records where: the address typed, else the parent's address on record, else
    a reason why there is none (002 §9b ii: the letter is delivered by hand).
    """
    authorize(by, DELIVERY_ROLES, episode.family)
    episode = lock_episode(episode)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if person.family_id != episode.family_id:
        errors["person"] = ["Choose a parent in this family"]
    not_in_future(errors, "delivered_on", delivered_on, today, "Date delivered")
    not_before(
        errors,
        "delivered_on",
        delivered_on,
        episode.decision_date,
        "Date delivered",
        "the LPM decision to start pre-proceedings",
    )
    not_before(
        errors,
        "delivered_on",
        delivered_on,
        episode.letter_approved_on,
        "Date delivered",
        "the date legal approved the letter",
    )
    if episode.decision_date is None:
        errors.setdefault("delivered_on", []).append("The LPM has not yet decided to start pre-proceedings")
    if LetterDelivery.objects.filter(episode=episode, person=person).exists():
        errors.setdefault("person", []).append(
            f"The letter has already been recorded as delivered to {person.full_name}"
        )
    address = address.strip() or (person.address if person.family_id == episode.family_id else "")
    if method == HAND_DELIVERED and not address and not no_address_reason.strip():
        errors.setdefault("address", []).append(
            f"Enter the address the letter was handed over at, or say why there is no address for {person.full_name}"
        )
    raise_if(errors)
    delivery = _save_new(
        LetterDelivery(
            episode=episode,
            person=person,
            delivered_on=delivered_on,
            method=method,
            address=address,
            no_address_reason=no_address_reason.strip(),
        )
    )
    deadlines_recompute(episode=episode, today=today)
    return delivery


def _not_after_the_end(errors: dict[str, list[str]], episode: Episode, agreed_on: dt.date | None) -> None:
    """An extension extends an end that has not yet come (issue 20 "an extension after the end"):
    one agreed after pre-proceedings ended, or after the date they were due to end (with the
    extensions already agreed), is refused beside the date, naming both dates."""
    if agreed_on is None:
        return
    if episode.ended_on is not None and agreed_on > episode.ended_on:
        errors.setdefault("agreed_on", []).append(
            f"The extension was agreed on {agreed_on:%d/%m/%Y}, after pre-proceedings ended on "
            f"{episode.ended_on:%d/%m/%Y}: an extension can only be agreed before they end"
        )
        return
    from deadlines.forecast import END_KEY

    end = episode.deadlines.filter(key=END_KEY, occurrence=1).values_list("due_on", flat=True).first()
    if end is not None and agreed_on > end:
        errors.setdefault("agreed_on", []).append(
            f"The extension was agreed on {agreed_on:%d/%m/%Y}, after pre-proceedings were due to end on "
            f"{end:%d/%m/%Y}: an extension can only be agreed on or before the end date it extends"
        )


@transaction.atomic
def extension_agree(
    *, episode: Episode, weeks: int, agreed_on: dt.date, rationale: str, by: User, today: dt.date | None = None
) -> Extension:
    """Record a head of service's agreed extension, bounded by the policy's maximum (002 §11a ii)."""
    authorize(by, EXTENSION_ROLES, episode.family)
    episode = lock_episode(episode)
    today = _today(today)
    policy = policy_for(episode)  # the version the episode is pinned to
    errors: dict[str, list[str]] = {}
    if not by.has_role(Role.HEAD_OF_SERVICE):
        errors["__all__"] = ["Only a head of service can agree an extension"]
    if episode.stage != Stage.PRE_PROCEEDINGS:
        errors.setdefault("__all__", []).append("Extensions apply only while the family is in pre-proceedings")
    already = sum(e.weeks for e in episode.extensions.all())
    # No stated maximum (000, 004): the panel or director decides, with reasons (required below).
    allowed = policy.max_extension_weeks - already if policy.max_extension_weeks is not None else weeks
    if weeks < 1:
        errors["weeks"] = ["Enter a number of weeks, 1 or more"]
    elif weeks > allowed:
        errors["weeks"] = [
            f"The extension can be at most {allowed} more week{'s' if allowed != 1 else ''}: "
            f"{policy.title} allows {policy.max_extension_weeks} in all"
            + (f" and {already} {'have' if already != 1 else 'has'} already been agreed" if already else "")
        ]
    not_in_future(errors, "agreed_on", agreed_on, today, "Date agreed")
    not_before(errors, "agreed_on", agreed_on, episode.decision_date, "Date agreed", "the start of pre-proceedings")
    _not_after_the_end(errors, episode, agreed_on)
    if not rationale.strip():
        errors["rationale"] = ["Enter the reasons for the extension"]
    raise_if(errors)
    extension = _save_new(
        Extension(episode=episode, weeks=weeks, agreed_on=agreed_on, agreed_by=by, rationale=rationale.strip())
    )
    save_versioned(episode, expected_version=None, changes={})
    deadlines_recompute(episode=episode, today=today)
    return extension


@transaction.atomic
def episode_end(
    *,
    episode: Episode,
    expected_version: int | None,
    ended_on: dt.date,
    end_outcome: str,
    end_decision_date: dt.date | None = None,
    exit_letter_on: dt.date | None = None,
    end_reason: str = "",
    by: User,
    today: dt.date | None = None,
) -> Episode:
    """End pre-proceedings: step down to CP or CIN, issue care proceedings, or no further action."""
    authorize(by, END_ROLES, episode.family)
    episode = lock_episode(episode)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    decision_given = end_decision_date is not None
    end_decision_date = end_decision_date or ended_on
    not_in_future(errors, "ended_on", ended_on, today, "End date")
    not_in_future(errors, "exit_letter_on", exit_letter_on, today, "Date of the exit letter")
    start = episode.decision_date or episode.started_on
    not_before(errors, "ended_on", ended_on, start, "End date", "the start of pre-proceedings")
    if decision_given:  # left blank it is the end date, whose error is already shown beside that field
        not_before(
            errors,
            "end_decision_date",
            end_decision_date,
            start,
            "Date of the decision",
            "the start of pre-proceedings",
        )
    not_before(
        errors,
        "exit_letter_on",
        exit_letter_on,
        end_decision_date,
        "Date of the exit letter",
        "the decision to step down",
    )
    if end_outcome not in EndOutcome.values:
        errors["end_outcome"] = ["Choose how pre-proceedings ended"]
    if exit_letter_on and end_outcome not in (EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN):
        errors.setdefault("exit_letter_on", []).append("An exit letter is sent only when the family steps down")
    if not episode.is_open:
        errors["__all__"] = ["This episode has already ended"]
    raise_if(errors)
    if end_outcome == EndOutcome.ISSUE:
        episode = save_versioned(
            episode,
            expected_version=expected_version,
            changes={
                "end_decision_date": end_decision_date,
                "stage": Stage.PROCEEDINGS,
                "end_reason": end_reason,
            },
        )
        proceedings_decide(episode=episode, issue_decision_on=end_decision_date, by=by, today=today)
        return episode
    episode = save_versioned(
        episode,
        expected_version=expected_version,
        changes={
            "ended_on": ended_on,
            "end_outcome": end_outcome,
            "end_decision_date": end_decision_date,
            "exit_letter_on": exit_letter_on,
            "stage": Stage.ENDED,
            "end_reason": end_reason,
        },
    )
    new_status = {EndOutcome.STEP_DOWN_CP: LegalStatus.CP, EndOutcome.STEP_DOWN_CIN: LegalStatus.CIN}.get(
        EndOutcome(end_outcome), LegalStatus.NONE
    )
    Child.objects.filter(episode_links__episode=episode).update(legal_status=new_status)
    deadlines_recompute(episode=episode, today=today)
    return episode


@transaction.atomic
def exit_letter_record(*, episode: Episode, exit_letter_on: dt.date, by: User, today: dt.date | None = None) -> Episode:
    """Record the reflective exit letter given to a family that stepped down (000)."""
    authorize(by, END_ROLES, episode.family)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if episode.end_outcome not in (EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN):
        errors["__all__"] = ["An exit letter is sent only when the family steps down"]
    not_in_future(errors, "exit_letter_on", exit_letter_on, today, "Date of the exit letter")
    not_before(
        errors,
        "exit_letter_on",
        exit_letter_on,
        episode.end_decision_date,
        "Date of the exit letter",
        "the decision to step down",
    )
    raise_if(errors)
    episode = save_versioned(episode, expected_version=None, changes={"exit_letter_on": exit_letter_on})
    deadlines_recompute(episode=episode, today=today)
    return episode


# --- Assessments -----------------------------------------------------------------------------


def _assessment_errors(fields: dict[str, Any], episode: Episode, today: dt.date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    not_in_future(errors, "instructed_on", fields.get("instructed_on"), today, "Date instructed")
    not_in_future(errors, "completed_on", fields.get("completed_on"), today, "Date completed")
    not_in_future(errors, "on_file_on", fields.get("on_file_on"), today, "Date put on file")
    not_before(errors, "due_on", fields.get("due_on"), fields.get("instructed_on"), "Due date", "the date instructed")
    not_before(
        errors,
        "completed_on",
        fields.get("completed_on"),
        fields.get("instructed_on"),
        "Date completed",
        "the date instructed",
    )
    not_before(
        errors,
        "on_file_on",
        fields.get("on_file_on"),
        fields.get("completed_on"),
        "Date put on file",
        "the date completed",
    )
    if fields.get("on_file_on") and not fields.get("completed_on"):
        errors.setdefault("completed_on", []).append("Enter the date the assessment was completed")
    child = fields.get("child")
    if child is not None and child.family_id != episode.family_id:
        errors["child"] = ["Choose a child in this family"]
    if fields.get("cost") is not None and fields["cost"] < 0:
        errors["cost"] = ["Cost must be 0 or more"]
    return errors


@transaction.atomic
def assessment_create(*, episode: Episode, by: User, today: dt.date | None = None, **fields: Any) -> Assessment:
    """Add an assessment to the pre-proceedings plan."""
    authorize(by, ASSESSMENT_ROLES, episode.family)
    episode = lock_episode(episode)
    today = _today(today)
    raise_if(_assessment_errors(fields, episode, today))
    assessment = _save_new(Assessment(episode=episode, **fields))
    deadlines_recompute(episode=episode, today=today)
    return assessment


@transaction.atomic
def assessment_update(
    *, assessment: Assessment, expected_version: int | None, by: User, today: dt.date | None = None, **changes: Any
) -> Assessment:
    """Change an assessment's dates or provider (stale copies are refused)."""
    authorize(by, ASSESSMENT_ROLES, assessment.episode.family)
    today = _today(today)
    merged = {f.name: getattr(assessment, f.name) for f in Assessment._meta.concrete_fields}
    merged.update(changes)
    raise_if(_assessment_errors(merged, lock_episode(assessment.episode), today))
    assessment = save_versioned(assessment, expected_version=expected_version, changes=changes)
    deadlines_recompute(episode=assessment.episode, today=today)
    return assessment


@transaction.atomic
def assessment_approve_cost(
    *, assessment: Assessment, approved_on: dt.date, by: User, today: dt.date | None = None
) -> Assessment:
    """A head of service approves the cost of an assessment."""
    authorize(by, COST_APPROVAL_ROLES, assessment.episode.family)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if not by.has_role(Role.HEAD_OF_SERVICE):
        errors["__all__"] = ["Only a head of service can approve the cost of an assessment"]
    not_in_future(errors, "cost_approved_on", approved_on, today, "Date approved")
    raise_if(errors)
    return save_versioned(
        assessment, expected_version=None, changes={"cost_approved_by": by, "cost_approved_on": approved_on}
    )


# --- Care proceedings ------------------------------------------------------------------------


@transaction.atomic
def proceedings_decide(
    *, episode: Episode, issue_decision_on: dt.date, by: User, today: dt.date | None = None
) -> CareProceedings:
    """Record the decision to issue care proceedings; the issue timetable starts (002 §9c)."""
    episode = lock_episode(episode)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    not_in_future(errors, "issue_decision_on", issue_decision_on, today, "Date of the decision to issue")
    raise_if(errors)
    proceedings, _ = CareProceedings.objects.get_or_create(
        episode=episode, defaults={"issue_decision_on": issue_decision_on}
    )
    if episode.stage != Stage.PROCEEDINGS:
        save_versioned(episode, expected_version=None, changes={"stage": Stage.PROCEEDINGS})
    deadlines_recompute(episode=episode, today=today)
    return proceedings


@transaction.atomic
def proceedings_update(
    *,
    proceedings: CareProceedings,
    expected_version: int | None,
    by: User,
    today: dt.date | None = None,
    **changes: Any,
) -> CareProceedings:
    """Record the letter of issue, SWET to legal, issue date, court reference and the council's
    court steps after issue (final evidence, advocates' meeting before the IRH)."""
    authorize(by, COURT_ROLES, proceedings.episode.family)
    today = _today(today)
    merged = {f.name: getattr(proceedings, f.name) for f in CareProceedings._meta.concrete_fields}
    merged.update(changes)
    errors: dict[str, list[str]] = {}
    decision = merged["issue_decision_on"]
    for field, what in (
        ("letter_of_issue_on", "Date the letter of issue was sent"),
        ("swet_to_legal_on", "Date the SWET went to legal"),
        ("issued_on", "Date proceedings were issued"),
    ):
        not_in_future(errors, field, merged.get(field), today, what)
        not_before(errors, field, merged.get(field), decision, what, "the decision to issue")
    for field, what in (
        ("final_evidence_filed_on", "Date the final evidence was filed"),
        ("irh_advocates_meeting_on", "Date of the advocates' meeting"),
    ):
        if merged.get(field) and not merged.get("issued_on"):
            errors.setdefault(field, []).append(f"{what}: enter the issue date first")
        not_in_future(errors, field, merged.get(field), today, what)
        not_before(errors, field, merged.get(field), merged.get("issued_on"), what, "the issue date")
    if merged.get("court_reference") and not merged.get("issued_on"):
        errors.setdefault("court_reference", []).append("Enter the issue date with the court reference")
    # PREP018A/PREP019A: a reason exactly when the application was made on short notice.
    if merged.get("short_notice") == YesNoUnknown.YES and not merged.get("short_notice_reason"):
        errors.setdefault("short_notice_reason", []).append("Select the main reason for the short-notice application")
    if merged.get("short_notice") != YesNoUnknown.YES and merged.get("short_notice_reason"):
        errors.setdefault("short_notice_reason", []).append(
            "Select ‘Not applicable’: the proceedings were not issued on short notice"
        )
    raise_if(errors)
    proceedings = save_versioned(proceedings, expected_version=expected_version, changes=changes)
    episode = proceedings.episode
    if proceedings.issued_on:
        Child.objects.filter(episode_links__episode=episode).update(legal_status=LegalStatus.CARE_PROCEEDINGS)
        if episode.is_open:
            # Pre-proceedings end when proceedings are issued (PREP005A: decision to issue).
            save_versioned(
                episode,
                expected_version=None,
                changes={
                    "ended_on": proceedings.issued_on,
                    "end_outcome": EndOutcome.ISSUE,
                    "end_decision_date": episode.end_decision_date or proceedings.issue_decision_on,
                },
            )
    deadlines_recompute(episode=episode, today=today)
    return proceedings


@transaction.atomic
def hearing_record(
    *,
    proceedings: CareProceedings,
    kind: str,
    hearing_date: dt.date,
    notes: str = "",
    by: User,
    today: dt.date | None = None,
) -> Hearing:
    """Record a court hearing (listed or held) in care proceedings."""
    authorize(by, COURT_ROLES, proceedings.episode.family)
    proceedings = CareProceedings.objects.select_related("episode").get(pk=proceedings.pk)  # fresh, not a stale copy
    errors: dict[str, list[str]] = {}
    if proceedings.issued_on is None:
        errors["__all__"] = ["Record the date proceedings were issued before adding hearings"]
    not_before(errors, "hearing_date", hearing_date, proceedings.issued_on, "Hearing date", "the issue date")
    if "hearing_date" not in errors and (problem := non_working_day_error(hearing_date, court=True)):
        errors["hearing_date"] = [problem]
    raise_if(errors)
    hearing = _save_new(Hearing(proceedings=proceedings, kind=kind, hearing_date=hearing_date, notes=notes))
    deadlines_recompute(episode=proceedings.episode, today=_today(today))
    return hearing


@transaction.atomic
def court_extension_record(
    *,
    proceedings: CareProceedings,
    weeks: int,
    granted_on: dt.date,
    reasons: str,
    by: User,
    today: dt.date | None = None,
) -> CourtExtension:
    """Record the court's extension of the 26 weeks (Children Act 1989 s32(5): no more than 8 weeks
    at a time, and only with the court's reasons); the final hearing's deadline moves with it."""
    proceedings = CareProceedings.objects.select_related("episode__family").get(pk=proceedings.pk)
    authorize(by, COURT_ROLES, proceedings.episode.family)
    lock_episode(proceedings.episode)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if proceedings.issued_on is None:
        errors["__all__"] = ["Record the date proceedings were issued before an extension of the 26 weeks"]
    if weeks is None or weeks < 1:
        errors["weeks"] = ["Enter the number of weeks the court extended by, 1 or more"]
    elif weeks > COURT_EXTENSION_MAX_WEEKS:
        errors["weeks"] = [
            f"The court can extend by no more than {COURT_EXTENSION_MAX_WEEKS} weeks at a time "
            "(Children Act 1989 s32(5)); record a further extension separately"
        ]
    not_in_future(errors, "granted_on", granted_on, today, "Date the court granted it")
    not_before(errors, "granted_on", granted_on, proceedings.issued_on, "Date the court granted it", "the issue date")
    if not reasons.strip():
        errors["reasons"] = ["Enter the court's reasons for the extension"]
    raise_if(errors)
    extension = _save_new(
        CourtExtension(
            proceedings=proceedings, weeks=weeks, granted_on=granted_on, reasons=reasons.strip(), recorded_by=by
        )
    )
    deadlines_recompute(episode=proceedings.episode, today=today)
    return extension
