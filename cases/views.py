"""Screens for families, children and episodes: home, lists, the case page and each step's form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Set as AbstractSet
from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.access import SignedInRequest, allow
from accounts.roles import (
    ALL_STAFF,
    ASSESSMENT_ROLES,
    CASE_READERS,
    COST_APPROVAL_ROLES,
    COURT_ROLES,
    DELIVERY_ROLES,
    END_ROLES,
    EXPORT_ROLES,
    EXTENSION_ROLES,
    FAMILY_OPENERS,
    LETTER_ROLES,
    LPM_ROLES,
    MEETING_ROLES,
    PPM_ROLES,
    WAIVE_ROLES,
    Role,
)
from accounts.scopes import RESTRICTION_MANAGERS, can_manage_restriction
from cases.scopes import (
    assessments_visible_to,
    children_visible_to,
    episodes_visible_to,
    families_visible_to,
    persons_visible_to,
    proceedings_visible_to,
)
from deadlines.scopes import deadlines_visible_to
from deadlines.services import deadline_waive
from meetings.models import LPMKind, LPMOutcome, MeetingKind, RequestStatus
from meetings.scopes import lpm_requests_visible_to
from plo_tracker.forms import GOVUKForm
from plo_tracker.once import ALREADY_SAVED, ONCE_FIELD, AlreadySaved, create_once, once_form
from plo_tracker.stepview import StepView

from . import selectors, services
from .forms import (
    AssessmentForm,
    ChildForm,
    CloseForm,
    CostApprovalForm,
    CourtExtensionForm,
    DeliveryForm,
    EndForm,
    ExitLetterForm,
    ExtensionForm,
    FamilyEditForm,
    FamilyForm,
    HearingForm,
    LetterForm,
    NationalExportForm,
    PersonForm,
    ProceedingsForm,
    ProposedAgreementForm,
    ReopenForm,
    RestrictionForm,
    SignedAgreementForm,
    WaiveForm,
)
from .models import EndOutcome, Episode, Stage

R = Role


@allow(ALL_STAFF)
@require_safe
def home(request: SignedInRequest) -> HttpResponse:
    """The signed-in user's home page: what their role needs first."""
    user = request.user
    today = timezone.localdate()
    context: dict[str, Any] = {"today": today}
    if user.has_role(R.SOCIAL_WORKER, R.TEAM_MANAGER):
        context["my_cases"] = selectors.my_cases(user, today=today)[:10]
    if user.has_role(R.HEAD_OF_SERVICE):
        context["awaiting_decision"] = list(
            lpm_requests_visible_to(user)
            .filter(status__in=[RequestStatus.AWAITING, RequestStatus.DEFERRED], episode__ended_on__isnull=True)
            .select_related("episode__family", "requested_by")
            .order_by("requested_on")
        )
    # What each role does today (issue 13 §4): meetings, dates, advice, escalations, own actions.
    from deadlines.services import calendar_current
    from tracker_meetings.today import role_today

    context["work"] = role_today(user=user, today=today, calendar=calendar_current())
    return render(request, "cases/home.html", context)


@allow(CASE_READERS)
@require_safe
def family_list(request: SignedInRequest) -> HttpResponse:
    """Every family the user may see, with a search by name, reference or case-system ID."""
    query = request.GET.get("q", "")[:100]
    families = list(selectors.family_search(request.user, query)[:500])
    return render(
        request,
        "cases/family_list.html",
        {
            "families": families,
            "query": query,
            "can_open": request.user.has_role(*FAMILY_OPENERS),
        },
    )


@allow(frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER}))
@require_safe
def my_cases(request: SignedInRequest) -> HttpResponse:
    """A social worker's (or team manager's) own cases, most urgent first."""
    today = timezone.localdate()
    return render(
        request, "cases/my_cases.html", {"rows": selectors.my_cases(request.user, today=today), "today": today}
    )


