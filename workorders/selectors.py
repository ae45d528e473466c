"""Reads of work orders that need more than the default queryset."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Substr, Trim, TruncDate
from django.utils import timezone
from rest_framework import serializers

from inspections.models import Inspection, InspectionMethod, InspectionResult
from workorders.models import CLOSED_STATUSES, Layer, WeldActivity

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
WELD_REJECTED, WELD_REPAIRED, WELD_ACCEPTED = "rejected", "repaired", "accepted"
WELD_STATUSES = (WELD_PLANNED, WELD_WELDED, WELD_REJECTED, WELD_REPAIRED, WELD_ACCEPTED)
NDT_METHODS = tuple(InspectionMethod.values)


@dataclass(frozen=True)
class WeldTest:
    """One inspection of a weld, as R10 reads it."""

    method: str
    passed: bool
    at: dt.datetime  # inspected_at
    pk: int = 0  # breaks ties between inspections at the same instant (the later row wins)


def weld_status(required: list[str], entries: list, tests: list[WeldTest], *, tz=None) -> str:
    """R10, the one place a weld's status is decided (`weld_status_q` is the same rule in SQL):

    - `planned`: no weld-log entry;
    - `rejected`: a required method's latest inspection failed …
    - `repaired`: … and every such failure is followed by a `repair` entry (dated the day of
      that inspection or later) with no newer inspection by that method;
    - `accepted`: every required method's latest inspection passed;
    - `welded`: otherwise (a required method not inspected yet).

    `entries` are weld-log entries (`layer`, `welded_on`); `tests` the weld's inspections. A
    weld whose `ndt_required` is empty is judged by the methods it was inspected with (never
    `accepted` without an inspection). The dates are local (`TIME_ZONE`) days."""
    if not entries:
        return WELD_PLANNED
    latest: dict[str, WeldTest] = {}
    for test in tests:
        held = latest.get(test.method)
        if held is None or (test.at, test.pk) > (held.at, held.pk):
            latest[test.method] = test
    methods = list(dict.fromkeys(required)) or list(latest)
    if not methods:
        return WELD_WELDED
    failed = [latest[m] for m in methods if m in latest and not latest[m].passed]
    if failed:
        repairs = [e.welded_on for e in entries if e.layer == Layer.REPAIR]
        last_repair = max(repairs, default=None)
        tz = tz or timezone.get_current_timezone()
        if last_repair is not None and all(last_repair >= t.at.astimezone(tz).date() for t in failed):
            return WELD_REPAIRED
        return WELD_REJECTED
    if all(m in latest for m in methods):
        return WELD_ACCEPTED
    return WELD_WELDED


# R10 in SQL: each method's state, the worst of them, and the status it names. The states
# are ordered so that the worst wins: 0 passed (or not judged), 1 not inspected yet, 2 failed
# then repaired, 3 failed. `_STATUS_BY_CODE` is indexed by code + 1 (code -1: no entry).
_STATE_MISSING, _STATE_REPAIRED, _STATE_FAILED = 1, 2, 3
_STATUS_BY_CODE = (WELD_PLANNED, WELD_ACCEPTED, WELD_WELDED, WELD_REPAIRED, WELD_REJECTED)
_STATUS_WIDTH = max(len(status) for status in _STATUS_BY_CODE)


def _method_state(method: str):
    """The state of one method on the weld (a correlated subquery on the method's latest
    inspection): 0 passed, 2 failed with a `repair` entry dated that day or later, 3 failed;
    NULL when the method has no inspection."""
    repaired = Exists(
        WeldActivity.objects.filter(
            weld_id=OuterRef(OuterRef("pk")), layer=Layer.REPAIR, welded_on__gte=OuterRef("day")
        )
    )
    latest = (
        Inspection.objects.filter(weld_id=OuterRef("pk"), method=method)
        .order_by("-inspected_at", "-id")
        .annotate(day=TruncDate("inspected_at"))
        .annotate(
            state=Case(
                When(Q(result=InspectionResult.FAIL) & repaired, then=Value(_STATE_REPAIRED)),
                When(result=InspectionResult.FAIL, then=Value(_STATE_FAILED)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .values("state")[:1]
    )
    return Subquery(latest, output_field=IntegerField())


def with_weld_status(queryset: QuerySet) -> QuerySet:
    """`queryset` (of welds) annotated with `weld_status`: R10 (`weld_status`) as one SQL
    expression, built so that PostgreSQL runs each subquery once or twice per weld, not once
    per reference. Per method, a state (`_method_state`); a method counts when required, or,
    with nothing required, when inspected (a required method never inspected is state 1); the
    worst state of all (`Greatest`) names the status, and the code → status lookup is one
    `Substr` of a fixed text (a `Case` would repeat the whole expression in every branch)."""
    any_required = Q(ndt_required__icontains='"')  # a non-empty JSON list holds a quoted value
    states = []
    for method in NDT_METHODS:
        required = Q(ndt_required__icontains=f'"{method}"')
        states.append(
            Case(
                When(required, then=Coalesce(_method_state(method), Value(_STATE_MISSING))),
                When(any_required, then=Value(0)),
                default=Coalesce(_method_state(method), Value(0)),
                output_field=IntegerField(),
            )
        )
    # Nothing required and never inspected: not accepted yet (`welded`).
    inspected = Exists(Inspection.objects.filter(weld_id=OuterRef("pk")))
    states.append(
        Case(
            When(~any_required & ~inspected, then=Value(_STATE_MISSING)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    logged = Exists(WeldActivity.objects.filter(weld_id=OuterRef("pk")))
    code = Case(When(logged, then=Greatest(*states)), default=Value(-1), output_field=IntegerField())
    table = "".join(status.ljust(_STATUS_WIDTH) for status in _STATUS_BY_CODE)
    start = (code + Value(1)) * Value(_STATUS_WIDTH) + Value(1)
    status = Trim(Substr(Value(table, output_field=CharField()), start, _STATUS_WIDTH))
    return queryset.annotate(weld_status=status)


def weld_status_q(status: str) -> Q:
    """The welds with that status, as a filter on a `with_weld_status` queryset."""
    return Q(weld_status=status)
