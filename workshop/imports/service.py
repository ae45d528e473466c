"""Running an import end to end: read the upload, run the rows, store the file and record
the ExcelImport — all or nothing. The API, `import_excel` and the scheduler share it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import structlog
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from machines.models import ExcelImport, ImportStatus
from workshop.api.exceptions import RequestRejected, ServiceUnavailable, UnprocessableEntity
from workshop.imports.engine import ImportOutcome, ImportRejected, run_import
from workshop.imports.reader import ExcelFileError, Sheet, open_sheet, read_upload
from workshop.imports.spec import ResourceSpec

log = structlog.get_logger(__name__)

Runner = Callable[[Sheet, bool], ImportOutcome]


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


def replay_refusal(
    record: ExcelImport, *, resource: str, template_id: int | None, dry_run: bool, file_hash: str
) -> str | None:
    """Why the import an Idempotency-Key already made cannot answer this request, or None
    when it is the same request sent again: the same resource or template, a dry run for a
    dry run, and the same file (a real import must never silently not happen)."""
    if record.resource != resource or record.template_id != template_id or record.dry_run != dry_run:
        return "This key was already used for another request; send a new key."
    if record.content_hash and record.content_hash != file_hash:
        return "This Idempotency-Key was already used for a different file."
    return None


def read_sheet(upload) -> tuple[bytes, Sheet]:
    """The upload's bytes and first sheet; refusals become the API's error responses."""
    try:
        data, kind = read_upload(upload)
        return data, open_sheet(data, kind)
    except ExcelFileError as exc:
        raise RequestRejected(exc.status_code, exc.message) from exc


def rejection_detail(exc: ImportRejected) -> str:
    """The 422's message: how many problems the file has, all of them counted even when
    only the first are listed."""
    listed, total = len(exc.errors), exc.total_errors
    if total > listed:
        return f"{total} problems in the file; the first {listed} are listed. Nothing was imported."
    return f"{total} problem(s) in the file; nothing was imported."


def store_import(
    *,
    upload,
    filename: str,
    user,
    dry_run: bool,
    run: Runner,
    resource: str = "",
    template=None,
    idempotency_key: str | None = None,
) -> ExcelImport:
    """Reads `upload`, runs `run(sheet, dry_run)` and records the ExcelImport with the
    stored file, in one transaction. Bad files and rows raise RequestRejected (4xx) and
    write nothing; an unreachable storage raises ServiceUnavailable (503) and writes nothing."""
    data, sheet = read_sheet(upload)
    file_hash = content_hash(data)
    stored_name = None
    try:
        with transaction.atomic():
            try:
                outcome = run(sheet, dry_run)
            except ImportRejected as exc:
                raise RequestRejected(422, rejection_detail(exc), errors=exc.errors) from exc
            except ExcelFileError as exc:  # met while reading the rows (e.g. an enormous cell)
                raise RequestRejected(exc.status_code, exc.message) from exc
            record = ExcelImport(
                template=template,
                resource=resource,
                filename=os.path.basename(filename or "upload")[:255],
                status=ImportStatus.SUCCEEDED,
                rows_total=outcome.rows_total,
                rows_created=outcome.created,
                rows_updated=outcome.updated,
                dry_run=dry_run,
                finished_at=timezone.now(),
                created_by=user if user is not None and user.is_authenticated else None,
                idempotency_key=idempotency_key or None,
                content_hash=file_hash,
            )
            try:
                record.file.save(record.filename, ContentFile(data), save=False)
            except Exception as exc:  # any storage backend's failure (OSError, botocore …)
                log.error("import.storage_failed", error=type(exc).__name__)
                raise ServiceUnavailable("The file storage is unavailable; nothing was imported.") from exc
            stored_name = record.file.name
            record.save()
            if outcome.on_saved is not None and not dry_run:
                outcome.on_saved(record)
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key won the race: answer its import.
        _delete_file(stored_name)
        again = previous_import(user=user, idempotency_key=idempotency_key)
        if again is None:
            raise
        refusal = replay_refusal(
            again,
            resource=resource,
            template_id=getattr(template, "pk", None),
            dry_run=dry_run,
            file_hash=file_hash,
        )
        if refusal is not None:
            raise UnprocessableEntity({"Idempotency-Key": [refusal]}) from None
        return again
    except Exception:
        _delete_file(stored_name)
        raise
    log.info(
        "import.finished",
        import_id=record.pk,
        resource=resource or None,
        template_id=getattr(template, "pk", None),
        rows=record.rows_total,
        created=record.rows_created,
        updated=record.rows_updated,
        dry_run=dry_run,
    )
    return record


def resource_runner(spec: ResourceSpec, user, progress=None, check_rights: bool = False) -> Runner:
    """Runs the rows into a resource; `progress` may wrap the row iterator (a progress bar).
    `check_rights` (the API) holds each row to what the user's role may create or change."""

    def run(sheet: Sheet, dry_run: bool) -> ImportOutcome:
        if progress is not None:
            sheet.rows = progress(sheet.rows)
        return run_import(spec=spec, sheet=sheet, user=user, dry_run=dry_run, check_rights=check_rights)

    return run


def template_runner(template, user=None, progress=None) -> Runner:
    """Runs the rows through a machine template into WorkshopEntries."""
    from machines.services import template_import

    def run(sheet: Sheet, dry_run: bool) -> ImportOutcome:
        if progress is not None:
            sheet.rows = progress(sheet.rows)
        return template_import(template=template, sheet=sheet, user=user, dry_run=dry_run)

    return run


def _delete_file(name: str | None) -> None:
    if not name:
        return
    from django.core.files.storage import default_storage

    try:
        default_storage.delete(name)
    except Exception as exc:  # the record is gone; cleanup_uploads removes what stays
        log.warning("import.orphan_file", name=name, error=type(exc).__name__)
