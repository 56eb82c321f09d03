"""The fields a council's Word template may use, kind by kind (docs/letters.md lists them).

A schema is a dict: each key is a field; its value is either the field's description (a piece of
text), a dict of sub-fields, or a one-item list holding the schema of each item of a list. The
upload check (letters.validation) accepts a template only if every field it names is here, and
the context a document is drafted from (letters.context) has exactly these keys, all plain text,
lists and dicts: no model object ever reaches a template.

Nothing privileged is a field of any document: not the legal advice, not the LPM minutes, not a
tracker meeting's legal advice (001, 002 §12, 004 §10).
"""

from __future__ import annotations

import re
from typing import Any

from deadlines.engine.policies import available_policies, load_policy

from .kinds import DocumentKind

K = DocumentKind
Schema = dict[str, Any]

STAFF: Schema = {
    "name": "full name",
    "job_title": "job title",
    "email": "email address",
}
PERSON: Schema = {
    "name": "full name",
    "relationship": "relationship to the children, for example Mother",
    "address": "postal address (line breaks kept)",
    "phone": "phone number",
    "language": "first language, if recorded",
    "interpreter_needed": "Yes or No",
    "interpreter_note": "a sentence about the interpreter, in English, when one is needed (empty otherwise)",
    "advocate": "advocate or intermediary: who, and how to contact them (empty if none)",
    "solicitor_name": "their solicitor's name",
    "solicitor_firm": "their solicitor's firm",
    "solicitor_email": "their solicitor's email address",
    "solicitor_phone": "their solicitor's phone number",
    "legally_represented": "Yes, No or Unknown",
}
CHILD: Schema = {
    "name": "full name",
    "first_name": "first name",
    "last_name": "last name",
    "date_of_birth": "date of birth, or 'expected' and the expected date for an unborn baby",
}
DATE: Schema = {
    "label": "the milestone in words",
    "date": "its due date (or 'not set yet'; 'provisional' when it waits for another step)",
    "rule": "the rule that sets it, in plain words",
    "source": "the document the rule comes from",
    "status": "Upcoming, Due soon, Overdue, Met, ...",
}
ACTION: Schema = {
    "action": "what is to be done",
    "who": "who does it",
    "due": "the date it is due",
}


def _ident(key: str) -> str:
    """A milestone key as a field name: approved_minutes:initial_meeting -> approved_minutes_initial_meeting."""
    return re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")


def milestone_keys() -> list[str]:
    """Every milestone key any bundled policy sets (timescales.md §2), meeting by meeting."""
    keys: set[str] = set()
    for name in available_policies():
        for rule in load_policy(name).rules:
            if rule.entered:
                continue  # assessments' dates are the plan's, below
            keys.add(rule.key)
            keys.update(f"{rule.key}:{m}" for m in rule.for_each)
    return sorted(keys)


MILESTONES: dict[str, str] = {_ident(k): k for k in milestone_keys()}

CASE_COMMON: Schema = {
    "council": "the council's name",
    "drafted_on": "the date the document is drafted",
    "family": {"name": "the family's name", "reference": "the PLO family reference"},
    "children": [CHILD],
    "children_names": "every child's name, as 'Ruby Ashworth and Theo Ashworth'",
    "parents": [PERSON],
    "social_worker": STAFF,
    "team_manager": STAFF,
    "team": "the social worker's team",
    "lpm": {
        "date": "the date of the legal planning meeting (the panel date of the one that decided)",
        "kind": "initial LPM, further LPM or legal gateway review",
    },
    "dates": dict.fromkeys(MILESTONES, DATE),
    "timetable": [DATE],
    "plan": [ACTION],
}
MEETING: Schema = {
    "kind": "the meeting, for example Initial pre-proceedings meeting",
    "date": "the date it is booked for (empty until it is booked)",
    "time": "the time, as typed when drafting",
    "place": "the place, as typed when drafting",
}
PROCEEDINGS: Schema = {
    "decision_date": "the date of the decision to issue care proceedings",
    "issued_on": "the date proceedings were issued (or 'not issued yet')",
    "court_reference": "the court's case number",
}

SCHEMAS: dict[str, Schema] = {
    K.LETTER_BEFORE_PROCEEDINGS: {**CASE_COMMON, "recipient": PERSON, "meeting": MEETING},
    K.AGREEMENT: {**CASE_COMMON, "meeting": MEETING},
    K.EXIT_LETTER: {
        **CASE_COMMON,
        "recipient": PERSON,
        "outcome": "what happens next, for example Step down to a child protection plan",
        "ended_on": "the date pre-proceedings ended (or 'not ended yet')",
    },
    K.LETTER_OF_ISSUE: {**CASE_COMMON, "recipient": PERSON, "proceedings": PROCEEDINGS},
    K.LPM_COVER_SHEET: {
        **CASE_COMMON,
        "request": {
            "requested_on": "the date the LPM was requested",
            "requested_by": "who requested it",
            "recommendation": "what the request recommends",
        },
        "documents": [{"name": "the document", "state": "Present, Missing or Not applicable", "note": "the note"}],
    },
    K.TRACKER_MINUTES: {
        "council": "the council's name",
        "drafted_on": "the date the minutes are printed",
        "meeting": {
            "kind": "Weekly tracker meeting, Court tracker meeting or Legal gateway panel",
            "date": "the date it met",
            "time": "its start time",
            "chair": "who chaired it",
            "attendees": "who attended (line breaks kept)",
            "state": "Draft, Approved or Circulated",
        },
        "cases": [
            {
                "family": "the family's name",
                "reference": "the PLO family reference",
                "social_worker": "the allocated social worker",
                "reasons": "why it was on the agenda",
                "note": "the discussion note",
                "decisions": "the decisions",
                "review_on": "the review date (or empty)",
                "actions": [ACTION],
            }
        ],
        "privilege_note": "the sentence saying privileged legal advice is left out of circulated minutes",
    },
}

#: The names docxtpl gives loops and Jinja gives every template: allowed as they reach nothing.
LOOP: Schema = {
    "index": "1, 2, 3 ...",
    "index0": "0, 1, 2 ...",
    "first": "true on the first item",
    "last": "true on the last item",
    "length": "how many items",
    "revindex": "items left, counting this one",
}


def field_paths(schema: Schema, prefix: str = "") -> list[tuple[str, str]]:
    """Every field as (dotted path, description), lists shown as `name[]`, for the docs and pages."""
    rows: list[tuple[str, str]] = []
    for name, spec in schema.items():
        path = f"{prefix}{name}"
        if isinstance(spec, dict):
            if name == "dates":
                rows.append(
                    (f"{path}.<milestone>", "each due date, with .label .date .rule .source .status (list below)")
                )
                continue
            rows += field_paths(spec, f"{path}.")
        elif isinstance(spec, list):
            rows.append((f"{path}[]", "a list: use it in {% for x in " + path + " %} ... {% endfor %}"))
            rows += field_paths(spec[0], f"{path}[].")
        else:
            rows.append((path, str(spec)))
    return rows


def sample_value(spec: Any, name: str = "") -> Any:
    """A value of the schema's shape (two items per list), to try a template out on upload."""
    if isinstance(spec, dict):
        return {k: sample_value(v, k) for k, v in spec.items()}
    if isinstance(spec, list):
        return [sample_value(spec[0], name), sample_value(spec[0], name)]
    return f"[{name}]"
