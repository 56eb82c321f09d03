"""Families (PLO family groups), children, parents, episodes, assessments and care proceedings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from plo_tracker.models import Versioned

if TYPE_CHECKING:
    from accounts.models import User

USER = settings.AUTH_USER_MODEL


class YesNoUnknown(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Unknown"


@pghistory.track()
class Family(Versioned):
    """A PLO family group: children whose parents start and end pre-proceedings together."""

    reference = models.CharField("PLO family reference", max_length=30, unique=True)
    name = models.CharField("family name", max_length=120, help_text="For example, Ashworth family")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="families")
    social_worker = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="families_allocated")
    team_manager = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="families_managed", null=True, blank=True
    )
    restricted = models.BooleanField(
        default=False, help_text="A staff-related or otherwise sensitive case: only named people may see it."
    )
    restriction_reason = models.TextField(
        blank=True, help_text="Why the case was restricted, or the restriction changed or lifted (audited)."
    )
    restricted_to: models.ManyToManyField[User, FamilyRestriction] = models.ManyToManyField(
        USER, blank=True, related_name="restricted_families", through="FamilyRestriction"
    )
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    closed_reason = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "families"
        ordering = ["name", "reference"]
        constraints = [
            models.CheckConstraint(
                name="family_closed_with_reason",
                condition=Q(closed_on__isnull=True) | ~Q(closed_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.reference})"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class FamilyRestriction(models.Model):
    """A person named on a restricted family (audited when added or removed)."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="restrictions")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["family", "user"], name="named_once_per_family")]

    def __str__(self) -> str:
        return f"{self.user} may see {self.family}"


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    NOT_KNOWN = "not_known", "Not known (for example, an unborn baby)"


class LegalStatus(models.TextChoices):
    NONE = "none", "No plan"
    CIN = "cin", "Child in need plan"
    CP = "cp", "Child protection plan"
    S20 = "s20", "Accommodated under section 20"
    PRE_PROCEEDINGS = "pre_proceedings", "Pre-proceedings"
    CARE_PROCEEDINGS = "care_proceedings", "Care proceedings"


@pghistory.track()
class Child(Versioned):
    """A child (or unborn baby) in a family group; every step is kept on each child's record."""

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="children")
    first_name = models.CharField(max_length=80, help_text="For an unborn baby, write 'Unborn baby'")
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField(null=True, blank=True)
    expected_date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=12, choices=Gender.choices, default=Gender.NOT_KNOWN)
    case_system_id = models.CharField(
        "case system ID", max_length=30, unique=True, help_text="The child's ID in the council's case system"
    )
    legal_status = models.CharField(max_length=20, choices=LegalStatus.choices, default=LegalStatus.CP)
    cp_plan_count = models.PositiveSmallIntegerField(
        "times on a child protection plan in this referral period", default=0
    )
    previous_pre_proceedings = models.PositiveSmallIntegerField(
        "earlier periods of pre-proceedings (before this system)", default=0
    )
    previous_care_proceedings = models.PositiveSmallIntegerField(
        "earlier periods of care proceedings (before this system)", default=0
    )

    class Meta:
        verbose_name_plural = "children"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                name="child_born_or_expected",
                condition=Q(date_of_birth__isnull=False, expected_date_of_birth__isnull=True)
                | Q(date_of_birth__isnull=True, expected_date_of_birth__isnull=False),
                violation_error_message="Give either a date of birth or an expected date of birth, not both.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_unborn(self) -> bool:
        """True for an unborn baby (an expected date of birth instead of a date of birth)."""
        return self.date_of_birth is None


class Relationship(models.TextChoices):
    MOTHER = "mother", "Mother"
    FATHER = "father", "Father"
    STEP_PARENT = "step_parent", "Step-parent"
    GRANDPARENT = "grandparent", "Grandparent"
    OTHER_RELATIVE = "other_relative", "Other relative"
    OTHER = "other", "Other person with parental responsibility"


class SupportKind(models.TextChoices):
    """Who helps a parent take part (an advocate speaks up for them; an intermediary helps communication)."""

    NONE = "", "No advocate or intermediary"
    ADVOCATE = "advocate", "Advocate"
    INTERMEDIARY = "intermediary", "Intermediary"


