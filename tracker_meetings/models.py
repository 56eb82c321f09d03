"""Tracker meetings and legal gateway panel sittings, their agendas, and the actions they set.

The CLO's weekly tracker meeting with senior managers (000), the 5-weekly court tracker meeting
(001) and the legal gateway panel, which sits weekly and gives each child an attendance slot,
actions and a review timescale (004 §7, "Legal Gateway – Initial Review").
"""

from __future__ import annotations

from typing import Any

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from meetings.models import MinutesSteps, minutes_drafted_after_held, minutes_order_constraints
from plo_tracker.models import Versioned

USER = settings.AUTH_USER_MODEL


class TrackerMeetingKind(models.TextChoices):
    WEEKLY = "weekly_tracker", "Weekly tracker meeting"
    COURT = "court_tracker", "Court tracker meeting"
    PANEL = "legal_gateway_panel", "Legal gateway panel"


@pghistory.track()
class TrackerMeeting(Versioned, MinutesSteps):
    """One sitting of a tracker meeting or panel: when it meets, who prepared and chaired it, and
    its minutes: drafted (by whom), approved (by whom), circulated (to which staff), each dated."""

    kind = models.CharField(max_length=30, choices=TrackerMeetingKind.choices)
    meets_on = models.DateField("meeting date")
    starts_at = models.TimeField("start time")
    papers_due_at = models.DateTimeField("papers due", null=True, blank=True)
    prepared_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    held_on = models.DateField(null=True, blank=True)
    attendees = models.TextField(blank=True, help_text="One person per line, with their role")
    minutes_recipients: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, through="MinutesRecipient", related_name="+", blank=True, verbose_name="minutes circulated to"
    )

    class Meta:
        ordering = ["-meets_on", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "meets_on"],
                name="tracker_meeting_once_a_day",
                violation_error_message="A meeting of this kind is already set up for that day.",
            ),
            models.CheckConstraint(
                name="tracker_meeting_held_on_or_after_date",
                condition=Q(held_on__isnull=True) | Q(held_on__gte=F("meets_on")),
            ),
            minutes_drafted_after_held("tracker_meeting_minutes_drafted_after_held"),
            *minutes_order_constraints("tracker_meeting"),
            models.CheckConstraint(
                name="tracker_meeting_minutes_steps_in_turn",
                condition=(Q(minutes_approved_on__isnull=True) | Q(minutes_drafted_on__isnull=False))
                & (Q(minutes_circulated_on__isnull=True) | Q(minutes_approved_on__isnull=False)),
            ),
            models.CheckConstraint(
                name="tracker_meeting_minutes_draft_says_who",
                condition=Q(minutes_drafted_on__isnull=True, minutes_drafted_by__isnull=True)
                | Q(minutes_drafted_on__isnull=False, minutes_drafted_by__isnull=False),
            ),
            models.CheckConstraint(
                name="tracker_meeting_minutes_approval_says_who",
                condition=Q(minutes_approved_on__isnull=True, minutes_approved_by__isnull=True)
                | Q(minutes_approved_on__isnull=False, minutes_approved_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.meets_on:%d %b %Y}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class MinutesRecipient(models.Model):
    """A member of staff a meeting's minutes were circulated to (audited when added or removed)."""

    meeting = models.ForeignKey(TrackerMeeting, on_delete=models.PROTECT, related_name="minutes_sent")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="minutes_sent_once_per_person")]

    def __str__(self) -> str:
        return f"Minutes sent to {self.user}"


class AgendaReason(models.TextChoices):
    """Why a case is on the agenda (each item may have several)."""

    NEW_REQUEST = "new_request", "New request listed for the panel"
    PANEL_REVIEW = "panel_review", "Listed for a legal gateway review"
    RED = "red", "Red: a deadline is overdue"
    AMBER = "amber", "Amber: a deadline is due soon"
    OVERRUN = "overrun", "Predicted to overrun (escalated to the assistant director)"
    REVIEW_DUE = "review_due", "Due for review"
    ACTIONS = "actions", "Actions carried over"
    LEGAL_FRAMEWORK = "legal_framework", "Under a legal framework (court tracker)"


class PapersState(models.TextChoices):
    RECEIVED = "received", "Received on time"
    LATE = "late", "Received after the deadline"
    MISSING = "missing", "Missing"


@pghistory.track()
class AgendaItem(Versioned):
    """One case on a meeting's agenda: why it is there, its slot and papers, and what was decided."""

    meeting = models.ForeignKey(TrackerMeeting, on_delete=models.PROTECT, related_name="items")
    episode = models.ForeignKey("cases.Episode", on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(default=0)
    reasons = ArrayField(models.CharField(max_length=20, choices=AgendaReason.choices), default=list)
    slot_at = models.TimeField("attendance slot", null=True, blank=True)
    papers = models.CharField(max_length=10, choices=PapersState.choices, blank=True)
    papers_missing = models.CharField("papers still missing", max_length=300, blank=True)
    note = models.TextField("discussion note", blank=True)
    decisions = models.TextField(blank=True)
    legal_advice = models.TextField("legal advice (privileged)", blank=True)
    review_on = models.DateField("review by", null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["meeting", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "episode"],
                name="agenda_case_once_per_meeting",
                violation_error_message="This case is already on the agenda.",
            ),
        ]

    def __str__(self) -> str:
        return f"Agenda item {self.position}"

    @property
    def reason_labels(self) -> list[str]:
        """The reasons in words."""
        labels = dict(AgendaReason.choices)
        return [labels.get(r, r) for r in self.reasons]

    @property
    def discussed(self) -> bool:
        """Something was recorded for this case at the meeting."""
        return bool(self.note or self.decisions or self.legal_advice or self.review_on)


@pghistory.track()
class MeetingAction(Versioned):
    """An action set at a meeting: an owner and a due date, stored as a deadline like any other."""

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="actions")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="meeting_actions")
    due_on = models.DateField("due by")
    deadline = models.OneToOneField(
        "deadlines.Deadline", on_delete=models.PROTECT, null=True, blank=True, related_name="meeting_action"
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    completion_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="action_completed_by_someone",
                condition=(Q(completed_on__isnull=True) & Q(completed_by__isnull=True))
                | (Q(completed_on__isnull=False) & Q(completed_by__isnull=False)),
            ),
            models.CheckConstraint(name="action_has_description", condition=~Q(description="")),
        ]

    def __str__(self) -> str:
        return f"Action due {self.due_on:%d %b %Y}"

    @property
    def is_open(self) -> bool:
        """Not yet done: it carries over to the next meeting."""
        return self.completed_on is None
