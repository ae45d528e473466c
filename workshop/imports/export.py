"""Exports: every row a list's filters select, as .xlsx or .csv, with the shop's headers.

`GET /api/v1/<resource>/export/?<the list's filters>&format=xlsx|csv` (ExcelExportMixin) and
`manage.py export_excel` both write through `write_export()`, so a file from either imports
back (`POST /<resource>/import/`) without changing anything.

How values are written (the SPEC is silent on most of this; these are the choices):

- Columns and headers come from the resource's `ResourceSpec` (`<app>/imports.py`), in its
  order; each column reads `Column.export_path` with `values_list()` (no serializer), in chunks.
- Choice fields are written as their values (`in_progress`), as the API returns them.
- Dates: a real date cell formatted `yyyy-mm-dd` in .xlsx; `YYYY-MM-DD` in .csv.
- Datetimes (an inspection's `inspected_at`): the API's own text, ISO 8601 in TIME_ZONE with
  its offset and microseconds (`2025-11-25T09:30:00.123456Z`), in both formats. Excel date
  cells hold milliseconds at best and no time zone, so a date-time cell would not survive
  export → import unchanged; the text does.
- Numbers are number cells; empty text and null are empty cells.
- Formula neutralisation (SPEC): a text starting with `=`, `+`, `-`, `@`, tab or carriage
  return is an explicit text cell in .xlsx (its value unchanged: it reads back as the same
  string and no spreadsheet runs it; Excel's error words such as `#N/A` are text cells too), and
  gets a leading `'` in .csv.
- The import drops exactly one leading `'` when a formula character, another `'` or a whole
  `None`/`null` follows it (`engine.is_quoted`): the .csv mark above, and an escape. A text that
  really starts like that (`'=already quoted`, `''`) or is such a word (`None`, which the import
  would read as an empty cell) gets one more `'`, in both formats (`engine.needs_quote`). So
  every text the API can store comes back unchanged, from the .xlsx and from the .csv (or the
  .csv opened and saved as .xlsx by a spreadsheet).
- Leading and trailing spaces, tabs and carriage returns: the import trims text, as the API
  does on every write (and the admin), so no stored text starts or ends with them; a text
  written some other way with a leading tab is exported as it is (neutralised) and comes
  back trimmed, as the API would have stored it.
- Control characters that XML 1.0 (hence .xlsx) cannot hold (`openpyxl.cell.cell.
  ILLEGAL_CHARACTERS_RE`: U+0000–U+0008, U+000B, U+000C, U+000E–U+001F) are removed, in both
  formats so that both files say the same. They are invisible, usually pasted by accident; a
  replacement character would be written back into the record by a later import.
- In .xlsx a carriage return is written `_x000D_` (and a literal `_xHHHH_` as `_x005F_xHHHH_`),
  OOXML's escape, as Excel writes them: XML readers turn a raw carriage return into a line
  feed. Excel and python-calamine (the import's reader) read the text back unchanged.
- A text longer than Excel's cell limit (32,767 characters) is cut there in .xlsx (openpyxl
  does it; Excel could not open the file otherwise); .csv has no limit.
- .csv is UTF-8 with a byte-order mark (so Excel reads accents right), comma-separated,
  CRLF line ends (RFC 4180).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import structlog
from django.db import models
from django.http import FileResponse, HttpRequest, QueryDict
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from workshop.api.pagination import PAGINATION_PARAMS
from workshop.api.schema import AutoSchema
from workshop.api.serializers import ErrorSerializer, fields_param
from workshop.errors import ValidationFailed
from workshop.imports.engine import NULL_WORDS, QUOTE, needs_quote
from workshop.imports.spec import Column, ResourceSpec, registry
from workshop.jobs.api import PREFER_PARAMETER, accepted, prefers_async, queued_example
from workshop.jobs.models import JobKind
from workshop.jobs.serializers import JobSerializer
from workshop.jobs.services import job_create
from workshop.roles import perm_name

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ExportFormat:
    name: str
    content_type: str
    suffix: str

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0]


XLSX = ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
CSV = ExportFormat("csv", "text/csv; charset=utf-8", ".csv")
FORMATS = {f.name: f for f in (XLSX, CSV)}
DEFAULT_FORMAT = XLSX.name

CHUNK_SIZE = 2000  # rows per database round trip
SPOOL_MAX_BYTES = 8 * 1024 * 1024  # an export bigger than this is built in a temp file on disk
# First characters that make a spreadsheet run a cell as a formula (SPEC).
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
_ERROR_WORDS = frozenset(ERROR_CODES)
_illegal = ILLEGAL_CHARACTERS_RE.search
_strip_illegal = ILLEGAL_CHARACTERS_RE.sub
_literal_escape = re.compile(r"_(x[0-9A-Fa-f]{4}_)").sub

# Column kinds, from the model field an export path ends on.
TEXT, DATE, DATETIME, NUMBER, LIST, OTHER = "text", "date", "datetime", "number", "list", "other"
_WIDTHS = {TEXT: 18, DATE: 12, DATETIME: 27, NUMBER: 12, LIST: 18, OTHER: 12}
LIST_SEPARATOR = ", "  # a JSON array of choices in one cell (WELDING.md §5: "lists comma-separated")


def list_text(value) -> str | None:
    """A JSON array as one cell: its items joined by `, ` (empty: no value); the import's
    list fields (`workshop.api.fields.ChoiceListField`) split it again."""
    if not value:
        return None
    return LIST_SEPARATOR.join(str(item) for item in value)


# ------------------------------------------------------------------------------ values
def clean_text(value: str) -> str:
    """The text without the control characters an .xlsx cannot hold."""
    return _strip_illegal("", value) if _illegal(value) else value


def maybe_special(value: str) -> bool:
    """A cheap first look: whether a (non-empty) text may need more than writing as it is —
    a formula character, a `'` or a null word first, or characters to clean or escape."""
    return (
        value[0] in FORMULA_TRIGGERS
        or value[0] == QUOTE
        or (len(value) <= 4 and value.lower() in NULL_WORDS)
        or _illegal(value) is not None
    )


def csv_text(value: str) -> str:
    """A text for .csv: cleaned, and a leading `'` when a spreadsheet would run it or the
    import would read it otherwise."""
    value = clean_text(value)
    if value and (value[0] in FORMULA_TRIGGERS or needs_quote(value)):
        return QUOTE + value
    return value


def datetime_text(value: dt.datetime) -> str:
    """A datetime as the API shows it: ISO 8601 in TIME_ZONE, `Z` for UTC."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _field_kind(model: type[models.Model], path: str) -> str:
    """TEXT, DATE, … for the model field a `values()` path such as
    `assigned_welder__employee_id` ends on."""
    field = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.is_relation:
            model = field.related_model
    if isinstance(field, models.ForeignKey):  # a relation alone: the related id
        return NUMBER
    if isinstance(field, models.DateTimeField):
        return DATETIME
    if isinstance(field, models.DateField):
        return DATE
    if isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
        return NUMBER
    if isinstance(field, models.CharField | models.TextField):
        return TEXT
    if isinstance(field, models.JSONField):
        return LIST  # the spreadsheet columns of a JSON field are lists of choices
    return OTHER


