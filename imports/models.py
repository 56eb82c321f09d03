"""An uploaded tracker waiting to be imported, the column mapping remembered for its headers,
and which episode each imported family became (so a second import of the file changes nothing)."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models

USER = settings.AUTH_USER_MODEL


class UploadKind(models.TextChoices):
    """What an uploaded file is to be imported as."""

    TRACKER = "tracker", "Pre-action tracker"
    STAFF = "staff", "Staff list"


class JobState(models.TextChoices):
    """Where an upload's import stands. A small file is imported within the request and never
    leaves READY; a large one is queued as a job once its preview is confirmed."""

    READY = "ready", "Not started"
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    REFUSED = "refused", "Nothing imported"


class TrackerUpload(models.Model):
    """An uploaded file (a tracker, or a staff list) between upload and import, with its rows as
    read once on upload (`sheet`), and, for a large file, the import job's state and progress.
    Deleted once imported within the request, or after a day."""

    kind = models.CharField(max_length=10, choices=UploadKind.choices, default=UploadKind.TRACKER)
    uploaded_by = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict, blank=True)
    # The file's rows as parsing.Sheet.to_json wrote them: the pages after the upload read these,
    # never the file again.
    sheet = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.READY)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    # What was confirmed in the preview, for the job: a staff preview's digest (StaffCheck.plan),
    # or a tracker preview's choice for steps before go-live (BeforeGoLive).
    plan = models.CharField(max_length=64, blank=True)
    result = models.JSONField(default=dict, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=JobState.values), name="imports_upload_state_known"),
            models.CheckConstraint(
                condition=models.Q(rows_done__lte=models.F("rows_total")), name="imports_upload_done_within_total"
            ),
            # A job is queued once: it has its queue time from then on, and a finish time once over.
            models.CheckConstraint(
                condition=models.Q(state=JobState.READY) | models.Q(queued_at__isnull=False),
                name="imports_upload_job_queued_at",
            ),
        ]

    def __str__(self) -> str:
        return self.filename


@pghistory.track()
class ImportMapping(models.Model):
    """Which field each column of a tracker holds, remembered for the same set of headers."""

    headers_key = models.CharField(max_length=64, unique=True)
    headers = models.JSONField()
    mapping = models.JSONField()
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return ", ".join(self.headers)[:80]


class BeforeGoLive(models.TextChoices):
    """What an imported family's steps due before go-live, with no date in the tracker, become."""

    NOT_TRACKED = "not_tracked", "Not tracked before go-live"
    DONE = "done", "Recorded as done at import, date not known"


@pghistory.track()
class ImportedEpisode(models.Model):
    """A family brought in from the tracker: the values it was last imported with, so importing the
    same file again changes nothing and an updated file changes only what changed."""

    family_reference = models.CharField(max_length=30, unique=True)
    episode = models.OneToOneField("cases.Episode", on_delete=models.PROTECT, related_name="imported_from")
    values = models.JSONField()
    fingerprint = models.CharField(max_length=64)
    before_go_live = models.CharField(max_length=12, choices=BeforeGoLive.choices, default=BeforeGoLive.NOT_TRACKED)
    imported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.family_reference
