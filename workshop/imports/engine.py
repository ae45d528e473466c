"""The import engine: a sheet's rows → validated records, upserted by business key,
all-or-nothing.

Every cell goes through the resource's own API serializer field (so the rules are the
API's: tolerant choices, lenient dates, lengths, ranges), rows through the model's
`clean()`, and records that name other records (a welder, a work order) are found in bulk.
Through the API, each row is also held to what the user's role may do there (an operator
changes only their own records). New rows are inserted and changed rows updated with bulk
operations, a batch at a time as the rows pass, in one transaction that any bad row rolls
back: nothing is written unless every row is valid. The records to update are locked (in id
order) before they are compared with the file, so what an import changes — and the stock
ledger's corrections — is measured against the rows as they are, not as they were before a
concurrent write. Importing the same file twice changes
nothing the second time.

History: a file may carry `CreatedAt` (any resource) for the records it creates, so a shop
can load its past years — managers and admins only (a file with the column from anyone else
is refused at its header); on a record that exists the cell must be empty or its stored
`created_at` (an import never changes when a record was created). An app's `prepare_row`
rule adds what follows from a row (a work order's `completed_at`, from its status).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date
from rest_framework import serializers
from rest_framework.fields import SkipField, empty
from rest_framework.validators import UniqueValidator

from workshop.events.context import IMPORT, sourcing
from workshop.history.records import CREATED, UPDATED, record_rows
from workshop.imports.reader import Sheet
from workshop.imports.spec import CREATED_AT, Column, ResourceSpec, normalise_header
from workshop.roles import user_may, user_may_own_only, user_may_record_history

log = structlog.get_logger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NULL_WORDS = {"none", "null"}  # a text cell that says so is an empty cell
QUOTE = "'"
MAX_REPORTED_ERRORS = 1000
BATCH = 1000  # rows per INSERT / UPDATE statement
WRITE_BATCH = 5000  # records held before they are written
LOOKUP_CHUNK = 5000  # values per `IN (…)` query


@dataclass
class ImportOutcome:
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # Writes that need the ExcelImport record (entries of a template upload): called with
    # the saved record, in the same transaction.
    on_saved: Any = None


class ImportRejected(Exception):
    """The file cannot be imported: its problems, as `{row, column, message}` — the first
    MAX_REPORTED_ERRORS of them — and how many there are in all (`total_errors`)."""

    def __init__(self, errors: list[dict], total_rows: int = 0, total_errors: int | None = None):
        self.total_errors = len(errors) if total_errors is None else total_errors
        super().__init__(f"{self.total_errors} error(s)")
        self.errors = errors
        self.total_rows = total_rows


def error(row: int, column: str, message: str) -> dict:
    return {"row": row, "column": column, "message": message}


def _in_sheet_order(problem: dict) -> tuple[int, str]:
    return problem["row"], problem["column"]


class RowErrors:
    """The problems of a file's rows: every one counted, the first `limit` of them (by row,
    then column) kept for the report, so that a file of bad rows is checked to its end
    without holding a message for each."""

    def __init__(self, limit: int = MAX_REPORTED_ERRORS):
        self.limit = limit
        self.total = 0
        self._kept: list[dict] = []

    def append(self, problem: dict) -> None:
        self.total += 1
        self._kept.append(problem)
        if len(self._kept) >= 2 * self.limit:
            self._trim()

    def extend(self, problems) -> None:
        for problem in problems:
            self.append(problem)

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total

    def listed(self) -> list[dict]:
        """The first `limit` problems, in the sheet's order."""
        self._trim()
        return list(self._kept)

    def _trim(self) -> None:
        # Whatever is cut has `limit` problems before it already: it cannot be among the first.
        self._kept.sort(key=_in_sheet_order)
        del self._kept[self.limit :]


# ----------------------------------------------------------------------------- headers
@dataclass
class Layout:
    """Which sheet column feeds which spec column."""

    positions: dict[str, int]  # field → index in the row
    headers: dict[str, str]  # field → the header as the file spells it
    ignored: list[str]


