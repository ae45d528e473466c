"""`GET /api/v1/analytics/quality`: inspections and their results over time, and the defects.

Per bucket (inspections whose `inspected_at` falls on one of its local days):

- `inspections`: inspections made; `passes` / `fails`: of those, passed / failed;
  `pass_rate` = passes / inspections.

`totals` are the same figures over the whole range.

With `group_by`, `groups` holds the same series (every bucket, and totals) per key, the key
being the stored value:

- `method`: the method code (`VT`, `PT`, …);
- `inspector`: the inspector's name as recorded (an inspection without one: key `null`);
- `welder`: the `employee_id` of the inspected work order's `assigned_welder` (its assignment
  now: the model keeps no history of it), `null` for work orders without a welder;
- `client`: the inspected work order's `client`;
- `defect_type`: the defect type; passes have none, so they are the `null` group (whose
  `pass_rate` is 1) and every other group holds failures only (`pass_rate` 0).

A blank value is the `null` key too. For `method` and `defect_type` every choice value is a
group (and `null` for `defect_type`), with zeros when nothing was recorded, plus any other
value found in the range; for `inspector`, `welder` and `client`, the 20 keys with the most
inspections in the range. Groups are ordered by their total inspections, most first, ties
by key (`null` last).

`pareto` is the defect Pareto of the whole range: per defect type with at least one failed
inspection, `count` failures, `share` = count / all failures, and `cumulative_share` the
running sum of the counts so far over all failures (computed from the counts, so the last
one is exactly 1); largest count first, ties by defect type. Empty when nothing failed.

The csv/xlsx table has one row per series and bucket: `Series` is `all` for the overall
series and the `group_by` name for a group, `Key` the group's key (empty for `all` and for
the `null` key). The Pareto is not in the table: its counts are the totals of
`group_by=defect_type`.

Every figure is a grouped query: a constant number of queries whatever the table sizes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q
from rest_framework import serializers

from dashboard.analytics import serializers as out
from dashboard.analytics import stats
from dashboard.analytics.buckets import Buckets, as_date, local_date, period_of
from dashboard.analytics.query import AnalyticsQuery, Choice
from dashboard.analytics.views import Endpoint
from inspections.models import DefectType, Inspection, InspectionMethod, InspectionResult
from workshop.imports.export import DATE, NUMBER, TableColumn

GROUP_BY = ("method", "inspector", "welder", "client", "defect_type")
# group_by → the inspection's field (through its work order)
GROUP_FIELDS = {
    "method": "method",
    "inspector": "inspector",
    "welder": "work_order__assigned_welder__employee_id",
    "client": "work_order__client",
    "defect_type": "defect_type",
}
# group_by whose every value is a group (the others: the top ones)
EVERY_VALUE = {
    "method": tuple(InspectionMethod.values),
    "defect_type": (*DefectType.values, None),
}
TOP_GROUPS = 20
PARAMETERS = {
    "group_by": Choice(
        GROUP_BY,
        None,
        "The same series per `method` (every method), `inspector`, `welder` (the work order's "
        "assigned welder, by `employee_id`), `client` (the 20 with the most inspections each) "
        "or `defect_type` (every type; passes are the `null` group).",
    ),
}
FIGURES = ("inspections", "passes", "fails", "pass_rate")
PASS, FAIL = InspectionResult.PASS, InspectionResult.FAIL


def _key(value):
    """A stored value as a group key (blank or missing: None)."""
    return None if value in ("", None) else value


def _order(item: tuple[Any, int]) -> tuple:
    """Most inspections first, ties by key, `null` last."""
    key, n = item
    return (-n, key is None, key or "")


def _keys_q(field: str, keys: list) -> Q:
    """Inspections whose `field` is one of the keys (None: blank or missing)."""
    q = Q(**{f"{field}__in": [k for k in keys if k is not None]})
    if None in keys:
        q |= Q(**{f"{field}__isnull": True}) | Q(**{field: ""})
    return q


def _figures(inspections: int, passes: int, fails: int) -> dict[str, Any]:
    return {
        "inspections": inspections,
        "passes": passes,
        "fails": fails,
        "pass_rate": stats.rate(passes, inspections),
    }


def _series(buckets: Buckets, interval: str, field: str | None, keys_q: Q | None = None) -> dict[Any, dict]:
    """{key: [[inspections, passes, fails] per bucket]} of the inspections in the range (key
    None without a field): one grouped query."""
    rows = Inspection.objects.order_by().filter(buckets.moments("inspected_at"))
    if keys_q is not None:
        rows = rows.filter(keys_q)
    counts: dict[Any, list[list[int]]] = defaultdict(lambda: [[0, 0, 0] for _ in range(len(buckets))])
    for row in (
        rows.values(*([field] if field else []), p=period_of(local_date("inspected_at"), interval))
        .annotate(
            n=Count("id"),
            passes=Count("id", filter=Q(result=PASS)),
            fails=Count("id", filter=Q(result=FAIL)),
        )
        .values_list(*([field] if field else []), "p", "n", "passes", "fails")
    ):
        key = _key(row[0]) if field else None
        index = buckets.index(row[-4])
        if index is None:  # not in the range (rows are filtered to it): never
            continue
        figures = counts[key][index]
        for i, value in enumerate(row[-3:]):
            figures[i] += value
    return counts


def _shape(buckets: Buckets, counts: list[list[int]]) -> dict[str, Any]:
    return {
        "buckets": [
            {"start": b.start, "end": b.end, "label": b.label, **_figures(*figures)}
            for b, figures in zip(buckets, counts, strict=True)
        ],
        "totals": _figures(*(sum(column) for column in zip(*counts, strict=True))),
    }


def _groups(buckets: Buckets, interval: str, group_by: str) -> list[dict[str, Any]]:
    field = GROUP_FIELDS[group_by]
    if group_by in EVERY_VALUE:
        counts = _series(buckets, interval, field)
        keys = list(EVERY_VALUE[group_by]) + [k for k in counts if k not in EVERY_VALUE[group_by]]
    else:
        totals: dict[Any, int] = defaultdict(int)
        for value, n in (
            Inspection.objects.order_by()
            .filter(buckets.moments("inspected_at"))
            .values_list(field)
            .annotate(n=Count("id"))
        ):
            totals[_key(value)] += n
        # sorted here, not by the database: the same order on every database's collation
        keys = [key for key, _ in sorted(totals.items(), key=_order)[:TOP_GROUPS]]
        counts = _series(buckets, interval, field, _keys_q(field, keys)) if keys else {}
    empty = [[0, 0, 0] for _ in range(len(buckets))]
    series = {key: counts.get(key, empty) for key in keys}
    ranked = sorted(series.items(), key=lambda kv: _order((kv[0], sum(f[0] for f in kv[1]))))
    return [{"key": key, **_shape(buckets, c)} for key, c in ranked]


def pareto(buckets: Buckets) -> list[dict[str, Any]]:
    """Failed inspections of the range per defect type, largest first (ties by type)."""
    failed = (
        Inspection.objects.order_by()
        .filter(buckets.moments("inspected_at"), result=FAIL)
        .values_list("defect_type")
        .annotate(n=Count("id"))
    )
    counts = sorted(failed, key=lambda kv: (-kv[1], kv[0] or ""))
    total = sum(n for _, n in counts)
    running, items = 0, []
    for defect_type, n in counts:
        running += n
        items.append(
            {
                "defect_type": defect_type,
                "count": n,
                "share": stats.rate(n, total),
                "cumulative_share": stats.rate(running, total),
            }
        )
    return items


def compute(query: AnalyticsQuery) -> dict[str, Any]:
    buckets = Buckets(query.start, query.end, query.interval)
    overall = _series(buckets, query.interval, None)
    answer: dict[str, Any] = {
        "from": query.start,
        "to": query.end,
        "interval": query.interval,
        "group_by": query["group_by"],
        **_shape(buckets, overall.get(None) or [[0, 0, 0] for _ in range(len(buckets))]),
    }
    if query["group_by"]:
        answer["groups"] = _groups(buckets, query.interval, query["group_by"])
    answer["pareto"] = pareto(buckets)
    return answer


# ------------------------------------------------------------------------------ answer
def _figure_fields() -> dict[str, serializers.Field]:
    return {
        "inspections": serializers.IntegerField(help_text="Inspections made (by `inspected_at`)."),
        "passes": serializers.IntegerField(help_text="Of those, passed."),
        "fails": serializers.IntegerField(help_text="Of those, failed."),
        "pass_rate": out.rate("passes / inspections."),
    }


QualityTotals = type("AnalyticsQualityTotals", (serializers.Serializer,), _figure_fields())
QualityBucket = type("AnalyticsQualityBucket", (out.BucketSerializer,), _figure_fields())


class AnalyticsQualityGroupSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True,
        help_text="The method code, inspector name, welder's `employee_id`, client or defect type; "
        "null for none (no inspector, no welder, no defect: the passes).",
    )
    buckets = QualityBucket(many=True)
    totals = QualityTotals()


class AnalyticsParetoSerializer(serializers.Serializer):
    defect_type = serializers.CharField(help_text="The defect type.")
    count = serializers.IntegerField(help_text="Failed inspections with this defect in the range.")
    share = out.rate("count / all failed inspections of the range.")
    cumulative_share = out.rate("The counts up to this one / all failed inspections (the last: 1).")


QualityAnalyticsSerializer = type(
    "AnalyticsQualitySerializer",
    (serializers.Serializer,),
    {
        **out.range_fields(),
        "group_by": serializers.ChoiceField(choices=list(GROUP_BY), allow_null=True),
        "buckets": QualityBucket(many=True),
        "totals": QualityTotals(),
        "groups": AnalyticsQualityGroupSerializer(
            many=True,
            required=False,
            help_text="With `group_by`: the series per key (every method or defect type; the top 20 "
            "inspectors, welders or clients), most inspections first.",
        ),
        "pareto": AnalyticsParetoSerializer(
            many=True, help_text="Failures of the whole range per defect type, largest first."
        ),
    },
)

COLUMNS = (
    TableColumn("Series"),
    TableColumn("Key"),
    TableColumn("Start", DATE),
    TableColumn("End", DATE),
    TableColumn("Label"),
    *(TableColumn(name, NUMBER) for name in FIGURES),
)


def table_rows(data: dict[str, Any]):
    series = [("all", "", data["buckets"])] + [
        (data["group_by"], g["key"] or "", g["buckets"]) for g in data.get("groups") or []
    ]
    for name, key, buckets in series:
        for b in buckets:
            yield (
                name,
                key,
                as_date(b["start"]),
                as_date(b["end"]),
                b["label"],
                *(b[figure] for figure in FIGURES),
            )


ENDPOINT = Endpoint(
    name="quality",
    summary="Inspections over time: pass rate by method, inspector, welder, client or defect; defect Pareto",
    description=__doc__.split("\n\n", 1)[1],
    compute=compute,
    serializer=QualityAnalyticsSerializer,
    columns=COLUMNS,
    rows=table_rows,
    perms=("inspections.view_inspection", "workorders.view_workorder"),
    parameters=PARAMETERS,
    example={
        "from": "2026-11-30",
        "to": "2026-12-06",
        "interval": "week",
        "group_by": "welder",
        "buckets": [
            {
                "start": "2026-11-30",
                "end": "2026-12-06",
                "label": "2026-W49",
                "inspections": 40,
                "passes": 34,
                "fails": 6,
                "pass_rate": 0.85,
            }
        ],
        "totals": {"inspections": 40, "passes": 34, "fails": 6, "pass_rate": 0.85},
        "groups": [
            {
                "key": "EMP-007",
                "buckets": [
                    {
                        "start": "2026-11-30",
                        "end": "2026-12-06",
                        "label": "2026-W49",
                        "inspections": 12,
                        "passes": 9,
                        "fails": 3,
                        "pass_rate": 0.75,
                    }
                ],
                "totals": {"inspections": 12, "passes": 9, "fails": 3, "pass_rate": 0.75},
            }
        ],
        "pareto": [
            {"defect_type": "porosity", "count": 3, "share": 0.5, "cumulative_share": 0.5},
            {"defect_type": "undercut", "count": 2, "share": 0.3333, "cumulative_share": 0.8333},
            {"defect_type": "crack", "count": 1, "share": 0.1667, "cumulative_share": 1.0},
        ],
    },
)
