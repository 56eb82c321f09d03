"""Where the browser tests save screenshots.

A test run never writes a tracked file: screenshots go to test-results/screenshots (ignored by git)
unless PLO_SCREENSHOTS names another folder. `make screenshots` sets it to docs/screenshots to
refresh the committed ones on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _folder() -> Path:
    folder = Path(os.environ.get("PLO_SCREENSHOTS") or ROOT / "test-results" / "screenshots")
    if not folder.is_absolute():
        folder = ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


SHOTS = _folder()
