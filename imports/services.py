"""Bringing a council's existing pre-action tracker into PLO Tracker (issue #12 §3).

Two passes over the rows. `tracker_check` reads and checks every row without writing: unknown
worker or team, impossible dates, dates out of order, a child already on another episode, a
family entered by hand. `tracker_import` then writes the valid families: new ones all at once
(`_create_all`: the records the services would write, under the same rules, inserted a table at
a time with their audit events, and every deadline computed by the engine in one batch), updated
ones through the services a person uses (`cases.services`, `meetings.services`). Every record is
in the audit trail under the importing user, and each episode is pinned to the policy in force
with its deadlines computed at once (past dates are met or met late).

All or nothing: the whole import is one transaction. If any family the check passed is refused
when written, nothing is kept and the refusals are reported beside their rows (a clash the
database finds in the bulk write is written again family by family through the services, which
name the row).

Idempotent: each family is remembered (`ImportedEpisode`) with the values it was imported with.
The same file again changes nothing; an updated file adds what was added (a letter sent, a
meeting held, an assessment, an extension, an outcome) and corrects family details and meeting
dates; a change the import cannot make safely is reported for that row instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Team, User
from accounts.roles import ASSESSMENT_ROLES, DELIVERY_ROLES, END_ROLES, FAMILY_OPENERS, MEETING_ROLES, Role
from accounts.scopes import authorize
from cases import services as cs
from cases.models import (
    Assessment,
    AssessmentKind,
    CareProceedings,
    Child,
    EndOutcome,
    Episode,
    EpisodeChild,
    Extension,
    Family,
    LegalStatus,
    LetterDelivery,
    Person,
    Relationship,
    Stage,
)
from cases.scopes import families_editable_by
from deadlines.engine import load_policy
from deadlines.models import Deadline
from deadlines.services import deadlines_recompute, deadlines_recompute_deferred, deadlines_recompute_many
from meetings import services as ms
from meetings.models import LPM, LPMKind, LPMOutcome, Meeting, MeetingKind
from plo_tracker.bulk import audited_insert

from .fields import BY_KEY
from .models import BeforeGoLive, ImportedEpisode, ImportMapping, JobState, TrackerUpload, UploadKind
from .parsing import CellError, RawRow, Sheet, cell_text, parse_date, split_list
from .preview import ActionCounts, validation_messages, write_all_or_nothing

logger = logging.getLogger(__name__)

# New families written together in one bulk batch: small enough that an import job's progress
# moves every second or so, large enough that the statements per family stay few.
BULK_BATCH = 250
FAMILY_FIELDS = (
    "family_reference",
    "family_name",
    "team",
    "social_worker",
    "team_manager",
    "lpm_date",
    "letter_sent",
    "initial_meeting",
    "final_meeting",
    "extension_weeks",
    "extension_agreed",
    "outcome",
    "outcome_date",
)
DATE_FIELDS = {
    "lpm_date",
    "letter_sent",
    "initial_meeting",
    "final_meeting",
    "extension_agreed",
    "outcome_date",
    "assessment_instructed",
    "assessment_due",
    "assessment_completed",
}
OUTCOMES = {
    EndOutcome.STEP_DOWN_CP: (
        "step down to cp",
        "step down cp",
        "cp",
        "cp plan",
        "child protection",
        "step down to child protection",
        "step down to a child protection plan",
    ),
    EndOutcome.STEP_DOWN_CIN: (
        "step down to cin",
        "step down cin",
        "cin",
        "child in need",
        "step down to child in need",
        "step down to a child in need plan",
    ),
    EndOutcome.ISSUE: (
        "issue",
        "issued",
        "issue proceedings",
        "issue care proceedings",
        "care proceedings",
        "proceedings issued",
        "court",
    ),
    EndOutcome.NFA: ("nfa", "no further action", "closed", "no further action (nfa)"),
}
OUTCOME_OF = {alias: outcome for outcome, aliases in OUTCOMES.items() for alias in aliases}
RELATIONSHIP_OF = {
    "mother": Relationship.MOTHER,
    "mum": Relationship.MOTHER,
    "father": Relationship.FATHER,
    "dad": Relationship.FATHER,
    "step-parent": Relationship.STEP_PARENT,
    "stepfather": Relationship.STEP_PARENT,
    "stepmother": Relationship.STEP_PARENT,
    "step-father": Relationship.STEP_PARENT,
    "step-mother": Relationship.STEP_PARENT,
    "grandmother": Relationship.GRANDPARENT,
    "grandfather": Relationship.GRANDPARENT,
    "grandparent": Relationship.GRANDPARENT,
}
ASSESSMENT_OF = {
    "pams": AssessmentKind.PAMS,
    "parenting": AssessmentKind.PARENTING,
    "parenting assessment": AssessmentKind.PARENTING,
    "cognitive": AssessmentKind.COGNITIVE,
    "psychological": AssessmentKind.PSYCHOLOGICAL,
    "psychiatric": AssessmentKind.PSYCHIATRIC,
    "paediatric": AssessmentKind.PAEDIATRIC,
    "hair strand": AssessmentKind.DRUG_ALCOHOL,
    "drug and alcohol": AssessmentKind.DRUG_ALCOHOL,
    "dna": AssessmentKind.DNA,
    "viability": AssessmentKind.VIABILITY_1,
    "sgo": AssessmentKind.SPECIAL_GUARDIANSHIP,
    "special guardianship": AssessmentKind.SPECIAL_GUARDIANSHIP,
    "fgc": AssessmentKind.FGC,
    "family group conference": AssessmentKind.FGC,
}
NOT_RECORDED = "Not recorded in the tracker"


# --- What a checked family looks like ------------------------------------------------------


@dataclass(slots=True)
class FamilyRows:
    """The rows of one family (a tracker may give each child its own row) and what they say."""

    reference: str
    rows: list[RawRow]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    action: str = "new"  # new, update, unchanged, error
    changes: list[str] = field(default_factory=list)
    team: Team | None = None
    social_worker: User | None = None
    team_manager: User | None = None
    imported: ImportedEpisode | None = None

    @property
    def first_row(self) -> int:
        return self.rows[0].number

    @property
    def valid(self) -> bool:
        return not any(self.errors.values())

    def error(self, row: int, message: str) -> None:
        self.errors[row].append(message)


@dataclass(slots=True)
class RowReport:
    """One row of the preview: what will happen to it, and why not if it cannot be imported."""

    number: int
    reference: str
    family_name: str
    children: str
    action: str
    errors: list[str]
    changes: list[str]
    #: Steps of the family that will be "not tracked before go-live" (the preview's dry run).
    not_tracked: int | None = None
    # The earlier row this one repeats cell for cell: shown in the preview, imported once.
    repeats: int | None = None

    @property
    def cells(self) -> tuple[str, ...]:
        """What the preview shows of the row, under CheckResult.headers."""
        return (self.reference, self.family_name, self.children)


@dataclass(slots=True)
class CheckResult(ActionCounts):
    """The preview of a whole file."""

    headers: ClassVar[tuple[str, ...]] = ("Case ID", "Family", "Children")
    families: list[FamilyRows]
    rows: list[RowReport]
    blank_rows: int
    file_errors: list[str] = field(default_factory=list)
    counted: ClassVar[str] = "families"

    @property
    def repeated_rows(self) -> int:
        """Rows that repeat an earlier row exactly."""
        return sum(1 for r in self.rows if r.repeats)


@dataclass(slots=True)
class ImportResult:
    """What an import did (counts only: logs carry no personal data)."""

    created: int
    updated: int
    unchanged: int
    skipped: int
    deadlines: int
    check: CheckResult
    refused: bool = False


def fingerprint(values: dict[str, Any]) -> str:
    """A stable digest of a family's imported values."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


