"""Bad tracker files (issue #12 "Bad input"): a clear message per row and nothing half-imported."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook

from cases.models import Family
from imports.fields import mapping_guess
from imports.parsing import COMMAND_LIMITS, CellError, TrackerFileError, parse_date, read_tracker
from imports.sample import SAMPLE_TODAY
from imports.services import tracker_check, tracker_import

HEADER = "Case ID,Family name,Children,Child ID,DOB,Parents,Team,Social worker,Team manager,LPM date,Letter sent"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("24/12/2026", dt.date(2026, 12, 24)),
        ("4/1/26", dt.date(2026, 1, 4)),
        ("24.12.2026", dt.date(2026, 12, 24)),
        ("2026-12-24", dt.date(2026, 12, 24)),
        ("24 Dec 2026", dt.date(2026, 12, 24)),
        ("3rd September 2026", dt.date(2026, 9, 3)),
        (46380, dt.date(2026, 12, 24)),  # an Excel serial number
        ("46380", dt.date(2026, 12, 24)),  # ...exported to CSV as text
        (46380.0, dt.date(2026, 12, 24)),
        (dt.datetime(2026, 12, 24, 0, 0), dt.date(2026, 12, 24)),
        ("", None),
        (None, None),
    ],
)
def test_dates_as_real_trackers_hold_them(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/02/2026", "'31/02/2026' is not a real date"),
        ("12/24/2026", "'12/24/2026' is not a real date"),  # US order: month 24
        ("next week", "'next week' is not a date: write it as DD/MM/YYYY, for example 24/12/2026"),
        ("01/01/1901", "'01/01/1901' is not a likely date (before 1990 or after 2100)"),
        (46380.5, "'46380.5' is not a date: write it as DD/MM/YYYY, for example 24/12/2026"),
    ],
)
def test_impossible_dates_say_what_is_wrong(value, message):
    with pytest.raises(CellError) as exc:
        parse_date(value)
    assert str(exc.value) == message


def test_a_windows_1252_csv_with_blank_rows_and_text_dates(council):
    text = "\r\n".join(
        [
            HEADER,
            "TRK-2001,O’Brien family,Siân O’Brien,C-60001,14/03/2019,Zoë O’Brien (mother),"
            "Northmoor North Family Safeguarding Team,Priya Lakhani,Tara Pemberton,02/09/2026,46272",
            ",,,,,,,,,,",
            "",
            "TRK-2002,Nuñez family,Mateo Nuñez,C-60002,1/2/2020,Lucía Nuñez (mother),"
            "Northmoor South Family Safeguarding Team,Callum Reid,Gareth Pryce,31/09/2026,",
        ]
    )
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    sheet = read_tracker("tracker.csv", data)
    assert sheet.blank_rows == 2 and len(sheet.rows) == 2
    result = tracker_import(
        sheet=sheet, mapping=mapping_guess(sheet.headers), by=council["people"]["clo"], today=SAMPLE_TODAY
    )
    assert result.created == 1
    family = Family.objects.get(reference="TRK-2001")
    assert family.name == "O’Brien family"
    assert family.children.get().first_name == "Siân"
    assert family.episodes.get().letter_deliveries.get().delivered_on == dt.date(2026, 9, 7)  # serial 46272
    bad = next(r for r in result.check.rows if r.reference == "TRK-2002")
    assert bad.number == 5 and bad.errors == ["LPM / panel date: '31/09/2026' is not a real date"]


def test_hidden_bidi_and_control_characters_in_a_tracker_are_not_stored(council):
    """Issue 9 §5: names from an imported tracker lose right-to-left overrides and control characters."""
    text = "\r\n".join(
        [
            HEADER,
            "TRK-2101,\u202eylimaf nenaG\u202c Gannon family,Ro\u2066sie\u2069 Gan\x07non,C-6\u200f1001,"
            "14/03/2019,Kim Gan\u061cnon (mother),"
            "Northmoor North Family Safeguarding Team,Priya Lakhani,Tara Pemberton,02/09/2026,",
        ]
    )
    sheet = read_tracker("tracker.csv", text.encode("utf-8"))
    result = tracker_import(
        sheet=sheet, mapping=mapping_guess(sheet.headers), by=council["people"]["clo"], today=SAMPLE_TODAY
    )
    assert result.created == 1, result.check.rows[0].errors
    family = Family.objects.get(reference="TRK-2101")
    assert family.name == "ylimaf nenaG Gannon family"
    child = family.children.get()
    assert (child.first_name, child.last_name, child.case_system_id) == ("Rosie", "Gannon", "C-61001")
    assert family.people.get().full_name == "Kim Gannon"


def _xlsx(rows: list[list[Any]], merge: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.worksheets[0]
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_formula_without_a_saved_value_is_named_by_its_cell(council):
    data = _xlsx(
        [
            HEADER.split(","),
            [
                "TRK-3001",
                "Ashby family",
                "Leo Ashby",
                "C-70001",
                "14/03/2019",
                "Kerry Ashby (mother)",
                "Northmoor North Family Safeguarding Team",
                "Priya Lakhani",
                "Tara Pemberton",
                "=DATE(2026,9,2)",
                "",
            ],
        ]
    )
    sheet = read_tracker("t.xlsx", data)
    check = tracker_check(sheet=sheet, mapping=mapping_guess(sheet.headers), today=SAMPLE_TODAY)
    assert check.rows[0].errors == [
        "LPM / panel date: cell J2 holds a formula with no saved value: "
        "open the file in Excel and save it, or type the value in"
    ]


def test_merged_family_cells_fill_every_row_they_cover(council):
    data = _xlsx(
        [
            HEADER.split(","),
            [
                "TRK-3002",
                "Brennan family",
                "Maisie Brennan",
                "C-70002",
                "02/02/2021",
                "Donna Brennan (mother)",
                "Northmoor North Family Safeguarding Team",
                "Joe Hartigan",
                "Tara Pemberton",
                "16/09/2026",
                "",
            ],
            [None, None, "Alfie Brennan", "C-70003", "19/07/2023"],
        ],
        merge="A2:A3",
    )
    sheet = read_tracker("t.xlsx", data)
    check = tracker_check(sheet=sheet, mapping=mapping_guess(sheet.headers), today=SAMPLE_TODAY)
    assert check.count("new") == 1 and not check.error_rows
    assert [c["name"] for c in check.families[0].values["children"]] == ["Maisie Brennan", "Alfie Brennan"]


def test_ten_thousand_bad_rows_get_a_message_each_and_nothing_is_imported(council):
    lines = [HEADER]
    for i in range(10_000):
        lines.append(
            f"TRK-{i:05d},Family {i},Child {i},C-{i:05d},14/03/2019,Parent {i} (mother),"
            f"Northmoor North Family Safeguarding Team,Priya Lakhani,,{'30/02/2026' if i % 2 else '02/09/2026'},"
            f"{'01/09/2026' if not i % 2 else ''}"
        )
    sheet = read_tracker("big.csv", "\n".join(lines).encode(), COMMAND_LIMITS)  # as the command reads it
    result = tracker_import(
        sheet=sheet,
        mapping=mapping_guess(sheet.headers),
        by=council["people"]["clo"],
        today=SAMPLE_TODAY,
        skip_invalid=False,
    )
    assert result.refused and not Family.objects.exists()
    assert result.check.error_rows == 10_000
    assert result.check.rows[0].errors == ["Letter before proceedings sent (01/09/2026) is before the LPM (02/09/2026)"]
    assert result.check.rows[1].errors == ["LPM / panel date: '30/02/2026' is not a real date"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("t.xlsx", b"PK\x03\x04not really a zip", "The file is not an Excel workbook (.xlsx) that can be read"),
        ("t.xls", b"\xd0\xcf\x11\xe0", "Old Excel files (.xls) cannot be read: save it as .xlsx or CSV"),
        ("t.csv", b"", "The file is empty"),
        ("t.csv", b"1,2\n3,4\n", "No header row found: the first rows should name the columns (for example 'Case ID')"),
    ],
)
def test_files_that_are_not_trackers_are_refused_with_a_reason(name, data, message):
    with pytest.raises(TrackerFileError) as exc:
        read_tracker(name, data)
    assert str(exc.value) == message


def test_an_extension_agreed_after_the_outcome_is_a_row_error_in_the_check(council):
    """Issue 20 "an extension after the end": named in the preview with both dates, not a crash."""
    text = "\r\n".join(
        [
            HEADER + ",Extension (weeks),Extension agreed on,Outcome,Outcome date",
            "TRK-2101,Orme family,Ada Orme,C-61001,14/03/2019,Ann Orme (mother),"
            "Northmoor North Family Safeguarding Team,Priya Lakhani,Tara Pemberton,04/06/2026,08/06/2026,"
            "2,12/11/2026,Step down to CIN,28/10/2026",
        ]
    )
    sheet = read_tracker("tracker.csv", text.encode())
    result = tracker_import(
        sheet=sheet, mapping=mapping_guess(sheet.headers), by=council["people"]["clo"], today=SAMPLE_TODAY
    )
    assert result.created == 0
    row = next(r for r in result.check.rows if r.reference == "TRK-2101")
    assert "The extension was agreed on 12/11/2026, after pre-proceedings ended on 28/10/2026" in " ".join(row.errors)
    assert not Family.objects.filter(reference="TRK-2101").exists()
