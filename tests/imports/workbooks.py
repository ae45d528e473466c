"""Workbooks for the import tests, built in memory.

- `xlsx()`: an ordinary workbook written by openpyxl (typed cells: numbers, Excel dates).
- `package()` + `sheet_xml()`: raw SpreadsheetML zipped by hand, for what openpyxl cannot
  write — formulas with cached values, DOCTYPEs, sparse or enormous sheets.
- `xls()`: a minimal legacy BIFF8 workbook in an OLE2 compound file (no library on this
  stack writes .xls: xlwt is not a dependency), enough for python-calamine to read.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS_TYPE = "application/vnd.ms-excel"


def upload(data: bytes, name: str = "upload.xlsx", content_type: str = XLSX_TYPE) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type)


# ----------------------------------------------------------------------------- openpyxl
def xlsx(
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Sheet1",
    blank_rows_before: int = 0,
    merge: Sequence[str] = (),
    more_sheets: dict[str, list[list[Any]]] | None = None,
) -> bytes:
    """A workbook whose first sheet holds `rows` (after `blank_rows_before` empty rows)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for _ in range(blank_rows_before):
        sheet.append([])
    for row in rows:
        sheet.append(list(row))
    for cells in merge:
        sheet.merge_cells(cells)
    for name, other_rows in (more_sheets or {}).items():
        other = book.create_sheet(name)
        for row in other_rows:
            other.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- raw SpreadsheetML
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<workbook xmlns="{NS}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/></Relationships>'
)
# Style 1 is Excel's built-in date format 14 (m/d/yyyy): a number in such a cell is a date.
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<styleSheet xmlns="{NS}"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)
DATE_STYLE = 1


def text(ref: str, value: str) -> str:
    """An inline-string cell."""
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'


def number(ref: str, value: float, style: int | None = None) -> str:
    styled = f' s="{style}"' if style is not None else ""
    return f'<c r="{ref}"{styled}><v>{value}</v></c>'


def excel_date(ref: str, day: dt.date) -> str:
    """A date as Excel stores it: a serial day number in a date-formatted cell."""
    return number(ref, (day - dt.date(1899, 12, 30)).days, style=DATE_STYLE)


def formula(ref: str, expression: str, cached: str | float | None, kind: str | None = None) -> str:
    """A formula cell with its cached value (`kind="str"` for a text result)."""
    typed = f' t="{kind}"' if kind else ""
    value = "" if cached is None else f"<v>{escape(str(cached))}</v>"
    return f'<c r="{ref}"{typed}><f>{escape(expression)}</f>{value}</c>'


def row(number_: int, *cells: str) -> str:
    return f'<row r="{number_}">{"".join(cells)}</row>'


def text_row(number_: int, values: Sequence[str | None]) -> str:
    """A row of inline strings from column A on (None leaves a cell out)."""
    return row(
        number_,
        *(text(f"{openpyxl.utils.get_column_letter(i + 1)}{number_}", v) for i, v in enumerate(values) if v),
    )


def sheet_xml(rows: Iterable[str] | str, *, doctype: str = "", merges: Sequence[str] = ()) -> str:
    body = rows if isinstance(rows, str) else "".join(rows)
    merged = ""
    if merges:
        merged = f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
        merged += "</mergeCells>"
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        f'<worksheet xmlns="{NS}"><sheetData>{body}</sheetData>{merged}</worksheet>'
    )


