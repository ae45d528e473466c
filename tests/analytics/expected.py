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