@allow(CASE_READERS)
@require_safe
def family_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """The case page: children, parents, what's due next, the timeline and every step recorded."""
    family = selectors.family_get(request.user, pk)
    today = timezone.localdate()
    user = request.user
    page = selectors.case_page(family, today=today, user=user)
    can_edit = selectors.can_edit(user, family)
    return render(
        request,
        "cases/family_detail.html",
        {
            "page": page,
            "family": family,
            "episode": page.episode,
            "today": today,
            "can_edit": can_edit,
            # The legal adviser and the assistant director see the case but do not change the family.
            "can_change_family": can_edit and user.has_role(*FAMILY_OPENERS),
            "can_record_court": can_edit and user.has_role(*COURT_ROLES),
            "can_see_legal_advice": selectors.can_see_legal_advice(user, family),
            "actions": case_actions(user, family, page.episode) if can_edit else [],
            "can_waive": can_edit and user.has_role(*WAIVE_ROLES),
            "can_edit_assessments": can_edit and user.has_role(*ASSESSMENT_ROLES),
            "can_approve_costs": can_edit and user.has_role(R.HEAD_OF_SERVICE),
            "can_record_advice": user.has_role(R.LEGAL_ADVISER, R.HEAD_OF_SERVICE),
            "can_edit_lpm": can_edit and user.has_role(*LPM_ROLES),
            "can_edit_meetings": can_edit and user.has_role(*MEETING_ROLES),
            "can_edit_ppm": can_edit and user.has_role(*PPM_ROLES),
            "can_restrict": can_edit and can_manage_restriction(user),
            "named": list(selectors.restriction_named(family)) if family.restricted else [],
        },
    )


def case_actions(user: Any, family: Any, episode: Episode | None) -> list[tuple[str, str]]:
    """The steps this user can record next on this case, in the order the PLO takes them."""
    from accounts.roles import REQUEST_ROLES
    from meetings.services import lpm_request_in_preparation

    def can(roles: AbstractSet[Role]) -> bool:
        return bool(user.roles & roles)

    actions: list[tuple[str, str]] = []
    open_episode = episode is not None and (episode.ended_on is None)
    if not open_episode and can(REQUEST_ROLES | {R.SOCIAL_WORKER}) and family.children.exists():
        # 002 §4: the social worker prepares the request; the team manager reviews it and makes it.
        prepared = lpm_request_in_preparation(family)
        if can(REQUEST_ROLES):
            label = "Review the prepared LPM request and make it" if prepared else "Request a legal planning meeting"
            actions.append((label, reverse("meetings:lpm-request", args=[family.pk])))
        else:
            label = "Change the prepared LPM request" if prepared else "Prepare an LPM request"
            actions.append((label, reverse("meetings:lpm-request-prepare", args=[family.pk])))
    if episode is not None and open_episode:
        request = getattr(episode, "lpm_request", None)
        lpms = list(episode.lpms.all())
        if request and request.status in (RequestStatus.AWAITING, RequestStatus.DEFERRED) and can({R.HEAD_OF_SERVICE}):
            actions.append(("Decide on the LPM request", reverse("meetings:lpm-request-decide", args=[request.pk])))
        if request and can(REQUEST_ROLES) and episode.stage == Stage.LPM:
            actions.append(
                ("Update the document checklist", reverse("meetings:lpm-request-documents", args=[request.pk]))
            )
        if request and request.status == RequestStatus.APPROVED and not lpms and can(LPM_ROLES):
            actions.append(("List the case at a panel", reverse("meetings:lpm-list", args=[episode.pk])))
        if (
            any(x.outcome == LPMOutcome.DEFER for x in lpms)
            and episode.stage == Stage.LPM
            and not any(x.kind == LPMKind.FURTHER and not x.outcome for x in lpms)
            and can(LPM_ROLES)
        ):
            actions.append(
                ("List a further LPM", reverse("meetings:lpm-list", args=[episode.pk]) + f"?kind={LPMKind.FURTHER}")
            )
        for lpm in lpms:
            if not lpm.outcome and can(LPM_ROLES):
                actions.append(
                    (
                        f"Record the outcome of the {lpm.get_kind_display().lower()} on {lpm.panel_date:%d %b %Y}",
                        reverse("meetings:lpm-outcome", args=[lpm.pk]),
                    )
                )
        rule_keys = _policy_rule_keys(episode)
        if episode.stage == Stage.LPM and lpms and "letter_to_legal" in rule_keys and can(LETTER_ROLES):
            # 002 App. 2: the draft letter goes to the lawyer the day before the LPM.
            actions.append(("Letter before proceedings", reverse("cases:letter", args=[episode.pk])))
        if episode.stage == Stage.PRE_PROCEEDINGS:
            if can(LETTER_ROLES):
                actions.append(("Letter before proceedings", reverse("cases:letter", args=[episode.pk])))
            if "proposed_agreement_to_legal" in rule_keys and can(LETTER_ROLES):
                actions.append(
                    (
                        "Record the proposed agreement sent to legal",
                        reverse("cases:proposed-agreement", args=[episode.pk]),
                    )
                )
            if "signed_agreement" in rule_keys and can(LETTER_ROLES):
                actions.append(("Record the signed agreement", reverse("cases:signed-agreement", args=[episode.pk])))
            delivered = {d.person_id for d in episode.letter_deliveries.all()}
            waiting = [p for p in family.people.all() if p.parental_responsibility and p.pk not in delivered]
            if can(DELIVERY_ROLES) and waiting:
                actions.append(
                    ("Record the letter being delivered", reverse("cases:letter-deliver", args=[episode.pk]))
                )
            if can(MEETING_ROLES):
                meetings = list(episode.meetings.all())
                kinds = {m.kind for m in meetings}
                if MeetingKind.INITIAL not in kinds:
                    actions.append(
                        (
                            "Book or record the initial meeting",
                            reverse("meetings:meeting-add", args=[episode.pk]) + "?kind=initial_meeting",
                        )
                    )
                else:
                    actions.append(
                        (
                            "Book or record a review meeting",
                            reverse("meetings:meeting-add", args=[episode.pk]) + "?kind=review_meeting",
                        )
                    )
                    if MeetingKind.FINAL not in kinds:
                        actions.append(
                            (
                                "Book or record the final meeting",
                                reverse("meetings:meeting-add", args=[episode.pk]) + "?kind=final_meeting",
                            )
                        )
            if can(LPM_ROLES):
                actions.append(
                    (
                        "List a legal gateway review",
                        reverse("meetings:lpm-list", args=[episode.pk]) + f"?kind={LPMKind.REVIEW}",
                    )
                )
            if can(ASSESSMENT_ROLES):
                actions.append(("Add an assessment", reverse("cases:assessment-add", args=[episode.pk])))
            if can({R.HEAD_OF_SERVICE}):
                actions.append(("Agree an extension", reverse("cases:extension", args=[episode.pk])))
            if can(END_ROLES):
                actions.append(("End pre-proceedings", reverse("cases:episode-end", args=[episode.pk])))
    stepped_down = episode is not None and episode.end_outcome in (EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN)
    if episode is not None and stepped_down and not episode.exit_letter_on and can(END_ROLES):
        actions.append(("Record the exit letter", reverse("cases:exit-letter", args=[episode.pk])))
    if episode is not None and episode.stage == Stage.PROCEEDINGS and can(COURT_ROLES):
        actions.append(("Update the care proceedings", reverse("cases:proceedings", args=[episode.pk])))
        if getattr(episode, "proceedings", None) is not None and episode.proceedings.issued_on:
            actions.append(("Add a court hearing", reverse("cases:hearing-add", args=[episode.pk])))
            actions.append(
                (
                    "Record the court's extension of the 26 weeks",
                    reverse("cases:court-extension", args=[episode.pk]),
                )
            )
    if can(PPM_ROLES) and family.children.exists():
        actions.append(("Record a permanency planning meeting", reverse("meetings:ppm-add", args=[family.pk])))
    return actions