def package(
    sheet: str | bytes,
    *,
    parts: dict[str, str | bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """An .xlsx zip around one sheet's XML (plus or instead of any `parts`)."""
    contents: dict[str, str | bytes] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/styles.xml": STYLES,
        "xl/worksheets/sheet1.xml": sheet,
        **(parts or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def billion_laughs(levels: int = 10) -> str:
    """The classic entity-expansion DOCTYPE: `&lol9;` expands to 10**9 'lol's."""
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return f"<!DOCTYPE worksheet [{''.join(entities)}]>"


# ----------------------------------------------------------------------------- legacy .xls
def _record(kind: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(payload)) + payload


def _biff_string(value: str, length_bytes: int = 2) -> bytes:
    """An XLUnicodeString: character count, flags (1 = UTF-16LE), characters."""
    encoded = value.encode("utf-16-le")
    return struct.pack("<H" if length_bytes == 2 else "<B", len(value)) + b"\x01" + encoded


def _biff8_workbook(rows: Sequence[Sequence[str | float | dt.date | None]], sheet_name: str) -> bytes:
    bof_globals = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    bof_sheet = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06))
    font = _record(
        0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + _biff_string("Arial", 1)
    )
    # 15 style XFs, the default cell XF (15) and a cell XF with Excel's date format 14 (16).
    xfs = b"".join(
        _record(
            0x00E0,
            struct.pack(
                "<HHHBBBBIIH",
                0,
                14 if i == 16 else 0,
                0xFFF5 if i < 15 else 0x0001,
                0x20,
                0,
                0,
                0,
                0,
                0,
                0x20C0,
            ),
        )
        for i in range(17)
    )
    codepage = _record(0x0042, struct.pack("<H", 1200))
    window = _record(0x003D, struct.pack("<hhhhHHHHH", 0, 0, 0x4000, 0x2000, 0x38, 0, 0, 1, 600))
    eof = _record(0x000A)

    cells = []
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, dt.date):
                serial = (value - dt.date(1899, 12, 30)).days
                cells.append(_record(0x0203, struct.pack("<HHHd", r, c, 16, float(serial))))
            elif isinstance(value, str):
                cells.append(_record(0x0204, struct.pack("<HHH", r, c, 15) + _biff_string(value)))
            else:
                cells.append(_record(0x0203, struct.pack("<HHHd", r, c, 15, float(value))))
    width = max((len(v) for v in rows), default=0)
    dimensions = _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
    sheet = bof_sheet + dimensions + b"".join(cells) + eof

    def globals_with(offset: int) -> bytes:
        boundsheet = _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _biff_string(sheet_name, 1))
        return bof_globals + codepage + window + font + xfs + boundsheet + eof

    head = globals_with(0)
    return globals_with(len(head)) + sheet


def _ole2(stream_name: str, stream: bytes) -> bytes:
    """A compound file holding one stream (padded to 4096 bytes: no mini stream needed)."""
    sector = 512
    stream = stream + b"\x00" * (-len(stream) % sector)
    stream = stream + b"\x00" * max(0, 4096 - len(stream))
    data_sectors = len(stream) // sector
    # Sector layout: [FAT][directory][stream sectors...]
    fat_sectors = 1
    directory_sector = 1
    first_stream_sector = 2
    total = fat_sectors + 1 + data_sectors
    assert total <= sector // 4, "one FAT sector is enough for these small workbooks"
    fat = [0xFFFFFFFD, 0xFFFFFFFE]  # FAT sector, directory (one sector: end of chain)
    for i in range(data_sectors):
        fat.append(first_stream_sector + i + 1 if i < data_sectors - 1 else 0xFFFFFFFE)
    fat += [0xFFFFFFFF] * (sector // 4 - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)

    def entry(name: str, kind: int, start: int, size: int, child: int = 0xFFFFFFFF) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)  # name length, type, colour (black)
            + struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, child)  # left, right sibling, child
            + b"\x00" * 16  # CLSID
            + struct.pack("<I", 0)  # state bits
            + b"\x00" * 16  # created, modified
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, 0xFFFFFFFE, 0, child=1) + entry(
        stream_name, 2, first_stream_sector, len(stream)
    )
    directory = directory.ljust(sector, b"\x00")
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<I", 0)  # directory sectors (0 for v3)
        + struct.pack("<I", fat_sectors)
        + struct.pack("<I", directory_sector)
        + struct.pack("<I", 0)  # transaction signature
        + struct.pack("<I", 4096)  # mini stream cut-off
        + struct.pack("<I", 0xFFFFFFFE)  # first mini FAT sector: none
        + struct.pack("<I", 0)  # mini FAT sectors
        + struct.pack("<I", 0xFFFFFFFE)  # first DIFAT sector: none
        + struct.pack("<I", 0)  # DIFAT sectors
        + struct.pack("<109I", 0, *([0xFFFFFFFF] * 108))  # the FAT is sector 0
    )
    assert len(header) == sector
    return header + fat_bytes + directory + stream


def xls(rows: Sequence[Sequence[str | float | dt.date | None]], sheet_name: str = "Sheet1") -> bytes:
    """A legacy .xls (BIFF8) workbook with one sheet of text, number and date cells."""
    return _ole2("Workbook", _biff8_workbook(rows, sheet_name))
