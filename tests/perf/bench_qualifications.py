"""Benchmark: every welder qualification's standing (R1–R3) against hand-written SQL, on
PostgreSQL with 5,000 welders × 4 qualifications and 2,000,000 weld-log entries.

    .venv/bin/python tests/perf/bench_qualifications.py [--help]
    .venv/bin/python tests/perf/bench_qualifications.py --entries 200000   # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:55433/bench ...             # a PostgreSQL of your own, seed kept

One run, one database:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated;
2. seeded in SQL (`INSERT … SELECT … FROM generate_series`): `--welders` employees with four
   qualifications each (processes 135, 141, 111, 136; a third ISO 9606-1 on routes 9.3a/9.3b,
   a third ASME IX, a third AWS D1.1; tested up to three years ago), ISO confirmations about
   every six months (some missed), revalidations, ASME/AWS renewals, a few revocations, and
   `--entries` weld-log entries over the last 800 days (welders and processes skewed, 1%
   overridden), on 20,000 welds; then VACUUM (ANALYZE);
3. the standing of every qualification as of today, both ways — ours
   (`staff.qualifications.standings(rows_of(...))`, as the list's `?status=` filter works
   them out: its queries and the rules in Python) and one
   hand-written SQL statement (the same definitions: R2's months, R3's ISO anchor and the
   ASME/AWS chain by window functions, R1's order) — must be EQUAL before anything is timed;
   then `--runs` alternating runs each, the median of each side, and the ratio against the 2×
   target (JIT off for the session: the hand SQL's cost estimate would otherwise spend
   seconds compiling a statement that runs in a fraction of one). Alongside, as a report, the whole request for a page of the list filtered by status
   (`GET /api/v1/qualifications/?status=lapsed`, which works out every standing to filter) when
   the endpoint exists;
4. `--profile`: a profile of ours (pyinstrument when installed, else cProfile);
5. stops the PostgreSQL it started and removes the temp folder.

It is a report: the exit status is 0 whether or not the target is met (non-zero only when the
benchmark itself could not run, or when the two sides disagree).
"""

# The hand-written SQL is assembled from constant fragments; every value is a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_workorders_list import say, step  # noqa: E402
from tests.perf.common import bench_run, fetch, http_client, profile, report_errors, timed, vacuum  # noqa: E402

TARGET_RATIO = 2.0
PREFIX = "BQ-"
WELDS = 20_000
HISTORY_DAYS = 800

