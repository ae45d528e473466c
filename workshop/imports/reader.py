"""Reading untrusted Excel files: recognise them by content, refuse bombs before parsing,
then read the first sheet with python-calamine (Rust; reads .xlsx and legacy .xls, takes
formulas as their cached values and never evaluates them).

Refusals are `ExcelFileError`s (domain `Rejected` errors) with the status the API answers:
- 415 UNSUPPORTED_MEDIA_TYPE: not an Excel file by content (a renamed CSV or PDF, an empty
  file, a corrupt zip or compound file), XML with a DOCTYPE/ENTITY anywhere (an XML bomb,
  external entities), or XML that is not UTF-8;
- 413 PAYLOAD_TOO_LARGE: over the upload limit, a zip bomb (uncompressed size, entry count,
  compression ratio), more rows than the import limit, or a sheet whose cells span more
  than IMPORT_MAX_CELLS (rows × columns from the first cell to the farthest one: the
  reader's grid is dense, so one far cell in a tiny file would cost gigabytes);
- 422 VALIDATION_ERROR: a readable file whose sheet cannot be imported (no header row,
  merged header cells, a cell longer than Excel allows).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from openpyxl.utils import get_column_letter

from workshop.errors import Rejected

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound document
EXCEL_CELL_LIMIT = 32_767  # characters Excel itself allows in a cell


class ExcelFileError(Rejected):
    """A file refused before its rows are run: 413 (too large, a zip bomb), 415 (not an
    Excel workbook), 422 (no sheet, no header, merged header cells)."""

    def __init__(self, status_code: int, message: str):
        super().__init__(status_code, message)

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def message(self) -> str:
        return self.detail


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
    # At most this many data rows (blank rows included): a total for progress reports.
    rows_hint: int | None = None

    def column_letter(self, index: int) -> str:
        return get_column_letter(self.first_column + index + 1)


def sniff(head: bytes) -> str | None:
    """`"xlsx"`, `"xls"` or None, from the first bytes (never from the file name)."""
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(XLS_MAGIC):
        return "xls"
    return None


def _check_xlsx_container(data: bytes) -> int:
    """Zip-level checks, then one streaming pass over every part, before any XML is parsed:
    DOCTYPEs and entities are refused, and how far rows and cells reach is measured
    (python-calamine holds a sheet as a dense grid from its first to its last cell, so a
    tiny file naming cell XFD1048576 would otherwise ask for tens of gigabytes). Returns the
    last row any part reaches."""
    archive, entries = _check_xlsx_zip(data)
    return _scan_parts(archive, entries)


def _check_xlsx_zip(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The zip-level checks alone (its directory: parts, sizes, ratios), in milliseconds
    whatever the sheet's size; the archive and its entries."""
    max_uncompressed = _limit("IMPORT_MAX_UNCOMPRESSED_MB", 200) * 1024 * 1024
    max_entries = _limit("IMPORT_MAX_ZIP_ENTRIES", 1000)
    max_ratio = _limit("IMPORT_MAX_COMPRESSION_RATIO", 200)
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
    return archive, entries


