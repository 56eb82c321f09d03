"""Council policies as data: load, validate and precompile ``policies/*.toml``.

Each file is one council profile of timescales.md §3. A malformed file fails loudly at load time
with a message naming the file, the rule and what is wrong, because a silently wrong deadline in
a child's pre-proceedings is worse than a deployment that refuses to start.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .rules import (
    MILESTONE_KEYS,
    OUTCOMES,
    ROLES,
    WEEKDAYS,
    Offset,
    Rule,
    Unit,
    as_phrase,
    describe_rule,
)

__all__ = [
    "ESCALATION_KINDS",
    "POLICY_DIR",
    "STATUTORY_RULES",
    "Escalation",
    "Policy",
    "PolicyError",
    "available_policies",
    "load_policy",
]

POLICY_DIR = Path(__file__).resolve().parent / "policies"

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_RULES_HEADER = re.compile(r"^\s*\[\[\s*rules\s*\]\]")
_TOP_FIELDS = frozenset(
    {
        "name",
        "title",
        "version",
        "source",
        "notes",
        "clock_start",
        "standard_weeks",
        "max_extension_weeks",
        "due_soon_working_days",
        "events",
        "escalations",
        "rules",
    }
)
_TOP_REQUIRED = (
    "name",
    "title",
    "version",
    "clock_start",
    "standard_weeks",
    "rules",
)
_EVENT_FIELDS = frozenset({"label", "source", "note"})
_RULE_FIELDS = frozenset(
    {
        "key",
        "label",
        "custom",
        "anchor",
        "amount",
        "unit",
        "direction",
        "when",
        "recurring",
        "entered",
        "occurrence",
        "for_each",
        "wait",
        "extends",
        "optional",
        "not_after",
        "not_before",
        "weekdays",
        "moot_after",
        "source",
        "responsible_role",
        "note",
        "quote",
        "interpretation",
        "requires",
        "excluded_by",
        "listed",
        "court_extends",
    }
)
_RULE_REQUIRED = ("key", "amount", "unit", "source", "responsible_role")
_CAP_FIELDS = frozenset({"anchor", "amount", "unit"})
_ESCALATION_FIELDS = frozenset({"to", "source", "quote", "interpretation"})
#: What a policy can escalate, with the alert each raises (deadlines/alerts.py).
ESCALATION_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "overrun": "the episode is predicted to run past its standard length",
        "repeat_episode": "a child is in pre-proceedings for a second (or later) time",
    }
)
_END_KEY = "pre_proceedings_end"

# Unit codes used by the timetable's hot loop (an int compare beats an enum compare).
UNIT_WORKING_DAYS, UNIT_CALENDAR_DAYS, UNIT_WEEKS = 0, 1, 2
_UNIT_CODE = {
    Unit.WORKING_DAYS: UNIT_WORKING_DAYS,
    Unit.CALENDAR_DAYS: UNIT_CALENDAR_DAYS,
    Unit.WEEKS: UNIT_WEEKS,
}


#: Court steps the law sets for every council (Children Act 1989 s32): the engine adds them to
#: every policy. A policy may add court steps of its own (CMH, IRH, advocates' meetings), and may
#: restate these word for word, but never change or switch them off: the loader refuses that.
STATUTORY_RULES: tuple[Rule, ...] = (
    Rule(
        key="final_hearing",
        anchor=("proceedings_issued",),
        amount=181,
        unit=Unit.CALENDAR_DAYS,
        source="Children Act 1989 s32(1)(a)(ii), s32(5)",
        responsible_role="legal_adviser",
        label=MILESTONE_KEYS["final_hearing"],
        when=("issue",),
        court_extends=True,
        listed="final_hearing_listed",
        quote="within twenty-six weeks beginning with the day on which the application was issued",
        note=(
            "The 26 weeks begin with the issue day, so the last day is issue + 181 days; each extension "
            "the court grants (s32(5): up to 8 weeks at a time) moves it; a listed final hearing replaces it."
        ),
    ),
)
#: Events the statutory rules need, with their labels, declared for every policy.
STATUTORY_EVENTS: Mapping[str, str] = MappingProxyType(
    {"final_hearing_listed": "the date the court listed the final hearing for"}
)
#: The fields that decide a rule's date: a policy's restatement of a statutory rule must match them.
_COMPUTED_FIELDS = (
    "anchor",
    "amount",
    "unit",
    "when",
    "recurring",
    "entered",
    "occurrence",
    "for_each",
    "wait",
    "extends",
    "optional",
    "not_after",
    "not_before",
    "weekdays",
    "moot_after",
    "requires",
    "excluded_by",
    "listed",
    "court_extends",
)


class PolicyError(ValueError):
    """A policy file is malformed; the message names the file, the rule and the problem."""


class Step:
    """One rule precompiled for the timetable's hot loop (internal)."""

    __slots__ = (
        "seq",
        "rule",
        "key",
        "label",
        "anchors",
        "amount",
        "unit",
        "when",
        "pre_proceedings",
        "recurring",
        "entered",
        "occurrence",
        "for_each",
        "wait",
        "extends",
        "optional",
        "cap",
        "floor",
        "weekdays",
        "moot_after",
        "source",
        "role",
        "requires",
        "excluded_by",
        "listed",
        "court_extends",
    )

    def __init__(self, seq: int, rule: Rule, labels: Mapping[str, str], numbered: frozenset[str]) -> None:
        self.seq = seq
        self.rule = rule
        self.key = rule.key
        self.label = rule.label
        self.anchors = rule.anchor
        self.amount = rule.amount
        self.unit = _UNIT_CODE[rule.unit]
        self.when = frozenset(rule.when)
        self.pre_proceedings = "initiate" in rule.when
        self.recurring = rule.recurring
        self.entered = rule.entered
        self.occurrence = rule.occurrence
        # (meeting key, "<key>:<meeting>" record key, meeting phrase, number the meetings?)
        self.for_each = tuple(
            (m, f"{rule.key}:{m}", as_phrase(labels.get(m, m.replace("_", " "))), m in numbered) for m in rule.for_each
        )
        self.wait = rule.wait
        self.extends = rule.extends
        self.optional = rule.optional
        cap = rule.not_after
        self.cap = None if cap is None else (cap.anchor, cap.amount, _UNIT_CODE[cap.unit])
        floor = rule.not_before
        self.floor = None if floor is None else (floor.anchor, floor.amount, _UNIT_CODE[floor.unit])
        self.weekdays = frozenset(rule.weekdays)
        self.moot_after = rule.moot_after
        self.source = rule.source
        self.role = rule.responsible_role
        self.requires = rule.requires
        self.excluded_by = rule.excluded_by
        self.listed = rule.listed
        self.court_extends = rule.court_extends


