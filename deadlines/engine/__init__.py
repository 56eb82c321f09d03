"""PLO Tracker deadline engine: pure Python, no Django (docs/conventions.md).

Working-day calendar (timescales.md §1), rules and council policies as data (§2, §3), and the
timetable of an episode's milestones with their statuses.
"""

from .calendar import WorkingCalendar
from .policies import Policy, PolicyError, available_policies, load_policy
from .rules import MILESTONE_KEYS, OUTCOMES, Rule, describe_rule
from .timetable import Milestone, Status, Timetable, timetable

__all__ = [
    "MILESTONE_KEYS",
    "OUTCOMES",
    "Milestone",
    "Policy",
    "PolicyError",
    "Rule",
    "Status",
    "Timetable",
    "WorkingCalendar",
    "available_policies",
    "describe_rule",
    "load_policy",
    "timetable",
]
