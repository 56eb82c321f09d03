"""Pages: the council's templates (administrator), drafting from a case, a draft's preview and download,
and a tracker meeting's minutes as a Word document."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from accounts.access import SignedInRequest, allow
from accounts.roles import CASE_READERS, LETTER_TEMPLATE_ROLES, TRACKER_ROLES
from cases.models import Episode
from cases.scopes import episodes_visible_to
from cases.selectors import case_page
from plo_tracker.once import ALREADY_SAVED, ONCE_FIELD, AlreadySaved, create_once, once_form
from plo_tracker.stepview import StepView

from . import selectors, services
from .fields import MILESTONES, SCHEMAS, field_paths
from .forms import DraftForm, TemplateUploadForm
from .kinds import CASE_DRAFTERS, CASE_KINDS, DRAFT_ROLES, PARENT_FACING, PER_PARENT, DocumentKind, kind_label
from .models import LetterTemplate
from .rendering import preview_blocks

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _docx(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _field_lists() -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [(kind, label, field_paths(SCHEMAS[kind])) for kind, label in DocumentKind.choices]


# --- Templates (administrator) ----------------------------------------------------------------


@allow(LETTER_TEMPLATE_ROLES)
@require_safe
def template_list(request: SignedInRequest) -> HttpResponse:
    """Each document's template: the version in use, earlier versions, and the fields it may use."""
    for kind in DocumentKind.values:
        services.template_current(kind=kind)  # the shipped ones are stored as version 1 on first use
    return render(
        request,
        "letters/template_list.html",
        {"kinds": selectors.templates_by_kind(), "field_lists": _field_lists(), "milestones": sorted(MILESTONES)},
    )


@allow(LETTER_TEMPLATE_ROLES)
@require_http_methods(["GET", "HEAD", "POST"])
def template_upload(request: SignedInRequest) -> HttpResponse:
    """Upload a council template: checked, then kept as the next version; refused with the reason."""
    form = once_form(TemplateUploadForm)(
        data=request.POST or None, files=request.FILES or None, initial=request.GET or None
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("template")
        if upload is None:  # the same form sent again: create_once answers with the first version
            messages.info(request, ALREADY_SAVED)
            return HttpResponseRedirect(reverse("letters:template-list"))
        if upload.size > 10 * 1024 * 1024:
            form.add_error("template", f"The file is {upload.size / 2**20:.1f} MB: a template must be 10 MB or smaller")
        else:
            try:
                template = create_once(
                    token=form.cleaned_data[ONCE_FIELD],
                    by=request.user,
                    create=lambda: services.template_upload(
                        kind=form.cleaned_data["kind"],
                        language=form.cleaned_data["language"],
                        filename=upload.name or "template.docx",
                        content=upload.read(),
                        by=request.user,
                    ),
                )
            except AlreadySaved:
                messages.info(request, ALREADY_SAVED)
                return HttpResponseRedirect(reverse("letters:template-list"))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"{template} is now in use")
                return HttpResponseRedirect(reverse("letters:template-list"))
    return render(
        request,
        "letters/template_upload.html",
        {
            "form": form,
            "title": "Upload a council template",
            "caption": "Letters and papers",
            "back_url": reverse("letters:template-list"),
            "field_lists": _field_lists(),
            "milestones": sorted(MILESTONES),
        },
    )


@allow(LETTER_TEMPLATE_ROLES)
@require_safe
def template_download(request: SignedInRequest, pk: int) -> HttpResponse:
    """One stored version of a template, as uploaded (or as shipped)."""
    try:
        template = LetterTemplate.objects.get(pk=pk)
    except LetterTemplate.DoesNotExist as exc:
        raise Http404("No such template") from exc
    name = template.filename if template.filename.lower().endswith(".docx") else f"{template.filename}.docx"
    return _docx(name, bytes(template.content))


# --- Drafting from a case ---------------------------------------------------------------------