@dataclass(frozen=True, slots=True)
class Escalation:
    """A source's instruction to tell someone senior when something happens (e.g. 004: the
    panel chair escalates to the assistant director a case predicted to pass 16 weeks)."""

    kind: str
    to: tuple[str, ...]
    source: str
    quote: str = ""
    interpretation: str = ""


@dataclass(frozen=True, eq=False)
class Policy:
    """One council's timescales (timescales.md §3), validated and precompiled at load."""

    name: str
    title: str
    version: str
    clock_start: str
    standard_weeks: int
    #: Longest agreed extension in weeks; ``None`` when the source states no maximum (000, 004).
    max_extension_weeks: int | None
    due_soon_working_days: int
    rules: tuple[Rule, ...]
    #: Extra recorded events the policy declares (key -> label), e.g. ``lpm_request``.
    events: Mapping[str, str]
    source: str = ""
    notes: str = ""
    path: str = ""
    escalations: tuple[Escalation, ...] = ()
    #: Every key -> label: canonical defaults, then event and rule labels.
    labels: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: Keys ``timetable()`` accepts in ``events``.
    event_keys: frozenset[str] = field(default_factory=frozenset, repr=False)
    steps: tuple[Step, ...] = field(default=(), repr=False)

    def label_for(self, key: str) -> str:
        """Plain-English label of a milestone or event key."""
        return self.labels.get(key, key.replace("_", " "))

    def describe(self, rule: Rule) -> str:
        """``describe_rule`` with this policy's labels."""
        return describe_rule(rule, self.labels)

    def rules_for(self, key: str) -> tuple[Rule, ...]:
        """The rules (usually one) that govern milestone ``key``."""
        return tuple(r for r in self.rules if r.key == key)

    def rule_by_ident(self, ident: str) -> Rule | None:
        """The rule with ``Rule.ident`` ``ident`` (as stored with each deadline), if any."""
        for r in self.rules:
            if r.ident == ident:
                return r
        return None

    def escalation(self, kind: str) -> Escalation | None:
        """The policy's escalation of ``kind`` (``ESCALATION_KINDS``), if it has one."""
        for e in self.escalations:
            if e.kind == kind:
                return e
        return None

    def extension_allowed(self, weeks: int) -> bool:
        """Whether an agreed extension of ``weeks`` in all is within the policy's maximum."""
        return self.max_extension_weeks is None or weeks <= self.max_extension_weeks


