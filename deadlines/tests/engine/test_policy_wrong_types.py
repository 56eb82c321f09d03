"""A council's policy file with a value of the wrong type anywhere (a list where a key goes, a
table where a number goes, true where a date rule goes) is refused with a PolicyError naming the
file and the rule, never a TypeError from deep inside the loader (docs/policies.md)."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest

from deadlines.engine.policies import _RULE_FIELDS, _TOP_FIELDS, POLICY_DIR, PolicyError, _Builder

WRONG: list[Any] = [["a", "b"], [["nested"]], {"table": 1}, True, 7, -1, "", "Not_A_Key", 1.5]
POLICIES = sorted(p.stem for p in POLICY_DIR.glob("*.toml"))


def _load(name: str) -> tuple[str, str, dict[str, Any]]:
    path = POLICY_DIR / f"{name}.toml"
    text = path.read_text(encoding="utf-8")
    return str(path), text, tomllib.loads(text)


def _build(path: str, text: str, data: dict[str, Any]) -> None:
    try:
        _Builder(path, data, text).build()
    except PolicyError as exc:
        assert str(exc).startswith(path), exc  # names the file


@pytest.mark.parametrize("name", POLICIES)
@pytest.mark.parametrize("field", sorted(_RULE_FIELDS))
def test_a_rule_field_of_the_wrong_type_is_a_policy_error(name: str, field: str) -> None:
    path, text, data = _load(name)
    for index in range(len(data["rules"])):
        if field not in data["rules"][index] and index > 2:
            continue  # an absent field: a few rules are enough
        for value in WRONG:
            changed = copy.deepcopy(data)
            changed["rules"][index][field] = value
            _build(path, text, changed)


@pytest.mark.parametrize("name", POLICIES)
@pytest.mark.parametrize("field", sorted(_TOP_FIELDS))
def test_a_top_level_field_of_the_wrong_type_is_a_policy_error(name: str, field: str) -> None:
    path, text, data = _load(name)
    for value in WRONG:
        changed = copy.deepcopy(data)
        changed[field] = value
        _build(path, text, changed)


def test_a_list_as_a_rule_key_names_the_file_line_and_rule() -> None:
    path, text, data = _load("standard")
    data["rules"][1]["key"] = ["letter_before_proceedings"]
    with pytest.raises(PolicyError) as raised:
        _Builder(path, data, text).build()
    assert f"{path}:" in str(raised.value) and "rule #2" in str(raised.value)
    assert "key must be a lower_snake_case string" in str(raised.value)
