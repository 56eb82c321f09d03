"""Writes: storing a council's template (checked first, kept as a new version) and drafting documents."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import LETTER_TEMPLATE_ROLES
from accounts.scopes import authorize
from cases.models import EndOutcome, Episode, Person, Stage
from cases.scopes import episodes_visible_to
from cases.selectors import case_page

from . import validation
from .context import Filled, case_context
from .defaults import default_template
from .fields import SCHEMAS, sample_value
from .kinds import CASE_KINDS, DRAFT_ROLES, PER_PARENT, DocumentKind, kind_label
from .models import Draft, LetterTemplate
from .rendering import render_docx, template_source

K = DocumentKind


# --- Templates --------------------------------------------------------------------------------


def template_check(*, kind: str, filename: str, content: bytes) -> list[str]:
    """Every field the template uses (ValidationError naming each problem if it cannot be used)."""
    validation.check_file(name=filename, size=len(content), content=content)
    try:
        source = template_source(content)
    except Exception as exc:  # python-docx and lxml raise many kinds on a damaged file
        raise ValidationError("The file is not a Word document (.docx) that can be read") from exc
    found = validation.check_template_source(source, kind)
    problems = list(found.problems)
    if found.unknown:
        problems.append(validation.unknown_fields_message(found.unknown, kind))
    if problems:
        raise ValidationError(problems)
    # Fill it in once with sample values, so a template that cannot be filled is refused now, not
    # when a social worker drafts a letter.
    render_docx(content, sample_value(SCHEMAS[kind]))
    return sorted(found.used)


@transaction.atomic
def template_upload(*, kind: str, language: str = "", filename: str, content: bytes, by: User) -> LetterTemplate:
    """Store a council's template as the next version of its kind (and language), once checked."""
    authorize(by, LETTER_TEMPLATE_ROLES)
    if kind not in SCHEMAS:
        raise ValidationError({"kind": ["Select which document this template is for"]})
    language = language.strip()
    try:
        used = template_check(kind=kind, filename=filename, content=content)
    except ValidationError as exc:
        raise ValidationError({"template": exc.messages}) from exc
    if not language:
        template_current(kind=kind)  # the shipped template stays version 1
    # One upload at a time per kind, so two cannot both become the same version.
    LetterTemplate.objects.select_for_update().filter(kind=kind).exists()
    latest = LetterTemplate.objects.filter(kind=kind, language__iexact=language).order_by("-version").first()
    if latest is not None:
        language = latest.language  # keep the spelling already used
    template = LetterTemplate(
        kind=kind,
        language=language,
        version=(latest.version + 1) if latest else 1,
        filename=filename[:200],
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        fields_used=used,
        uploaded_by=by,
        uploaded_at=timezone.now(),
    )
    template.full_clean()
    template.save()
    return template


def template_current(*, kind: str, language: str = "") -> LetterTemplate:
    """The latest version of the council's template for this kind (in this language, if one was
    uploaded; else in English); the shipped template is stored as version 1 the first time."""
    if language.strip():
        found = LetterTemplate.objects.filter(kind=kind, language__iexact=language.strip()).order_by("-version").first()
        if found is not None:
            return found
    found = LetterTemplate.objects.filter(kind=kind, language="").order_by("-version").first()
    if found is not None:
        return found
    content = default_template(kind)
    try:
        with transaction.atomic():
            return LetterTemplate.objects.create(
                kind=kind,
                language="",
                version=1,
                filename=f"{kind.replace('_', '-')}.docx",
                content=content,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                fields_used=template_check(kind=kind, filename="default.docx", content=content),
                uploaded_by=None,
                uploaded_at=timezone.now(),
            )
    except IntegrityError:  # stored by someone else at the same moment
        return LetterTemplate.objects.get(kind=kind, language="", version=1)


# --- Drafts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocker:
    """Something to record before a document can be drafted, and the page to record it on."""

    message: str
    url: str


def draft_due(episode: Episode, kind: str) -> str:
    """Why this document cannot be drafted at the episode's step ("" when it is due)."""
    lpms = list(episode.lpms.all())
    if kind == K.LPM_COVER_SHEET:
        ok = getattr(episode, "lpm_request", None) is not None and episode.is_open
        return "" if ok else "The cover sheet goes with an LPM request: request an LPM first"
    if kind == K.LETTER_BEFORE_PROCEEDINGS:
        ok = episode.is_open and (episode.stage == Stage.PRE_PROCEEDINGS or (episode.stage == Stage.LPM and bool(lpms)))
        return "" if ok else "The letter before proceedings is drafted once the case is listed at an LPM"
    if kind == K.AGREEMENT:
        ok = episode.is_open and episode.stage == Stage.PRE_PROCEEDINGS
        return "" if ok else "The pre-proceedings agreement is drafted once pre-proceedings have started"
    if kind == K.EXIT_LETTER:
        ok = episode.end_outcome in (EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN)
        return "" if ok else "The exit letter is drafted once pre-proceedings have ended with a step down"
    if kind == K.LETTER_OF_ISSUE:
        ok = getattr(episode, "proceedings", None) is not None
        return "" if ok else "The letter of issue is drafted once the decision to issue care proceedings is recorded"
    return "This document is not drafted from a case"