SEED_SQL = {
    "employees": """
        INSERT INTO staff_employee (employee_id, name, role, created_at, updated_at)
        SELECT 'BQ-E' || lpad(g::text, 5, '0'), 'Welder ' || g, 'Welder', %(now)s, %(now)s
        FROM generate_series(1, %(welders)s) AS g""",
    "work orders": """
        INSERT INTO workorders_workorder
            (order_id, client, description, status, quality_level, assignment_override_reason,
             created_at, updated_at)
        SELECT 'BQ-WO' || lpad(g::text, 4, '0'), 'Client ' || mod(g, 7), '', 'in_progress', 'C', '',
               %(now)s, %(now)s
        FROM generate_series(1, 200) AS g""",
    "WPS": """
        INSERT INTO workorders_wps
            (wps_id, revision, status, pqr_ref, process, root_process, product_forms, weld_types,
             material_groups, filler_group, filler_designation, shielding_gas, thickness_min_mm,
             positions, parameters, created_at, updated_at)
        SELECT 'BQ-WPS-' || p, '', 'approved', '', p, '', '["P", "T"]', '["BW", "FW"]', '[]', 'FM1',
               '', '', 3, '["PA", "PB", "PC", "PF"]', '{}', %(now)s, %(now)s
        FROM unnest(ARRAY['135', '141', '111', '136']) AS p""",
    "welds": """
        INSERT INTO workorders_weld
            (weld_id, order_id, wps_id, joint_type, product_form, thickness_mm, position,
             quality_level, ndt_required, created_at, updated_at)
        SELECT 'BQ-W' || lpad(g::text, 6, '0'),
               (SELECT min(id) FROM workorders_workorder WHERE order_id LIKE 'BQ-WO%%') + mod(g, 200),
               (SELECT min(id) FROM workorders_wps WHERE wps_id LIKE 'BQ-WPS-%%') + mod(g, 4),
               'BW', 'P', 10, 'PF', 'C', '["VT", "RT"]', %(now)s, %(now)s
        FROM generate_series(1, %(welds)s) AS g""",
    # Four per welder, one per process; standards in thirds; tested up to 3 years ago.
    "qualifications": """
        INSERT INTO staff_welderqualification
            (qualification_id, employee_id, standard, designation, process, product_forms,
             weld_types, filler_groups, positions, thickness_min_mm, thickness_max_mm, test_date,
             examiner, revalidation_method, created_at, updated_at)
        SELECT 'BQ-Q' || lpad(e.n::text, 5, '0') || '-' || p.k,
               e.id,
               (ARRAY['iso_9606_1', 'asme_ix', 'aws_d1_1'])[1 + mod(e.n + p.k, 3)],
               '', p.process, '["P"]', '["BW", "FW"]', '["FM1"]', '["PA", "PB", "PC", "PF"]', 3, 20,
               %(today)s::date - floor(random() * 1100)::int,
               '',
               CASE WHEN mod(e.n + p.k, 3) = 0 THEN (ARRAY['9.3a', '9.3b'])[1 + mod(e.n, 2)] ELSE '' END,
               %(now)s, %(now)s
        FROM (SELECT id, substr(employee_id, 5)::int AS n FROM staff_employee WHERE employee_id LIKE 'BQ-E%%') AS e
        CROSS JOIN (VALUES (0, '135'), (1, '141'), (2, '111'), (3, '136')) AS p(k, process)""",
    # ISO: a confirmation about every 6 months (10% missed, which lapses them); ASME/AWS: a
    # renewal for one in ten; revalidations for a few 9.3b; revocations for 0.5%.
    "qualification events": """
        INSERT INTO staff_qualificationevent
            (qualification_id, kind, on_date, note, evidence, override_reason, created_at, updated_at)
        SELECT q.id, 'confirmation', (q.test_date + i * 175 + floor(random() * 10)::int), '', '[]'::jsonb, '', %(now)s, %(now)s
        FROM staff_welderqualification q CROSS JOIN generate_series(1, 7) AS i
        WHERE q.qualification_id LIKE 'BQ-%%' AND q.standard = 'iso_9606_1'
          AND q.test_date + i * 175 + 10 <= %(today)s::date AND random() < 0.9
        UNION ALL
        SELECT q.id, 'revalidation', q.test_date + 700, '', '[]'::jsonb, '', %(now)s, %(now)s
        FROM staff_welderqualification q
        WHERE q.qualification_id LIKE 'BQ-%%' AND q.revalidation_method = '9.3b'
          AND q.test_date + 700 <= %(today)s::date AND random() < 0.3
        UNION ALL
        SELECT q.id, 'renewal', q.test_date + 400, '', '[]'::jsonb, '', %(now)s, %(now)s
        FROM staff_welderqualification q
        WHERE q.qualification_id LIKE 'BQ-%%' AND q.standard <> 'iso_9606_1'
          AND q.test_date + 400 <= %(today)s::date AND random() < 0.1
        UNION ALL
        SELECT q.id, 'revocation', q.test_date + 30, 'bench', '[]'::jsonb, '', %(now)s, %(now)s
        FROM staff_welderqualification q
        WHERE q.qualification_id LIKE 'BQ-%%' AND q.test_date + 30 <= %(today)s::date AND random() < 0.005""",
    # Skewed: welders by r², processes 60/25/10/5%, days denser lately; 1% overridden.
    "weld-log entries": """
        INSERT INTO workorders_weldactivity
            (weld_id, welder_id, process, layer, welded_on, check_result, override_reason,
             created_at, updated_at)
        SELECT (SELECT min(id) FROM workorders_weld WHERE weld_id LIKE 'BQ-W%%') + floor(r1 * %(welds)s)::int,
               (SELECT min(id) FROM staff_employee WHERE employee_id LIKE 'BQ-E%%') + floor(r2 * r2 * %(welders)s)::int,
               CASE WHEN r3 < 0.6 THEN '135' WHEN r3 < 0.85 THEN '141' WHEN r3 < 0.95 THEN '111' ELSE '136' END,
               'complete',
               %(today)s::date - floor(sqrt(r4) * %(days)s)::int,
               '{}',
               CASE WHEN r5 < 0.01 THEN 'bench override' ELSE '' END,
               %(now)s, %(now)s
        FROM (SELECT random() r1, random() r2, random() r3, random() r4, random() r5
              FROM generate_series(1, %(entries)s)) AS s""",
}