def match_headers(
    spec: ResourceSpec, sheet: Sheet, required: set[str], extra: tuple[Column, ...] = ()
) -> Layout:
    """The sheet's columns matched to the spec's (and to `extra` ones, e.g. `CreatedAt`)."""
    by_header = {}
    for column in (*spec.columns, *extra):
        for name in column.matches():
            by_header[name] = column
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[dict] = []
    for index, header in enumerate(sheet.headers):
        if header is None:
            continue
        column = by_header.get(normalise_header(header))
        if column is None:
            ignored.append(header)
            continue
        if column.field in positions:
            problems.append(
                error(
                    sheet.header_row,
                    header,
                    f"Column {sheet.column_letter(index)} repeats the column "
                    f"'{headers[column.field]}' ({column.header}).",
                )
            )
            continue
        positions[column.field] = index
        headers[column.field] = header
    for name in sorted(required - set(positions), key=lambda f: [c.field for c in spec.columns].index(f)):
        problems.append(error(sheet.header_row, spec.column(name).header, "Required column is missing."))
    if problems:
        raise ImportRejected(problems)
    return Layout(positions=positions, headers=headers, ignored=ignored)


# ----------------------------------------------------------------------------- cells
def is_quoted(text: str) -> bool:
    """Whether a text's leading `'` is a mark that the import drops (exactly one): before a
    formula character (the .csv export's neutralisation, SPEC §3), before another `'`, or
    before a whole word the import would read as empty (`None`, `null`). The export adds
    the same mark to a text that really starts so (`needs_quote`), so that export → import
    gives back every text as it was."""
    if len(text) < 2 or text[0] != QUOTE:
        return False
    return text[1] in FORMULA_PREFIXES or text[1] == QUOTE or text[1:].lower() in NULL_WORDS


def needs_quote(text: str) -> bool:
    """Whether a text needs one more leading `'` to be read back by the import as itself
    (besides any formula neutralisation): it starts with such a mark already, or it is a
    word the import reads as empty."""
    return is_quoted(text) or text.lower() in NULL_WORDS


def _clean_cell(value: Any, field_obj: serializers.Field) -> Any:
    """A cell as the API field expects it: text trimmed (as the API trims it) and one
    leading `'` mark removed (`is_quoted`), whole floats as ints, `None`/`null`/empty as
    missing, dates for datetime fields as midnight."""
    if isinstance(value, str):
        value = value.strip()
        if is_quoted(value):
            value = value[1:]  # the text as written, even `None`: never an empty cell
        elif value == "" or value.lower() in NULL_WORDS:
            value = None
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, bool) and isinstance(field_obj, serializers.CharField):
        value = "TRUE" if value else "FALSE"
    if value is None:
        if (
            isinstance(field_obj, serializers.CharField)
            and field_obj.allow_blank
            and not field_obj.allow_null
        ):
            return ""
        return None
    if isinstance(field_obj, serializers.DateTimeField):
        if isinstance(value, str) and len(value) == 10:  # a text date, like a date cell: midnight
            try:
                value = parse_date(value) or value
            except ValueError:  # 2025-13-45: the field says what is wrong
                pass
        if type(value) is dt.date:
            return dt.datetime.combine(value, dt.time.min)
    if isinstance(field_obj, serializers.CharField) and not isinstance(value, str):
        if isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)
    return value


class _CellChecker:
    """Runs an API field's validation on cells, memoised: a status or date column repeats
    a few values thousands of times."""

    def __init__(self, field_obj: serializers.Field):
        self.field = field_obj
        self.cache: dict[Any, tuple[bool, Any]] = {}

    def __call__(self, raw: Any) -> tuple[bool, Any]:
        value = _clean_cell(raw, self.field)
        try:
            key = (type(value), value)
            hit = self.cache.get(key)
        except TypeError:  # unhashable
            key, hit = None, None
        if hit is not None:
            return hit
        try:
            result = (
                True,
                self.field.run_validation(empty if value is None and not self.field.allow_null else value),
            )
        except SkipField:
            result = (True, empty)
        except serializers.ValidationError as exc:
            detail = exc.detail
            messages = detail if isinstance(detail, list) else [detail]
            result = (False, " ".join(str(m) for m in messages))
        if key is not None and len(self.cache) < 10_000:
            self.cache[key] = result
        return result


def _api_fields(spec: ResourceSpec) -> dict[str, serializers.Field]:
    """The serializer's writable fields, without per-row database validators (uniqueness
    is checked for the whole file at once); and `created_at`, read only in the API, as an
    import may set it (`CreatedAt`)."""
    fields = spec.serializer_class().fields
    result = {}
    for column in spec.columns:
        if spec.key_is_id and column.field == spec.key:
            # The id the database gives: read from the file as a whole number, or empty.
            result[column.field] = serializers.IntegerField(required=False, allow_null=True, min_value=1)
            continue
        if column.virtual:
            result[column.field] = copy.deepcopy(spec.virtual_fields[column.field])
            continue
        field_obj = copy.deepcopy(fields[column.field])
        field_obj.validators = [v for v in field_obj.validators if not isinstance(v, UniqueValidator)]
        result[column.field] = field_obj
    if _has_created_at(spec):
        result[CREATED_AT.field] = serializers.DateTimeField(required=False, allow_null=True)
    return result


