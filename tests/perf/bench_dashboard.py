"""Benchmark: the dashboard's selectors against hand-written SQL, on PostgreSQL with 1M rows.

    .venv/bin/python tests/perf/bench_dashboard.py [--help]

One run, one database:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated;
2. seeded in SQL (`INSERT … SELECT … FROM generate_series`, not the ORM): 1,000,000 work
   orders, 1,000,000 inspections, 10,000 items, 1,000 employees and 1,000 pieces of equipment,
   then VACUUM (ANALYZE) (`--fresh-table`: ANALYZE only). As in a shop's real tables, dates
   follow the order rows were added: due dates run from 400 days ago to 400 days ahead (±30
   days), inspections from 400 days ago to today;
3. for each dashboard endpoint, uncached: the endpoint's selector (its queries and the
   Python that shapes the answer) against hand-written SQL computing the same figures (raw
   cursor, plus the few lines that shape the same answer). Both answers must be equal. Runs
   alternate between the two; the verdict is the median of `--runs` runs each, and the ratio
   selector / SQL is checked against the 1.5x target. Alongside, as a report, the whole
   request (Django's test client in process, an admin's JWT, DASHBOARD_CACHE_SECONDS=0);
4. with `--explain`, EXPLAIN (ANALYZE, BUFFERS) of the selectors' main queries;
5. stops the PostgreSQL it started and removes the temp folder.

It is a report: the exit status is 0 whether or not the target is met (non-zero only when the
benchmark itself could not run, or when the two sides disagree on a figure).
"""

# The hand-written SQL is assembled from constant fragments; every value is a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_workorders_list import (  # noqa: E402
    Postgres,
    exit_cleanly_on_sigterm,
    production_environment,
    say,
    setup_django,
    step,
    stop_database,
    use_database,
)
from tests.perf.common import fetch, http_client, timed, vacuum  # noqa: E402

TARGET_RATIO = 1.5
LIMIT = 20
KEY_PREFIX = "BENCH-"
CLOSED = "('completed', 'cancelled')"


