"""Reading a council's pre-action tracker spreadsheet (CSV or XLSX) into plain rows of cells.

Pure Python apart from openpyxl and defusedxml: no Django, no database. What real trackers hold
and this copes with (issue #12 "Bad input"): a title row above the headers, Windows-1252 CSV from
an old Excel, merged cells (a family's cells merged down over one row per child), formulas, blank
rows, dates as DD/MM/YYYY text, as Excel serial numbers or as real dates.

What it refuses, before the file can cost the server much time or memory (issue 24 §3): every
limit in `Limits` is checked while the file is read, never after, so a hostile file is answered
within a second or two whatever it claims to hold. An XLSX is a zip of XML parts: its entries'
sizes and compression ratios are checked before any is opened (a zip bomb), every XML part is
refused if it declares a DTD (entity expansion, external entities), the chosen sheet is streamed
once with defusedxml to check its declared size, every cell's row and column and its merged
ranges, and only then read by openpyxl in read-only mode (openpyxl itself parses with defusedxml
when it is installed, as requirements.txt makes sure).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import openpyxl
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import iterparse
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

MAX_HEADER_SEARCH = 10
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1 Jan 1900 (Excel's 1900 leap-year bug included)
EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# The first bytes of an OLE compound file: an old .xls, or an .xlsx saved with a password (Excel
# encrypts the workbook into one of these instead of a zip).
_SI = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class TrackerFileError(ValueError):
    """The file as a whole cannot be read (not a spreadsheet, no header row, empty, or beyond a limit)."""


class TooManyRows(TrackerFileError):
    """The file holds more rows than the page reading it takes (a command may take more)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one upload may hold. The web pages use the defaults; the import commands, run by IT
    on a file they chose, take more rows and more time."""

    rows: int = 5000  # data rows under the header
    last_row: int = 10_000  # no cell below this row (blank rows and a title row fit within it)
    columns: int = 256  # no cell right of column IV (Excel 2003's last column)
    merged_ranges: int = 5000
    merged_cells: int = 1_000_000  # the cells all merged ranges cover, together
    shared_strings: int = 200_000
    shared_strings_bytes: int = 16 * 2**20
    unpacked_bytes: int = 100 * 2**20  # every part of the workbook, unpacked
    ratio: int = 100  # an entry unpacking to more than 100 times its packed size (text packs ~10x)
    entries: int = 1000
    seconds: float = 4.0  # wall-clock budget for reading the whole file


WEB_LIMITS = Limits()
COMMAND_LIMITS = Limits(rows=200_000, last_row=250_000, seconds=300.0)


class _Budget:
    """The wall-clock budget of one read, checked as it goes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise TrackerFileError(
                f"The file took longer than {self.seconds:g} seconds to read, far longer than a tracker takes: "
                "save the sheet you need as CSV and upload that"
            )


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

    def to_json(self) -> dict[str, Any]:
        """The sheet as JSON, to be kept with the upload so later pages need not read the file again."""
        return {
            "headers": self.headers,
            "header_row": self.header_row,
            "blank_rows": self.blank_rows,
            "rows": [
                [r.number, [_cell_to_json(c) for c in r.cells], {str(k): v for k, v in r.problems.items()}]
                for r in self.rows
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sheet:
        """The sheet kept by `to_json`."""
        return cls(
            headers=list(data["headers"]),
            header_row=int(data["header_row"]),
            blank_rows=int(data["blank_rows"]),
            rows=[
                RawRow(number=n, cells=[_cell_from_json(c) for c in cells], problems={int(k): v for k, v in p.items()})
                for n, cells, p in data["rows"]
            ],
        )


def _cell_to_json(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"seconds": value.total_seconds()}
    return str(value)


def _cell_from_json(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "datetime" in value:
        return dt.datetime.fromisoformat(value["datetime"])
    if "date" in value:
        return dt.date.fromisoformat(value["date"])
    if "time" in value:
        return dt.time.fromisoformat(value["time"])
    return dt.timedelta(seconds=value["seconds"])


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
    grid: list[list[Any]],
    problems: dict[tuple[int, int], str] | None = None,
    example: str = "Case ID",
    limits: Limits = WEB_LIMITS,
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
    if len(rows) > limits.rows:
        raise TooManyRows(f"The file has {len(rows):,} rows; this page takes up to {limits.rows:,}")
    return Sheet(headers=headers, rows=rows, header_row=h + 1, blank_rows=blank)


def _beyond_row(limits: Limits) -> TooManyRows:
    return TooManyRows(f"The file has rows beyond row {limits.last_row:,}; this page takes up to {limits.rows:,} rows")


def _beyond_column(ref: str, limits: Limits) -> TrackerFileError:
    return TrackerFileError(
        f"The sheet has a cell at {ref}, beyond column {get_column_letter(limits.columns)}: a tracker has far "
        f"fewer columns. Delete the columns to the right of the tracker's own (or save the sheet as CSV) and try again"
    )


def read_csv(data: bytes, example: str = "Case ID", limits: Limits = WEB_LIMITS) -> Sheet:
    """A CSV file (a tracker, a staff list) in UTF-8 (with or without a byte order mark) or
    Windows-1252; `example` names a column in the message when no header row is found. Rows,
    columns, cell length (the csv module's field limit) and time are checked as it reads."""
    budget = _Budget(limits.seconds)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the ANSI code page: £, curly quotes and accents in cp1252.
        text = data.decode("cp1252", errors="replace")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    grid: list[list[Any]] = []
    try:
        for row in reader:
            if len(grid) >= limits.last_row:
                raise _beyond_row(limits)
            if len(row) > limits.columns:
                raise _beyond_column(f"row {reader.line_num}, column {get_column_letter(len(row))}", limits)
            grid.append(row)
            if len(grid) % 500 == 0:
                budget.check()
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise TrackerFileError(
                f"Line {reader.line_num:,} of the file has a cell longer than {csv.field_size_limit():,} characters: "
                "the file is damaged, or is not a CSV file"
            ) from exc
        raise TrackerFileError(f"Line {reader.line_num:,} of the file cannot be read as CSV ({exc})") from exc
    return _sheet_from_grid(grid, example=example, limits=limits)


# --- XLSX --------------------------------------------------------------------------------------


def _prolog_declares_dtd(stream: IO[bytes]) -> bool:
    """Whether an XML part declares a document type (which must come before its first element):
    Excel never writes one, and a DTD is how entity-expansion and external-entity attacks start."""
    head = b""
    while len(head) < 65536:
        chunk = stream.read(4096)
        if not chunk:
            break
        head += chunk
        text = re.sub(rb"<\?.*?\?>|<!--.*?-->|\s+", b"", head, flags=re.S)
        if b"<!" in text[:2] or b"<!DOCTYPE" in text.upper():
            return True
        if re.match(rb"<[A-Za-z_]", text):
            return False
    return b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper()


def _check_archive(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Before any part is opened: sizes (a zip bomb), encryption, external links, and no DTD."""
    entries = archive.infolist()
    if len(entries) > limits.entries:
        raise TrackerFileError(f"The workbook holds more than {limits.entries:,} parts: it cannot be a tracker")
    unpacked = 0
    for info in entries:
        if info.flag_bits & 0x1:
            raise TrackerFileError(
                "The workbook is protected with a password: remove the password in Excel (File, Info, "
                "Protect Workbook) and upload it again"
            )
        unpacked += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if unpacked > limits.unpacked_bytes or (info.file_size > 2**20 and ratio > limits.ratio):
            raise TrackerFileError(
                f"The workbook unpacks to far more than a tracker (over {limits.unpacked_bytes // 2**20} MB, or "
                f"{limits.ratio} times its size): save the sheet you need as CSV and upload that"
            )
        if info.filename.startswith("xl/externalLinks/"):
            raise TrackerFileError(
                "The workbook links to other workbooks (external links): copy the tracker's sheet, paste it "
                "as values into a new workbook, and upload that"
            )
    for info in entries:
        if info.filename.endswith((".xml", ".rels")):
            with archive.open(info) as part:
                if _prolog_declares_dtd(part):
                    raise TrackerFileError(
                        "The workbook contains a document type declaration (DTD), which Excel never writes: "
                        "it cannot be read safely. Open it in Excel, save it as a new .xlsx and upload that"
                    )


def _check_shared_strings(archive: zipfile.ZipFile, limits: Limits, budget: _Budget) -> None:
    """The table of texts the sheet refers to: its size and the number of texts in it."""
    try:
        info = archive.getinfo("xl/sharedStrings.xml")
    except KeyError:
        return
    too_many = TrackerFileError(
        f"The workbook holds more than {limits.shared_strings:,} different texts "
        f"(or {limits.shared_strings_bytes // 2**20} MB of them): it cannot be a tracker"
    )
    if info.file_size > limits.shared_strings_bytes:
        raise too_many
    # Counted in the raw bytes (a regular expression over each chunk, in C): parsing 200,000
    # elements only to count them would spend most of the time budget. Its DTD was refused above.
    count, tail = 0, b""
    with archive.open(info) as part:
        while chunk := part.read(2**20):
            text = tail + chunk
            count += len(_SI.findall(text))
            tail = text[-16:]
            count -= len(_SI.findall(tail))  # counted again with the next chunk
            if count > limits.shared_strings:
                raise too_many
            budget.check()


@dataclass(slots=True)
class _Scan:
    """What one streaming pass over a sheet's XML found: its extent, merges and formulas."""

    last_row: int = 0
    last_column: int = 0
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    # Formula cells with no saved value, by (row index, column index) from 0.
    formulas: set[tuple[int, int]] = field(default_factory=set)


def _ref(ref: str) -> tuple[int, int]:
    """'B12' -> (12, 2)."""
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})", ref)
    if not m:
        raise TrackerFileError(f"The sheet names a cell '{ref[:20]}' that does not exist: it is damaged")
    letters, number = m[1].upper(), int(m[2])
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return number, column


def _scan_sheet(part: IO[bytes], limits: Limits, budget: _Budget) -> _Scan:
    """Stream the sheet's XML once (defusedxml, no DTD) and refuse it at the first sign it is not a
    tracker: a declared size, a cell or a merged range beyond the limits, too many merges."""
    scan = _Scan()
    row, column, cells = 0, 0, 0
    merged_cells = 0
    has_formula = has_value = False
    for events, (event, element) in enumerate(iterparse(part, events=("start", "end"), forbid_dtd=True)):
        if events % 2000 == 0:
            budget.check()
        tag = element.tag
        if event == "start":
            if tag == f"{_MAIN}dimension":
                ref = element.get("ref", "A1")
                last = _ref(ref.split(":")[-1])
                if last[1] > limits.columns:
                    raise TrackerFileError(
                        f"The sheet says it spans {ref[:30]}, beyond column {get_column_letter(limits.columns)}: "
                        "a tracker has far fewer columns. Delete the empty columns and rows after the tracker's "
                        "own (or save the sheet as CSV) and try again"
                    )
                if last[0] > limits.last_row:
                    raise _beyond_row(limits)
            elif tag == f"{_MAIN}row":
                row = int(element.get("r") or row + 1)
                column = 0
                if row > limits.last_row:
                    raise _beyond_row(limits)
            elif tag == f"{_MAIN}c":
                ref = element.get("r")
                if ref:
                    row, column = _ref(ref)
                else:
                    column += 1
                if column > limits.columns:
                    raise _beyond_column(ref or f"row {row}", limits)
                if row > limits.last_row:
                    raise _beyond_row(limits)
                cells += 1
                has_formula = has_value = False
            elif tag == f"{_MAIN}mergeCell":
                ref = element.get("ref", "")
                try:
                    min_col, min_row, max_col, max_row = range_boundaries(ref)
                except (TypeError, ValueError) as exc:
                    raise TrackerFileError(
                        f"The sheet merges '{ref[:30]}', which is not a range: it is damaged"
                    ) from exc
                if (max_col or 0) > limits.columns or (max_row or 0) > limits.last_row:
                    raise TrackerFileError(
                        f"The sheet merges the cells {ref[:30]}, far beyond a tracker's columns and rows: "
                        "unmerge them (or save the sheet as CSV) and try again"
                    )
                scan.merges.append((min_row or 1, min_col or 1, max_row or 1, max_col or 1))
                merged_cells += ((max_row or 1) - (min_row or 1) + 1) * ((max_col or 1) - (min_col or 1) + 1)
                if len(scan.merges) > limits.merged_ranges or merged_cells > limits.merged_cells:
                    raise TrackerFileError(
                        f"The sheet has more than {limits.merged_ranges:,} merged ranges (or merges more than "
                        f"{limits.merged_cells:,} cells): unmerge them (or save the sheet as CSV) and try again"
                    )
        else:
            if tag == f"{_MAIN}f":
                has_formula = True
            elif tag == f"{_MAIN}v":
                has_value = bool(element.text)
            elif tag == f"{_MAIN}c":
                if has_formula and not has_value:
                    scan.formulas.add((row - 1, column - 1))
                if element.find(f"{_MAIN}v") is not None or element.find(f"{_MAIN}is") is not None or has_formula:
                    scan.last_row = max(scan.last_row, row)
                    scan.last_column = max(scan.last_column, column)
                element.clear()
            elif tag == f"{_MAIN}row":
                element.clear()
    return scan


def _rows(ws: Any, scan: _Scan, budget: _Budget) -> Iterator[list[Any]]:
    for i, values in enumerate(
        ws.iter_rows(min_row=1, max_row=scan.last_row, min_col=1, max_col=scan.last_column, values_only=True)
    ):
        if i % 500 == 0:
            budget.check()
        yield list(values)


def read_xlsx(data: bytes, limits: Limits = WEB_LIMITS) -> Sheet:
    """An XLSX tracker's first visible sheet: cached formula values, merged cells filled in."""
    budget = _Budget(limits.seconds)
    if data[:8] == _OLE:
        raise TrackerFileError(
            "The workbook is protected with a password, or saved in the old Excel format: remove the password "
            "(or save it as .xlsx) and upload it again"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TrackerFileError("The file is not an Excel workbook (.xlsx) that can be read") from exc
    with archive:
        try:
            _check_archive(archive, limits)
            _check_shared_strings(archive, limits, budget)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            if isinstance(exc, TrackerFileError):
                raise
            raise TrackerFileError("The file is not an Excel workbook (.xlsx) that can be read") from exc
        except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden, SyntaxError) as exc:
            raise TrackerFileError(
                "The workbook's list of texts is damaged: open it in Excel and save it again"
            ) from exc
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        except SyntaxError as exc:  # xml.etree's ParseError: a part cut short or malformed
            raise TrackerFileError(
                "The workbook is damaged (part of it is cut short or malformed): open it in Excel, save it again "
                "and upload that"
            ) from exc
        except Exception as exc:  # any fault in a hostile file is the file's, not a server error
            raise TrackerFileError("The file is not an Excel workbook (.xlsx) that can be read") from exc
        try:
            if not book.worksheets:
                raise TrackerFileError("The workbook has no sheets: save the tracker's sheet in it and try again")
            ws = next((s for s in book.worksheets if s.sheet_state == "visible"), book.worksheets[0])
            path = getattr(ws, "_worksheet_path", "")
            with book._archive.open(path) as part:  # type: ignore[attr-defined]
                scan = _scan_sheet(part, limits, budget)
            grid = list(_rows(ws, scan, budget)) if scan.last_row else []
        except TrackerFileError:
            raise
        except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
            raise TrackerFileError("The sheet declares entities, which Excel never writes: it cannot be read") from exc
        except Exception as exc:  # a truncated or malformed sheet: the file's fault
            raise TrackerFileError(
                "The sheet is damaged (its XML is cut short or malformed): open it in Excel, save it again and "
                "upload that"
            ) from exc
        finally:
            book.close()
    # A merged block shows its value only in its top-left cell; a tracker merges a family's cells
    # down over its children's rows, so every cell of the block takes that value.
    for min_row, min_col, max_row, max_col in scan.merges:
        value = grid[min_row - 1][min_col - 1] if min_row - 1 < len(grid) and min_col - 1 < len(grid[0]) else None
        for r in range(min_row - 1, min(max_row, len(grid))):
            for c in range(min_col - 1, min(max_col, len(grid[r]))):
                grid[r][c] = value
    problems = {
        (r, c): (
            f"cell {get_column_letter(c + 1)}{r + 1} holds a formula with no saved value: "
            "open the file in Excel and save it, or type the value in"
        )
        for r, c in scan.formulas
        if r < len(grid) and c < len(grid[r]) and grid[r][c] is None
    }
    budget.check()
    return _sheet_from_grid(grid, problems, limits=limits)


def read_tracker(filename: str, data: bytes, limits: Limits = WEB_LIMITS) -> Sheet:
    """Read a tracker file by its content (an XLSX is a zip file), falling back to its name."""
    if data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(data, limits)
    if filename.lower().endswith(".xls"):
        raise TrackerFileError("Old Excel files (.xls) cannot be read: save it as .xlsx or CSV")
    return read_csv(data, limits=limits)


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