def _has_created_at(spec: ResourceSpec) -> bool:
    return any(f.name == CREATED_AT.field for f in spec.model._meta.concrete_fields)


def _model_field_name(spec: ResourceSpec, api_field: serializers.Field, name: str) -> str:
    source = api_field.source if api_field.source and api_field.source != "*" else name
    return source


# ----------------------------------------------------------------------------- related
def _resolve_related(spec: ResourceSpec, name: str, raw_values: set[str]) -> dict[str, Any]:
    """raw value (lower case) → the record, or an error message."""
    related = spec.related[name]
    wanted = {v.lower() for v in raw_values}
    found: dict[str, Any] = {}
    for key in related.keys:
        missing = sorted(wanted - set(found))
        if not missing:
            break
        matches: dict[str, list] = defaultdict(list)
        # In chunks: PostgreSQL takes at most 65,535 parameters in one statement.
        for start in range(0, len(missing), LOOKUP_CHUNK):
            chunk = missing[start : start + LOOKUP_CHUNK]
            rows = related.model.objects.annotate(_match=Lower(key)).filter(_match__in=chunk)
            for obj in rows:
                matches[obj._match].append(obj)
        for value, objs in matches.items():
            if len(objs) == 1:
                found[value] = objs[0]
            else:
                found[value] = (
                    f"'{value}' matches {len(objs)} {related.model._meta.verbose_name_plural}; use the {related.keys[0]}."
                )
    return found


# ----------------------------------------------------------------------------- the engine
def required_columns(spec: ResourceSpec, fields: dict[str, serializers.Field]) -> set[str]:
    key = set() if spec.key_is_id else {spec.key}  # a row without an id is a new record
    return {name for name, f in fields.items() if f.required} | key


@dataclass(frozen=True)
class Rights:
    """What an API user may do to the rows of a file: exactly what the API would let them do
    (`roles.user_may`, the one answer for both; role permissions only). Creating needs
    `add_<model>`; changing a record needs `change_<model>`, or `change_own_<model>` and a
    record the model says they own (an operator's)."""

    user: Any
    model: type[models.Model]
    add: bool
    own_only: bool  # may change only their own records: their owners are read along
    history: bool  # may write history fields (`CreatedAt`, a work order's completion time)

    @classmethod
    def of(cls, spec: ResourceSpec, user) -> Rights:
        return cls(
            user=user,
            model=spec.model,
            add=user_may(user, spec.model, "add"),
            own_only=user_may_own_only(user, spec.model, "change"),
            history=user_may_record_history(user, spec.model),
        )

    def may_change(self, obj) -> bool:
        return user_may(self.user, self.model, "change", obj)


