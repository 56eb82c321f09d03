"""What a document is filled in with: the family's record and the case page's own timetable.

Every date comes from `cases.selectors.case_page`, the selector the case page itself shows, so a
letter cannot say a different date from the screen. Each value is plain text; `date_values`
keeps the same dates as ISO dates, keyed by field, so a draft can store the ones it used and
the case page can tell when the timetable has moved since.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from cases.models import EndOutcome, Person
from cases.selectors import CasePage
from deadlines.models import DeadlineState

from .fields import MILESTONES, _ident
from .kinds import DocumentKind

K = DocumentKind
NOT_SET = "not set yet"


def uk_date(day: dt.date | None, *, empty: str = "") -> str:
    """A date as a letter writes it: 4 January 2027."""
    return f"{day.day} {day:%B %Y}" if day else empty


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _staff(user: Any) -> dict[str, str]:
    if user is None:
        return {"name": "", "job_title": "", "email": ""}
    return {"name": user.get_full_name() or user.username, "job_title": user.job_title, "email": user.email}


def interpreter_note(person: Person) -> str:
    """The interpreter note of a letter to a parent who needs one (in English; empty otherwise)."""
    if not person.interpreter_needed:
        return ""
    return (
        f"We will book an interpreter who speaks {person.language} for every meeting. If you would like this "
        f"letter read to you in {person.language}, tell your social worker and we will arrange it."
    )


def person_fields(person: Person) -> dict[str, str]:
    """A parent's fields (letters.fields.PERSON)."""
    support = f"{person.get_support_kind_display()}: {person.support_contact}" if person.support_kind else ""
    return {
        "name": person.full_name,
        "relationship": person.get_relationship_display(),
        "address": person.address.strip(),
        "phone": person.phone,
        "language": person.language,
        "interpreter_needed": _yes_no(person.interpreter_needed),
        "interpreter_note": interpreter_note(person),
        "advocate": support,
        "solicitor_name": person.solicitor_name,
        "solicitor_firm": person.solicitor_firm,
        "solicitor_email": person.solicitor_email,
        "solicitor_phone": person.solicitor_phone,
        "legally_represented": person.get_legally_represented_display(),
    }


@dataclass
class Filled:
    """A document's context, and the ISO date behind each dated field (for "out of date")."""

    context: dict[str, Any]
    date_values: dict[str, tuple[str, dt.date | None]] = field(default_factory=dict)

    def dates_used(self, used: set[str]) -> dict[str, dict[str, Any]]:
        """The dated fields a template uses: field -> {label, date}."""
        every_date = "timetable" in used
        chosen = {}
        for key, (label, day) in self.date_values.items():
            root = key.split(".", 1)[0]
            if key in used or root in used or (every_date and root == "dates"):
                chosen[key] = {"label": label, "date": day.isoformat() if day else None}
        return chosen


