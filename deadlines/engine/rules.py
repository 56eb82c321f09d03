"""Deadline rules: the vocabulary of milestones, roles and outcomes, and one frozen ``Rule``.

Keys are the canonical milestone keys of timescales.md §2, so every council's policy speaks one
vocabulary; counting follows timescales.md §1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "MILESTONE_KEYS",
    "OUTCOMES",
    "ROLES",
    "WEEKDAYS",
    "Offset",
    "Rule",
    "Unit",
    "describe_rule",
]

#: Canonical milestone keys (timescales.md §2) with the default plain-English label shown on
#: screen. Each key is also the key under which the date it happened is recorded.
MILESTONE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "lpm_request_decision": "Head of service decision on the LPM request",
        "lpm_papers": "LPM / panel papers submitted",
        "lpm_held": "LPM / legal gateway panel held",
        "lpm_outcome_recorded": "LPM outcome recorded on the child's record",
        "lpm_minutes": "LPM minutes authorised and circulated",
        "letter_before_proceedings": "Letter before proceedings delivered to parents",
        "initial_meeting": "Initial pre-proceedings meeting",
        "review_meeting": "Pre-proceedings review meeting",
        "gateway_review": "Legal gateway review / review LPM",
        "final_meeting": "Final pre-proceedings meeting",
        "pre_proceedings_end": "Pre-proceedings concluded",
        "draft_minutes": "Draft minutes sent for approval",
        "approved_minutes": "Minutes approved and circulated",
        "further_lpm": "Further LPM after deferral",
        "revised_papers": "Revised papers for the further LPM",
        "letter_of_issue": "Letter of issue delivered to parents",
        "swet_to_legal": "SWET and interim care plan sent to legal",
        "proceedings_issued": "Care proceedings issued",
        "cmh": "Case management hearing",
        "advocates_meeting": "Advocates' meeting",
        "irh": "Issues resolution hearing",
        "final_hearing": "Final hearing",
        "assessment_due": "Assessment due",
    }
)

#: Decision paths (002 §9a: initiate, issue, defer, no further action; plus stepping down at
#: the end of pre-proceedings, 004 "Concluding the process"). ``None`` means no decision yet.
OUTCOMES: tuple[str, ...] = ("initiate", "issue", "defer", "nfa", "step_down")

#: Roles a milestone can be the responsibility of (docs/domain.md "Who uses it").
ROLES: frozenset[str] = frozenset(
    {
        "social_worker",
        "team_manager",
        "service_manager",
        "head_of_service",
        "assistant_director",
        "court_liaison_officer",
        "business_support",
        "legal_adviser",
    }
)

#: Weekday names accepted by ``Rule.weekdays`` (Monday = 0, as ``date.weekday()``).
WEEKDAYS: Mapping[str, int] = MappingProxyType({"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6})


class Unit(StrEnum):
    """How an amount is counted (timescales.md §1)."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WEEKS = "weeks"


@dataclass(frozen=True, slots=True)
class Offset:
    """A date ``amount`` ``unit`` from an anchor event; used for caps such as ``not_after``."""

    anchor: str
    amount: int
    unit: Unit