def run_import(
    *, spec: ResourceSpec, sheet: Sheet, user=None, dry_run: bool = False, check_rights: bool = False
) -> ImportOutcome:
    """Validates every row and, unless `dry_run`, writes them all in one transaction.
    Raises ImportRejected when any row is bad, with every row's errors counted and the
    first MAX_REPORTED_ERRORS of them listed. With `check_rights` (the API), rows the
    user's role could not create or change through the API are errors."""
    fields = _api_fields(spec)
    extra = (CREATED_AT,) if CREATED_AT.field in fields else ()
    layout = match_headers(spec, sheet, required_columns(spec, fields), extra)
    checkers = {name: _CellChecker(fields[name]) for name in layout.positions if name not in spec.related}
    model_names = {name: _model_field_name(spec, fields[name], name) for name in layout.positions}
    rights = Rights.of(spec, user) if check_rights and user is not None else None
    if CREATED_AT.field in layout.positions and rights is not None and not rights.history:
        raise ImportRejected(
            [
                error(
                    sheet.header_row,
                    layout.headers[CREATED_AT.field],
                    "Your role may not import CreatedAt (when records were created): only managers "
                    "and admins load past records. Remove the column.",
                )
            ]
        )
    related_text = serializers.CharField(allow_null=True)

    errors = RowErrors()
    rows: list[tuple[int, dict[str, Any]]] = []
    related_raw: dict[str, set[str]] = defaultdict(set)
    seen_keys: dict[str, int] = {}
    total = 0
    for number, values in sheet.rows:
        total += 1
        record: dict[str, Any] = {}
        for name, index in layout.positions.items():
            raw = values[index] if index < len(values) else None
            header = layout.headers[name]
            if name in spec.related:
                text = _clean_cell(raw, related_text)
                if text is None:
                    if fields[name].required:
                        errors.append(error(number, header, "This field is required."))
                    record[name] = None
                else:
                    record[name] = text
                    related_raw[name].add(text)
                continue
            ok, value = checkers[name](raw)
            if not ok:
                errors.append(error(number, header, value))
            elif value is not empty:
                record[name] = value
        key = record.get(spec.key)
        if isinstance(key, str) or (spec.key_is_id and isinstance(key, int)):
            folded = key
            if folded in seen_keys:
                errors.append(
                    error(
                        number,
                        layout.headers[spec.key],
                        f"'{key}' appears twice (also on row {seen_keys[folded]}).",
                    )
                )
            else:
                seen_keys[folded] = number
        rows.append((number, record))
    if total == 0:
        raise ImportRejected(
            [error(sheet.header_row + 1, "", "The sheet has a header row but no data rows.")]
        )

    resolved = {name: _resolve_related(spec, name, raw) for name, raw in related_raw.items()}
    # An operator's ownership is judged on the record as stored (a work order assigned to
    # their employee record): load what `is_owned_by` reads with it.
    owner_paths = tuple(
        f.name for f in spec.model._meta.concrete_fields if f.many_to_one and f.name != "created_by"
    )
    writer = _Writer(spec, user, errors, write=not dry_run)
    unchanged = 0
    # Records are written in batches as their rows pass, inside one transaction: a bad row
    # met later rolls every batch back (all-or-nothing), and memory holds one batch of
    # records, not the file's.
    transaction_or_not = contextlib.nullcontext() if dry_run else transaction.atomic()
    with transaction_or_not:
        # A real import locks the records it may change before it compares them with the
        # file: what it writes (and an app's `after_write`, e.g. the stock ledger's
        # corrections) is then measured against the rows as they are, not as they were
        # before a concurrent change.
        existing = _existing(
            spec,
            [r[spec.key] for _, r in rows if r.get(spec.key) is not None],
            related=owner_paths if rights is not None and rights.own_only else (),
            lock=not dry_run,
        )
        unchanged = _build_and_write(
            spec, rows, resolved, existing, layout, model_names, fields, rights, user, writer, errors
        )
        if errors:
            raise ImportRejected(errors.listed(), total_rows=total, total_errors=errors.total)
        writer.flush()

    unchanged -= writer.virtual_updates
    outcome = ImportOutcome(
        rows_total=total,
        created=writer.created,
        updated=writer.updated,
        unchanged=unchanged,
        ignored_columns=layout.ignored,
    )
    log.info(
        "import.validated" if dry_run else "import.written",
        resource=spec.resource,
        rows=total,
        created=outcome.created,
        updated=outcome.updated,
        unchanged=unchanged,
    )
    return outcome


class _Writer:
    """Takes the records of valid rows and writes them a batch at a time (or, in a dry run,
    only counts them). Once any row is bad nothing more is written or kept: the import will
    be rejected and its transaction rolled back."""

    def __init__(self, spec: ResourceSpec, user, errors: RowErrors, write: bool):
        self.spec, self.user, self.errors, self.write = spec, user, errors, write
        self.new: list = []
        self.changed: list[tuple[Any, set[str], dict]] = []
        # Rows with virtual values: (record, values, already counted as created or updated).
        self.virtual: list[tuple[Any, dict, bool]] = []
        self.created = self.updated = 0
        self.virtual_updates = 0  # rows only their virtual values change

    def add_virtual(self, obj, values: dict, counted: bool) -> None:
        self.virtual.append((obj, values, counted))
        if not self.write and len(self.virtual) >= WRITE_BATCH:
            self.flush()

    def add(self, obj, diff: set[str], before: dict, is_new: bool) -> None:
        if is_new:
            self.created += 1
        else:
            self.updated += 1
        if self.errors or not self.write:
            self.new, self.changed = [], []
            return
        if is_new:
            self.new.append(obj)
        else:
            self.changed.append((obj, diff, before))
        if len(self.new) + len(self.changed) >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.write and not self.errors and (self.new or self.changed):
            _write(self.spec, self.new, self.changed, self.user)
        if self.virtual and not self.errors:
            rows = [(obj, values) for obj, values, _counted in self.virtual]
            changing = self.spec.write_virtual(rows=rows, user=self.user, write=self.write)
            more = sum(1 for i in changing if not self.virtual[i][2])
            self.updated += more
            self.virtual_updates += more
        self.new, self.changed, self.virtual = [], [], []


