"""Benchmark: `GET /api/v1/dashboard/welding` (WELDING.md §4, R11), uncached, against
hand-written SQL computing the same figures, on PostgreSQL with 200,000 welds, 1,000,000
weld-log entries, 300,000 inspections and 100,000 findings (issue 13's target: ≤ 1.5×).

    .venv/bin/python tests/perf/bench_dashboard_welding.py [--help]
    .venv/bin/python tests/perf/bench_dashboard_welding.py --scale 0.1        # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:55433/bench ...               # a PostgreSQL of your own, seed kept

One run, one database:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated;
2. seeded in SQL (`INSERT … SELECT … FROM generate_series`), every count × `--scale`:
   2,000 welders with two ISO 9606-1 qualifications each (confirmations about every 6 months,
   some missed), 50 WPS, 2,000 work orders, 200,000 welds (5% without a length, 5% without a
   WPS; NDT VT+RT, VT+UT or VT), 1,000,000 weld-log entries over two years (10% tacks, 5%
   repairs, arc seconds for 90%), 300,000 inspections of those welds (VT/RT/UT/PT, 10% failed,
   30% with an examined length), 100,000 findings on the failed ones (80% rejected),
   300 machines with calibrations, and 20,000 machine-log entries through a template that maps
   employee_id, arc_seconds and date; then VACUUM (ANALYZE);
3. the figures both ways, for the `--days` days ending today, methods RT,UT — ours (the
   endpoint, `DASHBOARD_CACHE_SECONDS=0`: nothing cached) and the hand-written statements
   (one per section, PostgreSQL's own tools: DISTINCT ON, GROUPING SETS, FILTER) — must be
   EQUAL before anything is timed; then `--runs` alternating runs each, the medians and the
   ratio: the whole request, and `welding_figures()` alone (no HTTP, no serializer);
4. stops the PostgreSQL it started and removes the temp folder.

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
from decimal import Decimal
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
from tests.perf.common import bench_run, fetch, http_client, report_errors, timed, vacuum  # noqa: E402

TARGET_RATIO = 1.5
HISTORY_DAYS = 730
LIMIT = 20
SIZES = {
    "welders": 2_000,
    "orders": 2_000,
    "welds": 200_000,
    "entries": 1_000_000,
    "inspections": 300_000,
    "findings": 100_000,
    "machines": 300,
    "machine_entries": 20_000,
}

SEED_SQL = {
    "employees": """
        INSERT INTO staff_employee (employee_id, name, role, created_at, updated_at)
        SELECT 'BD-E' || lpad(g::text, 5, '0'), 'Welder ' || g, 'Welder', %(now)s, %(now)s
        FROM generate_series(1, %(welders)s) AS g""",
    "work orders": """
        INSERT INTO workorders_workorder
            (order_id, client, description, status, quality_level, assignment_override_reason,
             created_at, updated_at)
        SELECT 'BD-WO' || lpad(g::text, 5, '0'), 'Client ' || mod(g, 7), '', 'in_progress', 'C', '',
               %(now)s, %(now)s
        FROM generate_series(1, %(orders)s) AS g""",
    "WPS": """
        INSERT INTO workorders_wps
            (wps_id, revision, status, pqr_ref, process, root_process, product_forms, weld_types,
             material_groups, filler_group, filler_designation, shielding_gas, thickness_min_mm,
             positions, parameters, created_at, updated_at)
        SELECT 'BD-WPS-' || lpad(g::text, 2, '0'), '', 'approved', '',
               (ARRAY['135', '141', '111', '136'])[1 + mod(g, 4)], '', '["P", "T"]', '["BW", "FW"]', '[]',
               'FM1', '', '', 3, '["PA", "PB", "PC", "PF"]', '{}', %(now)s, %(now)s
        FROM generate_series(1, 50) AS g""",
    "welds": """
        INSERT INTO workorders_weld
            (weld_id, order_id, wps_id, joint_type, product_form, thickness_mm, position, length_mm,
             quality_level, ndt_required, created_at, updated_at)
        SELECT 'BD-W' || lpad(g::text, 7, '0'),
               (SELECT min(id) FROM workorders_workorder WHERE order_id LIKE 'BD-WO%%') + mod(g, %(orders)s),
               CASE WHEN random() < 0.05 THEN NULL
                    ELSE (SELECT min(id) FROM workorders_wps WHERE wps_id LIKE 'BD-WPS-%%') + mod(g, 50) END,
               'BW', 'P', 10, 'PF',
               CASE WHEN random() < 0.05 THEN NULL ELSE 200 + floor(random() * 1800) END,
               'C',
               (ARRAY['["VT", "RT"]', '["VT", "UT"]', '["VT"]'])[1 + mod(g, 3)]::jsonb,
               %(now)s, %(now)s
        FROM generate_series(1, %(welds)s) AS g""",
    "qualifications": """
        INSERT INTO staff_welderqualification
            (qualification_id, employee_id, standard, designation, process, product_forms,
             weld_types, filler_groups, positions, thickness_min_mm, thickness_max_mm, test_date,
             examiner, revalidation_method, created_at, updated_at)
        SELECT 'BD-Q' || lpad(e.n::text, 5, '0') || '-' || p.k, e.id, 'iso_9606_1', '', p.process,
               '["P"]', '["BW", "FW"]', '["FM1"]', '["PA", "PB", "PC", "PF"]', 3, 20,
               %(today)s::date - floor(random() * 1000)::int, '', (ARRAY['9.3a', '9.3b'])[1 + mod(e.n, 2)],
               %(now)s, %(now)s
        FROM (SELECT id, substr(employee_id, 5)::int AS n FROM staff_employee WHERE employee_id LIKE 'BD-E%%') AS e
        CROSS JOIN (VALUES (0, '135'), (1, '141')) AS p(k, process)""",
    "confirmations": """
        INSERT INTO staff_qualificationevent
            (qualification_id, kind, on_date, note, evidence, override_reason, created_at, updated_at)
        SELECT q.id, 'confirmation', q.test_date + i * 175 + floor(random() * 10)::int, '', '[]'::jsonb, '',
               %(now)s, %(now)s
        FROM staff_welderqualification q CROSS JOIN generate_series(1, 6) AS i
        WHERE q.qualification_id LIKE 'BD-Q%%' AND q.test_date + i * 175 + 10 <= %(today)s::date
          AND random() < 0.85""",
    "weld-log entries": """
        INSERT INTO workorders_weldactivity
            (weld_id, welder_id, process, layer, welded_on, arc_seconds, check_result, override_reason,
             created_at, updated_at)
        SELECT (SELECT min(id) FROM workorders_weld WHERE weld_id LIKE 'BD-W%%') + floor(r1 * %(welds)s)::int,
               (SELECT min(id) FROM staff_employee WHERE employee_id LIKE 'BD-E%%') + floor(r2 * %(welders)s)::int,
               CASE WHEN r3 < 0.6 THEN '135' WHEN r3 < 0.85 THEN '141' WHEN r3 < 0.95 THEN '111' ELSE '136' END,
               CASE WHEN r4 < 0.10 THEN 'tack' WHEN r4 < 0.15 THEN 'repair' WHEN r4 < 0.35 THEN 'root'
                    WHEN r4 < 0.55 THEN 'fill' WHEN r4 < 0.75 THEN 'cap' ELSE 'complete' END,
               %(today)s::date - floor(r5 * %(days)s)::int,
               CASE WHEN r6 < 0.1 THEN NULL ELSE floor(r6 * 3600)::int END,
               '{}', '', %(now)s, %(now)s
        FROM (SELECT random() r1, random() r2, random() r3, random() r4, random() r5, random() r6
              FROM generate_series(1, %(entries)s)) AS s""",
    "inspections": """
        INSERT INTO inspections_inspection
            (inspection_id, work_order_id, weld_id, inspector, result, defect_type, method,
             inspected_at, notes, report_no, examined_length_mm, created_at, updated_at)
        SELECT 'BD-I' || lpad(g::text, 7, '0'), w.order_id, w.id, 'Inspector ' || mod(g, 9),
               CASE WHEN s.r2 < 0.1 THEN 'fail' ELSE 'pass' END,
               CASE WHEN s.r2 < 0.1 THEN 'porosity' END,
               CASE WHEN s.r3 < 0.4 THEN 'VT' WHEN s.r3 < 0.75 THEN 'RT' WHEN s.r3 < 0.95 THEN 'UT' ELSE 'PT' END,
               %(now)s - (s.r4 * %(days)s) * interval '1 day', '', '',
               CASE WHEN s.r5 < 0.3 THEN 100 + floor(s.r5 * 1000) END,
               %(now)s, %(now)s
        FROM (SELECT g, random() r1, random() r2, random() r3, random() r4, random() r5
              FROM generate_series(1, %(inspections)s) AS g) AS s
        JOIN workorders_weld w
          ON w.id = (SELECT min(id) FROM workorders_weld WHERE weld_id LIKE 'BD-W%%') + floor(s.r1 * %(welds)s)::int""",
    "findings": """
        INSERT INTO inspections_weldfinding
            (inspection_id, code, size_mm, length_mm, location, quality_level, verdict, created_at, updated_at)
        SELECT f.id,
               (ARRAY['2011', '2011', '2011', '401', '401', '100', '5011', '302', '2012', '4021'])[1 + floor(random() * 10)::int],
               NULL, CASE WHEN random() < 0.1 THEN NULL ELSE 1 + floor(random() * 100) END, '', '',
               CASE WHEN random() < 0.8 THEN 'reject' ELSE 'accept' END, %(now)s, %(now)s
        FROM (SELECT id FROM inspections_inspection WHERE inspection_id LIKE 'BD-I%%' AND result = 'fail') AS f
        CROSS JOIN generate_series(1, 10) AS i
        WHERE random() < %(findings_share)s""",
    "machines": """
        INSERT INTO equipment_equipment
            (equipment_id, name, status, calibration_interval_days, created_at, updated_at)
        SELECT 'BD-EQ' || lpad(g::text, 4, '0'), 'Welder ' || g, 'operational',
               CASE WHEN mod(g, 10) = 0 THEN NULL ELSE 365 END, %(now)s, %(now)s
        FROM generate_series(1, %(machines)s) AS g""",
    "calibrations": """
        INSERT INTO equipment_equipmentcalibration
            (equipment_id, kind, accuracy_grade, performed_on, certificate_no, result, valid_until,
             measurements, certificate, certificate_filename, certificate_content_type, created_at, updated_at)
        SELECT e.id, 'validation', 'standard', d.day, '', CASE WHEN random() < 0.05 THEN 'fail' ELSE 'pass' END,
               d.day + 365, '{}', '', '', '', %(now)s, %(now)s
        FROM equipment_equipment e
        CROSS JOIN LATERAL (SELECT %(today)s::date - floor(random() * 800)::int AS day
                            FROM generate_series(1, 3) WHERE random() < 0.7 + 0 * e.id) AS d
        WHERE e.equipment_id LIKE 'BD-EQ%%'""",
    "machine log": """
        WITH m AS (
            INSERT INTO machines_machine (name, code, type, metadata, created_at, updated_at)
            VALUES ('BD robot', 'BD-M1', 'robot', '{}', %(now)s, %(now)s) RETURNING id
        ), t AS (
            INSERT INTO machines_importtemplate (name, description, machine_id, mapping, active, created_at, updated_at)
            SELECT 'BD arc log', '', id,
                   '{"Welder": "employee_id", "Arc (s)": "arc_seconds", "Date": "date", "Wire": "wire_kg"}',
                   true, %(now)s, %(now)s FROM m RETURNING id, machine_id
        )
        INSERT INTO machines_workshopentry (template_id, machine_id, imported_at, data, created_at, updated_at)
        SELECT t.id, t.machine_id, %(now)s,
               jsonb_build_object(
                   'employee_id', 'BD-E' || lpad((1 + floor(random() * %(welders)s))::text, 5, '0'),
                   'arc_seconds', floor(random() * 7200)::int,
                   'date', (%(today)s::date - floor(random() * %(days)s)::int)::text,
                   'wire_kg', 1.5),
               %(now)s, %(now)s
        FROM t CROSS JOIN generate_series(1, %(machine_entries)s)""",
}

TABLES = (
    "staff_employee",
    "staff_welderqualification",
    "staff_qualificationevent",
    "workorders_weld",
    "workorders_weldactivity",
    "inspections_inspection",
    "inspections_weldfinding",
    "equipment_equipment",
    "equipment_equipmentcalibration",
    "machines_workshopentry",
)

# ------------------------------------------------------------------------------ hand SQL
# R1 for ISO 9606-1 routes 9.3a/9.3b without revalidations (what the seed holds).
QUALIFICATIONS_SQL = """
WITH s AS (
    SELECT q.qualification_id, e.employee_id, e.name, q.process, q.test_date,
           CASE WHEN q.revalidation_method = '9.3a' THEN (q.test_date + interval '36 months')::date
                ELSE (q.test_date + interval '24 months')::date END AS valid_until,
           (greatest(q.test_date, c.last) + interval '6 months')::date AS due
    FROM staff_welderqualification q
    JOIN staff_employee e ON e.id = q.employee_id
    LEFT JOIN (SELECT qualification_id, max(on_date) AS last FROM staff_qualificationevent
               WHERE on_date <= %(on)s AND kind IN ('confirmation', 'revalidation')
               GROUP BY qualification_id) c ON c.qualification_id = q.id
), st AS (
    SELECT *, least(valid_until, due) AS eff,
           CASE WHEN %(on)s < test_date THEN 'pending' WHEN %(on)s > valid_until THEN 'expired'
                WHEN %(on)s > due THEN 'lapsed' WHEN least(valid_until, due) - %(on)s <= 30 THEN 'expiring'
                ELSE 'valid' END AS status
    FROM s
)
SELECT 'status', status, NULL, NULL, NULL::date, count(*)::int FROM st GROUP BY status
UNION ALL
SELECT 'within', h::text, NULL, NULL, NULL,
       (SELECT count(*)::int FROM st WHERE status IN ('valid', 'expiring') AND eff - %(on)s <= h)
