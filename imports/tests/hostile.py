"""Hostile upload files, built in the tests (issue 24 §3): each small on disk, each able to take a
server process for minutes or gigabytes if read naively. `HOSTILE` maps a name to the file's
name, a builder, and the words the refusal must contain."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Case ID</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Family name</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>LPM date</t></is></c></row>'
)
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="Tracker" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


def sheet_xml(rows: str = HEADER_ROW, dimension: str = "A1:C1", after: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData>{after}</worksheet>'
    )


def workbook(sheet: str | None = None, *, book: str = WORKBOOK, extra: dict[str, bytes | str] | None = None) -> bytes:
    """A minimal .xlsx (Excel and openpyxl open it) with the given sheet XML and extra parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", book)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet if sheet is not None else sheet_xml())
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zip_bomb() -> bytes:
    """A workbook whose sheet unpacks to 1 GB (of spaces inside valid XML) from about 1 MB. The
    sheet's deflate stream is one compressed megabyte repeated: after a full flush a compressor
    starts afresh, so each megabyte compresses to the same bytes and is compressed only once.
    The zip is written by hand (zipfile would compress the whole gigabyte) and read back with
    zipfile in the test."""
    head = (sheet_xml().split("<sheetData>")[0] + "<sheetData>").encode()
    tail = b"</sheetData></worksheet>"
    chunk = b" " * 2**20
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    packed = first + block * 1024 + c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(1024):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + 1024 * len(chunk) + len(tail)
    entries = [
        (name, _deflate(text.encode()), zlib.crc32(text.encode()), len(text.encode()))
        for name, text in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        )
    ]
    entries.append(("xl/worksheets/sheet1.xml", packed, crc, size))
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc32, unpacked in entries:
        offset = out.tell()
        encoded = name.encode()
        fields = (20, 0, 8, 0, 0, crc32, len(data), unpacked, len(encoded))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + encoded + data)
        central.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(central.getvalue())
    out.write(
        struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central.getvalue()), start, 0)
    )
    return out.getvalue()


def encrypted_zip_entry() -> bytes:
    """A zip whose sheet entry says it is encrypted (a password-protected zip): the flag set in
    the entry's local header and in its central directory record."""
    data = bytearray(workbook())
    name = b"xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        data[z.getinfo(name.decode()).header_offset + 6] |= 0x1
    central = bytes(data).index(b"PK\x01\x02" + bytes(data[bytes(data).index(b"PK\x01\x02") + 4 :][:0]))
    while bytes(data[central + 46 : central + 46 + len(name)]) != name:
        central = bytes(data).index(b"PK\x01\x02", central + 4)
    data[central + 8] |= 0x1
    return bytes(data)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + f']><worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>'
    "</row></sheetData></worksheet>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c>'
    "</row></sheetData></worksheet>"
)


def _many_rows(n: int) -> str:
    return HEADER_ROW + "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(2, n + 2))


@dataclass(frozen=True)
class Hostile:
    filename: str
    build: Callable[[], bytes]
    message: str  # words the refusal shown beside the upload field must contain


HOSTILE: dict[str, Hostile] = {
    "truncated sheet XML": Hostile("t.xlsx", lambda: workbook(sheet_xml(HEADER_ROW * 3)[:180]), "is damaged"),
    "a DTD (billion laughs)": Hostile("t.xlsx", lambda: workbook(BILLION_LAUGHS), "document type declaration (DTD)"),
    "an external entity": Hostile("t.xlsx", lambda: workbook(EXTERNAL_ENTITY), "document type declaration (DTD)"),
    "a DTD in the shared strings": Hostile(
        "t.xlsx",
        lambda: workbook(extra={"xl/sharedStrings.xml": BILLION_LAUGHS.replace("worksheet", "sst")}),
        "document type declaration (DTD)",
    ),
    "an empty <sheets/>": Hostile(
        "t.xlsx",
        lambda: workbook(
            book=WORKBOOK.replace('<sheets><sheet name="Tracker" sheetId="1" r:id="rId1"/></sheets>', "<sheets/>")
        ),
        "The workbook has no sheets",
    ),
    "a CSV with one 3 MB field": Hostile(
        "t.csv",
        lambda: b'Case ID,Family name,LPM date\nTRK-1,"' + b"x" * 3 * 2**20 + b'",01/01/2026\n',
        "longer than 131,072 characters",
    ),
    "not a zip": Hostile("t.xlsx", lambda: b"PK\x03\x04" + b"\x00garbage" * 1000, "not an Excel workbook"),
    "random bytes named .xlsx": Hostile("t.xlsx", lambda: bytes(range(256)) * 40, "not an Excel workbook"),
    "an encrypted workbook (OLE container)": Hostile(
        "t.xlsx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000, "protected with a password"
    ),
    "an encrypted zip entry": Hostile("t.xlsx", encrypted_zip_entry, "protected with a password"),
    "external links": Hostile(
        "t.xlsx",
        lambda: workbook(extra={"xl/externalLinks/externalLink1.xml": f'<externalLink xmlns="{MAIN}"/>'}),
        "links to other workbooks",
    ),
    "a single cell at XFD300": Hostile(
        "t.xlsx",
        lambda: workbook(sheet_xml(HEADER_ROW + '<row r="300"><c r="XFD300"><v>1</v></c></row>', dimension="A1:C1")),
        "cell at XFD300",
    ),
    "a declared dimension A1:XFD300": Hostile(
        "t.xlsx", lambda: workbook(sheet_xml(dimension="A1:XFD300")), "says it spans A1:XFD300"
    ),
    "a merged range A1:XFD1048576": Hostile(
        "t.xlsx",
        lambda: workbook(sheet_xml(after='<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>')),
        "merges the cells A1:XFD1048576",
    ),
    "ten thousand merged ranges": Hostile(
        "t.xlsx",
        lambda: workbook(
            sheet_xml(
                after='<mergeCells count="9000">'
                + "".join(f'<mergeCell ref="D{i}:E{i}"/>' for i in range(1, 9001))
                + "</mergeCells>"
            )
        ),
        "more than 5,000 merged ranges",
    ),
    "a cell at row 1,048,576": Hostile(
        "t.xlsx",
        lambda: workbook(sheet_xml(HEADER_ROW + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>')),
        "rows beyond row 10,000",
    ),
    "20,000 rows": Hostile("t.xlsx", lambda: workbook(sheet_xml(_many_rows(20_000))), "rows beyond row 10,000"),
    "300,000 shared strings": Hostile(
        "t.xlsx",
        lambda: workbook(
            extra={
                "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">'
                + "".join(f"<si><t>{i}</t></si>" for i in range(300_000))
                + "</sst>"
            }
        ),
        "more than 200,000 different texts",
    ),
    "a 1 GB zip bomb": Hostile("t.xlsx", zip_bomb, "unpacks to far more than a tracker"),
}
