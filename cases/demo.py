"""A fictional council's demo data: staff in every role and families at every PLO stage.

Everything is written through the services (cases.services, meetings.services), so every date
obeys the same ordering rules as a person typing it, and every episode's deadlines are computed
by the deadline engine exactly as they would be in use. Dates count back from `today`, in
working days where a policy counts working days, so "due soon" and "overdue" land where the
scenario says whatever weekday `today` is. All names are invented.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accounts.models import ServiceArea, Team, User
from accounts.roles import Role
from accounts.services import user_set_roles
from deadlines.engine import WorkingCalendar, load_policy
from deadlines.models import ClosureDay
from deadlines.services import (
    REVIEW_KEY,
    calendar_current,
    deadlines_recompute_deferred,
    deadlines_recompute_pending,
    policy_for,
    review_points,
)
from meetings import services as ms
from meetings.models import (
    LPM,
    DocumentKind,
    DocumentState,
    LPMKind,
    LPMOutcome,
    LPMRequest,
    Meeting,
    MeetingKind,
    PlanOption,
    Recommendation,
    RequestStatus,
)

from . import services as cs
from .models import (
    AssessmentKind,
    CarePlan,
    CareProceedings,
    Child,
    EndOutcome,
    Episode,
    Family,
    Gender,
    HearingKind,
    Person,
    Relationship,
    Stage,
    YesNoUnknown,
)

# bandit B105: the documented demo sign-in (scripts/run.py)
DEFAULT_PASSWORD = "demo-password-2026"  # noqa: S105  # nosec B105
DEFAULT_SEED = 2026
FAMILIES = 25
HISTORY_FAMILIES = 18  # whose pre-proceedings ended during the past year (_Builder.history)
# Serialises concurrent loads (two `make run`s at once) so the emptiness check cannot race.
_LOCK_KEY = 72_656_110


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


# --- Invented names (surnames chosen to avoid well-known people) ------------------------------


def _words(text: str) -> tuple[str, ...]:
    """The space-separated words of `text` (keeps long name lists compact)."""
    return tuple(text.split())


SURNAMES = _words(
    "Ashworth Brindley Corrigan Dobson Fairclough Hollins Iqbal Kershaw Lomax Merriman Naylor Oduya "
    "Pickering Rowntree Sutcliffe Thornley Varley Whitworth Yardley Akhtar Cartwright Entwistle Fenwick "
    "Greenhalgh Hargreaves Ingham Kowalski Lister Mahmood Nowak Ormerod Pilling Rigby Tattersall Walmsley "
    "Mensah Haworth Mottram Stansfield Blakeley Crossley Duckworth Holroyd Marsden"
)
GIRLS = _words(
    "Ruby Amelia Freya Mia Isla Poppy Lily-Mae Maisie Evie Aisha Grace Ivy Ellie Sophia Darcy Esme Lacey "
    "Willow Hafsa Nevaeh"
)
BOYS = _words(
    "Jayden Oliver Harrison Tyler Kai Alfie Reggie Bobby Zain Theo Mason Archie Riley Logan Ibrahim "
    "Finley Tommy Kaden Frankie Hamza"
)
MOTHERS = _words(
    "Kayleigh Chantelle Danielle Gemma Stacey Leanne Jodie Samira Natalie Kirsty Amy Charlotte Rachel "
    "Shannon Paige Laura Jade Kelly Sadia Agnieszka"
)
FATHERS = _words(
    "Liam Dean Craig Jordan Ryan Lee Connor Shane Kieran Wayne Darren Imran Jamie Nathan Scott Kwame "
    "Bilal Aaron Gavin Reece"
)
STREETS = ("Mill Lane", "Chapel Street", "Victoria Road", "Moorside Close", "Bank Terrace", "Albert Street")
SOLICITORS = (
    ("Harbour Lane Solicitors", ("Joanna Patel", "Simon Eckersley")),
    ("Pennine Family Law LLP", ("Rebecca Hurst", "Daniel Okoro")),
    ("Moorside Legal", ("Alison Pratt", "Tom Greenwood")),
    ("Ashby & Cole Solicitors", ("Nicola Ashby", "Martin Cole")),
    ("Northgate Family Law", ("Zara Siddiqui", "Philip Rowe")),
)


# --- Summary -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One demo family and what it shows."""

    family: str
    team: str
    social_worker: str
    stage: str
    shows: str


@dataclass
class DemoSummary:
    """What was loaded, for the command's report."""

    today: dt.date
    seed: int
    teams: int = 0
    staff: int = 0
    families: int = 0
    history_families: int = 0
    children: int = 0
    episodes_by_stage: dict[str, int] = field(default_factory=dict)
    scenarios: list[Scenario] = field(default_factory=list)


class DemoNotLoaded(Exception):
    """The database already holds records the demo would duplicate or collide with."""


def demo_blockers() -> list[str]:
    """Why the demo cannot be loaded into this database (empty when it can)."""
    if Family.objects.exists():
        return ["the database already has families"]  # the usual case: say just that
    reasons = []
    taken = sorted(User.objects.filter(username__in=[s.username for s in ALL_STAFF]).values_list("username", flat=True))
    if taken:
        reasons.append(f"staff accounts with the demo usernames already exist ({', '.join(taken)})")
    if Team.objects.filter(name__in=team_names().values()).exists():
        reasons.append("the demo teams already exist")
    return reasons