FROM unnest(ARRAY[30, 60, 90]) AS h
UNION ALL
(SELECT 'risk', qualification_id, employee_id, process, due, due - %(on)s FROM st
 WHERE status IN ('valid', 'expiring') AND due - %(on)s <= 30 ORDER BY due, qualification_id LIMIT %(limit)s)
UNION ALL
SELECT 'risk_count', NULL, NULL, NULL, NULL, count(*)::int FROM st WHERE status IN ('valid', 'expiring') AND due - %(on)s <= 30
UNION ALL
(SELECT 'lapsed', qualification_id, employee_id, process, due, %(on)s - due FROM st
 WHERE status = 'lapsed' ORDER BY due DESC, qualification_id LIMIT %(limit)s)
UNION ALL
SELECT 'lapsed_count', NULL, NULL, NULL, NULL, count(*)::int FROM st WHERE status = 'lapsed'
"""

REPAIR_SQL = """
WITH firsts AS (
    SELECT DISTINCT ON (weld_id) id, weld_id, result, examined_length_mm, inspected_at
    FROM inspections_inspection
    WHERE weld_id IS NOT NULL AND method = ANY(%(methods)s)
    ORDER BY weld_id, inspected_at, id
), pop AS (
    SELECT f.weld_id, w.wps_id, (f.result = 'fail')::int AS failed,
           coalesce(f.examined_length_mm, w.length_mm) AS examined, coalesce(r.mm, 0) AS rejected
    FROM firsts f
    JOIN workorders_weld w ON w.id = f.weld_id
    LEFT JOIN (SELECT inspection_id, sum(length_mm) AS mm FROM inspections_weldfinding
               WHERE verdict = 'reject' GROUP BY inspection_id) r ON r.inspection_id = f.id
    WHERE f.inspected_at >= %(first)s AND f.inspected_at < %(after)s
), hands AS (
    SELECT DISTINCT a.weld_id, e.employee_id, a.process
    FROM workorders_weldactivity a JOIN pop USING (weld_id) JOIN staff_employee e ON e.id = a.welder_id
    WHERE a.layer NOT IN ('tack', 'repair')
), rows AS (
    SELECT 'all' AS kind, NULL AS gkey, p.* FROM pop p
    UNION ALL SELECT DISTINCT 'welder', h.employee_id, p.* FROM hands h JOIN pop p USING (weld_id)
    UNION ALL SELECT DISTINCT 'process', h.process, p.* FROM hands h JOIN pop p USING (weld_id)
    UNION ALL SELECT 'wps', wp.wps_id, p.* FROM pop p LEFT JOIN workorders_wps wp ON wp.id = p.wps_id
)
SELECT kind, gkey, count(*)::int, sum(failed)::int, count(*) FILTER (WHERE examined IS NULL)::int,
       coalesce(sum(rejected) FILTER (WHERE examined IS NOT NULL), 0), coalesce(sum(examined), 0),
       round(sum(failed)::numeric / count(*), 4),
       round(sum(rejected) FILTER (WHERE examined IS NOT NULL) / nullif(sum(examined), 0), 4)
