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
    """Zip-level checks before any XML is parsed."""
    max_uncompressed = _limit("IMPORT_MAX_UNCOMPRESSED_MB", 200) * 1024 * 1024
    max_entries = _limit("IMPORT_MAX_ZIP_ENTRIES", 1000)
    max_ratio = _limit("IMPORT_MAX_COMPRESSION_RATIO", 200)
    max_rows = _limit("IMPORT_MAX_ROWS", 200_000)
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
    with archive:
        for entry in entries:
            if entry.filename.endswith((".xml", ".rels", ".vml")):
                _check_xml_prolog(archive, entry)
        sheet = _first_sheet_path(archive)
        if sheet in names:
            rows = _count_rows(archive, archive.getinfo(sheet), max_uncompressed)
            if rows > max_rows + 1:  # + the header row
                raise ExcelFileError(
                    413, f"The sheet has {rows - 1} data rows; at most {max_rows} are accepted."
                )


def _check_xml_prolog(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    try:
        with archive.open(entry) as part:
            head = part.read(PROLOG_BYTES)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ExcelFileError(415, "The file is not a readable Excel workbook (corrupt part).") from exc
    upper = head.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise ExcelFileError(
            415, "The workbook contains XML with a DOCTYPE or entities (an XML bomb?); refused."
        )


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The part of the first sheet in workbook order (what calamine reads as index 0)."""
    import re

    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return "xl/worksheets/sheet1.xml"
    first = re.search(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", workbook) or re.search(
        rb"<(?:\w+:)?sheet\b[^>]*?\bid=\"([^\"]+)\"", workbook
    )
    if not first:
        return "xl/worksheets/sheet1.xml"
    rel_id = re.escape(first.group(1))
    target = re.search(
        rb"<Relationship\b[^>]*?\bId=\"" + rel_id + rb"\"[^>]*?\bTarget=\"([^\"]+)\"", rels
    ) or re.search(rb"<Relationship\b[^>]*?\bTarget=\"([^\"]+)\"[^>]*?\bId=\"" + rel_id + rb"\"", rels)
    if not target:
        return "xl/worksheets/sheet1.xml"
    path = target.group(1).decode("utf-8", "replace").lstrip("/")
    return path if path.startswith("xl/") else f"xl/{path}"


def _count_rows(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, max_bytes: int) -> int:
    """Counts `<row` elements by streaming the sheet's XML (bounded by the size check)."""
    count, tail, read = 0, b"", 0
    with archive.open(entry) as part:
        while chunk := part.read(1024 * 1024):
            read += len(chunk)
            if read > max_bytes:
                raise ExcelFileError(413, "The sheet is larger than accepted; refused.")
            block = tail + chunk
            count += block.count(b"<row ") + block.count(b"<row>") + block.count(b":row ")
            tail = block[-5:]
            count -= tail.count(b"<row ") + tail.count(b"<row>") + tail.count(b":row ")
    return count


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