def _build_and_write(
    spec, rows, resolved, existing, layout, model_names, fields, rights, user, writer, errors
) -> int:
    """The second pass: each row's record built (related records found, the upsert's diff,
    what the user may change, the app's `prepare_row`, the model's clean()) and handed to the
    writer. Returns the number of rows that change nothing."""
    plural = spec.model._meta.verbose_name_plural
    may_record_history = rights is None or rights.history
    now = timezone.now()
    row_context = {"user": user, "related": resolved, "cache": {}}
    unchanged = 0
    rows.reverse()  # taken from the end: each row's dict is freed once its record is built
    while rows:
        number, record = rows.pop()
        attrs: dict[str, Any] = {}
        row_ok = True
        for name, value in record.items():
            if name in spec.related and value is not None:
                target = resolved[name].get(value.lower())
                if target is None:
                    errors.append(
                        error(
                            number,
                            layout.headers[name],
                            f"No {spec.related[name].model._meta.verbose_name} '{value}'.",
                        )
                    )
                    row_ok = False
                    continue
                if isinstance(target, str):
                    errors.append(error(number, layout.headers[name], target))
                    row_ok = False
                    continue
                value = target
            attrs[model_names[name]] = value
        if not row_ok or (spec.key not in record and not spec.key_is_id):
            continue
        current = existing.pop(record.get(spec.key), None)  # (each key is once in a valid file)
        if current is None and record.get(spec.key) is not None and spec.key_is_id:
            errors.append(error(number, layout.headers[spec.key], f"No record with id {record[spec.key]}."))
            continue
        attrs.pop("id", None)
        if current is None and rights is not None and not rights.add:
            errors.append(
                error(number, layout.headers.get(spec.key, ""), f"Your role may not create {plural}.")
            )
            continue
        created_at = attrs.pop(CREATED_AT.field, None)
        if created_at is not None:
            problem = _created_at_problem(created_at, current, now)
            if problem is not None:
                errors.append(error(number, layout.headers[CREATED_AT.field], problem))
                continue
        if spec.prepare_row is not None:
            try:
                context = row_context if spec.prepare_row_context else {}
                spec.prepare_row(attrs, current, may_record_history=may_record_history, now=now, **context)
            except DjangoValidationError as exc:
                errors.extend(_clean_errors(exc, number, spec, layout, fields))
                continue
        # Virtual values (`prepare_row` has seen them) go to the spec's `write_virtual`.
        virtual_values = {name: attrs.pop(name) for name in spec.virtual_fields if name in attrs}
        if current is None:
            obj = spec.model(**attrs)
            obj.created_by = user if user is not None and user.is_authenticated else None
            if created_at is not None:
                # Saving stamps `created_at` (auto_now_add): `_write` puts this back after.
                obj._imported_created_at = created_at
            is_new, diff = True, set(attrs)
        else:
            obj = current
            diff = {name for name, value in attrs.items() if _differs(obj, name, value)}
            if diff and rights is not None and not rights.may_change(obj):
                errors.append(
                    error(
                        number,
                        layout.headers[spec.key],
                        f"Your role may not change {record[spec.key]}: only {plural} of your own.",
                    )
                )
                continue
            before = {name: getattr(obj, name) for name in diff if not obj._meta.get_field(name).is_relation}
            for name in diff:
                setattr(obj, name, attrs[name])
            is_new = False
        try:
            obj.clean()
        except DjangoValidationError as exc:
            errors.extend(_clean_errors(exc, number, spec, layout, fields))
            continue
        if is_new or diff:
            writer.add(obj, diff, before if not is_new else {}, is_new)
        else:
            unchanged += 1
        if virtual_values:
            writer.add_virtual(obj, virtual_values, counted=bool(is_new or diff))
    return unchanged


def _created_at_problem(value: dt.datetime, current, now: dt.datetime) -> str | None:
    """What is wrong with a row's `CreatedAt`, or None: not in the future, and on a record
    that exists, its own (an import does not change when a record was created)."""
    if value > now:
        return "Cannot be in the future."
    if current is not None and current.created_at != value:
        stored = timezone.localtime(current.created_at).isoformat()
        return (
            f"{current} exists, created at {stored}: an import does not change when a record was "
            "created (CreatedAt counts only for new records). Leave the cell empty or as it is."
        )
    return None