FROM rows GROUP BY kind, gkey
"""

FIRST_PASS_SQL = """
SELECT count(*)::int, count(*) FILTER (WHERE result = 'pass')::int
FROM (SELECT DISTINCT ON (weld_id) result, inspected_at FROM inspections_inspection
      WHERE weld_id IS NOT NULL ORDER BY weld_id, inspected_at, id) f
WHERE inspected_at >= %(first)s AND inspected_at < %(after)s
"""

PARETO_SQL = """
SELECT code, n, round(n::numeric / sum(n) OVER (), 4),
       round(sum(n) OVER (ORDER BY n DESC, code)::numeric / sum(n) OVER (), 4)
FROM (SELECT f.code, count(*)::int AS n FROM inspections_weldfinding f
      JOIN inspections_inspection i ON i.id = f.inspection_id
      WHERE f.verdict = 'reject' AND i.method = ANY(%(methods)s)
        AND i.inspected_at >= %(first)s AND i.inspected_at < %(after)s
      GROUP BY f.code) c
ORDER BY n DESC, code
"""

# R10 `welded`: logged; no judged method's latest inspection failed; a required method not
# inspected yet (or, nothing required, nothing inspected).
AWAITING_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (weld_id, method) weld_id, method, result
    FROM inspections_inspection WHERE weld_id IS NOT NULL
    ORDER BY weld_id, method, inspected_at DESC, id DESC
), per_weld AS (
    SELECT weld_id, array_agg(method::text) AS inspected,
           coalesce(array_agg(method::text) FILTER (WHERE result = 'fail'), '{}') AS failed
    FROM latest GROUP BY weld_id
), logged AS (
    SELECT weld_id, max(welded_on) AS last FROM workorders_weldactivity GROUP BY weld_id
)
SELECT count(*) OVER ()::int, w.weld_id, lg.last
FROM workorders_weld w
JOIN logged lg ON lg.weld_id = w.id
LEFT JOIN per_weld pw ON pw.weld_id = w.id
CROSS JOIN LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(w.ndt_required)) AS req) r
WHERE CASE WHEN cardinality(r.req) = 0 THEN pw.weld_id IS NULL
           ELSE NOT (coalesce(pw.failed, '{}') && r.req) AND NOT (r.req <@ coalesce(pw.inspected, '{}')) END
ORDER BY lg.last, w.weld_id
LIMIT %(limit)s
"""

