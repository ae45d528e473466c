"""Reading untrusted Excel files: recognise them by content, refuse bombs before parsing,
then read the first sheet with python-calamine (Rust; reads .xlsx and legacy .xls, takes
formulas as their cached values and never evaluates them).

Refusals are `ExcelFileError`s carrying the HTTP status the API answers with:
- 415 UNSUPPORTED_MEDIA_TYPE: not an Excel file by content (a renamed CSV or PDF, an empty
  file, a corrupt zip), or XML with a DOCTYPE/ENTITY (an XML bomb);
- 413 PAYLOAD_TOO_LARGE: over the upload limit, a zip bomb (uncompressed size, entry count,
  compression ratio), or more rows than the import limit;
- 422 VALIDATION_ERROR: a readable file whose sheet cannot be imported (no header row,
  merged header cells, a cell longer than Excel allows).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from openpyxl.utils import get_column_letter

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound document
EXCEL_CELL_LIMIT = 32_767  # characters Excel itself allows in a cell
PROLOG_BYTES = 4096  # a DOCTYPE has to come before the root element


class ExcelFileError(Exception):
    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


@dataclass
class Sheet:
    """The first sheet: its header row and, lazily, its data rows."""

    name: str
    headers: list[str | None]
    header_row: int  # the header's row number as Excel shows it (1-based)
    first_column: int  # 0-based index of the sheet's first used column
    rows: Iterator[tuple[int, list[Any]]] = field(repr=False)  # (Excel row number, values)

    def column_letter(self, index: int) -> str:
        return get_column_letter(self.first_column + index + 1)


def sniff(head: bytes) -> str | None:
    """`"xlsx"`, `"xls"` or None, from the first bytes (never from the file name)."""
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(XLS_MAGIC):
        return "xls"
    return None


def _check_xlsx_container(data: bytes) -> None:
    """Zip-level checks, then one streaming pass over every XML part, before any XML is
    parsed: DOCTYPEs and entities are refused, and how far rows and cells reach is measured
    (python-calamine holds a sheet as a dense grid from its first to its last cell, so a
    tiny file naming cell XFD1048576 would otherwise ask for tens of gigabytes)."""
    max_uncompressed = _limit("IMPORT_MAX_UNCOMPRESSED_MB", 200) * 1024 * 1024
    max_entries = _limit("IMPORT_MAX_ZIP_ENTRIES", 1000)
    max_ratio = _limit("IMPORT_MAX_COMPRESSION_RATIO", 200)
    max_rows = _limit("IMPORT_MAX_ROWS", 200_000)
    max_cells = _limit("IMPORT_MAX_CELLS", 5_000_000)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise ExcelFileError(415, "The file is not a readable Excel workbook (corrupt zip).") from exc
    if len(entries) > max_entries:
        raise ExcelFileError(
            413, f"The workbook has {len(entries)} parts; at most {max_entries} are accepted."
        )
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ExcelFileError(415, "The file is a zip archive but not an Excel workbook (.xlsx).")
    total = 0
    for entry in entries:
        total += entry.file_size
        if total > max_uncompressed:
            raise ExcelFileError(
                413, f"The workbook unpacks to more than {max_uncompressed // (1024 * 1024)} MB; refused."
            )
        if (
            entry.compress_size
            and entry.file_size > 1024 * 1024
            and entry.file_size / entry.compress_size > max_ratio
        ):
            raise ExcelFileError(413, "The workbook is compressed suspiciously well (a zip bomb?); refused.")
    # Every XML part is scanned, not only the one we take for the first sheet: which part
    # python-calamine reads is decided by its own parse of workbook.xml and its rels.
    rows = columns = 0
    with archive:
        for entry in entries:
            if entry.is_dir():
                continue
            part_rows, part_columns = _scan_part(archive, entry)
            rows, columns = max(rows, part_rows), max(columns, part_columns)
    if rows > max_rows + 1:  # + the header row
        raise ExcelFileError(
            413, f"The sheet reaches row {rows}: at most {max_rows} data rows are accepted."
        )
    if rows * columns > max_cells:
        raise ExcelFileError(
            413,
            f"The sheet spans {rows} rows × {columns} columns; at most {max_cells} cells are accepted.",
        )


SCAN_CHUNK = 4 * 1024 * 1024
MAX_TAG_BYTES = 1024 * 1024  # no tag of a sane part is longer
MAX_EXCEL_ROW = 1_048_576
MAX_EXCEL_COLUMN = 16_384
_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# Rows and cells as Excel, openpyxl and LibreOffice write them: `<row r="12"` and
# `<c r="B12"`, the reference first, no namespace prefix. Anything else (a prefix, a missing
# or late `r`, character references in it) is measured by the exact, slower parse.
_IRREGULAR = re.compile(
    rb"<[A-Za-z_][\w.\-]*:(?:c|row)[\s/>]"
    rb"|<(?:c|row)(?:[\t\n\r/>]| (?!r=\"))"
    rb"|<c r=\"(?![A-Z]{1,3}[1-9][0-9]{0,6}\")"
    rb"|<row r=\"(?![1-9][0-9]{0,6}\")"
)
_ROW_NUMBER = re.compile(rb'<row r="([0-9]+)"')
_WIDE_CELL = re.compile(rb'<c r="([A-Z]{2,3})[0-9]')


def _scan_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> tuple[int, int]:
    """One streaming pass over a part: refuses a DOCTYPE or entity declaration anywhere
    (an XML bomb, external entities) and XML that is not UTF-8; returns how many rows and
    columns its cells can span (0, 0 for a part that is not XML, e.g. an image)."""
    extent = _Extent()
    try:
        with archive.open(entry) as part:
            chunk = part.read(SCAN_CHUNK)
            if not _is_xml(chunk):
                return 0, 0
            tail = b""
            while chunk:
                block = tail + chunk
                cut = block.rfind(b">") + 1  # whole tags only: none of the patterns holds a ">"
                body, tail = block[:cut], block[cut:]
                if len(tail) > MAX_TAG_BYTES:
                    raise ExcelFileError(415, f"The workbook part {entry.filename} is not well-formed XML.")
                if _DOCTYPE.search(body):
                    raise _xml_bomb()
                if extent.regular:
                    extent.feed(body)
                chunk = part.read(SCAN_CHUNK)
            if _DOCTYPE.search(tail):
                raise _xml_bomb()
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ExcelFileError(415, "The file is not a readable Excel workbook (corrupt part).") from exc
    if not extent.regular:
        return _exact_extent(archive, entry)
    return extent.rows, extent.columns


def _xml_bomb() -> ExcelFileError:
    return ExcelFileError(415, "The workbook contains XML with a DOCTYPE or entities (an XML bomb?); refused.")


def _is_xml(head: bytes) -> bool:
    """Whether a part is XML (else it is an image or other binary and is skipped); XML that
    is not UTF-8 (Excel never writes any) is refused, as the byte scans could not read it."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        raise ExcelFileError(415, "The workbook has an XML part that is not UTF-8; refused.")
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