# -- loading ------------------------------------------------------------------------------


def available_policies() -> list[str]:
    """Names of the bundled policies, e.g. ``["gloucestershire", "pre_action_flowchart", ...]``."""
    return sorted(p.stem for p in POLICY_DIR.glob("*.toml"))


def load_policy(name_or_path: str | Path) -> Policy:
    """Load a bundled policy by name, or any policy file by path; raises ``PolicyError``."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(name_or_path)
    else:
        if not _KEY_RE.match(text):
            raise PolicyError(f"{text!r}: not a policy name")
        path = POLICY_DIR / f"{text}.toml"
        if not path.is_file():
            known = ", ".join(available_policies())
            raise PolicyError(f"{path}: no policy named {text!r} (available: {known})")
    try:
        path = path.resolve(strict=True)
        stat = path.stat()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file ({exc})") from exc
    policy = _load_cached(str(path), stat.st_mtime_ns, stat.st_size)
    if not isinstance(name_or_path, Path) and text == path.stem and policy.name != text:
        raise PolicyError(f"{path}: name {policy.name!r} does not match the file name {text!r}")
    return policy


@lru_cache(maxsize=64)
def _load_cached(path: str, _mtime_ns: int, _size: int) -> Policy:
    """Parse and compile once per file version (mtime and size are part of the cache key)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file ({exc})") from exc
    return _Builder(path, data, raw.decode("utf-8")).build()


#: Makes the error for one rule: ``bad(problem, field=None)``.
_Bad = Callable[..., PolicyError]


