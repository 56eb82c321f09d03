"""The import command for IT (issue #12 §3): same checks, all or nothing, exit code 1 on errors."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command

from cases.models import Family
from imports.models import ImportMapping
from imports.sample import SAMPLE_FAMILIES_VALID, sample_tracker_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample_file(tmp_path):
    path = tmp_path / "sample-tracker.xlsx"
    path.write_bytes(sample_tracker_xlsx())
    return path


@pytest.fixture
def on_sample_day():
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=False):
        yield


def test_the_command_refuses_a_file_with_errors_and_writes_nothing(council, sample_file, on_sample_day, capsys):
    with pytest.raises(CommandError, match="Nothing imported: 4 rows have errors"):
        call_command("import_tracker", str(sample_file), "--as", "clara.clo")
    out = capsys.readouterr().out
    assert "row 15 (TRK-1011): LPM / panel date: '31/02/2026' is not a real date" in out
    assert not Family.objects.exists()
    assert ImportMapping.objects.count() == 1  # the guessed mapping is remembered


def test_the_command_imports_the_valid_rows_when_told_and_is_idempotent(council, sample_file, on_sample_day, capsys):
    call_command("import_tracker", str(sample_file), "--as", "clara.clo", "--skip-invalid")
    assert "Imported: 9 new, 0 updated, 0 unchanged, 4 with errors left out; 189 deadlines" in capsys.readouterr().out
    assert Family.objects.count() == SAMPLE_FAMILIES_VALID
    call_command("import_tracker", str(sample_file), "--as", "clara.clo", "--skip-invalid")
    assert "Imported: 0 new, 0 updated, 9 unchanged" in capsys.readouterr().out


def test_a_column_mapped_on_the_command_line_is_remembered(council, sample_file, on_sample_day, capsys):
    call_command("import_tracker", str(sample_file), "--as", "clara.clo", "--check", "--map", "Comments=")
    with pytest.raises(CommandError, match="'Outcome' is not a field"):
        call_command("import_tracker", str(sample_file), "--as", "clara.clo", "--map", "Comments=Outcome")
    with pytest.raises(CommandError, match="No active member of staff"):
        call_command("import_tracker", str(sample_file), "--as", "nobody")