TABLES = (
    "staff_employee",
    "staff_welderqualification",
    "staff_qualificationevent",
    "workorders_weld",
    "workorders_weldactivity",
)

# R1–R3 in one statement, from the definitions in WELDING.md §3 (PostgreSQL's date + interval
# adds calendar months and clamps to the month's end, as add_months does).
HAND_SQL = """
WITH q AS (
    SELECT id, employee_id, process, standard, revalidation_method, test_date
    FROM staff_welderqualification
),
ev AS (
    SELECT qualification_id AS id,
           max(on_date) FILTER (WHERE kind IN ('confirmation', 'revalidation')) AS last_confirmed,
           count(*) FILTER (WHERE kind = 'revalidation') AS revalidations,
           max(on_date) FILTER (WHERE kind = 'renewal') AS last_renewal,
           bool_or(kind = 'revocation') AS revoked
    FROM staff_qualificationevent
    WHERE on_date <= %(on)s
    GROUP BY qualification_id
),
chain_start AS (
    SELECT q.id, q.employee_id, q.process, greatest(q.test_date, ev.last_renewal) AS start
    FROM q LEFT JOIN ev ON ev.id = q.id
    WHERE q.standard <> 'iso_9606_1'
),
runs AS (
    -- Runs of days with no gap over 6 months: the chain can only carry on inside one.
    SELECT welder_id, process, min(welded_on) AS first_day, max(welded_on) AS last_day
    FROM (
        SELECT welder_id, process, welded_on,
               count(*) FILTER (WHERE welded_on > (previous + interval '6 months')::date)
                   OVER (PARTITION BY welder_id, process ORDER BY welded_on) AS run
        FROM (
            SELECT welder_id, process, welded_on,
                   lag(welded_on) OVER (PARTITION BY welder_id, process ORDER BY welded_on) AS previous
            FROM (
                SELECT DISTINCT welder_id, process, welded_on
                FROM workorders_weldactivity
                WHERE override_reason = '' AND welded_on <= %(on)s
            ) AS days
        ) AS neighbours
    ) AS numbered
    GROUP BY welder_id, process, run
),
anchors AS (
    -- The first run reaching the start carries the chain to its last day if it began before
    -- the start or within 6 months of it.
    SELECT DISTINCT ON (c.id) c.id,
           CASE WHEN r.first_day <= (c.start + interval '6 months')::date THEN r.last_day END AS last_day
    FROM chain_start c
    JOIN runs r ON r.welder_id = c.employee_id AND r.process = c.process AND r.last_day >= c.start
    ORDER BY c.id, r.first_day
),
figures AS (
    SELECT q.id, q.test_date, coalesce(ev.revoked, false) AS revoked,
           CASE
               WHEN q.standard <> 'iso_9606_1' OR q.revalidation_method = '9.3c' THEN NULL
               WHEN q.revalidation_method = '9.3a' THEN (q.test_date + interval '36 months')::date
               ELSE (q.test_date + (24 + 24 * coalesce(ev.revalidations, 0)) * interval '1 month')::date
           END AS valid_until,
           CASE
               WHEN q.standard = 'iso_9606_1'
                   THEN (greatest(q.test_date, ev.last_confirmed) + interval '6 months')::date
               ELSE (greatest(cs.start, a.last_day) + interval '6 months')::date
           END AS continuity_due
    FROM q
    LEFT JOIN ev ON ev.id = q.id
    LEFT JOIN chain_start cs ON cs.id = q.id
    LEFT JOIN anchors a ON a.id = q.id
)
SELECT id, valid_until, continuity_due,
       CASE
           WHEN revoked THEN 'revoked'
           WHEN %(on)s < test_date THEN 'pending'
           WHEN valid_until IS NOT NULL AND %(on)s > valid_until THEN 'expired'
           WHEN %(on)s > continuity_due THEN 'lapsed'
           WHEN least(valid_until, continuity_due) - %(on)s <= 30 THEN 'expiring'
           ELSE 'valid'
       END AS status
FROM figures
"""