def _policy_rule_keys(episode: Episode) -> frozenset[str]:
    """The milestone keys of the policy version the episode is pinned to."""
    from deadlines.services import policy_for

    try:
        return frozenset(rule.key for rule in policy_for(episode).rules)
    except LookupError:
        return frozenset()


# --- Families, children, parents --------------------------------------------------------------


@allow(FAMILY_OPENERS)
def family_create(request: SignedInRequest) -> HttpResponse:
    """Open a new PLO family group."""
    user = request.user
    form = once_form(FamilyForm)(
        data=request.POST or None,
        initial={
            "team": user.team_id,
            "social_worker": user.pk if user.has_role(R.SOCIAL_WORKER) else None,
            "team_manager": user.pk if user.has_role(R.TEAM_MANAGER) else None,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            family = create_once(
                token=data[ONCE_FIELD],
                by=user,
                create=lambda: services.family_create(
                    reference=data["reference"],
                    name=data["name"],
                    team=data["team"],
                    social_worker=data["social_worker"],
                    team_manager=data["team_manager"],
                    by=user,
                ),
            )
        except AlreadySaved as already:
            messages.info(request, ALREADY_SAVED)
            done = reverse("cases:family-detail", args=[already.record.pk]) if already.record else None
            return HttpResponseRedirect(done or reverse("cases:family-list"))
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{family.name} has been added. Now add the children and parents.")
            return HttpResponseRedirect(reverse("cases:family-detail", args=[family.pk]))
    return render(
        request,
        "step_form.html",
        {"form": form, "title": "Add a family", "caption": "Families", "back_url": reverse("cases:family-list")},
    )


class FamilyEdit(StepView):
    form_class = FamilyEditForm
    title = "Change the family's details"
    success_message = "The family's details have been updated"

    scope = families_visible_to

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"family": self.family}

    def get_initial(self) -> dict[str, Any]:
        f = self.family
        return {
            "version": f.version,
            "reference": f.reference,
            "name": f.name,
            "team": f.team_id,
            "social_worker": f.social_worker_id,
            "team_manager": f.team_manager_id,
        }

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.family_update(
            family=self.family,
            expected_version=d["version"],
            by=self.request.user,
            reference=d["reference"],
            name=d["name"],
            team=d["team"],
            social_worker=d["social_worker"],
            team_manager=d["team_manager"],
        )


class FamilyRestrictionEdit(StepView):
    form_class = RestrictionForm
    title = "Restrict the case or change who may see it"
    intro = (
        "A restricted case (for example, a member of staff's family) is seen only by the people named on it, "
        "whatever their role. Anyone else who looks for it is told the page was not found."
    )
    success_message = "Who may see the case has been saved"
    scope = families_visible_to

    def get_initial(self) -> dict[str, Any]:
        f = self.family
        return {
            "version": f.version,
            "restricted": f.restricted,
            "restricted_to": list(f.restricted_to.values_list("pk", flat=True)),
        }

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.family_restrict(
            family=self.family,
            restricted=d["restricted"],
            people=list(d["restricted_to"]),
            reason=d["reason"],
            expected_version=d["version"],
            by=self.request.user,
        )


class FamilyClose(StepView):
    form_class: type[GOVUKForm] = CloseForm
    title = "Close the family's record"
    intro = (
        "Records are never deleted. Closing keeps everything, with who closed it, when and why; "
        "a closed record can be reopened."
    )
    success_message = "The record has been closed"

    scope = families_visible_to

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.family.version, "closed_on": timezone.localdate()}

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.family_close(
            family=self.family,
            expected_version=d["version"],
            closed_on=d["closed_on"],
            reason=d["reason"],
            by=self.request.user,
        )


