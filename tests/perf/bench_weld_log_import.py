"""Benchmark: a 50k-row weld-log import, every row through the welder check (WELDING.md R7),
against the same import with the check switched off, on PostgreSQL.

    .venv/bin/python tests/perf/bench_weld_log_import.py [--help]
    .venv/bin/python tests/perf/bench_weld_log_import.py --rows 5000   # a quick run

One run, one database, one file:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated, and
   the shop the file names: `--welders` employees with four qualifications each (135, 141,
   111, 136; ISO 9606-1, ASME IX and AWS D1.1 in turn; tested a year ago, ISO ones confirmed),
   200 welds on an approved WPS per process, 20 consumable lots, and 200,000 earlier weld-log
   entries (ASME/AWS continuity reads them);
2. a generated weld-log workbook (openpyxl write-only): `--rows` rows over the last 90 days,
   each one a qualified welder on a weld of their process (the import must create them all);
3. alternating rounds (`--rounds`) of:
     checked    `store_import()` into `weld-log`, as the API calls it: every row's welder check;
     unchecked  the same import with the check switched off (the row's rule skips the check:
                no qualifications loaded, nothing judged, no snapshot stored);
   each rolled back, so every round inserts the same rows; the medians and the ratio
   checked / unchecked against the 2× target;
4. `--profile`: a profile of one checked import (pyinstrument when installed, else cProfile);
5. stops the PostgreSQL it started and removes the temp folder.

A report: exit status 0 whether or not the target is met; non-zero only when it could not run.
"""

# The seeding SQL is assembled from constant fragments; every value is a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_import import import_once, measure  # noqa: E402
from tests.perf.bench_workorders_list import (  # noqa: E402
    say,
    step,
)
from tests.perf.common import bench_run, profile, report_errors  # noqa: E402

TARGET_RATIO = 2.0
PROCESSES = ("135", "141", "111", "136")
WELDS_PER_PROCESS = 200
LOTS = 20
EARLIER_ENTRIES = 200_000

SEED_SQL = {
    "employees": """
        INSERT INTO staff_employee (employee_id, name, role, created_at, updated_at)
        SELECT 'WL-E' || lpad(g::text, 5, '0'), 'Welder ' || g, 'Welder', %(now)s, %(now)s
        FROM generate_series(1, %(welders)s) AS g""",
    "qualifications": """
        INSERT INTO staff_welderqualification
            (qualification_id, employee_id, standard, designation, process, product_forms,
             weld_types, filler_groups, positions, thickness_min_mm, thickness_max_mm, test_date,
             examiner, revalidation_method, created_at, updated_at)
        SELECT 'WL-Q' || e.n || '-' || p.k, e.id,
               (ARRAY['iso_9606_1', 'asme_ix', 'aws_d1_1'])[1 + mod(e.n + p.k, 3)],
               '', p.process, '["P", "T"]', '["BW", "FW"]', '["FM1"]', '["PA", "PB", "PC", "PF"]', 3, 30,
               %(today)s::date - 365, '',
               CASE WHEN mod(e.n + p.k, 3) = 0 THEN '9.3b' ELSE '' END,
               %(now)s, %(now)s
        FROM (SELECT id, substr(employee_id, 5)::int AS n FROM staff_employee WHERE employee_id LIKE 'WL-E%%') AS e
        CROSS JOIN (VALUES (0, '135'), (1, '141'), (2, '111'), (3, '136')) AS p(k, process)""",
    # ISO: confirmed 200 and 20 days ago, so that every row of the last 90 days passes.
    "confirmations": """
        INSERT INTO staff_qualificationevent
            (qualification_id, kind, on_date, note, evidence, override_reason, created_at, updated_at)
        SELECT q.id, 'confirmation', %(today)s::date - d, '', '[]'::jsonb, '', %(now)s, %(now)s
        FROM staff_welderqualification q CROSS JOIN (VALUES (200), (20)) AS days(d)
        WHERE q.qualification_id LIKE 'WL-Q%%' AND q.standard = 'iso_9606_1'""",
    "WPS": """
        INSERT INTO workorders_wps
            (wps_id, revision, status, pqr_ref, process, root_process, product_forms, weld_types,
             material_groups, filler_group, filler_designation, shielding_gas, thickness_min_mm,
             positions, parameters, created_at, updated_at)
        SELECT 'WL-WPS-' || p, '', 'approved', '', p, '', '["P", "T"]', '["BW", "FW"]', '[]', 'FM1',
               '', '', 3, '["PA", "PB", "PC", "PF"]', '{}', %(now)s, %(now)s
        FROM unnest(%(processes)s::text[]) AS p""",
    "work order": """
        INSERT INTO workorders_workorder
            (order_id, client, description, status, quality_level, assignment_override_reason, created_at, updated_at)
        VALUES ('WL-WO-1', 'Client', '', 'in_progress', 'C', '', %(now)s, %(now)s)""",
    "welds": """
        INSERT INTO workorders_weld
            (weld_id, order_id, wps_id, joint_type, product_form, thickness_mm, position,
             quality_level, ndt_required, created_at, updated_at)
        SELECT 'WL-W-' || w.process || '-' || g,
               (SELECT id FROM workorders_workorder WHERE order_id = 'WL-WO-1'), w.id,
               'BW', 'P', 10, 'PF', 'C', '["VT"]', %(now)s, %(now)s
        FROM workorders_wps w CROSS JOIN generate_series(1, %(welds)s) AS g
        WHERE w.wps_id LIKE 'WL-WPS-%%'""",
    "items": """
        INSERT INTO inventory_item (item_id, item_name, quantity, unit, reorder_level, created_at, updated_at)
        VALUES ('WL-INV-1', 'Wire G3Si1 1.0 mm', 100, 'kg', 10, %(now)s, %(now)s)""",
    "lots": """
        INSERT INTO inventory_consumablelot
            (lot_id, item_id, designation, aws_class, filler_group, heat_number, certificate_type,
             certificate_no, created_at, updated_at)
        SELECT 'WL-LOT-' || g, (SELECT id FROM inventory_item WHERE item_id = 'WL-INV-1'),
               'ISO 14341-A G 42 4 M21 3Si1', '', 'FM1', 'H' || g, '3.1', '', %(now)s, %(now)s
        FROM generate_series(1, %(lots)s) AS g""",
    "earlier weld-log entries": """
        INSERT INTO workorders_weldactivity
            (weld_id, welder_id, process, layer, welded_on, check_result, override_reason, created_at, updated_at)
        SELECT w.id, e.id, w.process, 'fill', %(today)s::date - 91 - floor(random() * 270)::int, '{}', '',
               %(now)s, %(now)s
        FROM (SELECT floor(random() * %(welders)s)::int AS we, floor(random() * %(all_welds)s)::int AS wi
              FROM generate_series(1, %(earlier)s)) AS r
        JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM staff_employee
              WHERE employee_id LIKE 'WL-E%%') AS e ON e.i = r.we
        JOIN (SELECT d.id, p.process, row_number() OVER (ORDER BY d.id) - 1 AS i
              FROM workorders_weld d JOIN workorders_wps p ON p.id = d.wps_id
              WHERE d.weld_id LIKE 'WL-W-%%') AS w ON w.i = r.wi""",
}


