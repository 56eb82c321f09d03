"""The deadline engine imports nothing from Django (docs/conventions.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

CHECK = """
import sys
import deadlines.engine
from deadlines.engine import calendar, policies, rules, timetable
for name in deadlines.engine.available_policies():
    deadlines.engine.load_policy(name)
loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
assert not loaded, loaded
print("ok")
"""


def test_engine_imports_no_django() -> None:
    """A fresh interpreter (no pytest-django, no settings) imports and uses the engine."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    result = subprocess.run(  # fixed command, our own interpreter
        [sys.executable, "-c", CHECK],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_engine_sources_do_not_mention_django() -> None:
    engine = REPO / "deadlines" / "engine"
    for path in engine.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import django" not in text and "from django" not in text, path
