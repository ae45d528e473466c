"""The dashboard's figures: reads only, each a constant number of aggregate queries.

Definitions (SPEC §2, the same as the API's filters and the admin):

- **overdue** work order: `due_date` before today (in `TIME_ZONE`), status not
  completed/cancelled (`workorders.models.overdue_q`);
- **due in the next 7 days**: open (not completed/cancelled), today <= `due_date` <= today + 7;
- **service overdue** equipment: `next_service_due` before today (`equipment.models.service_overdue_q`);
  equipment without a next service date is never overdue;
- **pass rate** = passes / (passes + fails), 4 decimals, `None` when there are none (fail rate alike);
- **certification** expired before today, expiring today .. today + 30 days
  (`staff.models.certification_status_q`);
- **low stock**: `quantity <= reorder_level` (`Item.is_low_stock`, a generated column);
  **shortfall** = `reorder_level - quantity`, 0 for an item exactly at its reorder level.

`Period` narrows the records that have a date of their own: work orders by `due_date` and
inspections by the local date of `inspected_at`, both inclusive. Equipment, employees and
items are the current state and do not depend on it.

"Today" is passed in (the view takes `timezone.localdate()` once per request), so every
figure of one answer agrees on it, and the cache key can include it.

Lists ("the overdue orders") are capped at `limit` rows and come with their full `count`; the
complete lists are the resource APIs with their filters (`/workorders/?overdue=true`, …).
"""

# The hand-written SQL is assembled at import from constants (table names, the SQL mirrors of
# the models' definitions); every value is a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q, Window

from equipment.models import SERVICE_OVERDUE_SQL, Equipment, EquipmentStatus
from inspections.models import DefectType, Inspection, InspectionMethod, InspectionResult
from inventory.models import Item
from staff.models import (
    CERTIFICATION_STATUS_SQL,
    CERTIFICATION_STATUS_WHERE_SQL,
    EXPIRING_WITHIN_DAYS,
    CertificationStatus,
    Employee,
    certification_sql_params,
)
from workorders.models import CLOSED_STATUSES, WorkOrder, WorkOrderStatus, overdue_q
from workshop import sql
from workshop.api.filters import local_days_q

DUE_SOON_DAYS = 7
RATE_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class Period:
    """Inclusive dates; either may be None (open-ended)."""

    start: dt.date | None = None
    end: dt.date | None = None

    def work_orders(self) -> Q:
        """Work orders due within the period (none without a due date once a bound is set)."""
        q = Q()
        if self.start is not None:
            q &= Q(due_date__gte=self.start)
        if self.end is not None:
            q &= Q(due_date__lte=self.end)
        return q

    def inspections(self) -> Q:
        """Inspections made on a day of the period, days in TIME_ZONE."""
        return local_days_q("inspected_at", self.start, self.end)


ALL_TIME = Period()