class FamilyReopen(FamilyClose):
    form_class = ReopenForm
    title = "Reopen the family's record"
    success_message = "The record has been reopened"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        f = self.family
        closed = f"Closed on {f.closed_on:%d %b %Y} by {f.closed_by}: {f.closed_reason}" if f.closed_on else ""
        return super().get_context_data(intro=closed or "This record is not closed.", **kwargs)

    def perform(self, form: Any) -> Any:
        return services.family_reopen(family=self.family, by=self.request.user)


class ChildAdd(StepView):
    form_class = ChildForm
    creates_record = True
    title = "Add a child"
    success_message = "The child has been added"

    scope = families_visible_to
    creates = True

    def get_initial(self) -> dict[str, Any]:
        return {"last_name": self.family.name.split()[0] if self.family.name else ""}

    def perform(self, form: Any) -> Any:
        d = dict(form.cleaned_data)
        d.pop("version", None)
        return services.child_create(family=self.family, by=self.request.user, **d)


_CHILD_FIELDS = [
    "first_name",
    "last_name",
    "date_of_birth",
    "expected_date_of_birth",
    "gender",
    "case_system_id",
    "legal_status",
    "cp_plan_count",
    "previous_pre_proceedings",
    "previous_care_proceedings",
]


class ChildEdit(StepView):
    form_class = ChildForm
    title = "Change the child's details"
    success_message = "The child's details have been updated"

    scope = children_visible_to
    family_path = "family"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"child": self.obj}

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.obj.version, **{f: getattr(self.obj, f) for f in _CHILD_FIELDS}}

    def perform(self, form: Any) -> Any:
        d = dict(form.cleaned_data)
        version = d.pop("version")
        return services.child_update(child=self.obj, expected_version=version, by=self.request.user, **d)


_PERSON_FIELDS = [
    "full_name",
    "relationship",
    "parental_responsibility",
    "address",
    "phone",
    "language",
    "interpreter_needed",
    "support_kind",
    "support_contact",
    "solicitor_name",
    "solicitor_firm",
    "solicitor_email",
    "solicitor_phone",
    "legally_represented",
]


class PersonAdd(StepView):
    form_class = PersonForm
    creates_record = True
    title = "Add a parent or person with parental responsibility"
    success_message = "The person has been added"

    scope = families_visible_to
    creates = True

    def perform(self, form: Any) -> Any:
        d = dict(form.cleaned_data)
        d.pop("version", None)
        return services.person_create(family=self.family, by=self.request.user, **d)