def case_context(
    *,
    page: CasePage,
    kind: str,
    recipient: Person | None,
    meeting_time: str = "",
    meeting_place: str = "",
    today: dt.date,
) -> Filled:
    """The fields of a case document (letters.fields.SCHEMAS) for the case page's current episode."""
    family, episode = page.family, page.episode
    assert episode is not None  # noqa: S101  (services refuse a family with no episode first)
    filled = Filled(context={})
    values = filled.date_values
    children = page.children
    parents = [p for p in page.people if p.parental_responsibility]
    children_list = [
        {
            "name": f"{c.first_name} {c.last_name}",
            "first_name": c.first_name,
            "last_name": c.last_name,
            "date_of_birth": uk_date(c.date_of_birth)
            if c.date_of_birth
            else f"expected {uk_date(c.expected_date_of_birth)}",
        }
        for c in children
    ]
    names = [c["name"] for c in children_list]
    lpms = list(episode.lpms.all())
    decided = next((x for x in reversed(lpms) if x.outcome), None) or (lpms[-1] if lpms else None)
    lpm_day = decided.panel_date if decided else None
    values["lpm.date"] = ("Legal planning meeting", lpm_day)
    dates: dict[str, dict[str, str]] = {
        ident: {"label": "", "date": "", "rule": "", "source": "", "status": ""} for ident in MILESTONES
    }
    timetable = []
    for row in page.deadlines:
        d = row.deadline
        if d.state == DeadlineState.NOT_APPLICABLE:
            continue
        day = d.due_on or d.provisional_on
        text = uk_date(day, empty=NOT_SET)
        if d.due_on is None and d.provisional_on is not None:
            text += " (provisional)"
        entry = {
            "label": d.label,
            "date": text,
            "rule": row.why.rule if row.why else "",
            "source": row.why.source if row.why else d.source,
            "status": row.status_label,
        }
        if d.key.startswith("assessment_due"):
            continue  # the plan's dates, below
        timetable.append(entry)
        ident = _ident(d.key)
        if d.occurrence == 1 and ident in dates:
            dates[ident] = entry
            values[f"dates.{ident}"] = (d.label, day)
    plan = [
        {
            "action": a.description or a.get_kind_display(),
            "who": a.provider,
            "due": uk_date(a.due_on),
        }
        for a in episode.assessments.all()
    ]
    for i, a in enumerate(episode.assessments.all()):
        values[f"plan.{i}"] = (f"{a.get_kind_display()} due", a.due_on)
    filled.context = {
        "council": str(settings.COUNCIL_NAME),
        "drafted_on": uk_date(today),
        "family": {"name": family.name, "reference": family.reference},
        "children": children_list,
        "children_names": " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names),
        "parents": [person_fields(p) for p in parents],
        "social_worker": _staff(family.social_worker),
        "team_manager": _staff(family.team_manager),
        "team": family.team.name,
        "lpm": {
            "date": uk_date(lpm_day, empty=NOT_SET),
            "kind": decided.get_kind_display() if decided else "",
        },
        "dates": dates,
        "timetable": timetable,
        "plan": plan,
    }
    ctx = filled.context
    if recipient is not None:
        ctx["recipient"] = person_fields(recipient)
    if kind in (K.LETTER_BEFORE_PROCEEDINGS, K.AGREEMENT):
        ctx["meeting"] = _meeting(episode, meeting_time, meeting_place, values)
    if kind == K.EXIT_LETTER:
        ctx["outcome"] = EndOutcome(episode.end_outcome).label if episode.end_outcome else ""
        ctx["ended_on"] = uk_date(episode.ended_on, empty="not ended yet")
        values["ended_on"] = ("Pre-proceedings ended", episode.ended_on)
    if kind == K.LETTER_OF_ISSUE:
        proceedings = getattr(episode, "proceedings", None)
        decision = proceedings.issue_decision_on if proceedings else None
        issued = proceedings.issued_on if proceedings else None
        ctx["proceedings"] = {
            "decision_date": uk_date(decision, empty=NOT_SET),
            "issued_on": uk_date(issued, empty="not issued yet"),
            "court_reference": proceedings.court_reference if proceedings else "",
        }
        values["proceedings.decision_date"] = ("Decision to issue care proceedings", decision)
        values["proceedings.issued_on"] = ("Care proceedings issued", issued)
    if kind == K.LPM_COVER_SHEET:
        request = getattr(episode, "lpm_request", None)
        ctx["request"] = {
            "requested_on": uk_date(request.requested_on) if request else "",
            "requested_by": _staff(request.requested_by)["name"] if request else "",
            "recommendation": request.get_recommendation_display() if request else "",
        }
        if request is not None:
            values["request.requested_on"] = ("LPM requested", request.requested_on)
        ctx["documents"] = [
            {"name": d.get_kind_display(), "state": d.get_state_display(), "note": d.note}
            for d in (request.documents.all() if request else [])
        ]
    return filled


def _meeting(episode: Any, time: str, place: str, values: dict[str, tuple[str, dt.date | None]]) -> dict[str, str]:
    """The pre-proceedings meeting a document invites to: the next one booked, else the initial one."""
    from meetings.models import MeetingKind

    meetings = list(episode.meetings.all())
    upcoming = [m for m in meetings if m.held_on is None and m.scheduled_for]
    chosen = upcoming[0] if upcoming else next((m for m in meetings if m.kind == MeetingKind.INITIAL), None)
    kind = chosen.get_kind_display() if chosen else MeetingKind.INITIAL.label
    day = (chosen.held_on or chosen.scheduled_for) if chosen else None
    values["meeting.date"] = (kind, day)
    return {"kind": kind, "date": uk_date(day), "time": time, "place": place}
