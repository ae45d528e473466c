"""`python manage.py prune_history [--days N] [--dry-run]`: deletes history versions older
than N days (default `HISTORY_RETENTION_DAYS`; unset: keeps everything), keeping each record's
latest version, and prints the counts."""

from django.core.management.base import BaseCommand, CommandError

from workshop.history.services import history_prune


class Command(BaseCommand):
    help = "Delete history versions older than HISTORY_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="Keep this many days (default: the setting)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, days=None, dry_run=False, **options):
        try:
            counts = history_prune(days=days, dry_run=dry_run)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not counts:
            self.stdout.write("HISTORY_RETENTION_DAYS is not set: the history is kept whole.")
            return
        verb = "would delete" if dry_run else "deleted"
        for label, count in counts.items():
            if count:
                self.stdout.write(f"{label}: {verb} {count}")
        self.stdout.write(f"Total: {verb} {sum(counts.values())} versions.")
