"""The analytics figures computed independently, by definition, in plain Python over the
rows (no grouping in the database, no running sums): what the endpoints must match.

Days are local dates in the current time zone; a bucket is a day, an ISO week or a month cut
to the range; a percentile is `statistics.quantiles(method="inclusive")`'s linear
interpolation.
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from equipment.models import Equipment
from inspections.models import Inspection
from inventory.models import Item, StockMovement
from workorders.models import WorkOrder


def local_day(moment: dt.datetime | None) -> dt.date | None:
    return None if moment is None else timezone.localtime(moment).date()


def buckets(start: dt.date, end: dt.date, interval: str) -> list[tuple[dt.date, dt.date, str]]:
    """(first day, last day, label) of every bucket, by walking the days one by one."""
    out: list[list] = []
    day = start
    while day <= end:
        if interval == "day":
            key = day.isoformat()
        elif interval == "week":
            year, week, _ = day.isocalendar()
            key = f"{year}-W{week:02d}"
        else:
            key = f"{day.year:04d}-{day.month:02d}"
        if out and out[-1][2] == key:
            out[-1][1] = day
        else:
            out.append([day, day, key])
        day += dt.timedelta(days=1)
    return [tuple(b) for b in out]


def rate(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def days(seconds: float | None) -> float | None:
    if seconds is None:
        return None
    return float((Decimal(seconds) / Decimal(86400)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def percentile(values: list[int], which: str) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    if which == "median":
        return statistics.median(values)
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def lead_seconds(order: dict) -> int:
    def whole(moment: dt.datetime) -> int:
        return int(moment.replace(microsecond=0).timestamp())

    return whole(order["completed_at"]) - whole(order["created_at"])


def workorders(start: dt.date, end: dt.date, interval: str, *, client: str | None = None) -> dict:
    rows = list(WorkOrder.objects.values("client", "status", "created_at", "completed_at", "due_date"))
    if client is not None:
        rows = [r for r in rows if r["client"] == client]

    def figures(first: dt.date, last: dt.date) -> dict:
        created = [r for r in rows if first <= local_day(r["created_at"]) <= last]
        completed = [
            r
            for r in rows
            if r["status"] == "completed"
            and r["completed_at"]
            and first <= local_day(r["completed_at"]) <= last
        ]
        on_time = [
            r
            for r in completed
            if r["due_date"] is not None and local_day(r["completed_at"]) <= r["due_date"]
        ]
        leads = [lead_seconds(r) for r in completed]
        # open at the end of `last`: the moment local midnight after it
        end_moment = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
        open_ = [
            r
            for r in rows
            if r["status"] != "cancelled"
            and not (r["status"] == "completed" and r["completed_at"] is None)
            and r["created_at"] < end_moment
            and (r["completed_at"] is None or r["completed_at"] >= end_moment)
        ]
        overdue = [r for r in open_ if r["due_date"] is not None and r["due_date"] <= last]
        return {
            "created": len(created),
            "completed": len(completed),
            "completed_on_time": len(on_time),
            "on_time_rate": rate(len(on_time), len(completed)),
            "lead_time_median_days": days(percentile(leads, "median")),
            "lead_time_p90_days": days(percentile(leads, "p90")),
            "open_at_end": len(open_),
            "overdue_at_end": len(overdue),
        }

    return {
        "buckets": [
            {"start": a.isoformat(), "end": b.isoformat(), "label": label, **figures(a, b)}
            for a, b, label in buckets(start, end, interval)
        ],
        "totals": figures(start, end),
        "left_out": {
            "completed_without_completed_at": sum(
                1 for r in rows if r["status"] == "completed" and r["completed_at"] is None
            )
        },
    }


def inspections_rows() -> list[dict]:
    return list(Inspection.objects.values())


def _bucket_rows(start: dt.date, end: dt.date, interval: str) -> list[dict]:
    return [
        {"start": a.isoformat(), "end": b.isoformat(), "label": label, "first": a, "last": b}
        for a, b, label in buckets(start, end, interval)
    ]


def _quantized(value: Decimal, places: str) -> float:
    return float(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def inventory(
    start: dt.date,
    end: dt.date,
    interval: str,
    *,
    today: dt.date,
    window_days: int = 30,
    lead_time_days: int = 14,
    limit: int = 100,
) -> dict:
    """Every item with its movements looked at one by one: consumption is minus the delta of
    `consumption` movements, receipts the delta of `receipt` ones, corrections neither."""
    items = list(Item.objects.values("id", "item_id", "item_name", "unit", "quantity", "reorder_level"))
    movements = list(StockMovement.objects.values("item_id", "reason", "delta", "created_at"))
    window_first = today - dt.timedelta(days=window_days - 1)
    out = []
    for item in items:
        mine = [m for m in movements if m["item_id"] == item["id"]]

        def taken(first: dt.date, last: dt.date, mine=mine) -> int:
            return sum(
                -m["delta"]
                for m in mine
                if m["reason"] == "consumption" and first <= local_day(m["created_at"]) <= last
            )

        def received(first: dt.date, last: dt.date, mine=mine) -> int:
            return sum(
                m["delta"]
                for m in mine
                if m["reason"] == "receipt" and first <= local_day(m["created_at"]) <= last
            )

        in_window = taken(window_first, today)
        average = Decimal(in_window) / Decimal(window_days)
        days_of_stock = stockout = None
        if in_window:
            # quantity ÷ the exact average (quantity × window ÷ consumed: a terminating
            # decimal whenever it is exactly half a cent, so Decimal's division is exact there)
            days_of_stock = _quantized(Decimal(item["quantity"] * window_days) / Decimal(in_window), "0.01")
            stockout = (today + dt.timedelta(days=int(days_of_stock))).isoformat()
        low = item["quantity"] <= item["reorder_level"]
        out.append(
            {
                "item_id": item["item_id"],
                "item_name": item["item_name"],
                "unit": item["unit"],
                "quantity": item["quantity"],
                "reorder_level": item["reorder_level"],
                "is_low_stock": low,
                "buckets": [
                    {
                        "start": b["start"],
                        "end": b["end"],
                        "label": b["label"],
                        "consumption": taken(b["first"], b["last"]),
                        "receipts": received(b["first"], b["last"]),
                    }
                    for b in _bucket_rows(start, end, interval)
                ],
                "consumption": taken(start, end),
                "receipts": received(start, end),
                "average_daily_consumption": _quantized(average, "0.0001"),
                "days_of_stock": days_of_stock,
                "stockout_date": stockout,
                "reorder_now": low or (days_of_stock is not None and days_of_stock <= lead_time_days),
            }
        )
    out.sort(key=lambda i: (i["days_of_stock"] is None, i["days_of_stock"] or 0, i["item_id"]))
    return {"count": len(out), "items": out[:limit]}


def next_service(row: dict) -> dt.date | None:
    """The next service date from the last one and the interval (not the stored column)."""
    if row["last_service_date"] is None or row["service_interval_days"] is None:
        return None
    return row["last_service_date"] + dt.timedelta(days=row["service_interval_days"])


def equipment(start: dt.date, end: dt.date, interval: str, *, today: dt.date, horizon_days: int = 90) -> dict:
    """Compliance at each bucket's end: the equipment created before local midnight after its
    last day, overdue when its next service date is before that next day."""
    rows = list(Equipment.objects.values("created_at", "last_service_date", "service_interval_days"))
    compliance = []
    for b in _bucket_rows(start, end, interval):
        next_day = b["last"] + dt.timedelta(days=1)
        end_moment = timezone.make_aware(dt.datetime.combine(next_day, dt.time.min))
        existing = [r for r in rows if r["created_at"] < end_moment]
        overdue = [r for r in existing if next_service(r) is not None and next_service(r) < next_day]
        compliant = len(existing) - len(overdue)
        compliance.append(
            {
                "start": b["start"],
                "end": b["end"],
                "label": b["label"],
                "equipment": len(existing),
                "compliant": compliant,
                "compliance_rate": rate(compliant, len(existing)),
            }
        )
    last = today + dt.timedelta(days=horizon_days - 1)
    due = [
        {
            "start": b["start"],
            "end": b["end"],
            "label": b["label"],
            "services_due": sum(
                1 for r in rows if next_service(r) is not None and b["first"] <= next_service(r) <= b["last"]
            ),
        }
        for b in _bucket_rows(today, last, interval)
    ]
    return {
        "buckets": compliance,
        "due": {
            "from": today.isoformat(),
            "to": last.isoformat(),
            "buckets": due,
            "overdue_now": sum(1 for r in rows if next_service(r) is not None and next_service(r) < today),
            "without_schedule": sum(1 for r in rows if next_service(r) is None),
        },
    }


# ------------------------------------------------------------------------------ quality
QUALITY_TOP = 20


def _by_key(counts: dict, key) -> tuple:
    """Most first, ties by key, None last."""
    return (-counts.get(key, 0), key is None, key or "")


def quality(start: dt.date, end: dt.date, interval: str, *, group_by: str | None = None) -> dict:
    """`/analytics/quality` by definition: every inspection looked at once per bucket."""
    from inspections.models import DefectType, InspectionMethod  # noqa: PLC0415
    from staff.models import Employee  # noqa: PLC0415

    orders = {o["id"]: o for o in WorkOrder.objects.values("id", "client", "assigned_welder_id")}
    employee_ids = dict(Employee.objects.values_list("id", "employee_id"))
    rows = list(
        Inspection.objects.values(
            "inspected_at", "result", "defect_type", "method", "inspector", "work_order_id"
        )
    )

    def key_of(row: dict):
        order = orders[row["work_order_id"]]
        value = {
            "method": row["method"],
            "inspector": row["inspector"],
            "welder": employee_ids.get(order["assigned_welder_id"]),
            "client": order["client"],
            "defect_type": row["defect_type"],
        }[group_by]
        return value or None

    def figures(of: list[dict], first: dt.date, last: dt.date) -> dict:
        made = [r for r in of if first <= local_day(r["inspected_at"]) <= last]
        passes = sum(1 for r in made if r["result"] == "pass")
        fails = sum(1 for r in made if r["result"] == "fail")
        return {
            "inspections": len(made),
            "passes": passes,
            "fails": fails,
            "pass_rate": rate(passes, len(made)),
        }

    def series(of: list[dict]) -> dict:
        return {
            "buckets": [
                {"start": a.isoformat(), "end": b.isoformat(), "label": label, **figures(of, a, b)}
                for a, b, label in buckets(start, end, interval)
            ],
            "totals": figures(of, start, end),
        }

    answer = series(rows)
    in_range = [r for r in rows if start <= local_day(r["inspected_at"]) <= end]
    if group_by:
        counts: dict = {}
        for r in in_range:
            counts[key_of(r)] = counts.get(key_of(r), 0) + 1
        if group_by == "method":
            keys = set(InspectionMethod.values) | set(counts)
        elif group_by == "defect_type":
            keys = set(DefectType.values) | {None} | set(counts)
        else:
            keys = set(sorted(counts, key=lambda k: _by_key(counts, k))[:QUALITY_TOP])
        answer["groups"] = [
            {"key": key, **series([r for r in rows if key_of(r) == key])}
            for key in sorted(keys, key=lambda k: _by_key(counts, k))
        ]
    fails: dict = {}
    for r in in_range:
        if r["result"] == "fail":
            fails[r["defect_type"]] = fails.get(r["defect_type"], 0) + 1
    total = sum(fails.values())
    ordered = sorted(fails, key=lambda k: _by_key(fails, k))
    answer["pareto"] = [
        {
            "defect_type": k,
            "count": fails[k],
            "share": rate(fails[k], total),
            "cumulative_share": rate(sum(fails[j] for j in ordered[: i + 1]), total),
        }
        for i, k in enumerate(ordered)
    ]
    return answer


# ------------------------------------------------------------------------------ welders
def welders(start: dt.date, end: dt.date) -> list[dict]:
    """`/analytics/welders` items by definition, in `employee_id` order."""
    from staff.models import Employee  # noqa: PLC0415

    orders = list(WorkOrder.objects.values("id", "status", "completed_at", "due_date", "assigned_welder_id"))
    rows = list(Inspection.objects.values("id", "inspected_at", "result", "work_order_id"))

    def in_range(moment) -> bool:
        return moment is not None and start <= local_day(moment) <= end

    items = []
    for employee in Employee.objects.values("id", "employee_id", "name", "role"):
        theirs = [o for o in orders if o["assigned_welder_id"] == employee["id"]]
        completed = [o for o in theirs if o["status"] == "completed" and in_range(o["completed_at"])]
        on_time = [
            o
            for o in completed
            if o["due_date"] is not None and local_day(o["completed_at"]) <= o["due_date"]
        ]
        ids = {o["id"] for o in theirs}
        inspected = [r for r in rows if r["work_order_id"] in ids and in_range(r["inspected_at"])]
        passes = [r for r in inspected if r["result"] == "pass"]
        firsts = []
        for order in theirs:
            of_order = [r for r in rows if r["work_order_id"] == order["id"]]
            if of_order:
                first = min(of_order, key=lambda r: (r["inspected_at"], r["id"]))
                if in_range(first["inspected_at"]):
                    firsts.append(first)
        first_passed = [r for r in firsts if r["result"] == "pass"]
        items.append(
            {
                "employee_id": employee["employee_id"],
                "name": employee["name"],
                "role": employee["role"],
                "work_orders_completed": len(completed),
                "completed_on_time": len(on_time),
                "on_time_rate": rate(len(on_time), len(completed)),
                "inspections": len(inspected),
                "passes": len(passes),
                "pass_rate": rate(len(passes), len(inspected)),
                "first_inspected": len(firsts),
                "first_passed": len(first_passed),
                "first_pass_yield": rate(len(first_passed), len(firsts)),
            }
        )
    return sorted(items, key=lambda item: item["employee_id"])
