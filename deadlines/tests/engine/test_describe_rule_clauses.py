"""Every clause of a rule's plain-English description ("why this date"), word for word; mutation
testing found most of them unchecked (docs/testing.md, "Mutation testing")."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deadlines.engine import describe_rule
from deadlines.engine.rules import Offset, Rule, Unit, as_phrase

BASE = Rule(
    key="k",
    anchor=("a_event",),
    amount=3,
    unit=Unit.WORKING_DAYS,
    source="test",
    responsible_role="social_worker",
    label="K",
)


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({}, "3 working days after a event"),
        ({"amount": 1, "unit": Unit.CALENDAR_DAYS}, "1 day after a event"),
        ({"amount": 2, "unit": Unit.CALENDAR_DAYS}, "2 days after a event"),
        ({"amount": 1}, "1 working day after a event"),
        ({"amount": -2, "unit": Unit.WEEKS}, "2 weeks before a event"),
        ({"amount": -1, "unit": Unit.WEEKS}, "1 week before a event"),
        ({"amount": 0}, "on the date of a event"),
        ({"anchor": ("a_event", "b_event")}, "3 working days after a event or b event"),
        ({"anchor": ("a_event", "b_event", "c_event")}, "3 working days after a event, b event or c event"),
        ({"for_each": ("a_event", "b_event")}, "3 working days after each a event or b event"),
        ({"for_each": ("a_event",)}, "3 working days after each a event"),
        ({"anchor": ("lpm_held",)}, "3 working days after LPM / legal gateway panel held"),
        (
            {"amount": 4, "unit": Unit.WEEKS, "recurring": True},
            "every 4 weeks: first 4 weeks after a event, then after the previous one",
        ),
        ({"entered": True}, "3 working days after a event (date entered, not computed)"),
        ({"extends": True}, "3 working days after a event, plus any agreed extension"),
        ({"weekdays": (2,)}, "3 working days after a event, at the next Wednesday panel"),
        ({"weekdays": (0, 4)}, "3 working days after a event, at the next Monday or Friday panel"),
        (
            {"not_after": Offset("b_event", 20, Unit.WEEKS)},
            "3 working days after a event, never later than 20 weeks after b event",
        ),
        (
            {"not_before": Offset("b_event", 0, Unit.WORKING_DAYS)},
            "3 working days after a event, or b event if that is later",
        ),
        (
            {"not_before": Offset("b_event", 1, Unit.WEEKS)},
            "3 working days after a event, or 1 week after b event if that is later",
        ),
        ({"optional": True}, "3 working days after a event (optional)"),
        ({"moot_after": ("c_event", "d_event")}, "3 working days after a event; not needed once c event or d event"),
        ({"requires": ("d_event",)}, "3 working days after a event (when d event is recorded)"),
        ({"court_extends": True}, "3 working days after a event, plus any extension the court grants"),
        ({"listed": "f_event"}, "3 working days after a event; once f event is recorded, that date replaces it"),
        (
            {
                "entered": True,
                "extends": True,
                "weekdays": (1, 3),
                "not_after": Offset("a_event", 20, Unit.WEEKS),
                "not_before": Offset("b_event", 0, Unit.WORKING_DAYS),
                "optional": True,
                "moot_after": ("c_event",),
                "requires": ("d_event", "e_event"),
                "court_extends": True,
                "listed": "f_event",
            },
            "3 working days after a event (date entered, not computed), plus any agreed extension, at the next "
            "Tuesday or Thursday panel, never later than 20 weeks after a event, or b event if that is later "
            "(optional); not needed once c event (when d event or e event is recorded), plus any extension the "
            "court grants; once f event is recorded, that date replaces it",
        ),
    ],
)
def test_each_clause_of_a_rule_reads_as_written(changes: dict[str, object], text: str) -> None:
    assert describe_rule(replace(BASE, **changes)) == text  # type: ignore[arg-type]


def test_a_policys_own_labels_name_the_events_and_canonical_keys_fall_back() -> None:
    rule = replace(BASE, anchor=("a_event", "lpm_held"), not_after=Offset("b_event", 2, Unit.WEEKS))
    labels = {"a_event": "Review Meeting", "b_event": "CAFCASS report"}
    assert describe_rule(rule, labels) == (
        "3 working days after review Meeting or LPM / legal gateway panel held, "
        "never later than 2 weeks after CAFCASS report"
    )


@pytest.mark.parametrize(
    ("label", "phrase"),
    [("Final meeting", "final meeting"), ("LPM held", "LPM held"), ("A", "A"), ("x", "x"), ("already", "already")],
)
def test_a_label_mid_sentence_is_lower_case_unless_an_acronym(label: str, phrase: str) -> None:
    assert as_phrase(label) == phrase