# --- Reading rows into families ------------------------------------------------------------


def _columns(sheet: Sheet, mapping: dict[str, str]) -> dict[str, list[int]]:
    cols: dict[str, list[int]] = defaultdict(list)
    for i, header in enumerate(sheet.headers):
        key = mapping.get(header, "")
        if key:
            cols[key].append(i)
    return cols


def _date(fam: FamilyRows, row: RawRow, key: str, value: Any) -> str | None:
    try:
        day = parse_date(value)
    except CellError as exc:
        fam.error(row.number, f"{BY_KEY[key].label}: {exc}")
        return None
    return day.isoformat() if day else None


def _family_value(fam: FamilyRows, row: RawRow, key: str, value: Any) -> None:
    if value in (None, "", []):
        return
    before = fam.values.get(key)
    if before in (None, "", []):
        fam.values[key] = value
    elif before != value:
        shown = _shown(key, value)
        fam.error(
            row.number,
            f"{BY_KEY[key].label} '{shown}' differs from '{_shown(key, before)}' on an earlier row of this family",
        )


def _shown(key: str, value: Any) -> str:
    if key in DATE_FIELDS and isinstance(value, str):
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    return str(value)


def _person_name(text: str) -> tuple[str, str]:
    text = re.sub(r"\s*\(.*?\)\s*", " ", text).strip()
    first, _, last = text.rpartition(" ")
    return (first, last) if first else (text, "")


def _read_family_rows(fam: FamilyRows, cols: dict[str, list[int]]) -> None:
    """A family's values from its rows: one value per family field, and the children, parents,
    review meetings and assessments listed across the rows (each once)."""
    children: list[dict[str, Any]] = []
    parents: list[dict[str, str]] = []
    reviews: list[str] = []
    assessments: list[dict[str, Any]] = []
    field_of = {i: key for key, idx in cols.items() for i in idx}
    for row in fam.rows:
        for c, message in row.problems.items():
            if c in field_of:  # a formula in a column nobody maps (a "Week" column) does no harm
                fam.error(row.number, f"{BY_KEY[field_of[c]].label}: {message}")

        def cell(key: str, row: RawRow = row) -> Any:
            idx = cols.get(key)
            return row.cells[idx[0]] if idx else None

        _read_family_fields(fam, row, cell)
        for idx in cols.get("review_meetings", []):
            for part in split_list(row.cells[idx]) if isinstance(row.cells[idx], str) else [row.cells[idx]]:
                day = _date(fam, row, "review_meetings", part)
                if day and day not in reviews:
                    reviews.append(day)
        _read_children(fam, row, cell, children)
        _read_parents(cell, parents)
        _read_assessment(fam, row, cell, assessments)
    if not fam.values.get("family_name") and "child_surnames" in cols and children:
        # A tracker that names the child (forenames, surname) but not the family: the family is
        # known by its first child's surname, as councils' own trackers title it.
        fam.values["family_name"] = f"{_person_name(children[0]['name'])[1]} family"
    fam.values["children"] = children
    fam.values["parents"] = parents
    fam.values["review_meetings"] = sorted(reviews)
    fam.values["assessments"] = assessments


#: A row's cell by field key (None when the field is not mapped).
_Cell = Callable[[str], Any]


def _read_family_fields(fam: FamilyRows, row: RawRow, cell: _Cell) -> None:
    """The family's one-value fields on this row: dates, the extension's weeks, texts."""
    for key in FAMILY_FIELDS:
        raw = cell(key)
        if key in DATE_FIELDS:
            _family_value(fam, row, key, _date(fam, row, key, raw))
        elif key == "extension_weeks":
            text = cell_text(raw).lower().replace("weeks", "").replace("week", "").strip()
            if text in ("", "0", "none", "no", "n/a"):
                continue
            if not text.isdigit():
                fam.error(row.number, f"Extension (weeks): '{cell_text(raw)}' is not a number of weeks")
                continue
            _family_value(fam, row, key, int(text))
        else:
            _family_value(fam, row, key, cell_text(raw))


def _read_children(fam: FamilyRows, row: RawRow, cell: _Cell, children: list[dict[str, Any]]) -> None:
    """The children named on this row, each with one case ID and date of birth."""
    names = split_list(cell("children"))
    surnames = split_list(cell("child_surnames"))
    if surnames and len(surnames) == len(names):  # forenames in one column, surnames in another
        names = [f"{name} {surname}" for name, surname in zip(names, surnames, strict=True)]
    elif surnames and names:
        fam.error(row.number, f"{len(names)} children but {len(surnames)} surnames: give one surname per child")
    ids = split_list(cell("child_ids"))
    raw_dobs = cell("child_dobs")
    dobs = split_list(raw_dobs) if isinstance(raw_dobs, str) else ([] if raw_dobs is None else [raw_dobs])
    if not names:
        return
    if ids and len(ids) != len(names):
        fam.error(row.number, f"{len(names)} children but {len(ids)} case IDs: give one ID per child")
    if dobs and len(dobs) != len(names):
        fam.error(row.number, f"{len(names)} children but {len(dobs)} dates of birth: give one per child")
    for i, name in enumerate(names):
        dob = _date(fam, row, "child_dobs", dobs[i]) if i < len(dobs) else None
        child = {"name": name, "case_id": ids[i] if i < len(ids) else "", "dob": dob, "row": row.number}
        if not child["case_id"]:
            fam.error(row.number, f"Enter the case ID of {name}")
        if dob is None and i >= len(dobs):
            fam.error(row.number, f"Enter the date of birth of {name}")
        if child["case_id"] and any(c["case_id"] == child["case_id"] for c in children):
            continue  # the same child repeated on a family's rows (merged cells)
        children.append(child)


def _read_parents(cell: _Cell, parents: list[dict[str, str]]) -> None:
    """The parents named on this row, with their relationship in brackets: "Jo Smith (mother)"."""
    for text in split_list(cell("parents")):
        rel = re.search(r"\((.*?)\)", text)
        relationship = RELATIONSHIP_OF.get(rel[1].strip().lower(), Relationship.OTHER) if rel else Relationship.OTHER
        first, last = _person_name(text)
        name = f"{first} {last}".strip()
        if not any(p["name"] == name for p in parents):
            parents.append({"name": name, "relationship": str(relationship)})