class DraftCreate(StepView):
    """Draft a document for the family at the step where it is due (one per parent where the
    protocol sends one each). The drafting is recorded; sending it is recorded on the step."""

    allowed_roles = CASE_DRAFTERS
    scope = episodes_visible_to
    family_path = "family"
    form_class = DraftForm
    creates_record = True  # the same form sent twice drafts once (plo_tracker.once, issue 24 §6)
    template_name = "letters/draft_form.html"
    title = "Draft a letter or paper"
    intro = (
        "The document is filled in from this family's record and its timetable, in the council's own Word "
        "template. Check it, then send it and record the date on the step as usual."
    )

    def after_resolve(self) -> None:
        self.page = case_page(self.family, today=timezone.localdate())
        if self.page.episode is None or self.page.episode.pk != self.record.pk:
            raise Http404("Documents are drafted for the family's current episode")
        self.episode: Episode = self.page.episode
        self.kinds = selectors.draftable_kinds(self.request.user, self.page)
        wanted = self.request.POST.get("kind") or self.request.GET.get("kind") or ""
        if wanted in CASE_KINDS and not self.request.user.roles & DRAFT_ROLES[wanted]:
            raise PermissionDenied("Your role does not draft this document.")
        self.kind = wanted if wanted in dict(self.kinds) else ""

    def get_initial(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"kinds": self.kinds}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        blockers = services.draft_blockers(episode=self.episode, kind=self.kind) if self.kind else []
        people = [p for p in self.page.people if p.parental_responsibility]
        return super().get_context_data(
            blockers=blockers,
            kinds=self.kinds,
            kind=self.kind,
            kind_label=kind_label(self.kind).lower() if self.kind else "",
            recipients=people if self.kind in PER_PARENT else [],
            parent_facing=self.kind in PARENT_FACING,
            **kwargs,
        )

    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.kind and services.draft_blockers(episode=self.episode, kind=self.kind):
            form = self.get_form_class()(data=request.POST, initial=self.get_initial(), **self.get_form_kwargs())
            form.is_valid()
            return render(request, self.template_name, self.get_context_data(form=form), status=200)
        return super().post(request, *args, **kwargs)

    def perform(self, form: Any) -> Any:
        d = form.cleaned_data
        drafts = services.draft_create(
            episode=self.record,
            kind=d["kind"],
            meeting_time=d["meeting_time"],
            meeting_place=d["meeting_place"],
            by=self.request.user,
        )
        names = [x.person.full_name for x in drafts if x.person is not None]
        what = kind_label(d["kind"])
        self.success_message = f"{what} drafted" + (f" for {' and '.join(names)}" if names else "")
        return drafts

    def get_success_url(self, result: Any) -> str:
        if not result:  # sent again: the drafts of its first POST are on the case page
            return reverse("cases:family-detail", args=[self.family.pk]) + "#drafts"
        if len(result) == 1:
            return reverse("letters:draft-preview", args=[result[0].pk])
        return reverse("cases:family-detail", args=[self.family.pk]) + "#drafts"


@allow(CASE_READERS)
@require_safe
def draft_preview(request: SignedInRequest, pk: int) -> HttpResponse:
    """A drafted document's text on a page, with who drafted it, when, and whether its dates still hold."""
    draft = selectors.draft_get(request.user, pk)
    family = draft.episode.family
    today = timezone.localdate()
    page = case_page(family, today=today)
    rows = selectors.case_drafts(page, today=today) if page.episode and page.episode.pk == draft.episode_id else []
    row = next((r for r in rows if r.draft.pk == draft.pk), None)
    return render(
        request,
        "letters/preview.html",
        {
            "draft": draft,
            "family": family,
            "row": row,
            "blocks": preview_blocks(bytes(draft.content)),
            "back_url": reverse("cases:family-detail", args=[family.pk]),
        },
    )


@allow(CASE_READERS)
@require_safe
def draft_download(request: SignedInRequest, pk: int) -> HttpResponse:
    """The drafted Word document, exactly as it was drafted."""
    draft = selectors.draft_get(request.user, pk)
    return _docx(draft.filename, bytes(draft.content))


# --- Tracker meeting minutes ------------------------------------------------------------------


@allow(TRACKER_ROLES)
@require_safe
def minutes_download(request: SignedInRequest, pk: int) -> HttpResponse:
    """A tracker meeting's minutes as a Word document from the council's template (no legal advice)."""
    from tracker_meetings.models import TrackerMeeting
    from tracker_meetings.scopes import tracker_meetings_visible_to

    try:
        meeting = tracker_meetings_visible_to(request.user).select_related("chair", "prepared_by").get(pk=pk)
    except TrackerMeeting.DoesNotExist as exc:
        raise Http404("No such meeting") from exc
    filename, content = services.minutes_document(meeting=meeting, user=request.user, today=timezone.localdate())
    return _docx(filename, content)
