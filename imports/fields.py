"""The fields a tracker column can be mapped to, and a first guess from the column's header."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TrackerField:
    """One thing the import understands; `many` fields may take several columns (Review 1, Review 2)."""

    key: str
    label: str
    hint: str
    aliases: tuple[str, ...]
    required: bool = False
    many: bool = False
    # A required field may be left unmapped when this other field has a column instead.
    unless: str = ""


FIELDS: tuple[TrackerField, ...] = (
    TrackerField(
        "family_reference",
        "Family case ID",
        "the family's ID; it identifies the family on a second import",
        ("case id", "family id", "family case id", "plo ref", "reference", "ref", "case ref", "family ref"),
        required=True,
    ),
    TrackerField(
        "family_name",
        "Family name",
        "for example Ashworth family; if left out, the first child's surname is used (Ashworth family)",
        ("family", "family name", "surname", "family surname"),
        required=True,
        unless="child_surnames",
    ),
    TrackerField(
        "children",
        "Children",
        "names, separated by ';' or one child per row; or their forenames, with their surnames in another column",
        (
            "children",
            "child",
            "child name",
            "child's name",
            "children names",
            "child(ren)",
            "names of children",
            "child forename",
            "child forenames",
            "child forename(s)",
            "child's forename(s)",
            "child first name",
            "child first name(s)",
            "forename(s)",
        ),
        required=True,
    ),
    TrackerField(
        "child_surnames",
        "Children's surnames",
        "when a child's surname has a column of its own: in the same order as the children",
        (
            "child surname",
            "child surnames",
            "child's surname",
            "child surname(s)",
            "child last name",
            "child family name",
            "surname of child",
        ),
    ),
    TrackerField(
        "child_ids",
        "Children's case IDs",
        "each child's ID in the case system, in the same order",
        (
            "child id",
            "child ids",
            "child case id",
            "child case ids",
            "lcs id",
            "mosaic id",
            "case system id",
            "children's ids",
            "child ref",
        ),
    ),
    TrackerField(
        "child_dobs",
        "Children's dates of birth",
        "in the same order as the children",
        ("dob", "date of birth", "dobs", "child dob", "children dob", "d.o.b", "d.o.b."),
    ),
    TrackerField(
        "parents",
        "Parents",
        "names, separated by ';', relationship in brackets: Kelly Ashworth (mother)",
        ("parents", "parent", "parents names", "mother/father", "parents/carers"),
    ),
    TrackerField("team", "Team", "the team's name as in PLO Tracker", ("team", "team name", "locality")),
    TrackerField(
        "social_worker",
        "Social worker",
        "name, username or email",
        ("social worker", "sw", "allocated sw", "allocated worker", "worker"),
    ),
    TrackerField("team_manager", "Team manager", "name, username or email", ("team manager", "tm", "manager")),
    TrackerField(
        "lpm_date",
        "LPM / panel date",
        "the legal planning meeting that started pre-proceedings",
        (
            "lpm",
            "lpm date",
            "panel date",
            "lpm/panel date",
            "legal planning meeting",
            "date of lpm",
            "legal gateway",
            "lgm date",
        ),
        required=True,
    ),
    TrackerField(
        "letter_sent",
        "Letter before proceedings sent",
        "date delivered to the parents",
        (
            "letter",
            "letter sent",
            "letter before proceedings",
            "lbp",
            "lbp sent",
            "plo letter",
            "date letter sent",
            "letter date",
        ),
    ),
    TrackerField(
        "initial_meeting",
        "Initial meeting",
        "date held (or booked, if in the future)",
        ("initial meeting", "initial plo meeting", "first meeting", "plo meeting", "initial ppm"),
    ),
    TrackerField(
        "review_meetings",
        "Review meetings",
        "dates; several columns may map here",
        (
            "review",
            "reviews",
            "review meeting",
            "review 1",
            "review 2",
            "review 3",
            "1st review",
            "2nd review",
            "3rd review",
            "review meetings",
        ),
        many=True,
    ),
    TrackerField(
        "final_meeting", "Final meeting", "date held (or booked)", ("final meeting", "final review", "exit meeting")
    ),
    TrackerField(
        "assessment",
        "Assessment",
        "for example PAMS, parenting, cognitive",
        ("assessment", "assessments", "assessment type", "assessment(s)"),
    ),
    TrackerField(
        "assessment_provider",
        "Assessment provider",
        "who carries it out",
        ("provider", "assessor", "assessment provider", "expert"),
    ),
    TrackerField(
        "assessment_instructed",
        "Assessment instructed",
        "date",
        ("instructed", "assessment instructed", "date instructed", "assessment start"),
    ),
    TrackerField(
        "assessment_due", "Assessment due", "date", ("assessment due", "due", "report due", "assessment due date")
    ),
    TrackerField(
        "assessment_completed",
        "Assessment completed",
        "date",
        ("completed", "assessment completed", "report received", "date completed"),
    ),
    TrackerField(
        "extension_weeks",
        "Extension (weeks)",
        "weeks agreed by the head of service",
        ("extension", "extension weeks", "extension (weeks)", "ext"),
    ),
    TrackerField(
        "extension_agreed",
        "Extension agreed on",
        "date",
        ("extension agreed", "extension date", "date extension agreed"),
    ),
    TrackerField(
        "outcome",
        "Outcome",
        "step down to CP / CIN, issue proceedings, no further action; blank if open",
        ("outcome", "plo outcome", "result", "exit outcome"),
    ),
    TrackerField(
        "outcome_date",
        "Outcome date",
        "the date pre-proceedings ended",
        ("outcome date", "date of outcome", "end date", "exit date", "date ended"),
    ),
)
BY_KEY = {f.key: f for f in FIELDS}
IGNORE = ""


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9()/.']+", " ", text.lower()).strip()


def headers_key(headers: list[str]) -> str:
    """One key per set of headers in order: the same tracker layout finds its mapping again."""
    return hashlib.sha256(json.dumps([_norm(h) for h in headers]).encode()).hexdigest()


def mapping_guess(headers: list[str]) -> dict[str, str]:
    """Header -> field key by name; each single-column field taken once, the first column wins."""
    taken: set[str] = set()
    guess: dict[str, str] = {}
    for header in headers:
        name = _norm(header)
        for f in FIELDS:
            if (f.many or f.key not in taken) and (name in f.aliases or name == _norm(f.label)):
                guess[header] = f.key
                taken.add(f.key)
                break
        else:
            guess[header] = IGNORE
    return guess


def mapping_errors(mapping: dict[str, str]) -> list[str]:
    """What is wrong with a mapping: a required field with no column, a field given two columns."""
    errors = []
    used: dict[str, list[str]] = {}
    for header, key in mapping.items():
        if key:
            used.setdefault(key, []).append(header)
    for f in FIELDS:
        if f.required and f.key not in used and not (f.unless and f.unless in used):
            errors.append(f"Choose the column that holds the {_in_sentence(f.label)}")
        if not f.many and len(used.get(f.key, [])) > 1:
            errors.append(f"Only one column can hold the {_in_sentence(f.label)}: " + ", ".join(used[f.key]))
    return errors


def _in_sentence(label: str) -> str:
    """A field's label inside a sentence: lower case, but abbreviations (LPM, ID) kept as written."""
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in label.split(" "))
