"""Reading a council's pre-action tracker spreadsheet (CSV or XLSX) into plain rows of cells.

Pure Python apart from openpyxl: no Django, no database. What real trackers hold and this copes
with (issue #12 "Bad input"): a title row above the headers, Windows-1252 CSV from an old Excel,
merged cells (a family's cells merged down over one row per child), formulas, blank rows, dates
as DD/MM/YYYY text, as Excel serial numbers or as real dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

MAX_HEADER_SEARCH = 10
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1 Jan 1900 (Excel's 1900 leap-year bug included)
EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2100, 12, 31)


class TrackerFileError(ValueError):
    """The file as a whole cannot be read (not a spreadsheet, no header row, empty)."""


@dataclass(slots=True)
class RawRow:
    """One non-blank row: its number as the spreadsheet shows it, and its cells by column."""

    number: int
    cells: list[Any]
    # Problems found while reading the cells (a formula with no saved value), by column index.
    problems: dict[int, str] = field(default_factory=dict)


@dataclass(slots=True)
class Sheet:
    """A tracker read from a file: the header names and the data rows under them."""

    headers: list[str]
    rows: list[RawRow]
    header_row: int
    blank_rows: int = 0


def _clean_header(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_index(grid: list[list[Any]], example: str) -> int:
    """The header row: the first of the top rows with at least three text cells."""
    for i, row in enumerate(grid[:MAX_HEADER_SEARCH]):
        texts = [c for c in row if isinstance(c, str) and c.strip() and not _looks_like_date_text(c)]
        if len(texts) >= 3:
            return i
    raise TrackerFileError(f"No header row found: the first rows should name the columns (for example '{example}')")


def _looks_like_date_text(text: str) -> bool:
    return bool(re.fullmatch(r"\s*\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\s*", text))


def _sheet_from_grid(
    grid: list[list[Any]], problems: dict[tuple[int, int], str] | None = None, example: str = "Case ID"
) -> Sheet:
    if not any(any(not _is_blank(c) for c in row) for row in grid):
        raise TrackerFileError("The file is empty")
    h = _header_index(grid, example)
    headers = [_clean_header(c) for c in grid[h]]
    while headers and not headers[-1]:
        headers.pop()
    headers = [name or f"Column {get_column_letter(i + 1)}" for i, name in enumerate(headers)]
    width = len(headers)
    rows: list[RawRow] = []
    blank = 0
    for i in range(h + 1, len(grid)):
        cells = (list(grid[i]) + [None] * width)[:width]
        if all(_is_blank(c) for c in cells):
            blank += 1
            continue
        row = RawRow(number=i + 1, cells=cells)
        for (r, c), message in (problems or {}).items():
            if r == i and c < width:
                row.problems[c] = message
        rows.append(row)
    return Sheet(headers=headers, rows=rows, header_row=h + 1, blank_rows=blank)


def read_csv(data: bytes, example: str = "Case ID") -> Sheet:
    """A CSV file (a tracker, a staff list) in UTF-8 (with or without a byte order mark) or
    Windows-1252; `example` names a column in the message when no header row is found."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the ANSI code page: £, curly quotes and accents in cp1252.
        text = data.decode("cp1252", errors="replace")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    grid = [list(row) for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    return _sheet_from_grid(grid, example=example)


def read_xlsx(data: bytes) -> Sheet:
    """An XLSX tracker's first visible sheet: cached formula values, merged cells filled in."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TrackerFileError("The file is not an Excel workbook (.xlsx) that can be read") from exc
    ws = next((s for s in book.worksheets if s.sheet_state == "visible"), book.worksheets[0])
    grid = [list(row) for row in ws.iter_rows(values_only=True)]
    # A merged block shows its value only in its top-left cell; a tracker merges a family's cells
    # down over its children's rows, so every cell of the block takes that value.
    for block in ws.merged_cells.ranges:
        value = grid[block.min_row - 1][block.min_col - 1] if block.min_row - 1 < len(grid) else None
        for r in range(block.min_row - 1, min(block.max_row, len(grid))):
            for c in range(block.min_col - 1, block.max_col):
                if c < len(grid[r]):
                    grid[r][c] = value
    problems = _formulas_without_values(data, ws.title, grid)
    return _sheet_from_grid(grid, problems)


def _formulas_without_values(data: bytes, title: str, grid: list[list[Any]]) -> dict[tuple[int, int], str]:
    """Formula cells whose saved value is missing (a file written by a program, never opened in
    Excel): the import cannot work the formula out, so it says which cell to fix."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if not any(b"<f" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")):
            return {}
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    problems: dict[tuple[int, int], str] = {}
    for r, row in enumerate(book[title].iter_rows(values_only=True)):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith("=") and r < len(grid) and grid[r][c] is None:
                problems[(r, c)] = (
                    f"cell {get_column_letter(c + 1)}{r + 1} holds a formula with no saved value: "
                    "open the file in Excel and save it, or type the value in"
                )
    return problems