CALIBRATION_SQL = """
SELECT count(*) FILTER (WHERE c.result = 'pass' AND c.valid_until < %(on)s)::int,
       count(*) FILTER (WHERE c.result = 'pass' AND c.valid_until >= %(on)s AND c.valid_until - %(on)s <= 30)::int,
       count(*) FILTER (WHERE c.result = 'fail')::int
FROM equipment_equipment e
JOIN LATERAL (SELECT result, valid_until FROM equipment_equipmentcalibration k
              WHERE k.equipment_id = e.id AND k.performed_on <= %(on)s
              ORDER BY performed_on DESC, id DESC LIMIT 1) c ON true
WHERE e.calibration_interval_days IS NOT NULL
"""

PRODUCTIVITY_SQL = """
WITH log AS (
    SELECT welder_id, sum(arc) AS arc, count(*) AS welds
    FROM (SELECT welder_id, weld_id, sum(arc_seconds) AS arc FROM workorders_weldactivity
          WHERE welded_on BETWEEN %(start)s AND %(end)s GROUP BY welder_id, weld_id) AS per_weld
    GROUP BY welder_id
), machine AS (
    SELECT btrim(data ->> 'employee_id') AS employee, sum((data ->> 'arc_seconds')::numeric) AS arc
    FROM machines_workshopentry
    WHERE template_id IN (SELECT t.id FROM machines_importtemplate t
                          WHERE (SELECT count(DISTINCT value) FROM jsonb_each_text(t.mapping)
                                 WHERE value IN ('employee_id', 'arc_seconds', 'date')) = 3)
      AND left(data ->> 'date', 10) BETWEEN %(start_text)s AND %(end_text)s
    GROUP BY 1
)
SELECT e.employee_id, coalesce(log.arc, 0)::bigint, coalesce(log.welds, 0)::int, coalesce(machine.arc, 0),
       round((coalesce(log.arc, 0) + coalesce(machine.arc, 0)) / 3600.0, 2)
FROM staff_employee e
LEFT JOIN log ON log.welder_id = e.id
LEFT JOIN machine ON machine.employee = e.employee_id
WHERE log.welder_id IS NOT NULL OR machine.employee IS NOT NULL
"""


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def hand(window) -> dict:
    first, after = window.bounds
    p = {
        "on": window.as_of,
        "limit": LIMIT,
        "methods": list(window.methods),
        "first": first,
        "after": after,
        "start": window.start,
        "end": window.end,
        "start_text": window.start.isoformat(),
        "end_text": window.end.isoformat(),
    }
    q: dict = {"status": {}, "within": {}, "risk": [], "lapsed": []}
    for kind, key, employee, process, due, n in fetch(QUALIFICATIONS_SQL, p):
        if kind in ("status", "within"):
            q[kind][key] = n
        elif kind in ("risk", "lapsed"):
            q[kind].append((key, employee, process, due, n))
        else:
            q[kind] = n
    rates = {}
    for kind, key, welds, failed, unknown, rejected, examined, joint, length in fetch(REPAIR_SQL, p):
        rates[(kind, key)] = (welds, failed, unknown, _d(rejected), _d(examined), _d(joint), _d(length))
    inspected, passed = fetch(FIRST_PASS_SQL, p)[0]
    awaiting = fetch(AWAITING_SQL, p)
    return {
        "qualifications": q,
        "rates": rates,
        "first_pass": (inspected, passed),
        "pareto": [(code, n, _d(share), _d(cum)) for code, n, share, cum in fetch(PARETO_SQL, p)],
        "awaiting": (awaiting[0][0] if awaiting else 0, [(w, last) for _, w, last in awaiting]),
        "calibration": tuple(fetch(CALIBRATION_SQL, p)[0]),
        "productivity": {
            e: (arc, welds, _d(machine).normalize() if machine else Decimal(0), _d(hours))
            for e, arc, welds, machine, hours in fetch(PRODUCTIVITY_SQL, p)
        },
    }


