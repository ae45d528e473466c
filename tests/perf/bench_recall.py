"""Benchmark: the recall of a lot used on 50,000 welds, as .xlsx through the endpoint, against
openpyxl's write-only mode writing the same rows.

    .venv/bin/python tests/perf/bench_recall.py [--help]
    .venv/bin/python tests/perf/bench_recall.py --welds 5000                    # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:55433/recall_bench ...            # a PostgreSQL of your own, seed kept

One run, one database, one process:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated;
2. seeded in SQL (`INSERT … SELECT … FROM generate_series`): 200 welders, 500 work orders of
   50 clients, `--welds` welds using the recalled lot (one to three entries each with it, by
   skewed welders, 5% of them repairs) plus as many welds again that never used it; another
   lot on half of all welds (so the lot's filter matters); VT on 60% of the welds and RT on
   40% (one RT in ten failed): the R10 statuses are a real mix; then VACUUM (ANALYZE);
3. the floor's rows, pre-fetched once into memory (the recall's own query, `recall_rows`, with
   the welders joined as the file writes them: "pre-fetched", no database in the floor), and
   a check that the endpoint's file holds exactly those rows;
4. alternating rounds (`--rounds`) of
     floor  openpyxl write-only writing the header and those in-memory tuples to a BytesIO;
     API    `GET /api/v1/consumable-lots/{id}/welds/export/?format=xlsx` in process
            (django.test.Client, JWT, role check, strict parameters, the query with R10 and the
            per-weld figures, the export writer, FileResponse), the body read in full;
   the medians, the per-round ratio API / floor and its median against the 1.5× target;
   for information, the query alone (rows read, nothing written) and one JSON page;
5. `--profile`: a profile of one request (pyinstrument when installed, else cProfile);
6. stops the PostgreSQL it started and removes the temp folder.

Exit status 0 whether or not the target is met; non-zero only when the benchmark itself could
not run or the file and the floor's rows differ.
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_workorders_list import (  # noqa: E402
    say,
    step,
)
from tests.perf.common import bench_run, http_client, profile, report_errors, vacuum  # noqa: E402

TARGET_RATIO = 1.5
LOT = "BR-LOT-RECALL"
OTHER_LOT = "BR-LOT-OTHER"

SEED_SQL = {
    "employees": """
        INSERT INTO staff_employee (employee_id, name, role, created_at, updated_at)
        SELECT 'BR-E' || lpad(g::text, 4, '0'), 'Welder ' || g, 'Welder', %(now)s, %(now)s
        FROM generate_series(1, 200) AS g""",
    "items": """
        INSERT INTO inventory_item (item_id, item_name, quantity, unit, reorder_level, created_at, updated_at)
        VALUES ('BR-INV-1', 'Wire G3Si1 1.2 mm', 100, 'kg', 10, %(now)s, %(now)s)""",
    "lots": """
        INSERT INTO inventory_consumablelot
            (lot_id, item_id, designation, aws_class, filler_group, heat_number, certificate_type,
             certificate_no, created_at, updated_at)
        SELECT l, (SELECT id FROM inventory_item WHERE item_id = 'BR-INV-1'),
               'ISO 14341-A G 42 4 M21 3Si1', 'ER70S-6', 'FM1', 'H' || length(l), '3.1', '', %(now)s, %(now)s
        FROM unnest(ARRAY[%(lot)s, %(other)s]) AS l""",
    "work orders": """
        INSERT INTO workorders_workorder
            (order_id, client, description, status, quality_level, assignment_override_reason,
             created_at, updated_at)
        SELECT 'BR-WO' || lpad(g::text, 4, '0'), 'Client ' || lpad(mod(g, 50)::text, 2, '0'), '',
               (ARRAY['pending', 'in_progress', 'on_hold', 'completed'])[1 + mod(g, 4)], 'C', '',
               %(now)s, %(now)s
        FROM generate_series(1, 500) AS g""",
    "WPS": """
        INSERT INTO workorders_wps
            (wps_id, revision, status, pqr_ref, process, root_process, product_forms, weld_types,
             material_groups, filler_group, filler_designation, shielding_gas, thickness_min_mm,
             positions, parameters, created_at, updated_at)
        SELECT 'BR-WPS-' || p, '', 'approved', '', p, '', '["P", "T"]', '["BW", "FW"]', '[]', 'FM1',
               '', '', 3, '["PA", "PB", "PC", "PF"]', '{}', %(now)s, %(now)s
        FROM unnest(ARRAY['135', '141']) AS p""",
    # Twice --welds: the odd ones use the recalled lot. One in ten without a WPS.
    "welds": """
        INSERT INTO workorders_weld
            (weld_id, order_id, wps_id, joint_type, product_form, thickness_mm, position,
             quality_level, ndt_required, created_at, updated_at)
        SELECT 'BR-W' || lpad(g::text, 7, '0'),
               (SELECT min(id) FROM workorders_workorder WHERE order_id LIKE 'BR-WO%%') + mod(g / 2, 500),
               CASE WHEN mod(g, 10) = 3 THEN NULL
                    ELSE (SELECT min(id) FROM workorders_wps WHERE wps_id LIKE 'BR-WPS-%%') + mod(g, 2) END,
               'BW', 'P', 10, 'PF', 'C',
               CASE WHEN mod(g, 5) < 2 THEN '["VT", "RT"]' ELSE '["VT"]' END::jsonb,
               %(now)s, %(now)s
        FROM generate_series(1, 2 * %(welds)s) AS g""",
    # The recalled lot: 1–3 entries on each odd weld (5% repairs); the other lot: one entry on
    # every weld whose number is a multiple of 2 or 3 … about half of them.
    "weld-log entries": """
        INSERT INTO workorders_weldactivity
            (weld_id, welder_id, process, layer, welded_on, consumable_lot_id, check_result,
             override_reason, created_at, updated_at)
        SELECT w.id,
               (SELECT min(id) FROM staff_employee WHERE employee_id LIKE 'BR-E%%') + floor(r * r * 200)::int,
               '135',
               CASE WHEN random() < 0.05 THEN 'repair' ELSE 'complete' END,
               %(today)s::date - floor(random() * 300)::int,
               (SELECT id FROM inventory_consumablelot WHERE lot_id = %(lot)s),
               '{}'::jsonb, '', %(now)s, %(now)s
        FROM (SELECT id, substr(weld_id, 5)::int AS n FROM workorders_weld WHERE weld_id LIKE 'BR-W%%') AS w
        CROSS JOIN generate_series(1, 3) AS k
        CROSS JOIN LATERAL (SELECT random() AS r) AS rr
        WHERE mod(w.n, 2) = 1 AND k <= 1 + mod(w.n / 2, 3)
        UNION ALL
        SELECT w.id,
               (SELECT min(id) FROM staff_employee WHERE employee_id LIKE 'BR-E%%') + mod(w.n, 200),
               '135', 'complete', %(today)s::date - mod(w.n, 300),
               (SELECT id FROM inventory_consumablelot WHERE lot_id = %(other)s),
               '{}'::jsonb, '', %(now)s, %(now)s
        FROM (SELECT id, substr(weld_id, 5)::int AS n FROM workorders_weld WHERE weld_id LIKE 'BR-W%%') AS w
        WHERE mod(w.n, 3) = 0 OR mod(w.n, 4) = 0""",
    "inspections": """
        INSERT INTO inspections_inspection
            (inspection_id, inspector, result, defect_type, method, inspected_at, notes, work_order_id,
             weld_id, report_no, created_at, updated_at)
        SELECT 'BR-QC-' || m.method || '-' || w.n, 'Bench',
               CASE WHEN m.method = 'RT' AND mod(w.n, 10) = 1 THEN 'fail' ELSE 'pass' END,
               CASE WHEN m.method = 'RT' AND mod(w.n, 10) = 1 THEN 'porosity' END,
               m.method, %(now)s - (mod(w.n, 200) || ' days')::interval, '', w.order_id, w.id, '',
               %(now)s, %(now)s
        FROM (SELECT id, order_id, substr(weld_id, 5)::int AS n FROM workorders_weld WHERE weld_id LIKE 'BR-W%%') AS w
        CROSS JOIN (VALUES ('VT'), ('RT')) AS m(method)
        WHERE (m.method = 'VT' AND mod(w.n, 5) < 3) OR (m.method = 'RT' AND mod(w.n, 5) < 2)""",
}
TABLES = (
    "staff_employee",
    "inventory_consumablelot",
    "workorders_workorder",
    "workorders_weld",
    "workorders_weldactivity",
    "inspections_inspection",
)
HEADERS = [
    "WeldID",
    "OrderID",
    "Client",
    "OrderStatus",
    "WPSID",
    "WeldStatus",
    "FirstWeldedOn",
    "LastWeldedOn",
    "Welders",
    "Entries",
]


def seed(welds: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    with transaction.atomic(), connection.cursor() as cursor:  # all or nothing: a rerun reseeds
        cursor.execute("SELECT count(*) FROM workorders_weld WHERE weld_id LIKE 'BR-W%%'")
        existing = cursor.fetchone()[0]
        if existing == 2 * welds:
            step(f"Reusing the {existing:,} welds already seeded")
            return
        if existing:
            raise RuntimeError(f"The database holds {existing:,} other bench welds: use an empty one.")
        params = {
            "now": timezone.now(),
            "today": timezone.localdate(),
            "welds": welds,
            "lot": LOT,
            "other": OTHER_LOT,
        }
        cursor.execute("SELECT setseed(0.13)")
        started = time.perf_counter()
        for name, sql in SEED_SQL.items():
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            step(f"Seeded {cursor.rowcount:,} {name} ({time.perf_counter() - t0:.1f} s)")
        step(f"Seeding took {time.perf_counter() - started:.1f} s")


def timed(func) -> float:
    gc.collect()
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def floor_xlsx(rows: list[tuple]) -> int:
    from openpyxl import Workbook

    out = io.BytesIO()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    wb.save(out)
    return out.tell()


def api_export(client, url: str) -> bytes:
    response = client.get(url, {"format": "xlsx"})
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code} {response.content[:300]!r}")
    return b"".join(response.streaming_content)


def floor_rows(lot) -> list[tuple]:
    """The recall's rows, as the file writes them (the welders as one comma-separated text)."""
    from inventory.recall import WELDERS_AT, recall_reading, recall_rows, recall_welds

    at = WELDERS_AT
    with recall_reading():
        found = list(recall_rows(recall_welds(lot)))
    return [(*r[:at], ", ".join(r[at] or ()) or None, *r[at + 1 :]) for r in found]