def _read_assessment(fam: FamilyRows, row: RawRow, cell: _Cell, assessments: list[dict[str, Any]]) -> None:
    """The assessment on this row, if any: its kind, provider and dates."""
    kind_text = cell_text(cell("assessment"))
    if not kind_text:
        return
    a = {
        "kind": kind_text,
        "provider": cell_text(cell("assessment_provider")),
        "instructed": _date(fam, row, "assessment_instructed", cell("assessment_instructed")),
        "due": _date(fam, row, "assessment_due", cell("assessment_due")),
        "completed": _date(fam, row, "assessment_completed", cell("assessment_completed")),
        "row": row.number,
    }
    if a["instructed"] is None:
        fam.error(row.number, f"Enter the date the {kind_text} assessment was instructed")
    if a["due"] is None:
        fam.error(row.number, f"Enter the date the {kind_text} assessment is due")
    if not any({**x, "row": 0} == {**a, "row": 0} for x in assessments):
        assessments.append(a)


# --- Checking ----------------------------------------------------------------------------------


class _Staff:
    """Active staff, found by full name, username or email (one query for the whole file)."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[User]] = defaultdict(list)
        for user in User.objects.filter(is_active=True).prefetch_related("groups"):
            keys = {user.username.lower(), (user.email or "").lower(), user.get_full_name().lower()}
            for key in keys - {""}:
                self.by_key[key].append(user)
        self.teams = {t.name.lower(): t for t in Team.objects.all()}

    def find(self, text: str, roles: tuple[Role, ...]) -> tuple[User | None, str]:
        found = [u for u in self.by_key.get(text.lower().strip(), []) if u.has_role(*roles)]
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            return None, f"more than one person is called '{text}': use their username or email"
        return None, f"'{text}' is not an active member of staff with that role in PLO Tracker"


def _order(
    fam: FamilyRows,
    later_key: str,
    earlier_key: str,
    later: str | None,
    earlier: str | None,
    later_what: str,
    earlier_what: str,
) -> None:
    if later and earlier and later < earlier:
        fam.error(
            fam.first_row,
            f"{later_what} ({_shown(later_key, later)}) is before {earlier_what} ({_shown(earlier_key, earlier)})",
        )


def _check_family(fam: FamilyRows, staff: _Staff, today: dt.date, max_extension: int | None) -> None:
    """Everything the services would refuse about one family, said beside its rows."""
    _check_people(fam, staff)
    _check_dates(fam, today)
    _check_extension_and_outcome(fam, max_extension)
    _check_children_and_assessments(fam, today)


def _check_people(fam: FamilyRows, staff: _Staff) -> None:
    """The family is named, has a child, a known team and social worker (and team manager)."""
    v = fam.values
    row = fam.first_row
    if not v.get("family_name"):
        fam.error(row, "Enter the family name")
    if not v["children"]:
        fam.error(row, "Enter at least one child")
    team_name = v.get("team", "")
    if team_name:
        fam.team = staff.teams.get(team_name.lower())
        if fam.team is None:
            fam.error(row, f"Unknown team '{team_name}': add it under Staff and teams, or correct the name")
    else:
        fam.error(row, "Enter the team")
    if v.get("social_worker"):
        fam.social_worker, message = staff.find(v["social_worker"], (Role.SOCIAL_WORKER, Role.TEAM_MANAGER))
        if message:
            fam.error(row, f"Unknown social worker: {message}")
    else:
        fam.error(row, "Enter the social worker")
    if v.get("team_manager"):
        fam.team_manager, message = staff.find(v["team_manager"], (Role.TEAM_MANAGER,))
        if message:
            fam.error(row, f"Unknown team manager: {message}")


def _check_dates(fam: FamilyRows, today: dt.date) -> None:
    """The LPM date is given; no step is in the future; the steps come in the protocol's order
    (LPM, letter, initial meeting, reviews, final meeting), and the letter has parents to go to."""
    v = fam.values
    row = fam.first_row
    if not v.get("lpm_date") and not any("LPM / panel date:" in m for m in fam.errors.get(row, [])):
        fam.error(row, "Enter the LPM / panel date that started pre-proceedings")
    for key, what in (
        ("lpm_date", "LPM / panel date"),
        ("letter_sent", "Letter before proceedings sent"),
        ("extension_agreed", "Extension agreed on"),
        ("outcome_date", "Outcome date"),
    ):
        if v.get(key) and v[key] > today.isoformat():
            fam.error(row, f"{what} ({_shown(key, v[key])}) is in the future")
    lpm, letter, initial = v.get("lpm_date"), v.get("letter_sent"), v.get("initial_meeting")
    _order(fam, "letter_sent", "lpm_date", letter, lpm, "Letter before proceedings sent", "the LPM")
    _order(fam, "initial_meeting", "letter_sent", initial, letter, "Initial meeting", "the letter was sent")
    _order(fam, "initial_meeting", "lpm_date", initial, lpm, "Initial meeting", "the LPM")
    if initial and initial <= today.isoformat() and not letter:
        fam.error(row, "An initial meeting was held but no date is given for the letter before proceedings")
    if letter and not v["parents"]:
        fam.error(row, "The letter before proceedings was sent, but no parents are listed to send it to")
    for review in v["review_meetings"]:
        _order(fam, "review_meetings", "initial_meeting", review, initial, "Review meeting", "the initial meeting")
        if not initial:
            fam.error(row, "A review meeting is given but no initial meeting")
            break
    _order(
        fam, "final_meeting", "initial_meeting", v.get("final_meeting"), initial, "Final meeting", "the initial meeting"
    )
    if v.get("final_meeting") and not initial:
        # The services refuse a final meeting with no initial meeting before it: say so in the preview.
        fam.error(row, "A final meeting is given but no initial meeting")
    _order(fam, "extension_agreed", "lpm_date", v.get("extension_agreed"), lpm, "Extension agreed on", "the LPM")
    _order(fam, "outcome_date", "lpm_date", v.get("outcome_date"), lpm, "Outcome date", "the LPM")


def _check_extension_and_outcome(fam: FamilyRows, max_extension: int | None) -> None:
    """An extension is agreed before the end, dated, and within the policy's limit; an outcome
    is one the product knows, with its date."""
    v = fam.values
    row = fam.first_row
    agreed, ended = v.get("extension_agreed"), v.get("outcome_date") if v.get("outcome") else None
    if agreed and ended and agreed > ended:
        # The service refuses an extension after the end too (issue 20): said here, in the preview.
        fam.error(
            row,
            f"The extension was agreed on {_shown('extension_agreed', agreed)}, after pre-proceedings "
            f"ended on {_shown('outcome_date', ended)}: an extension can only be agreed before they end",
        )
    weeks = v.get("extension_weeks")
    if weeks is not None:
        if not v.get("extension_agreed"):
            fam.error(row, "Enter the date the extension was agreed")
        if max_extension is not None and weeks > max_extension:
            fam.error(row, f"Extension of {weeks} weeks is longer than the policy allows ({max_extension} weeks)")
    outcome = v.get("outcome", "")
    if outcome:
        if outcome.lower().strip(" .") not in OUTCOME_OF:
            fam.error(
                row,
                f"Outcome '{outcome}' is not one of: step down to CP, step down to CIN, "
                "issue care proceedings, no further action (or leave it blank while the case is open)",
            )
        elif not v.get("outcome_date"):
            fam.error(row, "Enter the outcome date")
    elif v.get("outcome_date"):
        fam.error(row, "An outcome date is given without an outcome")


def _check_children_and_assessments(fam: FamilyRows, today: dt.date) -> None:
    """No child is born in the future (an unborn baby is named so); assessments are due and
    completed after they were instructed, and not instructed or completed in the future."""
    v = fam.values
    for child in v["children"]:
        if child["dob"] and child["dob"] > today.isoformat() and "unborn" not in child["name"].lower():
            fam.error(
                child["row"],
                f"Date of birth of {child['name']} ({_shown('child_dobs', child['dob'])}) "
                "is in the future; name an unborn baby 'Unborn baby'",
            )
    for a in v["assessments"]:
        label = f"{a['kind']} assessment"
        _order(
            fam,
            "assessment_due",
            "assessment_instructed",
            a["due"],
            a["instructed"],
            f"{label} due",
            "the date it was instructed",
        )
        _order(
            fam,
            "assessment_completed",
            "assessment_instructed",
            a["completed"],
            a["instructed"],
            f"{label} completed",
            "the date it was instructed",
        )
        for key, what in (("instructed", "instructed"), ("completed", "completed")):
            if a[key] and a[key] > today.isoformat():
                fam.error(a["row"], f"{label} {what} ({_shown('assessment_due', a[key])}) is in the future")


def _check_against_records(families: list[FamilyRows]) -> None:
    """Clashes with what PLO Tracker already holds, in a fixed number of queries."""
    refs = [f.reference for f in families]
    imported = {i.family_reference: i for i in ImportedEpisode.objects.filter(family_reference__in=refs)}
    by_hand = set(
        Family.objects.filter(reference__in=refs).exclude(reference__in=imported).values_list("reference", flat=True)
    )
    case_ids = [c["case_id"] for f in families for c in f.values.get("children", []) if c["case_id"]]
    existing_children = {
        case_id: (ref, has_open)
        for case_id, ref, has_open in Child.objects.filter(case_system_id__in=case_ids)
        .annotate(has_open=Exists(Episode.objects.filter(family_id=OuterRef("family_id"), ended_on__isnull=True)))
        .values_list("case_system_id", "family__reference", "has_open")
    }
    seen_in_file: dict[str, int] = {}
    for fam in families:
        fam.imported = imported.get(fam.reference)
        if fam.reference in by_hand:
            fam.error(
                fam.first_row,
                f"Family case ID {fam.reference} is already in PLO Tracker, entered by hand: "
                "the import leaves it alone (remove the row, or use a different ID)",
            )
        for child in fam.values.get("children", []):
            case_id = child["case_id"]
            if not case_id:
                continue
            if case_id in seen_in_file and seen_in_file[case_id] != fam.first_row:
                fam.error(
                    child["row"],
                    f"Child case ID {case_id} is also on row {seen_in_file[case_id]}: "
                    "a child can be on only one episode",
                )
            seen_in_file.setdefault(case_id, fam.first_row)
            if case_id in existing_children:
                ref, has_open = existing_children[case_id]
                if ref != fam.reference:
                    where = "an open episode" if has_open else "a closed episode"
                    fam.error(
                        child["row"], f"{child['name']} (case ID {case_id}) is already on {where} for family {ref}"
                    )


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What an updated file changes, and the changes the import will not make (with why)."""
    changes: list[str] = []
    refused: list[str] = []
    for key in ("family_name", "team", "social_worker", "team_manager"):
        if before.get(key, "") != after.get(key, ""):
            changes.append(f"{BY_KEY[key].label}: {before.get(key) or 'blank'} → {after.get(key) or 'blank'}")
    for key in ("initial_meeting", "final_meeting"):
        b, a = before.get(key), after.get(key)
        if b != a:
            if a is None:
                refused.append(f"{BY_KEY[key].label} was removed: correct it on the case page")
            else:
                changes.append(f"{BY_KEY[key].label}: {_shown(key, b) if b else 'blank'} → {_shown(key, a)}")
    new_reviews = [r for r in after["review_meetings"] if r not in before["review_meetings"]]
    if [r for r in before["review_meetings"] if r not in after["review_meetings"]]:
        refused.append("A review meeting date was changed or removed: correct it on the case page")
    elif new_reviews:
        changes.append("Review meetings added: " + ", ".join(_shown("lpm_date", r) for r in new_reviews))
    before_ids = {c["case_id"] for c in before["children"]}
    added = [c for c in after["children"] if c["case_id"] not in before_ids]
    if before_ids - {c["case_id"] for c in after["children"]}:
        refused.append("A child was removed: end their involvement on the case page")
    if added:
        changes.append("Children added: " + ", ".join(c["name"] for c in added))
    before_parents = {p["name"] for p in before["parents"]}
    if before_parents - {p["name"] for p in after["parents"]}:
        refused.append("A parent was removed or renamed: correct it on the case page")
    elif len(after["parents"]) > len(before["parents"]):
        changes.append("Parents added")
    strip = [{k: v for k, v in a.items() if k != "row"} for a in before["assessments"]]
    for a in after["assessments"]:
        plain = {k: v for k, v in a.items() if k != "row"}
        if plain in strip:
            continue
        same = [b for b in strip if b["kind"] == a["kind"] and b["instructed"] == a["instructed"]]
        if same and same[0]["completed"] is None and a["completed"] and same[0]["due"] == a["due"]:
            changes.append(f"{a['kind']} assessment completed")
        elif same:
            refused.append(f"The {a['kind']} assessment changed: correct it on the case page")
        else:
            changes.append(f"{a['kind']} assessment added")
    for key, what in (("lpm_date", "LPM / panel date"), ("letter_sent", "Letter before proceedings sent")):
        b, a = before.get(key), after.get(key)
        if b != a:
            if b is None:
                changes.append(f"{what}: {_shown(key, a)}")
            else:
                refused.append(f"{what} changed from {_shown(key, b)}: correct it on the case page")
    bw, aw = before.get("extension_weeks") or 0, after.get("extension_weeks") or 0
    if aw > bw:
        changes.append(f"Extension: {bw} → {aw} weeks")
    elif aw < bw:
        refused.append("An extension cannot be shortened by an import")
    if (before.get("outcome"), before.get("outcome_date")) != (after.get("outcome"), after.get("outcome_date")):
        if before.get("outcome"):
            refused.append("The outcome was already imported: correct it on the case page")
        else:
            changes.append(f"Outcome: {after.get('outcome')}")
    return changes, refused