def normalised(body: dict) -> dict:
    """The endpoint's answer in the hand side's shape."""
    quals = body["qualifications"]
    statuses = {
        s: quals[s] for s in ("valid", "expiring", "lapsed", "expired", "revoked", "pending") if quals[s]
    }

    def row(r):
        return (
            r["welds"],
            r["failed"],
            r["length_unknown"],
            _d(r["rejected_length_mm"]),
            _d(r["examined_length_mm"]),
            _d(r["joint"]),
            _d(r["length"]),
        )

    rate = body["repair_rate"]
    rates = {("all", None): row(rate)} if rate["welds"] else {}
    rates.update({("welder", g["employee_id"]): row(g) for g in rate["by_welder"]})
    rates.update({("process", g["process"]): row(g) for g in rate["by_process"]})
    rates.update({("wps", g["wps_id"]): row(g) for g in rate["by_wps"]})
    return {
        "qualifications": {
            "status": statuses,
            "within": quals["expiring_in"],
            "risk": [
                (
                    r["qualification_id"],
                    r["employee_id"],
                    r["process"],
                    dt.date.fromisoformat(r["continuity_due"]),
                    r["days_left"],
                )
                for r in body["continuity_at_risk"]["items"]
            ],
            "risk_count": body["continuity_at_risk"]["count"],
            "lapsed": [
                (
                    r["qualification_id"],
                    r["employee_id"],
                    r["process"],
                    dt.date.fromisoformat(r["continuity_due"]),
                    r["days_lapsed"],
                )
                for r in body["lapsed"]["items"]
            ],
            "lapsed_count": body["lapsed"]["count"],
        },
        "rates": rates,
        "first_pass": (body["first_pass"]["inspected"], body["first_pass"]["passed"]),
        "pareto": [
            (r["code"], r["count"], _d(r["share"]), _d(r["cumulative_share"]))
            for r in body["findings_by_code"]
        ],
        "awaiting": (
            body["awaiting_ndt"]["count"],
            [
                (r["weld_id"], dt.date.fromisoformat(r["last_welded_on"]))
                for r in body["awaiting_ndt"]["items"]
            ],
        ),
        "calibration": (
            body["calibration"]["overdue"],
            body["calibration"]["due_soon"],
            body["calibration"]["failed"],
        ),
        "productivity": {
            r["employee_id"]: (
                r["log_arc_seconds"],
                r["welds"],
                _d(r["machine_arc_seconds"]).normalize(),
                _d(r["arc_hours"]),
            )
            for r in body["productivity"]
        },
    }


