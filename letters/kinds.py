"""The documents of pre-proceedings the product drafts, who drafts each, and who it goes to."""

from __future__ import annotations

from django.db import models

from accounts.roles import COURT_ROLES, END_ROLES, LETTER_ROLES, LPM_ROLES, TRACKER_ROLES, Role


class DocumentKind(models.TextChoices):
    LETTER_BEFORE_PROCEEDINGS = "letter_before_proceedings", "Letter before proceedings"
    LETTER_OF_ISSUE = "letter_of_issue", "Letter of issue"
    EXIT_LETTER = "exit_letter", "Letter ending pre-proceedings (exit letter)"
    AGREEMENT = "pre_proceedings_agreement", "Pre-proceedings agreement and plan"
    LPM_COVER_SHEET = "lpm_cover_sheet", "LPM papers' cover sheet"
    TRACKER_MINUTES = "tracker_minutes", "Tracker meeting minutes"


K = DocumentKind
#: Documents for parents (and their solicitors): nothing privileged is ever a field of these.
PARENT_FACING: frozenset[str] = frozenset({K.LETTER_BEFORE_PROCEEDINGS, K.LETTER_OF_ISSUE, K.EXIT_LETTER, K.AGREEMENT})
#: One document to each person with parental responsibility (002 §9b ii: the letter before
#: proceedings is delivered to each parent; the letter of issue and the exit letter likewise).
PER_PARENT: frozenset[str] = frozenset({K.LETTER_BEFORE_PROCEEDINGS, K.LETTER_OF_ISSUE, K.EXIT_LETTER})
#: Documents drafted from a family's case page (the tracker minutes come from the meeting page).
CASE_KINDS: tuple[str, ...] = (
    K.LPM_COVER_SHEET,
    K.LETTER_BEFORE_PROCEEDINGS,
    K.AGREEMENT,
    K.EXIT_LETTER,
    K.LETTER_OF_ISSUE,
)

#: Who drafts each document: the people who record that step (docs/security.md "Who can do which step").
DRAFT_ROLES: dict[str, frozenset[Role]] = {
    K.LETTER_BEFORE_PROCEEDINGS: LETTER_ROLES,
    # The proposed agreement goes to legal with the letter (002 App. 2 week 1): the same people.
    K.AGREEMENT: LETTER_ROLES,
    K.EXIT_LETTER: END_ROLES,
    K.LETTER_OF_ISSUE: COURT_ROLES,
    K.LPM_COVER_SHEET: LPM_ROLES,
    K.TRACKER_MINUTES: TRACKER_ROLES,
}
#: Anyone who drafts some document from a case page.
CASE_DRAFTERS: frozenset[Role] = frozenset().union(*(DRAFT_ROLES[k] for k in CASE_KINDS))


def kind_label(kind: str) -> str:
    """The document's name in words."""
    return str(dict(DocumentKind.choices).get(kind, kind))
