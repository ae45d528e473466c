"""Running an import end to end: read the file, run its rows, store the file and record the
ExcelImport — all or nothing. The API, `import_excel`, the scheduler and background jobs share
it. An upload (bytes, an uploaded file or any binary file object) is read, run and stored
with its record:

    record = store_import(upload=upload, filename="orders.xlsx", run=ImportRun(resource="workorders"))

and a file already in the storage, as a background job would run it (the record keeps that
file):

    record = import_stored_file(
        name="imports/2025/11/4f…-orders.xlsx",
        filename="orders.xlsx",
        run=ImportRun(resource="workorders", user=user, check_rights=True, progress=report),
    )

`ImportRun` says what to import (a resource, or a template's id), as whom, and whom to tell
how far it got (`progress(done, total)`). Bad files and rows write nothing — no record, no
stored file — and raise domain errors (workshop/errors.py): `Rejected` (413/415/422, with every
row error), `ValidationFailed` (an Idempotency-Key used for another request), `NotFound` (the
template is gone), `ServiceUnavailable` (the file storage does not answer).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import structlog
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from workshop.errors import NotFound, Rejected, ServiceUnavailable, ValidationFailed
from workshop.files import StoredFile, stored_file
from workshop.imports.engine import ImportOutcome, ImportRejected, run_import
from workshop.imports.models import ExcelImport, ImportStatus
from workshop.imports.reader import Sheet, Upload, open_sheet, read_upload
from workshop.imports.spec import registry
from workshop.imports.targets import template_target

log = structlog.get_logger(__name__)

Runner = Callable[[Sheet, bool], ImportOutcome]
PROGRESS_EVERY = 500  # rows between two progress reports


def _delete_rows_it_made(excel_import: ExcelImport) -> None:
    """The rows an import made and owns (a template upload's entries: a CASCADE foreign key)
    deleted in one statement each. Django would otherwise load them to send a signal per row
    (live events listen to deletes), 10× slower for a 50,000-entry upload; rows deleted with
    their import send no events of their own either way (docs/events.md). Only for rows that
    nothing else points to (whose own dependents Django would have to look at)."""
    from django.db import models

    for relation in excel_import._meta.related_objects:
        if not relation.one_to_many or relation.on_delete is not models.CASCADE:
            continue
        if relation.related_model._meta.related_objects:
            continue
        rows = relation.related_model._base_manager.filter(**{relation.field.name: excel_import})
        rows._raw_delete(rows.db)


@dataclass(frozen=True)
class ImportRun:
    """One import: into a `resource`'s rows (`workorders`, a key of spec.registry()), or
    through a template (`template_id`, a record of the registered `template` target).

    `user` is recorded as the import's creator; with `check_rights` (the API, and jobs run
    for API users) each row is also held to what the user's role may create or change.
    `progress(done, total)` is called every PROGRESS_EVERY rows read and at the end; `total`
    is the sheet's row count at most (blank rows included), or None."""

    resource: str = ""
    template_id: int | None = None
    user: Any = None
    dry_run: bool = False
    check_rights: bool = False
    idempotency_key: str | None = None
    progress: Callable[[int, int | None], None] | None = None

    def __post_init__(self) -> None:
        if bool(self.resource) == (self.template_id is not None):
            raise ValueError("An import runs into a resource or through a template: name one.")


def previous_import(*, user, idempotency_key: str | None) -> ExcelImport | None:
    """The import an Idempotency-Key already made for this user, if any."""
    if not idempotency_key or user is None or not user.is_authenticated:
        return None
    return ExcelImport.objects.filter(created_by=user, idempotency_key=idempotency_key).first()


def content_hash(data: bytes) -> str:
    """What an ExcelImport keeps of its file's content to recognise it (`content_hash`)."""
    return hashlib.sha256(data).hexdigest()


