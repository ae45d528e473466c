"""Writes of the machines app that do more than save one row."""

from __future__ import annotations

import datetime as dt

import structlog
from django.db import transaction
from django.db.models import ProtectedError

from machines.models import ImportTemplate, WorkshopEntry
from workshop.history.records import CREATED, record_rows
from workshop.imports.engine import ImportOutcome, ImportRejected, error
from workshop.imports.reader import Sheet
from workshop.imports.service import excel_import_delete
from workshop.imports.spec import normalise_header
from workshop.imports.targets import TEMPLATE, records_naming, trials_naming

log = structlog.get_logger(__name__)


def entry_value(value):
    """A cell as JSON: dates and times as ISO strings, whole numbers as ints."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.replace(
            "\x00", ""
        ).strip()  # a NUL (Excel's _x0000_) means nothing, and jsonb refuses it
    return value


def template_import(
    template: ImportTemplate, *, sheet: Sheet, user=None, dry_run: bool = False
) -> ImportOutcome:
    """Maps each row of a machine's log through the template into a WorkshopEntry (the
    `run` of the `template` import target; the core has checked the template is active).
    Every mapped column must be in the sheet (else a 422 naming them); the entries are
    written when the ExcelImport record is saved (`on_saved`), linked to it."""
    positions = {}
    for index, header in enumerate(sheet.headers):
        if header is not None:
            positions.setdefault(normalise_header(header), index)
    missing = [header for header in template.mapping if normalise_header(header) not in positions]
    if missing:
        raise ImportRejected(
            [error(sheet.header_row, h, "Mapped column is missing from the sheet.") for h in missing]
        )
    columns = [(positions[normalise_header(header)], field) for header, field in template.mapping.items()]
    created_by = user if user is not None and user.is_authenticated else None
    entries = [
        WorkshopEntry(
            template=template,
            machine_id=template.machine_id,
            created_by=created_by,
            data={
                field: entry_value(values[index]) if index < len(values) else None for index, field in columns
            },
        )
        for _number, values in sheet.rows
    ]
    if not entries:
        raise ImportRejected([error(sheet.header_row + 1, "", "The sheet has no data rows.")])

    def save_entries(record) -> None:
        for entry in entries:
            entry.excel_import = record
        WorkshopEntry.objects.bulk_create(entries, batch_size=1000)
        record_rows(WorkshopEntry, entries, CREATED)

    return ImportOutcome(rows_total=len(entries), created=len(entries), on_saved=save_entries)


def template_protectors(template: ImportTemplate) -> list:
    """The core's records that name the template by id (import records, schedules: no
    foreign key): as long as there are any, the template stays, as with a protecting one."""
    return records_naming(TEMPLATE, template.pk)


@transaction.atomic
def template_delete(*, template: ImportTemplate) -> None:
    """Deletes a template that nothing names: import records and schedules (which the
    database does not guard: they keep its id) or entries (protected by a foreign key) make
    it a ProtectedError (409 CONFLICT), nothing deleted. Dry runs (which wrote nothing) do
    not keep it: they are deleted with it, their stored files after the commit. The template is locked first, so an
    upload or schedule naming it meanwhile waits (workshop.imports.targets)."""
    locked = ImportTemplate.objects.select_for_update().filter(pk=template.pk).first()
    if locked is None:
        return
    protectors = template_protectors(locked)
    if protectors:
        entries = WorkshopEntry.objects.filter(template_id=locked.pk)
        raise ProtectedError(
            "Cannot delete the template: import records or schedules name it.", [*protectors, *entries]
        )
    for trial in trials_naming(TEMPLATE, locked.pk):  # dry runs: nothing to keep it for
        excel_import_delete(excel_import=trial)
    locked.delete()
    log.info("template.deleted", template_id=template.pk)
