"""Reads of work orders that need more than the default queryset."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from rest_framework import serializers

from inspections.models import Inspection
from workorders.models import CLOSED_STATUSES, WeldActivity

# The page is read with .values(): the list is the API's hottest read, and building 50
# model instances and running them through the serializer cost three times the query
# (tests/perf/bench_workorders_list.py). The rows are exactly WorkOrderSerializer's output;
# the contract test `test_list_items_equal_details` holds them to it.
_COLUMNS = (
    "id",
    "order_id",
    "client",
    "description",
    "status",
    "due_date",
    "completed_at",
    "assigned_welder__employee_id",
    "assigned_welder__name",
    "wps__wps_id",
    "quality_level",
    "ndt_extent_percent",
    "assignment_check",
    "assignment_override_reason",
    "assignment_override_by_id",
    "assignment_override_at",
    "created_at",
    "updated_at",
    "created_by_id",
)
_DATE = serializers.DateField()


def _datetime(value, tz) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in the current time zone `tz` (looked up
    once per page, not per value), `Z` for UTC."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def workorder_list_rows(page: QuerySet) -> list[dict]:
    """The API representation of a page of work orders, in two queries."""
    rows = list(page.prefetch_related(None).values(*_COLUMNS))
    tz = timezone.get_current_timezone()
    inspections: dict[int, list[dict]] = defaultdict(list)
    found = (
        Inspection.objects.filter(work_order_id__in=[row["id"] for row in rows])
        .order_by("id")
        .values_list("work_order_id", "id", "inspection_id", "result", "defect_type", "inspected_at")
    )
    for work_order_id, pk, inspection_id, result, defect_type, inspected_at in found:
        inspections[work_order_id].append(
            {
                "id": pk,
                "inspection_id": inspection_id,
                "result": result,
                "defect_type": defect_type,
                "inspected_at": _datetime(inspected_at, tz),
            }
        )
    today = timezone.localdate()
    return [
        {
            "id": row["id"],
            "order_id": row["order_id"],
            "client": row["client"],
            "description": row["description"],
            "status": row["status"],
            "due_date": _DATE.to_representation(row["due_date"]) if row["due_date"] else None,
            "completed_at": _datetime(row["completed_at"], tz),
            "assigned_welder": row["assigned_welder__employee_id"],
            "assigned_welder_name": row["assigned_welder__name"],
            "is_overdue": row["due_date"] is not None
            and row["due_date"] < today
            and row["status"] not in CLOSED_STATUSES,
            "inspections": inspections.get(row["id"], []),
            "wps": row["wps__wps_id"],
            "quality_level": row["quality_level"],
            "ndt_extent_percent": row["ndt_extent_percent"],
            "assignment_check": row["assignment_check"],
            "assignment_override": {
                "reason": row["assignment_override_reason"],
                "by": row["assignment_override_by_id"],
                "at": _datetime(row["assignment_override_at"], tz),
            }
            if row["assignment_override_reason"]
            else None,
            "created_at": _datetime(row["created_at"], tz),
            "updated_at": _datetime(row["updated_at"], tz),
            "created_by": row["created_by_id"],
        }
        for row in rows
    ]


# ---------------------------------------------------------------------------- welding (§8)
WELD_PLANNED, WELD_WELDED = "planned", "welded"
WELD_STATUSES = (WELD_PLANNED, WELD_WELDED)


def weld_status(entries: list) -> str:
    """R10 as far as issue 12 goes: `planned` without a weld-log entry, else `welded`.
    Issue 13 adds `rejected`, `repaired` and `accepted` from the weld's inspections here (and
    in `weld_status_q`), the one place the status is decided."""
    return WELD_WELDED if entries else WELD_PLANNED


def weld_status_q(status: str):
    """The welds with that status, as a filter (the same rule as `weld_status`)."""
    logged = Exists(WeldActivity.objects.filter(weld_id=OuterRef("pk")))
    return Q(logged) if status == WELD_WELDED else ~Q(logged)
