"""Code a newcomer can change safely (issue 23): no function over 80 lines in the deadline engine,
the services (which write) or the selectors (which read), where past date faults were.

A long function here is split into named steps that read as the protocol reads. The allow-list
below names the few not split yet, each with its reason; an entry that is no longer needed (the
function was split, renamed or removed) fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 80

#: (app, qualified function name) -> why it is still longer than MAX_LINES. Keyed by app, not by
#: file, so the entries still hold when a module becomes a package (deadlines/selectors/...).
ALLOWED: dict[tuple[str, str], str] = {}


def _checked_files() -> list[Path]:
    """The engine, and every app's services and selectors (a module or a package)."""
    files = sorted((ROOT / "deadlines" / "engine").rglob("*.py"))
    for kind in ("services", "selectors"):
        files += sorted(ROOT.glob(f"*/{kind}.py"))
        files += sorted(ROOT.glob(f"*/{kind}/**/*.py"))
    return [f for f in files if ".venv" not in f.parts and "tests" not in f.parts]


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method with its qualified name (``_Run.step``, ``rule.bad``)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            yield name, node
            yield from _functions(node, f"{name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def _long_functions() -> dict[tuple[str, str], str]:
    """(app, qualified name) -> "path:line (n lines)" for each function over MAX_LINES."""
    found: dict[tuple[str, str], str] = {}
    for path in _checked_files():
        rel = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
        for name, node in _functions(tree):
            end = node.end_lineno or node.lineno
            lines = end - node.lineno + 1
            if lines > MAX_LINES:
                found[(rel.parts[0], name)] = f"{rel}:{node.lineno} ({lines} lines)"
    return found


def test_the_checked_code_is_found() -> None:
    files = {str(f.relative_to(ROOT)) for f in _checked_files()}
    assert "deadlines/engine/timetable.py" in files
    assert "deadlines/engine/policies.py" in files
    assert "imports/services.py" in files
    assert any(f.startswith("cases/selectors") for f in files)


def test_no_long_functions_in_engine_services_and_selectors() -> None:
    long = {k: v for k, v in _long_functions().items() if k not in ALLOWED}
    assert not long, f"Functions over {MAX_LINES} lines (split them into named steps): " + "; ".join(
        f"{where} {name}" for (_, name), where in sorted(long.items())
    )


def test_allow_list_has_no_stale_entries() -> None:
    long = _long_functions()
    stale = sorted(f"{app}: {name}" for app, name in ALLOWED if (app, name) not in long)
    assert not stale, f"No longer over {MAX_LINES} lines (remove from ALLOWED): {stale}"


def test_the_walk_sees_methods_and_nested_functions() -> None:
    source = "class A:\n    def m(self):\n        def inner():\n            pass\n"
    names = [name for name, _ in _functions(ast.parse(source))]
    assert names == ["A.m", "A.m.inner"]
