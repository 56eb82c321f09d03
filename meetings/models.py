"""LPM requests and panels, privileged legal advice, pre-proceedings meetings, permanency planning."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from plo_tracker.models import Versioned

USER = settings.AUTH_USER_MODEL


class MinutesSteps(models.Model):
    """The steps of any meeting's minutes: drafted (by whom, when), approved (by whom, when), circulated (when).

    Who the minutes went to is kept by each kind of meeting: in words for case meetings
    (`MinutesWorkflow`), as the staff picked for tracker meetings and panels.
    """

    minutes_drafted_on = models.DateField(null=True, blank=True)
    minutes_drafted_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    minutes_approved_on = models.DateField(null=True, blank=True)
    minutes_approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    minutes_circulated_on = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def minutes_state(self) -> str:
        """Where the minutes are, in words."""
        if self.minutes_circulated_on:
            return "Circulated"
        if self.minutes_approved_on:
            return "Approved, not yet circulated"
        if self.minutes_drafted_on:
            return "Drafted, waiting for approval"
        return "Not yet drafted"


class MinutesWorkflow(MinutesSteps):
    """Minutes of a case meeting: drafted (by whom), approved (by whom), circulated (to whom, in words).

    Each step has a policy deadline (timescales.md §2 `draft_minutes`, `approved_minutes`,
    `lpm_minutes`), worked out by the engine from the date the meeting was held.
    """

    minutes_circulated_to = models.TextField(blank=True, max_length=2000)

    class Meta:
        abstract = True


def minutes_drafted_after_held(name: str) -> models.CheckConstraint:
    """Minutes are drafted only for a meeting recorded as held, and on or after that day."""
    return models.CheckConstraint(
        name=name,
        condition=Q(minutes_drafted_on__isnull=True)
        | (Q(held_on__isnull=False) & Q(minutes_drafted_on__gte=F("held_on"))),
    )


def minutes_order_constraints(prefix: str) -> list[models.CheckConstraint]:
    """The minutes steps in order, where both dates of a pair are recorded (a database backstop)."""
    return [
        models.CheckConstraint(
            name=f"{prefix}_minutes_approved_after_drafted",
            condition=Q(minutes_approved_on__isnull=True)
            | Q(minutes_drafted_on__isnull=True)
            | Q(minutes_approved_on__gte=F("minutes_drafted_on")),
        ),
        models.CheckConstraint(
            name=f"{prefix}_minutes_circulated_after_approved",
            condition=Q(minutes_circulated_on__isnull=True)
            | Q(minutes_approved_on__isnull=True)
            | Q(minutes_circulated_on__gte=F("minutes_approved_on")),
        ),
    ]


def minutes_constraints(prefix: str) -> list[models.CheckConstraint]:
    """The steps in order, and circulated minutes say who they went to (case meetings)."""
    return [
        *minutes_order_constraints(prefix),
        models.CheckConstraint(
            name=f"{prefix}_minutes_circulated_to_someone",
            condition=Q(minutes_circulated_on__isnull=True)
            | ~Q(minutes_circulated_to="")
            # Circulation dates recorded before the workflow kept who they went to.
            | Q(minutes_drafted_on__isnull=True),
        ),
    ]


class Recommendation(models.TextChoices):
    PRE_PROCEEDINGS = "pre_proceedings", "Start pre-proceedings"
    ISSUE = "issue", "Issue care proceedings"
    ADVICE = "advice", "Legal advice on the threshold"


class RequestStatus(models.TextChoices):
    AWAITING = "awaiting", "Awaiting head of service decision"
    APPROVED = "approved", "Approved"
    DEFERRED = "deferred", "Deferred for better papers"
    DECLINED = "declined", "Not approved"


@pghistory.track()
class LPMRequest(Versioned):
    """A team manager's request for a legal planning meeting, and the head of service's decision (002 §4–6)."""

    episode = models.OneToOneField("cases.Episode", on_delete=models.PROTECT, related_name="lpm_request")
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_on = models.DateField()
    recommendation = models.CharField(max_length=20, choices=Recommendation.choices)
    concerns = models.TextField("summary of concerns")
    status = models.CharField(max_length=12, choices=RequestStatus.choices, default=RequestStatus.AWAITING)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_on = models.DateField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    deferred_until = models.DateField(null=True, blank=True)
    #: The social worker who prepared the summary and the papers (002 §4 a–e), when one did; the
    #: team manager who reviewed them and made the request is ``requested_by``.
    prepared_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    prepared_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "LPM request"
        constraints = [
            models.CheckConstraint(
                name="lpm_request_prepared_before_requested",
                condition=(Q(prepared_by__isnull=True) & Q(prepared_on__isnull=True))
                | (Q(prepared_by__isnull=False) & Q(prepared_on__lte=F("requested_on"))),
            ),
            models.CheckConstraint(
                name="lpm_request_decided_after_request",
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("requested_on")),
            ),
            models.CheckConstraint(
                name="lpm_request_decision_complete",
                condition=(Q(status="awaiting") & Q(decided_on__isnull=True))
                | (~Q(status="awaiting") & Q(decided_on__isnull=False) & Q(decided_by__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"LPM request of {self.requested_on:%d/%m/%Y}"


@pghistory.track()
class LPMRequestPreparation(Versioned):
    """An LPM request a social worker is preparing: the summary of concerns and the papers, for the
    team manager to review and make the request (002 §4 a–e: the social worker collates the
    documents, the team manager makes the request). Once made, it points to the request."""

    family = models.ForeignKey("cases.Family", on_delete=models.PROTECT, related_name="lpm_preparations")
    prepared_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    prepared_on = models.DateField()
    recommendation = models.CharField(max_length=20, choices=Recommendation.choices)
    concerns = models.TextField("summary of concerns", max_length=8000)
    #: The document checklist as prepared: {kind: [state, note]}; copied to the request's
    #: checklist (LPMRequestDocument rows) when the team manager makes it.
    documents = models.JSONField(default=dict, blank=True)
    request = models.OneToOneField(
        LPMRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="preparation"
    )

    class Meta:
        verbose_name = "prepared LPM request"
        constraints = [
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(request__isnull=True),
                name="one_lpm_request_in_preparation_per_family",
                violation_error_message="This family already has an LPM request being prepared.",
            ),
        ]

    def __str__(self) -> str:
        return f"LPM request prepared on {self.prepared_on:%d/%m/%Y}"


class DocumentKind(models.TextChoices):
    """Papers for an LPM request (002 §4, 003, 004 'Initial Legal Gateway Panel')."""

    PLO_SUMMARY = "plo_summary", "PLO summary (basic information sheet)"
    CHRONOLOGY = "chronology", "Up-to-date chronology"
    GENOGRAM = "genogram", "Genogram (three generations)"
    SINGLE_ASSESSMENT = "single_assessment", "Current single or child and family assessment"
    SWET = "swet", "Draft social work evidence template (SWET)"
    PARENTING_ASSESSMENT = "parenting_assessment", "Parenting assessment"
    VIABILITY = "viability", "Viability assessments"
    FGC_MINUTES = "fgc_minutes", "Family group conference minutes"
    CP_MINUTES = "cp_minutes", "Child protection conference minutes"
    GCP2 = "gcp2", "Graded Care Profile 2"
    TEST_RESULTS = "test_results", "Drug or alcohol test results"
    OTHER_REPORTS = "other_reports", "Other relevant reports"


REQUIRED_DOCUMENTS = [
    DocumentKind.PLO_SUMMARY,
    DocumentKind.CHRONOLOGY,
    DocumentKind.GENOGRAM,
    DocumentKind.SINGLE_ASSESSMENT,
]


class DocumentState(models.TextChoices):
    PRESENT = "present", "Present"
    MISSING = "missing", "Missing"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


@pghistory.track()
class LPMRequestDocument(models.Model):
    """One line of an LPM request's document checklist: present, missing or not applicable (with why)."""

    request = models.ForeignKey(LPMRequest, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    state = models.CharField(max_length=20, choices=DocumentState.choices, default=DocumentState.MISSING)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="document_once_per_request"),
            models.CheckConstraint(
                name="document_not_applicable_has_reason",
                condition=~Q(state="not_applicable") | ~Q(note=""),
                violation_error_message="Say why this document is not applicable.",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class LPMKind(models.TextChoices):
    INITIAL = "initial", "Legal planning meeting"
    FURTHER = "further", "Further LPM after a deferral"
    REVIEW = "review", "Legal gateway review"


class LPMOutcome(models.TextChoices):
    """The four LPM outcomes (002 §9), and what a review LPM can decide."""

    INITIATE = "initiate", "Initiate pre-proceedings"
    ISSUE = "issue", "Issue care proceedings"
    DEFER = "defer", "Defer to a further LPM"
    NFA = "nfa", "No further action"
    CONTINUE = "continue", "Continue pre-proceedings"
    STEP_DOWN = "step_down", "Step down from pre-proceedings"


@pghistory.track()
class LPM(Versioned, MinutesWorkflow):
    """A legal planning meeting or legal gateway panel listing for an episode, and its outcome."""

    episode = models.ForeignKey("cases.Episode", on_delete=models.PROTECT, related_name="lpms")
    kind = models.CharField(max_length=10, choices=LPMKind.choices, default=LPMKind.INITIAL)
    panel_date = models.DateField("panel date")
    papers_submitted_on = models.DateField("papers sent to panel members", null=True, blank=True)
    held_on = models.DateField(null=True, blank=True)
    chair = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=12, choices=LPMOutcome.choices, blank=True)
    outcome_recorded_on = models.DateField(null=True, blank=True)
    minutes_circulated_on = models.DateField("minutes or legal note circulated to LA staff", null=True, blank=True)
    review_point = models.PositiveSmallIntegerField(
        "review point",
        null=True,
        blank=True,
        help_text="Which of the policy's review LPMs this one is (e.g. 2 = week 12); empty for an extra review",
    )

    class Meta:
        verbose_name = "LPM"
        verbose_name_plural = "LPMs"
        ordering = ["panel_date", "id"]
        constraints = [
            models.CheckConstraint(
                name="lpm_outcome_needs_held",
                condition=Q(outcome="") | Q(held_on__isnull=False),
                violation_error_message="Record the date the meeting was held with its outcome.",
            ),
            models.CheckConstraint(
                name="lpm_outcome_recorded_after_held",
                condition=Q(outcome_recorded_on__isnull=True)
                | (Q(held_on__isnull=False) & Q(outcome_recorded_on__gte=F("held_on"))),
            ),
            models.CheckConstraint(
                name="lpm_minutes_after_held",
                condition=Q(minutes_circulated_on__isnull=True)
                | (Q(held_on__isnull=False) & Q(minutes_circulated_on__gte=F("held_on"))),
            ),
            minutes_drafted_after_held("lpm_minutes_drafted_after_held"),
            *minutes_constraints("lpm"),
            models.CheckConstraint(
                name="lpm_review_point_only_on_reviews",
                condition=Q(review_point__isnull=True) | (Q(kind="review") & Q(review_point__gte=1)),
                violation_error_message="Only a legal gateway review is held for a review point.",
            ),
            # Two review LPMs for one review point would meet one deadline twice and leave another open.
            models.UniqueConstraint(
                fields=["episode", "review_point"],
                condition=Q(review_point__isnull=False),
                name="one_lpm_per_review_point",
                violation_error_message="Another review LPM is already recorded for this review point.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.panel_date:%d/%m/%Y}"

    # Which of the policy's review LPMs this one is held for, in words: the policy is the deadlines
    # app's, so the case page's selector fills it in (deadlines.services.review_point_label).
    review_point_label: str = ""


@pghistory.track()
class LegalAdvice(Versioned):
    """Privileged legal advice and LPM minutes (001, 002 §12, 004 §10): never shown to families."""

    lpm = models.OneToOneField(LPM, on_delete=models.PROTECT, related_name="legal_advice")
    advice = models.TextField("legal advice")
    minutes = models.TextField("LPM minutes", blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    # 002 App. 2: within 5 working days of the LPM the record of the discussion and the legal
    # advice is set out in writing and sent only to the head of service (the deadline
    # advice_to_head_of_service is met on this date).
    sent_to_head_of_service_on = models.DateField(
        "date the written record was sent to the head of service", null=True, blank=True
    )

    class Meta:
        verbose_name_plural = "legal advice"

    def __str__(self) -> str:
        return "Legal advice (privileged)"


class MeetingKind(models.TextChoices):
    INITIAL = "initial_meeting", "Initial pre-proceedings meeting"
    REVIEW = "review_meeting", "Pre-proceedings review meeting"
    FINAL = "final_meeting", "Final pre-proceedings meeting"


@pghistory.track()
class Meeting(Versioned, MinutesWorkflow):
    """A pre-proceedings meeting with parents and their solicitors, and its minutes workflow."""

    episode = models.ForeignKey("cases.Episode", on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=20, choices=MeetingKind.choices)
    scheduled_for = models.DateField(null=True, blank=True)
    held_on = models.DateField(null=True, blank=True)
    chair = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    attendees = models.TextField(blank=True, help_text="One person per line, with their role")
    plan_agreed = models.BooleanField("written pre-proceedings plan agreed", default=False)

    class Meta:
        ordering = ["held_on", "scheduled_for", "id"]
        constraints = [
            models.CheckConstraint(
                name="meeting_scheduled_or_held", condition=Q(scheduled_for__isnull=False) | Q(held_on__isnull=False)
            ),
            minutes_drafted_after_held("minutes_drafted_after_meeting"),
            models.CheckConstraint(
                name="minutes_approved_after_drafted",
                condition=Q(minutes_approved_on__isnull=True)
                | (Q(minutes_drafted_on__isnull=False) & Q(minutes_approved_on__gte=F("minutes_drafted_on"))),
            ),
            models.CheckConstraint(
                name="minutes_circulated_after_approved",
                condition=Q(minutes_circulated_on__isnull=True)
                | (Q(minutes_approved_on__isnull=False) & Q(minutes_circulated_on__gte=F("minutes_approved_on"))),
            ),
            models.CheckConstraint(
                name="meeting_minutes_circulated_to_someone",
                condition=Q(minutes_circulated_on__isnull=True)
                | ~Q(minutes_circulated_to="")
                | Q(minutes_drafted_by__isnull=True),  # circulations recorded before the workflow kept who
            ),
            models.UniqueConstraint(
                fields=["episode", "kind"],
                condition=Q(kind__in=["initial_meeting", "final_meeting"]),
                name="one_initial_and_one_final_meeting",
                violation_error_message="This episode already has a meeting of this kind.",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class PlanOption(models.TextChoices):
    """Permanence options considered at a permanency planning meeting (003)."""

    RETURN_HOME = "return_home", "Remain with or return to parents"
    KINSHIP = "kinship", "Placement with family or friends (kinship care)"
    SGO = "sgo", "Special guardianship order"
    LONG_TERM_FOSTERING = "long_term_fostering", "Long-term foster care"
    ADOPTION = "adoption", "Adoption"
    RESIDENTIAL = "residential", "Residential care"
    OTHER = "other", "Other"


@pghistory.track()
class PermanencyPlanningMeeting(Versioned, MinutesWorkflow):
    """A permanency planning meeting for a child who may not return home (003)."""

    family = models.ForeignKey("cases.Family", on_delete=models.PROTECT, related_name="permanency_meetings")
    child = models.ForeignKey("cases.Child", on_delete=models.PROTECT, related_name="permanency_meetings")
    organised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField()
    options_considered = ArrayField(models.CharField(max_length=30, choices=PlanOption.choices))
    preferred_option = models.CharField(max_length=30, choices=PlanOption.choices)
    parallel_plan = models.CharField(max_length=30, choices=PlanOption.choices, blank=True)
    notes = models.TextField(blank=True)
    next_review_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-held_on"]
        constraints = [
            models.CheckConstraint(
                name="ppm_review_after_meeting",
                condition=Q(next_review_on__isnull=True) | Q(next_review_on__gt=F("held_on")),
            ),
            models.CheckConstraint(
                name="ppm_minutes_drafted_after_meeting",
                condition=Q(minutes_drafted_on__isnull=True) | Q(minutes_drafted_on__gte=F("held_on")),
            ),
            *minutes_constraints("ppm"),
        ]

    def __str__(self) -> str:
        return f"Permanency planning meeting on {self.held_on:%d/%m/%Y}"

    @property
    def options_labels(self) -> list[str]:
        """The options considered, in words."""
        labels = dict(PlanOption.choices)
        return [labels.get(o, o) for o in self.options_considered]