def _scan_parts(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> int:
    """One streaming pass over every part (DOCTYPEs refused, rows and cells measured)."""
    max_rows = _limit("IMPORT_MAX_ROWS", 200_000)
    max_cells = _limit("IMPORT_MAX_CELLS", 5_000_000)
    # Every part is scanned, not only the one we take for the first sheet: which part
    # python-calamine reads is decided by its own parse of workbook.xml and its rels.
    rows = columns = 0
    with archive:
        for entry in entries:
            if entry.is_dir():
                continue
            part_rows, part_columns = _scan_part(archive, entry)
            rows, columns = max(rows, part_rows), max(columns, part_columns)
    if rows > max_rows + 1:  # + the header row
        raise ExcelFileError(413, f"The sheet reaches row {rows}: at most {max_rows} data rows are accepted.")
    if rows * columns > max_cells:
        raise ExcelFileError(
            413,
            f"The sheet spans {rows} rows × {columns} columns; at most {max_cells} cells are accepted.",
        )
    return rows


SCAN_CHUNK = 4 * 1024 * 1024
MAX_TAG_BYTES = 1024 * 1024  # no tag of a sane part is longer
# Entity declarations come inside a DOCTYPE; quick-xml (python-calamine's parser) knows both
# only written exactly so, and expands no entity of a DOCTYPE anyway: this is defence in depth.
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# Rows and cells as Excel, openpyxl and LibreOffice write them: `<row r="12"` and
# `<c r="B12"`, the reference first, no namespace prefix. Anything else (a prefix, a missing
# or late `r`, an odd reference) is measured by the slower, lenient tag scan.
_IRREGULAR = re.compile(
    rb"<[^\s<>/!?]*:(?:c|row)[\s/>]"
    rb"|<(?:c|row)(?:[\t\n\r/>]| (?!r=\"))"
    rb"|<c r=\"(?![A-Z]{1,3}[1-9][0-9]{0,6}\")"
    rb"|<row r=\"(?![1-9][0-9]{0,6}\")"
)
_ROW_NUMBER = re.compile(rb'<row r="([0-9]+)"')
_WIDE_CELL = re.compile(rb'<c r="([A-Z]{2,3})[0-9]')
XML_PART_SUFFIXES = (".xml", ".rels", ".vml")


def _scan_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> tuple[int, int]:
    """One streaming pass over a part (every part: python-calamine reads the sheet from
    whatever part the workbook's relationships name). Refuses a DOCTYPE or entity
    declaration in an XML part (an XML bomb, external entities) and UTF-16 XML; returns how
    many rows and columns cells in the part can span in the reader's grid."""
    extent = _Extent()
    xml_part = entry.filename.lower().endswith(XML_PART_SUFFIXES)
    try:
        with archive.open(entry) as part:
            chunk = part.read(SCAN_CHUNK)
            if xml_part:
                _refuse_utf16(chunk, entry.filename)
            tail = b""
            while chunk:
                block = tail + chunk
                cut = block.rfind(b">") + 1  # whole tags only: no pattern of the scan holds a ">"
                if cut == 0 or len(block) - cut > MAX_TAG_BYTES:
                    # No tag ends here (binary data, or an enormous tag): not a regular sheet.
                    extent.regular = False
                    cut = max(0, len(block) - 16)  # keep an overlap for the DOCTYPE search
                body, tail = block[:cut], block[cut:]
                if xml_part and _DOCTYPE.search(body):
                    raise _xml_bomb()
                if extent.regular:
                    extent.feed(body)
                chunk = part.read(SCAN_CHUNK)
            if xml_part and _DOCTYPE.search(tail):
                raise _xml_bomb()
            if extent.regular:
                return extent.rows, extent.columns
        return _lenient_extent(archive.read(entry))
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ExcelFileError(415, "The file is not a readable Excel workbook (corrupt part).") from exc


def _xml_bomb() -> ExcelFileError:
    return ExcelFileError(
        415, "The workbook contains XML with a DOCTYPE or entities (an XML bomb?); refused."
    )


def _refuse_utf16(head: bytes, name: str) -> None:
    """Excel writes UTF-8 only; python-calamine would read a UTF-16 sheet as empty."""
    if head.startswith((b"\xff\xfe<\x00", b"\xfe\xff\x00<", b"<\x00", b"\x00<")):
        raise ExcelFileError(415, f"The workbook part {name} is XML in UTF-16, not UTF-8; refused.")


class _Extent:
    """The farthest row and column of a part written the regular way, from byte scans
    (every cell has its reference, so the farthest reference is the grid's corner)."""

    def __init__(self):
        self.regular = True
        self.rows = 0  # highest row number (1-based) a row or cell names, or the row count
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
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


# Any start, end or empty tag named `row` or `c` (with any prefix), quoted values respected.
_ROW_OR_CELL_TAG = re.compile(rb"<(/?)(?:[^\s<>/!?]*:)?(row|c)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_R_VALUE = re.compile(rb"(?:^|[\s\"'])r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CELL_REF = re.compile(rb"([A-Za-z]*)([0-9]+)")
FAR = 10**10  # a row or column number past anything the reader accepts (it keeps them in u32)


def _number(digits: bytes) -> int:
    return int(digits) if len(digits) <= 9 else FAR


def _lenient_extent(data: bytes) -> tuple[int, int]:
    """(rows, columns) a part's cells can reach, following python-calamine's rules: a row's
    `r` sets the row, the end of a row moves to the next one and back to column A, a cell's
    `r` places it, a cell without one takes the next column. Wherever this scan could read a
    tag differently from the XML parser (a candidate `r` inside another attribute's value, a
    tag inside a comment, an empty element), it takes the larger reading, so the result is
    never less than what the reader will build."""
    row = column = 0  # 0-based, like the reader's counters
    rows = columns = 0  # 1-based extents of the cells seen
    for match in _ROW_OR_CELL_TAG.finditer(data):
        closing, name, attributes = match.groups()
        if closing:
            if name == b"row":
                row, column = row + 1, 0
            continue
        refs = [(a or b).strip() for a, b in _R_VALUE.findall(attributes)]
        if name == b"row":
            numbers = [_number(v) for v in refs if v.isdigit()]
            if numbers:
                row = max(row, max(numbers) - 1)
            if attributes.rstrip().endswith(b"/"):  # <row/>: read as a start and an end
                row, column = row + 1, 0
            continue
        for value in refs:
            ref = _CELL_REF.fullmatch(value)
            if ref:
                if ref.group(1):
                    column = max(column, _column_number(ref.group(1)) - 1)
                rows = max(rows, _number(ref.group(2)))
        rows, columns = max(rows, row + 1), max(columns, column + 1)
        column += 1
    return rows, columns


@dataclass(frozen=True)
class Upload:
    """A checked upload: its bytes, its kind (`xlsx`/`xls`) and the last row any part of it
    reaches (the header included) — how many data rows it holds at most, known before any
    sheet is parsed."""

    data: bytes
    kind: str
    rows: int | None  # None: not measured yet (`check_upload(…, scan=False)`)

    @property
    def data_rows(self) -> int | None:
        return None if self.rows is None else max(self.rows - 1, 0)


def check_upload(upload: IO[bytes] | bytes, *, scan: bool = True) -> Upload:
    """The upload after the size and content checks (no sheet parsed yet). `scan=False`
    leaves the pass over an .xlsx's parts (DOCTYPEs, how far rows and cells reach: about
    5 ms per 1,000 rows) to whoever parses it later — `read_upload` always does it — and
    checks only the size, the content type and the zip's directory, in milliseconds."""
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
    if kind == "xls":
        rows = _check_xls(data)
    elif scan:
        rows = _check_xlsx_container(data)
    else:
        _check_xlsx_zip(data)[0].close()
        rows = None
    return Upload(data=data, kind=kind, rows=rows)


def read_upload(upload: IO[bytes] | bytes) -> tuple[bytes, str]:
    """The upload's bytes and kind, after the size and content checks."""
    checked = check_upload(upload)
    return checked.data, checked.kind


# ----------------------------------------------------------------------------- legacy .xls
FREE_SECTOR = 0xFFFFFFFA  # this and above: end of chain, FAT/DIFAT sector, free
# BIFF records that place a cell at (row, column) in their first four bytes (BIFF2 to BIFF8).
_CELL_RECORDS = frozenset(
    {0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205,
     0x0206, 0x027E, 0x0406}
)  # fmt: skip
_MULTI_CELL_RECORDS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first column … last column
BOUNDSHEET, BIFF_EOF = 0x0085, 0x000A


def _check_xls(data: bytes) -> int:
    """A legacy workbook: its compound-file structure is walked, and every cell record of
    the workbook stream is located, before python-calamine sees the file (it would hold a
    sheet whose last cell is IV65536 as 16 million cells)."""
    max_rows = _limit("IMPORT_MAX_ROWS", 200_000)
    max_cells = _limit("IMPORT_MAX_CELLS", 5_000_000)
    try:
        streams = _ole_streams(data, {"workbook", "book"})
    except (struct.error, IndexError, ValueError) as exc:
        raise ExcelFileError(415, "The file is not a readable Excel workbook (corrupt .xls).") from exc
    if not streams:
        raise ExcelFileError(415, "The file is an OLE2 document but not an Excel workbook (.xls).")
    rows = columns = 0
    for stream in streams:
        stream_rows, stream_columns = _biff_extent(stream)
        rows, columns = max(rows, stream_rows), max(columns, stream_columns)
    if rows > max_rows + 1:
        raise ExcelFileError(413, f"The sheet reaches row {rows}: at most {max_rows} data rows are accepted.")
    if rows * columns > max_cells:
        raise ExcelFileError(
            413,
            f"The sheet spans {rows} rows × {columns} columns; at most {max_cells} cells are accepted.",
        )
    return rows


def _ole_streams(data: bytes, wanted: set[str]) -> list[bytes]:
    """The streams of a compound file (OLE2) whose lower-cased names are in `wanted`.
    Raises ValueError on anything inconsistent (chains out of range or looping)."""
    if len(data) < 512:
        raise ValueError("short header")
    sector_shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if sector_shift not in (9, 12) or mini_shift != 6:
        raise ValueError("sector size")
    size = 1 << sector_shift
    sectors = (len(data) - 1) // size  # sector i starts at (i + 1) * size, after the header
    (fat_count, first_directory, _sig, cutoff, first_minifat, _minifat_count, first_difat, difat_count) = (
        struct.unpack_from("<IIIIIIII", data, 0x2C)
    )
    if fat_count > sectors:
        raise ValueError("FAT count")

    def sector(index: int) -> bytes:
        if index >= sectors:
            raise ValueError("sector out of range")
        start = (index + 1) * size
        return data[start : start + size]

    fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < FREE_SECTOR]
    difat, seen = first_difat, 0
    while difat < FREE_SECTOR:
        seen += 1
        if seen > difat_count or seen > sectors:
            raise ValueError("DIFAT chain")
        entries = struct.unpack(f"<{size // 4}I", sector(difat))
        fat_sectors += [s for s in entries[:-1] if s < FREE_SECTOR]
        difat = entries[-1]
    if len(fat_sectors) > sectors:
        raise ValueError("FAT sectors")
    fat = struct.unpack(f"<{len(fat_sectors) * size // 4}I", b"".join(sector(s) for s in fat_sectors))

    def chain(start: int, table, read, limit: int) -> bytes:
        parts, current = [], start
        while current < FREE_SECTOR:
            if len(parts) >= limit or current >= len(table):
                raise ValueError("chain out of range or looping")
            parts.append(read(current))
            current = table[current]
        return b"".join(parts)

    directory = chain(first_directory, fat, sector, sectors)
    entries = []
    for offset in range(0, len(directory) - 127, 128):
        name_length, kind = struct.unpack_from("<HB", directory, offset + 64)
        name = directory[offset : offset + min(name_length, 64)].decode("utf-16-le", "replace").rstrip("\x00")
        start, length = struct.unpack_from("<II", directory, offset + 116)
        entries.append((name, kind, start, length))
    found = []
    small = [e for e in entries if e[1] == 2 and e[0].lower() in wanted and e[3] < cutoff]
    if small:  # streams under the cut-off live in 64-byte sectors of the root's mini stream
        root = next((e for e in entries if e[1] == 5), None)
        if root is None:
            raise ValueError("no root entry")
        mini_stream = chain(root[2], fat, sector, sectors)
        raw = chain(first_minifat, fat, sector, sectors)
        minifat = struct.unpack(f"<{len(raw) // 4}I", raw)

        def mini(index: int) -> bytes:
            if (index + 1) * 64 > len(mini_stream):
                raise ValueError("mini sector out of range")
            return mini_stream[index * 64 : (index + 1) * 64]

        found += [chain(start, minifat, mini, len(minifat))[:length] for _n, _k, start, length in small]
    for name, kind, start, length in entries:
        if kind == 2 and name.lower() in wanted and length >= cutoff:
            found.append(chain(start, fat, sector, sectors)[:length])
    return found


def _biff_extent(stream: bytes) -> tuple[int, int]:
    """(rows, columns) the cell records of a BIFF workbook stream reach. The records are
    walked from the start to the end, and from every sheet's offset to that sheet's EOF
    record (a reader seeks there, and the offset may point into another record). A walk that
    meets a record already walked stops; the whole scan visits at most two records per four
    bytes of stream, else the structure is refused as inconsistent."""
    rows = columns = 0
    budget = len(stream) // 2 + 64
    starts, visited = [(0, False)], set()
    while starts:
        position, to_eof = starts.pop()
        while position + 4 <= len(stream) and position not in visited:
            visited.add(position)
            if len(visited) > budget:
                raise ExcelFileError(415, "The file is not a readable Excel workbook (inconsistent .xls).")
            kind, length = struct.unpack_from("<HH", stream, position)
            body = position + 4
            if kind in _CELL_RECORDS and length >= 4:
                row, column = struct.unpack_from("<HH", stream, body)
                rows, columns = max(rows, row + 1), max(columns, column + 1)
            elif kind in _MULTI_CELL_RECORDS and length >= 6:
                row, _first = struct.unpack_from("<HH", stream, body)
                (last,) = struct.unpack_from("<H", stream, body + length - 2)
                rows, columns = max(rows, row + 1), max(columns, last + 1)
            elif kind == BOUNDSHEET and length >= 4:
                starts.append((struct.unpack_from("<I", stream, body)[0], True))
            elif kind == BIFF_EOF and to_eof:
                break
            position = body + length
    return rows, columns


def open_sheet(data: bytes, kind: str) -> Sheet:
    """The first sheet of a checked workbook (see `read_upload`)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise ExcelFileError(422, "The workbook has no sheet.")
        sheet = workbook.get_sheet_by_index(0)
        first_column = (sheet.start or (0, 0))[1]
        last_row = (sheet.end or (-1, 0))[0] + 1  # as Excel numbers it
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
    except Exception as exc:  # CalamineError and whatever else a hostile file provokes
        raise ExcelFileError(415, f"The workbook could not be read ({type(exc).__name__}).") from exc
    except BaseException as exc:
        if _is_panic(exc):
            raise ExcelFileError(415, "The workbook could not be read.") from exc
        raise
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
        rows_hint=max(last_row - header_row, 0),
    )


def _data_rows(iterator, header_row: int, first_column: int) -> Iterator[tuple[int, list[Any]]]:
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
    except ExcelFileError:
        raise
    except Exception as exc:
        raise ExcelFileError(415, "The workbook could not be read to the end.") from exc
    except BaseException as exc:
        if _is_panic(exc):
            raise ExcelFileError(415, "The workbook could not be read to the end.") from exc
        raise


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic inside python-calamine surfaces as pyo3's PanicException, which derives
    from BaseException (so `except Exception` misses it)."""
    return type(exc).__name__ == "PanicException"


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
