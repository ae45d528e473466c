"""`GET /api/v1/analytics/welders`: each employee's work over the range.

One item per employee (every employee, those with nothing in the range too, with zeros and
null rates), a work order being theirs when it is assigned to them (`assigned_welder`; its
assignment now: the model keeps no history of it):

- `work_orders_completed`: their work orders completed in the range (status `completed`,
  `completed_at` on one of its local days); `completed_on_time`: of those, completed on or
  before their `due_date` (as in `/analytics/workorders`: the local date of `completed_at`
  <= `due_date`; without a due date never on time); `on_time_rate` = completed_on_time /
  work_orders_completed;
- `inspections`: inspections made in the range (`inspected_at`) on their work orders;
  `passes`: of those, passed; `pass_rate` = passes / inspections;
- first-pass yield: `first_inspected` counts their work orders whose first inspection (the
  earliest `inspected_at`, ties by the inspection's id; earlier ones outside the range
  count) falls in the range, `first_passed` those of them whose first inspection passed,
  `first_pass_yield` = first_passed / first_inspected.

Sorted by `sort_by` (`employee_id`, `name`, `role` or any figure) and `order` (`asc`,
default, or `desc`), or by `ordering` (a comma list of those names, `-` for descending, e.g.
`-first_pass_yield,name`); not both. Default `employee_id`. Null rates come last whatever
the order; ties by `employee_id`. Names and roles sort without regard to case.

`interval` is accepted like everywhere but there are no buckets: every figure covers the
whole range (the common limit of 1000 buckets still applies to the range: for more than ~19
years, give `interval=month`). `count` is the number of items (every employee).

Four grouped queries whatever the table sizes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from dashboard.analytics import serializers as out
from dashboard.analytics import stats
from dashboard.analytics.buckets import Buckets
from dashboard.analytics.query import AnalyticsQuery
from dashboard.analytics.views import Endpoint
from dashboard.analytics.workorders import COMPLETED, on_time_q
from inspections.models import Inspection, InspectionResult
from staff.models import Employee
from workorders.models import WorkOrder
from workshop.api.exceptions import UnprocessableEntity
from workshop.imports.export import NUMBER, TableColumn

FIGURES = (
    "work_orders_completed",
    "completed_on_time",
    "on_time_rate",
    "inspections",
    "passes",
    "pass_rate",
    "first_inspected",
    "first_passed",
    "first_pass_yield",
)
TEXT_FIELDS = ("employee_id", "name", "role")
SORT_FIELDS = (*TEXT_FIELDS, *FIGURES)
DEFAULT_SORT = "employee_id"
PASS = InspectionResult.PASS

PASSTHROUGH = (
    OpenApiParameter(
        "sort_by",
        {"type": "string", "enum": list(SORT_FIELDS), "default": DEFAULT_SORT},
        description="Field to sort by (default `employee_id`); null rates last whatever the order, "
        "ties by `employee_id`.",
    ),
    OpenApiParameter(
        "order",
        {"type": "string", "enum": ["asc", "desc"], "default": "asc"},
        description="Sort direction for `sort_by`.",
    ),
    OpenApiParameter(
        "ordering",
        {"type": "string"},
        description="Comma list of fields, `-` for descending, e.g. `-first_pass_yield,name` (instead "
        "of sort_by/order). Allowed: " + ", ".join(SORT_FIELDS) + ".",
    ),
)


# ------------------------------------------------------------------------------ sorting
def sort_keys(options) -> list[tuple[str, bool]]:
    """[(field, descending)] from `sort_by`/`order` or `ordering`; a 422 naming the
    parameter for anything else, a blank value included (as in the lists)."""

    def given(name: str) -> str | None:
        value = options.get(name)
        return None if value is None else value.strip()

    sort_by, order, ordering = given("sort_by"), given("order"), given("ordering")
    allowed = ", ".join(SORT_FIELDS)
    if ordering is not None and (sort_by is not None or order is not None):
        raise UnprocessableEntity({"ordering": ["Use either ordering or sort_by/order, not both."]})
    if order is not None and order.lower() not in ("asc", "desc"):
        raise UnprocessableEntity({"order": ["Must be asc or desc."]})
    if ordering is not None:
        keys = []
        for part in ordering.split(","):
            name = part.strip().removeprefix("-")
            if name not in SORT_FIELDS:
                raise UnprocessableEntity({"ordering": [f"Cannot sort by '{name}'. Allowed: {allowed}."]})
            keys.append((name, part.strip().startswith("-")))
        return keys
    if sort_by is not None and sort_by not in SORT_FIELDS:
        raise UnprocessableEntity({"sort_by": [f"Cannot sort by '{sort_by}'. Allowed: {allowed}."]})
    return [(sort_by or DEFAULT_SORT, (order or "asc").lower() == "desc")]


def _sortable(name: str, value):
    return value.casefold() if name in ("name", "role") else value


def sort_items(items: list[dict], keys: list[tuple[str, bool]]) -> list[dict]:
    """Items sorted by the keys, each with nulls last in either direction, ties by
    `employee_id` (stable sorts from the last key to the first)."""
    items = sorted(items, key=lambda item: item["employee_id"])
    for name, descending in reversed(keys):
        valued = [item for item in items if item[name] is not None]
        nulls = [item for item in items if item[name] is None]
        valued.sort(key=lambda item: _sortable(name, item[name]), reverse=descending)
        items = valued + nulls
    return items


# ------------------------------------------------------------------------------ figures
def _by_welder(rows, welder: str, **counts) -> dict[int, tuple]:
    return {
        row[0]: row[1:]
        for row in rows.values(welder).annotate(**counts).values_list(welder, *counts).order_by()
    }


def compute(query: AnalyticsQuery) -> dict[str, Any]:
    keys = sort_keys(query.options)  # a bad sort is a 422 before any query
    buckets = Buckets(query.start, query.end, query.interval)

    completed = _by_welder(
        WorkOrder.objects.filter(
            buckets.moments("completed_at"), status=COMPLETED, assigned_welder__isnull=False
        ),
        "assigned_welder",
        n=Count("id"),
        on_time=Count("id", filter=on_time_q()),
    )
    inspections = Inspection.objects.filter(
        buckets.moments("inspected_at"), work_order__assigned_welder__isnull=False
    )
    inspected = _by_welder(
        inspections, "work_order__assigned_welder", n=Count("id"), passes=Count("id", filter=Q(result=PASS))
    )
    # an inspection is its work order's first when no inspection of that order came before it
    earlier = Inspection.objects.filter(work_order=OuterRef("work_order")).filter(
        Q(inspected_at__lt=OuterRef("inspected_at"))
        | Q(inspected_at=OuterRef("inspected_at"), id__lt=OuterRef("id"))
    )
    firsts = _by_welder(
        inspections.filter(~Exists(earlier)),
        "work_order__assigned_welder",
        n=Count("id"),
        passes=Count("id", filter=Q(result=PASS)),
    )

    items = []
    for pk, employee_id, name, role in Employee.objects.order_by().values_list(
        "pk", "employee_id", "name", "role"
    ):
        done, on_time = completed.get(pk, (0, 0))
        n, passes = inspected.get(pk, (0, 0))
        first, first_passed = firsts.get(pk, (0, 0))
        items.append(
            {
                "employee_id": employee_id,
                "name": name,
                "role": role,
                "work_orders_completed": done,
                "completed_on_time": on_time,
                "on_time_rate": stats.rate(on_time, done),
                "inspections": n,
                "passes": passes,
                "pass_rate": stats.rate(passes, n),
                "first_inspected": first,
                "first_passed": first_passed,
                "first_pass_yield": stats.rate(first_passed, first),
            }
        )
    items = sort_items(items, keys)
    return {"from": query.start, "to": query.end, "count": len(items), "items": items}


# ------------------------------------------------------------------------------ answer
class AnalyticsWelderSerializer(serializers.Serializer):
    employee_id = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField(allow_blank=True)
    work_orders_completed = serializers.IntegerField(
        help_text="Work orders assigned to them completed in the range (by `completed_at`)."
    )
    completed_on_time = serializers.IntegerField(
        help_text="Of those, completed on or before their `due_date` (local date)."
    )
    on_time_rate = out.rate("completed_on_time / work_orders_completed.")
    inspections = serializers.IntegerField(
        help_text="Inspections in the range of work orders assigned to them."
    )
    passes = serializers.IntegerField(help_text="Of those, passed.")
    pass_rate = out.rate("passes / inspections.")
    first_inspected = serializers.IntegerField(
        help_text="Work orders assigned to them whose first inspection was in the range."
    )
    first_passed = serializers.IntegerField(help_text="Of those, whose first inspection passed.")
    first_pass_yield = out.rate("first_passed / first_inspected.")


_range = out.range_fields()
WelderAnalyticsSerializer = type(
    "AnalyticsWeldersSerializer",
    (serializers.Serializer,),
    {
        "from": _range["from"],
        "to": _range["to"],
        "count": serializers.IntegerField(help_text="The number of items: every employee."),
        "items": AnalyticsWelderSerializer(many=True),
    },
)

COLUMNS = (
    TableColumn("Employee ID"),
    TableColumn("Name"),
    TableColumn("Role"),
    *(TableColumn(name, NUMBER) for name in FIGURES),
)


def table_rows(data: dict[str, Any]):
    for item in data["items"]:
        yield tuple(item[name] for name in (*TEXT_FIELDS, *FIGURES))


ENDPOINT = Endpoint(
    name="welders",
    summary="Per employee: work orders completed and on time, pass rate, first-pass yield",
    description=__doc__.split("\n\n", 1)[1],
    compute=compute,
    serializer=WelderAnalyticsSerializer,
    columns=COLUMNS,
    rows=table_rows,
    perms=("staff.view_employee", "workorders.view_workorder", "inspections.view_inspection"),
    passthrough=PASSTHROUGH,
    example={
        "from": "2026-09-08",
        "to": "2026-12-06",
        "count": 1,
        "items": [
            {
                "employee_id": "EMP-007",
                "name": "Jo Smith",
                "role": "Welder",
                "work_orders_completed": 18,
                "completed_on_time": 15,
                "on_time_rate": 0.8333,
                "inspections": 25,
                "passes": 22,
                "pass_rate": 0.88,
                "first_inspected": 19,
                "first_passed": 17,
                "first_pass_yield": 0.8947,
            }
        ],
    },
)