def rate(part: int, whole: int) -> Decimal | None:
    """`part / whole` to 4 decimals (half up), None when `whole` is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def open_q() -> Q:
    return ~Q(status__in=CLOSED_STATUSES)


def due_soon_q(today: dt.date) -> Q:
    return Q(due_date__gte=today, due_date__lte=today + dt.timedelta(days=DUE_SOON_DAYS)) & open_q()


def _count(q: Q | None = None, *, of: str = "id") -> Count:
    """`COUNT(*)`, or `COUNT(<of>) FILTER (WHERE q)` (Django refuses a filter on `*`). `of`
    is a NOT NULL column, best one of the index the query scans, so that PostgreSQL can
    answer from the index alone."""
    return Count(of, filter=q) if q is not None else Count("*")


def _per_value(rows, values) -> dict[str, int]:
    """`{value: count}` for every choice value (0 for those no row has)."""
    counts = dict.fromkeys(values, 0)
    for value, n in rows:
        counts[value] = counts.get(value, 0) + n
    return counts


# The counts are grouped by status (a handful of rows) rather than one FILTER per status:
# the same single scan for the database, and much less SQL for Django to build each time.


# ------------------------------------------------------------------------------ work orders
def work_order_counts(*, today: dt.date, period: Period = ALL_TIME, due_soon: bool = False) -> dict[str, int]:
    """Total, one count per status, overdue (and with `due_soon` due in the next 7 days): one
    query, grouped by status. `status` and `due_date` are all it reads: the (status, due_date)
    index covers it."""
    extra = {"soon": _count(due_soon_q(today), of="status")} if due_soon else {}
    rows = list(
        WorkOrder.objects.filter(period.work_orders())
        .values_list("status")
        .annotate(n=_count(), overdue=_count(overdue_q(today), of="status"), **extra)
        .order_by()
    )
    counts = _per_value(((row[0], row[1]) for row in rows), WorkOrderStatus.values)
    counts["total"] = sum(row[1] for row in rows)
    counts["overdue"] = sum(row[2] for row in rows)
    if due_soon:
        counts["due_next_7_days"] = sum(row[3] for row in rows)
    return counts


def work_orders_by_client(*, today: dt.date, period: Period = ALL_TIME, limit: int) -> dict[str, Any]:
    """The clients with the most work orders (`limit` of them) and how many clients there are:
    one grouped query (the number of groups comes from a window over the groups)."""
    rows = list(
        WorkOrder.objects.filter(period.work_orders())
        .values("client")
        .annotate(
            total=_count(),
            open=_count(open_q(), of="status"),
            overdue=_count(overdue_q(today), of="status"),
            clients=Window(Count("*")),
        )
        .order_by("-total", "client")[:limit]
    )
    count = rows[0]["clients"] if rows else 0
    return {"count": count, "items": [{k: v for k, v in row.items() if k != "clients"} for row in rows]}


def _order_rows(queryset, *, limit: int) -> list[dict[str, Any]]:
    return list(
        queryset.values(
            "id",
            "order_id",
            "client",
            "status",
            "due_date",
            assigned_welder_employee_id=F("assigned_welder__employee_id"),
            assigned_welder_name=F("assigned_welder__name"),
        )[:limit]
    )


def overdue_orders(*, today: dt.date, period: Period = ALL_TIME, limit: int) -> list[dict[str, Any]]:
    """The open work orders due before today, longest overdue first."""
    rows = _order_rows(
        WorkOrder.objects.filter(period.work_orders(), overdue_q(today)).order_by("due_date", "id"),
        limit=limit,
    )
    for row in rows:
        row["days_overdue"] = (today - row["due_date"]).days
    return rows


def due_soon_orders(*, today: dt.date, period: Period = ALL_TIME, limit: int) -> list[dict[str, Any]]:
    """The open work orders due today or in the next 7 days, soonest first."""
    rows = _order_rows(
        WorkOrder.objects.filter(period.work_orders(), due_soon_q(today)).order_by("due_date", "id"),
        limit=limit,
    )
    for row in rows:
        row["days_left"] = (row["due_date"] - today).days
    return rows


def workorders_summary(*, today: dt.date, period: Period = ALL_TIME, limit: int) -> dict[str, Any]:
    """`GET /dashboard/workorders`: 4 queries."""
    counts = work_order_counts(today=today, period=period, due_soon=True)
    return {
        "total": counts["total"],
        "by_status": {status: counts[status] for status in WorkOrderStatus.values},
        "by_client": work_orders_by_client(today=today, period=period, limit=limit),
        "overdue": {
            "count": counts["overdue"],
            "items": overdue_orders(today=today, period=period, limit=limit),
        },
        "due_next_7_days": {
            "count": counts["due_next_7_days"],
            "items": due_soon_orders(today=today, period=period, limit=limit),
        },
    }


# ------------------------------------------------------------------------------ equipment
# Equipment, employees and items are small tables read whole: their queries are hand-written
# SQL (`workshop.sql`), as building them through the ORM took twice as long as running them.
EQUIPMENT = Equipment._meta.db_table
EQUIPMENT_COUNTS_SQL = f"""
    SELECT status, COUNT(*), COUNT(*) FILTER (WHERE {SERVICE_OVERDUE_SQL}),
           COUNT(*) FILTER (WHERE next_service_due IS NULL)
    FROM {EQUIPMENT} GROUP BY status"""
SERVICE_OVERDUE_ROWS_SQL = f"""
    SELECT id, equipment_id, name, status, last_service_date, service_interval_days, next_service_due
    FROM {EQUIPMENT} WHERE {SERVICE_OVERDUE_SQL}
    ORDER BY next_service_due, id LIMIT %(limit)s"""


def equipment_counts(*, today: dt.date) -> dict[str, int]:
    """Total, one count per status, service overdue and without a service schedule: one
    query, grouped by status."""
    groups = sql.rows(EQUIPMENT_COUNTS_SQL, {"today": today})
    counts = _per_value(((row[0], row[1]) for row in groups), EquipmentStatus.values)
    counts["total"] = sum(row[1] for row in groups)
    counts["service_overdue"] = sum(row[2] for row in groups)
    counts["no_service_schedule"] = sum(row[3] for row in groups)
    return counts


def service_overdue_equipment(*, today: dt.date, limit: int) -> list[dict[str, Any]]:
    """The equipment whose service is overdue, longest overdue first."""
    rows = sql.dicts(SERVICE_OVERDUE_ROWS_SQL, {"today": today, "limit": limit})
    for row in rows:
        row["days_overdue"] = (today - row["next_service_due"]).days
    return rows


def equipment_summary(*, today: dt.date, limit: int) -> dict[str, Any]:
    """`GET /dashboard/equipment`: 2 queries."""
    counts = equipment_counts(today=today)
    return {
        "total": counts["total"],
        "by_status": {status: counts[status] for status in EquipmentStatus.values},
        "no_service_schedule": counts["no_service_schedule"],
        "service_overdue": {
            "count": counts["service_overdue"],
            "items": service_overdue_equipment(today=today, limit=limit),
        },
    }


# ------------------------------------------------------------------------------ inspections
def _rates(passed: int, failed: int) -> dict[str, Any]:
    total = passed + failed
    return {
        "total": total,
        "passed": passed,
        "failed": failed,
        "pass_rate": rate(passed, total),
        "fail_rate": rate(failed, total),
    }


def inspection_counts(*, period: Period = ALL_TIME) -> dict[str, Any]:
    """Total, passed, failed and the rates: one query, grouped by result."""
    counts = _per_value(
        Inspection.objects.filter(period.inspections()).values_list("result").annotate(n=_count()).order_by(),
        InspectionResult.values,
    )
    return _rates(counts[InspectionResult.PASS], counts[InspectionResult.FAIL])


def inspections_by_inspector(*, period: Period = ALL_TIME, limit: int) -> dict[str, Any]:
    """The inspectors with the most inspections (`limit` of them) and how many there are."""
    rows = list(
        Inspection.objects.filter(period.inspections())
        .values("inspector")
        .annotate(
            total=_count(),
            passed=_count(Q(result=InspectionResult.PASS), of="result"),
            inspectors=Window(Count("*")),
        )
        .order_by("-total", "inspector")[:limit]
    )
    count = rows[0]["inspectors"] if rows else 0
    items = [
        {"inspector": row["inspector"], **_rates(row["passed"], row["total"] - row["passed"])} for row in rows
    ]
    return {"count": count, "items": items}


def inspections_summary(*, period: Period = ALL_TIME, limit: int) -> dict[str, Any]:
    """`GET /dashboard/inspections`: 2 queries. One grouped query by (method, result,
    defect type) — at most 5 × 10 rows — gives the overall figures, the methods and the
    defect types; the other groups by inspector."""
    groups = (
        Inspection.objects.filter(period.inspections())
        .values_list("method", "result", "defect_type")
        .annotate(n=_count())
        .order_by()
    )
    passed_by_method = dict.fromkeys(InspectionMethod.values, 0)
    failed_by_method = dict.fromkeys(InspectionMethod.values, 0)
    by_defect = dict.fromkeys(DefectType.values, 0)
    for method, result, defect_type, n in groups:
        if result == InspectionResult.PASS:
            passed_by_method[method] = passed_by_method.get(method, 0) + n
        else:
            failed_by_method[method] = failed_by_method.get(method, 0) + n
            by_defect[defect_type] = by_defect.get(defect_type, 0) + n
    passed, failed = sum(passed_by_method.values()), sum(failed_by_method.values())
    order = {value: i for i, value in enumerate(DefectType.values)}
    return {
        **_rates(passed, failed),
        "by_defect_type": [
            {"defect_type": defect_type, "count": n, "share": rate(n, failed)}
            for defect_type, n in sorted(by_defect.items(), key=lambda kv: (-kv[1], order.get(kv[0], 99)))
        ],
        "by_method": [
            {"method": method, **_rates(passed_by_method[method], failed_by_method[method])}
            for method in passed_by_method
        ],
        "by_inspector": inspections_by_inspector(period=period, limit=limit),
    }


# ------------------------------------------------------------------------------ employees
EMPLOYEES = Employee._meta.db_table
CERTIFICATION_COUNTS_SQL = f"SELECT {CERTIFICATION_STATUS_SQL}, COUNT(*) FROM {EMPLOYEES} GROUP BY 1"
CERTIFICATION_BY_ROLE_SQL = (
    f"SELECT role, {CERTIFICATION_STATUS_SQL}, COUNT(*) FROM {EMPLOYEES} GROUP BY 1, 2"
)
CERTIFICATION_ROWS_SQL = {
    status: f"""
    SELECT id, employee_id, name, role, certification_expiry FROM {EMPLOYEES}
    WHERE {CERTIFICATION_STATUS_WHERE_SQL[status]}
    ORDER BY certification_expiry {direction}, id LIMIT %(limit)s"""
    # expiring: the soonest first; expired: the most recently expired first
    for status, direction in ((CertificationStatus.EXPIRING, "ASC"), (CertificationStatus.EXPIRED, "DESC"))
}


def employee_counts(*, today: dt.date) -> dict[str, int]:
    """Total and one count per certification status: one query."""
    counts = _per_value(
        sql.rows(CERTIFICATION_COUNTS_SQL, certification_sql_params(today)), CertificationStatus.values
    )
    counts["total"] = sum(counts.values())
    return counts


def employees_by_role(*, today: dt.date, limit: int) -> tuple[dict[str, int], dict[str, Any]]:
    """The status counts, and the roles with the most employees (`limit` of them) with their
    status counts: one query grouped by role and status (roles are few; the top `limit` are
    picked here)."""
    roles: dict[str, dict[str, Any]] = {}
    totals = dict.fromkeys(CertificationStatus.values, 0)
    for role, status, n in sql.rows(CERTIFICATION_BY_ROLE_SQL, certification_sql_params(today)):
        row = roles.setdefault(
            role, {"role": role, "total": 0, **dict.fromkeys(CertificationStatus.values, 0)}
        )
        row["total"] += n
        row[status] += n
        totals[status] += n
    totals["total"] = sum(totals.values())
    top = sorted(roles.values(), key=lambda row: (-row["total"], row["role"]))[:limit]
    return totals, {"count": len(roles), "items": top}


def certification_rows(status: str, *, today: dt.date, limit: int) -> list[dict[str, Any]]:
    """Employees whose certification is expiring or expired (`CERTIFICATION_ROWS_SQL`)."""
    rows = sql.dicts(
        CERTIFICATION_ROWS_SQL[status],
        {**certification_sql_params(today), "limit": limit},
    )
    for row in rows:
        row["days_left"] = (row["certification_expiry"] - today).days
    return rows


def employees_summary(*, today: dt.date, limit: int) -> dict[str, Any]:
    """`GET /dashboard/employees`: 3 queries."""
    counts, by_role = employees_by_role(today=today, limit=limit)
    return {
        "total": counts["total"],
        "certification_status": {status: counts[status] for status in CertificationStatus.values},
        "expiring_within_days": EXPIRING_WITHIN_DAYS,
        "by_role": by_role,
        "expiring": {
            "count": counts[CertificationStatus.EXPIRING],
            "items": certification_rows(CertificationStatus.EXPIRING, today=today, limit=limit),
        },
        "expired": {
            "count": counts[CertificationStatus.EXPIRED],
            "items": certification_rows(CertificationStatus.EXPIRED, today=today, limit=limit),
        },
    }


# ------------------------------------------------------------------------------ inventory
ITEMS = Item._meta.db_table
INVENTORY_COUNTS_SQL = f"""
    SELECT is_low_stock, COUNT(*), COUNT(*) FILTER (WHERE quantity = 0) FROM {ITEMS} GROUP BY 1"""
LOW_STOCK_ROWS_SQL = f"""
    SELECT id, item_id, item_name, quantity, reorder_level, unit, reorder_level - quantity AS shortfall
    FROM {ITEMS} WHERE is_low_stock ORDER BY shortfall DESC, item_id LIMIT %(limit)s"""


def inventory_counts() -> dict[str, int]:
    """Items in all, low on stock, out of stock: one query, grouped by `is_low_stock`."""
    groups = sql.rows(INVENTORY_COUNTS_SQL)
    return {
        "total_items": sum(row[1] for row in groups),
        "low_stock": sum(row[1] for row in groups if row[0]),
        "out_of_stock": sum(row[2] for row in groups),
    }


def inventory_alerts(*, limit: int) -> list[dict[str, Any]]:
    """The low-stock items (`Item.is_low_stock`), largest shortfall first: one query."""
    return sql.dicts(LOW_STOCK_ROWS_SQL, {"limit": limit})


def inventory_summary(*, limit: int) -> dict[str, Any]:
    """`GET /dashboard/inventory/alerts`: 2 queries."""
    counts = inventory_counts()
    return {
        "count": counts["low_stock"],
        "total_items": counts["total_items"],
        "out_of_stock": counts["out_of_stock"],
        "items": inventory_alerts(limit=limit),
    }


# ------------------------------------------------------------------------------ stats
def stats(*, today: dt.date, period: Period = ALL_TIME, limit: int) -> dict[str, Any]:
    """`GET /dashboard/stats`: the SPEC's overview, 5 queries (one per table)."""
    work_orders = work_order_counts(today=today, period=period)
    equipment = equipment_counts(today=today)
    employees = employee_counts(today=today)
    return {
        "work_orders": {
            "total": work_orders["total"],
            **{status: work_orders[status] for status in WorkOrderStatus.values},
            "overdue": work_orders["overdue"],
        },
        "equipment": {
            "total": equipment["total"],
            **{status: equipment[status] for status in EquipmentStatus.values},
            "service_overdue": equipment["service_overdue"],
        },
        "inspections": inspection_counts(period=period),
        "employees": {
            "total": employees["total"],
            "certifications_expiring": employees[CertificationStatus.EXPIRING],
            "certifications_expired": employees[CertificationStatus.EXPIRED],
        },
        "inventory_alerts": inventory_alerts(limit=limit),
    }
