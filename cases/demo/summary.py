"""What the demo loads, for the command's report: the families' scenarios and the counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEFAULT_SEED = 2026
FAMILIES = 25
HISTORY_FAMILIES = 18  # whose pre-proceedings ended during the past year (_Builder.history)


# --- Summary -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One demo family and what it shows."""

    family: str
    team: str
    social_worker: str
    stage: str
    shows: str


@dataclass
class DemoSummary:
    """What was loaded, for the command's report."""

    today: dt.date
    seed: int
    teams: int = 0
    staff: int = 0
    families: int = 0
    history_families: int = 0
    children: int = 0
    episodes_by_stage: dict[str, int] = field(default_factory=dict)
    scenarios: list[Scenario] = field(default_factory=list)