class PersonEdit(StepView):
    form_class = PersonForm
    title = "Change a parent's details"
    success_message = "The details have been updated"

    scope = persons_visible_to
    family_path = "family"

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.obj.version, **{f: getattr(self.obj, f) for f in _PERSON_FIELDS}}

    def perform(self, form: Any) -> Any:
        d = dict(form.cleaned_data)
        version = d.pop("version")
        return services.person_update(person=self.obj, expected_version=version, by=self.request.user, **d)


# --- Episode steps ----------------------------------------------------------------------------


class EpisodeStep(StepView):
    """A step on an episode: the URL carries the episode's id."""

    scope = episodes_visible_to
    family_path = "family"


class LetterUpdate(EpisodeStep):
    form_class = LetterForm
    title = "Letter before proceedings"
    intro = "Record each stage of the letter as it happens. Record delivery to each parent separately."
    success_message = "The letter's dates have been saved"

    def get_initial(self) -> dict[str, Any]:
        e = self.obj
        return {
            "version": e.version,
            "letter_drafted_on": e.letter_drafted_on,
            "letter_to_legal_on": e.letter_to_legal_on,
            "letter_approved_on": e.letter_approved_on,
            "letter_due_on": e.letter_due_on,
        }

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.letter_update(
            episode=self.obj,
            expected_version=d["version"],
            letter_drafted_on=d["letter_drafted_on"],
            letter_to_legal_on=d["letter_to_legal_on"],
            letter_approved_on=d["letter_approved_on"],
            letter_due_on=d["letter_due_on"],
            by=self.request.user,
        )


class LetterDeliver(EpisodeStep):
    form_class = DeliveryForm
    event_fields: ClassVar[dict[str, str]] = {"letter_before_proceedings": "delivered_on"}
    creates_record = True
    title = "Record the letter being delivered"
    intro = "Delivery entitles the parent to non-means-tested legal help, so record the date it happened."
    success_message = "The delivery has been recorded"

    def get_form_kwargs(self) -> dict[str, Any]:
        delivered = self.obj.letter_deliveries.values_list("person_id", flat=True)
        return {"people": self.family.people.filter(parental_responsibility=True).exclude(pk__in=delivered)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if not kwargs["form"].fields["person"].queryset.exists():
            kwargs["intro"] = (
                "The letter has already been recorded as delivered to every parent with parental "
                "responsibility. If someone is missing, add them to the family first."
            )
        return super().get_context_data(**kwargs)

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.letter_deliver(
            episode=self.obj,
            person=d["person"],
            delivered_on=d["delivered_on"],
            method=d["method"],
            address=d["address"],
            no_address_reason=d["no_address_reason"],
            by=self.request.user,
        )


class ExtensionAgree(EpisodeStep):
    form_class = ExtensionForm
    creates_record = True
    title = "Agree an extension"
    success_message = "The extension has been recorded and the deadlines moved"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from deadlines.services import policy_for

        policy = policy_for(self.obj)
        used = sum(e.weeks for e in self.obj.extensions.all())
        limit = (
            f"by up to {policy.max_extension_weeks} weeks in all"
            if policy.max_extension_weeks is not None
            else "for as long as is needed (its protocol sets no maximum), with the reasons recorded"
        )
        intro = (
            f"{policy.title} allows pre-proceedings to be extended {limit}, only where it is necessary and "
            f"meaningful for the children. {used} week{'s' if used != 1 else ''} already agreed."
        )
        return super().get_context_data(intro=intro, **kwargs)

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.extension_agree(
            episode=self.obj, weeks=d["weeks"], agreed_on=d["agreed_on"], rationale=d["rationale"], by=self.request.user
        )


class SignedAgreement(EpisodeStep):
    form_class = SignedAgreementForm
    title = "Record the signed pre-proceedings agreement"
    intro = (
        "After the review meeting, and again after the final meeting, the agreement signed by all is attached "
        "to the child's record (002 Appendix 2: within a week, and within five working days)."
    )
    success_message = "The signed agreement has been recorded"

    def get_initial(self) -> dict[str, Any]:
        return {
            "version": self.obj.version,
            "agreement_signed_on": self.obj.agreement_signed_on,
            "final_agreement_signed_on": self.obj.final_agreement_signed_on,
        }

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.signed_agreement_record(
            episode=self.obj,
            agreement_signed_on=d["agreement_signed_on"],
            final_agreement_signed_on=d["final_agreement_signed_on"],
            by=self.request.user,
        )


class ProposedAgreement(EpisodeStep):
    form_class = ProposedAgreementForm
    event_fields: ClassVar[dict[str, str]] = {"proposed_agreement_to_legal": "sent_on"}
    title = "Record the proposed agreement sent to legal"
    intro = (
        "The social work team sends the proposed pre-proceedings agreement to the legal adviser for comment "
        "two working days before the initial meeting."
    )
    success_message = "The date the proposed agreement was sent to legal has been recorded"

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.obj.version, "sent_on": self.obj.proposed_agreement_to_legal_on}

    def perform(self, form: Any) -> Any:
        return services.proposed_agreement_record(
            episode=self.obj, sent_on=form.cleaned_data["sent_on"], by=self.request.user
        )


