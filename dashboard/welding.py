"""`GET /api/v1/dashboard/welding`: the welding figures (WELDING.md §4 "Dashboard", R11), in
a constant number of queries whatever the amount of data:

1–3. qualifications and their standings as of `as_of` (staff/qualifications.py: the rows, the
     events, the runs of the weld log for ASME/AWS continuity);
4.   the repair rates and first-pass yield, grouped, in one SQL statement (`KPI_SQL`);
5.   the Pareto of ISO 6520 codes;
6.   the welds awaiting NDT (R10's `welded`, set-based; count and oldest in one query);
7–8. calibration states as of `as_of` (equipment/calibrations.py);
9–11. productivity: the weld log's arc seconds and welds per welder, the machine-log
     templates, their entries in the window (and one more to name employees who appear only
     there).

The arithmetic (rates, rounding, Pareto, horizons) is `dashboard/kpis.py`. The decisions
are in docs/welding.md ("Issue 13: welding dashboard and KPIs").
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Substr
from django.utils import timezone

from dashboard import kpis
from equipment.calibrations import status_counts
from inspections import finding_rules
from inspections.models import Inspection, InspectionMethod, InspectionResult, Verdict, WeldFinding
from machines.models import ImportTemplate, WorkshopEntry
from staff import welding_rules as rules
from staff.models import Employee, WelderQualification
from staff.qualifications import ROW_FIELDS, Row, standings
from workorders.models import Layer, Weld, WeldActivity, WorkOrder, Wps

DEFAULT_METHODS = ("UT", "RT")  # in InspectionMethod order, as given lists are answered
METHODS = tuple(InspectionMethod.values)
DEFAULT_DAYS = 30  # the window when `from` is left out: the 30 days ending with `to`
AT_RISK_DAYS = 30
QUALIFICATION_STATUSES = (
    rules.VALID,
    rules.EXPIRING,
    rules.LAPSED,
    rules.EXPIRED,
    rules.REVOKED,
    rules.PENDING,
)
STILL_VALID = (rules.VALID, rules.EXPIRING)
# A machine-log template counts for arc hours when its mapping names these three fields.
MACHINE_FIELDS = ("employee_id", "arc_seconds", "date")


@dataclass(frozen=True)
class KpiWindow:
    """The KPIs' days (inclusive, local to TIME_ZONE), methods and "today"."""

    start: dt.date
    end: dt.date
    methods: tuple[str, ...]
    as_of: dt.date

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[local midnight of `start`, local midnight after `end`) as aware datetimes."""
        tz = timezone.get_current_timezone()
        first = timezone.make_aware(dt.datetime.combine(self.start, dt.time()), tz)
        after = timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()), tz)
        return first, after


def default_window(start: dt.date | None, end: dt.date | None, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """`to` defaults to `as_of`; `from` to the 30 days ending with `to`."""
    end = end or as_of
    return start or end - dt.timedelta(days=DEFAULT_DAYS - 1), end


# ------------------------------------------------------------------------------ qualifications
def qualification_figures(as_of: dt.date, limit: int) -> dict:
    """Counts by status (R1 as of `as_of`), `expiring_in`, the continuity at risk and the
    lapsed: three queries (staff/qualifications.py's bulk standings)."""
    values = WelderQualification.objects.order_by().values_list(
        *ROW_FIELDS, "qualification_id", "employee__employee_id", "employee__name"
    )
    rows, extra = [], {}
    for value in values.iterator(chunk_size=10_000):
        row = Row(*value[: len(ROW_FIELDS)])
        rows.append(row)
        extra[row.pk] = value[len(ROW_FIELDS) :]
    found = standings(rows, on=as_of)
    counts = dict.fromkeys(QUALIFICATION_STATUSES, 0)
    undetermined = 0
    still_valid, at_risk, lapsed = [], [], []
    for row in rows:
        standing = found[row.pk]
        if standing is None:
            undetermined += 1
            continue
        counts[standing.status] += 1
        qid, employee_id, name = extra[row.pk]
        item = {
            "qualification_id": qid,
            "employee_id": employee_id,
            "name": name,
            "process": row.process,
            "continuity_due": standing.continuity_due,
        }
        if standing.status in STILL_VALID:
            still_valid.append(standing.effective_until)
            days_left = (standing.continuity_due - as_of).days
            if days_left <= AT_RISK_DAYS:
                at_risk.append({**item, "days_left": days_left})
        elif standing.status == rules.LAPSED:
            lapsed.append({**item, "days_lapsed": (as_of - standing.continuity_due).days})
    at_risk.sort(key=lambda r: (r["continuity_due"], r["qualification_id"]))
    lapsed.sort(key=lambda r: (-r["continuity_due"].toordinal(), r["qualification_id"]))
    return {
        "qualifications": {
            "total": len(rows),
            **counts,
            "undetermined": undetermined,
            "expiring_in": kpis.expiring_in(still_valid, on=as_of),
        },
        "continuity_at_risk": {"count": len(at_risk), "items": at_risk[:limit]},
        "lapsed": {"count": len(lapsed), "items": lapsed[:limit]},
    }


# ------------------------------------------------------------------------------ R11 rates
KPI_SQL = """
WITH first_shot AS (
    SELECT i.id, i.weld_id, i.result, i.examined_length_mm
    FROM {inspection} i
    WHERE i.weld_id IS NOT NULL AND i.method IN ({methods})
      AND i.inspected_at >= %(first)s AND i.inspected_at < %(after)s
      AND NOT EXISTS (
          SELECT 1 FROM {inspection} e
          WHERE e.weld_id = i.weld_id AND e.method IN ({methods})
            AND (e.inspected_at < i.inspected_at OR (e.inspected_at = i.inspected_at AND e.id < i.id))
      )
),
pop AS (
    SELECT s.weld_id, w.wps_id,
           CASE WHEN s.result = %(fail)s THEN 1 ELSE 0 END AS failed,
           COALESCE(s.examined_length_mm, w.length_mm) AS examined,
           COALESCE((SELECT SUM(f.length_mm) FROM {finding} f
                     WHERE f.inspection_id = s.id AND f.verdict = %(reject)s), 0) AS rejected
    FROM first_shot s JOIN {weld} w ON w.id = s.weld_id
),
hands AS (
    SELECT DISTINCT a.weld_id, a.welder_id, a.process
    FROM {activity} a
    WHERE a.layer NOT IN (%(tack)s, %(repair)s) AND a.weld_id IN (SELECT weld_id FROM pop)
),
any_first AS (
    SELECT i.result
    FROM {inspection} i
    WHERE i.weld_id IS NOT NULL
      AND i.inspected_at >= %(first)s AND i.inspected_at < %(after)s
      AND NOT EXISTS (
          SELECT 1 FROM {inspection} e
          WHERE e.weld_id = i.weld_id
            AND (e.inspected_at < i.inspected_at OR (e.inspected_at = i.inspected_at AND e.id < i.id))
      )
)
SELECT 'all' AS kind, NULL AS gkey, NULL AS label, {figures} FROM pop p
UNION ALL
SELECT 'welder', em.employee_id, em.name, {figures}
FROM (SELECT DISTINCT weld_id, welder_id FROM hands) h
JOIN pop p ON p.weld_id = h.weld_id JOIN {employee} em ON em.id = h.welder_id
GROUP BY em.employee_id, em.name
UNION ALL
SELECT 'process', h.process, NULL, {figures}
FROM (SELECT DISTINCT weld_id, process FROM hands) h JOIN pop p ON p.weld_id = h.weld_id
GROUP BY h.process
UNION ALL
SELECT 'wps', wp.wps_id, NULL, {figures}
FROM pop p LEFT JOIN {wps} wp ON wp.id = p.wps_id
GROUP BY wp.wps_id
UNION ALL
SELECT 'first', NULL, NULL, COUNT(*), SUM(CASE WHEN result = %(pass)s THEN 1 ELSE 0 END), 0, 0, 0
FROM any_first
"""
# welds, failed, length unknown, rejected mm (known lengths only), examined mm
FIGURES_SQL = (
    "COUNT(*), SUM(p.failed), SUM(CASE WHEN p.examined IS NULL THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN p.examined IS NULL THEN 0 ELSE p.rejected END), SUM(p.examined)"
)


def kpi_sql(methods: tuple[str, ...]) -> str:
    """R11's statement for these methods (placeholders for each)."""
    table = connection.ops.quote_name
    return KPI_SQL.format(
        inspection=table(Inspection._meta.db_table),
        finding=table(WeldFinding._meta.db_table),
        weld=table(Weld._meta.db_table),
        activity=table(WeldActivity._meta.db_table),
        employee=table(Employee._meta.db_table),
        wps=table(Wps._meta.db_table),
        methods=", ".join(f"%(m{i})s" for i in range(len(methods))),
        figures=FIGURES_SQL,
    )


def kpi_params(window: KpiWindow) -> dict:
    first, after = window.bounds
    adapt = connection.ops.adapt_datetimefield_value
    return {
        "first": adapt(first),
        "after": adapt(after),
        "fail": InspectionResult.FAIL,
        "pass": InspectionResult.PASS,
        "reject": Verdict.REJECT,
        "tack": Layer.TACK,
        "repair": Layer.REPAIR,
        **{f"m{i}": method for i, method in enumerate(window.methods)},
    }


def rate_figures(window: KpiWindow) -> dict:
    """`repair_rate` and `first_pass_yield` (R11): one query."""
    with connection.cursor() as cursor:
        cursor.execute(kpi_sql(window.methods), kpi_params(window))
        rows = cursor.fetchall()
    groups: dict[str, list] = defaultdict(list)
    overall = first = None
    for kind, key, label, welds, failed, unknown, rejected, examined in rows:
        figures = kpis.repair_figures(
            welds=int(welds or 0),
            failed=int(failed or 0),
            length_unknown=int(unknown or 0),
            rejected_mm=rejected,
            examined_mm=examined,
        )
        if kind == "all":
            overall = figures
        elif kind == "first":
            first = (int(welds or 0), int(failed or 0))
        elif kind == "welder":
            groups["by_welder"].append({"employee_id": key, "name": label, **figures})
        elif kind == "process":
            groups["by_process"].append({"process": key, **figures})
        else:
            groups["by_wps"].append({"wps_id": key, **figures})
    groups["by_welder"].sort(key=lambda g: g["employee_id"])
    groups["by_process"].sort(key=lambda g: g["process"])
    groups["by_wps"].sort(key=lambda g: (g["wps_id"] is None, g["wps_id"] or ""))
    inspected, passed = first or (0, 0)
    return {
        "repair_rate": {
            **overall,
            "by_welder": groups["by_welder"],
            "by_process": groups["by_process"],
            "by_wps": groups["by_wps"],
        },
        "first_pass_yield": kpis.rate(passed, inspected),
        "first_pass": {"inspected": inspected, "passed": passed},
    }


# ------------------------------------------------------------------------------ findings
def findings_by_code(window: KpiWindow) -> list[dict]:
    """The Pareto of the rejected findings of the inspections by `methods` in the window
    (first shots and re-inspections alike): one query."""
    first, after = window.bounds
    counts = dict(
        WeldFinding.objects.filter(
            verdict=Verdict.REJECT,
            inspection__method__in=window.methods,
            inspection__inspected_at__gte=first,
            inspection__inspected_at__lt=after,
        )
        .order_by()
        .values_list("code")
        .annotate(n=Count("id"))
    )
    labels = {code: finding_rules.code_info(code).label for code in counts}
    return kpis.pareto(counts, labels)


# ------------------------------------------------------------------------------ awaiting NDT
AWAITING_SQL = """
WITH latest AS (
    SELECT weld_id, method, result FROM (
        SELECT i.weld_id, i.method, i.result,
               ROW_NUMBER() OVER (PARTITION BY i.weld_id, i.method ORDER BY i.inspected_at DESC, i.id DESC) AS rn
        FROM {inspection} i WHERE i.weld_id IS NOT NULL
    ) ranked
    WHERE rn = 1
),
tested AS (
    SELECT weld_id, {per_method} FROM latest GROUP BY weld_id
),
logged AS (
    SELECT weld_id, MAX(welded_on) AS last_welded_on FROM {activity} GROUP BY weld_id
),
kinds AS (
    -- the few distinct `ndt_required` lists, each read once (casting every weld's list to
    -- text for each method's test would cost more than the rest of the statement)
    SELECT req, {required_flags}
    FROM (SELECT DISTINCT CAST(ndt_required AS TEXT) AS req FROM {weld}) lists
),
waiting AS (
    SELECT w.id, w.weld_id, w.order_id, w.ndt_required, lg.last_welded_on
    FROM {weld} w
    JOIN logged lg ON lg.weld_id = w.id
    JOIN kinds k ON k.req = CAST(w.ndt_required AS TEXT)
    LEFT JOIN tested t ON t.weld_id = w.id
    WHERE (k.req_any = 1 AND {no_failure} AND ({missing}))
       OR (k.req_any = 0 AND t.weld_id IS NULL)
),
page AS (
    SELECT COUNT(*) OVER () AS total, id, weld_id, order_id, ndt_required, last_welded_on
    FROM waiting ORDER BY last_welded_on, weld_id
    LIMIT %(limit)s
)
-- the work orders of the page only: the LIKE filters above defeat the row estimates
SELECT p.total, p.id, p.weld_id, o.order_id, p.ndt_required, p.last_welded_on
FROM page p JOIN {order} o ON o.id = p.order_id
ORDER BY p.last_welded_on, p.weld_id
"""


def awaiting_sql() -> str:
    """R10's `welded` (workorders.selectors.with_weld_status) as one set-based statement: the
    latest inspection per (weld, method) by a window function instead of ten correlated
    subqueries per weld. Same rule, checked equal on random histories in the tests:

    - logged (a weld-log entry);
    - a weld with required methods: none of them has a failed latest inspection (failed →
      `rejected` or `repaired`), and one of them has none yet;
    - a weld with nothing required: not inspected at all (once inspected it is judged by the
      methods it was inspected with, and is never `welded`)."""
    table = connection.ops.quote_name
    flags = ["CASE WHEN req LIKE %(like_any)s THEN 1 ELSE 0 END AS req_any"] + [
        f"CASE WHEN req LIKE %(like_{m})s THEN 1 ELSE 0 END AS req_{m}" for m in METHODS
    ]
    return AWAITING_SQL.format(
        inspection=table(Inspection._meta.db_table),
        activity=table(WeldActivity._meta.db_table),
        weld=table(Weld._meta.db_table),
        order=table(WorkOrder._meta.db_table),
        per_method=", ".join(
            f"MAX(CASE WHEN method = %(m_{m})s THEN 1 ELSE 0 END) AS has_{m}, "
            f"MAX(CASE WHEN method = %(m_{m})s AND result = %(fail)s THEN 1 ELSE 0 END) AS fail_{m}"
            for m in METHODS
        ),
        required_flags=", ".join(flags),
        no_failure=" AND ".join(f"NOT (k.req_{m} = 1 AND COALESCE(t.fail_{m}, 0) = 1)" for m in METHODS),
        missing=" OR ".join(f"(k.req_{m} = 1 AND COALESCE(t.has_{m}, 0) = 0)" for m in METHODS),
    )


def awaiting_ndt(as_of: dt.date, limit: int) -> dict:
    """The welds whose status (R10) is `welded`: logged, a required method not inspected yet
    and none failed. Count and the longest waiting (by their last entry's day, then weld_id):
    one query. The current state (not as of `as_of`: inspections carry no "as known on")."""
    params = {
        "limit": limit,
        "fail": InspectionResult.FAIL,
        "like_any": '%"%',
        **{f"m_{m}": m for m in METHODS},
        **{f"like_{m}": f'%"{m}"%' for m in METHODS},
    }
    with connection.cursor() as cursor:
        cursor.execute(awaiting_sql(), params)
        rows = cursor.fetchall()
    items = []
    for _total, pk, weld_id, order_id, ndt_required, last in rows:
        if isinstance(ndt_required, str):
            ndt_required = json.loads(ndt_required)
        if isinstance(last, str):  # SQLite
            last = dt.date.fromisoformat(last)
        items.append(
            {
                "id": pk,
                "weld_id": weld_id,
                "order_id": order_id,
                "ndt_required": ndt_required,
                "last_welded_on": last,
                "days_waiting": (as_of - last).days,
            }
        )
    return {"count": rows[0][0] if rows else 0, "items": items}


# ------------------------------------------------------------------------------ calibration
def calibration_figures(as_of: dt.date) -> dict:
    counts = status_counts(on=as_of)
    return {"overdue": counts["overdue"], "due_soon": counts["due_soon"], "failed": counts["failed"]}


# ------------------------------------------------------------------------------ productivity
def machine_templates() -> list[int]:
    """The templates whose mapping maps `employee_id`, `arc_seconds` and `date`."""
    return [
        pk
        for pk, mapping in ImportTemplate.objects.order_by().values_list("pk", "mapping")
        if isinstance(mapping, dict) and set(MACHINE_FIELDS) <= set(mapping.values())
    ]


def _day(value) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _seconds(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None


def machine_arc_seconds(window: KpiWindow) -> dict[str, float]:
    """Arc seconds by employee_id from the machine logs (WorkshopEntry.data, through a
    template that maps the three fields), dated in the window: two queries."""
    templates = machine_templates()
    if not templates:
        return {}
    day = Substr(KeyTextTransform("date", "data"), 1, 10)
    rows = (
        WorkshopEntry.objects.filter(template_id__in=templates)
        .annotate(day=day)
        .filter(day__gte=window.start.isoformat(), day__lte=window.end.isoformat())
        .order_by()
        .values_list("data")
    )
    found: dict[str, float] = defaultdict(float)
    for (data,) in rows.iterator(chunk_size=10_000):
        if not isinstance(data, dict):
            continue
        on = _day(data.get("date"))
        seconds = _seconds(data.get("arc_seconds"))
        employee = data.get("employee_id")
        if on is None or seconds is None or employee in (None, "") or not window.start <= on <= window.end:
            continue
        found[str(employee).strip()] += seconds
    return found


def productivity(window: KpiWindow) -> list[dict]:
    """Per welder: arc hours (weld log + machine logs) and welds (distinct welds with an entry
    of theirs) in the window, most arc hours first."""
    logged = (
        WeldActivity.objects.filter(welded_on__gte=window.start, welded_on__lte=window.end)
        .order_by()
        .values("welder__employee_id", "welder__name")
        .annotate(arc=Sum("arc_seconds"), welds=Count("weld_id", distinct=True))
    )
    rows = {
        r["welder__employee_id"]: {
            "employee_id": r["welder__employee_id"],
            "name": r["welder__name"],
            "log_arc_seconds": int(r["arc"] or 0),
            "machine_arc_seconds": 0,
            "welds": r["welds"],
        }
        for r in logged
    }
    machine = machine_arc_seconds(window)
    unknown = set(machine) - set(rows)
    if unknown:
        for employee_id, name in Employee.objects.filter(employee_id__in=unknown).values_list(
            "employee_id", "name"
        ):
            rows[employee_id] = {
                "employee_id": employee_id,
                "name": name,
                "log_arc_seconds": 0,
                "machine_arc_seconds": 0,
                "welds": 0,
            }
    for employee_id, seconds in machine.items():
        if employee_id in rows:
            rows[employee_id]["machine_arc_seconds"] = round(seconds, 3)
    out = []
    for row in rows.values():
        total = kpis.number(row["log_arc_seconds"]) + kpis.number(machine.get(row["employee_id"], 0))
        out.append({**row, "arc_hours": kpis.hours(total)})
    out.sort(key=lambda r: (-r["arc_hours"], r["employee_id"]))
    return out


# ------------------------------------------------------------------------------ the answer
def welding_figures(window: KpiWindow, *, limit: int) -> dict:
    """The whole answer of `GET dashboard/welding` (plain values; the serializer shapes it)."""
    return {
        "from": window.start,
        "to": window.end,
        "methods": list(window.methods),
        "as_of": window.as_of,
        **qualification_figures(window.as_of, limit),
        **rate_figures(window),
        "findings_by_code": findings_by_code(window),
        "awaiting_ndt": awaiting_ndt(window.as_of, limit),
        "calibration": calibration_figures(window.as_of),
        "productivity": productivity(window),
    }