def read_tracker(filename: str, data: bytes) -> Sheet:
    """Read a tracker file by its content (an XLSX is a zip file), falling back to its name."""
    if data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(data)
    if filename.lower().endswith(".xls"):
        raise TrackerFileError("Old Excel files (.xls) cannot be read: save it as .xlsx or CSV")
    return read_csv(data)


# --- Dates -----------------------------------------------------------------------------------

_MONTHS = {
    m.lower(): i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}


class CellError(ValueError):
    """A cell whose value cannot be used; the message says why, in words for the person fixing it."""


def _checked(day: int, month: int, year: int, shown: str) -> dt.date:
    try:
        value = dt.date(year, month, day)
    except ValueError as exc:
        raise CellError(f"'{shown}' is not a real date") from exc
    if not EARLIEST <= value <= LATEST:
        raise CellError(f"'{shown}' is not a likely date (before 1990 or after 2100)")
    return value


def parse_date(value: Any) -> dt.date | None:
    """A date from a cell: a real date, an Excel serial number, or UK text (24/12/2026, 24-12-26,
    24 Dec 2026, 2026-12-24). Blank gives None; anything else raises CellError."""
    if _is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return _checked(value.day, value.month, value.year, value.strftime("%d/%m/%Y"))
    if isinstance(value, dt.date):
        return _checked(value.day, value.month, value.year, value.strftime("%d/%m/%Y"))
    if isinstance(value, bool):
        raise CellError(f"'{value}' is not a date")
    if isinstance(value, (int, float)):
        return _serial(value, str(value))
    text = str(value).strip()
    if re.fullmatch(r"\d{4,6}(\.0+)?", text):
        return _serial(float(text), text)
    m = re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})", text)
    if m:  # UK order: day first (a US-style 12/24/2026 is refused as month 24)
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:
            year += 2000
        return _checked(day, month, year, text)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
    if m:
        return _checked(int(m[3]), int(m[2]), int(m[1]), text)
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([A-Za-z]+)\.?[\s\-,]+(\d{2}|\d{4})", text)
    if m and m[2].lower() in _MONTHS:
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        return _checked(int(m[1]), _MONTHS[m[2].lower()], year, text)
    raise CellError(f"'{text[:40]}' is not a date: write it as DD/MM/YYYY, for example 24/12/2026")


def _serial(number: float, shown: str) -> dt.date:
    if number != int(number) or not 1 <= number <= 80000:
        raise CellError(f"'{shown}' is not a date: write it as DD/MM/YYYY, for example 24/12/2026")
    value = EXCEL_EPOCH + dt.timedelta(days=int(number))
    return _checked(value.day, value.month, value.year, shown)


def cell_text(value: Any) -> str:
    """A cell as trimmed text ('' for blank); whole-number floats lose their '.0'."""
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d/%m/%Y")
    return re.sub(r"[ \t]+", " ", str(value)).strip()


def split_list(value: Any) -> list[str]:
    """A cell holding several values (children, parents, dates): split on ';', newlines or '|'."""
    text = cell_text(value)
    return [part.strip() for part in re.split(r"[;\n|]+", text) if part.strip()]
