"""Write the sample pre-action tracker to docs/sample-tracker.xlsx (see imports/sample.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imports.sample import sample_tracker_xlsx  # noqa: E402  (after the sys.path line that makes the project importable)

if __name__ == "__main__":
    target = ROOT / "docs" / "sample-tracker.xlsx"
    target.write_bytes(sample_tracker_xlsx())
    print(f"Wrote {target.relative_to(ROOT)}")
