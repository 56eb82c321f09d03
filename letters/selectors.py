"""Reads: a case's drafts (with what has changed in the timetable since), one draft, the templates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from cases.selectors import CasePage
from letters.scopes import letter_drafts_visible_to

from .context import case_context, uk_date
from .kinds import CASE_KINDS, DRAFT_ROLES, kind_label
from .models import Draft, LetterTemplate
from .services import draft_changes, draft_due


@dataclass
class DraftRow:
    """A draft as the case page lists it: out of date when a date it used has moved since."""

    draft: Draft
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def out_of_date(self) -> bool:
        """A date in the document is no longer the timetable's."""
        return bool(self.changes)

    @property
    def change_text(self) -> list[str]:
        """Each change in words: 'Initial meeting: was 4 January 2027, now 11 January 2027'."""

        def words(iso: str | None) -> str:
            return uk_date(dt.date.fromisoformat(iso)) if iso else "not set"

        return [f"{c['label']}: was {words(c['was'])}, now {words(c['now'])}" for c in self.changes]


def draft_get(user: User, pk: int) -> Draft:
    """A draft on a family the user may see, or 404 (a restricted case's existence is not revealed)."""
    try:
        return (
            letter_drafts_visible_to(user)
            .select_related("episode__family", "person", "template", "drafted_by")
            .get(pk=pk)
        )
    except Draft.DoesNotExist as exc:
        raise Http404("No such draft") from exc


def case_drafts(page: CasePage, *, today: dt.date) -> list[DraftRow]:
    """The current episode's drafts, newest first, each with the dates that have moved since."""
    episode = page.episode
    if episode is None:
        return []
    drafts = list(
        Draft.objects.filter(episode=episode)
        .select_related("person", "drafted_by", "template")
        .defer("content", "template__content")
        .order_by("-drafted_at", "-id")
    )
    rows = []
    current: dict[tuple[str, int | None], Any] = {}
    for draft in drafts:
        key = (draft.kind, draft.person_id)
        if key not in current:
            current[key] = case_context(
                page=page,
                kind=draft.kind,
                recipient=draft.person,
                meeting_time=draft.meeting_time,
                meeting_place=draft.meeting_place,
                today=today,
            )
        rows.append(DraftRow(draft, draft_changes(draft, current[key])))
    return rows


def draftable_kinds(user: User, page: CasePage) -> list[tuple[str, str]]:
    """The documents this user may draft at the episode's step: (kind, its name)."""
    episode = page.episode
    if episode is None:
        return []
    return [
        (kind, kind_label(kind))
        for kind in CASE_KINDS
        if user.roles & DRAFT_ROLES[kind] and not draft_due(episode, kind)
    ]


def templates_by_kind() -> list[tuple[str, str, list[LetterTemplate]]]:
    """Every kind of document with its stored versions, newest first (without their contents)."""
    from .kinds import DocumentKind

    stored: dict[str, list[LetterTemplate]] = {}
    templates: QuerySet[LetterTemplate] = (
        LetterTemplate.objects.select_related("uploaded_by").defer("content").order_by("kind", "language", "-version")
    )
    for t in templates:
        stored.setdefault(t.kind, []).append(t)
    return [(kind, label, stored.get(kind, [])) for kind, label in DocumentKind.choices]
