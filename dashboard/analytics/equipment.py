"""`GET /api/v1/analytics/equipment`: service compliance over time, and the services coming due.

Per bucket, at its end (local midnight after its last day — the first moment of the next day):

- `equipment`: the equipment that existed then (`created_at` before that moment);
- `compliant`: of those, the ones whose service was not overdue then. Service is overdue on a
  day when `next_service_due` is before that day (as the `service_overdue` filter says of
  today), so at the bucket's end when `next_service_due` is on or before the bucket's last
  day. Equipment without a service schedule (no last service date or no interval) is never
  overdue: it counts as compliant;
- `compliance_rate` = compliant / equipment.

There is no service history: every bucket uses today's `last_service_date` and
`service_interval_days` (so equipment serviced late counts as compliant in the past buckets
too once its new service date is recorded), and deleted equipment is not counted.

`due` looks ahead from today: `horizon_days` days, today first (`due.from` = today, `due.to`
= today + horizon_days − 1, both inclusive), in buckets of the same `interval` cut to those
days; `services_due` counts the equipment whose `next_service_due` falls in the bucket.
`overdue_now` is the equipment already overdue today (`next_service_due` before today: in no
bucket of `due`), `without_schedule` the equipment without a `next_service_due`.

Two grouped queries whatever the table sizes: the equipment by the period it was created in
and, for the overdue, the later of that and its due date (running sums give the counts at
each bucket's end); the services due by period with the two counts of now.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import BooleanField, Case, Count, DateField, ExpressionWrapper, F, Q, When
from django.db.models.functions import Greatest
from rest_framework import serializers

from dashboard.analytics import serializers as out
from dashboard.analytics import stats
from dashboard.analytics.buckets import Buckets, as_date, bucket_count, local_date, period_of
from dashboard.analytics.query import MAX_BUCKETS, AnalyticsQuery, Number
from dashboard.analytics.views import Endpoint
from equipment.models import Equipment, service_overdue_q
from workshop.api.exceptions import UnprocessableEntity
from workshop.imports.export import DATE, NUMBER, TableColumn

PARAMETERS = {
    "horizon_days": Number(
        90, 1, 3650, "Days from today (included) over which `due` counts the services coming due."
    ),
}


def _running(changes: dict[int, int], size: int) -> list[int]:
    """The count at each bucket's end from the rows added at each position (-1: before the
    range, already there at the first bucket)."""
    total, result = changes.get(-1, 0), []
    for i in range(size):
        total += changes.get(i, 0)
        result.append(total)
    return result


def _flag(condition: Q) -> ExpressionWrapper:
    """A condition as a column (true, false, or null when it compares a null)."""
    return ExpressionWrapper(condition, output_field=BooleanField())


def compliance(buckets: Buckets, interval: str) -> list[dict[str, Any]]:
    created_day = local_date("created_at")
    # One grouped query: the equipment by the period it was created in and, when it is
    # overdue by the range's end, the period it became overdue in — the later of its
    # creation and its due date (due dates after `to` never count: the last bucket may be
    # cut). Overdue at the end of bucket b: created and due on or before its last day.
    rows = (
        Equipment.objects.order_by()
        .filter(created_at__lt=buckets.end_moment)
        .values(
            p=period_of(created_day, interval),
            po=Case(
                When(
                    Q(next_service_due__isnull=False, next_service_due__lte=buckets.end),
                    then=period_of(Greatest(created_day, "next_service_due"), interval),
                ),
                default=None,
                output_field=DateField(),
            ),
        )
        .annotate(n=Count("*"))
        .values_list("p", "po", "n")
    )
    existing: dict[int, int] = defaultdict(int)
    overdue: dict[int, int] = defaultdict(int)
    for period, overdue_period, n in rows:
        existing[buckets.position(period)] += n
        if overdue_period is not None:
            overdue[buckets.position(overdue_period)] += n
    size = len(buckets)
    equipment, overdue_at_end = _running(existing, size), _running(overdue, size)
    rows = []
    for i, bucket in enumerate(buckets):
        compliant = equipment[i] - overdue_at_end[i]
        rows.append(
            {
                "start": bucket.start,
                "end": bucket.end,
                "label": bucket.label,
                "equipment": equipment[i],
                "compliant": compliant,
                "compliance_rate": stats.rate(compliant, equipment[i]),
            }
        )
    return rows


def services_due(today: dt.date, horizon_days: int, interval: str) -> dict[str, Any]:
    last = today + dt.timedelta(days=horizon_days - 1)
    buckets = Buckets(today, last, interval)
    due = [0] * len(buckets)
    now = {"overdue_now": 0, "without_schedule": 0}
    # One grouped query: the period of the services due within the horizon, and the two
    # counts of now (overdue today; no next service date)
    for period, overdue_now, unscheduled, n in (
        Equipment.objects.order_by()
        .values(
            p=Case(
                When(buckets.days("next_service_due"), then=period_of(F("next_service_due"), interval)),
                default=None,
                output_field=DateField(),
            ),
            o=_flag(service_overdue_q(today)),
            u=_flag(Q(next_service_due__isnull=True)),
        )
        .annotate(n=Count("*"))
        .values_list("p", "o", "u", "n")
    ):
        if overdue_now:
            now["overdue_now"] += n
        if unscheduled:
            now["without_schedule"] += n
        index = None if period is None else buckets.index(period)
        if index is not None:
            due[index] += n
    return {
        "from": today,
        "to": last,
        "buckets": [
            {"start": b.start, "end": b.end, "label": b.label, "services_due": due[i]}
            for i, b in enumerate(buckets)
        ],
        **now,
    }


def compute(query: AnalyticsQuery) -> dict[str, Any]:
    horizon_days = query["horizon_days"]
    today = query.today
    count = bucket_count(today, today + dt.timedelta(days=horizon_days - 1), query.interval)
    if count > MAX_BUCKETS:
        raise UnprocessableEntity(
            {
                "horizon_days": [
                    f"{count} buckets of services due; at most {MAX_BUCKETS}: use a longer interval."
                ]
            }
        )
    buckets = Buckets(query.start, query.end, query.interval)
    return {
        "from": query.start,
        "to": query.end,
        "interval": query.interval,
        "horizon_days": horizon_days,
        "buckets": compliance(buckets, query.interval),
        "due": services_due(today, horizon_days, query.interval),
    }


# ------------------------------------------------------------------------------ answer
class ComplianceBucketSerializer(out.BucketSerializer):
    equipment = serializers.IntegerField(help_text="Equipment existing at the bucket's end.")
    compliant = serializers.IntegerField(
        help_text="Of those, without an overdue service then (no schedule counts as compliant)."
    )
    compliance_rate = out.rate("compliant / equipment.")


class DueBucketSerializer(out.BucketSerializer):
    services_due = serializers.IntegerField(help_text="Equipment whose next service is due in the bucket.")


DueSerializer = type(
    "AnalyticsEquipmentDueSerializer",
    (serializers.Serializer,),
    {
        "from": serializers.DateField(help_text="Today."),
        "to": serializers.DateField(help_text="Today + horizon_days − 1 (inclusive)."),
        "buckets": DueBucketSerializer(many=True),
        "overdue_now": serializers.IntegerField(help_text="Equipment whose service is overdue today."),
        "without_schedule": serializers.IntegerField(
            help_text="Equipment without a next service date (no last service or no interval)."
        ),
    },
)

EquipmentAnalyticsSerializer = type(
    "AnalyticsEquipmentSerializer",
    (serializers.Serializer,),
    {
        **out.range_fields(),
        "horizon_days": serializers.IntegerField(),
        "buckets": ComplianceBucketSerializer(many=True),
        "due": DueSerializer(),
    },
)

COLUMNS = (
    TableColumn("Series"),
    TableColumn("Start", DATE),
    TableColumn("End", DATE),
    TableColumn("Label"),
    TableColumn("equipment", NUMBER),
    TableColumn("compliant", NUMBER),
    TableColumn("compliance_rate", NUMBER),
    TableColumn("services_due", NUMBER),
    TableColumn("overdue_now", NUMBER),
    TableColumn("without_schedule", NUMBER),
)


def table_rows(data: dict[str, Any]):
    """The compliance buckets (series `compliance`), then the buckets of services due (series
    `due`, each with today's `overdue_now` and `without_schedule`)."""
    for b in data["buckets"]:
        yield (
            "compliance",
            as_date(b["start"]),
            as_date(b["end"]),
            b["label"],
            b["equipment"],
            b["compliant"],
            b["compliance_rate"],
            None,
            None,
            None,
        )
    due = data["due"]
    for b in due["buckets"]:
        yield (
            "due",
            as_date(b["start"]),
            as_date(b["end"]),
            b["label"],
            None,
            None,
            None,
            b["services_due"],
            due["overdue_now"],
            due["without_schedule"],
        )


ENDPOINT = Endpoint(
    name="equipment",
    summary="Equipment service compliance over time, and the services coming due",
    description=__doc__.split("\n\n", 1)[1],
    compute=compute,
    serializer=EquipmentAnalyticsSerializer,
    columns=COLUMNS,
    rows=table_rows,
    perms=("equipment.view_equipment",),
    parameters=PARAMETERS,
    example={
        "from": "2026-11-01",
        "to": "2026-12-06",
        "interval": "month",
        "horizon_days": 90,
        "buckets": [
            {
                "start": "2026-11-01",
                "end": "2026-11-30",
                "label": "2026-11",
                "equipment": 24,
                "compliant": 22,
                "compliance_rate": 0.9167,
            },
            {
                "start": "2026-12-01",
                "end": "2026-12-06",
                "label": "2026-12",
                "equipment": 25,
                "compliant": 24,
                "compliance_rate": 0.96,
            },
        ],
        "due": {
            "from": "2026-12-06",
            "to": "2027-03-05",
            "buckets": [
                {"start": "2026-12-06", "end": "2026-12-31", "label": "2026-12", "services_due": 3},
                {"start": "2027-01-01", "end": "2027-01-31", "label": "2027-01", "services_due": 5},
                {"start": "2027-02-01", "end": "2027-02-28", "label": "2027-02", "services_due": 2},
                {"start": "2027-03-01", "end": "2027-03-05", "label": "2027-03", "services_due": 0},
            ],
            "overdue_now": 1,
            "without_schedule": 2,
        },
    },
)
