"""The dashboard's figures computed again in plain Python over the rows, from the SPEC's
definitions (not from the app's Q objects), to check the endpoints against."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from equipment.models import Equipment
from inspections.models import Inspection
from inventory.models import Item
from staff.models import Employee
from workorders.models import WorkOrder

STATUSES = ("pending", "in_progress", "on_hold", "completed", "cancelled")
OPEN = ("pending", "in_progress", "on_hold")
EQUIPMENT_STATUSES = ("operational", "maintenance", "out_of_order")
METHODS = ("VT", "PT", "MT", "UT", "RT")
DEFECTS = (
    "porosity",
    "crack",
    "undercut",
    "lack_of_fusion",
    "incomplete_penetration",
    "slag_inclusion",
    "spatter",
    "distortion",
    "other",
)


def rate(part: int, whole: int) -> float | None:
    """As JSON gives it back: a number with 4 decimals, or None."""
    if not whole:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def rates(passed: int, failed: int) -> dict:
    total = passed + failed
    return {
        "total": total,
        "passed": passed,
        "failed": failed,
        "pass_rate": rate(passed, total),
        "fail_rate": rate(failed, total),
    }


def in_period(day: dt.date | None, start: dt.date | None, end: dt.date | None) -> bool:
    if start is None and end is None:
        return True
    if day is None:
        return False
    return (start is None or day >= start) and (end is None or day <= end)


def is_overdue(order: WorkOrder, today: dt.date) -> bool:
    return order.due_date is not None and order.due_date < today and order.status in OPEN


def is_due_soon(order: WorkOrder, today: dt.date) -> bool:
    return (
        order.due_date is not None
        and today <= order.due_date <= today + dt.timedelta(days=7)
        and order.status in OPEN
    )


def cert_status(expiry: dt.date | None, today: dt.date) -> str:
    if expiry is None:
        return "none"
    if expiry < today:
        return "expired"
    if (expiry - today).days <= 30:
        return "expiring"
    return "valid"


def work_orders(today, start=None, end=None) -> list[WorkOrder]:
    return [
        o for o in WorkOrder.objects.select_related("assigned_welder") if in_period(o.due_date, start, end)
    ]


def inspections(tz, start=None, end=None) -> list[Inspection]:
    return [
        i for i in Inspection.objects.all() if in_period(i.inspected_at.astimezone(tz).date(), start, end)
    ]


def work_order_block(today, start=None, end=None) -> dict:
    orders = work_orders(today, start, end)
    counts = Counter(o.status for o in orders)
    return {
        "total": len(orders),
        **{s: counts[s] for s in STATUSES},
        "overdue": sum(is_overdue(o, today) for o in orders),
    }


def order_row(order: WorkOrder) -> dict:
    welder = order.assigned_welder
    return {
        "id": order.pk,
        "order_id": order.order_id,
        "client": order.client,
        "status": order.status,
        "due_date": order.due_date.isoformat(),
        "assigned_welder": welder.employee_id if welder else None,
        "assigned_welder_name": welder.name if welder else None,
    }


def workorders_summary(today, limit, start=None, end=None) -> dict:
    orders = work_orders(today, start, end)
    block = work_order_block(today, start, end)
    clients: dict[str, dict] = {}
    for o in orders:
        row = clients.setdefault(o.client, {"client": o.client, "total": 0, "open": 0, "overdue": 0})
        row["total"] += 1
        row["open"] += o.status in OPEN
        row["overdue"] += is_overdue(o, today)
    overdue = sorted((o for o in orders if is_overdue(o, today)), key=lambda o: (o.due_date, o.pk))
    soon = sorted((o for o in orders if is_due_soon(o, today)), key=lambda o: (o.due_date, o.pk))
    return {
        "total": block["total"],
        "by_status": {s: block[s] for s in STATUSES},
        "by_client": {
            "count": len(clients),
            "items": sorted(clients.values(), key=lambda r: (-r["total"], r["client"]))[:limit],
        },
        "overdue": {
            "count": len(overdue),
            "items": [{**order_row(o), "days_overdue": (today - o.due_date).days} for o in overdue[:limit]],
        },
        "due_next_7_days": {
            "count": len(soon),
            "items": [{**order_row(o), "days_left": (o.due_date - today).days} for o in soon[:limit]],
        },
    }


def next_service(e: Equipment) -> dt.date | None:
    if e.last_service_date is None or e.service_interval_days is None:
        return None
    return e.last_service_date + dt.timedelta(days=e.service_interval_days)


def equipment_summary(today, limit) -> dict:
    rows = list(Equipment.objects.all())
    counts = Counter(e.status for e in rows)
    overdue = sorted(
        (e for e in rows if next_service(e) is not None and next_service(e) < today),
        key=lambda e: (next_service(e), e.pk),
    )
    return {
        "total": len(rows),
        "by_status": {s: counts[s] for s in EQUIPMENT_STATUSES},
        "no_service_schedule": sum(next_service(e) is None for e in rows),
        "service_overdue": {
            "count": len(overdue),
            "items": [
                {
                    "id": e.pk,
                    "equipment_id": e.equipment_id,
                    "name": e.name,
                    "status": e.status,
                    "last_service_date": e.last_service_date.isoformat(),
                    "service_interval_days": e.service_interval_days,
                    "next_service_due": next_service(e).isoformat(),
                    "days_overdue": (today - next_service(e)).days,
                }
                for e in overdue[:limit]
            ],
        },
    }


def inspections_summary(tz, limit, start=None, end=None) -> dict:
    rows = inspections(tz, start, end)
    passed = sum(i.result == "pass" for i in rows)
    failed = sum(i.result == "fail" for i in rows)
    defects = Counter(i.defect_type for i in rows if i.result == "fail")
    by_inspector: dict[str, list[int]] = {}
    for i in rows:
        by_inspector.setdefault(i.inspector, [0, 0])[i.result == "fail"] += 1
    inspectors = sorted(by_inspector.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    return {
        **rates(passed, failed),
        "by_defect_type": [
            {"defect_type": d, "count": defects[d], "share": rate(defects[d], failed)}
            for d in sorted(DEFECTS, key=lambda d: (-defects[d], DEFECTS.index(d)))
        ],
        "by_method": [
            {
                "method": m,
                **rates(
                    sum(i.method == m and i.result == "pass" for i in rows),
                    sum(i.method == m and i.result == "fail" for i in rows),
                ),
            }
            for m in METHODS
        ],
        "by_inspector": {
            "count": len(by_inspector),
            "items": [{"inspector": name, **rates(p, f)} for name, (p, f) in inspectors[:limit]],
        },
    }


def employees_summary(today, limit) -> dict:
    rows = list(Employee.objects.all())
    status = {e.pk: cert_status(e.certification_expiry, today) for e in rows}
    counts = Counter(status.values())
    roles: dict[str, dict] = {}
    for e in rows:
        row = roles.setdefault(
            e.role, {"role": e.role, "total": 0, "valid": 0, "expiring": 0, "expired": 0, "none": 0}
        )
        row["total"] += 1
        row[status[e.pk]] += 1

    def cert_row(e):
        return {
            "id": e.pk,
            "employee_id": e.employee_id,
            "name": e.name,
            "role": e.role,
            "certification_expiry": e.certification_expiry.isoformat(),
            "days_left": (e.certification_expiry - today).days,
        }

    expiring = sorted(
        (e for e in rows if status[e.pk] == "expiring"), key=lambda e: (e.certification_expiry, e.pk)
    )
    expired = sorted(
        (e for e in rows if status[e.pk] == "expired"),
        key=lambda e: (-e.certification_expiry.toordinal(), e.pk),
    )
    return {
        "total": len(rows),
        "certification_status": {s: counts[s] for s in ("valid", "expiring", "expired", "none")},
        "expiring_within_days": 30,
        "by_role": {
            "count": len(roles),
            "items": sorted(roles.values(), key=lambda r: (-r["total"], r["role"]))[:limit],
        },
        "expiring": {"count": len(expiring), "items": [cert_row(e) for e in expiring[:limit]]},
        "expired": {"count": len(expired), "items": [cert_row(e) for e in expired[:limit]]},
    }


def alert_rows(limit) -> list[dict]:
    low = sorted(
        (i for i in Item.objects.all() if i.quantity <= i.reorder_level),
        key=lambda i: (-(i.reorder_level - i.quantity), i.item_id),
    )
    return [
        {
            "id": i.pk,
            "item_id": i.item_id,
            "item_name": i.item_name,
            "quantity": i.quantity,
            "reorder_level": i.reorder_level,
            "unit": i.unit,
            "shortfall": i.reorder_level - i.quantity,
        }
        for i in low[:limit]
    ]


def inventory_summary(limit) -> dict:
    items = list(Item.objects.all())
    return {
        "count": sum(i.quantity <= i.reorder_level for i in items),
        "total_items": len(items),
        "out_of_stock": sum(i.quantity == 0 for i in items),
        "items": alert_rows(limit),
    }


def stats(today, tz, limit, start=None, end=None) -> dict:
    employees = employees_summary(today, limit)
    equipment = equipment_summary(today, limit)
    rows = inspections(tz, start, end)
    return {
        "work_orders": work_order_block(today, start, end),
        "equipment": {
            "total": equipment["total"],
            **equipment["by_status"],
            "service_overdue": equipment["service_overdue"]["count"],
        },
        "inspections": rates(sum(i.result == "pass" for i in rows), sum(i.result == "fail" for i in rows)),
        "employees": {
            "total": employees["total"],
            "certifications_expiring": employees["certification_status"]["expiring"],
            "certifications_expired": employees["certification_status"]["expired"],
        },
        "inventory_alerts": alert_rows(limit),
    }
