"""Bringing a council's staff list in from a CSV file (issue #12 §1), like the tracker import.

`staff_check` reads and checks every row without writing: a blank required field, an invalid
email, an unknown team or role, a username, email or single sign-on id given twice in the file or
already used by another member of staff, a switched-off member of staff, and the acting
administrator's own Administrator role taken away. `staff_import` then writes the valid rows
through the services the staff pages use (`accounts.staff`), so the same rules hold (a team
manager manages their team, the last administrator keeps their role) and every change is in the
audit trail under the administrator, with the source `staff import`.

Each row is one person, found by their username. The same file again changes nothing; an updated
file updates their name, email, team, roles (exactly those in the file), job title and single
sign-on id. Nobody is deleted or switched off by an import: people not in the file are left as
they are, and a blank optional cell (job title, single sign-on id) leaves what is recorded.

All or nothing: the whole import is one transaction. If the rows to import are not those the
administrator saw in the preview (someone changed a record in between), or a row is refused when
it is saved, nothing is kept and the reason is shown beside its row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts import staff as staff_services
from accounts.models import Team, User
from accounts.roles import Role

from .parsing import WEB_LIMITS, Limits, Sheet, TrackerFileError, cell_text, read_csv
from .preview import ActionCounts, write_all_or_nothing

logger = logging.getLogger(__name__)

# The columns a staff file may have, each with the header names it is known by (compared without
# case, spaces or punctuation). A file names people either in one "name" column or in two.
COLUMNS: dict[str, tuple[str, ...]] = {
    "username": ("username", "user name", "login", "account name", "sam account name"),
    "name": ("name", "full name", "display name"),
    "first_name": ("first name", "given name", "forename"),
    "last_name": ("last name", "surname", "family name"),
    "email": ("email", "email address", "e-mail", "mail", "work email"),
    "team": ("team",),
    "roles": ("roles", "role"),
    "job_title": ("job title", "title", "position"),
    "oidc_subject": ("single sign-on id", "sso id", "object id", "oid", "entra object id", "oidc subject", "sub"),
}
REQUIRED = ("username", "email", "team", "roles")
COLUMN_LABELS = {
    "username": "Username",
    "name": "Name",
    "email": "Email",
    "team": "Team",
    "roles": "Roles",
    "job_title": "Job title (optional)",
    "oidc_subject": "Single sign-on id (optional)",
}
_username_ok = UnicodeUsernameValidator()
# Roles by their name ("Social worker"), their slug ("social_worker") or the slug spelt out.
ROLE_OF: dict[str, Role] = {
    key: role for role in Role for key in (role.label.lower(), role.value, role.value.replace("_", " "))
}
ROLE_OF["read only"] = Role.READ_ONLY
TEAM_ROLES = {Role.SOCIAL_WORKER, Role.TEAM_MANAGER}


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


_COLUMN_OF = {_header_key(alias): key for key, aliases in COLUMNS.items() for alias in aliases}


@dataclass(slots=True)
class StaffSheet:
    """A staff file read: its rows, and which column holds each field."""

    sheet: Sheet
    columns: dict[str, int]


def read_staff(filename: str, data: bytes, limits: Limits = WEB_LIMITS) -> StaffSheet:
    """Read a staff CSV (UTF-8 with or without BOM, or Windows-1252) and find its columns."""
    if data[:2] == b"PK" or data[:4] == b"\xd0\xcf\x11\xe0" or filename.lower().endswith((".xlsx", ".xls", ".xlsm")):
        raise TrackerFileError("This is an Excel workbook: save it as CSV (comma separated) and upload that")
    return staff_sheet(read_csv(data, example="Username", limits=limits))


def read_staff_rows(filename: str, data: bytes) -> Sheet:
    """The rows of a staff CSV whose columns are all there (what the upload page keeps)."""
    return read_staff(filename, data).sheet


def staff_sheet(sheet: Sheet) -> StaffSheet:
    """Which column of a staff file holds each field; refused when two hold one or one is missing."""
    columns: dict[str, int] = {}
    for i, header in enumerate(sheet.headers):
        key = _COLUMN_OF.get(_header_key(header))
        if key is None:
            continue
        if key in columns:
            raise TrackerFileError(f"Two columns hold {COLUMN_LABELS.get(key, key)}: keep one")
        columns[key] = i
    missing = [COLUMN_LABELS[k] for k in REQUIRED if k not in columns]
    if "name" not in columns and not ("first_name" in columns and "last_name" in columns):
        missing.insert(1, "Name")
    if missing:
        raise TrackerFileError(
            f"The file has no {' or '.join(missing)} column: the first row should name the columns "
            "Username, Name, Email, Team, Roles"
        )
    return StaffSheet(sheet=sheet, columns=columns)


@dataclass(slots=True)
class StaffRow:
    """One row of the file: the person it describes, and what will happen to them."""

    number: int
    username: str
    first_name: str
    last_name: str
    email: str
    team_name: str
    role_text: str
    job_title: str | None  # None: no column, or a blank cell (left as recorded)
    oidc_subject: str | None
    roles: list[Role] = field(default_factory=list)
    team: Team | None = None
    user: User | None = None
    action: str = "new"
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def role_labels(self) -> str:
        return ", ".join(r.label for r in Role if r in self.roles) or self.role_text

    @property
    def cells(self) -> tuple[str, ...]:
        """What the preview shows of the row, under StaffCheck.headers."""
        return (
            self.username,
            self.name,
            self.email,
            self.team_name,
            self.role_labels,
            self.job_title or "",
            self.oidc_subject or "",
        )


@dataclass(slots=True)
class StaffCheck(ActionCounts):
    """The preview of a whole staff file."""

    # Every field the import writes (issue 24 §7): a blank job title or single sign-on id leaves
    # what is recorded, shown as a dash.
    headers: ClassVar[tuple[str, ...]] = (
        "Username",
        "Name",
        "Email",
        "Team",
        "Roles",
        "Job title",
        "Single sign-on id",
    )
    rows: list[StaffRow]
    blank_rows: int
    optional_columns: list[str]

    @property
    def plan(self) -> str:
        """A digest of what the import will do, row by row: the page sends it back with "Import"
        so that what is imported is what the administrator saw."""
        steps = [(r.number, r.username.lower(), r.action, r.changes) for r in self.rows]
        return hashlib.sha256(json.dumps(steps).encode()).hexdigest()[:32]


@dataclass(slots=True)
class StaffImportResult:
    """What an import did (counts only: logs carry no personal data)."""

    created: int
    updated: int
    unchanged: int
    skipped: int
    check: StaffCheck
    refused: str = ""  # why nothing was imported, if it was not


def _split_name(text: str) -> tuple[str, str]:
    first, _, last = text.rpartition(" ")
    return (first, last) if first else (text, "")


def _read_row(staff: StaffSheet, number: int, cells: list[object]) -> StaffRow:
    def cell(key: str) -> str:
        i = staff.columns.get(key)
        return cell_text(cells[i]) if i is not None else ""

    if "name" in staff.columns:
        first, last = _split_name(cell("name"))
    else:
        first, last = cell("first_name"), cell("last_name")
    return StaffRow(
        number=number,
        username=cell("username"),
        first_name=first,
        last_name=last,
        email=cell("email"),
        team_name=cell("team"),
        role_text=cell("roles"),
        job_title=cell("job_title") or None,
        oidc_subject=cell("oidc_subject") or None,
    )


class _Records:
    """Everyone with an account and every team, loaded once for the whole file (three queries)."""

    def __init__(self) -> None:
        users = list(User.objects.select_related("team").prefetch_related("groups"))
        self.by_username = {u.username.lower(): u for u in users}
        self.by_email = {u.email.lower(): u for u in users if u.email}
        self.by_subject = {u.oidc_subject.lower(): u for u in users if u.oidc_subject}
        self.teams = {t.name.lower(): t for t in Team.objects.all()}


def _check_fields(row: StaffRow, records: _Records) -> None:
    for value, what in (
        (row.username, "the username"),
        (row.first_name, "the name"),
        (row.email, "the email address"),
        (row.role_text, "at least one role"),
    ):
        if not value:
            row.errors.append(f"Enter {what}")
    if row.username:
        try:
            _username_ok(row.username)
        except ValidationError:
            row.errors.append(f"Username '{row.username}' may hold only letters, digits and @ . + - _")
        if len(row.username) > 150:
            row.errors.append("Username is longer than 150 characters")
    if row.first_name and not row.last_name:
        row.errors.append(f"Enter the last name as well as the first: '{row.first_name}'")
    if len(row.first_name) > 150 or len(row.last_name) > 150:
        row.errors.append("Name is longer than 150 characters")
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(f"'{row.email}' is not a valid email address: write it like name@council.gov.uk")
    if row.job_title and len(row.job_title) > 120:
        row.errors.append("Job title is longer than 120 characters")
    if row.oidc_subject and len(row.oidc_subject) > 255:
        row.errors.append("Single sign-on id is longer than 255 characters")
    for part in re.split(r"[;|,\n]+", row.role_text):
        if not part.strip():
            continue
        role = ROLE_OF.get(re.sub(r"\s+", " ", part.strip().lower()))
        if role is None:
            row.errors.append(
                f"Unknown role '{part.strip()}': use {', '.join(r.label for r in Role)} (several separated by ;)"
            )
        elif role not in row.roles:
            row.roles.append(role)
    if row.team_name:
        row.team = records.teams.get(row.team_name.lower())
        if row.team is None:
            row.errors.append(f"Unknown team '{row.team_name}': add it under Staff and teams, or correct the name")
    elif TEAM_ROLES & set(row.roles):
        row.errors.append("Enter the team of a social worker or team manager")


def _check_against_records(row: StaffRow, records: _Records, by: User) -> None:
    row.user = records.by_username.get(row.username.lower()) if row.username else None
    if row.user is not None and not row.user.is_active:
        row.errors.append(
            f"{row.username} is switched off: they keep their history; switch them back on from their page "
            "if they have come back, then import again"
        )
    owner = records.by_email.get(row.email.lower()) if row.email else None
    if owner is not None and owner != row.user:
        row.errors.append(f"Email address {row.email} is already used by another member of staff ({owner.username})")
    owner = records.by_subject.get(row.oidc_subject.lower()) if row.oidc_subject else None
    if owner is not None and owner != row.user:
        row.errors.append(f"Single sign-on id is already used by another member of staff ({owner.username})")
    if row.user == by and by.has_role(Role.ADMINISTRATOR) and row.roles and Role.ADMINISTRATOR not in row.roles:
        row.errors.append("This is you: an import cannot take away your own Administrator role")


def _check_duplicates(rows: list[StaffRow]) -> None:
    for what, value_of in (
        ("Username", lambda r: r.username),
        ("Email address", lambda r: r.email),
        ("Single sign-on id", lambda r: r.oidc_subject or ""),
    ):
        seen: dict[str, list[StaffRow]] = defaultdict(list)
        for row in rows:
            if value_of(row):
                seen[value_of(row).lower()].append(row)
        for same in seen.values():
            if len(same) > 1:
                numbers = ", ".join(str(r.number) for r in same)
                for row in same:
                    row.errors.append(f"{what} {value_of(row)} is on rows {numbers}: give each person one row")


def _changes(row: StaffRow, user: User) -> list[str]:
    changes = []
    if re.sub(r"\s+", " ", user.get_full_name()) != row.name:
        changes.append(f"Name: {user.get_full_name()} → {row.name}")
    if user.email != row.email:
        changes.append(f"Email: {user.email or 'none'} → {row.email}")
    if user.team_id != (row.team.pk if row.team else None):
        changes.append(f"Team: {user.team or 'none'} → {row.team or 'none'}")
    if set(user.roles) != set(row.roles):
        changes.append(f"Roles: {', '.join(user.role_labels) or 'none'} → {row.role_labels}")
    if row.job_title is not None and user.job_title != row.job_title:
        changes.append(f"Job title: {user.job_title or 'none'} → {row.job_title}")
    if row.oidc_subject is not None and user.oidc_subject.lower() != row.oidc_subject.lower():
        changes.append(f"Single sign-on id: {user.oidc_subject or 'none'} → {row.oidc_subject}")
    return changes


def staff_check(*, staff: StaffSheet, by: User) -> StaffCheck:
    """Read and check every row against what PLO Tracker holds; writes nothing."""
    records = _Records()
    rows = [_read_row(staff, raw.number, raw.cells) for raw in staff.sheet.rows]
    for row in rows:
        _check_fields(row, records)
        _check_against_records(row, records, by)
    _check_duplicates(rows)
    for row in rows:
        if row.errors:
            row.action = "error"
        elif row.user is not None:
            row.changes = _changes(row, row.user)
            row.action = "update" if row.changes else "unchanged"
    optional = [COLUMN_LABELS[k] for k in ("job_title", "oidc_subject") if k in staff.columns]
    return StaffCheck(rows=rows, blank_rows=staff.sheet.blank_rows, optional_columns=optional)


def _write(row: StaffRow, by: User) -> None:
    if row.user is None:
        staff_services.staff_create(
            username=row.username,
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            job_title=row.job_title or "",
            oidc_subject=row.oidc_subject or "",
            team=row.team,
            roles=row.roles,
            by=by,
        )
        return
    staff_services.staff_update(
        user=row.user,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        job_title=row.user.job_title if row.job_title is None else row.job_title,
        team=row.team,
        roles=row.roles,
        active=True,
        oidc_subject=row.oidc_subject,
        by=by,
    )


def staff_import(
    *,
    staff: StaffSheet,
    by: User,
    expected_plan: str | None = None,
    source: str = "staff import",
    progress: Callable[[int], None] | None = None,
) -> StaffImportResult:
    """Create and update every valid row in one transaction (all or nothing), through the staff
    services; rows with errors are left out. With `expected_plan` (the preview's), nothing is
    imported unless the rows would do exactly what the administrator saw. `progress` is told
    the rows written so far, as they are written (an import job's progress page)."""
    check = staff_check(staff=staff, by=by)
    skipped, unchanged = check.error_rows, check.count("unchanged")
    if expected_plan is not None and expected_plan != check.plan:
        logger.info("staff import refused: the file's rows changed since the preview")
        return StaffImportResult(0, 0, unchanged, skipped, check, refused="changed")
    created = updated = 0

    def write(row: StaffRow) -> None:
        nonlocal created, updated
        _write(row, by)
        created += row.action == "new"
        updated += row.action == "update"

    def refused(row: StaffRow, messages: list[str]) -> None:
        row.errors.extend(f"Refused when saved: {m}" for m in messages)

    done = 0

    def written(_row: StaffRow) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done)

    if not write_all_or_nothing(check.rows, write, refused, by_pk=by.pk, source=source, progress=written):
        logger.info("staff import refused: %d rows failed when saved; nothing imported", check.error_rows - skipped)
        return StaffImportResult(0, 0, unchanged, check.error_rows, check, refused="saved")
    logger.info(
        "staff import: %d created, %d updated, %d unchanged, %d with errors", created, updated, unchanged, skipped
    )
    return StaffImportResult(created, updated, unchanged, skipped, check)
