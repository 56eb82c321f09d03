"""The plain-language templates the product ships, one per document, built with python-docx.

They are built in code rather than committed as binary files, so a change to their wording shows
in a diff; each is stored as version 1 of its kind the first time it is needed, and a council's
own upload becomes version 2. An administrator can download each to start their own from it.
Every field they use is in letters.fields, and a test checks each passes the upload check.
"""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Pt

from .kinds import DocumentKind

K = DocumentKind
H, P = "heading", "para"

_SIGN_OFF = [
    (P, "Yours sincerely,"),
    (P, "{{ team_manager.name }}"),
    (P, "{{ team_manager.job_title }}, {{ team }}"),
    (P, "{{ council }}"),
]
_ADDRESS = [
    (P, "{{ council }}"),
    (P, "{{ recipient.name }}\n{{ recipient.address }}"),
    (P, "{{ drafted_on }}"),
]
_PLAN = [
    (P, "{%p for a in plan %}"),
    (P, "{{ a.action }}: {{ a.who }}, by {{ a.due }}"),
    (P, "{%p endfor %}"),
    (P, "{%p if not plan %}"),
    (P, "No assessments are in the plan yet."),
    (P, "{%p endif %}"),
]
_INTERPRETER = [
    (P, "{%p if recipient.interpreter_note %}"),
    (P, "{{ recipient.interpreter_note }}"),
    (P, "{%p endif %}"),
]
_CONTACTS = [
    (
        P,
        "Your social worker is {{ social_worker.name }} ({{ social_worker.email }}). Their manager is "
        "{{ team_manager.name }} ({{ team_manager.email }}). Please contact them if anything in this letter "
        "is not clear.",
    ),
]


def _dated(key: str, sentence: str) -> list[tuple[str, str]]:
    """A sentence shown only where the family's timetable has that milestone."""
    return [(P, "{%p if dates." + key + ".date %}"), (P, sentence), (P, "{%p endif %}")]