def tracker_check(*, sheet: Sheet, mapping: dict[str, str], today: dt.date | None = None) -> CheckResult:
    """Read and check every row against the mapping and what PLO Tracker holds; writes nothing."""
    today = today or timezone.localdate()
    cols = _columns(sheet, mapping)
    ref_col = cols.get("family_reference", [None])[0]
    families: dict[str, FamilyRows] = {}
    orphans: list[RowReport] = []
    for row in sheet.rows:
        ref = cell_text(row.cells[ref_col]) if ref_col is not None else ""
        if not ref:
            orphans.append(RowReport(row.number, "", "", "", "error", ["Enter the family case ID"], []))
            continue
        families.setdefault(ref.upper(), FamilyRows(reference=ref, rows=[])).rows.append(row)
    staff = _Staff()
    max_extension = load_policy(settings.PLO_POLICY).max_extension_weeks
    fams = list(families.values())
    for fam in fams:
        _read_family_rows(fam, cols)
        fam.values["family_reference"] = fam.reference
        _check_family(fam, staff, today, max_extension)
    _check_against_records(fams)
    for fam in fams:
        if not fam.valid:
            fam.action = "error"
        elif fam.imported is not None:
            if fam.imported.fingerprint == fingerprint(fam.values):
                fam.action = "unchanged"
            else:
                fam.changes, refused = _changes(fam.imported.values, fam.values)
                for message in refused:
                    fam.error(fam.first_row, message)
                fam.action = "error" if refused else ("update" if fam.changes else "unchanged")
    reports = list(orphans)
    for fam in fams:
        names = ", ".join(c["name"] for c in fam.values.get("children", []))
        for i, row in enumerate(fam.rows):
            errors = list(fam.errors.get(row.number, []))
            if fam.action == "error" and not errors and i > 0:
                errors = [f"Not imported: this family's row {fam.first_row} has errors"]
            reports.append(
                RowReport(
                    row.number,
                    fam.reference,
                    fam.values.get("family_name", ""),
                    names,
                    fam.action,
                    errors,
                    fam.changes if i == 0 else [],
                )
            )
    first_seen: dict[tuple[str, ...], int] = {}
    repeats: dict[int, int] = {}
    for row in sheet.rows:
        number = first_seen.setdefault(tuple(cell_text(c) for c in row.cells), row.number)
        if number != row.number:
            repeats[row.number] = number
    for report in reports:
        report.repeats = repeats.get(report.number)
    reports.sort(key=lambda r: r.number)
    return CheckResult(families=fams, rows=reports, blank_rows=sheet.blank_rows)


