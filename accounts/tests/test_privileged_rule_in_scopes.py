"""The rule that hides deadlines revealing legal advice is read only through the scopes
(docs/security.md): a page, list, count, feed or export that wants a family's deadlines reads
`deadlines.scopes.deadlines_visible_to` (or `alerts_visible_to`, or `deadline_keys_hidden_from` for
figures worked out in SQL), never the primitives behind them. A screen that applied the rule
itself could apply it differently, and the next screen could forget it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "cases", "meetings", "deadlines", "tracker_meetings", "letters", "imports", "plo_tracker")

#: The primitives of the rule: only a scopes module may use them.
PRIMITIVES = {"privileged_deadlines_q", "privileged_deadline_keys_hidden_from"}
#: The keys themselves: the scopes, and two writes that are not a user's read.
KEYS = "PRIVILEGED_DEADLINE_KEYS"
KEYS_ALLOWED = {
    # Who an alert is raised for: a privileged deadline's alert goes to the team manager only.
    "deadlines/alerts.py",
    # Stored weekly figures are read by everyone on a team: privileged deadlines never counted.
    "deadlines/history.py",
}


def _product_modules() -> list[Path]:
    out: list[Path] = []
    for app in APPS:
        out += [
            p
            for p in (ROOT / app).rglob("*.py")
            if "tests" not in p.relative_to(ROOT).parts and "migrations" not in p.relative_to(ROOT).parts
        ]
    return sorted(out)


def _names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.name for alias in node.names)
    return names


def test_only_the_scopes_apply_the_privileged_deadline_rule() -> None:
    offenders: list[str] = []
    for path in _product_modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel.endswith("scopes.py"):
            continue
        used = _names_used(path)
        offenders += [f"{rel}: {name}" for name in sorted(used & PRIMITIVES)]
        if KEYS in used and rel not in KEYS_ALLOWED:
            offenders.append(f"{rel}: {KEYS}")
    assert offenders == []


def test_the_check_reads_the_product() -> None:
    rels = {p.relative_to(ROOT).as_posix() for p in _product_modules()}
    assert {"deadlines/selectors/tracker.py", "cases/selectors.py", "tracker_meetings/today.py"} <= rels
    assert rels >= KEYS_ALLOWED
    assert _names_used(ROOT / "deadlines" / "scopes.py") >= PRIMITIVES
