"""The demo council's staff: the sign-ins scripts/run.py advertises, the other staff, and their teams."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings

from accounts.roles import Role

DEFAULT_PASSWORD = "demo-password-2026"  # noqa: S105  # nosec B105: the documented demo sign-in (scripts/run.py)


def demo_password() -> str:
    """The password every demo sign-in uses (PLO_DEMO_PASSWORD, else the documented default)."""
    return os.environ.get("PLO_DEMO_PASSWORD", DEFAULT_PASSWORD)


# --- Staff ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffMember:
    """One member of the demo council's staff."""

    username: str
    first_name: str
    last_name: str
    role: Role
    job_title: str
    team: str | None  # "north", "central", "south"; None for service-wide roles


# The sign-ins scripts/run.py advertises: these exact usernames and roles.
SIGN_INS: tuple[StaffMember, ...] = (
    StaffMember("sam.social", "Sam", "Whitlock", Role.SOCIAL_WORKER, "Social Worker", "north"),
    StaffMember("tara.manager", "Tara", "Pemberton", Role.TEAM_MANAGER, "Team Manager", "north"),
    StaffMember("clara.clo", "Clara", "Ashdown", Role.COURT_LIAISON_OFFICER, "Court Liaison Officer", None),
    StaffMember("helen.hos", "Helen", "Carrow", Role.HEAD_OF_SERVICE, "Head of Service, Safeguarding", None),
    StaffMember("leo.legal", "Leo", "Farrant", Role.LEGAL_ADVISER, "Solicitor (Child Care), Legal Services", None),
    StaffMember("ben.support", "Ben", "Oyelaran", Role.BUSINESS_SUPPORT, "Business Support Officer", None),
    StaffMember("sian.sm", "Sian", "Rhydderch", Role.SERVICE_MANAGER, "Service Manager, Family Safeguarding", None),
    StaffMember(
        "adam.ad", "Adam", "Kettlewell", Role.ASSISTANT_DIRECTOR, "Assistant Director, Children's Social Care", None
    ),
    StaffMember("owen.oversight", "Owen", "Tremlett", Role.READ_ONLY, "Independent Reviewing Officer", None),
    StaffMember("ada.admin", "Ada", "Brightwell", Role.ADMINISTRATOR, "Systems Administrator", None),
)

OTHER_STAFF: tuple[StaffMember, ...] = (
    StaffMember("priya.lakhani", "Priya", "Lakhani", Role.SOCIAL_WORKER, "Senior Social Worker", "north"),
    StaffMember("joe.hartigan", "Joe", "Hartigan", Role.SOCIAL_WORKER, "Social Worker", "north"),
    StaffMember("marcus.adebayo", "Marcus", "Adebayo", Role.TEAM_MANAGER, "Team Manager", "central"),
    StaffMember("hannah.greaves", "Hannah", "Greaves", Role.SOCIAL_WORKER, "Senior Social Worker", "central"),
    StaffMember("tomasz.wilk", "Tomasz", "Wilk", Role.SOCIAL_WORKER, "Social Worker", "central"),
    StaffMember("fatima.begum", "Fatima", "Begum", Role.SOCIAL_WORKER, "Social Worker (ASYE)", "central"),
    StaffMember("gareth.pryce", "Gareth", "Pryce", Role.TEAM_MANAGER, "Team Manager", "south"),
    StaffMember("ayesha.qureshi", "Ayesha", "Qureshi", Role.SOCIAL_WORKER, "Senior Social Worker", "south"),
    StaffMember("callum.reid", "Callum", "Reid", Role.SOCIAL_WORKER, "Social Worker", "south"),
    StaffMember("rhiannon.pugh", "Rhiannon", "Pugh", Role.SOCIAL_WORKER, "Social Worker", "south"),
    StaffMember("nia.vaughan", "Nia", "Vaughan", Role.SERVICE_MANAGER, "Service Manager, South locality", "south"),
)

ALL_STAFF: tuple[StaffMember, ...] = SIGN_INS + OTHER_STAFF
TEAM_KEYS = ("north", "central", "south")
# Two service areas: north and central teams share one, south has its own.
SERVICE_AREA_OF_TEAM = {"north": "Northern localities", "central": "Northern localities", "south": "Southern locality"}
# Who manages what: each team's team manager; Sian manages both areas, Nia only the south.
TEAM_MANAGER_OF_TEAM = {"north": "tara.manager", "central": "marcus.adebayo", "south": "gareth.pryce"}
SERVICE_MANAGERS_OF_AREA = {
    "Northern localities": ("sian.sm",),
    "Southern locality": ("sian.sm", "nia.vaughan"),
}


def council_place() -> str:
    """The council's place name ("Northmoor" for "Northmoor Borough Council")."""
    return str(settings.COUNCIL_NAME).split()[0]


def team_names() -> dict[str, str]:
    """The three teams' names, keyed north / central / south."""
    place = council_place()
    return {key: f"{place} {key.title()} Family Safeguarding Team" for key in TEAM_KEYS}