class _Extent:
    """The farthest row and column of a part written the regular way, from byte scans."""

    def __init__(self):
        self.regular = True
        self.rows = 0  # highest row number (1-based) a row or cell names, or row count
        self.columns = 0  # highest column number (1-based) a cell names
        self.row_count = 0

    def feed(self, body: bytes) -> None:
        if _IRREGULAR.search(body):
            self.regular = False
            return
        self.row_count += body.count(b'<row r="')
        numbers = _ROW_NUMBER.findall(body)
        if numbers:
            self.rows = max(self.rows, _largest(numbers))
        # A cell's own reference places it, whatever its row says; only references with
        # at least as many digits as the farthest row so far can reach beyond it.
        digits = len(str(self.rows)) if self.rows else 1
        far = re.findall(rb'<c r="[A-Z]{1,3}([0-9]{%d,})"' % digits, body)
        if far:
            self.rows = max(self.rows, _largest(far))
        self.rows = max(self.rows, self.row_count)
        wide = _WIDE_CELL.findall(body)
        if wide:
            self.columns = max(self.columns, max(_column_number(w) for w in set(wide)))
        elif self.columns < 26:
            # Single letters: look only for columns beyond the farthest one seen.
            pattern = re.compile(rb'<c r="([%c-Z])' % (ord("A") + self.columns))
            while match := pattern.search(body):
                self.columns = ord(match.group(1)) - ord("A") + 1
                if self.columns == 26:
                    break
                pattern = re.compile(rb'<c r="([%c-Z])' % (ord("A") + self.columns))