@pghistory.track()
class Person(Versioned):
    """A parent or other adult with parental responsibility, who receives letters and attends meetings.

    The letter before proceedings is delivered by hand (002 §9b ii), so the address matters; an
    interpreter or intermediary must be booked for every meeting (003, 004).
    """

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="people")
    full_name = models.CharField(max_length=160)
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    parental_responsibility = models.BooleanField(default=True)
    address = models.TextField(blank=True, max_length=400)
    phone = models.CharField("phone number", max_length=40, blank=True)
    language = models.CharField("first language", max_length=80, blank=True)
    interpreter_needed = models.BooleanField("needs an interpreter", default=False)
    support_kind = models.CharField(
        "advocate or intermediary", max_length=20, choices=SupportKind.choices, blank=True, default=""
    )
    support_contact = models.CharField("advocate or intermediary: name and contact", max_length=200, blank=True)
    solicitor_name = models.CharField(max_length=160, blank=True)
    solicitor_firm = models.CharField(max_length=160, blank=True)
    solicitor_email = models.EmailField(blank=True)
    solicitor_phone = models.CharField(max_length=40, blank=True)
    legally_represented = models.CharField(max_length=10, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN)

    class Meta:
        verbose_name = "parent or person with parental responsibility"
        verbose_name_plural = "parents and people with parental responsibility"
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                name="interpreter_needs_language",
                condition=Q(interpreter_needed=False) | ~Q(language=""),
                violation_error_message="Say which language the interpreter is for.",
            ),
            models.CheckConstraint(
                name="support_has_contact",
                condition=Q(support_kind="") | ~Q(support_contact=""),
                violation_error_message="Give the advocate's or intermediary's name and contact.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_relationship_display().lower()})"


class Stage(models.TextChoices):
    LPM = "lpm", "Legal planning meeting"
    PRE_PROCEEDINGS = "pre_proceedings", "Pre-proceedings"
    PROCEEDINGS = "proceedings", "Care proceedings"
    ENDED = "ended", "Ended"


class EndOutcome(models.TextChoices):
    STEP_DOWN_CP = "step_down_cp", "Step down to a child protection plan"
    STEP_DOWN_CIN = "step_down_cin", "Step down to a child in need plan"
    ISSUE = "issue", "Issue care proceedings"
    NFA = "nfa", "No further action"


@pghistory.track()
class Episode(Versioned):
    """One journey of a family through the PLO: from the LPM request to step-down, issue or NFA."""

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="episodes")
    children = models.ManyToManyField(Child, through="EpisodeChild", related_name="episodes")
    policy_name = models.CharField(max_length=60)
    policy_version = models.CharField(max_length=30)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.LPM)
    started_on = models.DateField(help_text="The date the LPM was requested")
    decision_date = models.DateField(
        null=True, blank=True, help_text="The date the LPM or panel decided to start pre-proceedings (D)"
    )
    letter_drafted_on = models.DateField(null=True, blank=True)
    letter_to_legal_on = models.DateField(null=True, blank=True)
    letter_approved_on = models.DateField(null=True, blank=True)
    letter_due_on = models.DateField(
        null=True, blank=True, help_text="Where the council's policy has the CLO set the letter's deadline"
    )
    proposed_agreement_to_legal_on = models.DateField(
        "date the proposed pre-proceedings agreement was sent to legal",
        null=True,
        blank=True,
        help_text="For comment before the initial meeting (002 App. 2: two working days before it)",
    )
    # 002 App. 2 week 8 and week 15: the agreement, signed by all, attached to the child's record
    # after the review meeting ("within a week") and after the final meeting ("within five working days").
    agreement_signed_on = models.DateField("signed pre-proceedings agreement attached", null=True, blank=True)
    final_agreement_signed_on = models.DateField(
        "signed updated agreement attached after the final meeting", null=True, blank=True
    )
    end_decision_date = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    end_outcome = models.CharField(max_length=20, choices=EndOutcome.choices, blank=True)
    exit_letter_on = models.DateField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(ended_on__isnull=True),
                name="one_open_episode_per_family",
                violation_error_message="This family already has an open episode.",
            ),
            models.CheckConstraint(
                name="episode_decision_after_start",
                condition=Q(decision_date__isnull=True) | Q(decision_date__gte=F("started_on")),
            ),
            models.CheckConstraint(
                name="episode_end_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
            ),
            models.CheckConstraint(
                name="episode_end_after_decision",
                condition=Q(ended_on__isnull=True)
                | Q(decision_date__isnull=True)
                | Q(ended_on__gte=F("decision_date")),
            ),
            models.CheckConstraint(
                name="episode_ended_has_outcome",
                condition=(Q(ended_on__isnull=True) & Q(end_outcome=""))
                | (Q(ended_on__isnull=False) & ~Q(end_outcome="")),
            ),
            models.CheckConstraint(
                name="episode_letter_steps_in_order",
                condition=(
                    Q(letter_to_legal_on__isnull=True)
                    | Q(letter_drafted_on__isnull=True)
                    | Q(letter_to_legal_on__gte=F("letter_drafted_on"))
                )
                & (
                    Q(letter_approved_on__isnull=True)
                    | Q(letter_to_legal_on__isnull=True)
                    | Q(letter_approved_on__gte=F("letter_to_legal_on"))
                ),
            ),
            # The draft letter can go to the lawyer before the LPM (002 App. 2: "on day before the
            # LPM"), so it is bounded by the request that started the episode, not the decision.
            models.CheckConstraint(
                name="episode_letter_after_start",
                condition=Q(letter_drafted_on__isnull=True) | Q(letter_drafted_on__gte=F("started_on")),
            ),
            models.CheckConstraint(
                name="episode_agreement_after_decision",
                condition=Q(proposed_agreement_to_legal_on__isnull=True)
                | (Q(decision_date__isnull=False) & Q(proposed_agreement_to_legal_on__gte=F("decision_date"))),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.family.name}: PLO from {self.started_on:%d/%m/%Y}"

    @property
    def is_open(self) -> bool:
        """True until the episode has ended."""
        return self.ended_on is None