def compare(ours: dict, sql: dict) -> None:
    bad = []
    for section in ours:
        a, b = ours[section], sql[section]
        if isinstance(a, dict) and section in ("rates", "productivity", "qualifications"):
            if section == "qualifications":
                b = {**b, "within": {k: v for k, v in b["within"].items()}}
            keys = sorted(a.keys() | b.keys(), key=str)
            diffs = [k for k in keys if a.get(k) != b.get(k)]
            for k in diffs[:5]:
                say(f"  {section} {k}: ours {a.get(k)}, SQL {b.get(k)}")
            if diffs:
                bad.append(section)
        elif a != b:
            say(f"  {section}: ours {str(a)[:300]}, SQL {str(b)[:300]}")
            bad.append(section)
    if bad:
        raise RuntimeError(f"The two sides disagree on {', '.join(bad)}.")


def seed(scale: float, now: dt.datetime, today: dt.date) -> dict:
    from django.db import connection

    sizes = {k: max(1, round(v * scale)) for k, v in SIZES.items()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM workorders_weld WHERE weld_id LIKE 'BD-W%%'")
        existing = cursor.fetchone()[0]
        if existing == sizes["welds"]:
            step(f"Reusing the {existing:,} welds (and the rest) already in the database")
            return sizes
        if existing:
            raise RuntimeError(
                f"The database holds {existing:,} bench welds of another scale: use an empty one."
            )
        failed = 0.1 * sizes["inspections"]
        params = {
            **sizes,
            "now": now,
            "today": today,
            "days": HISTORY_DAYS,
            "findings_share": min(1.0, sizes["findings"] / (failed * 10 * 0.8)),
        }
        cursor.execute("SELECT setseed(0.13)")
        started = time.perf_counter()
        for name, sql in SEED_SQL.items():
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            step(f"Seeded {cursor.rowcount:,} {name} ({time.perf_counter() - t0:.1f} s)")
        step(f"Seeding took {time.perf_counter() - started:.1f} s")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="every seeded count × this (0.1: a quick run)"
    )
    parser.add_argument("--days", type=int, default=365, help="the KPI window: these days ending today")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (median)")
    parser.add_argument("--keep-tmp", action="store_true")
    args = parser.parse_args(argv)

    with bench_run(
        "welding-dashboard",
        "Weldshop welding dashboard benchmark",
        keep_tmp=args.keep_tmp,
        DASHBOARD_CACHE_SECONDS="0",
    ):
        return report_errors(lambda: measure(args))


