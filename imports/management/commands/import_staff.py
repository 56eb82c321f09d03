"""`manage.py import_staff FILE --as ADMIN [--commit]`: bring a staff list in from CSV (issue #12 §1)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.roles import Role
from imports.cli import add_file_arguments
from imports.parsing import COMMAND_LIMITS, TrackerFileError
from imports.staff import StaffCheck, read_staff, staff_check, staff_import


class Command(BaseCommand):
    """The same check and import as the staff pages, for IT: a dry run unless --commit."""

    help = (
        "Import staff from a CSV file (columns Username, Name, Email, Team, Roles; optional Job title and "
        "Single sign-on id). Checks every row and writes nothing unless --commit; with --commit the valid "
        "rows are created or updated in one transaction and rows with errors are left out. Exit code 1 "
        "when any row has an error."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_file_arguments(parser, who="The administrator the changes are recorded under")
        parser.add_argument("--commit", action="store_true", help="Write the valid rows (default: check only)")

    def handle(self, *args: Any, **options: Any) -> None:
        by = User.objects.filter(username=options["username"], is_active=True).first()
        if by is None or not by.has_role(Role.ADMINISTRATOR):
            raise CommandError(f"No active administrator with the username {options['username']!r}")
        path: Path = options["file"]
        try:
            staff = read_staff(path.name, path.read_bytes(), COMMAND_LIMITS)
        except (OSError, TrackerFileError) as exc:
            raise CommandError(str(exc)) from exc
        out = self.stdout.write
        out(f"{len(staff.sheet.rows)} rows ({staff.sheet.blank_rows} blank rows ignored)")
        if not options["commit"]:
            check = staff_check(staff=staff, by=by)
            self._rows(check)
            out(
                f"Check only: {check.count_new} new, {check.count_update} to update, {check.count_unchanged} "
                f"unchanged, {check.error_rows} rows with errors. Nothing written: add --commit to import "
                f"the {check.importable} valid rows."
            )
        else:
            done = staff_import(staff=staff, by=by, source="import_staff command")
            check = done.check
            self._rows(check)
            if done.refused:
                raise CommandError("Nothing imported: a row was refused when saved (listed above)")
            out(
                self.style.SUCCESS(
                    f"Imported: {done.created} new, {done.updated} updated, {done.unchanged} unchanged, "
                    f"{done.skipped} rows with errors left out."
                )
            )
        if check.error_rows:
            raise CommandError(f"{check.error_rows} rows have errors (listed above)", returncode=1)

    def _rows(self, check: StaffCheck) -> None:
        for r in check.rows:
            for message in r.errors:
                self.stdout.write(f"  row {r.number} ({r.username or 'no username'}): {message}")
            for change in r.changes:
                self.stdout.write(f"  row {r.number} ({r.username}): {change}")
