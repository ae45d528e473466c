"""`manage.py cleanup_uploads --older-than-days N [--orphan-grace-minutes M] [--dry-run]`

Deletes the stored files of imports older than N days (the import records stay, without a
file) and files under `imports/` that no record points to — left by a crash or an outage
mid-upload — once they are M minutes old (default 60: an upload in flight is never that old,
gunicorn ends a request after 30 s), whatever N is."""

import datetime as dt
import posixpath

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workshop.history.records import UPDATED, record_rows
from workshop.imports.models import ExcelImport

PREFIX = "imports"


def walk(storage, path: str):
    """Every file name under `path`, recursively."""
    try:
        folders, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in files:
        yield posixpath.join(path, name)
    for folder in folders:
        yield from walk(storage, posixpath.join(path, folder))


class Command(BaseCommand):
    help = "Delete stored upload files older than N days, and files no import points to."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, required=True)
        parser.add_argument(
            "--orphan-grace-minutes",
            type=int,
            default=60,
            help="Files no import points to are deleted once this old (default 60).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only list what would be deleted.")

    def handle(self, *args, older_than_days, orphan_grace_minutes, dry_run, **options):
        if older_than_days < 0:
            raise CommandError("--older-than-days must be 0 or more.")
        if orphan_grace_minutes < 1:
            raise CommandError("--orphan-grace-minutes must be 1 or more (uploads in flight).")
        cutoff = timezone.now() - dt.timedelta(days=older_than_days)
        orphan_cutoff = timezone.now() - dt.timedelta(minutes=orphan_grace_minutes)
        storage = default_storage
        old = ExcelImport.objects.filter(created_at__lt=cutoff).exclude(file="")
        expired = 0
        for record in old.iterator():
            self._delete(storage, record.file.name, dry_run)
            if not dry_run:
                ExcelImport.objects.filter(pk=record.pk).update(file="")
                record.file = ""
                record_rows(ExcelImport, [record], UPDATED)
            expired += 1
        known = set(ExcelImport.objects.exclude(file="").values_list("file", flat=True))
        orphans = 0
        for name in walk(storage, PREFIX):
            if name in known:
                continue
            try:
                modified = storage.get_modified_time(name)
            except (NotImplementedError, OSError):
                modified = None
            if modified is not None and modified >= orphan_cutoff:
                continue  # maybe an upload in flight
            self._delete(storage, name, dry_run)
            orphans += 1
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {expired} expired upload file(s) and {orphans} orphan file(s).")

    def _delete(self, storage, name: str, dry_run: bool) -> None:
        if dry_run:
            self.stdout.write(f"  {name}")
        else:
            storage.delete(name)
