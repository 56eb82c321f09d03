"""What the import commands (import_tracker, import_staff) share: the file and who imports it."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path


def add_file_arguments(parser: ArgumentParser, *, who: str) -> None:
    """FILE, and --as USERNAME: the member of staff the audit trail records the import under."""
    parser.add_argument("file", type=Path)
    parser.add_argument("--as", dest="username", required=True, help=who)