def seed(args, now: dt.datetime, today: dt.date) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM workorders_weldactivity")
        existing = cursor.fetchone()[0]
        if existing == args.entries:
            step(f"Reusing the {existing:,} weld-log entries already in the database")
            return
        if existing:
            raise RuntimeError(f"The database holds {existing:,} weld-log entries: use an empty one.")
        params = {
            "now": now,
            "today": today,
            "welders": args.welders,
            "welds": WELDS,
            "entries": args.entries,
            "days": HISTORY_DAYS,
        }
        cursor.execute("SELECT setseed(%s)", [args.seed_value])
        started = time.perf_counter()
        for name, sql in SEED_SQL.items():
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            step(f"Seeded {cursor.rowcount:,} {name} ({time.perf_counter() - t0:.1f} s)")
        step(f"Seeding took {time.perf_counter() - started:.1f} s")


def ours(today: dt.date) -> dict[int, tuple]:
    from staff.models import WelderQualification
    from staff.qualifications import rows_of, standings

    found = standings(rows_of(WelderQualification.objects.all()), on=today)
    return {pk: (s.valid_until, s.continuity_due, s.status) for pk, s in found.items()}


def hand(today: dt.date) -> dict[int, tuple]:
    return {pk: (until, due, status) for pk, until, due, status in fetch(HAND_SQL, {"on": today})}


def compare(a: dict, b: dict) -> None:
    if a == b:
        return
    differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    for pk in differing[:10]:
        say(f"  qualification {pk}: ours {a.get(pk)}, SQL {b.get(pk)}")
    raise RuntimeError(f"The two sides disagree on {len(differing):,} qualifications.")


def describe(found: dict) -> None:
    from collections import Counter

    counts = Counter(status for _, _, status in found.values())
    step("Statuses: " + ", ".join(f"{s} {n:,}" for s, n in counts.most_common()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--welders", type=int, default=5_000)
    parser.add_argument("--entries", type=int, default=2_000_000, help="weld-log entries")
    parser.add_argument("--seed", dest="seed_value", type=float, default=0.42, help="setseed() value (-1..1)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (median)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep-tmp", action="store_true")
    args = parser.parse_args(argv)

    title = "Weldshop qualification standings benchmark"
    with bench_run("qualifications", title, keep_tmp=args.keep_tmp):
        return report_errors(lambda: measure(args))


def measure(args) -> int:
    from django.utils import timezone

    now, today = timezone.now(), timezone.localdate()
    seed(args, now, today)
    vacuum(TABLES, fresh=False)
    from django.db import connection

    with connection.cursor() as cursor:
        # The hand SQL's estimate crosses jit_above_cost, and compiling takes seconds for a
        # statement that runs in a fraction of one: a floor measures the query, not that.
        cursor.execute("SET jit = off")

    first = ours(today)
    compare(first, hand(today))
    step(f"Both sides agree on {len(first):,} qualifications as of {today}")
    describe(first)

    times: dict[str, list[float]] = {"ours": [], "sql": []}
    for _ in range(args.runs):
        times["ours"].append(timed(lambda: ours(today)))
        times["sql"].append(timed(lambda: hand(today)))
    o, s = statistics.median(times["ours"]), statistics.median(times["sql"])
    verdict = "meets" if o <= TARGET_RATIO * s else "MISSES"
    say(
        f"\nstandings of {len(first):,} qualifications: ours {o:,.0f} ms, hand SQL {s:,.0f} ms, "
        f"ratio {o / s:.2f}x — {verdict} the {TARGET_RATIO}x target"
    )

    client = http_client()
    url = "/api/v1/qualifications/?status=lapsed&page_size=100"
    probe = client.get(url)
    if probe.status_code == 200:
        request = statistics.median(timed(lambda: client.get(url)) for _ in range(args.runs))
        say(f"GET {url}: {request:,.0f} ms ({request / s:.2f}x the hand SQL)")
    else:
        say(f"GET {url}: {probe.status_code} (not timed)")

    if args.profile:
        profile(lambda: ours(today))
    return 0


if __name__ == "__main__":
    sys.exit(main())
