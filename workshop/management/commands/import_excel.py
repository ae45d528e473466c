"""`manage.py import_excel <resource|template:ID> <path> [--dry-run] [--user NAME]`

Imports a workbook like the API does (same checks, all or nothing, an ExcelImport record
with the stored file), with a progress bar on a terminal."""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from workshop.errors import DomainError, Rejected
from workshop.imports.service import ImportRun, store_import
from workshop.imports.spec import registry
from workshop.imports.targets import template_target


class Command(BaseCommand):
    help = "Import an Excel file into a resource (employees, equipment, items, workorders, inspections) or a template."

    def add_arguments(self, parser):
        parser.add_argument("target", help="A resource name, or template:<id> for a machine log template.")
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check every row, write nothing.")
        parser.add_argument("--user", help="Record the import as made by this user.")

    def handle(self, *args, target, path, dry_run, user, **options):
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user {user!r}.")
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        if target.startswith("template:"):
            template_id = target.removeprefix("template:")
            templates = template_target()
            if not template_id.isdigit() or templates is None or templates.get(int(template_id)) is None:
                raise CommandError(f"No template {template_id!r}.")
            into = {"template_id": int(template_id)}
        elif target in registry():
            into = {"resource": target}
        else:
            raise CommandError(
                f"Unknown resource {target!r}; one of: {', '.join(registry())}, template:<id>."
            )
        bar = tqdm(unit=" rows", desc="Reading", file=sys.stderr, disable=not sys.stderr.isatty())

        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.update(done - bar.n)

        run = ImportRun(**into, user=actor, dry_run=dry_run, progress=progress)
        try:
            with path.open("rb") as upload, bar:
                record = store_import(upload=upload, filename=path.name, run=run)
        except DomainError as exc:  # a refused file (with its row errors), the storage down …
            for problem in (exc.errors if isinstance(exc, Rejected) else None) or []:
                self.stderr.write(f"  row {problem['row']}, {problem['column'] or '-'}: {problem['message']}")
            raise CommandError(exc.detail) from exc
        verb = "Checked" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {record.rows_total} rows from {path.name}: {record.rows_created} new, "
                f"{record.rows_updated} updated (import {record.pk})."
            )
        )