def demo_load(*, today: dt.date, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Create the demo council in one transaction, or raise DemoNotLoaded if it would collide."""
    with transaction.atomic(), pghistory.context(source="demo_data"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        blockers = demo_blockers()
        if blockers:
            raise DemoNotLoaded("; ".join(blockers))
        builder = _Builder(today=today, seed=seed)
        with _bulk():
            builder.build()
        return builder.summary()


@contextmanager
def _bulk() -> Iterator[None]:
    """Load in bulk (issue #14 §4): each episode's deadlines computed once at the end rather than
    after every step, and no savepoint per service call (the whole load is one transaction, and
    any error in it rolls all of it back, so the savepoints bought nothing but round trips)."""
    features = connection.features
    saved = features.uses_savepoints
    features.uses_savepoints = False
    try:
        with deadlines_recompute_deferred():
            yield
    finally:
        features.uses_savepoints = saved


# --- Texts -------------------------------------------------------------------------------------

ADVICE = {
    LPMOutcome.INITIATE: (
        "Threshold under s31(2) Children Act 1989 is likely to be met on the evidence of {concern}. "
        "Advice: initiate pre-proceedings. Letter before proceedings within 5 working days; parenting "
        "assessment, hair strand testing of both parents and viability assessments of the family members "
        "named in the genogram, all to report within the 16-week timetable. If there is no sustained "
        "change the local authority should be ready to issue."
    ),
    LPMOutcome.DEFER: (
        "The papers do not yet evidence threshold: the chronology stops four months ago and there is no "
        "genogram. Defer for two weeks for an updated chronology, a genogram and the school's and health "
        "visitor's views; list at the further LPM."
    ),
    LPMOutcome.NFA: (
        "Threshold is not met on the current evidence. The concerns about {concern} can be managed under "
        "the child protection plan with the core group. No further action in legal planning; return to "
        "the LPM if the plan does not progress."
    ),
    LPMOutcome.ISSUE: (
        "Threshold is met and the risk of significant harm from {concern} is immediate; pre-proceedings "
        "would cause delay the child cannot afford. Issue care proceedings and seek an interim care order. "
        "Letter of issue to the parents by the next working day; SWET and care plan to legal within 5 "
        "working days."
    ),
    LPMOutcome.CONTINUE: (
        "Progress reviewed against the pre-proceedings plan. Parents engaging with the parenting "
        "assessment; test results awaited. Threshold remains met. Continue pre-proceedings to the "
        "timetable agreed at the initial meeting."
    ),
    LPMOutcome.STEP_DOWN: (
        "Sustained change is evidenced by negative hair strand results and a positive parenting "
        "assessment. Threshold is no longer met. Step down from pre-proceedings to a child protection "
        "plan and send the parents an exit letter."
    ),
}

REVIEW_ISSUE_ADVICE = (
    "Pre-proceedings have not brought about the change needed: {concern} continues and the parenting "
    "assessment is negative. Threshold is met. Issue care proceedings; letter of issue to the parents by "
    "the next working day, SWET and care plan to legal within 5 working days."
)

ALL_PAPERS: dict[str, tuple[str, str]] = {
    DocumentKind.PLO_SUMMARY: (DocumentState.PRESENT, ""),
    DocumentKind.CHRONOLOGY: (DocumentState.PRESENT, ""),
    DocumentKind.GENOGRAM: (DocumentState.PRESENT, ""),
    DocumentKind.SINGLE_ASSESSMENT: (DocumentState.PRESENT, ""),
    DocumentKind.CP_MINUTES: (DocumentState.PRESENT, ""),
    DocumentKind.FGC_MINUTES: (DocumentState.NOT_APPLICABLE, "Family declined a family group conference"),
}


@dataclass
class _Case:
    """A demo family as it is being built: its people and its current episode."""

    family: Family
    sw: User
    tm: User
    surname: str
    children: list[Child]
    people: list[Person]
    concern: str
    episode: Episode | None = None
    request: LPMRequest | None = None

    @property
    def ep(self) -> Episode:
        """The episode as saved now (services read dates from the instance they are given)."""
        assert self.episode is not None  # noqa: S101  (a builder bug, not bad input)
        return Episode.objects.get(pk=self.episode.pk)


class _Builder:
    """Builds the demo council; one method per family scenario."""

    def __init__(self, *, today: dt.date, seed: int) -> None:
        self.today = today
        # bandit B311: invented names, not security
        self.rng = random.Random(seed)  # noqa: S311  # nosec B311
        self.seed = seed
        self.staff: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.scenarios: list[Scenario] = []
        # Family surnames first; the rest are for fathers with a different surname.
        shuffled = self.rng.sample(SURNAMES, k=len(SURNAMES))
        self.surnames, self.other_surnames = shuffled[:FAMILIES], shuffled[FAMILIES:]
        self.family_count = 0
        self.history_count = 0  # families of the year's history built (history)
        self.child_count = 0
        self.policy = load_policy(settings.PLO_POLICY)
        self.cal: WorkingCalendar | None = None

    # --- dates --------------------------------------------------------------------------

    @property
    def calendar(self) -> WorkingCalendar:
        """The council's working-day calendar, closure day included."""
        assert self.cal is not None  # noqa: S101
        return self.cal

    def wd(self, n: int) -> dt.date:
        """`n` working days after today (before, if negative); today or the last working day if 0."""
        return self.calendar.add_working_days(self.today, n) if n else self.calendar.roll_back(self.today)

    def add(self, day: dt.date, n: int) -> dt.date:
        """`n` working days after `day` (timescales §1: `day` itself never counts)."""
        return self.calendar.add_working_days(day, n)

    def ago(self, weeks: int, days: int = 0) -> dt.date:
        """A working day about `weeks` weeks and `days` days before today (back to a working day)."""
        return self.calendar.roll_back(self.today - dt.timedelta(weeks=weeks, days=days))

    def plus_weeks(self, day: dt.date, weeks: int) -> dt.date:
        """`weeks` weeks after `day`, back to a working day (timescales §1)."""
        return self.calendar.roll_back(day + dt.timedelta(weeks=weeks))

    def upto(self, day: dt.date, until: dt.date) -> dt.date | None:
        """`day` if it has happened by `until`, else None (not recorded yet)."""
        return day if day <= until else None

    # --- staff and calendar -------------------------------------------------------------

    def build_staff(self) -> None:
        """Teams, then every member of staff with their role and the demo password."""
        place = council_place().lower()
        areas = {name: ServiceArea.objects.create(name=name) for name in SERVICE_MANAGERS_OF_AREA}
        for key, name in team_names().items():
            self.teams[key] = Team.objects.create(name=name, service_area=areas[SERVICE_AREA_OF_TEAM[key]])
        # Hashed once for all twenty (PBKDF2 costs about half a second a time, on purpose): every
        # demo account shares the one published password anyway, so one salt hides nothing.
        password = make_password(demo_password())
        for member in ALL_STAFF:
            user = User(
                username=member.username,
                first_name=member.first_name,
                last_name=member.last_name,
                email=f"{member.username}@{place}.example",
                job_title=member.job_title,
                team=self.teams[member.team] if member.team else None,
            )
            user.password = password
            user.full_clean()
            user.save()
            user_set_roles(user=user, roles=[member.role])
            self.staff[member.username] = user
        for key, username in TEAM_MANAGER_OF_TEAM.items():
            self.teams[key].managers.add(self.staff[username])
        for name, usernames in SERVICE_MANAGERS_OF_AREA.items():
            areas[name].managers.add(*(self.staff[u] for u in usernames))

    def build_calendar(self) -> None:
        """The council's staff development day, a Friday about two weeks ahead (a closure day)."""
        day = self.today + dt.timedelta(days=10)
        day += dt.timedelta(days=(4 - day.weekday()) % 7)
        while not WorkingCalendar().is_working_day(day):
            day += dt.timedelta(days=7)
        ClosureDay.objects.get_or_create(date=day, defaults={"reason": "Staff development day (offices closed)"})
        # Read the calendar after the closure day exists, so the demo's dates count it as the engine will.
        self.cal = calendar_current()

    def u(self, username: str) -> User:
        """A member of staff by username."""
        return self.staff[username]

    @property
    def hos(self) -> User:
        return self.staff["helen.hos"]

    @property
    def legal(self) -> User:
        return self.staff["leo.legal"]

    @property
    def clo(self) -> User:
        return self.staff["clara.clo"]

    @property
    def support(self) -> User:
        return self.staff["ben.support"]

    # --- families -----------------------------------------------------------------------

    def family(
        self,
        team: str,
        sw: str,
        *,
        children: Sequence[tuple[str, float | None]],
        concern: str,
        mother_solicitor: bool = True,
        father: str = "pr_solicitor",
        grandparent: bool = False,
        restricted: bool = False,
        previous_pre_proceedings: int = 0,
    ) -> _Case:
        """A family with children (gender, age in years; None for unborn) and the parents.

        `father` is "pr_solicitor", "pr" (with PR, no solicitor yet) or "no_pr".
        """
        tm = TEAM_MANAGER_OF_TEAM[team]
        # The year's history (see `history`) takes its surnames from the rest of the list.
        surname = (self.surnames + self.other_surnames)[self.family_count]
        self.family_count += 1
        family = cs.family_create(
            reference=f"PLO-{self.today.year}-{self.family_count:03d}",
            name=f"{surname} family",
            team=self.teams[team],
            social_worker=self.u(sw),
            team_manager=self.u(tm),
            restricted=restricted,
            restriction_reason="A member of staff's family" if restricted else "",
            by=self.hos if restricted else self.u(tm),
        )
        case = _Case(family, self.u(sw), self.u(tm), surname, [], [], concern)
        used: set[str] = set()
        for gender, age in children:
            case.children.append(self.child(case, gender, age, used, previous_pre_proceedings))
        mother = self.rng.choice(MOTHERS)
        case.people.append(self.person(case, f"{mother} {surname}", Relationship.MOTHER, mother_solicitor))
        father_surname = surname if self.rng.random() < 0.5 else self.rng.choice(self.other_surnames)
        father_name = f"{self.rng.choice(FATHERS)} {father_surname}"
        if father == "no_pr":
            # Not named on the birth certificate: no PR, so no letter before proceedings (002 §9b ii).
            case.people.append(self.person(case, father_name, Relationship.FATHER, False, pr=False))
        else:
            case.people.append(self.person(case, father_name, Relationship.FATHER, father == "pr_solicitor"))
        if grandparent:
            granny = f"{self.rng.choice(('Maureen', 'Pauline', 'Christine', 'Sandra'))} {surname}"
            case.people.append(self.person(case, granny, Relationship.GRANDPARENT, True))
        return case

    def child(
        self, case: _Case, gender: str, age: float | None, used: set[str], previous_pre_proceedings: int = 0
    ) -> Child:
        """A child of about `age` years (None: an unborn baby due in about nine weeks)."""
        self.child_count += 1
        if age is None:
            first, dob, edd, sex = "Unborn baby", None, self.today + dt.timedelta(weeks=9), Gender.NOT_KNOWN
        else:
            names = [n for n in (GIRLS if gender == "f" else BOYS) if n not in used]
            first = self.rng.choice(names)
            jitter = self.rng.randint(10, 200) if age >= 1 else self.rng.randint(0, 14)
            dob = self.today - dt.timedelta(days=int(age * 365) + jitter)
            edd, sex = None, Gender.FEMALE if gender == "f" else Gender.MALE
        used.add(first)
        return cs.child_create(
            family=case.family,
            first_name=first,
            last_name=case.surname,
            date_of_birth=dob,
            expected_date_of_birth=edd,
            gender=sex,
            case_system_id=f"LL{304100 + 7 * self.child_count}",
            cp_plan_count=1,
            previous_pre_proceedings=previous_pre_proceedings,
            by=case.sw,
            today=self.today,
        )

    def person(self, case: _Case, name: str, relationship: str, solicitor: bool, *, pr: bool = True) -> Person:
        """A parent (or grandparent) with PR, with or without a solicitor."""
        fields: dict[str, object] = {
            "full_name": name,
            "relationship": relationship,
            "parental_responsibility": pr,
            "legally_represented": YesNoUnknown.YES if solicitor else (YesNoUnknown.NO if pr else YesNoUnknown.UNKNOWN),
        }
        # Contact details from the name, not the random generator, so the rest of the demo is unchanged.
        key = sum(map(ord, name))
        fields |= {
            "address": f"{key % 90 + 1} {STREETS[key % len(STREETS)]}\nNorthmoor\nNM{key % 9 + 1} {key % 9}AB",
            "phone": f"07700 900{key % 1000:03d}",  # Ofcom's range for drama
            "language": "English",
        }
        if key % 5 == 0:
            fields |= {"language": "Polish", "interpreter_needed": True}
        elif key % 7 == 0:
            fields |= {
                "support_kind": "intermediary",
                "support_contact": "Jo Marsh, Northmoor Intermediaries, 01632 960555",
            }
        if solicitor:
            firm, names = self.rng.choice(SOLICITORS)
            fields |= {
                "solicitor_firm": firm,
                "solicitor_name": self.rng.choice(names),
                "solicitor_email": f"childcare@{firm.split()[0].lower()}-law.example",
                "solicitor_phone": f"01632 960{self.rng.randint(0, 999):03d}",  # Ofcom's range for drama
            }
        return cs.person_create(family=case.family, by=case.sw, **fields)

    def record(self, case: _Case, shows: str) -> None:
        """Note what the family shows, with the stage it actually reached."""
        stage = Stage(case.ep.stage).label
        self.scenarios.append(Scenario(case.family.name, case.family.team.name, str(case.sw), stage, shows))

    # --- LPM requests and panels --------------------------------------------------------

    def ask(
        self,
        case: _Case,
        on: dt.date,
        *,
        recommendation: str = Recommendation.PRE_PROCEEDINGS,
        papers: dict[str, tuple[str, str]] | None = None,
    ) -> LPMRequest:
        """The team manager requests an LPM; this opens the episode."""
        documents = dict(papers or ALL_PAPERS)
        if recommendation == Recommendation.ISSUE:
            documents[DocumentKind.SWET] = (DocumentState.PRESENT, "")
        case.request = ms.lpm_request_create(
            family=case.family,
            requested_on=on,
            recommendation=recommendation,
            concerns=f"Concerns about {case.concern}, despite a child protection plan and support.",
            documents=documents,
            by=case.tm,
            today=self.today,
        )
        case.episode = case.request.episode
        return case.request

    def decide_request(
        self,
        case: _Case,
        on: dt.date,
        status: str = RequestStatus.APPROVED,
        *,
        note: str = "",
        until: dt.date | None = None,
    ) -> None:
        """The head of service approves (or defers) the request."""
        assert case.request is not None  # noqa: S101
        ms.lpm_request_decide(
            request=LPMRequest.objects.get(pk=case.request.pk),
            expected_version=None,
            status=status,
            decided_on=on,
            note=note or "Papers complete: list at the next panel.",
            deferred_until=until,
            by=self.hos,
            today=self.today,
        )

    def listed(self, case: _Case, panel: dt.date, kind: str = LPMKind.INITIAL, papers: dt.date | None = None) -> LPM:
        """The CLO lists the case at a panel; business support sends the papers out (the CLO, on a
        restricted case business support is not named on)."""
        point = self.review_point(case, panel) if kind == LPMKind.REVIEW else None
        lpm = ms.lpm_list(
            episode=case.ep, panel_date=panel, kind=kind, review_point=point, by=self.clo, today=self.today
        )
        if papers is not None:
            sender = self.clo if case.family.restricted else self.support
            lpm = ms.lpm_update(lpm=lpm, expected_version=None, by=sender, today=self.today, papers_submitted_on=papers)
        return lpm

    def review_point(self, case: _Case, panel: dt.date) -> int | None:
        """The policy's review point a review on `panel` is held for, as the CLO would choose it: the
        free one whose week (counted from the decision) is nearest the panel date."""
        policy = policy_for(case.ep)
        points = review_points(policy)
        taken = set(case.ep.lpms.filter(review_point__isnull=False).values_list("review_point", flat=True))
        free = [n for n in points if n not in taken]
        decision = Episode.objects.filter(pk=case.ep.pk).values_list("decision_date", flat=True).first()
        if not free or decision is None:
            return None

        def distance(n: int) -> int:
            rule = policy.rule_by_ident(REVIEW_KEY if n == 1 else f"{REVIEW_KEY}#{n}")
            if rule is None or rule.unit != "weeks":
                return 10_000 + n  # not counted in weeks from the decision: the next free one
            return abs((decision + dt.timedelta(weeks=rule.amount) - panel).days)

        return min(free, key=distance)

    def decide(
        self, case: _Case, lpm: LPM, held: dt.date, outcome: str, *, minutes: bool = True, advice: str = ""
    ) -> None:
        """The panel decides; legal records its privileged advice and minutes, and the court liaison
        officer records when the minutes were circulated (a legal adviser writes legal advice only)."""
        deadlines_recompute_pending()  # before the path changes (see _bulk)
        ms.lpm_record_outcome(
            lpm=LPM.objects.get(pk=lpm.pk),
            expected_version=None,
            held_on=held,
            outcome=outcome,
            chair=self.hos,
            outcome_recorded_on=min(self.add(held, 1), self.today),
            by=case.tm,
            today=self.today,
        )
        present = f"Present: {self.hos} (chair), {self.legal} (legal), {case.tm}, {case.sw}."
        ms.legal_advice_record(
            lpm=LPM.objects.get(pk=lpm.pk),  # as held
            advice=advice or ADVICE[LPMOutcome(outcome)].format(concern=case.concern),
            minutes=f"{present} Papers considered; discussion of the evidence and options for the "
            f"{case.family.name}. Decision: {LPMOutcome(outcome).label.lower()}.",
            by=self.legal,
            sent_to_head_of_service_on=self.upto(self.add(held, 4), self.today),
            today=self.today,
        )
        circulated = self.upto(self.add(held, 3), self.today)
        if minutes and circulated:
            ms.lpm_update(
                lpm=LPM.objects.get(pk=lpm.pk),
                expected_version=None,
                by=self.clo,
                today=self.today,
                minutes_circulated_on=circulated,
            )

    def to_lpm(
        self,
        case: _Case,
        held: dt.date,
        outcome: str,
        *,
        recommendation: str = Recommendation.PRE_PROCEEDINGS,
        minutes: bool = True,
    ) -> LPM:
        """Request, approval, listing and the LPM's decision, ending on `held`."""
        requested = self.calendar.roll_back(held - dt.timedelta(days=16))
        self.ask(case, requested, recommendation=recommendation)
        self.decide_request(case, self.add(requested, 2))
        lpm = self.listed(case, held, papers=self.calendar.roll_back(held - dt.timedelta(days=7)))
        self.decide(case, lpm, held, outcome, minutes=minutes)
        return lpm

    # --- pre-proceedings ----------------------------------------------------------------

    def letter(self, case: _Case, drafted: dt.date | None, to_legal: dt.date | None, approved: dt.date | None) -> None:
        """The social worker drafts the letter before proceedings; legal checks and approves it."""
        cs.letter_update(
            episode=case.ep,
            expected_version=None,
            letter_drafted_on=drafted,
            letter_to_legal_on=to_legal,
            letter_approved_on=approved,
            by=case.sw,
            today=self.today,
        )

    def deliver(self, case: _Case, on: dt.date, people: Sequence[Person] | None = None) -> None:
        """The social worker hand-delivers the letter to each parent with PR."""
        for person in people if people is not None else [p for p in case.people if p.parental_responsibility]:
            cs.letter_deliver(episode=case.ep, person=person, delivered_on=on, by=case.sw, today=self.today)

    def attendees(self, case: _Case) -> str:
        """Who came to a pre-proceedings meeting: parents, their solicitors, SW and chair."""
        lines = []
        for p in case.people:
            lines.append(f"{p.full_name} ({p.get_relationship_display().lower()})")
            if p.solicitor_firm:
                lines.append(f"{p.solicitor_name}, {p.solicitor_firm} ({p.full_name.split()[0]}'s solicitor)")
        lines += [f"{case.sw} (social worker)", f"{case.tm} (team manager, chair)"]
        return "\n".join(lines)

    def meeting(
        self,
        case: _Case,
        kind: str,
        *,
        held: dt.date | None = None,
        scheduled: dt.date | None = None,
    ) -> Meeting:
        """A pre-proceedings meeting booked, or held with its minutes as far as they have got by today."""
        fields: dict[str, object] = {"scheduled_for": scheduled or held, "chair": case.tm}
        if held is not None:
            fields |= {
                "held_on": held,
                "attendees": self.attendees(case),
                "plan_agreed": kind == MeetingKind.INITIAL,
            }
            # Business support drafts the minutes; the chairing team manager approves them.
            for name, day in (
                ("minutes_drafted_on", self.add(held, 2)),
                ("minutes_approved_on", self.add(held, 3)),
                ("minutes_circulated_on", self.add(held, 4)),
            ):
                if day > self.today:
                    break
                fields[name] = day
            if "minutes_drafted_on" in fields:
                fields["minutes_drafted_by"] = self.support
            if "minutes_approved_on" in fields:
                fields["minutes_approved_by"] = case.tm
            if "minutes_circulated_on" in fields:
                fields["minutes_circulated_to"] = "Parents and their solicitors; the social worker and team manager"
        # Only the people named on a restricted family may see it, so its TM records its meetings.
        by = case.tm if case.family.restricted else self.support
        return ms.meeting_record(episode=case.ep, kind=kind, by=by, today=self.today, **fields)

    def gateway(self, case: _Case, on: dt.date, outcome: str = LPMOutcome.CONTINUE, *, minutes: bool = True) -> LPM:
        """A legal gateway review LPM held on `on`."""
        lpm = self.listed(case, on, LPMKind.REVIEW)
        advice = REVIEW_ISSUE_ADVICE.format(concern=case.concern) if outcome == LPMOutcome.ISSUE else ""
        self.decide(case, lpm, on, outcome, minutes=minutes, advice=advice)
        return lpm

    def progress(
        self,
        case: _Case,
        decision: dt.date,
        *,
        until: dt.date | None = None,
        gateways: Sequence[int] = (8, 12),
        extension: int = 0,
        late_gateway_minutes: bool = False,
        book_ahead: bool = True,
        slip: int = 0,
    ) -> None:
        """Pre-proceedings on time from the decision: letter, meetings, reviews, as far as `until`.

        Letter delivered 4 working days after D, initial meeting 8 working days later, reviews
        every 4 weeks, legal gateway reviews at weeks 8 and 12, the final meeting in week 15
        (plus any extension, agreed at the week-12 review). Anything after `until` is booked
        (the next meeting and panel) when `book_ahead`, else left out. `slip` working days late
        for the letter and everything after it (a family that was hard to find, a sick social worker).
        """
        until = until or self.today
        drafted, to_legal, approved = (self.add(decision, n + slip) for n in (1, 2, 3))
        self.letter(case, self.upto(drafted, until), self.upto(to_legal, until), self.upto(approved, until))
        delivered = self.add(decision, 4 + slip)
        if delivered > until:
            return
        self.deliver(case, delivered)
        initial = self.add(delivered, 8)
        if initial > until:
            if book_ahead:
                self.meeting(case, MeetingKind.INITIAL, scheduled=initial)
            return
        self.meeting(case, MeetingKind.INITIAL, held=initial)
        final = self.add(self.plus_weeks(decision, 15 + extension), -1)
        events: list[tuple[dt.date, str, int]] = []
        review = initial
        while True:
            # Held the working day before each falls due (4 weeks after the last, 004).
            review = self.add(self.plus_weeks(review, 4), -1)
            if self.add(review, 1) >= final:
                break  # the final meeting comes first: it takes the place of this review
            events.append((review, "review", 0))
        for week in gateways:
            events.append((self.add(self.plus_weeks(decision, week), -2), "gateway", week))
        events.append((final, "final", 0))
        booked: set[str] = set()
        # The legal adviser has not yet circulated the last review's minutes, if so told.
        late = max((d for d, what, _ in events if what == "gateway" and d <= until), default=None)
        for day, what, week in sorted(events):
            if day > until:
                if book_ahead and what not in booked:
                    booked.add(what)
                    if what == "gateway":
                        self.listed(case, day, LPMKind.REVIEW)
                    elif day <= self.plus_weeks(until, 4):
                        kind = MeetingKind.REVIEW if what == "review" else MeetingKind.FINAL
                        self.meeting(case, kind, scheduled=day)
                continue
            if what == "review":
                self.meeting(case, MeetingKind.REVIEW, held=day)
            elif what == "final":
                self.meeting(case, MeetingKind.FINAL, held=day)
            else:
                self.gateway(case, day, minutes=not (late_gateway_minutes and day == late))
                if week == 12 and extension:
                    cs.extension_agree(
                        episode=case.ep,
                        weeks=extension,
                        agreed_on=day,
                        rationale="The parenting assessment needs four more weeks to observe unsupervised "
                        "contact, and hair strand results are due in week 17. Agreed at the week 12 legal "
                        "gateway review so as not to issue on incomplete evidence.",
                        by=self.hos,
                        today=self.today,
                    )

    def assess(
        self,
        case: _Case,
        kind: str,
        provider: str,
        instructed: dt.date,
        due: dt.date,
        *,
        completed: dt.date | None = None,
        child: Child | None = None,
        description: str = "",
        cost: str | None = None,
        approval: bool = False,
        approved_on: dt.date | None = None,
    ) -> None:
        """An assessment in the pre-proceedings plan; an expensive one waits for the HoS to approve its cost."""
        assessment = cs.assessment_create(
            episode=case.ep,
            by=case.sw,
            today=self.today,
            kind=kind,
            provider=provider,
            description=description,
            child=child,
            instructed_on=instructed,
            due_on=due,
            completed_on=completed,
            on_file_on=self.upto(self.add(completed, 2), self.today) if completed else None,
            cost=Decimal(cost) if cost else None,
            cost_approval_needed=approval,
        )
        if approved_on is not None:
            cs.assessment_approve_cost(assessment=assessment, approved_on=approved_on, by=self.hos, today=self.today)

    def step_down(
        self, case: _Case, outcome: str, decided: dt.date, ended: dt.date, exit_letter: dt.date | None
    ) -> None:
        """The team manager ends pre-proceedings with a step-down and an exit letter (000)."""
        deadlines_recompute_pending()  # before the path changes (see _bulk)
        cs.episode_end(
            episode=case.ep,
            expected_version=None,
            ended_on=ended,
            end_outcome=outcome,
            end_decision_date=decided,
            exit_letter_on=exit_letter,
            end_reason="Parents have made and sustained the changes asked of them in the pre-proceedings plan.",
            by=case.tm,
            today=self.today,
        )

    def issue(self, case: _Case, decided: dt.date, reason: str) -> None:
        """The team manager ends pre-proceedings with the decision to issue care proceedings."""
        deadlines_recompute_pending()  # before the path changes (see _bulk)
        cs.episode_end(
            episode=case.ep,
            expected_version=None,
            ended_on=decided,
            end_outcome=EndOutcome.ISSUE,
            end_decision_date=decided,
            end_reason=reason,
            by=case.tm,
            today=self.today,
        )

    def proceedings(
        self,
        case: _Case,
        *,
        letter_of_issue: dt.date | None = None,
        swet: dt.date | None = None,
        issued: dt.date | None = None,
    ) -> CareProceedings:
        """The TM records the letter of issue and SWET going to legal (the step table gives care
        proceedings to team managers, not social workers); legal issues and records the court's reference."""
        deadlines_recompute_pending()  # before the path changes (see _bulk)
        proceedings = CareProceedings.objects.get(episode=case.ep)
        changes: dict[str, object] = {}
        if letter_of_issue:
            changes["letter_of_issue_on"] = letter_of_issue
        if swet:
            changes["swet_to_legal_on"] = swet
        if changes:
            proceedings = cs.proceedings_update(
                proceedings=proceedings, expected_version=None, by=case.tm, today=self.today, **changes
            )
        if issued:
            proceedings = cs.proceedings_update(
                proceedings=proceedings,
                expected_version=None,
                by=self.clo,
                today=self.today,
                issued_on=issued,
                court_reference=f"NB{issued:%y}C{self.rng.randint(10000, 99999)}",
                short_notice=YesNoUnknown.NO,
                parents_represented_at_issue=YesNoUnknown.YES,
                initial_care_plan=CarePlan.CARE_ORDER,
            )
        return proceedings

    def hearing(self, proceedings: CareProceedings, kind: str, day: dt.date, notes: str = "") -> None:
        """The court liaison officer records a hearing, held or listed (legal advisers record advice only)."""
        cs.hearing_record(
            proceedings=proceedings, kind=kind, hearing_date=day, notes=notes, by=self.clo, today=self.today
        )
        if kind == HearingKind.FINAL and day <= self.today:
            # The national return needs the final plan once the final hearing has been (PREP023A).
            proceedings.refresh_from_db()
            issued = proceedings.issued_on or day
            cs.proceedings_update(
                proceedings=proceedings,
                expected_version=None,
                by=self.clo,
                today=self.today,
                final_care_plan=CarePlan.CARE_ORDER,
                final_plan_approved=YesNoUnknown.YES,
                # 002 App. 3 weeks 15 and 19: the final evidence and the advocates' meeting came first.
                final_evidence_filed_on=proceedings.final_evidence_filed_on
                or min(issued + dt.timedelta(days=100), day),
                irh_advocates_meeting_on=proceedings.irh_advocates_meeting_on
                or min(issued + dt.timedelta(days=128), day),
            )

    # --- the build ----------------------------------------------------------------------

    def build(self) -> None:
        """Staff, the closure day, then every family scenario."""
        self.build_staff()
        self.build_calendar()
        for scenario in (
            self.north_letter_due_soon,
            self.north_initial_meeting_overdue,
            self.north_sibling_group_mid,
            self.north_awaiting_decision,
            self.north_proceedings_issued,
            self.north_near_end,
            self.north_nfa,
            self.north_second_episode,
            self.north_issue_at_review,
            self.central_unborn_baby,
            self.central_request_deferred,
            self.central_deferred_then_initiated,
            self.central_extension,
            self.central_step_down_cin,
            self.central_final_hearing_and_permanency,
            self.central_listed,
            self.central_letter_overdue,
            self.south_overrunning,
            self.south_restricted,
            self.south_step_down_cp,
            self.south_decision_overdue,
            self.south_further_lpm_listed,
            self.south_issue_at_lpm,
            self.south_grandparent,
            self.south_recently_issued,
        ):
            scenario()
        self.history()
        self.tracker_meetings()

    # The year before: families whose pre-proceedings began and ended in the last twelve months, so
    # the weekly tracker's 52 weeks show entries, exits, timeliness and lengths that move (issue 13 §5).
    # Built last, so the families above are the same whatever is added here.

    HISTORY_TEAMS: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("north", ("priya.lakhani", "joe.hartigan", "priya.lakhani")),
        ("central", ("hannah.greaves", "tomasz.wilk", "fatima.begum")),
        ("south", ("ayesha.qureshi", "callum.reid", "rhiannon.pugh")),
    )
    HISTORY_CONCERNS = (
        "neglect",
        "domestic abuse",
        "parental alcohol misuse",
        "parental mental health",
        "home conditions and missed health appointments",
        "physical chastisement",
    )

    def history(self) -> None:
        """HISTORY_FAMILIES families over the past year: an LPM that decided no further action, or
        pre-proceedings that stepped down or went to court at week 12, 15 or after an extension;
        some letters and meetings a few days late. Every one is finished today: care proceedings
        heard to a final hearing at least two weeks ago, and each family's record closed, so the
        tracker, agendas, homes and alerts show none of them."""
        # Its own stream, the same for every seed: the families above are unchanged, and only names vary.
        rng = random.Random(DEFAULT_SEED + 1)  # noqa: S311  # nosec B311
        plans = (  # how it ended, and after how many weeks (the first the NFA's LPM)
            (EndOutcome.NFA, 0),
            (EndOutcome.STEP_DOWN_CP, 15),
            (EndOutcome.ISSUE, 10),
            (EndOutcome.STEP_DOWN_CIN, 13),
            (EndOutcome.STEP_DOWN_CP, 19),
            (EndOutcome.ISSUE, 16),
        )
        for team, workers in self.HISTORY_TEAMS:
            for i in range(HISTORY_FAMILIES // len(self.HISTORY_TEAMS)):
                outcome, weeks = plans[(i + len(team)) % len(plans)]
                weeks += rng.choice((0, 0, 1, 2)) if weeks else 0
                # Decisions spread across the year, each ended at least two weeks ago.
                decision = self.ago(max(51 - (30 * self.history_count) // 17 - rng.randint(0, 1), weeks + 2))
                self.history_count += 1
                case = self.family(
                    team,
                    workers[i % 3],
                    children=[("f" if rng.random() < 0.5 else "m", rng.randint(1, 14))],
                    concern=rng.choice(self.HISTORY_CONCERNS),
                    father="pr_solicitor" if rng.random() < 0.6 else "no_pr",
                )
                if outcome == EndOutcome.NFA:
                    self.to_lpm(case, decision, LPMOutcome.NFA)
                    self.close(case, self.add(decision, 10), "The legal planning meeting decided no further action.")
                    continue
                self.to_lpm(case, decision, LPMOutcome.INITIATE)
                end = self.add(self.plus_weeks(decision, weeks), -1)
                issued = self.add(end, 10)
                if outcome == EndOutcome.ISSUE and self.plus_weeks(issued, 22) > self.ago(2):
                    # Too recent for the court to have finished by now: these parents made the changes
                    # asked of them instead, so no family of the history is still in court today.
                    outcome = EndOutcome.STEP_DOWN_CP
                slip = rng.choice((0, 0, 0, 2, 4, 7))
                self.progress(
                    case,
                    decision,
                    until=end,
                    gateways=(8,) if weeks <= 12 else (8, 12),
                    extension=min(max(weeks - 16, 0), 4),
                    book_ahead=False,
                    slip=slip,
                )
                if outcome == EndOutcome.ISSUE:
                    self.issue(case, end, "No sustained change within the timetable.")
                    proceedings = self.proceedings(
                        case, letter_of_issue=self.add(end, 1), swet=self.add(end, 5), issued=issued
                    )
                    final = self.concluded(proceedings, issued)
                    self.close(
                        case, self.add(final, 5), "Care proceedings concluded: care order made at the final hearing."
                    )
                else:
                    self.step_down(case, outcome, end, end, self.add(end, 3))
                    self.close(case, self.add(end, 10), "Pre-proceedings ended with a step down; exit letter sent.")

    def concluded(self, proceedings: CareProceedings, issued: dt.date) -> dt.date:
        """Care proceedings heard to the end within the 26 weeks: the CMH by day 18, the IRH in
        week 19 and the final hearing in week 22 to 25, held at least two weeks ago. Returns its date."""
        self.hearing(proceedings, HearingKind.CMH, self.calendar.roll_back(issued + dt.timedelta(days=17)))
        self.hearing(proceedings, HearingKind.IRH, self.plus_weeks(issued, 19), "Issues narrowed to the care plan")
        final = min(self.plus_weeks(issued, 25), self.ago(2))
        self.hearing(proceedings, HearingKind.FINAL, final, "Care order made; the care plan approved")
        return final

    def close(self, case: _Case, day: dt.date, reason: str) -> None:
        """The team manager closes the family's record once its PLO journey is over, so it leaves
        the caseloads on the homes (a history family is never on anyone's list today)."""
        case.family.refresh_from_db()
        cs.family_close(
            family=case.family, expected_version=None, closed_on=day, reason=reason, by=case.tm, today=self.today
        )

    # North: Tara Pemberton's team; Sam Whitlock holds the first five.

    def north_letter_due_soon(self) -> None:
        case = self.family("north", "sam.social", children=[("f", 6), ("m", 3)], concern="neglect and home conditions")
        decision = self.wd(-3)
        # Legal has not yet circulated the LPM minutes: due tomorrow.
        self.to_lpm(case, decision, LPMOutcome.INITIATE, minutes=False)
        self.letter(case, self.add(decision, 1), self.add(decision, 2), None)
        self.record(case, "Just started: letter before proceedings due within 2 working days")

    def north_initial_meeting_overdue(self) -> None:
        case = self.family(
            "north", "sam.social", children=[("m", 9), ("f", 7)], concern="domestic abuse and parental alcohol misuse"
        )
        decision = self.wd(-18)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision, until=self.add(decision, 4), book_ahead=False)
        # The initial meeting should have been held 10 working days after the letter; booked late.
        self.meeting(case, MeetingKind.INITIAL, scheduled=self.wd(3))
        self.record(case, "Letter delivered; initial meeting overdue (booked late)")

    def north_sibling_group_mid(self) -> None:
        case = self.family(
            "north",
            "sam.social",
            children=[("f", 12), ("m", 10), ("f", 7), ("m", 2)],
            concern="chronic neglect and parental drug misuse",
        )
        decision = self.ago(9, 2)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision, late_gateway_minutes=True)
        initial = self.add(decision, 12)
        mother = case.people[0]
        self.assess(
            case,
            AssessmentKind.PARENTING,
            "Northmoor Parenting Assessment Service",
            self.add(initial, 1),
            self.plus_weeks(decision, 13),
            description="Both parents",
        )
        self.assess(
            case,
            AssessmentKind.PSYCHOLOGICAL,
            "Dr Eleanor Voss, consultant clinical psychologist",
            self.add(initial, 3),
            self.wd(-4),
            description=mother.full_name,
            cost="2400.00",
            approval=True,
            approved_on=self.add(initial, 2),
        )
        self.assess(
            case,
            AssessmentKind.DRUG_ALCOHOL,
            "Pennine Toxicology Ltd",
            self.add(initial, 1),
            self.add(initial, 20),
            completed=self.add(initial, 18),
            description="Hair strand tests, both parents",
            cost="1150.00",
        )
        self.assess(
            case,
            AssessmentKind.VIABILITY_1,
            "Family and friends assessment team",
            self.add(initial, 2),
            self.add(initial, 15),
            completed=self.add(initial, 14),
            description="Maternal aunt",
        )
        self.record(case, "Sibling group of 4, week 10: psychological report and gateway review minutes overdue")

    def north_awaiting_decision(self) -> None:
        # Before the letter before proceedings, parents often have no solicitor yet.
        case = self.family(
            "north",
            "sam.social",
            children=[("m", 1)],
            concern="unexplained bruising to a baby",
            mother_solicitor=False,
            father="pr",
        )
        papers = dict(ALL_PAPERS)
        papers[DocumentKind.GENOGRAM] = (DocumentState.MISSING, "")
        self.ask(case, self.wd(-3), papers=papers)
        self.record(case, "LPM requested 3 working days ago; awaiting the head of service (genogram missing)")

    def north_proceedings_issued(self) -> None:
        case = self.family("north", "sam.social", children=[("f", 8), ("f", 5)], concern="parental drug misuse")
        decision = self.ago(30)
        issue = self.add(self.plus_weeks(decision, 16), -2)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision, until=self.add(issue, -1), book_ahead=False)
        self.gateway(case, issue, LPMOutcome.ISSUE)
        issued = self.add(issue, 9)
        proceedings = self.proceedings(case, letter_of_issue=self.add(issue, 1), swet=self.add(issue, 4), issued=issued)
        self.hearing(
            proceedings,
            HearingKind.OTHER,
            self.add(issued, 2),
            "Interim care orders granted; children placed with paternal grandparents",
        )
        self.hearing(
            proceedings,
            HearingKind.CMH,
            self.calendar.roll_back(issued + dt.timedelta(days=17)),
            "Timetable set; psychological assessment of mother permitted",
        )
        self.hearing(proceedings, HearingKind.IRH, self.plus_weeks(issued, 20), "Listed")
        self.hearing(proceedings, HearingKind.FINAL, self.plus_weeks(issued, 26), "Listed for 3 days")
        self.record(case, "Care proceedings issued after week 16: CMH held, IRH and final hearing listed")

    def north_near_end(self) -> None:
        case = self.family("north", "priya.lakhani", children=[("m", 4)], concern="parental mental health and neglect")
        decision = self.ago(15, 3)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision)
        self.assess(
            case,
            AssessmentKind.PARENTING,
            "Northmoor Parenting Assessment Service",
            self.add(decision, 14),
            self.plus_weeks(decision, 14),
            completed=self.plus_weeks(decision, 14),
            description="Mother",
        )
        self.record(case, "Week 16: final meeting held, decision on the end due this week")

    def north_nfa(self) -> None:
        case = self.family(
            "north",
            "priya.lakhani",
            children=[("f", 14)],
            concern="risk from an adult in the household",
            father="no_pr",
        )
        self.to_lpm(case, self.ago(6), LPMOutcome.NFA)
        self.record(case, "No further action decided at the LPM")

    def north_second_episode(self) -> None:
        case = self.family("north", "joe.hartigan", children=[("m", 6)], concern="neglect and poor school attendance")
        first = self.ago(64)
        self.to_lpm(case, first, LPMOutcome.INITIATE)
        ended = self.plus_weeks(first, 14)
        self.progress(case, first, until=ended, gateways=(8,), book_ahead=False)
        self.step_down(case, EndOutcome.STEP_DOWN_CIN, ended, ended, self.add(ended, 3))
        # A baby born after the first episode ended: in this episode for the first time.
        case.children.append(self.child(case, "f", 0.4, {c.first_name for c in case.children}))
        decision = self.ago(5)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision)
        self.record(case, "Second pre-proceedings episode (stepped down to CIN a year ago)")

    def north_issue_at_review(self) -> None:
        case = self.family(
            "north", "joe.hartigan", children=[("f", 3), ("m", 1)], concern="domestic abuse and non-engagement"
        )
        issue = self.wd(-4)
        decision = self.calendar.roll_back(issue - dt.timedelta(weeks=12))
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision, until=self.add(issue, -1), gateways=(8,), book_ahead=False)
        self.gateway(case, issue, LPMOutcome.ISSUE)
        self.proceedings(case, letter_of_issue=self.add(issue, 1))
        self.record(case, "Decision to issue at the week 12 review; SWET to legal due soon")

    # Central: Marcus Adebayo's team.

    def central_unborn_baby(self) -> None:
        case = self.family(
            "central",
            "hannah.greaves",
            children=[("u", None), ("m", 2)],
            concern="a mother's learning needs and a previous child's removal",
            father="pr",
        )
        decision = self.ago(6)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision)
        self.assess(
            case,
            AssessmentKind.PAMS,
            "Brightwater Independent Social Work Ltd",
            self.wd(-2),
            self.plus_weeks(self.today, 10),
            description="Pre-birth PAMS assessment of mother",
            cost="4850.00",
            approval=True,
        )
        self.assess(
            case,
            AssessmentKind.COGNITIVE,
            "Dr Imogen Threlfall, clinical psychologist",
            self.add(decision, 8),
            self.add(decision, 25),
            completed=self.add(decision, 22),
            description="Mother",
            cost="950.00",
            approval=True,
            approved_on=self.add(decision, 7),
        )
        self.record(case, "Pre-birth: unborn baby; PAMS assessment awaiting HoS cost approval")

    def central_request_deferred(self) -> None:
        case = self.family(
            "central",
            "tomasz.wilk",
            children=[("f", 11)],
            concern="emotional harm and self-harm",
            mother_solicitor=False,
            father="no_pr",
        )
        requested = self.wd(-9)
        papers = dict(ALL_PAPERS)
        papers[DocumentKind.CHRONOLOGY] = (DocumentState.MISSING, "")
        papers[DocumentKind.GENOGRAM] = (DocumentState.MISSING, "")
        self.ask(case, requested, papers=papers)
        decided = self.add(requested, 2)
        self.decide_request(
            case,
            decided,
            RequestStatus.DEFERRED,
            until=self.calendar.roll_back(decided + dt.timedelta(days=10)),
            note="Deferred for an up-to-date chronology and a genogram.",
        )
        self.record(case, "LPM request deferred by the head of service for better papers")

    def central_deferred_then_initiated(self) -> None:
        case = self.family(
            "central", "tomasz.wilk", children=[("m", 8), ("m", 5)], concern="neglect and parental alcohol misuse"
        )
        decision = self.ago(3)
        first = self.calendar.roll_back(decision - dt.timedelta(days=14))
        requested = self.calendar.roll_back(first - dt.timedelta(days=16))
        self.ask(case, requested)
        self.decide_request(case, self.add(requested, 2))
        lpm = self.listed(case, first, papers=self.calendar.roll_back(first - dt.timedelta(days=7)))
        self.decide(case, lpm, first, LPMOutcome.DEFER)
        assert case.request is not None  # noqa: S101
        ms.lpm_request_documents_update(
            request=case.request,
            documents={DocumentKind.CHRONOLOGY: (DocumentState.PRESENT, "Updated after the deferral")},
            by=case.tm,
            today=self.today,
        )
        further = self.listed(
            case, decision, LPMKind.FURTHER, papers=self.calendar.roll_back(decision - dt.timedelta(days=7))
        )
        self.decide(case, further, decision, LPMOutcome.INITIATE)
        self.progress(case, decision)
        self.record(case, "LPM deferred, then the further LPM started pre-proceedings")

    def central_extension(self) -> None:
        case = self.family("central", "fatima.begum", children=[("f", 9), ("m", 6)], concern="domestic abuse")
        decision = self.ago(17, 4)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        extension = min(4, self.policy.max_extension_weeks or 4)
        self.progress(case, decision, extension=extension)
        self.record(case, f"Week 18: past 16 weeks with a {extension}-week extension agreed by the HoS")

    def central_step_down_cin(self) -> None:
        case = self.family("central", "hannah.greaves", children=[("m", 13)], concern="neglect", father="no_pr")
        decision = self.ago(26)
        final = self.add(self.plus_weeks(decision, 15), -1)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision, until=self.add(final, 4), book_ahead=False)
        self.step_down(case, EndOutcome.STEP_DOWN_CIN, final, self.add(final, 2), None)
        cs.exit_letter_record(episode=case.ep, exit_letter_on=self.add(final, 4), by=case.tm, today=self.today)
        self.record(case, "Stepped down to a child in need plan after the final meeting; exit letter sent")

    def central_final_hearing_and_permanency(self) -> None:
        case = self.family(
            "central", "fatima.begum", children=[("m", 5), ("f", 1)], concern="parental drug misuse and neglect"
        )
        decision = self.ago(40)
        issue = self.plus_weeks(decision, 14)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision, until=self.add(issue, -1), book_ahead=False)
        self.issue(case, issue, "No sustained change; positive hair strand tests.")
        issued = self.add(issue, 10)
        proceedings = self.proceedings(case, letter_of_issue=self.add(issue, 1), swet=self.add(issue, 5), issued=issued)
        self.hearing(proceedings, HearingKind.CMH, self.calendar.roll_back(issued + dt.timedelta(days=17)))
        self.hearing(
            proceedings, HearingKind.IRH, self.plus_weeks(issued, 20), "Issues narrowed to the plan for the baby"
        )
        self.hearing(proceedings, HearingKind.FINAL, self.plus_weeks(issued, 26), "Listed for 2 days")
        baby = case.children[1]
        held = self.ago(5)
        ms.permanency_meeting_record(
            family=case.family,
            child=baby,
            organised_by=case.sw,
            chair=case.tm,
            held_on=held,
            options_considered=[PlanOption.RETURN_HOME, PlanOption.KINSHIP, PlanOption.SGO, PlanOption.ADOPTION],
            preferred_option=PlanOption.SGO,
            parallel_plan=PlanOption.ADOPTION,
            notes="Maternal grandmother's special guardianship assessment is positive; adoption as the parallel plan.",
            next_review_on=held + dt.timedelta(weeks=6),
            by=case.sw,
            today=self.today,
        )
        self.record(case, "Care proceedings: IRH held, final hearing listed; permanency planning meeting")

    def central_listed(self) -> None:
        case = self.family("central", "hannah.greaves", children=[("f", 4)], concern="domestic abuse", father="pr")
        requested = self.wd(-7)
        self.ask(case, requested)
        self.decide_request(case, self.add(requested, 2))
        self.listed(case, self.wd(2), papers=self.wd(-4))
        self.record(case, "LPM request approved; listed at the panel in 2 working days")

    def central_letter_overdue(self) -> None:
        case = self.family(
            "central",
            "tomasz.wilk",
            children=[("m", 10)],
            concern="neglect and exploitation risk",
            father="pr",
            previous_pre_proceedings=1,
        )
        decision = self.wd(-8)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.letter(case, self.add(decision, 1), self.add(decision, 2), self.add(decision, 4))
        # Delivered to the mother; the father has no fixed address, so the letter is still owed.
        self.deliver(case, self.add(decision, 5), people=[case.people[0]])
        self.record(case, "Letter overdue: not yet delivered to the father; earlier PLO before this system")

    # South: Gareth Pryce's team.

    def south_overrunning(self) -> None:
        case = self.family("south", "ayesha.qureshi", children=[("f", 7), ("m", 4)], concern="parental alcohol misuse")
        decision = self.ago(18, 2)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision)
        self.assess(
            case,
            AssessmentKind.PSYCHIATRIC,
            "Dr Simon Achterberg, consultant psychiatrist",
            self.plus_weeks(decision, 6),
            self.plus_weeks(decision, 14),
            description="Father",
            cost="3200.00",
            approval=True,
            approved_on=self.plus_weeks(decision, 5),
        )
        self.record(case, "Week 19: running past 16 weeks with no extension agreed")

    def south_restricted(self) -> None:
        case = self.family(
            "south", "callum.reid", children=[("m", 11), ("f", 8)], concern="domestic abuse", restricted=True
        )
        # A staff member's family: only the people named on it may see it.
        family = case.family
        named = [*family.restricted_to.all(), self.legal, self.clo]
        case.family = cs.family_restrict(
            family=family,
            restricted=True,
            people=named,
            reason="Legal services and the court liaison officer need to see the case",
            by=self.hos,
        )
        decision = self.ago(4)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision)
        self.record(case, "Restricted (staff-related): visible only to 5 named people")

    def south_step_down_cp(self) -> None:
        case = self.family("south", "callum.reid", children=[("f", 6)], concern="neglect and home conditions")
        decision = self.ago(20)
        review = self.add(self.plus_weeks(decision, 12), -2)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision, until=self.add(review, -1), gateways=(8,), book_ahead=False)
        self.gateway(case, review, LPMOutcome.STEP_DOWN)
        self.step_down(case, EndOutcome.STEP_DOWN_CP, review, self.add(review, 2), self.add(review, 4))
        self.record(case, "Stepped down to a child protection plan at the week 12 review; exit letter sent")

    def south_decision_overdue(self) -> None:
        case = self.family(
            "south",
            "rhiannon.pugh",
            children=[("m", 15)],
            concern="child sexual exploitation risk",
            mother_solicitor=False,
        )
        self.ask(case, self.ago(2, 3))
        self.record(case, "LPM requested 2½ weeks ago: the head of service's decision is overdue")

    def south_further_lpm_listed(self) -> None:
        case = self.family("south", "rhiannon.pugh", children=[("f", 5), ("f", 3)], concern="parental mental health")
        first = self.wd(-6)
        requested = self.calendar.roll_back(first - dt.timedelta(days=16))
        self.ask(case, requested)
        self.decide_request(case, self.add(requested, 2))
        lpm = self.listed(case, first, papers=self.calendar.roll_back(first - dt.timedelta(days=7)))
        self.decide(case, lpm, first, LPMOutcome.DEFER)
        self.listed(case, self.plus_weeks(first, 2), LPMKind.FURTHER)
        self.record(case, "LPM deferred; further LPM listed, revised papers due soon")

    def south_issue_at_lpm(self) -> None:
        case = self.family("south", "ayesha.qureshi", children=[("m", 0.05)], concern="a skull fracture to a newborn")
        self.to_lpm(case, self.wd(-2), LPMOutcome.ISSUE, recommendation=Recommendation.ISSUE)
        self.record(case, "Decision to issue at the LPM: letter of issue overdue, SWET pending")

    def south_grandparent(self) -> None:
        case = self.family(
            "south", "ayesha.qureshi", children=[("f", 10), ("m", 8)], concern="parental drug misuse", grandparent=True
        )
        decision = self.ago(11, 3)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision)
        self.assess(
            case,
            AssessmentKind.SPECIAL_GUARDIANSHIP,
            "Family and friends assessment team",
            self.plus_weeks(decision, 4),
            self.plus_weeks(decision, 16),
            description=f"{case.people[2].full_name} (grandmother with PR)",
        )
        self.assess(
            case,
            AssessmentKind.FGC,
            "Northmoor Family Group Conference Service",
            self.add(decision, 6),
            self.add(decision, 25),
            completed=self.add(decision, 24),
        )
        self.record(case, "Week 12: grandmother holds PR; SGO assessment under way")

    def south_recently_issued(self) -> None:
        case = self.family("south", "rhiannon.pugh", children=[("f", 2)], concern="neglect and domestic abuse")
        decision = self.ago(22)
        issue = self.add(self.plus_weeks(decision, 16), -2)
        self.to_lpm(case, decision, LPMOutcome.INITIATE)
        self.progress(case, decision, until=self.add(issue, -1), book_ahead=False)
        self.issue(case, issue, "Assessments negative; no sustained change.")
        issued = self.add(issue, 8)
        proceedings = self.proceedings(case, letter_of_issue=self.add(issue, 1), swet=self.add(issue, 4), issued=issued)
        self.hearing(proceedings, HearingKind.CMH, self.calendar.roll_back(issued + dt.timedelta(days=17)))
        self.hearing(proceedings, HearingKind.IRH, self.plus_weeks(issued, 20), "Listed")
        self.record(case, "Care proceedings issued a month ago: CMH held, IRH listed")

    # --- summary ------------------------------------------------------------------------

    # Tracker meetings (000, 004): what the court liaison officer runs each week.

    def tracker_meetings(self) -> None:
        """Last week's weekly tracker meeting, held and its minutes approved and circulated, with
        notes on two cases and an action for each case's team manager (one already overdue, so it
        alerts); and the next legal gateway panel set up, its agenda built, papers awaited."""
        from tracker_meetings import services as ts
        from tracker_meetings.models import TrackerMeetingKind
        from tracker_meetings.selectors import minutes_staff
        from tracker_meetings.today import next_panel_day

        deadlines_recompute_pending()  # the agenda is built from the tracker's deadlines
        clo, hos, ben = self.staff["clara.clo"], self.staff["helen.hos"], self.staff["ben.support"]
        monday = self.today - dt.timedelta(days=self.today.weekday())
        held = monday - dt.timedelta(weeks=1)
        while not self.calendar.is_working_day(held):
            held += dt.timedelta(days=1)
        meeting = ts.tracker_meeting_prepare(
            kind=TrackerMeetingKind.WEEKLY, meets_on=held, starts_at=None, by=clo, today=held, calendar=self.calendar
        )
        meeting = ts.tracker_meeting_hold(
            meeting=meeting,
            expected_version=None,
            held_on=held,
            chair=hos,
            attendees="Helen Carrow, Head of Service (chair)\nClara Ashdown, Court Liaison Officer\n"
            "Leo Farrant, Legal Services\nBen Oyelaran, Business Support (minutes)",
            by=clo,
            today=self.today,
        )
        items = [
            i
            for i in meeting.items.select_related("episode__family__team_manager").order_by("position")
            if i.episode.family.team_manager is not None and not i.episode.family.restricted
        ][:2]
        notes = (
            ("Letter before proceedings not yet delivered to the father; the social worker is chasing "
             "his new address.", "Team manager to make sure the letter is delivered by hand.", 2),
            ("Parenting assessment report is late; the assessor has asked for two more weeks.",
             "Team manager to agree the new report date with the assessor and tell legal.", 12),
        )  # fmt: skip
        for item, (note, decisions, due_in) in zip(items, notes, strict=False):
            ts.agenda_item_record(
                item=item, expected_version=None, note=note, decisions=decisions, review_on=None, legal_advice=None,
                by=clo,
            )  # fmt: skip
            # The first is due two working days after the meeting: overdue now, so its owner is alerted.
            owner = item.episode.family.team_manager
            assert owner is not None  # noqa: S101  (chosen above)
            ts.meeting_action_add(
                item=item, description=decisions.removeprefix("Team manager to ").capitalize(),
                owner=owner, due_on=self.add(held, due_in), by=clo,
            )  # fmt: skip
        recipients = minutes_staff().filter(
            username__in=["clara.clo", "helen.hos", "adam.ad", "leo.legal", *TEAM_MANAGER_OF_TEAM.values()]
        )
        ts.tracker_meeting_minutes_record(
            meeting=meeting, expected_version=None, by=ben, recipients=list(recipients), today=self.today,
            minutes_drafted_on=self.add(held, 1), minutes_drafted_by=ben,
            minutes_approved_on=self.add(held, 2), minutes_approved_by=hos,
            minutes_circulated_on=self.add(held, 3),
        )  # fmt: skip
        ts.tracker_meeting_prepare(
            kind=TrackerMeetingKind.PANEL, meets_on=next_panel_day(self.today, self.calendar), starts_at=None,
            by=clo, today=self.today, calendar=self.calendar,
        )  # fmt: skip

    def summary(self) -> DemoSummary:
        """Counts of what was loaded, and the scenario list."""
        stages = Counter(Episode.objects.values_list("stage", flat=True))
        return DemoSummary(
            today=self.today,
            seed=self.seed,
            teams=len(self.teams),
            staff=len(self.staff),
            families=Family.objects.count() - self.history_count,
            history_families=self.history_count,
            children=Child.objects.count(),
            episodes_by_stage={Stage(s).label: stages.get(s, 0) for s in Stage.values},
            scenarios=self.scenarios,
        )
