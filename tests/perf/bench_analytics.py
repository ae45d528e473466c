"""Benchmark: the analytics endpoints against hand-written SQL, on PostgreSQL with 1M rows a table.

    .venv/bin/python tests/perf/bench_analytics.py [--help]
    .venv/bin/python tests/perf/bench_analytics.py --rows 20000   # a quick run (or BENCH_ROWS=20000)
    DATABASE_URL=postgres://postgres@127.0.0.1:55433/bench ...     # a PostgreSQL of your own, seed kept

One run, one database:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated;
2. seeded in SQL (`INSERT … SELECT … FROM generate_series`, not the ORM) over the last 15
   months, in the order a shop adds rows: 1,000,000 work orders (created_at spread over the
   15 months; lead times of hours to months; completed ones with their completed_at, except
   30% of those created in the first two months, left without one, as orders completed
   before the field existed; due dates 3–47 days after creation, 5% without), 1,000,000
   inspections (each on an order created up to ~20 days before), 1,000,000 stock movements
   (consumption, receipts, corrections on 2,000 items, skewed), 500 employees and 1,000
   pieces of equipment; then VACUUM (ANALYZE) (`--fresh-table`: ANALYZE only);
3. for each analytics endpoint on the branch (`dashboard.analytics.urls.ENDPOINTS`) that has
   hand-written SQL here (`HAND_SQL`), over the last 12 months with `interval=week`,
   uncached: the endpoint's `compute(query)` (its queries and the Python that shapes the
   answer) against hand-written SQL computing the same figures from the definitions in the
   endpoint's docstring (raw cursor, plus the few lines that shape the same answer). Both
   answers must be EQUAL before anything is timed. Runs alternate between the two; the
   verdict is the median of `--runs` runs each, and the ratio endpoint / SQL is checked
   against the 1.5x target. Alongside, as a report, the whole request (Django's test client
   in process, an admin's JWT, DASHBOARD_CACHE_SECONDS=0) and its ratio to the same SQL;
4. `--queries`: each SQL statement an endpoint runs, with its time; `--explain`: their
   EXPLAIN (ANALYZE, BUFFERS); `--profile`: a profile of the endpoints above the target
   (pyinstrument when installed, else cProfile);
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
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
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
KEY_PREFIX = "BENCH-"
HISTORY_DAYS = 456  # 15 months of rows
LEGACY_DAYS = 60  # orders created in the first 60 days may lack completed_at
CLIENTS = 400
INTERVAL = "week"


# ------------------------------------------------------------------------------- seeding
SEED_SQL = {
    "employees": """
        INSERT INTO staff_employee (employee_id, name, role, certification_expiry, created_at, updated_at)
        SELECT 'BENCH-E' || lpad(g::text, 5, '0'), 'Welder ' || g,
               (ARRAY['Welder', 'Senior Welder', 'Apprentice', 'Fitter', 'Inspector', ''])[1 + mod(g, 6)],
               CASE WHEN mod(g, 10) = 0 THEN NULL ELSE %(today)s::date + (floor(random() * 760) - 60)::int END,
               %(now)s - interval '3 years', %(now)s - interval '3 years'
        FROM generate_series(1, %(employees)s) AS g""",
    # created_at follows the row order over the history (half a day of jitter); an order
    # finishes 0.1 day + an exponential lead time (mean 12 days) after it was created: by now
    # most are completed (some cancelled or stuck), the younger ones still open.
    "work orders": """
        INSERT INTO workorders_workorder
            (order_id, client, description, status, due_date, completed_at, assigned_welder_id,
             created_at, updated_at)
        SELECT 'BENCH-' || lpad(g::text, 7, '0'), client, 'Pipe spool, 6in sch 40, root and cap passes',
               status, due_date,
               CASE WHEN status = 'completed'
                     AND NOT (created < %(now)s - (%(days)s - %(legacy)s) * interval '1 day' AND r5 < 0.3)
                    THEN finish END,
               welder, created, greatest(created, least(finish, %(now)s))
        FROM (
            SELECT g, client, due_date, welder, created, finish, r5,
                   CASE WHEN finish <= %(now)s THEN
                            CASE WHEN r2 < 0.86 THEN 'completed' WHEN r2 < 0.94 THEN 'cancelled'
                                 WHEN r2 < 0.97 THEN 'on_hold' ELSE 'in_progress' END
                        ELSE
                            CASE WHEN r2 < 0.45 THEN 'pending' WHEN r2 < 0.85 THEN 'in_progress'
                                 WHEN r2 < 0.95 THEN 'on_hold' ELSE 'cancelled' END
                   END AS status
            FROM (
                SELECT g, r2, r5, created,
                       'Client ' || lpad(floor(r1 * r1 * %(clients)s)::int::text, 3, '0') AS client,
                       CASE WHEN r4 < 0.05 THEN NULL
                            ELSE (created AT TIME ZONE %(tz)s)::date + (3 + floor(r4 * 45))::int END AS due_date,
                       CASE WHEN r6 < 0.15 THEN NULL
                            ELSE (SELECT min(id) FROM staff_employee WHERE employee_id LIKE 'BENCH-E%%')
                                 + floor((r6 - 0.15) / 0.85 * %(employees)s)::int END AS welder,
                       created + (0.1 + -ln(1 - r3) * 12) * interval '1 day' AS finish
                FROM (
                    SELECT g, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6,
                           %(now)s - ((%(orders)s - g) * %(days)s::float8 / %(orders)s + random() * 0.5)
                                     * interval '1 day' AS created
                    FROM generate_series(1, %(orders)s) AS g
                ) AS s
            ) AS t
        ) AS u""",
    # Inspections over the history in row order, each on an order created up to ~20 days
    # before; 15% fail, the defects skewed (a Pareto worth the name).
    "inspections": """
        INSERT INTO inspections_inspection
            (inspection_id, work_order_id, inspector, result, defect_type, method, inspected_at,
             notes, created_at, updated_at)
        SELECT 'BENCH-I' || lpad(g::text, 7, '0'),
               (SELECT min(id) FROM workorders_workorder WHERE order_id LIKE 'BENCH-%%')
                   + greatest(0, least(%(orders)s - 1,
                                       floor(g::float8 * %(orders)s / %(inspections)s - r1 * %(lag)s)))::int,
               'Inspector ' || lpad(floor(r2 * 40)::int::text, 2, '0'),
               CASE WHEN r3 < 0.15 THEN 'fail' ELSE 'pass' END,
               CASE WHEN r3 < 0.15 THEN (ARRAY['porosity', 'lack_of_fusion', 'undercut', 'slag_inclusion',
                    'incomplete_penetration', 'crack', 'spatter', 'distortion', 'other'])
                    [1 + floor((r3 / 0.15) ^ 2 * 9)::int] END,
               (ARRAY['VT', 'PT', 'MT', 'UT', 'RT'])[1 + floor(r4 * 5)::int],
               at, '', at, at
        FROM (SELECT g, random() r1, random() r2, random() r3, random() r4,
                     %(now)s - ((%(inspections)s - g) * %(days)s::float8 / %(inspections)s + random() * 0.5)
                               * interval '1 day' AS at
              FROM generate_series(1, %(inspections)s) AS g) AS s""",
    "items": """
        INSERT INTO inventory_item (item_id, item_name, quantity, unit, reorder_level, created_at, updated_at)
        SELECT 'BENCH-' || lpad(g::text, 6, '0'), 'Consumable ' || g, floor(random() * 300)::int,
               (ARRAY['kg', 'pcs', 'm', 'l', 'box'])[1 + mod(g, 5)], floor(random() * 60)::int,
               %(now)s - interval '3 years', %(now)s - interval '3 years'
        FROM generate_series(1, %(items)s) AS g""",
    # 70% consumption (1–20 out), 25% receipts (50–499 in), 5% corrections (±1–5); half the
    # consumption is booked to an order of that time. Items skewed: a few move a lot.
    "stock movements": """
        INSERT INTO inventory_stockmovement
            (item_id, delta, quantity_after, reason, work_order_id, note, created_at, updated_at)
        SELECT (SELECT min(id) FROM inventory_item WHERE item_id LIKE 'BENCH-%%') + floor(r1 * r1 * %(items)s)::int,
               CASE WHEN r2 < 0.70 THEN -(1 + floor(r3 * 20))::int
                    WHEN r2 < 0.95 THEN (50 + floor(r3 * 450))::int
                    WHEN r3 < 0.5 THEN -(1 + floor(r3 * 10))::int
                    ELSE (1 + floor(r3 * 5))::int END,
               floor(r4 * 500)::int,
               CASE WHEN r2 < 0.70 THEN 'consumption' WHEN r2 < 0.95 THEN 'receipt' ELSE 'correction' END,
               CASE WHEN r2 < 0.35 THEN (SELECT min(id) FROM workorders_workorder WHERE order_id LIKE 'BENCH-%%')
                    + greatest(0, floor(g::float8 * %(orders)s / %(movements)s - r4 * %(lag)s))::int END,
               '', at, at
        FROM (SELECT g, random() r1, random() r2, random() r3, random() r4,
                     %(now)s - ((%(movements)s - g) * %(days)s::float8 / %(movements)s + random() * 0.5)
                               * interval '1 day' AS at
              FROM generate_series(1, %(movements)s) AS g) AS s""",
    "equipment": """
        INSERT INTO equipment_equipment
            (equipment_id, name, status, last_service_date, service_interval_days, created_at, updated_at)
        SELECT 'BENCH-Q' || lpad(g::text, 5, '0'), 'Welder ' || g,
               (ARRAY['operational', 'operational', 'operational', 'maintenance', 'out_of_order'])
                   [1 + mod(g, 5)],
               CASE WHEN mod(g, 8) = 0 THEN NULL ELSE %(today)s::date - floor(random() * 400)::int END,
               CASE WHEN mod(g, 11) = 0 THEN NULL ELSE (ARRAY[30, 90, 180, 365])[1 + mod(g, 4)] END,
               %(now)s - interval '3 years', %(now)s - interval '3 years'
        FROM generate_series(1, %(equipment)s) AS g""",
}


def seed(args, now: dt.datetime, today: dt.date, tz: str) -> None:
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
        params = {
            "now": now,
            "today": today,
            "tz": tz,
            "days": HISTORY_DAYS,
            "legacy": LEGACY_DAYS,
            "clients": CLIENTS,
            "orders": args.orders,
            "inspections": args.inspections,
            "movements": args.movements,
            "employees": args.employees,
            "items": args.items,
            "equipment": args.equipment,
            "lag": max(1, args.orders * 20 // HISTORY_DAYS),  # ~20 days of orders
        }
        cursor.execute("SELECT setseed(%s)", [args.seed_value])
        for name, sql in SEED_SQL.items():
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            step(f"Seeded {cursor.rowcount:,} {name} ({time.perf_counter() - t0:.1f} s)")
        step(f"Seeding took {time.perf_counter() - started:.1f} s")


TABLES = (
    "staff_employee",
    "workorders_workorder",
    "inspections_inspection",
    "inventory_item",
    "inventory_stockmovement",
    "equipment_equipment",
)


def describe_data(today: dt.date) -> None:
    """A few facts about the seed, so that a reader can judge the figures."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*), count(*) FILTER (WHERE status = 'completed'),
                      count(*) FILTER (WHERE status = 'completed' AND completed_at IS NULL),
                      count(*) FILTER (WHERE status NOT IN ('completed', 'cancelled')),
                      min(created_at)::date, max(created_at)::date
               FROM workorders_workorder"""
        )
        total, completed, legacy, open_, first, last = cursor.fetchone()
    step(
        f"Work orders: {total:,} created {first} .. {last}; {completed:,} completed "
        f"({legacy:,} without completed_at), {open_:,} open today ({today})"
    )


# ------------------------------------------------------------------------------- hand-written SQL


@dataclass(frozen=True)
class Range:
    """What a request asks (from, to, interval, the endpoint's options), in SQL parameters."""

    start: dt.date
    end: dt.date
    interval: str
    options: dict
    today: dt.date | None = None

    def params(self, **extra) -> dict:
        from django.utils import timezone

        tz = timezone.get_current_timezone()
        return {
            "start": self.start,
            "end": self.end,
            "interval": self.interval,
            "step": f"1 {self.interval}",
            "tz": str(tz),
            # local midnight starting `start`, and after `end`
            "start_at": dt.datetime.combine(self.start, dt.time.min, tzinfo=tz),
            "end_at": dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
            "today": self.today,
            **extra,
        }


LABEL_FORMAT = {"day": "YYYY-MM-DD", "week": 'IYYY-"W"IW', "month": "YYYY-MM"}


def sql_buckets(r: Range) -> list[tuple[dt.date, dt.date, str]]:
    """(first day, last day, label) of each bucket: the periods from `start`'s to `end`'s,
    cut to the range."""
    return fetch(
        f"""SELECT greatest(p::date, %(start)s), least((p + %(step)s::interval)::date - 1, %(end)s),
                   to_char(p, '{LABEL_FORMAT[r.interval]}')
            FROM generate_series(date_trunc(%(interval)s, %(start)s::timestamp), %(end)s::timestamp,
                                 %(step)s::interval) AS p
            ORDER BY p""",
        r.params(),
    )


# the bucket (its first day) of a local date in the range
BUCKET_OF = "greatest(date_trunc(%(interval)s, {day}::timestamp)::date, %(start)s)"


def rate_sql(part: str, whole: str) -> str:
    """part / whole to 4 decimals, half up (numeric's round), NULL when whole is 0."""
    return f"round({part}::numeric / nullif({whole}, 0), 4)"


def days_sql(seconds: str) -> str:
    """A percentile of whole seconds in days, 2 decimals, half up. The percentile of whole
    seconds at tenths of the rank is exact to 0.1 s: rounding the float to it first gives
    the exact value, which numeric then rounds."""
    return f"round(round({seconds}::numeric, 1) / 86400, 2)"


def sql_workorders(r: Range) -> dict:
    """`/analytics/workorders` from its docstring's definitions.

    - created, completed, completed_on_time per bucket, by local date;
    - open at the end of a bucket whose last day is L: created on or before L (local date of
      created_at), not completed on or before L (completed_at null or its local date after
      L), not cancelled, not completed without completed_at. As a running sum over days:
      +1 on the day created, -1 on the day completed (an order completed on or before the
      day it was created is never open); overdue alike from the later of created and due;
    - lead times: percentile_cont over whole seconds (each moment cut to the second).
    """
    answer: dict[str, Any] = {
        "from": r.start,
        "to": r.end,
        "interval": r.interval,
        "group_by": r.options.get("group_by"),
        **_sql_workorder_series(r, None)[None],
        "left_out": {
            "completed_without_completed_at": fetch(
                """SELECT count(*) FROM workorders_workorder
                   WHERE status = 'completed' AND completed_at IS NULL""",
                {},
            )[0][0]
        },
    }
    if r.options.get("group_by") == "client":
        clients = [
            row[0]
            for row in fetch(
                """SELECT client FROM workorders_workorder
                   WHERE created_at >= %(start_at)s AND created_at < %(end_at)s
                   GROUP BY client ORDER BY count(*) DESC, client LIMIT 20""",
                r.params(),
            )
        ]
        series = _sql_workorder_series(r, clients) if clients else {}
        answer["groups"] = [{"key": client, **series[client]} for client in clients]
    return answer


def _sql_workorder_series(r: Range, clients: list[str] | None) -> dict:
    """{client or None: {"buckets": [...], "totals": {...}}}."""
    key = "client" if clients is not None else "NULL::text"
    only = "AND client = ANY(%(clients)s)" if clients is not None else ""
    p = r.params(clients=clients)
    buckets = sql_buckets(r)
    keys = clients if clients is not None else [None]

    # Completions in the range: counts and lead-time percentiles per bucket and overall.
    completions = {}
    for k, first, n, on_time, rate, median, p90 in fetch(
        f"""SELECT k, b, count(*), count(*) FILTER (WHERE on_time),
                   {rate_sql("count(*) FILTER (WHERE on_time)", "count(*)")},
                   {days_sql("percentile_cont(0.5) WITHIN GROUP (ORDER BY lead)")},
                   {days_sql("percentile_cont(0.9) WITHIN GROUP (ORDER BY lead)")}
            FROM (SELECT {key} AS k, {BUCKET_OF.format(day="(completed_at AT TIME ZONE %(tz)s)::date")} AS b,
                         due_date >= (completed_at AT TIME ZONE %(tz)s)::date AS on_time,
                         extract(epoch FROM date_trunc('second', completed_at))
                           - extract(epoch FROM date_trunc('second', created_at)) AS lead
                  FROM workorders_workorder
                  WHERE status = 'completed' AND completed_at >= %(start_at)s AND completed_at < %(end_at)s
                        {only}) AS c
            GROUP BY GROUPING SETS ((k, b), (k))""",
        p,
    ):
        completions[k, first] = (n, on_time or 0, rate, median, p90)

    # Day by day: orders created (in the range), and the changes of the open and overdue counts.
    days = {k: [] for k in keys}
    for k, day, new, opened, closed, overdue_from, overdue_to in fetch(
        f"""WITH o AS MATERIALIZED (
                SELECT {key} AS k, cd, kd, counted,
                       greatest(cd, due_date) + (due_date - due_date) AS od  -- greatest() skips NULLs
                FROM (SELECT client, due_date, (created_at AT TIME ZONE %(tz)s)::date AS cd,
                             (completed_at AT TIME ZONE %(tz)s)::date AS kd,
                             status <> 'cancelled' AND NOT (status = 'completed' AND completed_at IS NULL)
                               AS counted
                      FROM workorders_workorder WHERE TRUE {only}) AS w
            )
            SELECT k, cd, count(*) FILTER (WHERE cd >= %(start)s),
                   count(*) FILTER (WHERE counted AND (kd IS NULL OR kd > cd)), 0, 0, 0
            FROM o WHERE cd <= %(end)s GROUP BY k, cd
            UNION ALL
            SELECT k, kd, 0, 0, count(*) FILTER (WHERE kd > cd), 0, count(*) FILTER (WHERE kd > od)
            FROM o WHERE counted AND kd <= %(end)s GROUP BY k, kd
            UNION ALL
            SELECT k, od, 0, 0, 0, count(*), 0
            FROM o WHERE counted AND od <= %(end)s AND (kd IS NULL OR kd > od) GROUP BY k, od""",
        p,
    ):
        days[k].append((day, new, opened - closed, overdue_from - overdue_to))

    result = {}
    for k in keys:
        events = sorted(days[k])
        rows, at, open_now, overdue_now = [], 0, 0, 0
        for first, last, label in buckets:
            new = 0
            while at < len(events) and events[at][0] <= last:
                _, created, opened, overdue = events[at]
                new, open_now, overdue_now = new + created, open_now + opened, overdue_now + overdue
                at += 1
            n, on_time, rate, median, p90 = completions.get((k, first), (0, 0, None, None, None))
            rows.append(
                {
                    "start": first,
                    "end": last,
                    "label": label,
                    "created": new,
                    "completed": n,
                    "completed_on_time": on_time,
                    "on_time_rate": rate,
                    "lead_time_median_days": median,
                    "lead_time_p90_days": p90,
                    "open_at_end": open_now,
                    "overdue_at_end": overdue_now,
                }
            )
        n, on_time, rate, median, p90 = completions.get((k, None), (0, 0, None, None, None))
        totals = {
            "created": sum(row["created"] for row in rows),
            "completed": n,
            "completed_on_time": on_time,
            "on_time_rate": rate,
            "lead_time_median_days": median,
            "lead_time_p90_days": p90,
            "open_at_end": rows[-1]["open_at_end"],
            "overdue_at_end": rows[-1]["overdue_at_end"],
        }
        result[k] = {"buckets": rows, "totals": totals}
    return result


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole to 4 decimals, half up; None when whole is 0 (for shares of a total the
    SQL would need a second pass for)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _order(key, n: int) -> tuple:
    """Most first, ties by key, null last."""
    return (-n, key is None, key or "")


def sql_quality(r: Range) -> dict:
    """`/analytics/quality` from its docstring: inspections whose local date of inspected_at
    is in the range, counted per bucket, per group key (with `group_by=welder` or `client`:
    the inspected order's assigned welder's employee_id or its client, blank as null; the 20
    keys with the most inspections) and per defect type (the Pareto), in one pass."""
    group_by = r.options.get("group_by")
    key = {
        None: "NULL::text",
        "welder": "nullif(e.employee_id, '')",
        "client": "nullif(w.client, '')",
        "inspector": "nullif(i.inspector, '')",
    }[group_by]
    joins = {
        "welder": """JOIN workorders_workorder w ON w.id = i.work_order_id
                     LEFT JOIN staff_employee e ON e.id = w.assigned_welder_id""",
        "client": "JOIN workorders_workorder w ON w.id = i.work_order_id",
    }.get(group_by, "")
    buckets = sql_buckets(r)
    rows = fetch(
        f"""SELECT GROUPING(b), GROUPING(defect_type), {"GROUPING(k)" if group_by else "1"},
                   {"k" if group_by else "NULL"}, b, defect_type, count(*),
                   count(*) FILTER (WHERE result = 'pass'), count(*) FILTER (WHERE result = 'fail'),
                   {rate_sql("count(*) FILTER (WHERE result = 'pass')", "count(*)")}
            FROM (SELECT {key} AS k, {BUCKET_OF.format(day="(i.inspected_at AT TIME ZONE %(tz)s)::date")} AS b,
                         i.result, i.defect_type
                  FROM inspections_inspection i {joins}
                  WHERE i.inspected_at >= %(start_at)s AND i.inspected_at < %(end_at)s) AS x
            GROUP BY GROUPING SETS ((b), (), (defect_type){", (k, b), (k)" if group_by else ""})""",
        r.params(),
    )
    # GROUPING(column) is 1 when the set leaves the column out
    overall, totals, defects, grouped, group_totals = {}, None, [], {}, {}
    for no_b, no_defect, no_k, k, b, defect, n, passes, fails, pass_rate in rows:
        figures = {"inspections": n, "passes": passes, "fails": fails, "pass_rate": pass_rate}
        if not no_k:
            if no_b:
                group_totals[k] = figures
            else:
                grouped[k, b] = figures
        elif not no_b:
            overall[b] = figures
        elif not no_defect:
            if fails:
                defects.append((defect, fails))
        else:
            totals = figures
    zero = {"inspections": 0, "passes": 0, "fails": 0, "pass_rate": None}

    def series(figures_of: Callable[[dt.date], dict | None]) -> list[dict]:
        return [
            {"start": first, "end": last, "label": label, **(figures_of(first) or zero)}
            for first, last, label in buckets
        ]

    answer: dict[str, Any] = {
        "from": r.start,
        "to": r.end,
        "interval": r.interval,
        "group_by": group_by,
        "buckets": series(overall.get),
        "totals": totals or zero,
    }
    if group_by:
        top = sorted(group_totals.items(), key=lambda kv: _order(kv[0], kv[1]["inspections"]))[:20]
        answer["groups"] = [
            {"key": k, "buckets": series(lambda b, k=k: grouped.get((k, b))), "totals": figures}
            for k, figures in top
        ]
    failed = sum(n for _, n in defects)
    running, pareto = 0, []
    for defect, n in sorted(defects, key=lambda d: (-d[1], d[0] or "")):
        running += n
        pareto.append(
            {
                "defect_type": defect,
                "count": n,
                "share": rate(n, failed),
                "cumulative_share": rate(running, failed),
            }
        )
    answer["pareto"] = pareto
    return answer


def sql_welders(r: Range) -> dict:
    """`/analytics/welders` from its docstring: every employee (sorted by employee_id, the
    default), their assigned work orders completed in the range and on time, the inspections
    of those orders in the range and their passes, and the orders whose first inspection
    (earliest inspected_at, ties by id, over all time) is in the range and passed. One
    statement; the first inspection by row_number() over each order's inspections."""
    items = []
    for row in fetch(
        """SELECT e.employee_id, e.name, e.role,
                  coalesce(c.n, 0), coalesce(c.on_time, 0), {on_time_rate},
                  coalesce(i.n, 0), coalesce(i.passes, 0), {pass_rate},
                  coalesce(i.firsts, 0), coalesce(i.first_passes, 0), {first_pass_yield}
           FROM staff_employee e
           LEFT JOIN (
               SELECT assigned_welder_id AS welder, count(*) AS n,
                      count(*) FILTER (WHERE due_date >= (completed_at AT TIME ZONE %(tz)s)::date) AS on_time
               FROM workorders_workorder
               WHERE status = 'completed' AND completed_at >= %(start_at)s AND completed_at < %(end_at)s
                     AND assigned_welder_id IS NOT NULL
               GROUP BY assigned_welder_id
           ) AS c ON c.welder = e.id
           LEFT JOIN (
               SELECT w.assigned_welder_id AS welder, count(*) AS n,
                      count(*) FILTER (WHERE x.result = 'pass') AS passes,
                      count(*) FILTER (WHERE x.first) AS firsts,
                      count(*) FILTER (WHERE x.first AND x.result = 'pass') AS first_passes
               FROM (SELECT work_order_id, result, inspected_at,
                            row_number() OVER (PARTITION BY work_order_id ORDER BY inspected_at, id) = 1
                              AS first
                     FROM inspections_inspection WHERE inspected_at < %(end_at)s) AS x
               JOIN workorders_workorder w ON w.id = x.work_order_id
               WHERE x.inspected_at >= %(start_at)s AND w.assigned_welder_id IS NOT NULL
               GROUP BY w.assigned_welder_id
           ) AS i ON i.welder = e.id
           ORDER BY e.employee_id COLLATE "C"
        """.format(
            on_time_rate=rate_sql("c.on_time", "c.n"),
            pass_rate=rate_sql("i.passes", "i.n"),
            first_pass_yield=rate_sql("i.first_passes", "i.firsts"),
        ),
        r.params(),
    ):
        items.append(dict(zip(WELDER_FIELDS, row, strict=True)))
    return {"from": r.start, "to": r.end, "count": len(items), "items": items}


WELDER_FIELDS = (
    "employee_id",
    "name",
    "role",
    "work_orders_completed",
    "completed_on_time",
    "on_time_rate",
    "inspections",
    "passes",
    "pass_rate",
    "first_inspected",
    "first_passed",
    "first_pass_yield",
)


def sql_inventory(r: Range) -> dict:
    """`/analytics/inventory` from its docstring: every item's consumption over the
    `window_days` local days ending today, its forecast (average, days of stock = quantity x
    window / consumed rounded half up to 2 decimals, stockout date, reorder_now), sorted by
    days of stock (never consumed last), then item_id, `limit` of them; then the buckets of
    those items (consumption and receipts per local date). Two statements."""
    window, lead, limit = r.options["window_days"], r.options["lead_time_days"], r.options["limit"]
    p = r.params(
        window=window,
        lead=lead,
        limit=limit,
        window_at=dt.datetime.combine(
            r.today - dt.timedelta(days=window - 1), dt.time.min, tzinfo=r.params()["start_at"].tzinfo
        ),
        tomorrow_at=dt.datetime.combine(
            r.today + dt.timedelta(days=1), dt.time.min, tzinfo=r.params()["start_at"].tzinfo
        ),
    )
    page = fetch(
        """SELECT i.id, i.item_id, i.item_name, i.unit, i.quantity, i.reorder_level, i.is_low_stock,
                  round(coalesce(c.consumed, 0)::numeric / %(window)s, 4),
                  d.days_of_stock, %(today)s::date + floor(d.days_of_stock)::int,
                  i.is_low_stock OR coalesce(d.days_of_stock <= %(lead)s, false),
                  count(*) OVER ()
           FROM inventory_item i
           LEFT JOIN (SELECT item_id, -sum(delta) AS consumed FROM inventory_stockmovement
                      WHERE reason = 'consumption' AND created_at >= %(window_at)s AND created_at < %(tomorrow_at)s
                      GROUP BY item_id) AS c ON c.item_id = i.id
           CROSS JOIN LATERAL (SELECT round(i.quantity::numeric * %(window)s / nullif(c.consumed, 0), 2)
                                 AS days_of_stock) AS d
           ORDER BY d.days_of_stock NULLS LAST, i.item_id COLLATE "C"
           LIMIT %(limit)s""",
        p,
    )
    buckets = sql_buckets(r)
    figures: dict[tuple[int, dt.date], tuple[int, int]] = {}
    if page:
        for pk, b, consumption, receipts in fetch(
            f"""SELECT item_id, {BUCKET_OF.format(day="(created_at AT TIME ZONE %(tz)s)::date")} AS b,
                       coalesce(-sum(delta) FILTER (WHERE reason = 'consumption'), 0),
                       coalesce(sum(delta) FILTER (WHERE reason = 'receipt'), 0)
                FROM inventory_stockmovement
                WHERE created_at >= %(start_at)s AND created_at < %(end_at)s
                      AND reason IN ('consumption', 'receipt') AND item_id = ANY(%(items)s)
                GROUP BY 1, 2""",
            r.params(items=[row[0] for row in page]),
        ):
            figures[pk, b] = (consumption, receipts)
    items = []
    for pk, item_id, name, unit, quantity, level, low, average, days, stockout, reorder, _ in page:
        series = [
            {
                "start": first,
                "end": last,
                "label": label,
                "consumption": figures.get((pk, first), (0, 0))[0],
                "receipts": figures.get((pk, first), (0, 0))[1],
            }
            for first, last, label in buckets
        ]
        items.append(
            {
                "item_id": item_id,
                "item_name": name,
                "unit": unit,
                "quantity": quantity,
                "reorder_level": level,
                "is_low_stock": low,
                "buckets": series,
                "consumption": sum(b["consumption"] for b in series),
                "receipts": sum(b["receipts"] for b in series),
                "average_daily_consumption": average,
                "days_of_stock": days,
                "stockout_date": stockout,
                "reorder_now": reorder,
            }
        )
    return {
        "from": r.start,
        "to": r.end,
        "interval": r.interval,
        "window_days": window,
        "lead_time_days": lead,
        "count": page[0][-1] if page else fetch("SELECT count(*) FROM inventory_item", {})[0][0],
        "items": items,
    }


def sql_equipment(r: Range) -> dict:
    """`/analytics/equipment` from its docstring: per bucket, the equipment created before
    the local midnight after its last day and, of those, the ones not overdue then
    (next_service_due null or after the last day); then the services due per bucket over
    the `horizon_days` days from today, and the counts of now. Two statements: the equipment
    by the bucket it was created in and the overdue by the bucket of the later of that and
    its due date (a running sum gives the counts at each bucket's end), and one pass for the
    rest."""
    horizon = r.options["horizon_days"]
    # rows added to the count at each bucket's end (before the range: the first bucket's)
    added, overdue_added = {}, {}
    for b, n, overdue in fetch(
        f"""SELECT b, sum(n), sum(o)
            FROM (SELECT {BUCKET_OF.format(day="cd")} AS b, 1 AS n, 0 AS o FROM e
                  UNION ALL
                  SELECT {BUCKET_OF.format(day="greatest(cd, next_service_due)")}, 0, 1 FROM e
                  WHERE next_service_due <= %(end)s) AS x
            GROUP BY b""".replace(
            "FROM e",
            "FROM (SELECT (created_at AT TIME ZONE %(tz)s)::date AS cd, next_service_due "
            "FROM equipment_equipment WHERE created_at < %(end_at)s) AS e",
        ),
        r.params(),
    ):
        added[b], overdue_added[b] = n, overdue
    rows, n, overdue = [], 0, 0
    for first, last, label in sql_buckets(r):
        n, overdue = n + added.get(first, 0), overdue + overdue_added.get(first, 0)
        rows.append((first, last, label, n, n - overdue, rate(n - overdue, n)))
    ahead = Range(r.today, r.today + dt.timedelta(days=horizon - 1), r.interval, {}, r.today)
    due_buckets = sql_buckets(ahead)
    due, overdue_now, without = {}, 0, 0
    for b, n, overdue, none in fetch(
        f"""SELECT {BUCKET_OF.format(day="next_service_due")} AS b,
                   count(*) FILTER (WHERE next_service_due BETWEEN %(start)s AND %(end)s),
                   count(*) FILTER (WHERE next_service_due < %(today)s),
                   count(*) FILTER (WHERE next_service_due IS NULL)
            FROM equipment_equipment GROUP BY 1""",
        ahead.params(),
    ):
        due[b] = n
        overdue_now += overdue
        without += none
    return {
        "from": r.start,
        "to": r.end,
        "interval": r.interval,
        "horizon_days": horizon,
        "buckets": [
            {
                "start": first,
                "end": last,
                "label": label,
                "equipment": n,
                "compliant": compliant,
                "compliance_rate": compliance_rate,
            }
            for first, last, label, n, compliant, compliance_rate in rows
        ],
        "due": {
            "from": ahead.start,
            "to": ahead.end,
            "buckets": [
                {"start": first, "end": last, "label": label, "services_due": due.get(first, 0)}
                for first, last, label in due_buckets
            ],
            "overdue_now": overdue_now,
            "without_schedule": without,
        },
    }


# ------------------------------------------------------------------------------- cases
# endpoint name → the variants benchmarked: (extra query string, hand-written SQL)
HAND_SQL: dict[str, list[tuple[str, Callable[[Range], dict]]]] = {
    "workorders": [("", sql_workorders), ("group_by=client", sql_workorders)],
    "quality": [("", sql_quality), ("group_by=welder", sql_quality)],
    "welders": [("", sql_welders)],
    "inventory": [("", sql_inventory)],
    "equipment": [("", sql_equipment)],
}


@dataclass
class Case:
    name: str  # endpoint, plus its extra query string
    url: str
    endpoint: Any  # dashboard.analytics.views.Endpoint
    query: Any  # the parsed AnalyticsQuery
    hand: Callable[[], dict]

    def selector(self) -> dict:
        return self.endpoint.compute(self.query)


def year_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months ending today: from the day after today's date a year earlier."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + dt.timedelta(days=1), today


def cases(today: dt.date, only: set[str] | None) -> tuple[list[Case], list[str], list[str]]:
    """The cases to run; the endpoints without hand-written SQL here; the hand-written SQL
    whose endpoint is not on this branch."""
    from django.http import QueryDict

    from dashboard.analytics import query as q
    from dashboard.analytics.urls import ENDPOINTS

    start, end = year_range(today)
    found, untimed = [], []
    for endpoint in ENDPOINTS:
        if only and endpoint.name not in only:
            continue
        if endpoint.name not in HAND_SQL:
            untimed.append(endpoint.name)
            continue
        for extra, hand in HAND_SQL[endpoint.name]:
            text = f"from={start}&to={end}&interval={INTERVAL}" + (f"&{extra}" if extra else "")
            query = q.parse(
                QueryDict(text),
                extra=endpoint.parameters,
                passthrough=[p.name for p in endpoint.passthrough],
                today=today,
            )
            r = Range(query.start, query.end, query.interval, dict(query.options), query.today)
            found.append(
                Case(
                    name=endpoint.name + (f"?{extra}" if extra else ""),
                    url=f"/api/v1/analytics/{endpoint.name}?{text}",
                    endpoint=endpoint,
                    query=query,
                    hand=lambda hand=hand, r=r: hand(r),
                )
            )
    names = {endpoint.name for endpoint in ENDPOINTS}
    missing = sorted(name for name in HAND_SQL if name not in names and (not only or name in only))
    return found, untimed, missing


def difference(ours: Any, theirs: Any, path: str = "") -> str | None:
    """Where two answers first differ (None when equal)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if ours.keys() != theirs.keys():
            return f"{path or '.'}: keys {sorted(ours)} against {sorted(theirs)}"
        for key in ours:
            found = difference(ours[key], theirs[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return f"{path}: {len(ours)} entries against {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found = difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if ours == theirs else f"{path}: endpoint {ours!r}, SQL {theirs!r}"


def check(case: Case) -> None:
    ours, theirs = case.selector(), case.hand()
    where = difference(ours, theirs)
    if where:
        raise RuntimeError(f"{case.name}: the endpoint and the SQL disagree at {where}")


def measure(found: list[Case], runs: int) -> list[dict]:
    client = http_client()
    results = []
    for case in found:
        check(case)

        def request(url=case.url):
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: {response.status_code} {response.content[:300]!r}")

        request()
        selector_ms, sql_ms, request_ms = [], [], []
        for i in range(runs):
            trio = [(case.selector, selector_ms), (case.hand, sql_ms), (request, request_ms)]
            for fn, bucket in trio if i % 2 == 0 else reversed(trio):
                bucket.append(timed(fn))
        # The ratios are taken run by run (both sides measured back to back, so a machine
        # that gets busier or quieter mid-run does not skew them), then their median.
        result = {
            "name": case.name,
            "selector": statistics.median(selector_ms),
            "sql": statistics.median(sql_ms),
            "request": statistics.median(request_ms),
            "ratio": statistics.median(a / b for a, b in zip(selector_ms, sql_ms, strict=True)),
            "request_ratio": statistics.median(a / b for a, b in zip(request_ms, sql_ms, strict=True)),
            "load": os.getloadavg()[0],
        }
        results.append(result)
        say(
            f"    {case.name:28} selector {result['selector']:8.1f} ms   SQL {result['sql']:8.1f} ms   "
            f"ratio {result['ratio']:.2f}   request {result['request']:8.1f} ms "
            f"({result['request_ratio']:.2f}x SQL)   load {result['load']:.2f}"
        )
    return results


def report(results: list[dict], runs: int, untimed: list[str], missing: list[str]) -> None:
    say()
    say(
        f"Median of {runs} runs, uncached, 12 months by {INTERVAL}; target: endpoint <= {TARGET_RATIO}x SQL "
        "(ratios: the median of the run-by-run ratios)"
    )
    say(
        f"{'endpoint':30}{'selector ms':>12}{'hand SQL ms':>12}{'ratio':>7}  {'':6}"
        f"{'request ms':>11}{'request/SQL':>12}"
    )
    for r in results:
        verdict = "PASS" if r["ratio"] <= TARGET_RATIO else "FAIL"
        say(
            f"{r['name']:30}{r['selector']:12.1f}{r['sql']:12.1f}{r['ratio']:7.2f}  {verdict:6}"
            f"{r['request']:11.1f}{r['request_ratio']:12.2f}"
        )
    if results:
        worst = max(results, key=lambda r: r["ratio"])
        say(f"Worst ratio: {worst['ratio']:.2f} ({worst['name']})")
        busy = max(r["load"] for r in results)
        if busy > 1:
            say(
                f"WARNING: load average up to {busy:.2f} on {os.cpu_count()} CPUs during the runs: other "
                "work shared the machine; the ratios are steadier than the milliseconds, but rerun on a "
                "quiet machine for figures to quote."
            )
    say(
        "selector: the endpoint's compute(query) (its queries and the Python shaping the answer); "
        "request: the whole GET in process (Django's test client: JWT, permissions, parsing, "
        "compute, the serializer, JSON), a report, not part of the target."
    )
    for name in untimed:
        say(f"NOT TIMED: /analytics/{name} has no hand-written SQL in this benchmark (HAND_SQL).")
    for name in missing:
        say(f"NOT TIMED: /analytics/{name} is not on this branch (dashboard.analytics.urls.ENDPOINTS).")


# ------------------------------------------------------------------------------- diagnosis
def show_queries(found: list[Case], explain: bool) -> None:
    """Each statement an endpoint runs with its time (and, with `explain`, its plan)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for case in found:
        with CaptureQueriesContext(connection) as captured:
            case.selector()
        total = sum(float(query["time"]) for query in captured.captured_queries)
        say(f"\n--- {case.name}: {len(captured.captured_queries)} queries, {total * 1000:.1f} ms in SQL")
        for query in captured.captured_queries:
            say(f"  {float(query['time']) * 1000:8.1f} ms  {query['sql'][:2000]}")
            if explain:
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query["sql"])
                    say("\n".join("      " + row[0] for row in cursor.fetchall()))