def draft_blockers(*, episode: Episode, kind: str) -> list[Blocker]:
    """What must be recorded on the family before this document can be drafted, with where."""
    family = episode.family
    parents = [p for p in family.people.all() if p.parental_responsibility]
    blockers = []
    if (kind in PER_PARENT or kind == K.AGREEMENT) and not parents:
        blockers.append(
            Blocker(
                "No parent or person with parental responsibility is recorded: add them first",
                reverse("cases:person-add", args=[family.pk]),
            )
        )
    if kind in PER_PARENT:
        for person in parents:
            if not person.address.strip():
                blockers.append(
                    Blocker(
                        f"No address is recorded for {person.full_name}: record their address first",
                        reverse("cases:person-edit", args=[person.pk]),
                    )
                )
    return blockers


def _filename(family_name: str, kind: str, person: Person | None, today: dt.date) -> str:
    words = [kind_label(kind).split(" (")[0], family_name, person.full_name if person else "", f"{today:%Y-%m-%d}"]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", " ".join(w for w in words if w)).strip("-")
    return f"{slug[:150]}.docx"


@transaction.atomic
def draft_create(
    *,
    episode: Episode,
    kind: str,
    meeting_time: str = "",
    meeting_place: str = "",
    by: User,
    today: dt.date | None = None,
) -> list[Draft]:
    """Draft the document for this family from the council's template: one per parent with parental
    responsibility where the protocol sends one each (in their language where a template exists)."""
    if kind not in CASE_KINDS:
        raise ValidationError({"kind": ["Select which document to draft"]})
    family = episode.family
    authorize(by, DRAFT_ROLES[kind], family)
    if not episodes_visible_to(by).filter(pk=episode.pk).exists():
        raise PermissionDenied("You may not change this case.")
    today = today or timezone.localdate()
    page = case_page(family, today=today)
    if page.episode is None or page.episode.pk != episode.pk:
        raise ValidationError("Documents are drafted for the family's current episode only")
    why_not = draft_due(page.episode, kind)
    if why_not:
        raise ValidationError(why_not)
    blockers = draft_blockers(episode=page.episode, kind=kind)
    if blockers:
        raise ValidationError([b.message for b in blockers])
    recipients: list[Person | None]
    if kind in PER_PARENT:
        recipients = [p for p in page.people if p.parental_responsibility]
    else:
        recipients = [None]
    drafts = []
    for person in recipients:
        template = template_current(kind=kind, language=person.language if person else "")
        filled = case_context(
            page=page,
            kind=kind,
            recipient=person,
            meeting_time=meeting_time.strip(),
            meeting_place=meeting_place.strip(),
            today=today,
        )
        draft = Draft(
            episode=episode,
            kind=kind,
            person=person,
            template=template,
            drafted_by=by,
            drafted_at=timezone.now(),
            dates_used=filled.dates_used(set(template.fields_used)),
            meeting_time=meeting_time.strip()[:40],
            meeting_place=meeting_place.strip()[:200],
            filename=_filename(family.name, kind, person, today),
            content=render_docx(bytes(template.content), filled.context),
        )
        draft.full_clean(exclude=["episode", "person", "template", "drafted_by"])
        draft.save()
        drafts.append(draft)
    return drafts


def draft_changes(draft: Draft, current: Filled) -> list[dict[str, Any]]:
    """The dates a draft used that the timetable now gives differently: label, then and now."""
    now = {key: day.isoformat() if day else None for key, (_label, day) in current.date_values.items()}
    changes = []
    for key, used in draft.dates_used.items():
        if now.get(key) != used.get("date"):
            changes.append({"label": used.get("label", key), "was": used.get("date"), "now": now.get(key)})
    return changes


def minutes_document(*, meeting: Any, user: User, today: dt.date) -> tuple[str, bytes]:
    """A tracker meeting's minutes as a Word document, from the council's minutes template.

    The cases are those this user may see (the minutes page's own selector); legal advice is never
    in it, whoever prints it, because the document is for circulating (001, 002 §12)."""
    from deadlines.services import calendar_current
    from tracker_meetings.selectors import meeting_page

    from .context import uk_date

    page = meeting_page(user=user, meeting=meeting, today=today, calendar=calendar_current())
    state = "Circulated" if meeting.minutes_circulated_on else "Approved" if meeting.minutes_approved_on else "Draft"
    cases = []
    for view in page.items:
        item = view.item
        family = item.episode.family
        cases.append(
            {
                "family": family.name,
                "reference": family.reference,
                "social_worker": str(family.social_worker.get_full_name()),
                "reasons": "; ".join(item.reason_labels),
                "note": item.note,
                "decisions": item.decisions,
                "review_on": uk_date(item.review_on),
                "actions": [
                    {
                        "action": a.description,
                        "who": a.owner.get_full_name() or a.owner.username,
                        "due": uk_date(a.due_on),
                    }
                    for a in view.actions
                ],
            }
        )
    from django.conf import settings

    context = {
        "council": str(settings.COUNCIL_NAME),
        "drafted_on": uk_date(today),
        "meeting": {
            "kind": meeting.get_kind_display(),
            "date": uk_date(meeting.held_on or meeting.meets_on),
            "time": f"{meeting.starts_at:%H:%M}",
            "chair": (meeting.chair.get_full_name() or meeting.chair.username) if meeting.chair else "",
            "attendees": meeting.attendees.strip(),
            "state": state,
        },
        "cases": cases,
        "privilege_note": (
            "Legal advice given at the meeting is legally privileged and is not in these minutes: those "
            "who may read it see it on the meeting's page."
        ),
    }
    template = template_current(kind=K.TRACKER_MINUTES)
    name = re.sub(r"[^A-Za-z0-9]+", "-", f"{meeting.get_kind_display()} {meeting.meets_on:%Y-%m-%d} minutes")
    return f"{name.strip('-')}.docx", render_docx(bytes(template.content), context)