# --- Writing ---------------------------------------------------------------------------------


def _d(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _day(value: str | None) -> dt.date:
    """A date the check has already required."""
    if not value:
        raise ValueError("a checked date is missing")
    return dt.date.fromisoformat(value)


def _child_fields(family_name: str, child: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """A tracker child as the fields of a Child record (an unborn baby has an expected date of birth)."""
    first, last = _person_name(child["name"])
    dob = _d(child["dob"])
    unborn = "unborn" in child["name"].lower() and dob is not None and dob > today
    return {
        "first_name": (first or child["name"]).strip(),
        "last_name": (last or family_name.split(" ")[0]).strip(),
        "date_of_birth": None if unborn else dob,
        "expected_date_of_birth": dob if unborn else None,
        "gender": "not_known",
        "case_system_id": child["case_id"].strip(),
    }


def _add_child(family: Family, child: dict[str, Any], by: User, today: dt.date) -> Child:
    return cs.child_create(family=family, by=by, today=today, **_child_fields(family.name, child, today))


def _meeting_fields(day: str, today: dt.date) -> dict[str, dt.date]:
    """A meeting dated in the future is booked; one dated today or before was held."""
    when = _day(day)
    return {"scheduled_for": when} if when > today else {"held_on": when}


def _meeting(episode: Episode, kind: str, day: str, by: User, today: dt.date) -> None:
    ms.meeting_record(episode=episode, kind=kind, by=by, today=today, **_meeting_fields(day, today))


def _assessment_fields(a: dict[str, Any]) -> dict[str, Any]:
    kind = ASSESSMENT_OF.get(a["kind"].lower().replace(" assessment", "").strip(), AssessmentKind.OTHER)
    return {
        "kind": kind,
        "description": a["kind"] if kind == AssessmentKind.OTHER else "",
        "provider": a["provider"] or NOT_RECORDED,
        "instructed_on": _d(a["instructed"]),
        "due_on": _d(a["due"]),
        "completed_on": _d(a["completed"]),
    }


def _assessment(episode: Episode, a: dict[str, Any], by: User, today: dt.date) -> None:
    cs.assessment_create(episode=episode, by=by, today=today, **_assessment_fields(a))


EXTENSION_BY_HEAD = "Agreed before PLO Tracker; brought in from the pre-action tracker"
# The head of service agreed it before the product existed; an importer in another role records
# it (audited under their name) through the same model constraints, with the reason saying so.
EXTENSION_BY_IMPORTER = "Agreed by the head of service before PLO Tracker; brought in from the pre-action tracker"
END_REASON = "Brought in from the pre-action tracker"
LETTER_METHOD = "Recorded in the pre-action tracker"


def _extension(episode: Episode, weeks: int, agreed: str, by: User, today: dt.date) -> None:
    if by.has_role(Role.HEAD_OF_SERVICE):
        cs.extension_agree(
            episode=episode,
            weeks=weeks,
            agreed_on=_day(agreed),
            by=by,
            today=today,
            rationale=EXTENSION_BY_HEAD,
        )
        return
    cs._save_new(
        Extension(episode=episode, weeks=weeks, agreed_on=_day(agreed), agreed_by=by, rationale=EXTENSION_BY_IMPORTER)
    )
    deadlines_recompute(episode=episode, today=today)


def _end(episode: Episode, v: dict[str, Any], by: User, today: dt.date) -> None:
    outcome = OUTCOME_OF[v["outcome"].lower().strip(" .")]
    episode.refresh_from_db()
    cs.episode_end(
        episode=episode,
        expected_version=None,
        ended_on=_day(v["outcome_date"]),
        end_outcome=outcome,
        end_reason=END_REASON,
        by=by,
        today=today,
    )


def _initial_lpm(episode: Episode, lpm_date: dt.date) -> LPM:
    """The LPM that decided to start pre-proceedings (002 §9): recorded as held with that outcome
    (lpm_list would ask for the head of service's approval of a request the tracker never held)."""
    return LPM(
        episode=episode,
        kind=LPMKind.INITIAL,
        panel_date=lpm_date,
        held_on=lpm_date,
        outcome=LPMOutcome.INITIATE,
        outcome_recorded_on=lpm_date,
    )


def _create(fam: FamilyRows, by: User, today: dt.date) -> Episode:
    v = fam.values
    if fam.team is None or fam.social_worker is None:
        raise ValueError("a checked family has a team and a social worker")
    family = cs.family_create(
        reference=fam.reference,
        name=v["family_name"],
        team=fam.team,
        social_worker=fam.social_worker,
        team_manager=fam.team_manager,
        by=by,
    )
    children = [_add_child(family, c, by, today) for c in v["children"]]
    people = [
        cs.person_create(family=family, by=by, full_name=p["name"], relationship=p["relationship"])
        for p in v["parents"]
    ]
    lpm_date = _d(v["lpm_date"])
    if lpm_date is None:
        raise ValueError("a checked family has an LPM date")
    episode = cs.episode_open(family=family, started_on=lpm_date, by=by, children=children)
    cs._save_new(_initial_lpm(episode, lpm_date))
    episode = cs.pre_proceedings_start(episode=episode, decision_date=lpm_date, by=by)
    if v.get("letter_sent"):
        for person in people:
            cs.letter_deliver(
                episode=episode,
                person=person,
                delivered_on=_day(v["letter_sent"]),
                by=by,
                method=LETTER_METHOD,
                today=today,
            )
    _steps(episode, v, {"review_meetings": [], "assessments": []}, by, today)
    return episode


def _steps(episode: Episode, v: dict[str, Any], before: dict[str, Any], by: User, today: dt.date) -> None:
    """Meetings, assessments, extension and outcome not yet recorded (all of them for a new family)."""
    if v.get("initial_meeting") and not before.get("initial_meeting"):
        _meeting(episode, MeetingKind.INITIAL, v["initial_meeting"], by, today)
    for review in v["review_meetings"]:
        if review not in before["review_meetings"]:
            _meeting(episode, MeetingKind.REVIEW, review, by, today)
    if v.get("final_meeting") and not before.get("final_meeting"):
        _meeting(episode, MeetingKind.FINAL, v["final_meeting"], by, today)
    old = [(b["kind"], b["instructed"]) for b in before["assessments"]]
    for a in v["assessments"]:
        if (a["kind"], a["instructed"]) not in old:
            _assessment(episode, a, by, today)
    weeks = (v.get("extension_weeks") or 0) - (before.get("extension_weeks") or 0)
    if weeks > 0:
        _extension(episode, weeks, v["extension_agreed"], by, today)
    if v.get("outcome") and not before.get("outcome"):
        _end(episode, v, by, today)


def _update(fam: FamilyRows, by: User, today: dt.date) -> Episode:
    if fam.imported is None:
        raise ValueError("only an imported family is updated")
    before, v = fam.imported.values, fam.values
    episode = Episode.objects.select_related("family").get(pk=fam.imported.episode_id)
    family = episode.family
    changes: dict[str, Any] = {}
    if before.get("family_name") != v.get("family_name"):
        changes["name"] = v["family_name"]
    if before.get("team") != v.get("team"):
        changes["team"] = fam.team
    if before.get("social_worker") != v.get("social_worker"):
        changes["social_worker"] = fam.social_worker
    if before.get("team_manager", "") != v.get("team_manager", ""):
        changes["team_manager"] = fam.team_manager
    if changes:
        cs.family_update(family=family, expected_version=None, by=by, **changes)
    old_ids = {c["case_id"] for c in before["children"]}
    for c in v["children"]:
        if c["case_id"] not in old_ids:
            _add_child(family, c, by, today)
    old_parents = {p["name"] for p in before["parents"]}
    for p in v["parents"]:
        if p["name"] not in old_parents:
            person = cs.person_create(family=family, by=by, full_name=p["name"], relationship=p["relationship"])
            # A letter sent earlier went to this parent too; one sent since goes to every parent below.
            if before.get("letter_sent"):
                cs.letter_deliver(
                    episode=episode,
                    person=person,
                    delivered_on=_day(v["letter_sent"]),
                    by=by,
                    method=LETTER_METHOD,
                    today=today,
                )
    if v.get("letter_sent") and not before.get("letter_sent"):
        for person in family.people.all():
            cs.letter_deliver(
                episode=episode,
                person=person,
                delivered_on=_day(v["letter_sent"]),
                by=by,
                method=LETTER_METHOD,
                today=today,
            )
    for key, kind in (("initial_meeting", MeetingKind.INITIAL), ("final_meeting", MeetingKind.FINAL)):
        if before.get(key) and v.get(key) and before[key] != v[key]:
            meeting = Meeting.objects.get(episode=episode, kind=kind)
            when = _d(v[key])
            if when is None:
                raise ValueError("a checked meeting has a date")
            fields = (
                {"held_on": when, "scheduled_for": None} if when <= today else {"scheduled_for": when, "held_on": None}
            )
            ms.meeting_update(meeting=meeting, expected_version=None, by=by, today=today, **fields)
    old_assessments = {(b["kind"], b["instructed"]): b for b in before["assessments"]}
    for a in v["assessments"]:
        b = old_assessments.get((a["kind"], a["instructed"]))
        if b is not None and b["completed"] is None and a["completed"]:
            fields = _assessment_fields(a)
            assessment = episode.assessments.filter(
                kind=fields["kind"],
                description=fields["description"],
                instructed_on=_day(a["instructed"]),
                due_on=_day(a["due"]),
                completed_on__isnull=True,
            ).first()
            if assessment is not None:
                cs.assessment_update(
                    assessment=assessment, expected_version=None, by=by, today=today, completed_on=_d(a["completed"])
                )
    _steps(episode, v, before, by, today)
    return episode


# --- Writing many new families at once ------------------------------------------------------------


@dataclass(slots=True)
class _NewFamily:
    """The records one new family becomes, built in memory before anything is written."""

    fam: FamilyRows
    family: Family
    children: list[Child]
    people: list[Person]
    episode: Episode
    meetings: list[Meeting]
    assessments: list[Assessment]
    extension: Extension | None
    issue_decision_on: dt.date | None


def _checked(fam: FamilyRows, *records: Any) -> None:
    """The field rules `full_clean` applies (lengths, choices), in memory, with the reason on the
    family's row. Relations are left out (they were just built); unique and check constraints are
    the database's, and the check has already looked for clashes with what is recorded."""
    for record in records:
        exclude = [f.name for f in record._meta.concrete_fields if f.is_relation]
        try:
            record.clean_fields(exclude=exclude)
        except ValidationError as exc:
            for message in validation_messages(exc):
                fam.error(fam.first_row, f"Refused when saved: {message}")


def _new_family(fam: FamilyRows, by: User, today: dt.date, policy_name: str, policy_version: str) -> _NewFamily:
    """What `_create` would write for a checked family, as unsaved records (same rules, same values)."""
    v = fam.values
    if fam.team is None or fam.social_worker is None:
        raise ValueError("a checked family has a team and a social worker")
    family = Family(
        reference=fam.reference.strip(),
        name=v["family_name"].strip(),
        team=fam.team,
        social_worker=fam.social_worker,
        team_manager=fam.team_manager,
    )
    lpm_date = _day(v["lpm_date"])
    outcome = OUTCOME_OF[v["outcome"].lower().strip(" .")] if v.get("outcome") else None
    # Where the services would leave the children: in pre-proceedings, then as the outcome says.
    legal_status = {
        EndOutcome.STEP_DOWN_CP: LegalStatus.CP,
        EndOutcome.STEP_DOWN_CIN: LegalStatus.CIN,
        EndOutcome.NFA: LegalStatus.NONE,
    }.get(outcome, LegalStatus.PRE_PROCEEDINGS)  # type: ignore[arg-type]
    children = [Child(legal_status=legal_status, **_child_fields(family.name, c, today)) for c in v["children"]]
    people = [Person(full_name=p["name"], relationship=p["relationship"]) for p in v["parents"]]
    episode = Episode(
        started_on=lpm_date,
        decision_date=lpm_date,
        opened_by=by,
        policy_name=policy_name,
        policy_version=policy_version,
        stage=Stage.PRE_PROCEEDINGS,
    )
    issue_decision_on = None
    if outcome == EndOutcome.ISSUE:
        issue_decision_on = _day(v["outcome_date"])
        episode.end_decision_date, episode.stage, episode.end_reason = issue_decision_on, Stage.PROCEEDINGS, END_REASON
    elif outcome is not None:
        ended = _day(v["outcome_date"])
        episode.ended_on, episode.end_outcome, episode.end_decision_date = ended, outcome, ended
        episode.stage, episode.end_reason = Stage.ENDED, END_REASON
    meetings = (
        [Meeting(kind=MeetingKind.INITIAL, **_meeting_fields(v["initial_meeting"], today))]
        if v.get("initial_meeting")
        else []
    )
    meetings += [Meeting(kind=MeetingKind.REVIEW, **_meeting_fields(r, today)) for r in v["review_meetings"]]
    if v.get("final_meeting"):
        meetings.append(Meeting(kind=MeetingKind.FINAL, **_meeting_fields(v["final_meeting"], today)))
    assessments = [Assessment(**_assessment_fields(a)) for a in v["assessments"]]
    extension = None
    if v.get("extension_weeks"):
        head = by.has_role(Role.HEAD_OF_SERVICE)
        extension = Extension(
            weeks=v["extension_weeks"],
            agreed_on=_day(v["extension_agreed"]),
            agreed_by=by,
            rationale=EXTENSION_BY_HEAD if head else EXTENSION_BY_IMPORTER,
        )
    new = _NewFamily(fam, family, children, people, episode, meetings, assessments, extension, issue_decision_on)
    _checked(fam, family, *children, *people, episode, *meetings, *assessments, *([extension] if extension else []))
    return new


def _authorize_steps(news: list[_NewFamily], by: User) -> None:
    """The role checks the services make for each step, once for the whole import."""
    authorize(by, FAMILY_OPENERS)
    if any(n.fam.values.get("letter_sent") and n.people for n in news):
        authorize(by, DELIVERY_ROLES)
    if any(n.meetings for n in news):
        authorize(by, MEETING_ROLES)
    if any(n.assessments for n in news):
        authorize(by, ASSESSMENT_ROLES)
    if any(n.episode.end_reason for n in news):
        authorize(by, END_ROLES)


def _create_all(
    fams: list[FamilyRows], by: User, today: dt.date, before_go_live: str = BeforeGoLive.NOT_TRACKED
) -> list[tuple[FamilyRows, Episode]] | None:
    """Write every new family at once: what `_create` writes family by family through the services
    (the same records and rules, the same audit trail under the importer's context), in a fixed
    number of statements per batch of families (plo_tracker.bulk), then every deadline through the engine in one
    batch (`deadlines_recompute_many`). None, with the reasons beside the rows, if any family is
    refused (the caller rolls everything back). A clash the check could not see (someone saved
    the same child meanwhile) raises IntegrityError from the database."""
    policy = load_policy(settings.PLO_POLICY)
    news = [_new_family(fam, by, today, policy.name, policy.version) for fam in fams]
    if not all(n.fam.valid for n in news):
        return None
    _authorize_steps(news, by)
    _insert_families(news, by)
    _insert_steps(news)
    audited_insert(
        ImportedEpisode,
        [
            ImportedEpisode(
                family_reference=n.fam.reference,
                episode=n.episode,
                values=n.fam.values,
                fingerprint=fingerprint(n.fam.values),
                before_go_live=before_go_live,
                imported_by=by,
            )
            for n in news
        ],
    )
    refused = deadlines_recompute_many(episode_ids=[n.episode.pk for n in news], today=today)
    for n in news:
        if n.episode.pk in refused:
            for message in validation_messages(refused[n.episode.pk]):
                n.fam.error(n.fam.first_row, f"Refused when saved: {message}")
    if refused:
        return None
    return [(n.fam, n.episode) for n in news]


def _insert_families(news: list[_NewFamily], by: User) -> None:
    """The families (which the importer must then be able to change), their children and people,
    and each family's episode."""
    audited_insert(Family, [n.family for n in news])
    editable = families_editable_by(by).filter(pk__in=[n.family.pk for n in news]).count()
    if editable != len(news):
        raise PermissionDenied("You may not change this case.")
    for n in news:
        for child in n.children:
            child.family = n.family
        for person in n.people:
            person.family = n.family
        n.episode.family = n.family
    audited_insert(Child, [c for n in news for c in n.children])
    audited_insert(Person, [p for n in news for p in n.people])
    audited_insert(Episode, [n.episode for n in news])


def _insert_steps(news: list[_NewFamily]) -> None:
    """Each episode's children and steps: the LPM, the letter to each parent, meetings,
    assessments, the extension and the decision to issue."""
    for n in news:
        for meeting in n.meetings:
            meeting.episode = n.episode
        for assessment in n.assessments:
            assessment.episode = n.episode
        if n.extension is not None:
            n.extension.episode = n.episode
    audited_insert(
        EpisodeChild,
        [
            EpisodeChild(episode=n.episode, child=c, earlier_episodes=c.previous_pre_proceedings)
            for n in news
            for c in n.children
        ],
    )
    audited_insert(LPM, [_initial_lpm(n.episode, _day(n.fam.values["lpm_date"])) for n in news])
    audited_insert(
        LetterDelivery,
        [
            LetterDelivery(
                episode=n.episode, person=p, delivered_on=_day(n.fam.values["letter_sent"]), method=LETTER_METHOD
            )
            for n in news
            if n.fam.values.get("letter_sent")
            for p in n.people
        ],
    )
    audited_insert(Meeting, [m for n in news for m in n.meetings])
    audited_insert(Assessment, [a for n in news for a in n.assessments])
    audited_insert(Extension, [n.extension for n in news if n.extension])
    audited_insert(
        CareProceedings,
        [
            CareProceedings(episode=n.episode, issue_decision_on=n.issue_decision_on)
            for n in news
            if n.issue_decision_on
        ],
    )


def tracker_import(
    *,
    sheet: Sheet,
    mapping: dict[str, str],
    by: User,
    today: dt.date | None = None,
    skip_invalid: bool = True,
    source: str = "tracker import",
    before_go_live: str = BeforeGoLive.NOT_TRACKED,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import every valid family in one transaction (all or nothing), through the services.

    With `skip_invalid` (the web page's "import the valid rows"), families with errors are left
    out and listed; without it (the command's default), any error means nothing is imported.
    A family refused when written undoes the whole import. `progress` is told the rows written
    so far, as they are written (new families in batches of BULK_BATCH): an import job's page.

    `before_go_live` says what each written family's steps due before the council's go-live date
    with no date in the file become: "not tracked before go-live" (the default) or "recorded as
    done at import, date not known" (deadlines/golive.py).
    """
    if before_go_live not in BeforeGoLive.values:
        raise ValidationError({"before_go_live": ["Choose what happens to steps due before go-live"]})
    today = today or timezone.localdate()
    check = tracker_check(sheet=sheet, mapping=mapping, today=today)
    skipped = sum(1 for f in check.families if f.action == "error") + sum(1 for r in check.rows if not r.reference)
    if skipped and not skip_invalid:
        return ImportResult(0, 0, check.count("unchanged"), skipped, 0, check, refused=True)
    writer = _TrackerWriter(by, today, before_go_live, progress)
    if not write_all_or_nothing(
        check.families,
        writer.write,
        writer.refused,
        by_pk=by.pk,
        source=source,
        write_new_at_once=writer.write_new,
        progress=lambda fam: writer.advance(len(fam.rows)),
    ):
        _show_refusals(check)
        return ImportResult(0, 0, check.count("unchanged"), skipped, 0, check, refused=True)
    created, updated = writer.done["new"], writer.done["update"]
    deadlines = Deadline.objects.filter(episode_id__in=writer.episodes).count()
    logger.info(
        "tracker import: %d created, %d updated, %d unchanged, %d skipped, %d deadlines",
        created,
        updated,
        check.count("unchanged"),
        skipped,
        deadlines,
    )
    return ImportResult(created, updated, check.count("unchanged"), skipped, deadlines, check)


class _TrackerWriter:
    """Writes a checked tracker's families (new ones in batches, changed ones one by one) and
    counts what it wrote, telling `progress` the rows written so far."""

    def __init__(self, by: User, today: dt.date, before_go_live: str, progress: Callable[[int], None] | None) -> None:
        self.by = by
        self.today = today
        self.before_go_live = before_go_live
        self.progress = progress
        self.done: dict[str, int] = {"new": 0, "update": 0}
        self.episodes: list[int] = []
        self.rows_done = 0

    def advance(self, rows: int) -> None:
        self.rows_done += rows
        if self.progress is not None:
            self.progress(self.rows_done)

    def write(self, fam: FamilyRows) -> None:
        by, today, before_go_live = self.by, self.today, self.before_go_live
        # One recompute per family on leaving the block, not one per step written
        # (asked for explicitly too: a family with only its LPM has no step that would).
        with deadlines_recompute_deferred():
            episode = _create(fam, by, today) if fam.action == "new" else _update(fam, by, today)
            # Remembered before the recompute on leaving the block: the engine's deadlines of an
            # imported family follow the go-live date (deadlines/golive.py).
            if fam.action == "new":
                ImportedEpisode.objects.create(
                    family_reference=fam.reference,
                    episode=episode,
                    values=fam.values,
                    fingerprint=fingerprint(fam.values),
                    before_go_live=before_go_live,
                    imported_by=by,
                )
            elif fam.imported is not None:
                fam.imported.values = fam.values
                fam.imported.fingerprint = fingerprint(fam.values)
                fam.imported.before_go_live = before_go_live
                fam.imported.save(update_fields=["values", "fingerprint", "before_go_live", "updated_at"])
            deadlines_recompute(episode=episode, today=today)
        self.episodes.append(episode.pk)
        self.done[fam.action] += 1

    @staticmethod
    def refused(fam: FamilyRows, messages: list[str]) -> None:
        for message in messages:
            fam.error(fam.first_row, f"Refused when saved: {message}")

    def write_new(self, new: list[FamilyRows]) -> bool:
        # In batches, so a job's progress moves while a large file's new families are written;
        # each batch is still a fixed number of statements (plo_tracker.bulk).
        for start in range(0, len(new), BULK_BATCH):
            batch = new[start : start + BULK_BATCH]
            written = _create_all(batch, self.by, self.today, self.before_go_live)
            if written is None:
                for fam in new:
                    fam.action = "new" if fam.valid else "error"
                return False
            self.episodes.extend(episode.pk for _, episode in written)
            self.done["new"] += len(written)
            self.advance(sum(len(fam.rows) for fam in batch))
        return True


def _show_refusals(check: CheckResult) -> None:
    """A refused import: each row shows its family's reasons and action (nothing was imported)."""
    by_reference = {f.reference: f for f in check.families}
    for report in check.rows:
        fam_match = by_reference.get(report.reference)
        if fam_match is not None:
            report.errors = list(fam_match.errors.get(report.number, report.errors))
            report.action = fam_match.action
    logger.info(
        "tracker import refused: %d families failed when saved; nothing imported",
        sum(1 for f in check.families if f.action == "error"),
    )


class _DryRun(Exception):
    """Raised to roll the go-live preview's trial import back."""


# The preview's trial import writes every family and rolls back: for files up to this many
# families (a few seconds); a larger file's counts are on its families' pages once imported.
GO_LIVE_PREVIEW_MAX_FAMILIES = 500


def not_tracked_counts(*, check: CheckResult, sheet: Sheet, mapping: dict[str, str], by: User) -> dict[str, int] | None:
    """How many steps of each family the import will store as "not tracked before go-live", by
    family case ID (issue 24 §2): the import is run for real and rolled back, so the counts are
    exactly what importing gives. None when the file is too large to try here."""
    from deadlines.models import DeadlineState

    if check.importable > GO_LIVE_PREVIEW_MAX_FAMILIES:
        return None
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():
            done = tracker_import(sheet=sheet, mapping=mapping, by=by, source="go-live preview (rolled back)")
            if not done.refused:
                refs = [f.reference for f in check.families if f.action in ("new", "update")]
                for ref in Deadline.objects.filter(
                    episode__imported_from__family_reference__in=refs, state=DeadlineState.NOT_TRACKED
                ).values_list("episode__imported_from__family_reference", flat=True):
                    counts[ref] = counts.get(ref, 0) + 1
            raise _DryRun
    except _DryRun:
        pass
    return counts


def imported_episode_filter(refs: list[str]) -> Q:
    """Episodes brought in under these family case IDs."""
    return Q(imported_from__family_reference__in=refs)


# --- Remembered mappings and uploads ----------------------------------------------------------


def mapping_for(headers: list[str]) -> tuple[dict[str, str], bool]:
    """The mapping remembered for these headers, else a guess from their names; and whether it
    was remembered."""
    from .fields import headers_key, mapping_guess

    saved = ImportMapping.objects.filter(headers_key=headers_key(headers)).first()
    if saved is not None:
        return {h: saved.mapping.get(h, "") for h in headers}, True
    return mapping_guess(headers), False


@transaction.atomic
def mapping_remember(*, headers: list[str], mapping: dict[str, str], by: User) -> ImportMapping:
    """Remember which field each column holds, for the next file with the same headers (audited)."""
    from .fields import headers_key

    with pghistory.context(user=by.pk):
        saved, _ = ImportMapping.objects.update_or_create(
            headers_key=headers_key(headers), defaults={"headers": headers, "mapping": mapping, "updated_by": by}
        )
    return saved


@transaction.atomic
def upload_create(
    *, filename: str, content: bytes, sheet: Sheet, by: User, kind: str = UploadKind.TRACKER
) -> TrackerUpload:
    """Keep an uploaded file (a tracker, a staff list) and its rows as read until it is imported;
    uploads older than a day are deleted (a job still running is kept)."""
    TrackerUpload.objects.filter(uploaded_at__lt=timezone.now() - dt.timedelta(days=1)).exclude(
        state__in=[JobState.QUEUED, JobState.RUNNING]
    ).delete()
    return TrackerUpload.objects.create(
        uploaded_by=by,
        kind=kind,
        filename=filename[:200],
        content=content,
        sheet=sheet.to_json(),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def upload_get(*, pk: int, by: User, kind: str) -> TrackerUpload | None:
    """The person's own upload of this kind: another person's, or one imported or expired, is gone."""
    return TrackerUpload.objects.filter(pk=pk, uploaded_by_id=by.pk, kind=kind).first()