class ExitLetter(EpisodeStep):
    form_class = ExitLetterForm
    title = "Record the exit letter"
    intro = "The reflective exit letter is given to the family within 5 days of stepping down (000)."
    success_message = "The exit letter has been recorded"

    def perform(self, form: Any) -> Any:
        return services.exit_letter_record(
            episode=self.obj, exit_letter_on=form.cleaned_data["exit_letter_on"], by=self.request.user
        )


class EpisodeEnd(EpisodeStep):
    form_class = EndForm
    template_name = "cases/episode_end.html"
    title = "End pre-proceedings"
    success_message = "The end of pre-proceedings has been recorded"

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.obj.version}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from deadlines.models import DeadlineState

        episode = self.obj
        closing = [
            d
            for d in deadlines_visible_to(self.request.user)
            .filter(episode=episode, state=DeadlineState.OPEN)
            .order_by("due_on", "provisional_on", "id")
            if not d.key.startswith(("draft_minutes:", "approved_minutes:"))  # minutes of held meetings stay owed
        ]
        start = episode.decision_date or episode.started_on
        intro = f"Pre-proceedings started on {_uk(start)}; the end date cannot be before that."
        return super().get_context_data(intro=intro, closing=closing, **kwargs)

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.episode_end(
            episode=self.obj,
            expected_version=d["version"],
            ended_on=d["ended_on"],
            end_outcome=d["end_outcome"],
            end_decision_date=d["end_decision_date"],
            exit_letter_on=d["exit_letter_on"],
            end_reason=d["end_reason"],
            by=self.request.user,
        )


_ASSESSMENT_FIELDS = [
    "kind",
    "child",
    "description",
    "provider",
    "instructed_on",
    "due_on",
    "completed_on",
    "on_file_on",
    "cost",
    "cost_approval_needed",
]


class AssessmentAdd(EpisodeStep):
    form_class = AssessmentForm
    creates_record = True
    title = "Add an assessment"
    success_message = "The assessment has been added"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"children": self.family.children.all()}

    def perform(self, form: Any) -> Any:
        d = {k: form.cleaned_data[k] for k in _ASSESSMENT_FIELDS}
        return services.assessment_create(episode=self.obj, by=self.request.user, **d)


class AssessmentEdit(StepView):
    form_class: type[GOVUKForm] = AssessmentForm
    title = "Update an assessment"
    success_message = "The assessment has been updated"

    scope = assessments_visible_to
    family_path = "episode.family"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"children": self.family.children.all()}

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.obj.version, **{f: getattr(self.obj, f) for f in _ASSESSMENT_FIELDS}}

    def perform(self, form: Any) -> Any:
        d = {k: form.cleaned_data[k] for k in _ASSESSMENT_FIELDS}
        return services.assessment_update(
            assessment=self.obj, expected_version=form.cleaned_data["version"], by=self.request.user, **d
        )


