"""Staff roles (docs/domain.md "Who uses it"), held as Django groups."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A role a member of staff holds; the value is the slug, the label the group's name."""

    SOCIAL_WORKER = "social_worker"
    TEAM_MANAGER = "team_manager"
    SERVICE_MANAGER = "service_manager"
    HEAD_OF_SERVICE = "head_of_service"
    ASSISTANT_DIRECTOR = "assistant_director"
    COURT_LIAISON_OFFICER = "court_liaison_officer"
    BUSINESS_SUPPORT = "business_support"
    LEGAL_ADVISER = "legal_adviser"
    READ_ONLY = "read_only"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        """The group name shown to people."""
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.SOCIAL_WORKER: "Social worker",
    Role.TEAM_MANAGER: "Team manager",
    Role.SERVICE_MANAGER: "Service manager",
    Role.HEAD_OF_SERVICE: "Head of service",
    Role.ASSISTANT_DIRECTOR: "Assistant director",
    Role.COURT_LIAISON_OFFICER: "Court liaison officer",
    Role.BUSINESS_SUPPORT: "Business support",
    Role.LEGAL_ADVISER: "Legal adviser",
    Role.READ_ONLY: "Read-only oversight",
    Role.ADMINISTRATOR: "Administrator",
}
LABEL_TO_ROLE = {label: role for role, label in ROLE_LABELS.items()}

ALL_STAFF: frozenset[Role] = frozenset(Role)
# Roles that work on case records (everyone but read-only oversight and the system administrator).
CASE_WRITERS: frozenset[Role] = frozenset(
    {
        Role.SOCIAL_WORKER,
        Role.TEAM_MANAGER,
        Role.SERVICE_MANAGER,
        Role.HEAD_OF_SERVICE,
        Role.ASSISTANT_DIRECTOR,
        Role.COURT_LIAISON_OFFICER,
        Role.BUSINESS_SUPPORT,
        Role.LEGAL_ADVISER,
    }
)
CASE_READERS: frozenset[Role] = CASE_WRITERS | {Role.READ_ONLY}
# Roles that see every team's cases; social workers and team managers see their own team's.
SERVICE_WIDE: frozenset[Role] = frozenset(
    {
        Role.SERVICE_MANAGER,
        Role.HEAD_OF_SERVICE,
        Role.ASSISTANT_DIRECTOR,
        Role.COURT_LIAISON_OFFICER,
        Role.BUSINESS_SUPPORT,
        Role.LEGAL_ADVISER,
        Role.READ_ONLY,
    }
)
# Privileged legal advice and LPM minutes (001, 002 §12, 004 §10): legal advisers, heads of
# service, and the team managers of that case (checked per record).
LEGAL_ADVICE_ROLES: frozenset[Role] = frozenset({Role.LEGAL_ADVISER, Role.HEAD_OF_SERVICE})

# Who works from which screen (docs/domain.md "Who uses it"); views and navigation share these.
TEAM_DASHBOARD_ROLES: frozenset[Role] = frozenset({Role.TEAM_MANAGER, Role.SERVICE_MANAGER})
TRACKER_ROLES: frozenset[Role] = CASE_READERS - {Role.SOCIAL_WORKER}
WEEKLY_ROLES: frozenset[Role] = frozenset({Role.HEAD_OF_SERVICE, Role.ASSISTANT_DIRECTOR, Role.SERVICE_MANAGER})

# Model permissions granted to each group, by "app_label.codename"; applied after every migrate.
_CASE_MODELS = {
    "cases": [
        "family",
        "child",
        "person",
        "episode",
        "assessment",
        "careproceedings",
        "hearing",
        "extension",
        "letterdelivery",
    ],
    "meetings": ["lpmrequest", "lpmrequestdocument", "lpm", "meeting", "permanencyplanningmeeting"],
}


def _perms(actions: list[str], models: dict[str, list[str]]) -> list[str]:
    return [f"{app}.{action}_{model}" for app, names in models.items() for model in names for action in actions]


ROLE_PERMISSIONS: dict[Role, list[str]] = {
    role: _perms(["view", "add", "change"], _CASE_MODELS) for role in CASE_WRITERS
}
ROLE_PERMISSIONS[Role.READ_ONLY] = _perms(["view"], _CASE_MODELS)
ROLE_PERMISSIONS[Role.ADMINISTRATOR] = [
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.view_team",
    "accounts.add_team",
    "accounts.change_team",
    "deadlines.view_closureday",
    "deadlines.add_closureday",
    "deadlines.change_closureday",
    "deadlines.delete_closureday",
    "deadlines.view_extrabankholiday",
    "deadlines.add_extrabankholiday",
    "deadlines.change_extrabankholiday",
    "deadlines.delete_extrabankholiday",
]
for _role in (Role.HEAD_OF_SERVICE, Role.ASSISTANT_DIRECTOR):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] + ["meetings.view_legaladvice", "meetings.add_legaladvice"]
ROLE_PERMISSIONS[Role.LEGAL_ADVISER] += [
    "meetings.view_legaladvice",
    "meetings.add_legaladvice",
    "meetings.change_legaladvice",
]
ROLE_PERMISSIONS[Role.TEAM_MANAGER] += ["meetings.view_legaladvice"]
