"""Writes of the machines app that do more than save one row."""

from __future__ import annotations

import datetime as dt

import structlog
from django.core.files.storage import Storage
from django.db import transaction

from machines.models import ExcelImport, ImportTemplate, WorkshopEntry
from workshop.imports.engine import ImportOutcome, ImportRejected
from workshop.imports.reader import Sheet
from workshop.imports.spec import normalise_header

log = structlog.get_logger(__name__)


def _delete_stored_file(*, storage: Storage, name: str, import_id: int) -> None:
    try:
        storage.delete(name)
    except Exception:  # storage outage: the row is gone; cleanup_uploads removes the orphan later
        log.warning("import.file_delete_failed", import_id=import_id, file=name, exc_info=True)
    else:
        log.info("import.file_deleted", import_id=import_id, file=name)


@transaction.atomic
def excel_import_delete(*, excel_import: ExcelImport) -> None:
    """Delete an import, the WorkshopEntries it created (CASCADE) and, once the delete is
    committed, its stored file. Records made by resource imports are not linked and stay."""
    import_id = excel_import.pk
    name = excel_import.file.name if excel_import.file else ""
    storage = excel_import.file.storage
    if name:
        from workshop.api.exceptions import ServiceUnavailable

        # The file goes after the commit (a rolled-back delete must keep it), so make sure the
        # storage answers first: during an outage nothing is deleted, rather than a record
        # gone and its file left behind.
        try:
            storage.exists(name)
        except Exception as exc:
            log.error("import.file_unavailable", import_id=import_id, error=type(exc).__name__)
            raise ServiceUnavailable("The file storage is unavailable; nothing was deleted.") from exc
    excel_import.delete()
    if name:
        transaction.on_commit(lambda: _delete_stored_file(storage=storage, name=name, import_id=import_id))
    log.info("import.deleted", import_id=import_id)


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
    *, template: ImportTemplate, sheet: Sheet, user=None, dry_run: bool = False
) -> ImportOutcome:
    """Maps each row of a machine's log through the template into a WorkshopEntry. Every
    mapped column must be in the sheet (else a 422 naming them); the entries are written
    when the ExcelImport record is saved (`on_saved`), linked to it."""
    if not template.active:
        raise ImportRejected(
            [{"row": sheet.header_row, "column": "", "message": "This template is not active."}]
        )
    positions = {}
    for index, header in enumerate(sheet.headers):
        if header is not None:
            positions.setdefault(normalise_header(header), index)
    missing = [header for header in template.mapping if normalise_header(header) not in positions]
    if missing:
        raise ImportRejected(
            [
                {"row": sheet.header_row, "column": h, "message": "Mapped column is missing from the sheet."}
                for h in missing
            ]
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
        raise ImportRejected(
            [{"row": sheet.header_row + 1, "column": "", "message": "The sheet has no data rows."}]
        )

    def save_entries(record: ExcelImport) -> None:
        for entry in entries:
            entry.excel_import = record
        WorkshopEntry.objects.bulk_create(entries, batch_size=1000)

    return ImportOutcome(rows_total=len(entries), created=len(entries), on_saved=save_entries)


def excel_import_file_response(*, excel_import: ExcelImport):
    """The stored upload: a redirect to a presigned link where the storage has URLs of its
    own (S3), else the file streamed from local storage."""
    from django.http import FileResponse, HttpResponseRedirect
    from django.utils.http import content_disposition_header
    from rest_framework.exceptions import NotFound

    from workshop.api.exceptions import ServiceUnavailable

    if not excel_import.file:
        raise NotFound("This import has no stored file.")
    storage = excel_import.file.storage
    try:
        if _is_remote(storage):
            # The link itself says "a download, of no particular type": whatever the upload was
            # named (`x.html`), a browser must not render it.
            return HttpResponseRedirect(
                storage.url(
                    excel_import.file.name,
                    parameters={
                        "ResponseContentType": "application/octet-stream",
                        "ResponseContentDisposition": content_disposition_header(True, excel_import.filename),
                    },
                )
            )
        handle = storage.open(excel_import.file.name, "rb")
        head = handle.read(8)
        handle.seek(0)
    except FileNotFoundError as exc:
        raise NotFound("The stored file is gone.") from exc
    except Exception as exc:  # storage outage
        log.error("import.file_unavailable", import_id=excel_import.pk, error=type(exc).__name__)
        raise ServiceUnavailable("The file storage is unavailable.") from exc
    # The type of what it is (uploads are checked to be Excel files), not of its name.
    return FileResponse(
        handle, as_attachment=True, filename=excel_import.filename, content_type=_excel_type(head)
    )


def _excel_type(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "application/vnd.ms-excel"
    return "application/octet-stream"


def _is_remote(storage) -> bool:
    from django.core.files.storage import FileSystemStorage

    return not isinstance(storage, FileSystemStorage)
