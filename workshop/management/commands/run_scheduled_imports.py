"""`manage.py run_scheduled_imports` — for cron, every minute.

Runs each active schedule whose daily time has come and that has not run since. It reads
only `IMPORT_DROP_DIR/<source>` (local storage) or `<IMPORT_DROP_PREFIX><source>` in the
S3 bucket, records an ExcelImport per run (failed runs too), and never imports the same file
content twice for a template (SHA-256). Safe to run on several hosts at once: each schedule
is locked while it runs (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL)."""

import datetime as dt
import hashlib

import structlog
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from machines.models import ExcelImport, ImportSchedule, ImportStatus
from workshop.api.exceptions import RequestRejected, ServiceUnavailable
from workshop.imports.dropbox import DropboxError, read_drop_file
from workshop.imports.service import store_import, template_runner

log = structlog.get_logger(__name__)


def due_moment(schedule: ImportSchedule, now: dt.datetime) -> dt.datetime:
    """Today's run time of the schedule, in TIME_ZONE."""
    local = timezone.localtime(now)
    return local.replace(hour=schedule.hour, minute=schedule.minute, second=0, microsecond=0)


def is_due(schedule: ImportSchedule, now: dt.datetime) -> bool:
    moment = due_moment(schedule, now)
    return now >= moment and (schedule.last_run_at is None or schedule.last_run_at < moment)


class Command(BaseCommand):
    help = "Run the import schedules that are due (meant for cron, every minute)."

    def handle(self, *args, **options):
        now = timezone.now()
        ran = 0
        for schedule_id in ImportSchedule.objects.filter(active=True).values_list("pk", flat=True):
            with transaction.atomic():
                schedule = (
                    ImportSchedule.objects.select_for_update(skip_locked=True)
                    .select_related("template")
                    .filter(pk=schedule_id, active=True)
                    .first()
                )
                if schedule is None or not is_due(schedule, now):
                    continue
                schedule.last_status = self.run_one(schedule)
                schedule.last_run_at = now
                schedule.save(update_fields=["last_status", "last_run_at", "updated_at"])
                ran += 1
        # One JSON log line (it runs under cron or in the scheduler container, where stdout is
        # the log); the plain sentence only when asked for (-v 2).
        log.info("schedules.finished", ran=ran)
        if options["verbosity"] > 1:
            self.stdout.write(f"Ran {ran} schedule(s).")

    def run_one(self, schedule: ImportSchedule) -> str:
        try:
            data = read_drop_file(schedule.source)
        except DropboxError as exc:
            return self.failed(schedule, str(exc))
        digest = hashlib.sha256(data).hexdigest()
        if ExcelImport.objects.filter(
            template=schedule.template, content_hash=digest, status=ImportStatus.SUCCEEDED, dry_run=False
        ).exists():
            log.info("schedule.unchanged", schedule_id=schedule.pk, source=schedule.source)
            return ImportStatus.SUCCEEDED
        try:
            with transaction.atomic():
                record = store_import(
                    upload=data,
                    filename=schedule.source,
                    user=None,
                    dry_run=False,
                    run=template_runner(schedule.template),
                    template=schedule.template,
                )
        except RequestRejected as exc:
            return self.failed(schedule, str(exc.detail), errors=exc.errors)
        except ServiceUnavailable as exc:
            return self.failed(schedule, str(exc.detail))
        log.info("schedule.ran", schedule_id=schedule.pk, import_id=record.pk, rows=record.rows_total)
        return ImportStatus.SUCCEEDED

    def failed(self, schedule: ImportSchedule, message: str, errors: list | None = None) -> str:
        ExcelImport.objects.create(
            template=schedule.template,
            filename=schedule.source,
            status=ImportStatus.FAILED,
            errors=errors or [{"row": 0, "column": "", "message": message}],
            rows_rejected=len(errors or []),
            finished_at=timezone.now(),
        )
        log.warning("schedule.failed", schedule_id=schedule.pk, source=schedule.source, reason=message)
        return ImportStatus.FAILED
