"""The visibility scope of each case record kind (docs/security.md): families and everything that
hangs off them in this app, each filtered by the family rule (`accounts.scopes.family_q`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, QuerySet

from accounts.scopes import ADVICE_READ_SCOPE, ADVICE_WRITE_SCOPE, WRITE_SCOPE, filter_visible

from .models import (
    Assessment,
    CareProceedings,
    Child,
    CourtExtension,
    Episode,
    Extension,
    Family,
    FamilyRestriction,
    Hearing,
    LetterDelivery,
    NationalExportJob,
    Person,
)

if TYPE_CHECKING:
    from accounts.models import User

_filter = filter_visible


def families_visible_to(user: User) -> QuerySet[Any]:
    """Families the user may see (deny by default; restricted ones only for the people named)."""
    return _filter(Family.objects.all(), user, "")


def families_editable_by(user: User) -> QuerySet[Any]:
    """Families on which the user may record steps (read-only oversight and administrators: none)."""
    return _filter(Family.objects.all(), user, "", WRITE_SCOPE)


def children_visible_to(user: User) -> QuerySet[Any]:
    """Children of the families the user may see."""
    return _filter(Child.objects.all(), user, "family__")


def persons_visible_to(user: User) -> QuerySet[Any]:
    """Parents and others with parental responsibility in families the user may see."""
    return _filter(Person.objects.all(), user, "family__")


def episodes_visible_to(user: User) -> QuerySet[Any]:
    """Episodes (PLO pre-proceedings and proceedings) of families the user may see."""
    return _filter(Episode.objects.all(), user, "family__")


def legal_advice_families_for(user: User, *, write: bool = False) -> QuerySet[Any]:
    """Families whose legal advice the user may read (or, with write=True, record)."""
    return _filter(Family.objects.all(), user, "", ADVICE_WRITE_SCOPE if write else ADVICE_READ_SCOPE)


def assessments_visible_to(user: User) -> QuerySet[Any]:
    """Assessments on families the user may see."""
    return _filter(Assessment.objects.all(), user, "episode__family__")


def proceedings_visible_to(user: User) -> QuerySet[Any]:
    """Care proceedings of families the user may see."""
    return _filter(CareProceedings.objects.all(), user, "episode__family__")


def hearings_visible_to(user: User) -> QuerySet[Any]:
    """Court hearings of families the user may see."""
    return _filter(Hearing.objects.all(), user, "proceedings__episode__family__")


def court_extensions_visible_to(user: User) -> QuerySet[Any]:
    """Extensions the court granted to proceedings of families the user may see."""
    return _filter(CourtExtension.objects.all(), user, "proceedings__episode__family__")


def extensions_visible_to(user: User) -> QuerySet[Any]:
    """Agreed extensions on families the user may see."""
    return _filter(Extension.objects.all(), user, "episode__family__")


def letter_deliveries_visible_to(user: User) -> QuerySet[Any]:
    """Deliveries of the letter before proceedings on families the user may see."""
    return _filter(LetterDelivery.objects.all(), user, "episode__family__")


def export_jobs_visible_to(user: User) -> QuerySet[Any]:
    """National export jobs: the person who asked for one only, whatever their role."""
    return NationalExportJob.objects.filter(requested_by_id=user.pk)


def families_hidden_from(user: User) -> QuerySet[Any]:
    """Restricted families the user is not named on: nothing about them may reach this user."""
    named = FamilyRestriction.objects.filter(family_id=OuterRef("pk"), user_id=user.pk)
    return Family.objects.filter(restricted=True).exclude(Exists(named))
