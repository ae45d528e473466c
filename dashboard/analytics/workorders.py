"""`GET /api/v1/analytics/workorders`: how work moves through the shop, per bucket.

Per bucket (rows whose moment falls on one of its local days):

- `created`: work orders created (`created_at`);
- `completed`: work orders completed (`completed_at`; only completed orders have one);
- `completed_on_time`: of those, completed on or before their `due_date` (the local date of
  `completed_at` <= `due_date`; an order without a due date is never "on time");
  `on_time_rate` = completed_on_time / completed;
- `lead_time_median_days`, `lead_time_p90_days`: `created_at` → `completed_at` of the orders
  completed in the bucket, in days (2 decimals; percentiles as `stats` defines them);
- `open_at_end`: orders open at the end of the bucket (local midnight after its last day):
  created before it and not completed before it; `overdue_at_end`: of those, due on or
  before the bucket's last day. Cancelled orders are never counted open (the moment they
  were cancelled is not recorded), nor are completed orders without `completed_at` (orders
  completed before the field existed): `left_out.completed_without_completed_at` counts them.

`totals` are the same figures over the whole range (`open_at_end`/`overdue_at_end`: at its
end). With `group_by=client`, `groups` holds the same series for the 20 clients with the most
work orders created in the range (ties by name).

How (not in the API's description): open-at-end counts are running sums: an order is open
in the buckets `[period(created), period(completed))`, so the count at bucket b is the number
of orders that started at or before b minus those that also ended at or before b (ended: the
later of the two periods). Every count comes from one grouped pass over the orders (by the periods of
created, completed and due, and the conditions the counts need), the lead times from one
percentile query per series (`stats.grouped_percentiles`): a constant number of queries
whatever the table sizes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q
from rest_framework import serializers

from dashboard.analytics import serializers as out
from dashboard.analytics import stats
from dashboard.analytics.buckets import Buckets, as_date, local_date, period_of, seconds_between
from dashboard.analytics.query import AnalyticsQuery, Choice
from dashboard.analytics.views import Endpoint
from workorders.models import WorkOrder, WorkOrderStatus
from workshop.imports.export import DATE, NUMBER, TableColumn

GROUP_BY = ("client",)
PARAMETERS = {
    "group_by": Choice(
        GROUP_BY, None, "`client`: the same series for the 20 clients with the most work orders."
    ),
}
TOP_GROUPS = 20
COUNTS = ("created", "completed", "completed_on_time", "open_at_end", "overdue_at_end")
FIGURES = (
    "created",
    "completed",
    "completed_on_time",
    "on_time_rate",
    "lead_time_median_days",
    "lead_time_p90_days",
    "open_at_end",
    "overdue_at_end",
)

COMPLETED = WorkOrderStatus.COMPLETED
LEAD_FRACTIONS = (stats.MEDIAN, stats.P90)


def counted_open_q() -> Q:
    """Orders whose open period is known: not cancelled, and completed ones with a
    completion time."""
    return ~Q(status=WorkOrderStatus.CANCELLED) & ~Q(status=COMPLETED, completed_at__isnull=True)


def on_time_q() -> Q:
    return Q(due_date__isnull=False, due_date__gte=local_date("completed_at"))


class _Series:
    """The figures of one grouping (all orders, or per client), filled query by query."""

    def __init__(self, buckets: Buckets, keys: list):
        size = len(buckets)
        self.size = size
        self.counts = {key: {name: [0] * size for name in COUNTS} for key in keys}
        self.lead: dict[Any, list] = {key: [None] * size for key in keys}
        self.lead_total: dict[Any, tuple] = {}

    def running(self, starts, ends) -> list[int]:
        """Counts at each bucket's end from the changes at each position (-1: before the
        range, already in place at the first bucket)."""
        total, out = starts.get(-1, 0) - ends.get(-1, 0), []
        for i in range(self.size):
            total += starts.get(i, 0) - ends.get(i, 0)
            out.append(total)
        return out


def _grouped(queryset, group: str | None, **annotations):
    fields = [group] if group else []
    return queryset.values(*fields, **annotations)


def _key(row: dict, group: str | None):
    return row[group] if group else None


def _flag(condition: Q) -> ExpressionWrapper:
    """A condition as a column (true, false, or null when it compares a null)."""
    return ExpressionWrapper(condition, output_field=BooleanField())


def _series(buckets: Buckets, interval: str, group: str | None, keys: list) -> dict[Any, dict]:
    """{group key: {"buckets": [...], "totals": {...}}} for one grouping."""
    base = WorkOrder.objects.order_by()
    if group:
        base = base.filter(**{f"{group}__in": keys})
    series = _Series(buckets, keys)
    end_moment = buckets.end_moment

    def period(expression):
        return period_of(expression, interval)

    created_day = local_date("created_at")
    completed_day = local_date("completed_at")

    # One pass over the orders for every count: grouped by the periods of the three dates
    # and the conditions each count needs (a few thousand groups whatever the rows; each
    # condition but `counted` follows from the periods except at the range's ends), then
    # summed here. An order is open from the period it was created in to the later of that
    # and the period it was completed in; overdue from the later of created and due.
    in_range = buckets.moments("completed_at") & Q(status=COMPLETED)
    ended = Q(completed_at__isnull=False, completed_at__lt=end_moment)
    open_starts = {key: defaultdict(int) for key in keys}
    open_ends = {key: defaultdict(int) for key in keys}
    overdue_starts = {key: defaultdict(int) for key in keys}
    overdue_ends = {key: defaultdict(int) for key in keys}
    rows = (
        _grouped(
            base.filter(Q(created_at__lt=end_moment) | in_range | (counted_open_q() & ended)),
            group,
            pc=period(created_day),
            pk=period(completed_day),
            pd=period(F("due_date")),
            # the first bucket may be cut to `from`: its period also holds days before it
            new=_flag(Q(created_at__gte=buckets.first_moment)),
            before_end=_flag(Q(created_at__lt=end_moment)),
            counted=_flag(counted_open_q()),
            ended=_flag(ended),
            done=_flag(in_range),
            due=_flag(Q(due_date__isnull=False, due_date__lte=buckets.end)),
        )
        .annotate(n=Count("*"), on_time=Count("id", filter=on_time_q()))
        .order_by()
    )
    position = buckets.position
    for row in rows:
        key, n = _key(row, group), row["n"]
        counts = series.counts[key]
        created = position(row["pc"])
        if row["before_end"]:
            if row["new"] and 0 <= created < series.size:
                counts["created"][created] += n
            if row["counted"]:
                open_starts[key][created] += n
        if row["done"]:
            index = buckets.index(row["pk"])
            if index is not None:
                counts["completed"][index] += n
                counts["completed_on_time"][index] += row["on_time"]
        if row["counted"] and row["ended"]:
            open_ends[key][max(created, position(row["pk"]))] += n
        if row["counted"] and row["due"] and row["before_end"]:
            overdue = max(created, position(row["pd"]))
            overdue_starts[key][overdue] += n
            if row["ended"]:
                overdue_ends[key][max(overdue, position(row["pk"]))] += n

    for key in keys:
        series.counts[key]["open_at_end"] = series.running(open_starts[key], open_ends[key])
        series.counts[key]["overdue_at_end"] = series.running(overdue_starts[key], overdue_ends[key])

    # lead times: per bucket, and over the whole range
    completed = base.filter(buckets.moments("completed_at"), status=COMPLETED)
    lead = seconds_between("created_at", "completed_at")
    per_bucket = stats.grouped_percentiles(
        completed,
        value=lead,
        partition={**({"g_": F(group)} if group else {}), "p": period(completed_day)},
        fractions=LEAD_FRACTIONS,
    )
    for group_values, (_n, values) in per_bucket.items():
        key = group_values[0] if group else None
        index = buckets.index(group_values[-1])
        if index is not None:
            series.lead[key][index] = _lead(values)
    overall = stats.grouped_percentiles(
        completed,
        value=lead,
        partition={"g_": F(group)} if group else {},
        fractions=LEAD_FRACTIONS,
    )
    for group_values, (_n, values) in overall.items():
        key = group_values[0] if group else None
        series.lead_total[key] = _lead(values)

    result = {}
    for key in keys:
        counts = series.counts[key]
        rows = []
        for i, bucket in enumerate(buckets):
            median, p90 = series.lead[key][i] or (None, None)
            rows.append(
                {
                    "start": bucket.start,
                    "end": bucket.end,
                    "label": bucket.label,
                    **_figures(
                        created=counts["created"][i],
                        completed=counts["completed"][i],
                        on_time=counts["completed_on_time"][i],
                        median=median,
                        p90=p90,
                        open_at_end=counts["open_at_end"][i],
                        overdue_at_end=counts["overdue_at_end"][i],
                    ),
                }
            )
        median, p90 = series.lead_total.get(key) or (None, None)
        totals = _figures(
            created=sum(counts["created"]),
            completed=sum(counts["completed"]),
            on_time=sum(counts["completed_on_time"]),
            median=median,
            p90=p90,
            open_at_end=counts["open_at_end"][-1],
            overdue_at_end=counts["overdue_at_end"][-1],
        )
        result[key] = {"buckets": rows, "totals": totals}
    return result


def _lead(values: list) -> tuple:
    median, p90 = values
    return stats.days(median), stats.days(p90)


def _figures(*, created, completed, on_time, median, p90, open_at_end, overdue_at_end) -> dict[str, Any]:
    return {
        "created": created,
        "completed": completed,
        "completed_on_time": on_time,
        "on_time_rate": stats.rate(on_time, completed),
        "lead_time_median_days": median,
        "lead_time_p90_days": p90,
        "open_at_end": open_at_end,
        "overdue_at_end": overdue_at_end,
    }


def top_clients(buckets: Buckets) -> list[str]:
    return list(
        WorkOrder.objects.filter(buckets.moments("created_at"))
        .values("client")
        .annotate(n=Count("*"))
        .order_by("-n", "client")
        .values_list("client", flat=True)[:TOP_GROUPS]
    )


def compute(query: AnalyticsQuery) -> dict[str, Any]:
    buckets = Buckets(query.start, query.end, query.interval)
    overall = _series(buckets, query.interval, None, [None])[None]
    answer: dict[str, Any] = {
        "from": query.start,
        "to": query.end,
        "interval": query.interval,
        "group_by": query["group_by"],
        **overall,
        "left_out": {
            "completed_without_completed_at": WorkOrder.objects.filter(
                status=COMPLETED, completed_at__isnull=True
            ).count()
        },
    }
    if query["group_by"] == "client":
        clients = top_clients(buckets)
        grouped = _series(buckets, query.interval, "client", clients) if clients else {}
        answer["groups"] = [{"key": client, **grouped[client]} for client in clients]
    return answer


# ------------------------------------------------------------------------------ answer
def _figure_fields() -> dict[str, serializers.Field]:
    return {
        "created": serializers.IntegerField(help_text="Work orders created."),
        "completed": serializers.IntegerField(help_text="Work orders completed (by `completed_at`)."),
        "completed_on_time": serializers.IntegerField(
            help_text="Of those, completed on or before their `due_date` (local date)."
        ),
        "on_time_rate": out.rate("completed_on_time / completed."),
        "lead_time_median_days": out.days("Median of `created_at` → `completed_at`, in days."),
        "lead_time_p90_days": out.days("90th percentile (linear interpolation) of the lead time, in days."),
        "open_at_end": serializers.IntegerField(
            help_text="Open at the end of the bucket (created, not completed; cancelled orders left out)."
        ),
        "overdue_at_end": serializers.IntegerField(
            help_text="Of those, due on or before the bucket's last day."
        ),
    }


WorkOrderTotals = type("AnalyticsWorkOrderTotals", (serializers.Serializer,), _figure_fields())
WorkOrderBucket = type("AnalyticsWorkOrderBucket", (out.BucketSerializer,), _figure_fields())


class WorkOrderGroupSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The client.")
    buckets = WorkOrderBucket(many=True)
    totals = WorkOrderTotals()


class LeftOutSerializer(serializers.Serializer):
    completed_without_completed_at = serializers.IntegerField(
        help_text="Completed orders without a completion time (completed before it was recorded): "
        "left out of every figure here."
    )


WorkOrderAnalyticsSerializer = type(
    "AnalyticsWorkOrdersSerializer",
    (serializers.Serializer,),
    {
        **out.range_fields(),
        "group_by": serializers.ChoiceField(choices=GROUP_BY, allow_null=True),
        "buckets": WorkOrderBucket(many=True),
        "totals": WorkOrderTotals(),
        "left_out": LeftOutSerializer(),
        "groups": WorkOrderGroupSerializer(
            many=True,
            required=False,
            help_text="With `group_by=client`: the 20 clients with the most orders.",
        ),
    },
)

COLUMNS = (
    TableColumn("Client"),
    TableColumn("Start", DATE),
    TableColumn("End", DATE),
    TableColumn("Label"),
    *(TableColumn(name, NUMBER) for name in FIGURES),
)


def table_rows(data: dict[str, Any]):
    series = [("", data["buckets"])] + [(g["key"], g["buckets"]) for g in data.get("groups") or []]
    for key, buckets in series:
        for b in buckets:
            yield (key, as_date(b["start"]), as_date(b["end"]), b["label"], *(b[name] for name in FIGURES))


ENDPOINT = Endpoint(
    name="workorders",
    summary="Work orders over time: created, completed, on time, lead time, open",
    description=__doc__.split("\n\n", 1)[1].split("\n\nHow (not in the API's description)")[0],
    compute=compute,
    serializer=WorkOrderAnalyticsSerializer,
    columns=COLUMNS,
    rows=table_rows,
    perms=("workorders.view_workorder",),
    parameters=PARAMETERS,
    example={
        "from": "2026-11-30",
        "to": "2026-12-06",
        "interval": "week",
        "group_by": None,
        "buckets": [
            {
                "start": "2026-11-30",
                "end": "2026-12-06",
                "label": "2026-W49",
                "created": 12,
                "completed": 9,
                "completed_on_time": 7,
                "on_time_rate": 0.7778,
                "lead_time_median_days": 6.5,
                "lead_time_p90_days": 13.2,
                "open_at_end": 31,
                "overdue_at_end": 4,
            }
        ],
        "totals": {
            "created": 12,
            "completed": 9,
            "completed_on_time": 7,
            "on_time_rate": 0.7778,
            "lead_time_median_days": 6.5,
            "lead_time_p90_days": 13.2,
            "open_at_end": 31,
            "overdue_at_end": 4,
        },
        "left_out": {"completed_without_completed_at": 0},
    },
)