def _differs(obj, name: str, new: Any) -> bool:
    """Whether setting `name` to `new` changes `obj` (related records compared by id,
    without loading them)."""
    model_field = obj._meta.get_field(name)
    if model_field.is_relation:
        return getattr(obj, model_field.attname) != (new.pk if new is not None else None)
    return getattr(obj, name) != new


def _existing(
    spec: ResourceSpec, keys: list[str], related: tuple[str, ...] = (), lock: bool = False
) -> dict[str, Any]:
    """The stored records with these business keys, by key. With `lock` (in a transaction)
    they are locked `FOR UPDATE` in id order — one order for every writer, so two imports
    (or an import and an API edit) wait for each other instead of deadlocking — and read
    as they stand once the lock is held."""
    rows = spec.model.objects.select_related(*related) if related else spec.model.objects.all()
    chunks = [keys[start : start + LOOKUP_CHUNK] for start in range(0, len(keys), LOOKUP_CHUNK)]
    if lock:
        # Locked rows only, the relations read along are not (`of`): an outer join's
        # nullable side cannot be locked.
        rows = rows.select_for_update(of=("self",)).order_by("pk")
        if len(chunks) > 1:
            # Chunks of keys would lock in id order only within each chunk: find the ids
            # first and lock them in chunks of ascending ids.
            ids = sorted(
                pk
                for chunk in chunks
                for pk in spec.model.objects.filter(**{f"{spec.key}__in": chunk}).values_list("pk", flat=True)
            )
            found = {}
            for start in range(0, len(ids), LOOKUP_CHUNK):
                for obj in rows.filter(pk__in=ids[start : start + LOOKUP_CHUNK]):
                    found[getattr(obj, spec.key)] = obj
            return found
    found = {}
    for chunk in chunks:
        for obj in rows.filter(**{f"{spec.key}__in": chunk}):
            found[getattr(obj, spec.key)] = obj
    return found


def _clean_errors(
    exc: DjangoValidationError, number: int, spec: ResourceSpec, layout: Layout, fields: dict
) -> list[dict]:
    """The model's `clean()` errors, under the column as the file names it (or as exports
    name it, when the file has no such column)."""
    by_model_name = {
        _model_field_name(spec, fields[column.field], column.field): layout.headers.get(
            column.field, column.header
        )
        for column in (*spec.columns, CREATED_AT)
        if column.field in fields
    }
    result = []
    if hasattr(exc, "error_dict"):
        for name, messages in exc.error_dict.items():
            column = by_model_name.get(name, name)
            for message in messages:
                result.extend(error(number, column, m) for m in message.messages)
    else:
        result.extend(error(number, "", m) for m in exc.messages)
    return result


@transaction.atomic
def _write(spec: ResourceSpec, new_objects: list, changed: list[tuple[Any, set[str], dict]], user) -> None:
    with sourcing(IMPORT):  # history versions (and whatever `after_write` writes) say `import`
        _write_rows(spec, new_objects, changed, user)


def _write_rows(
    spec: ResourceSpec, new_objects: list, changed: list[tuple[Any, set[str], dict]], user
) -> None:
    now = timezone.now()
    spec.model.objects.bulk_create(new_objects, batch_size=BATCH)
    backdated = [obj for obj in new_objects if getattr(obj, "_imported_created_at", None) is not None]
    if backdated:
        # bulk_create stamped every `created_at` (auto_now_add): the file's times go back in.
        for obj in backdated:
            obj.created_at = obj._imported_created_at
        spec.model.objects.bulk_update(backdated, [CREATED_AT.field], batch_size=BATCH)
    record_rows(spec.model, new_objects, CREATED)  # their history, in this transaction
    if changed:
        by_fields: dict[frozenset[str], list] = defaultdict(list)
        for obj, diff, _before in changed:
            obj.updated_at = now
            by_fields[frozenset(diff)].append(obj)
        for names, objs in by_fields.items():
            spec.model.objects.bulk_update(objs, [*sorted(names), "updated_at"], batch_size=BATCH)
        record_rows(spec.model, [obj for obj, _diff, _before in changed], UPDATED)
    if spec.after_write is not None:
        spec.after_write(created=new_objects, updated=changed, user=user)