def upload_hash(upload) -> str:
    """`content_hash` of an uploaded file, read in chunks; the file is left at its start."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def replay_refusal(record: ExcelImport, *, run: ImportRun, file_hash: str) -> str | None:
    """Why the import an Idempotency-Key already made cannot answer this request, or None
    when it is the same request sent again: the same resource or template, a dry run for a
    dry run, and the same file (a real import must never silently not happen)."""
    if (
        record.resource != run.resource
        or record.template_id != run.template_id
        or record.dry_run != run.dry_run
    ):
        return "This key was already used for another request; send a new key."
    if record.content_hash and record.content_hash != file_hash:
        return "This Idempotency-Key was already used for a different file."
    return None


def read_sheet(upload) -> tuple[bytes, Sheet]:
    """The upload's bytes and first sheet, after every check of an untrusted file (an
    ExcelFileError, `Rejected`, refuses it); an `Upload` was checked already."""
    if isinstance(upload, Upload) and upload.rows is not None:  # checked whole already
        data, kind = upload.data, upload.kind
    else:
        data, kind = read_upload(upload.data if isinstance(upload, Upload) else upload)
    return data, open_sheet(data, kind)


def rejection_detail(exc: ImportRejected) -> str:
    """The 422's message: how many problems the file has, all of them counted even when
    only the first are listed."""
    listed, total = len(exc.errors), exc.total_errors
    if total > listed:
        return f"{total} problems in the file; the first {listed} are listed. Nothing was imported."
    return f"{total} problem(s) in the file; nothing was imported."


def runner(run: ImportRun) -> Runner:
    """What runs the rows of `run`: the import engine into the resource, or the template's
    own import (entries of a machine's log). An unknown resource is ValidationFailed, a
    template that is gone NotFound."""
    if run.resource:
        spec = registry().get(run.resource)
        if spec is None:
            known = ", ".join(registry())
            raise ValidationFailed({"resource": [f"No Excel resource {run.resource!r}; one of: {known}."]})

        def rows_into_resource(sheet: Sheet, dry_run: bool) -> ImportOutcome:
            return run_import(
                spec=spec, sheet=sheet, user=run.user, dry_run=dry_run, check_rights=run.check_rights
            )

        return _reporting(run, rows_into_resource)
    target = template_target()
    template = target.get(run.template_id) if target is not None else None
    if template is None:
        raise NotFound(f"No template {run.template_id}.")

    def rows_through_template(sheet: Sheet, dry_run: bool) -> ImportOutcome:
        return target.run_sheet(template, sheet=sheet, user=run.user, dry_run=dry_run)

    return _reporting(run, rows_through_template)


def _reporting(run: ImportRun, inner: Runner) -> Runner:
    if run.progress is None:
        return inner

    def reported(sheet: Sheet, dry_run: bool) -> ImportOutcome:
        sheet.rows = _counted(sheet.rows, run.progress, sheet.rows_hint)
        return inner(sheet, dry_run)

    return reported


def _counted(rows: Iterator, progress: Callable[[int, int | None], None], total: int | None) -> Iterator:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
    progress(done, total)


def store_import(*, upload, filename: str, run: ImportRun, stored_name: str | None = None) -> ExcelImport:
    """Reads `upload`, runs its rows as `run` says and records the ExcelImport with the
    stored file, in one transaction. Bad files and rows raise Rejected (413/415/422) and
    write nothing; an unreachable storage raises ServiceUnavailable and writes nothing.
    `stored_name`: the upload is that file in the storage already (`import_stored_file`),
    which the record keeps instead of a copy."""
    data, sheet = read_sheet(upload)
    file_hash = content_hash(data)
    run_rows = runner(run)
    copied = None  # the copy this import stored: deleted again if the import fails
    try:
        with transaction.atomic():
            try:
                outcome = run_rows(sheet, run.dry_run)
            except ImportRejected as exc:
                raise Rejected(422, rejection_detail(exc), errors=exc.errors) from exc
            user = run.user if run.user is not None and run.user.is_authenticated else None
            record = ExcelImport(
                template_id=run.template_id,
                resource=run.resource,
                filename=os.path.basename(filename or "upload")[:255],
                status=ImportStatus.SUCCEEDED,
                rows_total=outcome.rows_total,
                rows_created=outcome.created,
                rows_updated=outcome.updated,
                dry_run=run.dry_run,
                finished_at=timezone.now(),
                created_by=user,
                idempotency_key=run.idempotency_key or None,
                content_hash=file_hash,
            )
            if stored_name is not None:
                record.file.name = stored_name
            else:
                try:
                    record.file.save(record.filename, ContentFile(data), save=False)
                except Exception as exc:  # any storage backend's failure (OSError, botocore …)
                    log.error("import.storage_failed", error=type(exc).__name__)
                    raise ServiceUnavailable(
                        "The file storage is unavailable; nothing was imported."
                    ) from exc
                copied = record.file.name
            hold_template(run.template_id)
            record.save()
            if outcome.on_saved is not None and not run.dry_run:
                outcome.on_saved(record)
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key won the race: answer its import.
        _delete_file(copied)
        again = previous_import(user=run.user, idempotency_key=run.idempotency_key)
        if again is None:
            raise
        refusal = replay_refusal(again, run=run, file_hash=file_hash)
        if refusal is not None:
            raise ValidationFailed({"Idempotency-Key": [refusal]}) from None
        return again
    except Exception:
        _delete_file(copied)
        raise
    log.info(
        "import.finished",
        import_id=record.pk,
        resource=run.resource or None,
        template_id=run.template_id,
        rows=record.rows_total,
        created=record.rows_created,
        updated=record.rows_updated,
        dry_run=run.dry_run,
    )
    return record


def import_stored_file(*, name: str, filename: str, run: ImportRun) -> ExcelImport:
    """Imports a file that is in the storage already (`name`: e.g. the upload a background
    job was queued with) as `store_import` does; the record keeps that file, no copy is made.
    A refused file stays where it is: until a record holds it, it is the caller's to delete
    (cleanup_uploads removes files under `imports/` that no record holds once they are old)."""
    from django.core.files.storage import default_storage

    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as exc:
        raise NotFound("The stored upload is gone.") from exc
    except Exception as exc:  # storage outage
        log.error("import.file_unavailable", file=name, error=type(exc).__name__)
        raise ServiceUnavailable("The file storage is unavailable; nothing was imported.") from exc
    with handle:
        return store_import(upload=handle, filename=filename, run=run, stored_name=name)


def record_failed_run(
    *, run: ImportRun, filename: str, message: str, errors: list | None = None
) -> ExcelImport:
    """An ExcelImport that says a run failed before or while reading its file (the
    scheduler keeps one per failed run): `status: failed`, the reason in `errors`."""
    return ExcelImport.objects.create(
        template_id=run.template_id,
        resource=run.resource,
        filename=os.path.basename(filename or "upload")[:255],
        status=ImportStatus.FAILED,
        errors=errors or [{"row": 0, "column": "", "message": message}],
        rows_rejected=len(errors or []),
        finished_at=timezone.now(),
    )


def hold_template(template_id: int | None) -> None:
    """A template is named by its id only (no foreign key): before a record names it, the
    template is locked until the commit (call this inside the transaction that saves the
    record), so deleting it waits and then sees the record (409), and a template deleted
    meanwhile is a 404 instead of a record naming nothing."""
    if template_id is None:
        return
    target = template_target()
    if target is None or target.get(template_id, lock=True) is None:
        raise NotFound(f"No template {template_id}.")


def _delete_file(name: str | None) -> None:
    if not name:
        return
    from django.core.files.storage import default_storage

    try:
        default_storage.delete(name)
    except Exception as exc:  # the record is gone; cleanup_uploads removes what stays
        log.warning("import.orphan_file", name=name, error=type(exc).__name__)


# ----------------------------------------------------------------------------- records
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
        # The file goes after the commit (a rolled-back delete must keep it), so make sure the
        # storage answers first: during an outage nothing is deleted, rather than a record
        # gone and its file left behind.
        try:
            storage.exists(name)
        except Exception as exc:
            log.error("import.file_unavailable", import_id=import_id, error=type(exc).__name__)
            raise ServiceUnavailable("The file storage is unavailable; nothing was deleted.") from exc
    _delete_rows_it_made(excel_import)
    excel_import.delete()
    if name:
        transaction.on_commit(lambda: _delete_stored_file(storage=storage, name=name, import_id=import_id))
    log.info("import.deleted", import_id=import_id)


def excel_import_stored_upload(*, excel_import: ExcelImport) -> StoredFile:
    """Where to read the import's stored upload (NotFound when it has none or it is gone; the
    storage down is ServiceUnavailable); typed by content (uploads are checked to be Excel)."""
    if not excel_import.file:
        raise NotFound("This import has no stored file.")
    return stored_file(excel_import.file, filename=excel_import.filename, content_type=_excel_type)


def _excel_type(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "application/vnd.ms-excel"
    return "application/octet-stream"
