"""docs/timescales-sources.md cannot rot: every rule it names exists, every policy rule is in it,
and every test it names exists (issue #10: source sentence -> policy key -> test)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deadlines.engine import available_policies, load_policy

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "timescales-sources.md"
TESTS = {
    "T": REPO / "deadlines" / "tests" / "engine" / "test_policies.py",
    "S": REPO / "deadlines" / "tests" / "engine" / "test_timescales_sources.py",
    "R": REPO / "cases" / "tests" / "test_recorded_steps.py",
    "P": REPO / "meetings" / "tests" / "test_review_points.py",
    "A": REPO / "deadlines" / "tests" / "test_overrun_forecast.py",
    "M": REPO / "meetings" / "tests" / "test_advice_to_head_of_service.py",
}


def _rows(heading: str) -> list[list[str]]:
    """The cells of each body row of the first table after ``heading``."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    rows: list[list[str]] = []
    for line in section.splitlines():
        if line.startswith("## ") and rows:
            break
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if cells[0] in ("Source", "Was"):
            continue
        rows.append(cells)
    return rows


def _named_rules() -> set[tuple[str, str]]:
    named = set()
    for cells in _rows("## The table"):
        assert len(cells) == 4, f"a row needs source | sentence | rule | test: {cells}"
        for item in cells[2].split(", "):
            policy, _, ident = item.partition(":")
            named.add((policy, ident))
    return named


def _tests_named() -> list[str]:
    cells = [cells[3] for cells in _rows("## The table")] + [cells[2] for cells in _rows("## Rules removed")]
    assert cells
    return [ref for cell in cells for ref in cell.split("; ")]  # a cell may name several tests


def test_every_rule_named_in_the_table_exists_in_its_policy() -> None:
    missing = []
    for policy_name, ident in sorted(_named_rules()):
        policy = load_policy(policy_name)
        if ident.startswith("escalation."):
            found = policy.escalation(ident.removeprefix("escalation.")) is not None
        else:
            found = policy.rule_by_ident(ident) is not None
        if not found:
            missing.append(f"{policy_name}:{ident}")
    assert missing == []


@pytest.mark.parametrize("name", available_policies())
def test_every_policy_rule_and_escalation_is_in_the_table(name: str) -> None:
    policy = load_policy(name)
    named = _named_rules()
    idents = [r.ident for r in policy.rules] + [f"escalation.{e.kind}" for e in policy.escalations]
    assert [i for i in idents if (name, i) not in named] == []


def test_every_test_named_in_the_table_exists() -> None:
    missing = []
    for ref in _tests_named():
        prefix, *_, function = ref.split("::")
        path = TESTS[prefix]
        if not re.search(rf"^\s*def {re.escape(function)}\(", path.read_text(encoding="utf-8"), re.MULTILINE):
            missing.append(ref)
    assert missing == []


@pytest.mark.parametrize("name", available_policies())
def test_every_rule_and_escalation_quotes_the_sentence_it_comes_from(name: str) -> None:
    """Issue #10: every policy rule cites its sentence (shown under "why this date")."""
    policy = load_policy(name)
    assert [r.ident for r in policy.rules if not r.quote.strip()] == []
    assert [e.kind for e in policy.escalations if not e.quote.strip()] == []
