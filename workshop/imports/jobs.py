"""The background jobs of the Excel engine (SPEC §5): imports and template uploads (queued when
the client sends `Prefer: respond-async` or the sheet has more than `IMPORT_SYNC_MAX_ROWS`
rows), exports (`POST /<r>/export/` with `Prefer: respond-async`) and scheduled imports (queued
by Celery beat). Each is a handler of workshop.jobs: it runs inside the job's transaction on a
worker, so what it writes and the job's success commit together."""

from __future__ import annotations

import tempfile

import structlog
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone

from workshop.errors import Rejected, ValidationFailed
from workshop.imports.export import (
    FORMATS,
    SPOOL_MAX_BYTES,
    export_filename,
    export_view,
    select_columns,
    write_export,
)
from workshop.imports.models import ExcelImport, ImportSchedule, ImportStatus
from workshop.imports.reader import Upload
from workshop.imports.schedules import is_due, schedule_run
from workshop.imports.service import ImportRun, import_stored_file, upload_hash
from workshop.imports.spec import registry
from workshop.jobs.api import error_body_for
from workshop.jobs.models import FINISHED, Job, JobKind
from workshop.jobs.services import Failed, Progress, job_create, job_handler

log = structlog.get_logger(__name__)


# ------------------------------------------------------------------------------ imports
def _kind(run: ImportRun) -> str:
    return JobKind.IMPORT if run.resource else JobKind.TEMPLATE_UPLOAD


def _params(run: ImportRun, filename: str, file_hash: str) -> dict:
    return {
        "resource": run.resource,
        "template_id": run.template_id,
        "dry_run": run.dry_run,
        "check_rights": run.check_rights,
        "filename": filename,
        "content_hash": file_hash,
    }


def import_job_replayed(*, user, run: ImportRun, upload) -> Job | None:
    """The job an Idempotency-Key already queued, when this is the same request again (the
    same resource or template, dry run and file); the same key for another request is a 422."""
    if not run.idempotency_key or user is None or not user.is_authenticated:
        return None
    job = Job.objects.filter(created_by=user, idempotency_key=run.idempotency_key).first()
    if job is None:
        return None
    params = job.params
    if (
        job.kind != _kind(run)
        or params.get("resource", "") != run.resource
        or params.get("template_id") != run.template_id
        or params.get("dry_run") != run.dry_run
    ):
        raise ValidationFailed(
            {"Idempotency-Key": ["This key was already used for another request; send a new key."]}
        )
    if params.get("content_hash") != upload_hash(upload):
        raise ValidationFailed(
            {"Idempotency-Key": ["This Idempotency-Key was already used for a different file."]}
        )
    return job


def import_job_create(*, run: ImportRun, upload: Upload, filename: str, request_id: str = "") -> Job:
    """Queue an import or a template upload of a checked file: the file goes to the storage
    (any worker on any host reads it there), the job to the broker once this commits."""
    from workshop.imports.service import content_hash

    try:
        with transaction.atomic():
            return job_create(
                kind=_kind(run),
                params=_params(run, filename, content_hash(upload.data)),
                user=run.user,
                request_id=request_id,
                idempotency_key=run.idempotency_key,
                input_name=filename,
                input_data=upload.data,
                total=upload.data_rows,
            )
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key queued it first: answer its job.
        job = Job.objects.filter(created_by=run.user, idempotency_key=run.idempotency_key).first()
        if job is None:
            raise
        return job


@job_handler(JobKind.IMPORT, "Import")
@job_handler(JobKind.TEMPLATE_UPLOAD, "Template upload")
def run_import_job(job: Job, progress: Progress) -> dict:
    """Imports the job's stored upload as its user (their role's rights as they are now); the
    ExcelImport record keeps the file. A refusal (a bad row: 422 with every row error) fails
    the job and writes nothing."""
    params = job.params
    if params.get("check_rights") and (job.created_by is None or not job.created_by.is_active):
        raise PermissionDenied("The user who queued this import can no longer import.")
    run = ImportRun(
        resource=params.get("resource", ""),
        template_id=params.get("template_id"),
        user=job.created_by,
        dry_run=params.get("dry_run", False),
        check_rights=params.get("check_rights", False),
        progress=progress,
    )
    record = import_stored_file(name=job.input_file.name, filename=params["filename"], run=run)
    job.input_file = ""  # the import record keeps the file now
    return {
        "import_id": record.pk,
        "rows_total": record.rows_total,
        "rows_created": record.rows_created,
        "rows_updated": record.rows_updated,
        "dry_run": record.dry_run,
    }


