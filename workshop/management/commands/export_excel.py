"""`manage.py export_excel <resource> <path> [--format xlsx|csv]`

Writes every row of a resource (by id) to `path` with the same writer as
`GET /api/v1/<resource>/export/`, so the file imports back unchanged. The format comes from
`--format`, else from the path's suffix (`.xlsx` or `.csv`). A progress bar goes to stderr
when it is a terminal. The file appears only once complete (written beside it, then renamed).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from workshop.imports.export import FORMATS, write_export
from workshop.imports.spec import registry


class Command(BaseCommand):
    help = "Export every row of a resource to an .xlsx or .csv file, with the shop's headers."

    def add_arguments(self, parser):
        parser.add_argument("resource", help=f"One of: {', '.join(sorted(registry()))}.")
        parser.add_argument("path", help="The file to write (.xlsx or .csv); an existing file is replaced.")
        parser.add_argument(
            "--format",
            dest="fmt",
            help=f"One of: {', '.join(FORMATS)} (default: from the path's suffix).",
        )

    def handle(self, *args, resource: str, path: str, fmt: str | None, **options):
        specs = registry()
        if resource not in specs:
            raise CommandError(f"Unknown resource {resource!r}. Choose one of: {', '.join(sorted(specs))}.")
        spec = specs[resource]
        target = Path(path)
        fmt = (fmt or target.suffix.removeprefix(".")).lower()
        if fmt not in FORMATS:
            raise CommandError(
                f"Cannot tell the format of {str(target)!r}: give the path a .xlsx or .csv suffix, "
                f"or --format {'|'.join(FORMATS)}."
            )
        if not target.parent.is_dir():
            raise CommandError(f"No such folder: {str(target.parent)!r}.")

        queryset = spec.model._default_manager.order_by("pk")
        total = queryset.count()
        stream = getattr(self.stderr, "_out", sys.stderr)  # the raw stream: tqdm redraws with "\r"
        partial = target.with_name(target.name + ".part")
        with tqdm(
            total=total, unit=" rows", desc=f"{resource}", file=stream, disable=not _is_tty(stream)
        ) as bar:
            try:
                with open(partial, "wb") as out:
                    rows = write_export(queryset, spec, fmt, out, progress=bar.update)
                os.replace(partial, target)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        meta = spec.model._meta
        noun = meta.verbose_name if rows == 1 else meta.verbose_name_plural
        self.stdout.write(f"Wrote {rows} {noun} to {target} ({fmt}).")


def _is_tty(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