@dataclass(frozen=True, slots=True)
class Rule:
    """Milestone ``key`` is due ``amount`` ``unit`` after (negative: before) its anchor."""

    key: str
    #: Event or milestone keys the due date counts from; the first one recorded wins.
    anchor: tuple[str, ...]
    amount: int
    unit: Unit
    source: str
    responsible_role: str
    label: str
    #: Outcomes (``OUTCOMES``) under which the milestone applies; empty = always.
    when: tuple[str, ...] = ()
    #: Repeats: each occurrence is due ``amount`` ``unit`` after the previous one was held (or
    #: due, if not held), until the episode ends (§1 "Recurring").
    recurring: bool = False
    #: The due date is entered by a person (the anchor event holds it), not computed.
    entered: bool = False
    #: Which occurrence of ``key`` this rule governs (e.g. the 2nd gateway review).
    occurrence: int = 1
    #: One milestone per held meeting of these keys (e.g. minutes of every meeting).
    for_each: tuple[str, ...] = ()
    #: If the anchor is a milestone not yet recorded: ``True`` waits for it (provisional date
    #: from its due date); ``False`` counts from its due date as a firm deadline.
    wait: bool = True
    #: The agreed extension (in weeks) is added, e.g. to the end of pre-proceedings.
    extends: bool = False
    #: Optional meeting: lapses to not applicable instead of going overdue.
    optional: bool = False
    #: Latest allowed due date, e.g. never beyond D + 20 weeks (002 §11a ii).
    not_after: Offset | None = None
    #: Earliest due date, from a *recorded* event: e.g. the date a head of service deferred a
    #: decision to (002 §6b: deferment no longer than two weeks) moves the decision's due date.
    not_before: Offset | None = None
    #: Move the due date forward to the first working day on one of these weekdays (panel days).
    weekdays: tuple[int, ...] = ()
    #: Once any of these events is recorded, the milestone (if not met) is moot: not applicable.
    moot_after: tuple[str, ...] = ()
    #: Why the rule reads as it does (shown to admins, not used in computation).
    note: str = ""
    #: The sentence of the source the rule comes from, quoted (shown under "why this date").
    quote: str = ""
    #: Set when the text does not force this reading: the reason the policy chose it, in plain
    #: words (shown to users under "why this date").
    interpretation: str = ""
    #: The rule applies only once one of these events is recorded (a variant of a milestone,
    #: e.g. papers to legal after a decision to issue taken at a review LPM, 002 App. 2).
    requires: tuple[str, ...] = ()
    #: The rule does not apply once any of these events is recorded (the other variant).
    excluded_by: tuple[str, ...] = ()
    #: An event holding the date a court listed the hearing for: once recorded, that date
    #: replaces the computed one (002 App. 3: the court lists the CMH, IRH and final hearing).
    listed: str | None = None
    #: Court extensions of the 26-week limit (Children Act 1989 s32(5)) move this date.
    court_extends: bool = False

    @property
    def ref(self) -> str:
        """Identifier of the milestone: ``key``, ``key#2`` or ``key:meeting``."""
        base = self.key if self.occurrence == 1 else f"{self.key}#{self.occurrence}"
        return f"{base}:{'+'.join(self.for_each)}" if self.for_each else base

    @property
    def ident(self) -> str:
        """Identifier unique within a policy: ``ref``, plus ``?event`` for a variant that applies
        only once ``event`` is recorded (two rules can govern one milestone that way)."""
        return f"{self.ref}?{'+'.join(self.requires)}" if self.requires else self.ref


_UNIT_WORDS: Mapping[Unit, tuple[str, str]] = MappingProxyType(
    {
        Unit.WORKING_DAYS: ("working day", "working days"),
        Unit.CALENDAR_DAYS: ("day", "days"),
        Unit.WEEKS: ("week", "weeks"),
    }
)
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def as_phrase(label: str) -> str:
    """A label as it reads mid-sentence: lower-case first letter unless it is an acronym."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _amount(amount: int, unit: Unit) -> str:
    one, many = _UNIT_WORDS[unit]
    n = abs(amount)
    return f"{n} {one if n == 1 else many}"


def describe_rule(rule: Rule, labels: Mapping[str, str] | None = None) -> str:
    """Plain English for a rule, e.g. "10 working days after letter before proceedings ...".

    ``labels`` maps event keys to labels (a policy's ``labels``); canonical keys fall back to
    ``MILESTONE_KEYS``.
    """

    def name(key: str) -> str:
        if labels is not None and key in labels:
            return as_phrase(labels[key])
        return as_phrase(MILESTONE_KEYS.get(key, key.replace("_", " ")))

    if rule.for_each:
        anchor = "each " + _or_list([name(k) for k in rule.for_each])
    else:
        anchor = _or_list([name(k) for k in rule.anchor])
    if rule.amount == 0:
        text = f"on the date of {anchor}"
    else:
        way = "after" if rule.amount > 0 else "before"
        text = f"{_amount(rule.amount, rule.unit)} {way} {anchor}"
    if rule.recurring:
        text = f"every {_amount(rule.amount, rule.unit)}: first {text}, then after the previous one"
    if rule.entered:
        text += " (date entered, not computed)"
    if rule.extends:
        text += ", plus any agreed extension"
    if rule.weekdays:
        text += ", at the next " + _or_list([_WEEKDAY_NAMES[w] for w in rule.weekdays]) + " panel"
    if rule.not_after is not None:
        cap = rule.not_after
        text += f", never later than {_amount(cap.amount, cap.unit)} after {name(cap.anchor)}"
    if rule.not_before is not None:
        floor = rule.not_before
        later = (
            name(floor.anchor)
            if floor.amount == 0
            else f"{_amount(floor.amount, floor.unit)} after {name(floor.anchor)}"
        )
        text += f", or {later} if that is later"
    if rule.optional:
        text += " (optional)"
    if rule.moot_after:
        text += "; not needed once " + _or_list([name(k) for k in rule.moot_after])
    if rule.requires:
        text += " (when " + _or_list([name(k) for k in rule.requires]) + " is recorded)"
    if rule.court_extends:
        text += ", plus any extension the court grants"
    if rule.listed:
        text += f"; once {name(rule.listed)} is recorded, that date replaces it"
    return text
