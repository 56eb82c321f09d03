"""Council templates for the documents of pre-proceedings, and the drafts made from them.

Both are written once and never changed (database triggers refuse an update or a delete): a new
upload is a new version of its kind, and a draft keeps the version it was made from, the file it
produced and the timetable dates it used, so a later change to the timetable can be shown.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from .kinds import PER_PARENT, DocumentKind

USER = settings.AUTH_USER_MODEL


@pghistory.track(pghistory.InsertEvent(), exclude=["content"])
class LetterTemplate(models.Model):
    """One version of the council's Word template for a kind of document (and a language)."""

    kind = models.CharField(max_length=40, choices=DocumentKind.choices)
    language = models.CharField(
        max_length=80,
        blank=True,
        help_text="Leave blank for English; a template in a parent's first language is used for their letters",
    )
    version = models.PositiveIntegerField()
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    #: The fields the template uses, as checked on upload (e.g. "dates.initial_meeting", "recipient.name").
    fields_used = models.JSONField(default=list, blank=True)
    #: Empty for the template the product ships (stored the first time it is needed).
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "language", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "language", "version"], name="letter_template_version_once"),
            models.CheckConstraint(name="letter_template_version_positive", condition=Q(version__gte=1)),
            models.CheckConstraint(name="letter_template_size_limit", condition=Q(size__lte=10 * 1024 * 1024)),
            models.CheckConstraint(
                name="letter_template_shipped_is_first",
                condition=Q(uploaded_by__isnull=False) | Q(version=1, language=""),
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="letter_template_kept", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        language = f" ({self.language})" if self.language else ""
        return f"{self.get_kind_display()}{language}, version {self.version}"

    @property
    def shipped(self) -> bool:
        """The product's own plain-language template, not one a council uploaded."""
        return self.uploaded_by_id is None


@pghistory.track(pghistory.InsertEvent(), exclude=["content"])
class Draft(models.Model):
    """A document drafted from a family's record: who drafted it, when, from which template version,
    and every timetable date it used. Sending it is still recorded on the step by whoever sends it."""

    episode = models.ForeignKey("cases.Episode", on_delete=models.PROTECT, related_name="letter_drafts")
    kind = models.CharField(max_length=40, choices=DocumentKind.choices)
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="letter_drafts"
    )
    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="drafts")
    drafted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField()
    #: Date field -> {"label": ..., "date": ISO date or null}: the dates the document says.
    dates_used = models.JSONField(default=dict, blank=True)
    meeting_time = models.CharField(max_length=40, blank=True)
    meeting_place = models.CharField(max_length=200, blank=True)
    filename = models.CharField(max_length=200)
    content = models.BinaryField()

    class Meta:
        ordering = ["-drafted_at", "-id"]
        constraints = [
            # One letter per parent where the protocol sends one each; one document per family otherwise.
            models.CheckConstraint(
                name="letter_draft_person_where_one_each",
                condition=Q(kind__in=sorted(PER_PARENT), person__isnull=False)
                | (~Q(kind__in=sorted(PER_PARENT)) & Q(person__isnull=True)),
            ),
            models.CheckConstraint(name="letter_draft_case_kind", condition=~Q(kind=DocumentKind.TRACKER_MINUTES)),
        ]
        triggers = [
            pgtrigger.Protect(name="letter_draft_kept", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} drafted {self.drafted_at:%d/%m/%Y}"