def _largest(numbers: list[bytes]) -> int:
    longest = len(max(numbers, key=len))
    return int(max(n for n in numbers if len(n) == longest))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _exact_extent(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> tuple[int, int]:
    """The rows and columns a part's cells span, by a real (expat) parse that follows rows
    and cells without a reference the way spreadsheet readers do: one after the other."""
    from xml.parsers import expat

    state = {"row": 0, "column": 0, "rows": 0, "columns": 0}

    def local(name: str) -> str:
        return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]

    def reference(attributes: dict) -> str | None:
        for key, value in attributes.items():
            if local(key) == "r":
                return value.strip()
        return None

    def start(name: str, attributes: dict) -> None:
        tag = local(name)
        if tag == "row":
            ref = reference(attributes)
            state["row"] = int(ref) if ref and ref.isdigit() else state["row"] + 1
            state["column"] = 0
            state["rows"] = max(state["rows"], state["row"])
        elif tag == "c":
            ref = reference(attributes)
            match = re.fullmatch(r"([A-Za-z]{1,4})([0-9]{1,8})", ref or "")
            if match:
                state["column"] = _column_number(match.group(1).upper().encode())
                state["rows"] = max(state["rows"], int(match.group(2)))
            else:
                state["column"] += 1
            state["columns"] = max(state["columns"], state["column"])

    def refuse(*_args) -> None:
        raise _xml_bomb()

    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    try:
        with archive.open(entry) as part:
            while chunk := part.read(SCAN_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise ExcelFileError(415, f"The workbook part {entry.filename} is not well-formed XML.") from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ExcelFileError(415, "The file is not a readable Excel workbook (corrupt part).") from exc
    return state["rows"], state["columns"]


def read_upload(upload: IO[bytes] | bytes) -> tuple[bytes, str]:
    """The upload's bytes and kind, after the size and content checks."""
    max_bytes = _limit("UPLOAD_MAX_MB", 10) * 1024 * 1024
    if isinstance(upload, bytes):
        data = upload
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > max_bytes:
            raise ExcelFileError(413, f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
        data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ExcelFileError(413, f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data:
        raise ExcelFileError(415, "The file is empty; an Excel workbook (.xlsx or .xls) is expected.")
    kind = sniff(data[:8])
    if kind is None:
        raise ExcelFileError(415, "The file is not an Excel workbook (.xlsx or .xls), whatever its name.")
    if kind == "xlsx":
        _check_xlsx_container(data)
    return data, kind


def open_sheet(data: bytes, kind: str) -> Sheet:
    """The first sheet of a checked workbook (see `read_upload`)."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise ExcelFileError(422, "The workbook has no sheet.")
        sheet = workbook.get_sheet_by_index(0)
        if kind == "xls" and sheet.total_height > _limit("IMPORT_MAX_ROWS", 200_000) + 1:
            raise ExcelFileError(413, "The sheet has more rows than accepted.")
        first_column = (sheet.start or (0, 0))[1]
        merged = sheet.merged_cell_ranges or []
        # iter_rows() yields every row from the sheet's first (row 1), starting at the first
        # used column; the header is the first row with anything in it.
        iterator = sheet.iter_rows()
        header_row, header_values = 0, None
        for values in iterator:
            header_row += 1
            if not all(_empty(v) for v in values):
                header_values = values
                break
    except ExcelFileError:
        raise
    except (CalamineError, ValueError, OSError, RuntimeError) as exc:
        raise ExcelFileError(415, f"The workbook could not be read ({type(exc).__name__}).") from exc
    if header_values is None:
        raise ExcelFileError(422, "The first sheet is empty: a header row is expected on top.")
    for (top, left), (_bottom, right) in merged:
        if top == header_row - 1 and right > left:
            raise ExcelFileError(
                422,
                "The header row has merged cells "
                f"({get_column_letter(left + 1)}{top + 1}:{get_column_letter(right + 1)}{top + 1}); "
                "give every column its own header.",
            )
    headers = [None if _empty(v) else _header_text(v) for v in header_values]
    return Sheet(
        name=workbook.sheet_names[0],
        headers=headers,
        header_row=header_row,
        first_column=first_column,
        rows=_data_rows(iterator, header_row, first_column),
    )


def _data_rows(iterator, header_row: int, first_column: int) -> Iterator[tuple[int, list[Any]]]:
    from python_calamine import CalamineError

    number = header_row
    try:
        for values in iterator:
            number += 1
            if all(_empty(v) for v in values):
                continue
            cleaned = [None if _empty(v) else v for v in values]
            for index, value in enumerate(cleaned):
                if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
                    column = get_column_letter(first_column + index + 1)
                    raise ExcelFileError(
                        422, f"Cell {column}{number} holds more than {EXCEL_CELL_LIMIT} characters."
                    )
            yield number, cleaned
    except CalamineError as exc:
        raise ExcelFileError(415, "The workbook could not be read to the end.") from exc


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