def profile(found: list[Case], results: list[dict], everything: bool) -> None:
    """A profile of each endpoint above the target (every one with `everything`)."""
    slow = {r["name"] for r in results if everything or r["ratio"] > TARGET_RATIO}
    for case in found:
        if case.name not in slow:
            continue
        try:
            from pyinstrument import Profiler
        except ImportError:
            import cProfile
            import io
            import pstats

            prof = cProfile.Profile()
            prof.runcall(case.selector)
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(30)
            say(f"\n--- cProfile of {case.name} (pyinstrument is not installed)\n{out.getvalue()}")
            continue
        profiler = Profiler(interval=0.0005)
        profiler.start()
        case.selector()
        profiler.stop()
        say(f"\n--- pyinstrument profile of {case.name}")
        say(profiler.output_text(unicode=True, color=False, show_all=False))


# ------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    parser.add_argument(
        "--rows",
        type=int,
        default=rows,
        help="work orders, inspections and stock movements each, unless given apart "
        "(default $BENCH_ROWS, else 1,000,000; e.g. 20000 for a quick run)",
    )
    parser.add_argument("--orders", type=int)
    parser.add_argument("--inspections", type=int)
    parser.add_argument("--movements", type=int, help="stock movements")
    parser.add_argument("--employees", type=int, default=500)
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--equipment", type=int, default=1_000)
    parser.add_argument("--seed", dest="seed_value", type=float, default=0.42, help="setseed() value (-1..1)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per side and endpoint (median)")
    parser.add_argument(
        "--only", help="comma list of endpoints (workorders,quality,welders,inventory,equipment)"
    )
    parser.add_argument("--time-zone", help="TIME_ZONE for the run (default: the settings', UTC)")
    parser.add_argument("--fresh-table", action="store_true", help="ANALYZE only (no VACUUM) after seeding")
    parser.add_argument("--queries", action="store_true", help="print each endpoint's SQL with its time")
    parser.add_argument("--explain", action="store_true", help="… and its EXPLAIN (ANALYZE, BUFFERS)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the endpoints above the target (--profile-all: every one)",
    )
    parser.add_argument("--profile-all", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep-tmp", action="store_true")
    parser.add_argument(
        "--no-install", dest="install", action="store_false", help="never install PostgreSQL when missing"
    )
    args = parser.parse_args(argv)
    for name in ("orders", "inspections", "movements"):
        if getattr(args, name) is None:
            setattr(args, name, args.rows)
    return args


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
        **({"TIME_ZONE": args.time_zone} if args.time_zone else {}),
    )
    os.environ.pop("REDIS_URL", None)
    tmp = Path(tempfile.mkdtemp(prefix="weldshop-analytics-bench."))
    (tmp / "static").mkdir()
    os.environ["STATIC_ROOT"] = str(tmp / "static")

    exit_cleanly_on_sigterm()
    postgres = Postgres(tmp)
    try:
        say(f"Weldshop analytics benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        use_database(postgres)
        setup_django()

        from django.conf import settings
        from django.db import connection
        from django.utils import timezone

        now, today = timezone.now(), timezone.localdate()
        seed(args, now, today, settings.TIME_ZONE)
        vacuum(TABLES, args.fresh_table)
        describe_data(today)
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            step(cursor.fetchone()[0].split(" on ")[0])
        start, end = year_range(today)
        step(
            f"Timing {args.runs} runs per side (median): {start} .. {end} by {INTERVAL}, "
            f"TIME_ZONE {settings.TIME_ZONE}, load average {os.getloadavg()[0]:.2f}"
        )
        only = set(args.only.split(",")) if args.only else None
        found, untimed, missing = cases(today, only)
        results = measure(found, args.runs)
        if args.queries or args.explain:
            show_queries(found, args.explain)
        if args.profile or args.profile_all:
            profile(found, results, args.profile_all)
        report(results, args.runs, untimed, missing)
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