@pghistory.track()
class EpisodeChild(models.Model):
    """A child in an episode; flags a second (or later) pre-proceedings episode for that child (004)."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="episode_children")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="episode_links")
    earlier_episodes = models.PositiveSmallIntegerField(
        default=0, help_text="Pre-proceedings episodes this child had before this one"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["episode", "child"], name="child_once_per_episode")]

    def __str__(self) -> str:
        return f"{self.child} in {self.episode}"

    @property
    def is_repeat(self) -> bool:
        """A second or later episode: the assistant director must be told (004)."""
        return self.earlier_episodes > 0


HAND_DELIVERED = "Hand delivered"
DELIVERY_METHODS = [
    (HAND_DELIVERED, "By hand"),
    ("Given at a meeting", "Given to them at a meeting"),
    ("Sent by post", "By post"),
    ("Sent by email", "By email"),
]


@pghistory.track()
class LetterDelivery(Versioned):
    """The letter before proceedings delivered by hand to one parent (delivery starts legal help)."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="letter_deliveries")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="letter_deliveries")
    delivered_on = models.DateField()
    method = models.CharField(max_length=60, default=HAND_DELIVERED)
    address = models.TextField("address delivered to", blank=True, max_length=400)
    no_address_reason = models.TextField("why no address is recorded", blank=True, max_length=1000)

    class Meta:
        ordering = ["delivered_on"]
        constraints = [
            models.CheckConstraint(
                name="hand_delivery_has_address_or_reason",
                condition=~Q(method=HAND_DELIVERED) | ~Q(address="") | ~Q(no_address_reason=""),
                violation_error_message="Record the address the letter was delivered to, or why there is none.",
            ),
            models.UniqueConstraint(
                fields=["episode", "person"],
                name="letter_delivered_once_per_parent",
                violation_error_message="The letter has already been recorded as delivered to this person.",
            ),
        ]

    def __str__(self) -> str:
        return f"Letter delivered on {self.delivered_on:%d/%m/%Y}"


