"""`manage.py run_scheduled_imports` — for cron, every minute.

Runs each active schedule whose daily time has come and that has not run since
(workshop/imports/schedules.py). It reads only `IMPORT_DROP_DIR/<source>` (local storage) or
`<IMPORT_DROP_PREFIX><source>` in the S3 bucket, records an ExcelImport per run (failed runs
too), and never imports the same file content twice for a template (SHA-256). Safe to run on
several hosts at once: each schedule is locked while it runs."""

from django.core.management.base import BaseCommand

from workshop.imports.schedules import is_due, run_due_schedules

__all__ = ["Command", "is_due"]


class Command(BaseCommand):
    help = "Run the import schedules that are due (meant for cron, every minute)."

    def handle(self, *args, **options):
        # One JSON log line (`schedules.finished`: it runs under cron or in the scheduler
        # container, where stdout is the log); the plain sentence only when asked for (-v 2).
        ran = run_due_schedules()
        if options["verbosity"] > 1:
            self.stdout.write(f"Ran {ran} schedule(s).")