class AssessmentApproveCost(AssessmentEdit):
    form_class = CostApprovalForm
    title = "Approve the cost of an assessment"
    success_message = "The cost has been approved"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {}

    def get_initial(self) -> dict[str, Any]:
        return {"approved_on": timezone.localdate()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        a = self.obj
        intro = f"{a.get_kind_display()} by {a.provider}: £{a.cost or 0:,.2f}."
        return super().get_context_data(intro=intro, **kwargs)

    def perform(self, form: Any) -> Any:
        return services.assessment_approve_cost(
            assessment=self.obj, approved_on=form.cleaned_data["approved_on"], by=self.request.user
        )


_PROCEEDINGS_FIELDS = [
    "letter_of_issue_on",
    "swet_to_legal_on",
    "issued_on",
    "final_evidence_filed_on",
    "irh_advocates_meeting_on",
    "court_reference",
    "short_notice",
    "parents_represented_at_issue",
    "short_notice_reason",
    "initial_care_plan",
    "initial_plan_approved",
    "final_care_plan",
    "final_plan_approved",
]


class ProceedingsEdit(EpisodeStep):
    form_class: type[GOVUKForm] = ProceedingsForm
    title = "Care proceedings"
    success_message = "The care proceedings have been updated"

    scope = proceedings_visible_to
    lookup = "episode_id"
    family_path = "episode.family"
    event_fields: ClassVar[dict[str, str]] = {
        "letter_of_issue": "letter_of_issue_on",
        "swet_to_legal": "swet_to_legal_on",
        "proceedings_issued": "issued_on",
        "la_final_evidence": "final_evidence_filed_on",
        "irh_advocates_meeting": "irh_advocates_meeting_on",
    }

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.obj.version, **{f: getattr(self.obj, f) for f in _PROCEEDINGS_FIELDS}}

    def perform(self, form: Any) -> Any:
        d = {k: form.cleaned_data[k] for k in _PROCEEDINGS_FIELDS}
        return services.proceedings_update(
            proceedings=self.obj, expected_version=form.cleaned_data["version"], by=self.request.user, **d
        )


class HearingAdd(ProceedingsEdit):
    form_class = HearingForm
    creates_record = True
    title = "Add a court hearing"
    success_message = "The hearing has been added"

    def get_initial(self) -> dict[str, Any]:
        return {}

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.hearing_record(
            proceedings=self.obj, kind=d["kind"], hearing_date=d["hearing_date"], notes=d["notes"], by=self.request.user
        )


def _uk(day: dt.date) -> str:
    """24 Dec 2026 (brief: UK date formats)."""
    return f"{day.day} {day:%b %Y}"


