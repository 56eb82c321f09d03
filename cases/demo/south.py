"""The south team's demo families (Gareth Pryce's team)."""

from __future__ import annotations

import datetime as dt

from cases import services as cs
from cases.models import AssessmentKind, EndOutcome, HearingKind
from meetings.models import LPMKind, LPMOutcome, Recommendation

from .steps import Steps


class SouthFamilies(Steps):
    """One method per family scenario."""

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
