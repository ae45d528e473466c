"""Running the import schedules: each active schedule whose daily time has come and that has
not run since imports its file from the drop folder (workshop/imports/dropbox.py) through its
template. `run_due_schedules()` is what `manage.py run_scheduled_imports` (cron) runs, and
what a periodic job would run.

Every run leaves an ExcelImport (a failed one too, with the reason in `errors`), and the same
file content is never imported twice for a template (SHA-256). Safe on several hosts at once:
each schedule is locked while it runs (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import structlog
from django.db import transaction
from django.utils import timezone

from workshop.errors import DomainError, Rejected
from workshop.imports.dropbox import DropboxError, read_drop_file
from workshop.imports.models import ExcelImport, ImportSchedule, ImportStatus
from workshop.imports.service import ImportRun, content_hash, record_failed_run, store_import

log = structlog.get_logger(__name__)


def due_moment(schedule: ImportSchedule, now: dt.datetime) -> dt.datetime:
    """Today's run time of the schedule, in TIME_ZONE."""
    local = timezone.localtime(now)
    return local.replace(hour=schedule.hour, minute=schedule.minute, second=0, microsecond=0)


def is_due(schedule: ImportSchedule, now: dt.datetime) -> bool:
    moment = due_moment(schedule, now)
    return now >= moment and (schedule.last_run_at is None or schedule.last_run_at < moment)


def run_due_schedules(*, now: dt.datetime | None = None) -> int:
    """Runs every schedule due at `now` (default: now) that no other process is running;
    returns how many ran. Each runs in its own transaction, with its row locked."""
    now = now or timezone.now()
    ran = 0
    for schedule_id in ImportSchedule.objects.filter(active=True).values_list("pk", flat=True):
        with transaction.atomic():
            schedule = (
                ImportSchedule.objects.select_for_update(skip_locked=True)
                .filter(pk=schedule_id, active=True)
                .first()
            )
            if schedule is None or not is_due(schedule, now):
                continue
            schedule.last_status = schedule_run(schedule=schedule)
            schedule.last_run_at = now
            schedule.save(update_fields=["last_status", "last_run_at", "updated_at"])
            ran += 1
    log.info("schedules.finished", ran=ran)
    return ran


def schedule_run(*, schedule: ImportSchedule) -> str:
    """Imports the schedule's file once (skipped when that content was already imported
    through its template); returns the run's status. Failures are recorded, not raised."""
    run = ImportRun(template_id=schedule.template_id)
    try:
        data = read_drop_file(schedule.source)
    except DropboxError as exc:
        return _failed(schedule, run, str(exc))
    if ExcelImport.objects.filter(
        template_id=schedule.template_id,
        content_hash=content_hash(data),
        status=ImportStatus.SUCCEEDED,
        dry_run=False,
    ).exists():
        log.info("schedule.unchanged", schedule_id=schedule.pk, source=schedule.source)
        return ImportStatus.SUCCEEDED
    try:
        with transaction.atomic():
            record = store_import(upload=data, filename=schedule.source, run=run)
    except Rejected as exc:  # the file: its row errors
        return _failed(schedule, run, exc.detail, errors=exc.errors)
    except DomainError as exc:  # the storage is down, the template is gone
        return _failed(schedule, run, exc.detail)
    log.info("schedule.ran", schedule_id=schedule.pk, import_id=record.pk, rows=record.rows_total)
    return ImportStatus.SUCCEEDED


def _failed(schedule: ImportSchedule, run: ImportRun, message: str, errors: list | None = None) -> str:
    record_failed_run(run=run, filename=schedule.source, message=message, errors=errors)
    log.warning("schedule.failed", schedule_id=schedule.pk, source=schedule.source, reason=message)
    return ImportStatus.FAILED
