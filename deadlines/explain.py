""" "Why this date": a deadline's rule in plain words, with the sentence of the source it comes from.

Shown next to each due date on the case page (a GOV.UK details component). Everything comes from
the policy the episode is pinned to: the rule as it is counted, how that kind of count works
(timescales.md §1), the source and the sentence it quotes, and, where the text does not force
the reading, the policy's interpretation and its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine import Policy, Rule
from .engine.rules import Unit

#: The council documents a policy cites by number (000 to 004; see docs/timescales-sources.md).
SOURCE_NAMES = {
    "000": "the pre-action flowchart",
    "001": "Sutton's practice directive",
    "002": "Gloucestershire's LPM protocol",
    "003": "the guide to meetings and documents",
    "004": "St Helens' pre-proceedings protocol",
}


@dataclass(frozen=True, slots=True)
class Why:
    """The explanation of one deadline's date."""

    rule: str
    counting: str
    source: str
    quote: str
    reading: str


def _counting(rule: Rule) -> str:
    if rule.entered:
        return "This date is entered by a person, not worked out by the tracker."
    if rule.unit is Unit.WORKING_DAYS:
        way = "forward" if rule.amount >= 0 else "back"
        return (
            f"Counted {way} in working days: weekends, bank holidays in England and Wales and the council's "
            "closure days are skipped, and the day it counts from is not itself counted."
        )
    return (
        "Counted in calendar days. If that day is a weekend, a bank holiday or a closure day, the deadline is "
        "the working day before it, so it is never met by waiting for the weekend."
    )


def source_in_words(source: str) -> str:
    """ "002 §9b ii" -> "Gloucestershire's LPM protocol (002) §9b ii"."""
    number, _, rest = source.partition(" ")
    name = SOURCE_NAMES.get(number)
    if name is None:
        return source
    return f"{name[0].upper()}{name[1:]} ({number}) {rest}".strip()


def why_this_date(policy: Policy, rule: Rule) -> Why:
    """A deadline's rule in plain words (``describe_rule``), how it is counted, and its source."""
    text = policy.describe(rule)
    counting = _counting(rule)
    if rule.listed:
        counting += " Once the court has listed the hearing, the listed date is used instead."
    if rule.optional:
        counting += " It is held only if needed, so it lapses instead of going overdue."
    return Why(
        rule=f"{text[0].upper()}{text[1:]}.",
        counting=counting,
        source=source_in_words(rule.source),
        quote=rule.quote,
        reading=rule.interpretation,
    )


def rule_for(policy: Policy, key: str, occurrence: int, ident: str = "") -> Rule | None:
    """The policy rule behind a stored deadline: by its recorded ``Rule.ident``, else by key and
    occurrence (per-meeting keys such as ``approved_minutes:review_meeting`` name the meeting)."""
    if ident:
        found = policy.rule_by_ident(ident)
        if found is not None:
            return found
    base, _, meeting = key.partition(":")
    candidates = [r for r in policy.rules if r.key == base]
    if meeting:
        candidates = [r for r in candidates if meeting in r.for_each]
    else:
        candidates = [r for r in candidates if not r.for_each]
        exact = [r for r in candidates if r.occurrence == occurrence]
        recurring = [r for r in candidates if r.recurring]
        candidates = exact or recurring
    return candidates[0] if len(candidates) == 1 else None
