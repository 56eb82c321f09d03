"""`manage.py import_tracker FILE --as USERNAME`: bring a council's pre-action tracker in (issue #12 §3)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from imports.cli import add_file_arguments
from imports.fields import BY_KEY, mapping_errors
from imports.parsing import COMMAND_LIMITS, TrackerFileError, read_tracker
from imports.services import mapping_for, mapping_remember, tracker_check, tracker_import


class Command(BaseCommand):
    """The same check and import as the web pages, for IT: every row checked, all or nothing."""

    help = (
        "Import a pre-action tracker (CSV or XLSX). Uses the column mapping remembered for the file's "
        "headers (or a guess from their names; change it with --map). Without --skip-invalid any row "
        "with an error means nothing is imported. Exit code 1 when nothing was imported because of errors."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_file_arguments(parser, who="The member of staff the import is recorded under")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help=f"Map a column to a field ({', '.join(BY_KEY)}; empty FIELD ignores the column). Remembered.",
        )
        parser.add_argument("--skip-invalid", action="store_true", help="Import the valid families, list the others")
        parser.add_argument("--check", action="store_true", help="Check only: report every row, write nothing")
        parser.add_argument(
            "--before-go-live",
            choices=["not_tracked", "done"],
            default="not_tracked",
            help=(
                "Steps due before the council's go-live date with no date in the file: 'not_tracked' "
                "(default: no alert, not in timeliness figures) or 'done' (met, date not known)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            by = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"No active member of staff with the username {options['username']!r}") from exc
        path: Path = options["file"]
        try:
            sheet = read_tracker(path.name, path.read_bytes(), COMMAND_LIMITS)
        except (OSError, TrackerFileError) as exc:
            raise CommandError(str(exc)) from exc
        mapping, remembered = mapping_for(sheet.headers)
        for item in options["map"]:
            header, _, key = item.partition("=")
            if header not in mapping:
                raise CommandError(f"No column is headed {header!r}; the headers are: {', '.join(sheet.headers)}")
            if key and key not in BY_KEY:
                raise CommandError(f"{key!r} is not a field; the fields are: {', '.join(BY_KEY)}")
            mapping[header] = key
        problems = mapping_errors(mapping)
        if problems:
            raise CommandError("; ".join(problems) + " (use --map HEADER=FIELD)")
        if options["map"] or not remembered:
            mapping_remember(headers=sheet.headers, mapping=mapping, by=by)
        out = self.stdout.write
        out(
            f"{len(sheet.rows)} rows under the headers on row {sheet.header_row} "
            f"({sheet.blank_rows} blank rows ignored)"
        )
        for header, key in mapping.items():
            if key:
                out(f"  {header!r} -> {BY_KEY[key].label}")
        if options["check"]:
            result = tracker_check(sheet=sheet, mapping=mapping)
            self._rows(result.rows)
            out(
                f"Check only: {result.count('new')} new, {result.count('update')} to update, "
                f"{result.count('unchanged')} unchanged, {result.error_rows} rows with errors. Nothing written."
            )
            return
        done = tracker_import(
            sheet=sheet,
            mapping=mapping,
            by=by,
            skip_invalid=options["skip_invalid"],
            source="import_tracker command",
            before_go_live=options["before_go_live"],
        )
        self._rows(done.check.rows)
        if done.refused:
            raise CommandError(
                f"Nothing imported: {done.check.error_rows} rows have errors (listed above). Correct them, or "
                "use --skip-invalid to import the valid families only."
            )
        out(
            self.style.SUCCESS(
                f"Imported: {done.created} new, {done.updated} updated, {done.unchanged} unchanged, "
                f"{done.skipped} with errors left out; {done.deadlines} deadlines computed."
            )
        )

    def _rows(self, rows: Any) -> None:
        for r in rows:
            for message in r.errors:
                self.stdout.write(f"  row {r.number} ({r.reference or 'no case ID'}): {message}")