def _expression_kind(expression) -> str:
    field = expression.output_field
    if isinstance(field, models.DateTimeField):
        return DATETIME
    if isinstance(field, models.DateField):
        return DATE
    if isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
        return NUMBER
    return TEXT if isinstance(field, models.CharField | models.TextField) else OTHER


def column_kinds(spec: ResourceSpec, columns: Iterable[Column]) -> list[str]:
    return [
        _expression_kind(spec.virtual_exports[column.field])
        if column.virtual
        else _field_kind(spec.model, column.export_path)
        for column in columns
    ]


def select_columns(spec: ResourceSpec, fields: list[str] | None) -> tuple[Column, ...]:
    """The spec's columns, or those named in `fields` (API field names), in the spec's order.
    The business key is always written, so the file still imports as an update."""
    if fields is None:
        return spec.columns
    allowed = [c.field for c in spec.columns]
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        raise ValidationFailed(
            {"fields": [f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(allowed)}."]}
        )
    wanted = set(fields) | {spec.key}
    return tuple(c for c in spec.columns if c.field in wanted)


# ------------------------------------------------------------------------------ writers
def _rows(
    queryset: models.QuerySet, columns: tuple[Column, ...], spec: ResourceSpec | None = None
) -> Iterable[tuple]:
    # values_list ignores select_related; prefetching is for model instances only.
    queryset = queryset.prefetch_related(None)
    virtual = {c.field: spec.virtual_exports[c.field] for c in columns if c.virtual} if spec else {}
    if virtual:
        queryset = queryset.annotate(**virtual)
    return queryset.values_list(*(c.export_path for c in columns)).iterator(chunk_size=CHUNK_SIZE)


def ooxml_escape(value: str) -> str:
    """OOXML's own escape for cell text (ST_Xstring), as Excel writes it: a carriage return
    becomes `_x000D_` (XML readers would turn a raw one into a line feed), and a literal
    `_xHHHH_` gets its underscore escaped (`_x005F_xHHHH_`) so that it is not read as one.
    Excel and python-calamine (the import's reader) undo it; openpyxl's reader does not."""
    if "_x" in value:
        value = _literal_escape("_x005F_\\1", value)
    return value.replace("\r", "_x000D_")


def _xlsx_special_text(ws, value: str):
    """A text that is not a plain string cell as it stands: cleaned of illegal characters,
    OOXML-escaped, and an explicit text cell when a spreadsheet would run it (openpyxl would
    make a leading `=` a formula and `#N/A` an error value)."""
    value = clean_text(value)
    if not value:
        return None
    if needs_quote(value):
        value = QUOTE + value
    formula_like = value[0] in FORMULA_TRIGGERS or value in _ERROR_WORDS
    if "\r" in value or "_x" in value:
        value = ooxml_escape(value)
    if formula_like:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _write_xlsx(out: BinaryIO, rows, columns, kinds, title: str, progress) -> int:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.freeze_panes = "A2"
    for index, (column, kind) in enumerate(zip(columns, kinds, strict=True), start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(_WIDTHS[kind], len(column.header) + 2)
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = bold
        header.append(cell)
    ws.append(header)

    text_idx = [i for i, k in enumerate(kinds) if k == TEXT]
    datetime_idx = [i for i, k in enumerate(kinds) if k == DATETIME]
    list_idx = [i for i, k in enumerate(kinds) if k == LIST]
    append = ws.append
    count = 0
    for raw in rows:
        row = list(raw)
        for i in list_idx:
            row[i] = list_text(row[i])
        for i in text_idx:
            value = row[i]
            if not value:
                row[i] = None
            elif maybe_special(value) or value[0] == "#" or "\r" in value or "_x" in value:
                row[i] = _xlsx_special_text(ws, value)
        for i in datetime_idx:
            if row[i] is not None:
                row[i] = datetime_text(row[i])
        append(row)
        count += 1
        if progress is not None and count % CHUNK_SIZE == 0:
            progress(CHUNK_SIZE)
    wb.save(out)
    if progress is not None and count % CHUNK_SIZE:
        progress(count % CHUNK_SIZE)
    return count


def _write_csv(out: BinaryIO, rows, columns, kinds, progress) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow([column.header for column in columns])
        text_idx = [i for i, k in enumerate(kinds) if k == TEXT]
        datetime_idx = [i for i, k in enumerate(kinds) if k == DATETIME]
        list_idx = [i for i, k in enumerate(kinds) if k == LIST]
        writerow = writer.writerow
        count = 0
        for raw in rows:
            row = list(raw)
            for i in list_idx:
                row[i] = list_text(row[i])
            for i in text_idx:
                value = row[i]
                if value and maybe_special(value):
                    row[i] = csv_text(value)
            for i in datetime_idx:
                if row[i] is not None:
                    row[i] = datetime_text(row[i])
            writerow(row)
            count += 1
            if progress is not None and count % CHUNK_SIZE == 0:
                progress(CHUNK_SIZE)
        if progress is not None and count % CHUNK_SIZE:
            progress(count % CHUNK_SIZE)
    finally:
        text.flush()
        text.detach()  # leave `out` open for the caller
    return count


def write_export(
    queryset: models.QuerySet,
    spec: ResourceSpec,
    fmt: str,
    out: BinaryIO,
    *,
    columns: tuple[Column, ...] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write every row of `queryset` (in its order) to the binary file `out` as `fmt`
    (`xlsx` or `csv`), with the spec's headers; `progress(n)` is told as rows are written.
    One database query, read in chunks. Returns the number of rows."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; one of {', '.join(FORMATS)}.")
    columns = spec.columns if columns is None else columns
    kinds = column_kinds(spec, columns)
    rows = _rows(queryset, columns, spec)
    if fmt == XLSX.name:
        return _write_xlsx(out, rows, columns, kinds, spec.resource, progress)
    return _write_csv(out, rows, columns, kinds, progress)


@dataclass(frozen=True)
class TableColumn:
    """A column of a table that is not a resource (`write_table`): its header and kind."""

    header: str
    kind: str = TEXT


def write_table(
    out: BinaryIO, fmt: str, title: str, columns: Sequence[TableColumn], rows: Iterable[tuple]
) -> int:
    """Write computed rows (analytics, reports) to `out` as `fmt`, the way exports are
    written: the same cells, dates and formula neutralisation. Returns the number of rows."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; one of {', '.join(FORMATS)}.")
    kinds = [column.kind for column in columns]
    if fmt == XLSX.name:
        return _write_xlsx(out, rows, columns, kinds, title, None)
    return _write_csv(out, rows, columns, kinds, None)


def export_filename(resource: str, fmt: str, now: dt.datetime | None = None) -> str:
    """`<resource>-YYYYMMDD-HHMMSS.<fmt>`, the time in TIME_ZONE."""
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    return f"{resource}-{stamp}{FORMATS[fmt].suffix}"


# ------------------------------------------------------------------------------ the API action
class JsonOnlyNegotiation(BaseContentNegotiation):
    """The export's own negotiation: the file type is chosen by `format`, which the view
    checks (a bad one is a 422), and errors are JSON. DRF's default would read `format=xlsx`
    as a renderer name and answer 404, and would refuse `Accept: text/csv` with 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    OpenApiParameter.QUERY,
    required=False,
    enum=list(FORMATS),
    default=DEFAULT_FORMAT,
    description="File type: `xlsx` (an Excel workbook, the default) or `csv` (UTF-8 with a BOM).",
)
FIELDS_PARAMETER = OpenApiParameter(
    "fields",
    {"type": "string", "pattern": r"[^\s,]"},  # at least one field name
    OpenApiParameter.QUERY,
    required=False,
    description="Comma list of the columns to write, by field name (default: every column). "
    "The business key is always written, so the file imports back as an update.",
)
EXPORT_DESCRIPTION = (
    "Every row the list's filters, search and sorting select (no pages), as a file with the "
    "shop's headers, so that the file imports back through `POST …/import/` unchanged.\n\n"
    "Dates are date cells (`YYYY-MM-DD` in CSV); date-times are ISO 8601 text in the server's "
    "time zone; choices are their values. A text a spreadsheet would run as a formula (first "
    "character `=`, `+`, `-`, `@`, tab or carriage return) is written as a text cell in .xlsx "
    "and with a leading `'` in .csv. A text that already starts with `'` and then one of those "
    "characters or another `'`, or that is `None` or `null`, gets one more leading `'` in both "
    "formats; the import removes exactly one again. Control characters an .xlsx cannot hold are "
    "removed.\n\n"
    'Answers `Content-Disposition: attachment; filename="<resource>-YYYYMMDD-HHMMSS.xlsx"`. '
    "An unknown `format`, a page parameter or any bad filter value is a `422`."
)
POST_EXPORT_DESCRIPTION = (
    "The same export as `GET`, with the filters (and `format`, `fields`) in a JSON body — "
    '`{"status": ["pending", "on_hold"], "format": "csv"}` — or in the query string, not both. '
    "With `Prefer: respond-async` it answers `202 Accepted` at once with a background job "
    "(`Location: /api/v1/jobs/{id}/`), whose `result` names the file and "
    "`GET /api/v1/jobs/{id}/download` serves it; without, it answers the file like `GET`."
)
FILE_DESCRIPTION = (
    "The file, as an attachment: an .xlsx workbook (one sheet) or a .csv (UTF-8 with a BOM), "
    "header row first."
)


def file_response(
    write: Callable[[BinaryIO], int], *, fmt: str, filename: str, started: float, event: str, **log_fields
) -> FileResponse:
    """The file `write(out)` writes (returning its row count), as an attachment: spooled in
    memory up to SPOOL_MAX_BYTES, then on disk; logged as `event` with its rows, bytes and
    time since `started` (a `perf_counter()`); never stored by browsers or proxies."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)  # noqa: SIM115 - the response closes it
    try:
        rows = write(out)
    except BaseException:
        out.close()
        raise
    size = out.tell()
    out.seek(0)
    log.info(
        event,
        **log_fields,
        format=fmt,
        rows=rows,
        bytes=size,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    response = FileResponse(
        out, as_attachment=True, filename=filename, content_type=FORMATS[fmt].content_type
    )
    response["Cache-Control"] = "no-store"
    return response


# Documented for generated clients too: a generator yields bytes for `application/octet-stream`
# (an `Accept` header changes nothing: `format` decides the file type).
OCTET_STREAM = "application/octet-stream"


def file_responses(description: str = FILE_DESCRIPTION) -> dict:
    """The `200` of an endpoint that answers a file: .xlsx, .csv, and as plain bytes."""
    return {
        (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=description)
        for media_type in (OCTET_STREAM, XLSX.media_type, CSV.media_type)
    }


EXPORT_422_EXAMPLE = OpenApiExample(
    "Unknown format",
    value={
        "detail": "format: Must be one of: xlsx, csv.",
        "error_code": "VALIDATION_ERROR",
        "timestamp": "2025-11-25T09:30:00Z",
        "request_id": "0b5c8f0e3a5d4c1e",
        "errors": {"format": ["Must be one of: xlsx, csv."]},
    },
    response_only=True,
    status_codes=["422"],
)


def export_format(params) -> str:
    value = params.get("format", DEFAULT_FORMAT).strip().lower()
    if value not in FORMATS:
        raise ValidationFailed({"format": [f"Must be one of: {', '.join(FORMATS)}."]})
    return value


def reject_paging(params) -> None:
    given = sorted(name for name in PAGINATION_PARAMS if name in params)
    if given:
        raise ValidationFailed(
            {name: ["An export has every matching row: it takes no page parameters."] for name in given}
        )


class ExportSchema(AutoSchema):
    """The export's OpenAPI operation, named after each ViewSet's resource: its summary
    and its column list come from the resource's spec when the schema is generated."""

    def _spec(self) -> ResourceSpec | None:
        return registry().get(getattr(self.view, "excel_resource", ""))

    def _get_parameters(self):
        """`fields` is an array of the resource's column field names (an enum, as a list's)."""
        parameters = super()._get_parameters()
        spec = self._spec()
        for parameter in parameters:
            if spec is not None and parameter["name"] == "fields" and parameter["in"] == "query":
                parameter["schema"] = {
                    "type": "array",
                    "items": {"type": "string", "enum": [c.field for c in spec.columns]},
                }
                parameter["style"], parameter["explode"] = "form", False
        return parameters

    def get_summary(self):
        spec = self._spec()
        plural = spec.model._meta.verbose_name_plural if spec else "rows"
        return f"Export {plural} as .xlsx or .csv"

    def get_description(self):
        spec = self._spec()
        if spec is None:
            return EXPORT_DESCRIPTION
        columns = ", ".join(f"`{c.header}`" for c in spec.columns)
        return f"{EXPORT_DESCRIPTION}\n\nColumns, in this order: {columns}."


def export_params(request) -> QueryDict:
    """The export's filters: the query string (GET), or for POST the JSON body's object of
    filter → value (a list is a comma list: `{"status": ["pending", "on_hold"]}`) or the
    query string — one or the other."""
    if request.method == "GET":
        return request.query_params
    body = request.data
    if body == "" or body == {}:  # no body (or an empty object): the query string's filters
        return request.query_params
    if not isinstance(body, dict):  # JSON null, a list, a number …: not an object of filters
        raise ValidationFailed('The body must be a JSON object of filters, e.g. {"status": "pending"}.')
    if request.query_params:
        raise ValidationFailed("Give the export's filters in the body or in the query string, not both.")
    params = QueryDict(mutable=True)
    for name, value in body.items():
        values = value if isinstance(value, list) else [value]
        texts = []
        for item in values:
            if isinstance(item, dict | list) or item is None:
                raise ValidationFailed({name: ["A text, a number, true/false, or a list of them."]})
            texts.append(str(item).lower() if isinstance(item, bool) else str(item))
        params[name] = ",".join(texts)  # a list is the query string's comma list
    params._mutable = False
    return params


def export_view(view_class, *, user, params: QueryDict, request_id: str | None = None):
    """A ViewSet instance set up as if `user` had sent a GET export with `params`: its own
    filters, search, sorting and scoping apply (a job runs them later on a worker, and
    POST's body filters run them too), so an export has one definition of "the list"."""
    http = HttpRequest()
    http.method = "GET"
    http.GET = params
    http.user = user
    http.request_id = request_id
    request = Request(http)
    request.user = user
    view = view_class()
    view.request, view.args, view.kwargs, view.format_kwarg = request, (), {}, None
    view.action = "export"
    return view


class ExcelExportMixin:
    """Adds `GET /<resource>/export/?<list filters>&format=xlsx|csv` to a ViewSet that sets
    `excel_resource` (a key of workshop.imports.spec.registry()). It needs the model's
    `export_<model>` permission."""

    excel_resource: str = ""

    @property
    def excel_spec(self) -> ResourceSpec:
        return registry()[self.excel_resource]

    def get_required_perms(self) -> list[str] | None:
        if self.action == "export":
            return [perm_name(self.excel_spec.model, "export")]
        return super().get_required_perms()

    @extend_schema(
        methods=["GET"],
        filters=True,  # the list's filters, search and sorting (not its pages)
        parameters=[FORMAT_PARAMETER, FIELDS_PARAMETER],
        responses={
            **file_responses(FILE_DESCRIPTION),
            422: OpenApiResponse(
                ErrorSerializer,
                description="Unknown `format`, page parameters, or a bad filter, sort or field value "
                "(`VALIDATION_ERROR`).",
                examples=[EXPORT_422_EXAMPLE],
            ),
        },
    )
    @extend_schema(
        methods=["POST"],
        filters=True,
        description=POST_EXPORT_DESCRIPTION,
        parameters=[FORMAT_PARAMETER, FIELDS_PARAMETER, PREFER_PARAMETER],
        request={"application/json": OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "Filters in the body",
                value={"status": ["pending", "on_hold"], "format": "csv"},
                request_only=True,
            ),
            queued_example("export"),
            EXPORT_422_EXAMPLE,
        ],
        responses={
            **file_responses(FILE_DESCRIPTION),
            202: OpenApiResponse(JobSerializer, description="The export job (`Prefer: respond-async`)."),
            422: OpenApiResponse(
                ErrorSerializer,
                description="Unknown `format`, page parameters, a bad filter, sort or field value, or "
                "filters in both the body and the query (`VALIDATION_ERROR`).",
                examples=[EXPORT_422_EXAMPLE],
            ),
        },
    )
    @action(
        detail=False,
        methods=["get", "post"],
        url_path="export",
        renderer_classes=[JSONRenderer],  # for error bodies; the file is a FileResponse
        content_negotiation_class=JsonOnlyNegotiation,
        schema=ExportSchema(),
    )
    def export(self, request, *args, **kwargs):
        """Every row the list's filters select, as a file to download (or, with POST and
        `Prefer: respond-async`, as a background job whose result is the file)."""
        started = time.perf_counter()
        params = export_params(request)
        fmt = export_format(params)
        reject_paging(params)
        spec = self.excel_spec
        fields = fields_param(params)
        columns = select_columns(spec, fields)
        view = self
        if request.method != "GET":
            view = export_view(type(self), user=request.user, params=params, request_id=request.request_id)
        queryset = view.filter_queryset(view.get_queryset())  # a bad filter is a 422 here
        if request.method == "POST" and prefers_async(request):
            job = job_create(
                kind=JobKind.EXPORT,
                params={
                    "resource": spec.resource,
                    "format": fmt,
                    "query": dict(params.lists()),
                    "fields": fields,
                },
                user=request.user,
                request_id=request.request_id,
            )
            return accepted(job, request)
        return file_response(
            lambda out: write_export(queryset, spec, fmt, out, columns=columns),
            fmt=fmt,
            filename=export_filename(spec.resource, fmt),
            started=started,
            event="export.finished",
            resource=spec.resource,
        )
