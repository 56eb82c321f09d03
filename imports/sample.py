"""A sample pre-action tracker shaped like a council's real one, for trying and testing the import.

`python scripts/make_sample_tracker.py` writes it to docs/sample-tracker.xlsx. Its staff and teams
are the demo council's (`manage.py demo_data`), so it imports into a demo database as it is. Like
a real tracker it has a title row above the headers, a family whose cells are merged down over
one row per child, a formula column, dates typed as text and as an Excel serial number, a blank
row and a comments column nobody maps; and four rows a council would have to correct: an unknown
social worker, an impossible date, meetings out of order, a child already on another family.
All names are invented.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

# The sample's dates are fixed; import it with today = SAMPLE_TODAY to get the documented counts.
SAMPLE_TODAY = dt.date(2026, 12, 1)
HEADERS = [
    "Case ID",
    "Family name",
    "Child(ren)",
    "Child ID",
    "DOB",
    "Parents",
    "Team",
    "Social worker",
    "Team manager",
    "LPM/Panel date",
    "Week",
    "Letter sent",
    "Initial meeting",
    "Review 1",
    "Review 2",
    "Final meeting",
    "Assessment",
    "Provider",
    "Instructed",
    "Assessment due",
    "Completed",
    "Extension (weeks)",
    "Extension agreed",
    "Outcome",
    "Outcome date",
    "Comments",
]
# Columns a family shares over its children's rows (merged down in the sheet).
FAMILY_COLUMNS = [
    "Case ID",
    "Family name",
    "Parents",
    "Team",
    "Social worker",
    "Team manager",
    "LPM/Panel date",
    "Letter sent",
    "Initial meeting",
    "Review 1",
    "Review 2",
    "Final meeting",
    "Extension (weeks)",
    "Extension agreed",
    "Outcome",
    "Outcome date",
]


def d(text: str) -> dt.date:
    day, month, year = (int(x) for x in text.split("/"))
    return dt.date(year, month, day)


def serial(day: dt.date) -> int:
    """The Excel serial number of a date (what a date cell formatted as General shows)."""
    return (day - dt.date(1899, 12, 30)).days


NORTH, CENTRAL, SOUTH = (f"Northmoor {k} Family Safeguarding Team" for k in ("North", "Central", "South"))

ROWS: list[dict[str, Any] | None] = [
    {
        "Case ID": "TRK-1001",
        "Family name": "Ashby family",
        "Child(ren)": "Leo Ashby",
        "Child ID": "C-50101",
        "DOB": d("14/03/2019"),
        "Parents": "Kerry Ashby (mother); Wayne Ashby (father)",
        "Team": NORTH,
        "Social worker": "Priya Lakhani",
        "Team manager": "Tara Pemberton",
        "LPM/Panel date": d("02/09/2026"),
        "Letter sent": d("07/09/2026"),
        "Initial meeting": d("16/09/2026"),
        "Review 1": d("14/10/2026"),
        "Review 2": d("11/11/2026"),
        "Assessment": "PAMS",
        "Provider": "Bridge Assessments",
        "Instructed": d("18/09/2026"),
        "Assessment due": d("30/10/2026"),
        "Completed": d("28/10/2026"),
    },
    # One row per child, the family's cells merged down over both (the layout many trackers use).
    {
        "Case ID": "TRK-1002",
        "Family name": "Brennan family",
        "Child(ren)": "Maisie Brennan",
        "Child ID": "C-50102",
        "DOB": "02/02/2021",
        "Parents": "Donna Brennan (mother)",
        "Team": NORTH,
        "Social worker": "Joe Hartigan",
        "Team manager": "Tara Pemberton",
        "LPM/Panel date": "16/09/2026",
        "Letter sent": "23/09/2026",
        "Initial meeting": "12/10/2026",
        "Review 1": "09/11/2026",
        "merge_down": 2,
    },
    {
        "Child(ren)": "Alfie Brennan",
        "Child ID": "C-50103",
        "DOB": "19/07/2023",
        "Assessment": "Cognitive",
        "Provider": "Dr A. Morrow",
        "Instructed": "14/10/2026",
        "Assessment due": "25/11/2026",
    },
    {
        "Case ID": "TRK-1003",
        "Family name": "Cole family",
        "Child(ren)": "Unborn baby Cole",
        "Child ID": "C-50104",
        "DOB": d("15/01/2027"),
        "Parents": "Jade Cole (mother)",
        "Team": CENTRAL,
        "Social worker": "Hannah Greaves",
        "Team manager": "Marcus Adebayo",
        "LPM/Panel date": d("21/10/2026"),
        "Letter sent": serial(d("26/10/2026")),
        "Initial meeting": d("05/11/2026"),
    },
    {
        "Case ID": "TRK-1004",
        "Family name": "Dawson family",
        "Child(ren)": "Ruby Dawson",
        "Child ID": "C-50105",
        "DOB": d("30/06/2016"),
        "Parents": "Lee Dawson (father)",
        "Team": CENTRAL,
        "Social worker": "Tomasz Wilk",
        "Team manager": "Marcus Adebayo",
        "LPM/Panel date": d("08/07/2026"),
        "Letter sent": d("13/07/2026"),
        "Initial meeting": d("22/07/2026"),
        "Review 1": d("19/08/2026"),
        "Review 2": d("16/09/2026"),
        "Final meeting": d("14/10/2026"),
        "Outcome": "Step down to CIN",
        "Outcome date": d("14/10/2026"),
    },
    {
        "Case ID": "TRK-1005",
        "Family name": "Evans family",
        "Child(ren)": "Noah Evans",
        "Child ID": "C-50106",
        "DOB": d("11/11/2017"),
        "Parents": "Sophie Evans (mother)",
        "Team": SOUTH,
        "Social worker": "Ayesha Qureshi",
        "Team manager": "Gareth Pryce",
        "LPM/Panel date": d("03/06/2026"),
        "Letter sent": d("08/06/2026"),
        "Initial meeting": d("17/06/2026"),
        "Review 1": d("15/07/2026"),
        "Review 2": d("12/08/2026"),
        "Assessment": "Viability",
        "Provider": "In-house",
        "Instructed": d("19/06/2026"),
        "Assessment due": d("31/07/2026"),
        "Completed": d("29/07/2026"),
        "Extension (weeks)": 4,
        "Extension agreed": d("26/08/2026"),
        "Comments": "HoS agreed extension for viability of paternal aunt",
    },
    {
        "Case ID": "TRK-1006",
        "Family name": "Fletcher family",
        "Child(ren)": "Isla Fletcher",
        "Child ID": "C-50107",
        "DOB": d("05/05/2020"),
        "Parents": "Gemma Fletcher (mother); Ryan Kerr (father)",
        "Team": SOUTH,
        "Social worker": "Callum Reid",
        "Team manager": "Gareth Pryce",
        "LPM/Panel date": d("04/11/2026"),
        "Letter sent": d("09/11/2026"),
        "Initial meeting": d("18/11/2026"),
    },
    None,  # a blank row, as trackers have between blocks
    {
        "Case ID": "TRK-1007",
        "Family name": "Green family",
        "Child(ren)": "Oscar Green",
        "Child ID": "C-50108",
        "DOB": d("21/01/2015"),
        "Parents": "Claire Green (mother)",
        "Team": SOUTH,
        "Social worker": "Rhiannon Pugh",
        "Team manager": "Gareth Pryce",
        "LPM/Panel date": d("24/06/2026"),
        "Letter sent": d("29/06/2026"),
        "Initial meeting": d("08/07/2026"),
        "Review 1": d("05/08/2026"),
        "Outcome": "Issue care proceedings",
        "Outcome date": d("02/09/2026"),
    },
    {
        "Case ID": "TRK-1008",
        "Family name": "Hughes family",
        "Child(ren)": "Mia Hughes",
        "Child ID": "C-50109",
        "DOB": d("08/08/2022"),
        "Parents": "Lauren Hughes (mother)",
        "Team": NORTH,
        "Social worker": "Priya Lakhani",
        "Team manager": "Tara Pemberton",
        "LPM/Panel date": d("25/11/2026"),
        "Comments": "Letter with legal",
    },
    {
        "Case ID": "TRK-1009",
        "Family name": "Iqbal family",
        "Child(ren)": "Zara Iqbal",
        "Child ID": "C-50110",
        "DOB": d("17/12/2018"),
        "Parents": "Amina Iqbal (mother)",
        "Team": CENTRAL,
        "Social worker": "Fatima Begum",
        "Team manager": "Marcus Adebayo",
        "LPM/Panel date": d("30/09/2026"),
        "Letter sent": d("05/10/2026"),
        "Initial meeting": d("14/10/2026"),
        "Review 1": d("11/11/2026"),
        "Review 2": d("09/12/2026"),
    },
    # Rows a council would have to correct before they can come in:
    {
        "Case ID": "TRK-1010",
        "Family name": "Jones family",
        "Child(ren)": "Ella Jones",
        "Child ID": "C-50111",
        "DOB": d("03/03/2020"),
        "Parents": "Tina Jones (mother)",
        "Team": NORTH,
        "Social worker": "Jo Bloggs",
        "Team manager": "Tara Pemberton",
        "LPM/Panel date": d("07/10/2026"),
    },
    {
        "Case ID": "TRK-1011",
        "Family name": "King family",
        "Child(ren)": "Harry King",
        "Child ID": "C-50112",
        "DOB": d("12/12/2019"),
        "Parents": "Paula King (mother)",
        "Team": SOUTH,
        "Social worker": "Callum Reid",
        "Team manager": "Gareth Pryce",
        "LPM/Panel date": "31/02/2026",
    },
    {
        "Case ID": "TRK-1012",
        "Family name": "Lewis family",
        "Child(ren)": "Amelia Lewis",
        "Child ID": "C-50113",
        "DOB": d("01/09/2021"),
        "Parents": "Nicole Lewis (mother)",
        "Team": CENTRAL,
        "Social worker": "Hannah Greaves",
        "Team manager": "Marcus Adebayo",
        "LPM/Panel date": d("14/10/2026"),
        "Letter sent": d("20/10/2026"),
        "Initial meeting": d("15/10/2026"),
    },
    {
        "Case ID": "TRK-1013",
        "Family name": "Morgan family",
        "Child(ren)": "Maisie Brennan",
        "Child ID": "C-50102",
        "DOB": d("02/02/2021"),
        "Parents": "Kate Morgan (mother)",
        "Team": NORTH,
        "Social worker": "Joe Hartigan",
        "Team manager": "Tara Pemberton",
        "LPM/Panel date": d("11/11/2026"),
    },
]
# What importing the sample with today = SAMPLE_TODAY gives (tests pin these).
SAMPLE_FAMILIES_VALID = 9
SAMPLE_ERROR_ROWS = 4


def sample_tracker_xlsx() -> bytes:
    """The sample tracker as an .xlsx file."""
    wb = Workbook()
    ws = wb.create_sheet("Pre-action tracker", 0)
    wb.remove(wb.worksheets[1])
    ws.append(["Pre-action tracker – Family Safeguarding – updated 01/12/2026"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(HEADERS)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    merges: list[tuple[int, int]] = []
    for spec in ROWS:
        if spec is None:
            ws.append([])
            continue
        r = ws.max_row + 1
        ws.append([spec.get(h) for h in HEADERS])
        for c, h in enumerate(HEADERS, start=1):
            if isinstance(spec.get(h), dt.date):
                ws.cell(r, c).number_format = "DD/MM/YYYY"
        # The week of pre-proceedings, worked out by Excel (a formula: no value until Excel opens it).
        ws.cell(r, HEADERS.index("Week") + 1).value = f'=IF(J{r}="","",INT((TODAY()-J{r})/7)+1)'
        if spec.get("merge_down"):
            merges.append((r, r + spec["merge_down"] - 1))
    for first, last in merges:
        for h in FAMILY_COLUMNS:
            c = HEADERS.index(h) + 1
            ws.merge_cells(start_row=first, start_column=c, end_row=last, end_column=c)
    for c, width in enumerate(
        [10, 16, 18, 10, 11, 34, 38, 16, 16, 13, 6, 11, 13, 11, 11, 12, 12, 18, 11, 13, 11, 10, 13, 22, 12, 40], start=1
    ):
        ws.column_dimensions[ws.cell(2, c).column_letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sample_tracker_csv(rows: int, prefix: str) -> bytes:
    """A tracker CSV of `rows` families made from the sample's nine valid ones (fresh family case
    IDs and child IDs on every row, one row per family; every step from LPM to outcome appears
    somewhere): the benchmark's large file, and the query-count test's."""
    import csv

    valid = [
        r for r in ROWS if r is not None and r.get("Case ID") and r["Case ID"] <= "TRK-1009" and "merge_down" not in r
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for i in range(rows):
        spec = dict(valid[i % len(valid)])
        spec["Case ID"] = f"{prefix}-{i:05d}"
        spec["Child ID"] = f"{prefix}C{i:05d}"
        spec.pop("Week", None)
        writer.writerow(
            [
                (v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else ("" if v is None else v))
                for v in (spec.get(h) for h in HEADERS)
            ]
        )
    return out.getvalue().encode("utf-8")
