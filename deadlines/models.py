"""Stored deadlines of each episode, alerts about them, and the council's own calendar changes."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

USER = settings.AUTH_USER_MODEL


@pghistory.track()
class ClosureDay(models.Model):
    """A day the council's office is closed: not a working day for its deadlines (timescales §1)."""

    date = models.DateField(unique=True)
    reason = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y}: {self.reason}"


@pghistory.track()
class ExtraBankHoliday(models.Model):
    """A one-off bank holiday announced after the release (timescales §1: no release needed)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]
        verbose_name = "extra bank holiday"

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y}: {self.name}"


class DeadlineState(models.TextChoices):
    """What is stored; due soon / due today / overdue are worked out against today when read."""

    OPEN = "open", "Open"
    MET = "met", "Met"
    MET_LATE = "met_late", "Met late"
    WAIVED = "waived", "Waived"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    #: Passed unmet and then overtaken by a later event: still a miss (timescales.md §4).
    MISSED = "missed", "Missed"
    # Imported histories (issue 24 §2): a step due before the council's go-live date that the
    # imported tracker gives no date for. Neither is open: no alert, no escalation, and neither
    # counts in timeliness figures (nobody knows whether, or when, it was done).
    NOT_TRACKED = "not_tracked", "Not tracked before go-live"
    DONE_AT_IMPORT = "done_at_import", "Met: recorded as done at import, date not known"


@pghistory.track()
class GoLive(models.Model):
    """The day this council went live with PLO Tracker, as an administrator set it (issue 24 §2).

    One row per setting, never changed: the latest is in force, the earlier ones say who set what
    when. With no row, the PLO_GO_LIVE_DATE setting is the default (deadlines/golive.py)."""

    date = models.DateField()
    set_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        get_latest_by = ["set_at", "id"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y}"


@pghistory.track()
class Deadline(models.Model):
    """One milestone of an episode as the deadline engine last computed it (kept true by services)."""

    episode = models.ForeignKey("cases.Episode", on_delete=models.CASCADE, related_name="deadlines")
    key = models.CharField(max_length=60)
    occurrence = models.PositiveSmallIntegerField(default=1)
    label = models.CharField(max_length=160)
    due_on = models.DateField(null=True, blank=True)
    provisional_on = models.DateField(null=True, blank=True)
    waiting_for = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=16, choices=DeadlineState.choices, default=DeadlineState.OPEN)
    met_on = models.DateField(null=True, blank=True)
    days_late = models.PositiveSmallIntegerField(default=0)
    responsible_role = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=120, blank=True)
    rule = models.CharField(max_length=200, blank=True)
    entered = models.BooleanField(default=False)
    waived_reason = models.TextField(blank=True)
    #: Why it is missed or not applicable, in plain words (shown on the case page).
    reason = models.CharField(max_length=300, blank=True, default="", db_default="")
    waived_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    waived_on = models.DateField(null=True, blank=True)
    # The person who must meet it, where that is one named person (an action set at a tracker
    # meeting); alerts go to them instead of the family's social worker. Engine milestones leave it empty.
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "provisional_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "key", "occurrence"], name="deadline_once_per_episode"),
            models.CheckConstraint(
                name="deadline_met_has_date",
                condition=~Q(state__in=["met", "met_late"]) | Q(met_on__isnull=False),
            ),
            models.CheckConstraint(
                name="deadline_waived_has_reason",
                condition=~Q(state="waived") | (~Q(waived_reason="") & Q(waived_by__isnull=False)),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_on"], name="deadline_open_due"),
            # An episode's open deadlines by due date: the tracker's next deadline and counts, and
            # a team's dashboard, probe this per episode shown, so their cost follows the team's
            # size and not the service's (issue #14 §2: indexes, not scans).
            models.Index(fields=["episode", "due_on"], condition=Q(state="open"), name="deadline_open_by_episode"),
        ]

    def __str__(self) -> str:
        return self.label


class AlertKind(models.TextChoices):
    DUE_SOON = "due_soon", "Due soon"
    DUE_TODAY = "due_today", "Due today"
    OVERDUE = "overdue", "Overdue"
    ESCALATION = "escalation", "Overdue by more than 5 working days"
    OVERRUN = "overrun", "Projected to run past its standard length"
    REPEAT_EPISODE = "repeat_episode", "Second pre-proceedings episode for a child"


class Alert(models.Model):
    """An alert addressed to one person; exists once per deadline, kind, person and due date."""

    episode = models.ForeignKey("cases.Episode", on_delete=models.CASCADE, related_name="alerts")
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    recipient = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="alerts")
    due_on = models.DateField(null=True, blank=True)
    raised_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "deadline", "kind", "recipient", "due_on"],
                name="alert_once",
                nulls_distinct=False,
            ),
        ]
        indexes = [models.Index(fields=["recipient", "acknowledged_at"], name="alert_inbox")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient}"


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the heartbeat job; the health check reports it to IT."""

    name = models.CharField(max_length=60, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class AlertScanDay(models.Model):
    """A day the alert scan has run for: lets the daily job catch up days missed during downtime."""

    day = models.DateField(unique=True)
    raised = models.PositiveIntegerField(default=0)
    ran_at = models.DateTimeField()
    # How long the day's latest scan took (plo_alert_scan_duration_seconds, plo_tracker/metrics.py).
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y}"


class AlertScanSnapshot(models.Model):
    """What the last full alert scan of a day read, so a re-run can tell that nothing changed.

    `snapshot` is the scan's PostgreSQL snapshot (`pg_current_snapshot()` as text) and `own_xid`
    its own transaction id if it had one by then. Every transaction that writes a table the scan
    reads leaves its id in `deadlines_alertinputchange` (statement triggers, migration 0005); a
    re-run of the day with the same `fingerprint` (statement and parameters: calendar, policies)
    skips when no such transaction is missing from the snapshot (deadlines/alerts.py).
    """

    day = models.DateField(unique=True)
    fingerprint = models.CharField(max_length=64)
    snapshot = models.TextField()
    own_xid = models.TextField(blank=True, default="")
    ran_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y}"


class WeeklySnapshot(models.Model):
    """The weekly tracker's figures as they stood at the end of one week, for the service or one team.

    Stored by the Monday job (deadlines.weekly_snapshot), never recomputed, so a later correction
    to a record does not rewrite what the meeting saw that week. `team` empty means every team.
    """

    week_ending = models.DateField(help_text="The Sunday the week ended on")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    open_total = models.PositiveIntegerField(default=0)
    open_by_stage = models.JSONField(default=dict, help_text="Stage -> open episodes at the week's end")
    requests = models.PositiveIntegerField("LPM requests made in the week", default=0)
    entries = models.PositiveIntegerField("episodes that entered pre-proceedings in the week", default=0)
    exits = models.PositiveIntegerField("episodes that ended in the week", default=0)
    exits_by_outcome = models.JSONField(default=dict)
    timeliness = models.JSONField(
        default=dict, help_text="Milestone -> [met, met late, missed] for deadlines due in the week"
    )
    median_weeks = models.FloatField(
        "median length of pre-proceedings ended in the 13 weeks to the week's end", null=True, blank=True
    )
    median_open_weeks = models.FloatField("median weeks so far of open pre-proceedings", null=True, blank=True)
    episode_ids = models.JSONField(default=dict, help_text="Figure -> episode ids, for the drill-down")
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["-week_ending"]
        constraints = [
            models.UniqueConstraint(
                fields=["week_ending", "team"], name="snapshot_once_per_week_and_team", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return f"Week ending {self.week_ending:%d/%m/%Y}"