def measure(args) -> int:
    from django.db import connection
    from django.utils import timezone

    from dashboard.welding import DEFAULT_METHODS, KpiWindow, welding_figures

    now, today = timezone.now(), timezone.localdate()
    sizes = seed(args.scale, now, today)
    vacuum(TABLES, fresh=False)
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")  # as in bench_qualifications: JIT compiles longer than these run
    start = today - dt.timedelta(days=args.days - 1)
    window = KpiWindow(start=start, end=today, methods=DEFAULT_METHODS, as_of=today)
    client = http_client()
    url = f"/api/v1/dashboard/welding?from={start}&to={today}&as_of={today}&limit={LIMIT}"

    def request() -> dict:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code} {response.content[:300]!r}")
        return response.json()

    body = request()
    compare(normalised(body), hand(window))
    rate = body["repair_rate"]
    step(
        f"Both sides agree: {rate['welds']:,} welds in the population, joint {rate['joint']}, "
        f"length {rate['length']}, {len(rate['by_welder']):,} welders, first-pass yield "
        f"{body['first_pass_yield']}, {body['awaiting_ndt']['count']:,} awaiting NDT"
    )
    times: dict[str, list[float]] = {"request": [], "figures": [], "sql": []}
    for _ in range(args.runs):
        times["request"].append(timed(request))
        times["figures"].append(timed(lambda: welding_figures(window, limit=LIMIT)))
        times["sql"].append(timed(lambda: hand(window)))
    medians = {k: statistics.median(v) for k, v in times.items()}
    s = medians["sql"]
    say(
        f"\nscale {args.scale} ({sizes['welds']:,} welds, {sizes['entries']:,} entries, "
        f"{sizes['inspections']:,} inspections, ~{sizes['findings']:,} findings), window {args.days} days"
    )
    for name in ("request", "figures"):
        verdict = "meets" if medians[name] <= TARGET_RATIO * s else "MISSES"
        say(
            f"{name:8}: {medians[name]:,.0f} ms vs hand SQL {s:,.0f} ms, ratio {medians[name] / s:.2f}x — "
            f"{verdict} the {TARGET_RATIO}x target"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
