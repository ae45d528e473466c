"""Benchmark: how long the import records' move to the core (machines 0004–0006, imports 0001)
takes on a populated database, forwards and backwards — the stop an upgrade needs.

    .venv/bin/python tests/perf/bench_move_migration.py [--imports N] [--entries N] [--sqlite]

A throwaway PostgreSQL (or the one in DATABASE_URL; or a temp SQLite file with `--sqlite`) is
migrated to the end, taken back to just before the move, filled through the models as they
were then (`--imports` ExcelImports, a schedule per 100 of them, `--entries` workshop entries
spread over the imports), then migrated forwards and backwards again, each timed. The rows are
counted after each step.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")

from tests.perf.bench_workorders_list import Postgres, say, setup_django, step, stop_database, use_database  # noqa: E402

BEFORE_MOVE = ("machines", "0003_validators_for_admin_and_api")
BATCH = 10_000


def migrate(targets) -> float:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    started = time.perf_counter()
    MigrationExecutor(connection).migrate(targets)
    return time.perf_counter() - started


def leaves():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def historical_apps():
    """The models as they were just before the move."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    graph = MigrationExecutor(connection).loader.graph
    nodes = [BEFORE_MOVE, *(n for n in graph.leaf_nodes() if n[0] in ("auth", "contenttypes"))]
    return MigrationExecutor(connection).loader.project_state(nodes).apps


def fill(n_imports: int, n_entries: int) -> None:
    apps = historical_apps()
    Machine, Template = apps.get_model("machines", "Machine"), apps.get_model("machines", "ImportTemplate")
    Import, Schedule = apps.get_model("machines", "ExcelImport"), apps.get_model("machines", "ImportSchedule")
    Entry = apps.get_model("machines", "WorkshopEntry")
    machine = Machine.objects.create(name="Robot cell", code="BENCH-RC")
    templates = Template.objects.bulk_create(
        [Template(name=f"Log {i}", machine=machine, mapping={"Date": "date"}) for i in range(10)]
    )
    for start in range(0, n_imports, BATCH):
        Import.objects.bulk_create(
            [
                Import(template=templates[i % 10], filename=f"log-{i}.xlsx", status="succeeded", rows_total=1)
                for i in range(start, min(start + BATCH, n_imports))
            ]
        )
    Schedule.objects.bulk_create(
        [
            Schedule(template=templates[i % 10], source=f"log-{i}.xlsx")
            for i in range(max(n_imports // 100, 1))
        ]
    )
    import_ids = list(Import.objects.values_list("pk", flat=True))
    for start in range(0, n_entries, BATCH):
        Entry.objects.bulk_create(
            [
                Entry(
                    template=templates[i % 10],
                    machine=machine,
                    excel_import_id=import_ids[i % len(import_ids)],
                    data={"date": "2025-11-25", "wire_kg": 1.5},
                )
                for i in range(start, min(start + BATCH, n_entries))
            ]
        )


def counts(app: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        found = []
        for table in (f"{app}_excelimport", f"{app}_importschedule", "machines_workshopentry"):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - our own table names
            found.append(f"{table} {cursor.fetchone()[0]:,}")
    return ", ".join(found)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--imports", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--sqlite", action="store_true", help="a temp SQLite file instead of PostgreSQL")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="weldshop-move-") as tmp:
        postgres = Postgres(Path(tmp))
        try:
            if args.sqlite:
                os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
                step("SQLite in a temp file")
            else:
                use_database(postgres)
            setup_django()
            step(f"Back to {BEFORE_MOVE[1]} ({migrate([BEFORE_MOVE]):.1f} s)")
            started = time.perf_counter()
            fill(args.imports, args.entries)
            step(f"Filled ({time.perf_counter() - started:.1f} s): {counts('machines')}")
            forwards = migrate(leaves())
            step(f"Forwards: {forwards:.2f} s — {counts('imports')}")
            backwards = migrate([BEFORE_MOVE])
            step(f"Backwards: {backwards:.2f} s — {counts('machines')}")
            say(
                f"\nThe move with {args.imports:,} imports and {args.entries:,} entries: "
                f"{forwards:.2f} s forwards, {backwards:.2f} s backwards."
            )
        finally:
            stop_database(postgres)
    return 0


if __name__ == "__main__":
    sys.exit(main())