@pghistory.track()
class Extension(Versioned):
    """An agreed extension of pre-proceedings, with who agreed it and why (002 §11a ii, 001, 004)."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="extensions")
    weeks = models.PositiveSmallIntegerField()
    agreed_on = models.DateField()
    agreed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    rationale = models.TextField()

    class Meta:
        ordering = ["agreed_on"]
        constraints = [
            models.CheckConstraint(name="extension_positive", condition=Q(weeks__gte=1)),
            models.CheckConstraint(name="extension_has_rationale", condition=~Q(rationale="")),
        ]

    def __str__(self) -> str:
        return f"Extension of {self.weeks} weeks"


class AssessmentKind(models.TextChoices):
    PARENTING = "parenting", "Parenting assessment"
    PAMS = "pams", "PAMS parenting assessment"
    COGNITIVE = "cognitive", "Cognitive assessment"
    PSYCHOLOGICAL = "psychological", "Psychological assessment"
    PSYCHIATRIC = "psychiatric", "Psychiatric assessment"
    PAEDIATRIC = "paediatric", "Paediatric assessment"
    DRUG_ALCOHOL = "drug_alcohol", "Drug and alcohol testing (for example, hair strand)"
    DNA = "dna", "DNA testing"
    VIABILITY_1 = "viability_1", "Viability assessment, stage 1"
    VIABILITY_2 = "viability_2", "Viability assessment, stage 2"
    VIABILITY_3 = "viability_3", "Viability assessment, stage 3"
    SPECIAL_GUARDIANSHIP = "special_guardianship", "Special guardianship assessment"
    FGC = "fgc", "Family group conference"
    OTHER = "other", "Other"


@pghistory.track()
class Assessment(Versioned):
    """An assessment in the pre-proceedings plan: who does it, when instructed, due and done."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="assessments")
    child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        help_text="Leave blank for the whole family",
    )
    kind = models.CharField(max_length=30, choices=AssessmentKind.choices)
    description = models.CharField(max_length=200, blank=True)
    provider = models.CharField("provider or expert", max_length=160)
    instructed_on = models.DateField()
    due_on = models.DateField()
    completed_on = models.DateField(null=True, blank=True)
    on_file_on = models.DateField("on file", null=True, blank=True)
    cost = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    cost_approval_needed = models.BooleanField(default=False)
    cost_approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cost_approved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(name="assessment_due_after_instructed", condition=Q(due_on__gte=F("instructed_on"))),
            models.CheckConstraint(
                name="assessment_completed_after_instructed",
                condition=Q(completed_on__isnull=True) | Q(completed_on__gte=F("instructed_on")),
            ),
            models.CheckConstraint(
                name="assessment_on_file_after_completed",
                condition=Q(on_file_on__isnull=True)
                | (Q(completed_on__isnull=False) & Q(on_file_on__gte=F("completed_on"))),
            ),
            models.CheckConstraint(
                name="assessment_cost_non_negative", condition=Q(cost__isnull=True) | Q(cost__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class ShortNoticeReason(models.TextChoices):
    """PREP019A: main reason for a short-notice application."""

    IMMEDIATE_SAFETY = "A", "Immediate safety (including abduction)"
    EPO_CRITERIA = "B", "Emergency protection order criteria met"
    OTHER = "C", "Other"


class CarePlan(models.TextChoices):
    """PREP021A / PREP023A: the local authority's care plan."""

    CARE_ORDER = "A", "Care order (or interim care order)"
    CARE_ORDER_AT_HOME = "B", "Care order, placement with parents"
    ADOPTION = "C", "Adoption"
    SUPERVISION_ORDER = "D", "Supervision order (or interim supervision order)"
    SGO = "E", "Special guardianship order"
    PRIVATE_LAW = "F", "Private law order"
    OTHER = "G", "Other"


@pghistory.track()
class CareProceedings(Versioned):
    """Care proceedings issued for a family group: the 26-week court timeline (002 Appendix 3)."""

    episode = models.OneToOneField(Episode, on_delete=models.PROTECT, related_name="proceedings")
    issue_decision_on = models.DateField("decision to issue")
    letter_of_issue_on = models.DateField("letter of issue sent to parents", null=True, blank=True)
    swet_to_legal_on = models.DateField("SWET and care plan sent to legal", null=True, blank=True)
    issued_on = models.DateField("proceedings issued", null=True, blank=True)
    # 002 App. 3 week 15 and week 19: the council's final evidence, and the advocates' meeting
    # before the issues resolution hearing.
    final_evidence_filed_on = models.DateField("the council's final evidence filed", null=True, blank=True)
    irh_advocates_meeting_on = models.DateField(
        "advocates' meeting before the issues resolution hearing", null=True, blank=True
    )
    court_reference = models.CharField(max_length=40, blank=True)
    short_notice = models.CharField(max_length=10, choices=YesNoUnknown.choices, default=YesNoUnknown.NO)
    parents_represented_at_issue = models.CharField(
        max_length=10, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN
    )
    short_notice_reason = models.CharField(max_length=1, choices=ShortNoticeReason.choices, blank=True)
    initial_care_plan = models.CharField(max_length=1, choices=CarePlan.choices, blank=True)
    initial_plan_approved = models.CharField(
        "initial plan approved at the first hearing",
        max_length=10,
        choices=YesNoUnknown.choices,
        default=YesNoUnknown.UNKNOWN,
    )
    final_care_plan = models.CharField(max_length=1, choices=CarePlan.choices, blank=True)
    final_plan_approved = models.CharField(
        "final plan approved at the final hearing",
        max_length=10,
        choices=YesNoUnknown.choices,
        default=YesNoUnknown.UNKNOWN,
    )

    class Meta:
        verbose_name_plural = "care proceedings"
        constraints = [
            models.CheckConstraint(
                name="issue_after_decision",
                condition=Q(issued_on__isnull=True) | Q(issued_on__gte=F("issue_decision_on")),
            ),
            models.CheckConstraint(
                name="letter_of_issue_after_decision",
                condition=Q(letter_of_issue_on__isnull=True) | Q(letter_of_issue_on__gte=F("issue_decision_on")),
            ),
            models.CheckConstraint(
                name="court_steps_after_issue",
                condition=(Q(final_evidence_filed_on__isnull=True) & Q(irh_advocates_meeting_on__isnull=True))
                | (
                    Q(issued_on__isnull=False)
                    & (Q(final_evidence_filed_on__isnull=True) | Q(final_evidence_filed_on__gte=F("issued_on")))
                    & (Q(irh_advocates_meeting_on__isnull=True) | Q(irh_advocates_meeting_on__gte=F("issued_on")))
                ),
                violation_error_message="The final evidence and the advocates' meeting come after the issue date.",
            ),
            models.CheckConstraint(
                name="court_reference_once_issued",
                condition=Q(court_reference="") | Q(issued_on__isnull=False),
            ),
            models.CheckConstraint(
                name="short_notice_reason_only_on_short_notice",
                condition=(Q(short_notice="yes") & ~Q(short_notice_reason=""))
                | (~Q(short_notice="yes") & Q(short_notice_reason="")),
                violation_error_message="Give a short-notice reason only when proceedings were issued on short notice.",
            ),
        ]

    def __str__(self) -> str:
        return f"Care proceedings {self.court_reference}".strip()


#: Children Act 1989 s32(5): an extension "is not to exceed eight weeks" each time.
COURT_EXTENSION_MAX_WEEKS = 8


@pghistory.track()
class CourtExtension(Versioned):
    """The court's extension of the 26-week limit (Children Act 1989 s32(5)), with its reasons."""

    proceedings = models.ForeignKey(CareProceedings, on_delete=models.PROTECT, related_name="court_extensions")
    weeks = models.PositiveSmallIntegerField()
    granted_on = models.DateField("date the court granted it")
    reasons = models.TextField("the court's reasons")
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["granted_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="court_extension_up_to_8_weeks",
                condition=Q(weeks__gte=1) & Q(weeks__lte=COURT_EXTENSION_MAX_WEEKS),
                violation_error_message="The court can extend by 1 to 8 weeks at a time (Children Act 1989 s32(5)).",
            ),
            models.CheckConstraint(name="court_extension_has_reasons", condition=~Q(reasons="")),
        ]

    def __str__(self) -> str:
        return f"Court extension of {self.weeks} weeks"


class HearingKind(models.TextChoices):
    CMH = "cmh", "Case management hearing"
    IRH = "irh", "Issues resolution hearing"
    FINAL = "final_hearing", "Final hearing"
    OTHER = "other", "Other hearing"


@pghistory.track()
class Hearing(Versioned):
    """A court hearing in care proceedings."""

    proceedings = models.ForeignKey(CareProceedings, on_delete=models.PROTECT, related_name="hearings")
    kind = models.CharField(max_length=20, choices=HearingKind.choices)
    hearing_date = models.DateField()
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["hearing_date"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.hearing_date:%d/%m/%Y}"


class ExportState(models.TextChoices):
    """Where a national export run as a job stands (issue 24 §5)."""

    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Making the file"
    DONE = "done", "Ready to download"
    FAILED = "failed", "No file made"


class NationalExportJob(models.Model):
    """A national or SSD export of more records than PLO_EXPORT_JOB_RECORDS, made by a worker.

    Only the person who asked reads it (cases.scopes.export_jobs_visible_to), and the records
    in it are the ones that person sees. The file is deleted a day after it was asked for.
    """

    requested_by = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    code_set = models.CharField(max_length=10)
    date_from = models.DateField()
    date_to = models.DateField()
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    records_done = models.PositiveIntegerField(default=0)
    records_total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    content = models.TextField(blank=True)
    problems = models.JSONField(default=list, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One job at a time for the same person, file and period: a second click finds it.
            models.UniqueConstraint(
                fields=["requested_by", "code_set", "date_from", "date_to"],
                condition=Q(state__in=["queued", "running"]),
                name="national_export_job_once",
            ),
            models.CheckConstraint(
                condition=Q(records_done__lte=F("records_total")), name="national_export_job_progress_within_total"
            ),
        ]

    def __str__(self) -> str:
        return f"National export {self.date_from:%d/%m/%Y} to {self.date_to:%d/%m/%Y}"
