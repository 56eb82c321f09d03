"""GOV.UK forms for families, children, parents and the steps of an episode."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Team, User
from accounts.roles import Role
from accounts.selectors import staff_with
from plo_tracker.forms import GOVUKForm, UKDateField, model_choice

from .models import (
    DELIVERY_METHODS,
    HAND_DELIVERED,
    AssessmentKind,
    CarePlan,
    Child,
    EndOutcome,
    Gender,
    HearingKind,
    LegalStatus,
    Person,
    Relationship,
    ShortNoticeReason,
    SupportKind,
    YesNoUnknown,
)


class StaffChoiceField(forms.ModelChoiceField):
    """A person chosen by name (and team); the empty choice says so in words, never '---------'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", "Choose a person")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.username}" + (f" ({obj.team})" if obj.team_id else "")


class StaffWithRolesField(forms.ModelMultipleChoiceField):
    """People chosen by name, each shown with the roles they hold."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.username}, {', '.join(obj.role_labels)}"


class FamilyForm(GOVUKForm):
    reference = forms.CharField(
        label="PLO family reference",
        max_length=30,
        help_text="The reference your council uses for the family group, for example PLO-00123",
        error_messages={"required": "Enter the PLO family reference"},
    )
    name = forms.CharField(
        label="Family name",
        max_length=120,
        help_text="For example, Ashworth family",
        error_messages={"required": "Enter the family name"},
    )
    team = forms.ModelChoiceField(
        label="Team",
        queryset=Team.objects.all(),
        empty_label="Choose a team",
        error_messages={"required": "Choose the team"},
    )
    social_worker = StaffChoiceField(
        label="Allocated social worker",
        queryset=User.objects.none(),
        error_messages={"required": "Choose the allocated social worker"},
    )
    team_manager = StaffChoiceField(label="Team manager", queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "social_worker").queryset = staff_with(Role.SOCIAL_WORKER, Role.TEAM_MANAGER)
        model_choice(self, "team_manager").queryset = staff_with(Role.TEAM_MANAGER)

    def clean_reference(self) -> str:
        from .models import Family

        reference = self.cleaned_data["reference"].strip()
        if Family.objects.filter(reference__iexact=reference).exists():
            raise forms.ValidationError("A family with this reference already exists")
        return reference


class FamilyEditForm(FamilyForm):
    def __init__(self, *args: Any, family: Any = None, **kwargs: Any) -> None:
        self.family = family
        super().__init__(*args, **kwargs)

    def clean_reference(self) -> str:
        from .models import Family

        reference = self.cleaned_data["reference"].strip()
        if Family.objects.filter(reference__iexact=reference).exclude(pk=self.family.pk).exists():
            raise forms.ValidationError("Another family already has this reference")
        return reference


class ChildForm(GOVUKForm):
    first_name = forms.CharField(
        label="First name",
        max_length=80,
        help_text="For an unborn baby, write Unborn baby",
        error_messages={"required": "Enter the child's first name"},
    )
    last_name = forms.CharField(
        label="Last name", max_length=80, error_messages={"required": "Enter the child's last name"}
    )
    date_of_birth = UKDateField(
        label="date of birth", required=False, help_text="Leave blank for an unborn baby. For example, 14 6 2021"
    )
    expected_date_of_birth = UKDateField(
        label="expected date of birth", required=False, help_text="Only for an unborn baby. For example, 3 2 2027"
    )
    gender = forms.ChoiceField(
        label="Gender",
        choices=Gender.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the child's gender"},
    )
    case_system_id = forms.CharField(
        label="Case system ID",
        max_length=30,
        help_text="The child's ID in your council's case system",
        error_messages={"required": "Enter the child's case system ID"},
    )
    legal_status = forms.ChoiceField(label="Legal status", choices=LegalStatus.choices)
    cp_plan_count = forms.IntegerField(
        label="Times on a child protection plan in this referral period",
        min_value=0,
        max_value=50,
        initial=0,
        error_messages={"min_value": "Enter 0 or more", "max_value": "Enter 50 or fewer"},
    )
    previous_pre_proceedings = forms.IntegerField(
        label="Earlier periods of pre-proceedings",
        min_value=0,
        max_value=20,
        initial=0,
        error_messages={"min_value": "Enter 0 or more"},
    )
    previous_care_proceedings = forms.IntegerField(
        label="Earlier periods of care proceedings",
        min_value=0,
        max_value=20,
        initial=0,
        error_messages={"min_value": "Enter 0 or more"},
    )

    def __init__(self, *args: Any, child: Any = None, **kwargs: Any) -> None:
        self.child = child
        super().__init__(*args, **kwargs)

    def clean_case_system_id(self) -> str:
        from .models import Child

        value = self.cleaned_data["case_system_id"].strip()
        clash = Child.objects.filter(case_system_id__iexact=value)
        if self.child is not None:
            clash = clash.exclude(pk=self.child.pk)
        if clash.exists():
            raise forms.ValidationError("Another child already has this case system ID")
        return value


class PersonForm(GOVUKForm):
    full_name = forms.CharField(label="Full name", max_length=160, error_messages={"required": "Enter the full name"})
    relationship = forms.ChoiceField(label="Relationship to the children", choices=Relationship.choices)
    parental_responsibility = forms.BooleanField(label="Has parental responsibility", required=False, initial=True)
    address = forms.CharField(
        label="Address",
        widget=forms.Textarea,
        max_length=400,
        required=False,
        help_text="Where the letter before proceedings can be delivered by hand",
        error_messages={"max_length": "The address must be 400 characters or fewer"},
    )
    phone = forms.CharField(
        label="Phone number",
        max_length=40,
        required=False,
        error_messages={"max_length": "The phone number must be 40 characters or fewer"},
    )
    language = forms.CharField(
        label="First language",
        max_length=80,
        required=False,
        help_text="For example, English, Polish or British Sign Language",
        error_messages={"max_length": "The first language must be 80 characters or fewer"},
    )
    interpreter_needed = forms.BooleanField(label="Needs an interpreter at meetings", required=False)
    support_kind = forms.ChoiceField(
        label="Advocate or intermediary",
        choices=SupportKind.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="An advocate speaks up for the parent; an intermediary helps them understand and be understood",
    )
    support_contact = forms.CharField(
        label="Advocate's or intermediary's name and contact details",
        max_length=200,
        required=False,
        error_messages={"max_length": "The name and contact details must be 200 characters or fewer"},
    )
    solicitor_name = forms.CharField(label="Solicitor's name", max_length=160, required=False)
    solicitor_firm = forms.CharField(label="Solicitor's firm", max_length=160, required=False)
    solicitor_email = forms.EmailField(
        label="Solicitor's email address",
        required=False,
        error_messages={"invalid": "Enter an email address like name@example.com"},
    )
    solicitor_phone = forms.CharField(label="Solicitor's phone number", max_length=40, required=False)
    legally_represented = forms.ChoiceField(
        label="Legally represented in pre-proceedings",
        choices=YesNoUnknown.choices,
        widget=forms.RadioSelect,
        initial=YesNoUnknown.UNKNOWN,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("interpreter_needed") and not data.get("language"):
            self.add_error("language", "Enter the language the interpreter is needed for")
        if data.get("support_kind") and not data.get("support_contact"):
            self.add_error("support_contact", "Enter the advocate's or intermediary's name and how to contact them")
        return data


class LetterForm(GOVUKForm):
    letter_drafted_on = UKDateField(label="date the letter was drafted", required=False)
    letter_to_legal_on = UKDateField(label="date the letter was sent to legal", required=False)
    letter_approved_on = UKDateField(label="date legal approved the letter", required=False)
    letter_due_on = UKDateField(
        label="deadline set for the letter",
        required=False,
        help_text="Only where your council's court liaison officer sets the letter's deadline. For example, 8 1 2027",
    )


class DeliveryForm(GOVUKForm):
    person = forms.ModelChoiceField(
        label="Who was the letter delivered to?",
        queryset=Person.objects.none(),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who the letter was delivered to"},
    )
    delivered_on = UKDateField(label="date delivered")
    method = forms.ChoiceField(
        label="How was it delivered?",
        choices=DELIVERY_METHODS,
        initial=HAND_DELIVERED,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the letter was delivered"},
    )
    address = forms.CharField(
        label="Address it was delivered to",
        widget=forms.Textarea,
        max_length=400,
        required=False,
        help_text="Leave blank to use the parent's address on record",
        error_messages={"max_length": "The address must be 400 characters or fewer"},
    )
    no_address_reason = forms.CharField(
        label="If there is no address, say why",
        widget=forms.Textarea,
        max_length=1000,
        required=False,
        help_text="For example, handed to them at the contact centre because they have no fixed address",
        error_messages={"max_length": "The reason must be 1,000 characters or fewer"},
    )

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "person").queryset = people


class ExtensionForm(GOVUKForm):
    weeks = forms.IntegerField(
        label="Length of the extension in weeks",
        min_value=1,
        max_value=52,
        error_messages={
            "required": "Enter the length of the extension in weeks",
            "min_value": "The extension must be at least 1 week",
            "max_value": "Enter a number of weeks of 52 or fewer",
            "invalid": "Enter the number of weeks as a whole number, like 4",
        },
    )
    agreed_on = UKDateField(label="date agreed")
    rationale = forms.CharField(
        label="Why the extension is necessary and meaningful for the children",
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": "Enter the reasons for the extension"},
    )
    submit_label = "Agree extension"


class EndForm(GOVUKForm):
    end_outcome = forms.ChoiceField(
        label="How did pre-proceedings end?",
        choices=EndOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how pre-proceedings ended"},
    )
    ended_on = UKDateField(label="date pre-proceedings ended")
    end_decision_date = UKDateField(
        label="date of the legal meeting or panel that decided",
        required=False,
        help_text="Leave blank if the same as the end date",
    )
    exit_letter_on = UKDateField(
        label="date the exit letter was given to the family",
        required=False,
        help_text="Only when the family steps down",
    )
    end_reason = forms.CharField(label="Reasons", widget=forms.Textarea, max_length=4000, required=False)
    confirm = forms.BooleanField(
        label="I have checked the end date: the open deadlines listed above will close and their alerts stop",
        required=False,
    )
    submit_label = "End pre-proceedings"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("confirm"):
            # An end date typed by mistake would close every deadline and silence every alert.
            self.add_error(
                "confirm",
                "Confirm that the open deadlines listed above should close: check the end date, then tick the box",
            )
        return data


class AssessmentForm(GOVUKForm):
    kind = forms.ChoiceField(
        label="Type of assessment",
        choices=[("", "Choose a type"), *AssessmentKind.choices],
        error_messages={"required": "Choose the type of assessment"},
    )
    child = forms.ModelChoiceField(
        label="Child",
        queryset=Child.objects.none(),
        required=False,
        empty_label="The whole family",
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    provider = forms.CharField(
        label="Provider or expert", max_length=160, error_messages={"required": "Enter the provider or expert"}
    )
    instructed_on = UKDateField(label="date instructed")
    due_on = UKDateField(label="date due")
    completed_on = UKDateField(label="date completed", required=False)
    on_file_on = UKDateField(label="date put on the child's file", required=False)
    cost = forms.DecimalField(
        label="Cost in pounds",
        min_value=0,
        max_digits=9,
        decimal_places=2,
        required=False,
        error_messages={"min_value": "Cost must be 0 or more", "invalid": "Enter the cost in pounds, like 1250.00"},
    )
    cost_approval_needed = forms.BooleanField(label="The cost needs approval by the head of service", required=False)

    def __init__(self, *args: Any, children: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "child").queryset = children


class CostApprovalForm(GOVUKForm):
    approved_on = UKDateField(label="date approved")
    submit_label = "Approve the cost"


class ProceedingsForm(GOVUKForm):
    letter_of_issue_on = UKDateField(label="date the letter of issue was sent to parents", required=False)
    swet_to_legal_on = UKDateField(label="date the SWET and care plan went to legal", required=False)
    issued_on = UKDateField(label="date proceedings were issued", required=False)
    final_evidence_filed_on = UKDateField(label="date the council's final evidence was filed", required=False)
    irh_advocates_meeting_on = UKDateField(
        label="date of the advocates' meeting before the issues resolution hearing", required=False
    )
    court_reference = forms.CharField(label="Court reference", max_length=40, required=False)
    short_notice = forms.ChoiceField(
        label="Issued on short notice (court to hear within 2 to 5 days)",
        choices=YesNoUnknown.choices,
        widget=forms.RadioSelect,
    )
    parents_represented_at_issue = forms.ChoiceField(
        label="Parents legally represented at the point of issue",
        choices=YesNoUnknown.choices,
        widget=forms.RadioSelect,
    )
    short_notice_reason = forms.ChoiceField(
        label="Main reason for a short-notice application",
        choices=[("", "Not applicable"), *ShortNoticeReason.choices],
        required=False,
    )
    initial_care_plan = forms.ChoiceField(
        label="The council's initial care plan", choices=[("", "Not yet decided"), *CarePlan.choices], required=False
    )
    initial_plan_approved = forms.ChoiceField(
        label="Initial plan approved at the first hearing", choices=YesNoUnknown.choices, widget=forms.RadioSelect
    )
    final_care_plan = forms.ChoiceField(
        label="The council's final care plan",
        choices=[("", "Not yet at final hearing"), *CarePlan.choices],
        required=False,
    )
    final_plan_approved = forms.ChoiceField(
        label="Final plan approved at the final hearing", choices=YesNoUnknown.choices, widget=forms.RadioSelect
    )


class HearingForm(GOVUKForm):
    kind = forms.ChoiceField(
        label="Hearing",
        choices=HearingKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of hearing"},
    )
    hearing_date = UKDateField(label="hearing date")
    notes = forms.CharField(label="Notes", max_length=300, required=False)


class CourtExtensionForm(GOVUKForm):
    weeks = forms.IntegerField(
        label="How many weeks did the court extend the 26 weeks by?",
        help_text="No more than 8 weeks at a time (Children Act 1989 s32(5)). Record a further extension separately.",
        min_value=1,
        max_value=8,
        error_messages={
            "required": "Enter the number of weeks the court extended by",
            "min_value": "The extension must be at least 1 week",
            "max_value": "The court can extend by no more than 8 weeks at a time (Children Act 1989 s32(5))",
            "invalid": "Enter the number of weeks as a whole number, like 4",
        },
    )
    granted_on = UKDateField(label="date the court granted it")
    reasons = forms.CharField(
        label="The court's reasons for the extension",
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": "Enter the court's reasons for the extension"},
    )
    submit_label = "Record the extension"


class WaiveForm(GOVUKForm):
    reason = forms.CharField(
        label="Why is this deadline no longer needed?",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Enter the reason the deadline is waived"},
    )
    submit_label = "Waive deadline"


class NationalExportForm(GOVUKForm):
    date_from = UKDateField(
        label="start of the period", help_text="Episodes open at any time in this period. For example, 1 4 2026"
    )
    date_to = UKDateField(label="end of the period", help_text="For example, 31 3 2027")
    code_set = forms.ChoiceField(
        label="Which file do you need?",
        choices=[
            ("national", "National return: DfE item codes PREP001A to PREP024A, dates as DD/MM/YYYY"),
            ("ssd", "Standard Safeguarding Dataset: the ssd_pre_proceedings table, dates as YYYY-MM-DD"),
        ],
        initial="national",
        required=False,  # an address without it (older bookmarks) means the national return
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select which file you need"},
    )
    submit_label = "Check and download"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end of the period must be on or after its start")
        return data


class RestrictionForm(GOVUKForm):
    """Restrict a case, lift the restriction or change who is named (heads of service and service managers)."""

    restricted = forms.BooleanField(
        label="Restricted case (for example, a member of staff's family): only the people named can see it",
        required=False,
    )
    restricted_to = StaffWithRolesField(
        label="People who may see the case while it is restricted",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only these people will see the case, whatever their role. The allocated social worker "
        "and team manager stay named while they are allocated.",
    )
    reason = forms.CharField(
        label="Why is the restriction being changed?",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Enter why the restriction is being changed"},
        help_text="This is kept in the audit trail with your name.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "restricted_to").queryset = (
            User.objects.filter(is_active=True)
            .exclude(groups__name=Role.ADMINISTRATOR.label)
            .exclude(groups=None)
            .distinct()
            .order_by("first_name", "last_name")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("restricted") and not data.get("restricted_to"):
            self.add_error("restricted_to", "Name at least one person who may see a restricted case")
        return data


class CloseForm(GOVUKForm):
    closed_on = UKDateField(label="date closed")
    reason = forms.CharField(
        label="Why is the record being closed?",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Enter why the record is being closed"},
    )
    submit_label = "Close the record"


class ReopenForm(GOVUKForm):
    submit_label = "Reopen the record"


class ExitLetterForm(GOVUKForm):
    exit_letter_on = UKDateField(label="date the exit letter was given to the family")
    submit_label = "Save"


class SignedAgreementForm(GOVUKForm):
    agreement_signed_on = UKDateField(
        label="date the signed agreement was attached after the review meeting",
        help_text="The pre-proceedings agreement, signed by all, in the documents on the child's record",
        required=False,
    )
    final_agreement_signed_on = UKDateField(
        label="date the signed updated agreement was attached after the final meeting", required=False
    )
    submit_label = "Save"


class ProposedAgreementForm(GOVUKForm):
    sent_on = UKDateField(
        label="date sent to legal",
        help_text="The date the social work team sent the proposed pre-proceedings agreement to the legal adviser",
    )
    submit_label = "Save"
