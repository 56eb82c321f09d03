"""The north team's demo families (Tara Pemberton's team)."""

from __future__ import annotations

import datetime as dt

from cases.models import AssessmentKind, EndOutcome, HearingKind
from meetings.models import DocumentKind, DocumentState, LPMOutcome, MeetingKind

from .steps import Steps
from .texts import ALL_PAPERS


class NorthFamilies(Steps):
    """One method per family scenario."""

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