# ------------------------------------------------------------------------------- seeding
def seed(args, today: dt.date) -> None:
    """Everything in SQL: a million rows a table in seconds. Reuses an earlier seed of the
    same size (a DATABASE_URL kept between runs)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM workorders_workorder WHERE order_id LIKE %s", [KEY_PREFIX + "%"])
        existing = cursor.fetchone()[0]
        if existing == args.orders:
            step(f"Reusing {existing:,} {KEY_PREFIX}* work orders already in the database")
            return
        if existing:
            raise RuntimeError(
                f"The database holds {existing:,} {KEY_PREFIX}* work orders: use an empty one."
            )
        started = time.perf_counter()
        params = {"today": today, "n": args.orders, "ni": args.inspections, "seed": args.seed_value}
        cursor.execute("SELECT setseed(%(seed)s)", params)
        statements = {
            "employees": """
                INSERT INTO staff_employee (employee_id, name, role, certification_expiry, created_at, updated_at)
                SELECT 'BENCH-E' || lpad(g::text, 5, '0'), 'Welder ' || g,
                       (ARRAY['Welder', 'Senior Welder', 'Apprentice', 'Fitter', 'Inspector', ''])[1 + mod(g, 6)],
                       CASE WHEN mod(g, 10) = 0 THEN NULL
                            ELSE %(today)s::date + (floor(random() * 760) - 60)::int END,
                       now(), now()
                FROM generate_series(1, %(ne)s) AS g""",
            "work orders": """
                INSERT INTO workorders_workorder
                    (order_id, client, description, status, due_date, assigned_welder_id, created_at, updated_at)
                SELECT 'BENCH-' || lpad(g::text, 7, '0'),
                       'Client ' || lpad(floor(r1 * 400)::int::text, 3, '0'),
                       'Pipe spool, 6in sch 40, root and cap passes',
                       CASE WHEN r2 < 0.34 THEN 'pending' WHEN r2 < 0.54 THEN 'in_progress'
                            WHEN r2 < 0.60 THEN 'on_hold' WHEN r2 < 0.90 THEN 'completed'
                            ELSE 'cancelled' END,
                       CASE WHEN r3 < 0.05 THEN NULL
                            ELSE %(today)s::date + (floor(g * 800.0 / %(n)s + r3 * 60) - 430)::int END,
                       CASE WHEN r4 < 0.4 THEN NULL
                            ELSE (SELECT min(id) FROM staff_employee) + floor((r4 - 0.4) / 0.6 * %(ne)s)::int END,
                       now(), now()
                FROM (SELECT g, random() r1, random() r2, random() r3, random() r4
                      FROM generate_series(1, %(n)s) AS g) AS s""",
            "inspections": """
                INSERT INTO inspections_inspection
                    (inspection_id, work_order_id, inspector, result, defect_type, method, inspected_at,
                     notes, created_at, updated_at)
                SELECT 'BENCH-I' || lpad(g::text, 7, '0'),
                       (SELECT min(id) FROM workorders_workorder) + floor(r1 * %(n)s)::int,
                       'Inspector ' || floor(r2 * 40)::int,
                       CASE WHEN r3 < 0.2 THEN 'fail' ELSE 'pass' END,
                       CASE WHEN r3 < 0.2 THEN (ARRAY['porosity', 'crack', 'undercut', 'lack_of_fusion',
                            'incomplete_penetration', 'slag_inclusion', 'spatter', 'distortion',
                            'other'])[1 + floor(r3 * 45)::int] END,
                       (ARRAY['VT', 'PT', 'MT', 'UT', 'RT'])[1 + floor(r4 * 5)::int],
                       now() - ((%(ni)s - g) * 400.0 / %(ni)s + r5) * interval '1 day', '', now(), now()
                FROM (SELECT g, random() r1, random() r2, random() r3, random() r4, random() r5
                      FROM generate_series(1, %(ni)s) AS g) AS s""",
            "items": """
                INSERT INTO inventory_item (item_id, item_name, quantity, unit, reorder_level, created_at, updated_at)
                SELECT 'BENCH-' || lpad(g::text, 6, '0'), 'Consumable ' || g,
                       floor(random() * 200)::int, 'kg', floor(random() * 50)::int, now(), now()
                FROM generate_series(1, %(nitems)s) AS g""",
            "equipment": """
                INSERT INTO equipment_equipment
                    (equipment_id, name, status, last_service_date, service_interval_days, created_at, updated_at)
                SELECT 'BENCH-Q' || lpad(g::text, 5, '0'), 'Welder ' || g,
                       (ARRAY['operational', 'operational', 'operational', 'maintenance', 'out_of_order'])
                           [1 + mod(g, 5)],
                       CASE WHEN mod(g, 8) = 0 THEN NULL ELSE %(today)s::date - floor(random() * 400)::int END,
                       CASE WHEN mod(g, 11) = 0 THEN NULL ELSE (ARRAY[30, 90, 180, 365])[1 + mod(g, 4)] END,
                       now(), now()
                FROM generate_series(1, %(nq)s) AS g""",
        }
        params.update(ne=args.employees, nitems=args.items, nq=args.equipment)
        for name, sql in statements.items():
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            step(f"Seeded {cursor.rowcount:,} {name} ({time.perf_counter() - t0:.1f} s)")
        step(f"Seeding took {time.perf_counter() - started:.1f} s")


TABLES = (
    "staff_employee",
    "workorders_workorder",
    "inspections_inspection",
    "inventory_item",
    "equipment_equipment",
)


# ------------------------------------------------------------------------------- hand-written SQL
def rate(part: int, whole: int):
    from dashboard.selectors import rate as selector_rate

    return selector_rate(part, whole)  # 4 decimals: the same rounding, not the same query


def due_in_period(p: dict, column: str = "due_date") -> str:
    """Work orders by due date, inclusive."""
    parts = [f"{column} >= %(start)s" if p["start"] else "", f"{column} <= %(end)s" if p["end"] else ""]
    return " AND ".join(filter(None, parts)) or "TRUE"


def inspected_in_period(p: dict) -> str:
    """Inspections from local midnight of the first day to local midnight after the last."""
    parts = [
        "inspected_at >= %(start_at)s" if p["start"] else "",
        "inspected_at < %(end_at)s" if p["end"] else "",
    ]
    return " AND ".join(filter(None, parts)) or "TRUE"


def sql_params(today: dt.date, start, end) -> dict:
    from workshop.api.filters import local_day_start

    return {
        "today": today,
        "soon": today + dt.timedelta(days=7),
        "expiring": today + dt.timedelta(days=30),
        "limit": LIMIT,
        "start": start,
        "end": end,
        "start_at": local_day_start(start) if start else None,
        "end_at": local_day_start(end + dt.timedelta(days=1)) if end else None,
    }


STATUSES = ("pending", "in_progress", "on_hold", "completed", "cancelled")


def sql_work_order_counts(p: dict, due_soon: bool) -> dict:
    soon = (
        f", count(*) FILTER (WHERE due_date BETWEEN %(today)s AND %(soon)s AND status NOT IN {CLOSED})"
        if due_soon
        else ""
    )
    rows = fetch(
        f"""SELECT status, count(*), count(*) FILTER (WHERE due_date < %(today)s AND status NOT IN {CLOSED}){soon}
            FROM workorders_workorder WHERE {due_in_period(p)} GROUP BY status""",
        p,
    )
    counts = dict.fromkeys(STATUSES, 0) | {row[0]: row[1] for row in rows}
    counts["total"] = sum(row[1] for row in rows)
    counts["overdue"] = sum(row[2] for row in rows)
    if due_soon:
        counts["due_next_7_days"] = sum(row[3] for row in rows)
    return counts


def sql_order_rows(p: dict, where: str, extra: Callable[[dict], dict]) -> list[dict]:
    rows = fetch(
        f"""SELECT w.id, w.order_id, w.client, w.status, w.due_date, e.employee_id, e.name
            FROM workorders_workorder w LEFT JOIN staff_employee e ON e.id = w.assigned_welder_id
            WHERE {where} AND {due_in_period(p, "w.due_date")}
            ORDER BY w.due_date, w.id LIMIT %(limit)s""",
        p,
    )
    keys = (
        "id",
        "order_id",
        "client",
        "status",
        "due_date",
        "assigned_welder_employee_id",
        "assigned_welder_name",
    )
    return [(lambda d: {**d, **extra(d)})(dict(zip(keys, row, strict=True))) for row in rows]


def sql_workorders(p: dict) -> dict:
    counts = sql_work_order_counts(p, due_soon=True)
    clients = fetch(
        f"""SELECT client, count(*), count(*) FILTER (WHERE status NOT IN {CLOSED}),
                   count(*) FILTER (WHERE due_date < %(today)s AND status NOT IN {CLOSED}), count(*) OVER ()
            FROM workorders_workorder WHERE {due_in_period(p)}
            GROUP BY client ORDER BY 2 DESC, client LIMIT %(limit)s""",
        p,
    )
    today = p["today"]
    return {
        "total": counts["total"],
        "by_status": {s: counts[s] for s in STATUSES},
        "by_client": {
            "count": clients[0][4] if clients else 0,
            "items": [{"client": c, "total": t, "open": o, "overdue": d} for c, t, o, d, _ in clients],
        },
        "overdue": {
            "count": counts["overdue"],
            "items": sql_order_rows(
                p,
                f"w.due_date < %(today)s AND w.status NOT IN {CLOSED}",
                lambda d: {"days_overdue": (today - d["due_date"]).days},
            ),
        },
        "due_next_7_days": {
            "count": counts["due_next_7_days"],
            "items": sql_order_rows(
                p,
                f"w.due_date BETWEEN %(today)s AND %(soon)s AND w.status NOT IN {CLOSED}",
                lambda d: {"days_left": (d["due_date"] - today).days},
            ),
        },
    }


def sql_equipment_counts(p: dict) -> dict:
    rows = fetch(
        """SELECT status, count(*), count(*) FILTER (WHERE next_service_due < %(today)s),
                  count(*) FILTER (WHERE next_service_due IS NULL)
           FROM equipment_equipment GROUP BY status""",
        p,
    )
    counts = dict.fromkeys(("operational", "maintenance", "out_of_order"), 0) | {
        row[0]: row[1] for row in rows
    }
    counts["total"] = sum(row[1] for row in rows)
    counts["service_overdue"] = sum(row[2] for row in rows)
    counts["no_service_schedule"] = sum(row[3] for row in rows)
    return counts


def sql_equipment(p: dict) -> dict:
    counts = sql_equipment_counts(p)
    rows = fetch(
        """SELECT id, equipment_id, name, status, last_service_date, service_interval_days, next_service_due
           FROM equipment_equipment WHERE next_service_due < %(today)s
           ORDER BY next_service_due, id LIMIT %(limit)s""",
        p,
    )
    keys = (
        "id",
        "equipment_id",
        "name",
        "status",
        "last_service_date",
        "service_interval_days",
        "next_service_due",
    )
    items = [dict(zip(keys, row, strict=True)) for row in rows]
    for item in items:
        item["days_overdue"] = (p["today"] - item["next_service_due"]).days
    return {
        "total": counts["total"],
        "by_status": {s: counts[s] for s in ("operational", "maintenance", "out_of_order")},
        "no_service_schedule": counts["no_service_schedule"],
        "service_overdue": {"count": counts["service_overdue"], "items": items},
    }


def rates(passed: int, failed: int) -> dict:
    total = passed + failed
    return {
        "total": total,
        "passed": passed,
        "failed": failed,
        "pass_rate": rate(passed, total),
        "fail_rate": rate(failed, total),
    }


def sql_inspection_counts(p: dict) -> dict:
    counts = dict(
        fetch(
            f"SELECT result, count(*) FROM inspections_inspection WHERE {inspected_in_period(p)} GROUP BY result",
            p,
        )
    )
    return rates(counts.get("pass", 0), counts.get("fail", 0))


def sql_inspections(p: dict) -> dict:
    from inspections.models import DefectType, InspectionMethod

    groups = fetch(
        f"""SELECT method, result, defect_type, count(*) FROM inspections_inspection
            WHERE {inspected_in_period(p)} GROUP BY 1, 2, 3""",
        p,
    )
    inspectors = fetch(
        f"""SELECT inspector, count(*), count(*) FILTER (WHERE result = 'pass'), count(*) OVER ()
            FROM inspections_inspection WHERE {inspected_in_period(p)}
            GROUP BY inspector ORDER BY 2 DESC, inspector LIMIT %(limit)s""",
        p,
    )
    passed = dict.fromkeys(InspectionMethod.values, 0)
    failed = dict.fromkeys(InspectionMethod.values, 0)
    defects = dict.fromkeys(DefectType.values, 0)
    for method, result, defect, n in groups:
        if result == "pass":
            passed[method] += n
        else:
            failed[method] += n
            defects[defect] += n
    all_failed = sum(failed.values())
    order = list(DefectType.values)
    return {
        **rates(sum(passed.values()), all_failed),
        "by_defect_type": [
            {"defect_type": d, "count": n, "share": rate(n, all_failed)}
            for d, n in sorted(defects.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
        ],
        "by_method": [{"method": m, **rates(passed[m], failed[m])} for m in passed],
        "by_inspector": {
            "count": inspectors[0][3] if inspectors else 0,
            "items": [{"inspector": name, **rates(ok, total - ok)} for name, total, ok, _ in inspectors],
        },
    }


def sql_alerts(p: dict) -> list[dict]:
    rows = fetch(
        """SELECT id, item_id, item_name, quantity, reorder_level, unit, reorder_level - quantity AS shortfall
           FROM inventory_item WHERE is_low_stock
           ORDER BY shortfall DESC, item_id LIMIT %(limit)s""",
        p,
    )
    keys = ("id", "item_id", "item_name", "quantity", "reorder_level", "unit", "shortfall")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def sql_inventory(p: dict) -> dict:
    rows = fetch(
        """SELECT is_low_stock, count(*), count(*) FILTER (WHERE quantity = 0)
           FROM inventory_item GROUP BY 1""",
        p,
    )
    return {
        "count": sum(n for low, n, _ in rows if low),
        "total_items": sum(n for _, n, _ in rows),
        "out_of_stock": sum(empty for _, _, empty in rows),
        "items": sql_alerts(p),
    }


CERTIFICATION = """CASE WHEN certification_expiry IS NULL THEN 'none'
                         WHEN certification_expiry < %(today)s THEN 'expired'
                         WHEN certification_expiry <= %(expiring)s THEN 'expiring'
                         ELSE 'valid' END"""
CERT_STATUSES = ("valid", "expiring", "expired", "none")


def sql_employee_counts(p: dict) -> dict:
    counts = dict.fromkeys(CERT_STATUSES, 0) | dict(
        fetch(f"SELECT {CERTIFICATION}, count(*) FROM staff_employee GROUP BY 1", p)
    )
    counts["total"] = sum(counts.values())
    return counts


def sql_employees(p: dict) -> dict:
    roles: dict[str, dict] = {}
    for role, status, n in fetch(
        f"SELECT role, {CERTIFICATION}, count(*) FROM staff_employee GROUP BY 1, 2", p
    ):
        row = roles.setdefault(role, {"role": role, "total": 0, **dict.fromkeys(CERT_STATUSES, 0)})
        row["total"] += n
        row[status] += n
    counts = {s: sum(row[s] for row in roles.values()) for s in CERT_STATUSES}
    keys = ("id", "employee_id", "name", "role", "certification_expiry")

    def certs(where: str, order: str) -> list[dict]:
        rows = fetch(
            f"""SELECT id, employee_id, name, role, certification_expiry FROM staff_employee
                WHERE {where} ORDER BY {order}, id LIMIT %(limit)s""",
            p,
        )
        items = [dict(zip(keys, row, strict=True)) for row in rows]
        for item in items:
            item["days_left"] = (item["certification_expiry"] - p["today"]).days
        return items

    return {
        "total": sum(counts.values()),
        "certification_status": counts,
        "expiring_within_days": 30,
        "by_role": {
            "count": len(roles),
            "items": sorted(roles.values(), key=lambda r: (-r["total"], r["role"]))[: p["limit"]],
        },
        "expiring": {
            "count": counts["expiring"],
            "items": certs("certification_expiry BETWEEN %(today)s AND %(expiring)s", "certification_expiry"),
        },
        "expired": {
            "count": counts["expired"],
            "items": certs("certification_expiry < %(today)s", "certification_expiry DESC"),
        },
    }


def sql_stats(p: dict) -> dict:
    work_orders = sql_work_order_counts(p, due_soon=False)
    equipment = sql_equipment_counts(p)
    employees = sql_employee_counts(p)
    return {
        "work_orders": {k: work_orders[k] for k in ("total", *STATUSES, "overdue")},
        "equipment": {
            k: equipment[k]
            for k in ("total", "operational", "maintenance", "out_of_order", "service_overdue")
        },
        "inspections": sql_inspection_counts(p),
        "employees": {
            "total": employees["total"],
            "certifications_expiring": employees["expiring"],
            "certifications_expired": employees["expired"],
        },
        "inventory_alerts": sql_alerts(p),
    }


# ------------------------------------------------------------------------------- cases
URLS = {
    "stats": "/api/v1/dashboard/stats",
    "workorders": "/api/v1/dashboard/workorders",
    "equipment": "/api/v1/dashboard/equipment",
    "inspections": "/api/v1/dashboard/inspections",
    "inventory/alerts": "/api/v1/dashboard/inventory/alerts",
    "employees": "/api/v1/dashboard/employees",
}


def request_url(name: str, today: dt.date) -> str:
    """`stats?from=-90d&to=today` → `/api/v1/dashboard/stats?from=<date>&to=<date>`."""
    path, _, query = name.partition("?")
    if query:
        query = f"?from={today - dt.timedelta(days=90)}&to={today}"
    return URLS[path] + query


def cases(today: dt.date) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    from dashboard import selectors as s

    quarter = s.Period(today - dt.timedelta(days=90), today)
    everything = sql_params(today, None, None)
    last_90 = sql_params(today, quarter.start, quarter.end)
    return [
        ("stats", lambda: s.stats(today=today, limit=LIMIT), lambda: sql_stats(everything)),
        (
            "stats?from=-90d&to=today",
            lambda: s.stats(today=today, period=quarter, limit=LIMIT),
            lambda: sql_stats(last_90),
        ),
        (
            "workorders",
            lambda: s.workorders_summary(today=today, limit=LIMIT),
            lambda: sql_workorders(everything),
        ),
        (
            "workorders?from=-90d&to=today",
            lambda: s.workorders_summary(today=today, period=quarter, limit=LIMIT),
            lambda: sql_workorders(last_90),
        ),
        (
            "equipment",
            lambda: s.equipment_summary(today=today, limit=LIMIT),
            lambda: sql_equipment(everything),
        ),
        ("inspections", lambda: s.inspections_summary(limit=LIMIT), lambda: sql_inspections(everything)),
        (
            "inspections?from=-90d&to=today",
            lambda: s.inspections_summary(period=quarter, limit=LIMIT),
            lambda: sql_inspections(last_90),
        ),
        ("inventory/alerts", lambda: s.inventory_summary(limit=LIMIT), lambda: sql_inventory(everything)),
        (
            "employees",
            lambda: s.employees_summary(today=today, limit=LIMIT),
            lambda: sql_employees(everything),
        ),
    ]


def measure(today: dt.date, runs: int, only: set[str] | None) -> list[dict]:
    client = http_client()
    results = []
    for name, selector, hand in cases(today):
        if only and name.split("?")[0] not in only:
            continue
        ours, theirs = selector(), hand()
        if ours != theirs:
            raise RuntimeError(f"{name}: the selector and the SQL disagree:\n{ours}\n{theirs}")
        url = request_url(name, today)

        def request(url=url):
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: {response.status_code} {response.content[:300]!r}")

        request()
        selector_ms, sql_ms, request_ms = [], [], []
        for i in range(runs):
            trio = [(selector, selector_ms), (hand, sql_ms), (request, request_ms)]
            for fn, bucket in trio if i % 2 == 0 else reversed(trio):
                bucket.append(timed(fn))
        result = {
            "name": name,
            "selector": statistics.median(selector_ms),
            "sql": statistics.median(sql_ms),
            "request": statistics.median(request_ms),
        }
        result["ratio"] = result["selector"] / result["sql"]
        results.append(result)
        say(
            f"    {name:32} selector {result['selector']:9.2f} ms   SQL {result['sql']:9.2f} ms   "
            f"ratio {result['ratio']:.2f}   whole request {result['request']:9.2f} ms"
        )
    return results


def report(results: list[dict]) -> None:
    say()
    say(
        f"{'endpoint (uncached)':34}{'selector ms':>12}{'SQL ms':>10}{'ratio':>8}  target <= {TARGET_RATIO}"
        f"{'request ms':>12}{'+ over SQL':>12}"
    )
    for r in results:
        verdict = "PASS" if r["ratio"] <= TARGET_RATIO else "FAIL"
        say(
            f"{r['name']:34}{r['selector']:12.2f}{r['sql']:10.2f}{r['ratio']:8.2f}  {verdict:12}"
            f"{r['request']:12.2f}{r['request'] - r['sql']:12.2f}"
        )
    worst = max(results, key=lambda r: r["ratio"])
    say(f"Worst ratio: {worst['ratio']:.2f} ({worst['name']})")
    say(
        "request ms: the whole GET in process (Django's test client: JWT, permissions, DRF, the "
        "serializer, JSON), uncached; a report, not part of the target."
    )


# ------------------------------------------------------------------------------- EXPLAIN
def explain(today: dt.date) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each query the selectors run (the SQL Django sends)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboard import selectors as s

    quarter = s.Period(today - dt.timedelta(days=90), today)
    runs = {
        "stats": lambda: s.stats(today=today, limit=LIMIT),
        "workorders": lambda: s.workorders_summary(today=today, limit=LIMIT),
        "workorders (last 90 days)": lambda: s.work_order_counts(today=today, period=quarter, due_soon=True),
        "equipment": lambda: s.equipment_summary(today=today, limit=LIMIT),
        "inspections": lambda: s.inspections_summary(limit=LIMIT),
        "inspections (last 90 days)": lambda: s.inspection_counts(period=quarter),
        "inventory/alerts": lambda: s.inventory_summary(limit=LIMIT),
        "employees": lambda: s.employees_summary(today=today, limit=LIMIT),
    }
    seen = set()
    for name, fn in runs.items():
        with CaptureQueriesContext(connection) as captured:
            fn()
        for query in captured.captured_queries:
            sql = query["sql"]
            if sql in seen:
                continue
            seen.add(sql)
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            say(f"\n--- {name}\n{sql}\n{plan}")


# ------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--inspections", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--employees", type=int, default=1_000)
    parser.add_argument("--equipment", type=int, default=1_000)
    parser.add_argument("--seed", dest="seed_value", type=float, default=0.42, help="setseed() value (-1..1)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per side and endpoint (median)")
    parser.add_argument("--only", help="comma list of endpoints (stats,workorders,equipment,…)")
    parser.add_argument("--fresh-table", action="store_true", help="ANALYZE only (no VACUUM) after seeding")
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the queries"
    )
    parser.add_argument("--keep-tmp", action="store_true")
    parser.add_argument(
        "--no-install", dest="install", action="store_false", help="never install PostgreSQL when missing"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.install:
        import tests.perf.bench_workorders_list as helpers

        helpers.apt_install = lambda package: False
    production_environment(
        DJANGO_SETTINGS_MODULE="workshop.settings",
        LOG_LEVEL="WARNING",
        DASHBOARD_CACHE_SECONDS="0",  # every request computes its figures
        RATELIMIT_GENERAL="100000000/m",
    )
    os.environ.pop("REDIS_URL", None)
    tmp = Path(tempfile.mkdtemp(prefix="weldshop-dashboard-bench."))
    (tmp / "static").mkdir()
    os.environ["STATIC_ROOT"] = str(tmp / "static")

    exit_cleanly_on_sigterm()
    postgres = Postgres(tmp)
    try:
        say(f"Weldshop dashboard benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        use_database(postgres)
        setup_django()

        from django.db import connection
        from django.utils import timezone

        today = timezone.localdate()
        seed(args, today)
        vacuum(TABLES, args.fresh_table)
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            step(cursor.fetchone()[0].split(" on ")[0])
        step(f"Timing {args.runs} runs per side (median), today = {today}, lists of {LIMIT}")
        only = set(args.only.split(",")) if args.only else None
        results = measure(today, args.runs, only)
        if args.explain:
            explain(today)
        report(results)
        return 0
    except RuntimeError as exc:
        say(f"ERROR: {exc}")
        return 1
    finally:
        stop_database(postgres)
        if args.keep_tmp:
            step(f"Temp folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