def query_only(lot) -> int:
    """The recall's rows read (as the export reads them), nothing written."""
    from inventory.recall import recall_reading, recall_rows, recall_welds

    with recall_reading():
        return sum(1 for _ in recall_rows(recall_welds(lot), chunk_size=2000))


def check_same(content: bytes, rows: list[tuple]) -> None:
    import datetime as dt

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    got = list(sheet.values)
    if list(got[0]) != HEADERS or len(got) != len(rows) + 1:
        raise RuntimeError(f"Unexpected file: header {got[0]}, {len(got) - 1:,} rows for {len(rows):,}")
    for cells, want in zip(got[1:], rows, strict=True):
        cells = tuple(c.date() if isinstance(c, dt.datetime) else c for c in cells)
        cells += (None,) * (len(want) - len(cells))
        if cells != want:
            raise RuntimeError(f"The file and the floor differ: {cells} != {want}")
    step(f"The endpoint's file holds exactly the floor's {len(rows):,} rows")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--welds", type=int, default=50_000, help="welds that used the lot (default 50000)")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds of each, alternating")
    parser.add_argument("--profile", action="store_true", help="profile one request")
    parser.add_argument("--keep-tmp", action="store_true")
    args = parser.parse_args(argv)

    with bench_run("recall", "Weldshop recall export benchmark", keep_tmp=args.keep_tmp, quiet_requests=True):
        return report_errors(lambda: measure(args))