CONTENT: dict[str, list[tuple[str, str]]] = {
    K.LETTER_BEFORE_PROCEEDINGS: [
        *_ADDRESS,
        (H, "Letter before proceedings"),
        (P, "About: {{ children_names }}"),
        (P, "Dear {{ recipient.name }},"),
        (
            P,
            "We are very worried about {{ children_names }}. At our legal planning meeting on {{ lpm.date }} we "
            "decided that, unless things change, we may ask the family court to make decisions about the "
            "children. Before we do that we want to work with you to make things better. This is called "
            "pre-proceedings. The worries are set out in the summary that comes with this letter.",
        ),
        (
            P,
            "Please take this letter to a solicitor straight away. Because you have this letter you can get "
            "free legal advice, whatever your income.",
        ),
        (P, "{%p if recipient.solicitor_firm %}"),
        (
            P,
            "Our records say your solicitor is {{ recipient.solicitor_name }} at {{ recipient.solicitor_firm }}. "
            "We will send them a copy of this letter.",
        ),
        (P, "{%p endif %}"),
        (H, "The meeting"),
        (
            P,
            "We invite you and your solicitor to a meeting about the plan for the children: "
            "{{ meeting.kind }}{% if meeting.date %} on {{ meeting.date }}{% endif %}"
            "{% if meeting.time %} at {{ meeting.time }}{% endif %}"
            "{% if meeting.place %}, at {{ meeting.place }}{% endif %}"
            ".{% if not meeting.date %} We will write to you with its date.{% endif %}",
        ),
        *_dated("initial_meeting", "This meeting must take place by {{ dates.initial_meeting.date }}."),
        *_INTERPRETER,
        (H, "What happens next"),
        *_dated("review_meeting", "We will meet again to review the plan by {{ dates.review_meeting.date }}."),
        *_dated("final_meeting", "The last meeting will be by {{ dates.final_meeting.date }}."),
        *_dated(
            "pre_proceedings_end",
            "Pre-proceedings are planned to end by {{ dates.pre_proceedings_end.date }}.",
        ),
        (P, "The plan so far:"),
        *_PLAN,
        *_CONTACTS,
        *_SIGN_OFF,
    ],
    K.LETTER_OF_ISSUE: [
        *_ADDRESS,
        (H, "Letter of issue"),
        (P, "About: {{ children_names }}"),
        (P, "Dear {{ recipient.name }},"),
        (
            P,
            "On {{ proceedings.decision_date }} we decided to ask the family court to make decisions about "
            "{{ children_names }}. This is called issuing care proceedings.",
        ),
        (P, "{%p if proceedings.court_reference %}"),
        (P, "The court's case number is {{ proceedings.court_reference }}."),
        (P, "{%p endif %}"),
        *_dated("proceedings_issued", "We plan to apply to the court by {{ dates.proceedings_issued.date }}."),
        (
            P,
            "Please take this letter to a solicitor straight away. You can get free legal help for care "
            "proceedings, whatever your income.",
        ),
        (P, "{%p if recipient.solicitor_firm %}"),
        (
            P,
            "Our records say your solicitor is {{ recipient.solicitor_name }} at {{ recipient.solicitor_firm }}. "
            "We will send them a copy of this letter.",
        ),
        (P, "{%p endif %}"),
        *_INTERPRETER,
        *_CONTACTS,
        *_SIGN_OFF,
    ],
    K.EXIT_LETTER: [
        *_ADDRESS,
        (H, "Pre-proceedings have ended"),
        (P, "About: {{ children_names }}"),
        (P, "Dear {{ recipient.name }},"),
        (
            P,
            "Pre-proceedings for {{ children_names }} ended on {{ ended_on }}. What happens now: {{ outcome }}.",
        ),
        (
            P,
            "Thank you for the work you have done. Your social worker will go through what has changed, what "
            "helped, and what we will keep an eye on. If we become worried again we will talk to you first.",
        ),
        *_INTERPRETER,
        *_CONTACTS,
        *_SIGN_OFF,
    ],
    K.AGREEMENT: [
        (P, "{{ council }}"),
        (H, "Pre-proceedings agreement and plan"),
        (P, "Family: {{ family.name }} ({{ family.reference }})"),
        (P, "Children: {{ children_names }}"),
        (P, "Drafted on {{ drafted_on }}"),
        (H, "Who this agreement is between"),
        (P, "{%p for p in parents %}"),
        (
            P,
            "{{ p.name }} ({{ p.relationship }}){% if p.solicitor_firm %}, represented by {{ p.solicitor_name }} "
            "of {{ p.solicitor_firm }}{% endif %}",
        ),
        (P, "{%p endfor %}"),
        (P, "{{ council }}, represented by {{ social_worker.name }} ({{ social_worker.job_title }})"),
        (H, "The meeting"),
        (
            P,
            "{{ meeting.kind }}{% if meeting.date %} on {{ meeting.date }}{% else %} (date to be set){% endif %}"
            "{% if meeting.time %} at {{ meeting.time }}{% endif %}"
            "{% if meeting.place %}, at {{ meeting.place }}{% endif %}.",
        ),
        (H, "The plan: what will be done, by whom and by when"),
        *_PLAN,
        (H, "The timetable"),
        *_dated("initial_meeting", "Initial meeting by {{ dates.initial_meeting.date }}"),
        *_dated("review_meeting", "Review meeting by {{ dates.review_meeting.date }}"),
        *_dated("final_meeting", "Final meeting by {{ dates.final_meeting.date }}"),
        *_dated("pre_proceedings_end", "Pre-proceedings end by {{ dates.pre_proceedings_end.date }}"),
        (H, "Signatures"),
        (P, "{%p for p in parents %}"),
        (P, "{{ p.name }}: signed ____________________ date __________"),
        (P, "{%p endfor %}"),
        (P, "{{ social_worker.name }}, for {{ council }}: signed ____________________ date __________"),
    ],
    K.LPM_COVER_SHEET: [
        (P, "{{ council }}"),
        (H, "Legal planning meeting: cover sheet"),
        (P, "Family: {{ family.name }} ({{ family.reference }})"),
        (P, "{%p for c in children %}"),
        (P, "{{ c.name }}, born {{ c.date_of_birth }}"),
        (P, "{%p endfor %}"),
        (P, "Social worker: {{ social_worker.name }}. Team manager: {{ team_manager.name }}. Team: {{ team }}."),
        (
            P,
            "Requested on {{ request.requested_on }} by {{ request.requested_by }}. Recommendation: "
            "{{ request.recommendation }}.",
        ),
        (P, "Panel date: {{ lpm.date }}"),
        *_dated("lpm_papers", "Papers due to the panel by {{ dates.lpm_papers.date }}"),
        (H, "Documents"),
        (P, "{%p for d in documents %}"),
        (P, "{{ d.name }}: {{ d.state }}{% if d.note %} ({{ d.note }}){% endif %}"),
        (P, "{%p endfor %}"),
        (H, "Parents"),
        (P, "{%p for p in parents %}"),
        (
            P,
            "{{ p.name }} ({{ p.relationship }}){% if p.solicitor_firm %}, solicitor {{ p.solicitor_name }} of "
            "{{ p.solicitor_firm }}{% endif %}{% if p.interpreter_note %}. {{ p.interpreter_note }}{% endif %}",
        ),
        (P, "{%p endfor %}"),
    ],
    K.TRACKER_MINUTES: [
        (P, "{{ council }}"),
        (H, "{{ meeting.kind }}: minutes"),
        (
            P,
            "Date: {{ meeting.date }} at {{ meeting.time }}. Chair: {{ meeting.chair }}. Minutes: {{ meeting.state }}.",
        ),
        (P, "Attended: {{ meeting.attendees }}"),
        (P, "{{ privilege_note }}"),
        (P, "{%p for c in cases %}"),
        (H, "{{ c.family }} ({{ c.reference }})"),
        (P, "Social worker: {{ c.social_worker }}. On the agenda because: {{ c.reasons }}"),
        (P, "Discussion: {{ c.note }}"),
        (P, "Decisions: {{ c.decisions }}"),
        (P, "{%p if c.review_on %}"),
        (P, "Review by {{ c.review_on }}"),
        (P, "{%p endif %}"),
        (P, "{%p for a in c.actions %}"),
        (P, "Action: {{ a.action }}: {{ a.who }}, by {{ a.due }}"),
        (P, "{%p endfor %}"),
        (P, "{%p endfor %}"),
        (P, "Printed on {{ drafted_on }}"),
    ],
}


def default_template(kind: str) -> bytes:
    """The shipped template for this kind of document, as .docx bytes."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(12)
    document.core_properties.title = str(dict(DocumentKind.choices)[kind])
    document.core_properties.author = "PLO Tracker"
    for style_name, text in CONTENT[kind]:
        if style_name == H:
            document.add_heading(text, level=1)
        else:
            document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
