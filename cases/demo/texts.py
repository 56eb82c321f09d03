"""The words of the demo's LPM advice and papers."""

from __future__ import annotations

from meetings.models import DocumentKind, DocumentState, LPMOutcome

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
