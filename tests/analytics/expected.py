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

from inspections.models import Inspection
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