def seed(args) -> None:
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM staff_employee WHERE employee_id LIKE 'WL-E%%'")
        if cursor.fetchone()[0]:
            raise RuntimeError("The database already holds WL-* records: use an empty one.")
        params = {
            "now": timezone.now(),
            "today": timezone.localdate(),
            "welders": args.welders,
            "welds": WELDS_PER_PROCESS,
            "all_welds": WELDS_PER_PROCESS * len(PROCESSES),
            "processes": list(PROCESSES),
            "lots": LOTS,
            "earlier": EARLIER_ENTRIES,
        }
        cursor.execute("SELECT setseed(0.42)")
        for name, sql in SEED_SQL.items():
            started = time.perf_counter()
            cursor.execute(sql, params)
            step(f"Seeded {cursor.rowcount:,} {name} ({time.perf_counter() - started:.1f} s)")
        cursor.execute("ANALYZE")


def write_workbook(path: Path, rows: int, welders: int) -> None:
    """The shop's weld-log columns (WELDING.md §5), each row a qualified welder on a weld of
    one of their processes, over the last 90 days."""
    from django.utils import timezone
    from openpyxl import Workbook

    rng = random.Random(42)
    today = timezone.localdate()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("WeldLog")
    ws.append(["WeldID", "EmployeeID", "Process", "Layer", "WeldedOn", "LotID", "EquipmentID", "ArcSeconds"])
    for _ in range(rows):
        process = rng.choice(PROCESSES)
        ws.append(
            [
                f"WL-W-{process}-{rng.randint(1, WELDS_PER_PROCESS)}",
                f"WL-E{rng.randint(1, welders):05d}",
                process,
                rng.choice(["root", "fill", "cap"]),
                today - dt.timedelta(days=rng.randint(0, 89)),
                f"WL-LOT-{rng.randint(1, LOTS)}",
                None,
                rng.randint(30, 900),
            ]
        )
    wb.save(path)


@contextmanager
def check_switched_off():
    """The weld-log rows' rule without the welder check: no qualifications loaded, nothing
    judged, no snapshot (the rest of the row's rule — the process from the WPS — stays)."""
    from workorders import imports

    with (
        mock.patch.object(imports, "_checker", lambda related, cache: None),
        mock.patch.object(imports.services, "weld_activity_checked", lambda **kwargs: {}),
    ):
        yield


def run_import(path: Path):
    from workshop.imports.service import ImportRun

    return import_once(path, keep=False, run=ImportRun(resource="weld-log"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--welders", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)

    with bench_run(
        "weldlog",
        "Weldshop weld-log import benchmark",
        keep_tmp=args.keep,
        database_note=" (imports are rolled back)",
        local_media=True,
        IMPORT_SYNC_MAX_ROWS=str(10 * args.rows),
    ) as tmp:
        return report_errors(lambda: benchmark(args, tmp))


def benchmark(args, tmp) -> int:
    seed(args)
    path = tmp / "weld_log.xlsx"
    write_workbook(path, args.rows, args.welders)
    step(f"{args.rows:,} weld-log rows written to {path.name} ({path.stat().st_size / 1e6:.1f} MB)")

    checked = run_import(path)
    if (checked.rows_total, checked.rows_created) != (args.rows, args.rows):
        raise RuntimeError(f"The checked import did not create every row: {checked.errors[:3]}")
    with check_switched_off():
        unchecked = run_import(path)
    if unchecked.rows_created != args.rows:
        raise RuntimeError("The unchecked import did not create every row")
    step("Warm-up done: both imports create every row")

    def off():
        with check_switched_off():
            run_import(path)

    times = measure({"checked": lambda: run_import(path), "unchecked": off}, args.rounds)
    on, bare = statistics.median(times["checked"]), statistics.median(times["unchecked"])
    verdict = "meets" if on <= TARGET_RATIO * bare else "MISSES"
    say(
        f"\n{args.rows:,} rows: checked {on:.2f} s, unchecked {bare:.2f} s, ratio {on / bare:.2f}x "
        f"— {verdict} the {TARGET_RATIO}x target"
    )
    if args.profile:
        profile(lambda: run_import(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