# ------------------------------------------------------------------------------ schedules
def queue_due_schedules(*, now=None) -> int:
    """What Celery beat sends every minute: a `scheduled_import` job for each active schedule
    whose daily time has come, that has not run since and has no job under way."""
    now = now or timezone.now()
    under_way = {
        params.get("schedule_id")
        for params in Job.objects.filter(kind=JobKind.SCHEDULED_IMPORT)
        .exclude(status__in=FINISHED)
        .values_list("params", flat=True)
    }
    queued = 0
    for schedule in ImportSchedule.objects.filter(active=True):
        if schedule.pk in under_way or not is_due(schedule, now):
            continue
        job_create(kind=JobKind.SCHEDULED_IMPORT, params={"schedule_id": schedule.pk})
        queued += 1
    if queued:
        log.info("schedules.queued", jobs=queued)
    return queued


@job_handler(JobKind.SCHEDULED_IMPORT, "Scheduled import")
def run_scheduled_import(job: Job, progress: Progress) -> dict:
    """Runs one schedule if it is still due (its row locked: `run_scheduled_imports` from cron
    on another host skips it meanwhile). A failed import is recorded as an ExcelImport with
    `status: failed`, like every scheduled run; the result says which."""
    schedule_id = job.params["schedule_id"]
    now = timezone.now()
    schedule = ImportSchedule.objects.select_for_update().filter(pk=schedule_id, active=True).first()
    if schedule is None or not is_due(schedule, now):
        return {"schedule_id": schedule_id, "import_status": None, "ran": False}
    status = schedule_run(schedule=schedule)
    schedule.last_status, schedule.last_run_at = status, now
    schedule.save(update_fields=["last_status", "last_run_at", "updated_at"])
    result = {"schedule_id": schedule_id, "import_status": status, "ran": True}
    if status != ImportStatus.FAILED:
        return result
    # The job fails with the run's reason, and the failed run's record and the schedule's
    # status stay (raising would roll them back).
    record = ExcelImport.objects.filter(template_id=schedule.template_id, status=ImportStatus.FAILED).last()
    reason = Rejected(
        422, f"The scheduled import of {schedule.source} failed.", record.errors if record else None
    )
    return Failed(error=error_body_for(reason), result={**result, "import_id": record.pk if record else None})


# ------------------------------------------------------------------------------ exports


@job_handler(JobKind.EXPORT, "Export")
def run_export(job: Job, progress: Progress) -> dict:
    """Writes the export the job's request asked for — the same filters, run now as its user —
    into storage; the result names the file and where to download it."""
    from workshop.api.router import viewset_for  # the router imports every app's views

    params = job.params
    spec = registry()[params["resource"]]
    query = QueryDict(mutable=True)
    for name, values in (params.get("query") or {}).items():
        query.setlist(name, values)
    view = export_view(viewset_for(params["resource"]), user=job.created_by, params=query)
    queryset = view.filter_queryset(view.get_queryset())
    total = queryset.count()
    progress(0, total)
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        progress(done, total)

    fmt = params["format"]
    filename = export_filename(spec.resource, fmt)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES) as out:
        rows = write_export(
            queryset, spec, fmt, out, columns=select_columns(spec, params.get("fields")), progress=advance
        )
        out.seek(0)
        job.output_file.save(filename, File(out, name=filename), save=False)
    return {
        "rows": rows,
        "filename": filename,
        "content_type": FORMATS[fmt].content_type,
        "download": f"/api/v1/jobs/{job.pk}/download",
    }
