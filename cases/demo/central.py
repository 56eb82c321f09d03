"""The central team's demo families (Marcus Adebayo's team)."""

from __future__ import annotations

import datetime as dt

from cases import services as cs
from cases.models import AssessmentKind, EndOutcome, HearingKind
from meetings import services as ms
from meetings.models import DocumentKind, DocumentState, LPMKind, LPMOutcome, PlanOption, RequestStatus

from .steps import Steps
from .texts import ALL_PAPERS


class CentralFamilies(Steps):
    """One method per family scenario."""

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
        assert case.request is not None  # noqa: S101  (a builder bug, not bad input)
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