class _Builder:
    """Validates one parsed policy file and compiles it."""

    def __init__(self, path: str, data: dict[str, Any], text: str = "") -> None:
        self.path = path
        self.data = data
        # Line (1-based) of each [[rules]] table, so an error names where to look.
        self.lines = text.splitlines()
        self.rule_lines = [n + 1 for n, line in enumerate(self.lines) if _RULES_HEADER.match(line)]

    # -- error helpers ------------------------------------------------------------------------

    def fail(self, problem: str) -> PolicyError:
        return PolicyError(f"{self.path}: {problem}")

    def rule_fail(self, index: int, key: object, problem: str, field: str | None = None) -> PolicyError:
        name = f"{key!r}" if isinstance(key, str) else "(no key)"
        return PolicyError(f"{self.path}:{self.line_of(index, field)}: rule #{index + 1} {name}: {problem}")

    def line_of(self, index: int, field: str | None = None) -> int:
        """The line of rule ``index`` (its ``field =`` line when given and present), else 1."""
        if index >= len(self.rule_lines):
            return 1
        start = self.rule_lines[index]
        if field is not None:
            stop = self.rule_lines[index + 1] if index + 1 < len(self.rule_lines) else len(self.lines) + 1
            pattern = re.compile(rf"^\s*{re.escape(field)}\s*=")
            for n in range(start, stop - 1):
                if pattern.match(self.lines[n]):
                    return n + 1
        return start

    # -- top level ----------------------------------------------------------------------------

    def build(self) -> Policy:
        data = self.data
        unknown = sorted(set(data) - _TOP_FIELDS)
        if unknown:
            raise self.fail(f"unknown field(s) {unknown}; allowed: {sorted(_TOP_FIELDS)}")
        for f in _TOP_REQUIRED:
            if f not in data:
                raise self.fail(f"missing required field {f!r}")
        name = self.text(data["name"], "name")
        if not _KEY_RE.match(name):
            raise self.fail(f"name {name!r} must be lower_snake_case")
        title = self.text(data["title"], "title")
        version = self.text(data["version"], "version")
        source = self.text(data.get("source", ""), "source", allow_empty=True)
        notes = self.text(data.get("notes", ""), "notes", allow_empty=True)
        standard_weeks = self.integer(data["standard_weeks"], "standard_weeks")
        if standard_weeks <= 0:
            raise self.fail(f"standard_weeks must be a positive number of weeks, not {standard_weeks}")
        # Absent: the source sets no maximum (the panel or director decides, with reasons).
        max_ext: int | None = None
        if "max_extension_weeks" in data:
            max_ext = self.integer(data["max_extension_weeks"], "max_extension_weeks")
            if max_ext < 0:
                raise self.fail(f"max_extension_weeks must not be negative, not {max_ext}")
        soon = self.integer(data.get("due_soon_working_days", 2), "due_soon_working_days")
        if soon < 0:
            raise self.fail(f"due_soon_working_days must not be negative, not {soon}")

        events = {**STATUTORY_EVENTS, **self.events(data.get("events", {}))}
        self.declared = frozenset(events)
        raw_rules = data["rules"]
        if not isinstance(raw_rules, list) or not raw_rules:
            raise self.fail("'rules' must be a non-empty array of [[rules]] tables")
        # Keys of any type are checked rule by rule below (a list there is a rule's error, named).
        rule_keys = {r["key"] for r in raw_rules if isinstance(r, dict) and isinstance(r.get("key"), str)}
        known_events = set(MILESTONE_KEYS) | set(events) | rule_keys
        labels: dict[str, str] = dict(MILESTONE_KEYS)
        labels.update(events)
        rules = [self.rule(i, raw, known_events, labels) for i, raw in enumerate(raw_rules)]
        rules = self.with_statutory(rules)
        for r in rules:
            if r.occurrence == 1 and not r.for_each:
                labels[r.key] = r.label

        clock_start = self.text(data["clock_start"], "clock_start")
        if clock_start not in known_events:
            raise self.fail(
                f"clock_start {clock_start!r} is not a known event "
                "(a milestone key of timescales.md §2, a rule key or a declared [events] key)"
            )
        self.check_duplicates(rules)
        self.check_end(rules, clock_start, standard_weeks)
        escalations = self.escalations(data.get("escalations", {}))
        order = self.topological_order(rules)
        event_keys = set(known_events)
        for r in rules:
            event_keys.update(f"{r.key}:{m}" for m in r.for_each)
        return Policy(
            name=name,
            title=title,
            version=version,
            clock_start=clock_start,
            standard_weeks=standard_weeks,
            max_extension_weeks=max_ext,
            due_soon_working_days=soon,
            rules=tuple(rules),
            events=MappingProxyType(events),
            source=source,
            notes=notes,
            path=self.path,
            escalations=escalations,
            labels=MappingProxyType(labels),
            event_keys=frozenset(event_keys),
            steps=self.steps(rules, order, labels),
        )

    @staticmethod
    def steps(rules: list[Rule], order: list[int], labels: Mapping[str, str]) -> tuple[Step, ...]:
        """The rules precompiled for the timetable, each after the rules it counts from."""
        # Meetings that happen more than once are numbered in the labels of their minutes.
        counts: dict[str, int] = {}
        for r in rules:
            if not r.for_each:
                counts[r.key] = counts.get(r.key, 0) + (2 if r.recurring else 1)
        numbered = frozenset(k for k, n in counts.items() if n > 1)
        meeting_labels = {**labels, **MILESTONE_KEYS}  # canonical names read well as "of ..."
        return tuple(Step(i, rules[i], meeting_labels, numbered) for i in order)

    def text(self, value: object, what: str, *, allow_empty: bool = False) -> str:
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            raise self.fail(f"{what} must be a non-empty string, not {value!r}")
        return value

    def integer(self, value: object, what: str) -> int:
        # bool is an int subclass; `standard_weeks = true` is a mistake, not 1.
        if type(value) is not int:
            raise self.fail(f"{what} must be an integer, not {value!r}")
        return value

    def events(self, raw: object) -> dict[str, str]:
        if not isinstance(raw, dict):
            raise self.fail("[events] must be a table of event declarations")
        out: dict[str, str] = {}
        for key, decl in raw.items():
            where = f"event {key!r}"
            if not _KEY_RE.match(key):
                raise self.fail(f"{where}: key must be lower_snake_case")
            if key in MILESTONE_KEYS:
                raise self.fail(f"{where}: already a milestone key of timescales.md §2; do not redeclare it")
            if not isinstance(decl, dict):
                raise self.fail(f"{where}: must be a table with a label")
            unknown = sorted(set(decl) - _EVENT_FIELDS)
            if unknown:
                raise self.fail(f"{where}: unknown field(s) {unknown}; allowed: {sorted(_EVENT_FIELDS)}")
            label = decl.get("label")
            if not isinstance(label, str) or not label.strip():
                raise self.fail(f"{where}: needs a non-empty label")
            out[key] = label
        return out

    def escalations(self, raw: object) -> tuple[Escalation, ...]:
        if not isinstance(raw, dict):
            raise self.fail("[escalations] must be a table of escalations")
        out: list[Escalation] = []
        for kind, decl in raw.items():
            where = f"escalation {kind!r}"
            if kind not in ESCALATION_KINDS:
                raise self.fail(f"{where}: unknown kind; use one of {sorted(ESCALATION_KINDS)}")
            if not isinstance(decl, dict):
                raise self.fail(f"{where}: must be a table with to and source")
            unknown = sorted(set(decl) - _ESCALATION_FIELDS)
            if unknown:
                raise self.fail(f"{where}: unknown field(s) {unknown}; allowed: {sorted(_ESCALATION_FIELDS)}")
            to = decl.get("to")
            to = [to] if isinstance(to, str) else to
            if not isinstance(to, list) or not to or any(r not in ROLES for r in to):
                raise self.fail(f"{where}: to must name one or more roles of {sorted(ROLES)}")
            source = decl.get("source")
            if not isinstance(source, str) or not source.strip():
                raise self.fail(f"{where}: missing source: cite the document and section")
            texts = {f: decl.get(f, "") for f in ("quote", "interpretation")}
            if not all(isinstance(v, str) for v in texts.values()):
                raise self.fail(f"{where}: quote and interpretation must be strings")
            out.append(Escalation(kind, tuple(to), source, texts["quote"], texts["interpretation"]))
        return tuple(out)

    # -- rules --------------------------------------------------------------------------------

    def rule(self, i: int, raw: object, known: set[str], labels: Mapping[str, str]) -> Rule:
        """One ``[[rules]]`` table checked field by field, in the order a reader meets them: what
        the milestone is, who owns it, its timescale, when it applies, what it counts from, then
        its bounds and the events that switch it on or off."""
        if not isinstance(raw, dict):
            raise self.rule_fail(i, None, "must be a table")
        key = raw.get("key")

        def bad(problem: str, field: str | None = None) -> PolicyError:
            return self.rule_fail(i, key, problem, field)

        key, label = self.rule_identity(raw, labels, bad)
        source, role = self.rule_owner(raw, bad)
        unit, amount = self.rule_timescale(raw, bad)
        when = self.rule_when(raw, bad)
        recurring = self.flag(raw, "recurring", bad)
        entered = self.flag(raw, "entered", bad)
        wait = self.flag(raw, "wait", bad, default=True)
        extends = self.flag(raw, "extends", bad)
        optional = self.flag(raw, "optional", bad)
        occurrence = raw.get("occurrence", 1)
        if type(occurrence) is not int or occurrence < 1:
            raise bad(f"occurrence must be a whole number from 1, not {occurrence!r}")
        anchor, for_each = self.rule_anchors(raw, key, known, bad)
        if recurring:
            if amount <= 0:
                raise bad("a recurring rule needs a positive interval")
            if for_each or occurrence != 1:
                raise bad("recurring cannot be combined with for_each or occurrence")
        self.check_amount(amount, entered, for_each, anchor, bad)
        if extends and unit is not Unit.WEEKS:
            raise bad("extends = true needs unit = 'weeks' (extensions are agreed in weeks)")
        cap = self.offset_field(raw, "not_after", key, known, bad)
        floor = self.offset_field(raw, "not_before", key, known, bad)
        weekdays = self.rule_weekdays(raw, bad)
        moot_after = self.key_list(raw.get("moot_after", []), "moot_after", bad)
        for m in moot_after:
            if m not in known or m == key:
                raise bad(f"moot_after {m!r} is not a known event (or is the rule's own key)")
        note, quote, interpretation = self.rule_texts(raw, bad)
        requires, excluded_by, listed = self.rule_switches(raw, key, known, bad)
        court_extends = self.flag(raw, "court_extends", bad)
        if court_extends and unit is Unit.WORKING_DAYS:
            raise bad("court_extends needs a rule counted in weeks or calendar days")
        return Rule(
            key=key,
            anchor=anchor,
            amount=amount,
            unit=unit,
            source=source,
            responsible_role=role,
            label=label,
            when=when,
            recurring=recurring,
            entered=entered,
            occurrence=occurrence,
            for_each=for_each,
            wait=wait,
            extends=extends,
            optional=optional,
            not_after=cap,
            not_before=floor,
            weekdays=weekdays,
            moot_after=moot_after,
            note=note,
            quote=quote,
            interpretation=interpretation,
            requires=requires,
            excluded_by=excluded_by,
            listed=listed,
            court_extends=court_extends,
        )

    def rule_identity(self, raw: dict[str, Any], labels: Mapping[str, str], bad: _Bad) -> tuple[str, str]:
        """The rule's fields are known and present; its key is a milestone of timescales.md §2, or
        a custom one with a label; and the label it shows (the canonical one if none is given)."""
        unknown = sorted(set(raw) - _RULE_FIELDS)
        if unknown:
            raise bad(f"unknown field(s) {unknown}; allowed: {sorted(_RULE_FIELDS)}")
        for f in _RULE_REQUIRED:
            if f not in raw:
                raise bad(f"missing required field {f!r}")
        key = raw.get("key")
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise bad("key must be a lower_snake_case string")
        custom = self.flag(raw, "custom", bad)
        label = raw.get("label")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise bad("label must be a non-empty string")
        if key not in MILESTONE_KEYS:
            if not custom:
                raise bad(
                    f"unknown milestone key {key!r} (not in timescales.md §2); "
                    "a policy-specific milestone needs custom = true and a label"
                )
            if label is None:
                raise bad("a custom milestone needs a label")
        elif custom:
            raise bad(f"{key!r} is a canonical milestone key; remove custom = true")
        if label is None:
            label = labels.get(key, key)
        return key, label

    @staticmethod
    def rule_owner(raw: dict[str, Any], bad: _Bad) -> tuple[str, str]:
        """The document and section the rule comes from, and the role responsible for it."""
        source = raw["source"]
        if not isinstance(source, str) or not source.strip():
            raise bad('missing source: cite the document and section, e.g. "002 §9b iii"')
        role = raw["responsible_role"]
        if not isinstance(role, str) or role not in ROLES:
            raise bad(f"responsible_role {role!r} is not one of {sorted(ROLES)}")
        return source, role

    @staticmethod
    def rule_timescale(raw: dict[str, Any], bad: _Bad) -> tuple[Unit, int]:
        """The unit and the amount, negative for a step due before its anchor."""
        unit_raw = raw["unit"]
        try:
            unit = Unit(unit_raw)
        except ValueError:
            raise bad(f"unknown unit {unit_raw!r}; use one of {[u.value for u in Unit]}") from None
        amount = raw["amount"]
        if type(amount) is not int:
            raise bad(f"amount must be an integer, not {amount!r}", "amount")
        if amount < 0:
            raise bad(
                f"amount {amount} is a negative timescale; give a positive amount "
                "(with direction = 'before' for a step due before its anchor)",
                "amount",
            )
        direction = raw.get("direction", "after")
        if direction not in ("after", "before"):
            raise bad(f"direction must be 'after' or 'before', not {direction!r}", "direction")
        return unit, -amount if direction == "before" else amount

    @staticmethod
    def rule_when(raw: dict[str, Any], bad: _Bad) -> tuple[str, ...]:
        """The decision outcomes the rule applies on (none: always)."""
        when_raw = raw.get("when", [])
        if isinstance(when_raw, str):
            when_raw = [when_raw]
        if not isinstance(when_raw, list):
            raise bad(f"when must be a list of outcomes, not {when_raw!r}")
        for w in when_raw:
            if w not in OUTCOMES:
                raise bad(f"bad when value {w!r}; outcomes are {list(OUTCOMES)}")
        return tuple(when_raw)

    def rule_anchors(
        self, raw: dict[str, Any], key: str, known: set[str], bad: _Bad
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(anchor, for_each): what the rule counts from, either alternative events or each
        meeting held (for minutes); every one a known event other than the rule itself."""
        for_each = self.key_list(raw.get("for_each", []), "for_each", bad)
        anchor_raw = raw.get("anchor")
        if for_each:
            if anchor_raw is not None:
                raise bad("give either anchor or for_each (the held meeting is the anchor), not both")
            for m in for_each:
                if m not in known:
                    raise bad(f"for_each {m!r} is not a known event or milestone")
                if m == key:
                    raise bad("for_each cannot name the rule's own key")
            return (), for_each
        if anchor_raw is None:
            raise bad("missing required field 'anchor'")
        anchor = self.key_list(anchor_raw, "anchor", bad)
        if not anchor:
            raise bad("anchor must name at least one event")
        for a in anchor:
            if a not in known:
                raise bad(
                    f"anchor {a!r} is not a known event or milestone "
                    "(timescales.md §2 key, a rule key, or a declared [events] key)",
                    "anchor",
                )
            if a == key:
                raise bad("anchor is the rule's own key (a cycle); use recurring = true")
        return anchor, for_each

    def check_amount(
        self, amount: int, entered: bool, for_each: tuple[str, ...], anchor: tuple[str, ...], bad: _Bad
    ) -> None:
        """An entered date is its anchor's own day; any other zero timescale is a typo."""
        if entered and amount != 0:
            raise bad("an entered date is the anchor event itself: amount must be 0", "amount")
        if amount == 0 and not entered and not for_each and any(a not in self.declared for a in anchor):
            # Zero days after a milestone is that milestone's own day: a typo for a timescale. A
            # zero amount is only for a date a person enters ([events], e.g. a deferral date).
            raise bad(
                "amount 0 is a zero timescale: it would fall due the day the step it counts from "
                "happened; give the timescale, or anchor it on a declared [events] date someone enters",
                "amount",
            )

    @staticmethod
    def offset_field(raw: dict[str, Any], field: str, key: str, known: set[str], bad: _Bad) -> Offset | None:
        """A bound (``not_after``, ``not_before``): a table {anchor, amount, unit}, or absent."""
        value = raw.get(field)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise bad(f"{field} must be a table {{anchor, amount, unit}}")
        extra = sorted(set(value) - _CAP_FIELDS)
        missing = sorted(_CAP_FIELDS - set(value))
        if extra or missing:
            raise bad(f"{field} needs exactly anchor, amount, unit (extra {extra}, missing {missing})")
        anchor_key = value["anchor"]
        if anchor_key not in known or anchor_key == key:
            raise bad(f"{field} anchor {anchor_key!r} is not a known event")
        try:
            unit_value = Unit(value["unit"])
        except ValueError:
            raise bad(f"unknown {field} unit {value['unit']!r}") from None
        if type(value["amount"]) is not int:
            raise bad(f"{field} amount must be an integer")
        return Offset(anchor_key, value["amount"], unit_value)

    def rule_weekdays(self, raw: dict[str, Any], bad: _Bad) -> tuple[int, ...]:
        """The panel's weekdays a date moves to, as day numbers (Monday 0)."""
        weekday_names = self.key_list(raw.get("weekdays", []), "weekdays", bad)
        for w in weekday_names:
            if w not in WEEKDAYS:
                raise bad(f"bad weekday {w!r}; use {list(WEEKDAYS)}")
        return tuple(sorted({WEEKDAYS[w] for w in weekday_names}))

    @staticmethod
    def rule_texts(raw: dict[str, Any], bad: _Bad) -> tuple[str, str, str]:
        """(note, quote, interpretation): the words shown with the rule."""
        note = raw.get("note", "")
        if not isinstance(note, str):
            raise bad("note must be a string")
        quote = raw.get("quote", "")
        interpretation = raw.get("interpretation", "")
        if not isinstance(quote, str) or not isinstance(interpretation, str):
            raise bad("quote and interpretation must be strings")
        return note, quote, interpretation

    def rule_switches(
        self, raw: dict[str, Any], key: str, known: set[str], bad: _Bad
    ) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        """(requires, excluded_by, listed): the events that switch the rule on, switch it off,
        and replace its date (the court listing a hearing)."""
        requires = self.key_list(raw.get("requires", []), "requires", bad)
        excluded_by = self.key_list(raw.get("excluded_by", []), "excluded_by", bad)
        for k in (*requires, *excluded_by):
            if k not in known or k == key:
                raise bad(f"requires / excluded_by {k!r} is not a known event (or is the rule's own key)")
        listed = raw.get("listed")
        if listed is not None and (not isinstance(listed, str) or listed not in known or listed == key):
            raise bad(f"listed {listed!r} is not a known event")
        return requires, excluded_by, listed

    @staticmethod
    def flag(raw: dict[str, Any], name: str, bad: _Bad, default: bool = False) -> bool:
        value = raw.get(name, default)
        if not isinstance(value, bool):
            raise bad(f"{name} must be true or false, not {value!r}")
        return value

    @staticmethod
    def key_list(value: object, what: str, bad: _Bad) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
            raise bad(f"{what} must be a key or a list of keys, not {value!r}")
        return tuple(items)

    # -- whole-policy checks ------------------------------------------------------------------

    def with_statutory(self, rules: list[Rule]) -> list[Rule]:
        """``rules`` plus the statutory court steps (``STATUTORY_RULES``) the policy does not
        restate; a restatement that changes how the date is worked out is refused."""
        out = list(rules)
        # An archived version (episodes pinned to it) loads with the statute as it stands now: the
        # law is not a council's rule to pin, and refusing it would strand those episodes.
        archived = Path(self.path).parent.name == "archive"
        for statute in STATUTORY_RULES:
            mine = [(i, r) for i, r in enumerate(rules) if r.key == statute.key]
            if archived and mine:
                out = [r for r in out if r.key != statute.key]
                mine = []
            if not mine:
                out.append(statute)
                continue
            for i, r in mine:
                for name in _COMPUTED_FIELDS:
                    if getattr(r, name) != getattr(statute, name):
                        raise self.rule_fail(
                            i,
                            r.key,
                            f"{name} {getattr(r, name)!r} changes a statutory court step ({statute.source}: "
                            f"{self_describe(statute)}); a policy may add court steps but not change or switch "
                            "off this one: remove the rule and the engine adds it",
                            name,
                        )
        return out

    def check_duplicates(self, rules: list[Rule]) -> None:
        seen: dict[tuple[str, str, int], int] = {}
        occurrences: dict[str, set[int]] = {}
        recurring = {r.key for r in rules if r.recurring}
        for i, r in enumerate(rules):
            slots = [(r.key, m, 1) for m in r.for_each] if r.for_each else [(r.key, "", r.occurrence)]
            for slot in slots:
                other = rules[seen[slot]] if slot in seen else None
                if other is not None and _exclusive(r, other):
                    continue
                if slot in seen:
                    raise self.rule_fail(
                        i,
                        r.key,
                        f"duplicate rule: rule #{seen[slot] + 1} already governs {r.ref!r}",
                    )
                seen[slot] = i
            if not r.for_each:
                occurrences.setdefault(r.key, set()).add(r.occurrence)
                if r.key in recurring and not r.recurring:
                    raise self.rule_fail(i, r.key, "duplicate rule: the key already has a recurring rule")
        for key, occ in occurrences.items():
            if occ != set(range(1, len(occ) + 1)):
                raise self.fail(f"rules for {key!r} give occurrences {sorted(occ)}; number them 1, 2, ...")

    def check_end(self, rules: list[Rule], clock_start: str, standard_weeks: int) -> None:
        ends = [(i, r) for i, r in enumerate(rules) if r.key == _END_KEY]
        if not ends:
            raise self.fail(f"no rule for {_END_KEY!r}: every policy must say when pre-proceedings end")
        i, r = ends[0]
        if r.unit is not Unit.WEEKS or r.amount != standard_weeks or r.anchor != (clock_start,):
            raise self.rule_fail(
                i,
                r.key,
                f"must be standard_weeks ({standard_weeks}) weeks after clock_start "
                f"({clock_start!r}), not {r.amount} {r.unit.value} after {list(r.anchor)}",
            )
        if not r.extends:
            raise self.rule_fail(i, r.key, "must have extends = true (extensions move the end)")

    def topological_order(self, rules: list[Rule]) -> list[int]:
        """Rule indices so that every rule comes after the rules it counts from."""
        by_key: dict[str, list[int]] = {}
        for i, r in enumerate(rules):
            by_key.setdefault(r.key, []).append(i)
        deps: list[list[int]] = []
        for r in rules:
            names = set(r.anchor) | set(r.for_each)
            if r.not_after is not None:
                names.add(r.not_after.anchor)
            if r.not_before is not None:
                names.add(r.not_before.anchor)
            if r.recurring:
                # Recurring meetings run until the episode ends, so they need the end first.
                names.add(_END_KEY)
            deps.append(sorted({j for n in names if n != r.key for j in by_key.get(n, [])}))

        order: list[int] = []
        state = [0] * len(rules)  # 0 new, 1 on the stack, 2 done

        def visit(i: int, path: list[int]) -> None:
            if state[i] == 2:
                return
            if state[i] == 1:
                cycle = path[path.index(i) :] + [i]
                names = " -> ".join(rules[j].ref for j in cycle)
                raise self.rule_fail(i, rules[i].key, f"cycle between milestones: {names}")
            state[i] = 1
            path.append(i)
            for j in deps[i]:
                visit(j, path)
            path.pop()
            state[i] = 2
            order.append(i)

        for i in range(len(rules)):
            visit(i, [])
        return order


def self_describe(rule: Rule) -> str:
    return describe_rule(rule, {**MILESTONE_KEYS, **STATUTORY_EVENTS})


def _exclusive(a: Rule, b: Rule) -> bool:
    """Two rules for one milestone that can never both apply: one requires an event the other
    is excluded by (e.g. §9c's timescales after the first LPM, App. 2's after a review LPM)."""
    return bool(set(a.requires) & set(b.excluded_by)) or bool(set(b.requires) & set(a.excluded_by))
