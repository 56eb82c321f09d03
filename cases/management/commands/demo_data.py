"""`manage.py demo_data`: load the fictional demo council into an empty database."""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.demo import DEFAULT_SEED, SIGN_INS, DemoNotLoaded, DemoSummary, demo_load, demo_password
from deadlines.history import weekly_snapshots_backfill
from deadlines.scans import alert_scan_catch_up


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from exc


class Command(BaseCommand):
    """Create staff, teams and about 25 fictional families at every PLO stage, through the services."""

    help = (
        "Load a fictional council's demo data (staff in every role, families at every stage). "
        "Refuses to touch a database that already has families."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Quietly do nothing (exit 0) if the database already has families; for `make run`.",
        )
        parser.add_argument(
            "--today", type=_date, default=None, help="Date the demo counts back from (default: today)."
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"Seed for the invented names (default {DEFAULT_SEED})."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today: dt.date = options["today"] or timezone.localdate()
        started = time.monotonic()
        try:
            summary = demo_load(today=today, seed=options["seed"])
        except DemoNotLoaded as exc:
            if options["if_empty"]:
                self.stdout.write(f"Demo data not loaded: {exc}.")
                return
            # Exit code 1: the demo never duplicates or replaces what is already there.
            raise CommandError(
                f"Demo data not loaded: {exc}. It loads only into an empty database and never "
                "duplicates or replaces existing records (use --if-empty to skip quietly)."
            ) from exc
        # Alerts from the first minute (issue #12 §4): the demo's overdue deadlines raise their
        # alerts now, not at the next 07:00 scan.
        caught_up = alert_scan_catch_up(today=today, recompute=False)
        # A year of the weekly tracker's history (issue 13 §5), as the Monday job would have stored it.
        snapshots = weekly_snapshots_backfill(today=today, weeks=52)
        self._report(summary, time.monotonic() - started, options["verbosity"])
        self.stdout.write(f"  Alert scan run for {today:%d/%m/%Y}: {caught_up.raised} alerts raised.")
        self.stdout.write(f"  Weekly tracker history: {snapshots} weekly snapshots stored (52 weeks).")

    def _report(self, summary: DemoSummary, seconds: float, verbosity: int) -> None:
        out = self.stdout.write
        out(
            self.style.SUCCESS(
                f"Loaded the {settings.COUNCIL_NAME} demo (today {summary.today:%d/%m/%Y}, seed {summary.seed}) "
                f"in {seconds:.1f} s."
            )
        )
        out(f"  {summary.teams} teams, {summary.staff} staff, {summary.families} families, {summary.children} children")
        out(
            f"  and {summary.history_families} families whose pre-proceedings (or LPM) ended during the past year, "
            "for the weekly tracker's history"
        )
        out("  Episodes: " + ", ".join(f"{n} {label.lower()}" for label, n in summary.episodes_by_stage.items()))
        if verbosity >= 2:
            for s in summary.scenarios:
                out(f"  {s.family:<22} {s.stage:<24} {s.social_worker:<18} {s.shows}")
        out(f"Sign in as any of these (password: {demo_password()}):")
        for member in SIGN_INS:
            out(f"  {member.username:<15} {member.role.label:<22} {member.first_name} {member.last_name}")
