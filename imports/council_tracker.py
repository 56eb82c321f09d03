"""A 30-family tracker written as a council keeps one on the day it goes live (issue 24 §2).

A title row above the headers, the council's own headers ("Child Surname", "DOB", "Date of LPM"),
UK dates, six months of history, a few bad cells and one duplicated row; and, like a real
tracker, no column for the steps nobody logged (LPM minutes, care-planning LPMs, draft minutes).
Imported on `today` under a go-live date of `today`, every one of those missing steps fell due
before go-live: the import must mark them "not tracked before go-live", not overdue.

The dates follow `today` (so the file is always six months of history), the names are invented
and the staff are the sample tracker's council (imports/sample.py).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook

from .sample import CENTRAL, NORTH, SOUTH

HEADERS = [
    "Case ID",
    "Child Surname",
    "Child forename(s)",
    "LCS ID",
    "DOB",
    "Mother / father",
    "Team",
    "Social worker",
    "Date of LPM",
    "Letter sent",
    "Initial meeting",
    "Review 1",
    "Notes",
]
# Which field each header holds (the page's column step; spelled out so the test does not lean on
# the header guessing, which issue 24 §7 changes separately).
MAPPING = {
    "Case ID": "family_reference",
    "Child Surname": "family_name",
    "Child forename(s)": "children",
    "LCS ID": "child_ids",
    "DOB": "child_dobs",
    "Mother / father": "parents",
    "Team": "team",
    "Social worker": "social_worker",
    "Date of LPM": "lpm_date",
    "Letter sent": "letter_sent",
    "Initial meeting": "initial_meeting",
    "Review 1": "review_meetings",
    "Notes": "",
}
WORKERS = [
    ("Priya Lakhani", NORTH),
    ("Joe Hartigan", NORTH),
    ("Hannah Greaves", CENTRAL),
    ("Tomasz Wilk", CENTRAL),
    ("Fatima Begum", CENTRAL),
    ("Ayesha Qureshi", SOUTH),
    ("Callum Reid", SOUTH),
    ("Rhiannon Pugh", SOUTH),
]
SURNAMES = [
    "Abbott", "Barker", "Cartwright", "Dunmore", "Ellery", "Farrant", "Gillespie", "Hollins", "Ingram", "Jessop",
    "Kettering", "Lomax", "Mercer", "Northcott", "Oakley", "Pendle", "Quayle", "Rowntree", "Sadler", "Thackeray",
    "Underwood", "Varley", "Whitlock", "Yardley", "Ainsworth", "Bellamy", "Crowther", "Dinsdale", "Eastwood",
    "Fairclough",
]  # fmt: skip
FAMILIES = 30
# Rows a council would have to correct: an impossible date, a date nobody could read, a worker
# who has left. The duplicate is a family's row typed twice, word for word.
BAD_ROWS = 3


def _uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def council_rows(today: dt.date) -> list[dict[str, Any]]:
    """The tracker's families, oldest LPM first: LPMs from about 26 weeks ago to 3 weeks ago."""
    rows: list[dict[str, Any]] = []
    for i in range(FAMILIES):
        lpm = today - dt.timedelta(days=182 - i * 5)
        worker, team = WORKERS[i % len(WORKERS)]
        row: dict[str, Any] = {
            "Case ID": f"PLO/{2026}/{i + 1:03d}",
            "Child Surname": SURNAMES[i],
            "Child forename(s)": ["Ava", "Noah", "Isla", "Leo", "Mia", "Theo"][i % 6],
            "LCS ID": f"LCS{700100 + i}",
            "DOB": _uk(dt.date(2016 + i % 8, 1 + i % 12, 1 + i % 27)),
            "Mother / father": f"{['Kerry', 'Donna', 'Stacey', 'Gemma', 'Leanne'][i % 5]} {SURNAMES[i]} (mother)",
            "Team": team,
            "Social worker": worker,
            "Date of LPM": lpm,  # a date cell, as typed into Excel
            "Letter sent": _uk(lpm + dt.timedelta(days=4)),  # text, UK order
            "Initial meeting": _uk(lpm + dt.timedelta(days=12)),
            "Review 1": _uk(lpm + dt.timedelta(days=40)) if lpm + dt.timedelta(days=40) < today else "",
            "Notes": "",
        }
        rows.append(row)
    rows[4]["Date of LPM"] = "31/02/2026"  # no such day
    rows[11]["Initial meeting"] = "TBC w/c 3rd"  # not a date
    rows[17]["Social worker"] = "Agency Worker (left)"  # nobody on the staff list
    return rows


def council_tracker_xlsx(today: dt.date) -> bytes:
    """The tracker as the council's .xlsx: title row, headers, 30 families and one duplicate row."""
    wb = Workbook()
    ws = wb.create_sheet("PLO tracker", 0)
    wb.remove(wb.worksheets[1])
    ws.title = "PLO tracker"
    ws.append([f"Pre-proceedings tracker – Children's Services – as at {_uk(today)}"])
    ws.append(HEADERS)
    rows = council_rows(today)
    rows.insert(8, dict(rows[7]))  # the same family typed twice
    for spec in rows:
        r = ws.max_row + 1
        ws.append([spec.get(h, "") for h in HEADERS])
        if isinstance(spec["Date of LPM"], dt.date):
            ws.cell(r, HEADERS.index("Date of LPM") + 1).number_format = "DD/MM/YYYY"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