def measure(args) -> int:
    from inventory.models import ConsumableLot

    seed(args.welds)
    vacuum(TABLES, fresh=False)
    lot = ConsumableLot.objects.select_related("item").get(lot_id=LOT)
    url = f"/api/v1/consumable-lots/{lot.pk}/welds/export/"
    client = http_client()

    rows = floor_rows(lot)
    if len(rows) != args.welds:
        raise RuntimeError(f"Expected {args.welds:,} welds in the recall, found {len(rows):,}.")
    from collections import Counter

    step("R10 statuses: " + ", ".join(f"{s} {n:,}" for s, n in Counter(r[5] for r in rows).most_common()))
    check_same(api_export(client, url), rows)

    jobs = {
        "floor": lambda: floor_xlsx(rows),
        "api": lambda: api_export(client, url),
        "query": lambda: query_only(lot),
    }
    for job in jobs.values():  # warm-up
        job()
    times: dict[str, list[float]] = {key: [] for key in jobs}
    for round_no in range(args.rounds):
        order = list(jobs) if round_no % 2 == 0 else list(reversed(jobs))
        for key in order:
            times[key].append(timed(jobs[key]))
        say(f"    round {round_no + 1}: " + ", ".join(f"{k} {times[k][-1]:.2f} s" for k in jobs))
    page_url = f"/api/v1/consumable-lots/{lot.pk}/welds/?page_size=50&page=10"
    page = statistics.median(timed(lambda: client.get(page_url)) for _ in range(args.rounds))

    ratios = [a / f for a, f in zip(times["api"], times["floor"], strict=True)]
    ratio = statistics.median(ratios)
    line = "-" * 76
    say()
    say(line)
    say(f"  The recall of a lot used on {args.welds:,} welds, as .xlsx (medians of {args.rounds} rounds)")
    say(f"  floor: openpyxl write-only, pre-fetched rows   {statistics.median(times['floor']):7.2f} s")
    say(f"  API:   GET …/welds/export/?format=xlsx           {statistics.median(times['api']):7.2f} s")
    say(f"  (the query alone, rows read, nothing written)    {statistics.median(times['query']):7.2f} s")
    say(
        f"  ratio API / floor (median of per-round ratios)   {ratio:7.2f}   {', '.join(f'{r:.2f}' for r in ratios)}"
    )
    say(f"  target <= {TARGET_RATIO:.2f}: {'PASS' if ratio <= TARGET_RATIO else 'FAIL'}")
    say(f"  for information: one JSON page (50 rows, page 10) {page * 1000:6.0f} ms")
    say(line)

    if args.profile:
        profile(lambda: api_export(client, url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
