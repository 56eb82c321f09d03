"""A fictional council's demo data: staff in every role and families at every PLO stage.

Everything is written through the services (cases.services, meetings.services), so every date
obeys the same ordering rules as a person typing it, and every episode's deadlines are computed
by the deadline engine exactly as they would be in use. Dates count back from `today`, in
working days where a policy counts working days, so "due soon" and "overdue" land where the
scenario says whatever weekday `today` is. All names are invented.

The modules, by what they build:

- ``staff``: the sign-ins and other staff, their teams and service areas;
- ``names``, ``texts``: invented names, and the words of LPM advice and papers;
- ``steps``: one method per protocol step (a family, a request, an LPM, a letter, a meeting, an
  assessment, care proceedings), each through the services;
- ``north``, ``central``, ``south``: each team's family scenarios;
- ``history``: the past year's finished families (the weekly tracker's 52 weeks);
- ``panels``: last week's tracker meeting and the next panel;
- ``builder``: all of it, in order; ``load``: one transaction, refused if it would collide;
- ``summary``: what was loaded, for the command's report.
"""

from .builder import _Builder
from .load import DemoNotLoaded, demo_blockers, demo_load
from .staff import ALL_STAFF, DEFAULT_PASSWORD, SIGN_INS, StaffMember, council_place, demo_password, team_names
from .summary import DEFAULT_SEED, FAMILIES, HISTORY_FAMILIES, DemoSummary, Scenario

__all__ = [
    "ALL_STAFF",
    "DEFAULT_PASSWORD",
    "DEFAULT_SEED",
    "FAMILIES",
    "HISTORY_FAMILIES",
    "SIGN_INS",
    "DemoNotLoaded",
    "DemoSummary",
    "Scenario",
    "StaffMember",
    "_Builder",
    "council_place",
    "demo_blockers",
    "demo_load",
    "demo_password",
    "team_names",
]