class CourtExtensionAdd(ProceedingsEdit):
    form_class = CourtExtensionForm
    creates_record = True
    title = "Record the court's extension of the 26 weeks"
    success_message = "The court's extension has been recorded and the final hearing deadline moved"

    def get_initial(self) -> dict[str, Any]:
        return {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        p = self.obj
        intro = (
            "Care proceedings must finish within 26 weeks beginning with the day they were issued. The court can "
            "extend that by no more than 8 weeks at a time, and gives its reasons (Children Act 1989 s32(5))."
        )
        if p.issued_on:
            weeks = 26 + sum(x.weeks for x in p.court_extensions.all())
            limit = p.issued_on + dt.timedelta(days=7 * weeks - 1)
            intro += f" Issued {_uk(p.issued_on)}: the {weeks} weeks end on {_uk(limit)}."
            finals = [h for h in p.hearings.all() if h.kind == "final_hearing"]
            if finals:
                listed = max(finals, key=lambda h: h.pk).hearing_date
                intro += f" The final hearing is listed for {_uk(listed)}."
        return super().get_context_data(intro=intro, **kwargs)

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        return services.court_extension_record(
            proceedings=self.obj,
            weeks=d["weeks"],
            granted_on=d["granted_on"],
            reasons=d["reasons"],
            by=self.request.user,
        )


class DeadlineWaive(StepView):
    form_class = WaiveForm
    title = "Waive a deadline"
    success_message = "The deadline has been waived"

    scope = deadlines_visible_to
    family_path = "episode.family"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        due = self.obj.due_on.strftime("%d %b %Y") if self.obj.due_on else "not yet set"
        return super().get_context_data(intro=f"{self.obj.label} (due {due}).", **kwargs)

    def perform(self, form: Any) -> Any:
        return deadline_waive(deadline=self.obj, reason=form.cleaned_data["reason"], by=self.request.user)


@allow(EXPORT_ROLES)
@require_safe
def national_export(request: SignedInRequest) -> HttpResponse | StreamingHttpResponse:
    """The national pre-proceedings data (DfE items or the SSD table) as CSV, checked first.

    Every row is checked before anything is downloaded: a record with an impossible combination
    is listed as a problem to fix on its case, and the file is refused until none is left.
    """
    from .export_jobs import export_job_wanted, export_queue
    from .exports import export_csv, national_records

    form = NationalExportForm(data=request.GET or None)
    problems: list[Any] = []
    if request.GET and form.is_valid():
        d = form.cleaned_data
        if export_job_wanted(user=request.user, date_from=d["date_from"], date_to=d["date_to"]):
            # A large period is made by a worker (issue 24 §5). Asking again for the same file
            # finds the job already waiting or running, so a reload or second click queues nothing.
            job = export_queue(
                by=request.user, code_set=d["code_set"] or "national", date_from=d["date_from"], date_to=d["date_to"]
            )
            return HttpResponseRedirect(reverse("cases:national-export-job", args=[job.pk]))
        records = national_records(user=request.user, date_from=d["date_from"], date_to=d["date_to"])
        problems = [r for r in records if r.problems]
        if not problems:
            return export_csv(
                records=records, code_set=d["code_set"] or "national", date_from=d["date_from"], date_to=d["date_to"]
            )
    return render(
        request,
        "cases/national_export.html",
        {
            "form": form,
            "problems": problems,
            "title": "Download the national pre-proceedings data",
            "caption": "Reports",
            "back_url": reverse("home"),
            "cancel_label": "Cancel and go back to home",
            "method": "get",
        },
    )


# The export's progress page asks again this often while the job waits or runs.
EXPORT_REFRESH_SECONDS = 2


@allow(EXPORT_ROLES)
@require_safe
def national_export_job(request: SignedInRequest, pk: int) -> HttpResponse:
    """A large national export's progress in words (refreshing itself, no JavaScript needed), then
    its download link, or the records to fix first. Only the person who asked finds it."""
    from .export_jobs import export_job_get
    from .exports import csv_filename
    from .models import ExportState

    job = export_job_get(pk=pk, by=request.user)
    if job is None:
        raise Http404
    running = job.state in (ExportState.QUEUED, ExportState.RUNNING)
    response = render(
        request,
        "cases/national_export_job.html",
        {
            "job": job,
            "running": running,
            "refresh_seconds": EXPORT_REFRESH_SECONDS,
            "progress_text": f"{job.records_done:,} of {job.records_total:,}",
            "filename": csv_filename(code_set=job.code_set, date_from=job.date_from, date_to=job.date_to),
            "title": "Making the national pre-proceedings data" if running else "National pre-proceedings data",
            "again_url": reverse("cases:national-export"),
        },
    )
    if running:
        response["Cache-Control"] = "no-store"
    return response


@allow(EXPORT_ROLES)
@require_safe
def national_export_download(request: SignedInRequest, pk: int) -> HttpResponse:
    """A finished large export's CSV, for the person who asked only."""
    from .export_jobs import export_job_get
    from .exports import csv_filename
    from .models import ExportState

    job = export_job_get(pk=pk, by=request.user)
    if job is None or job.state != ExportState.DONE:
        raise Http404
    response = HttpResponse(job.content, content_type="text/csv; charset=utf-8")
    name = csv_filename(code_set=job.code_set, date_from=job.date_from, date_to=job.date_to)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


family_edit = allow(FAMILY_OPENERS)(FamilyEdit.as_view())
family_restriction = allow(RESTRICTION_MANAGERS)(FamilyRestrictionEdit.as_view())
family_close = allow(WAIVE_ROLES)(FamilyClose.as_view())
family_reopen = allow(WAIVE_ROLES)(FamilyReopen.as_view())
child_add = allow(FAMILY_OPENERS)(ChildAdd.as_view())
child_edit = allow(FAMILY_OPENERS)(ChildEdit.as_view())
person_add = allow(FAMILY_OPENERS)(PersonAdd.as_view())
person_edit = allow(FAMILY_OPENERS)(PersonEdit.as_view())
letter_update = allow(LETTER_ROLES)(LetterUpdate.as_view())
letter_deliver = allow(DELIVERY_ROLES)(LetterDeliver.as_view())
extension_agree = allow(EXTENSION_ROLES)(ExtensionAgree.as_view())
episode_end = allow(END_ROLES)(EpisodeEnd.as_view())
exit_letter = allow(END_ROLES)(ExitLetter.as_view())
proposed_agreement = allow(LETTER_ROLES)(ProposedAgreement.as_view())
signed_agreement = allow(LETTER_ROLES)(SignedAgreement.as_view())
assessment_add = allow(ASSESSMENT_ROLES)(AssessmentAdd.as_view())
assessment_edit = allow(ASSESSMENT_ROLES)(AssessmentEdit.as_view())
assessment_approve_cost = allow(COST_APPROVAL_ROLES)(AssessmentApproveCost.as_view())
proceedings_edit = allow(COURT_ROLES)(ProceedingsEdit.as_view())
hearing_add = allow(COURT_ROLES)(HearingAdd.as_view())
court_extension_add = allow(COURT_ROLES)(CourtExtensionAdd.as_view())
deadline_waive_view = allow(WAIVE_ROLES)(DeadlineWaive.as_view())
