"""The XLSX writer: what a person opening the file sees (read back with openpyxl)."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from plo_tracker.xlsx import column_letter, xlsx_table


def test_a_sheet_reads_back_with_dates_numbers_text_frozen_header_filter_and_widths():
    rows = [
        ["Ashworth & Sons <b>", dt.date(2026, 12, 24), 7, None, "Zoë\x07 bell"],
        ["x" * 80, dt.date(2027, 1, 4), 0, "Yes", "'=1+1"],
    ]
    book = load_workbook(io.BytesIO(xlsx_table(["Name", "Due", "Weeks", "Held", "Note"], rows, title="Tracker")))
    sheet = book.worksheets[0]
    assert sheet.title == "Tracker"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Name", "Due", "Weeks", "Held", "Note"]
    assert values[1] == ["Ashworth & Sons <b>", dt.datetime(2026, 12, 24), 7, None, "Zoë bell"]
    assert values[2][1] == dt.datetime(2027, 1, 4) and values[2][2] == 0 and values[2][4] == "'=1+1"
    assert sheet["B2"].number_format == "dd/mm/yyyy"
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E3"
    widths = {k: v.width for k, v in sheet.column_dimensions.items()}
    assert widths["A"] == 50 and widths["C"] == 8 and widths["B"] == 12


def test_column_letters():
    assert [column_letter(n) for n in (1, 24, 26, 27, 52, 703)] == ["A", "X", "Z", "AA", "AZ", "AAA"]
