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
# Which families each role sees is accounts.scopes (READ_SCOPE), the one place that decides it.
# Privileged legal advice and LPM minutes (001, 002 §12, 004 §10): legal advisers, heads of
# service, and the team managers of that case (checked per record).
LEGAL_ADVICE_ROLES: frozenset[Role] = frozenset({Role.LEGAL_ADVISER, Role.HEAD_OF_SERVICE})

# Who works from which screen (docs/domain.md "Who uses it"); views and navigation share these.
TEAM_DASHBOARD_ROLES: frozenset[Role] = frozenset({Role.TEAM_MANAGER, Role.SERVICE_MANAGER})
TRACKER_ROLES: frozenset[Role] = CASE_READERS - {Role.SOCIAL_WORKER}
WEEKLY_ROLES: frozenset[Role] = frozenset({Role.HEAD_OF_SERVICE, Role.ASSISTANT_DIRECTOR, Role.SERVICE_MANAGER})

# Who may record which step (docs/security.md "Who can do which step"). Pages declare these with
# @allow and services check them again (accounts.scopes.authorize), so both refuse the same.
R = Role
FAMILY_OPENERS: frozenset[Role] = frozenset(
    {R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT}
)
# The legal adviser reads service-wide and writes legal advice only (issue 9): she is in no step's
# roles but ADVICE_ROLES (the advice and the privileged LPM minutes are one record, LegalAdvice).
LETTER_ROLES: frozenset[Role] = frozenset(
    {R.SOCIAL_WORKER, R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT}
)
DELIVERY_ROLES: frozenset[Role] = frozenset(
    {R.SOCIAL_WORKER, R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT}
)
END_ROLES: frozenset[Role] = frozenset({R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE, R.COURT_LIAISON_OFFICER})
ASSESSMENT_ROLES: frozenset[Role] = frozenset(
    {R.SOCIAL_WORKER, R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT}
)
COURT_ROLES: frozenset[Role] = frozenset(
    {R.TEAM_MANAGER, R.COURT_LIAISON_OFFICER, R.HEAD_OF_SERVICE, R.BUSINESS_SUPPORT}
)
WAIVE_ROLES: frozenset[Role] = frozenset({R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE})
EXPORT_ROLES: frozenset[Role] = frozenset(
    {R.COURT_LIAISON_OFFICER, R.HEAD_OF_SERVICE, R.SERVICE_MANAGER, R.ASSISTANT_DIRECTOR}
)
LPM_ROLES: frozenset[Role] = frozenset(
    {
        R.TEAM_MANAGER,
        R.SERVICE_MANAGER,
        R.HEAD_OF_SERVICE,
        R.ASSISTANT_DIRECTOR,
        R.COURT_LIAISON_OFFICER,
        R.BUSINESS_SUPPORT,
    }
)
MEETING_ROLES: frozenset[Role] = frozenset(
    {R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_MANAGER, R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT}
)
REQUEST_ROLES: frozenset[Role] = frozenset({R.TEAM_MANAGER, R.SERVICE_MANAGER, R.HEAD_OF_SERVICE})
# 002 §4: the social worker prepares the request (summary, papers); a manager reviews and makes it.
PREPARE_ROLES: frozenset[Role] = REQUEST_ROLES | {R.SOCIAL_WORKER}
DECIDE_ROLES: frozenset[Role] = frozenset({R.HEAD_OF_SERVICE})
ADVICE_ROLES: frozenset[Role] = frozenset({R.LEGAL_ADVISER, R.HEAD_OF_SERVICE})
PPM_ROLES: frozenset[Role] = frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER, R.SERVICE_MANAGER, R.BUSINESS_SUPPORT})
EXTENSION_ROLES: frozenset[Role] = frozenset({R.HEAD_OF_SERVICE})
# Tracker meetings and panels (000, 001, 004): the CLO, business support and heads of service set
# them up; senior managers record in them too, their minutes included.
TRACKER_MEETING_PREPARERS: frozenset[Role] = frozenset({R.COURT_LIAISON_OFFICER, R.BUSINESS_SUPPORT, R.HEAD_OF_SERVICE})
TRACKER_MEETING_RECORDERS: frozenset[Role] = TRACKER_MEETING_PREPARERS | {R.ASSISTANT_DIRECTOR, R.SERVICE_MANAGER}
# A case's notes page at a meeting is open to those who record legal advice too; a legal adviser,
# who writes legal advice only (issue 9), records just the advice there.
TRACKER_ITEM_RECORDERS: frozenset[Role] = TRACKER_MEETING_RECORDERS | ADVICE_ROLES
COST_APPROVAL_ROLES: frozenset[Role] = frozenset({R.HEAD_OF_SERVICE})
# The council's Word templates for letters and papers (issue 21): the administrator uploads them.
LETTER_TEMPLATE_ROLES: frozenset[Role] = frozenset({R.ADMINISTRATOR})

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
    "meetings": [
        "lpmrequest",
        "lpmrequestdocument",
        "lpmrequestpreparation",
        "lpm",
        "meeting",
        "permanencyplanningmeeting",
    ],
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
# Legal advice: heads of service and legal advisers record it, team managers read their cases'
# (docs/security.md); the assistant director holds no legal-advice permission.
ROLE_PERMISSIONS[Role.HEAD_OF_SERVICE] = ROLE_PERMISSIONS[Role.HEAD_OF_SERVICE] + [
    "meetings.view_legaladvice",
    "meetings.add_legaladvice",
]
# The legal adviser reads case records and writes legal advice only.
ROLE_PERMISSIONS[Role.LEGAL_ADVISER] = _perms(["view"], _CASE_MODELS) + [
    "meetings.view_legaladvice",
    "meetings.add_legaladvice",
    "meetings.change_legaladvice",
]
ROLE_PERMISSIONS[Role.TEAM_MANAGER] += ["meetings.view_legaladvice"]
