"""The demo's building blocks: one method per protocol step (a family, a request, an LPM, a letter,
a meeting, an assessment, care proceedings), each written through the services."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password

from accounts.models import ServiceArea, Team, User
from accounts.services import user_set_roles
from cases import services as cs
from cases.models import (
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
from deadlines.engine import WorkingCalendar, load_policy
from deadlines.models import ClosureDay
from deadlines.services import REVIEW_KEY, calendar_current, deadlines_recompute_pending, policy_for, review_points
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
    Recommendation,
    RequestStatus,
)

from .names import BOYS, FATHERS, GIRLS, MOTHERS, SOLICITORS, STREETS, SURNAMES
from .staff import (
    ALL_STAFF,
    SERVICE_AREA_OF_TEAM,
    SERVICE_MANAGERS_OF_AREA,
    TEAM_MANAGER_OF_TEAM,
    council_place,
    demo_password,
    team_names,
)
from .summary import FAMILIES, Scenario
from .texts import ADVICE, ALL_PAPERS, REVIEW_ISSUE_ADVICE


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


class Steps:
    """The steps of the protocol as the demo takes them, each through the services, and the dates
    they fall on counted back from today."""

    def __init__(self, *, today: dt.date, seed: int) -> None:
        self.today = today
        self.rng = random.Random(seed)  # noqa: S311  # nosec B311: invented names, not security
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
        assert self.cal is not None  # noqa: S101  (build_calendar runs first)
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
        assert case.request is not None  # noqa: S101  (a builder bug, not bad input)
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
