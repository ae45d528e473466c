"""`/api/v1/dashboard/…`: read-only figures over the whole workshop.

Any role may read them (each endpoint needs the `view_*` permissions of the tables it
counts, which every role holds; a user without a role gets 403, anonymous 401). Answers
come from the cache when they can (see dashboard/cache.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard import selectors, welding
from dashboard import serializers as out
from dashboard.cache import cached
from dashboard.examples import EXAMPLES, WELDING_EXAMPLE
from dashboard.serializers import MAX_LIMIT, DashboardQuery
from workshop.api.exceptions import UnprocessableEntity
from workshop.api.filters import DATE_QUERY_SCHEMA
from workshop.api.serializers import ErrorSerializer
from workshop.api.viewsets import ApiViewMixin

DEFAULT_LIST_LIMIT = 20

PERMS = {
    "workorders": "workorders.view_workorder",
    "equipment": "equipment.view_equipment",
    "inspections": "inspections.view_inspection",
    "employees": "staff.view_employee",
    "inventory": "inventory.view_item",
}


def list_limit() -> int:
    return int(getattr(settings, "DASHBOARD_LIST_LIMIT", DEFAULT_LIST_LIMIT))


@dataclass(frozen=True)
class Figures:
    """One dashboard answer: how to compute it, its serializer, and whether `from`/`to` apply."""

    compute: Callable[..., dict[str, Any]]
    serializer: type[serializers.Serializer]
    dated: bool
    perms: tuple[str, ...]


FIGURES: dict[str, Figures] = {
    "stats": Figures(
        lambda today, period, limit: selectors.stats(today=today, period=period, limit=limit),
        out.DashboardStatsSerializer,
        True,
        tuple(PERMS.values()),
    ),
    "workorders": Figures(
        lambda today, period, limit: selectors.workorders_summary(today=today, period=period, limit=limit),
        out.DashboardWorkOrdersSummarySerializer,
        True,
        (PERMS["workorders"],),
    ),
    "equipment": Figures(
        lambda today, period, limit: selectors.equipment_summary(today=today, limit=limit),
        out.DashboardEquipmentSummarySerializer,
        False,
        (PERMS["equipment"],),
    ),
    "inspections": Figures(
        lambda today, period, limit: selectors.inspections_summary(period=period, limit=limit),
        out.DashboardInspectionsSummarySerializer,
        True,
        (PERMS["inspections"],),
    ),
    "inventory-alerts": Figures(
        lambda today, period, limit: selectors.inventory_summary(limit=limit),
        out.DashboardInventorySummarySerializer,
        False,
        (PERMS["inventory"],),
    ),
    "employees": Figures(
        lambda today, period, limit: selectors.employees_summary(today=today, limit=limit),
        out.DashboardEmployeesSummarySerializer,
        False,
        (PERMS["employees"],),
    ),
}


def figures(
    name: str, *, today: dt.date, period: selectors.Period = selectors.ALL_TIME, limit: int
) -> dict[str, Any]:
    """The serialized figures of one endpoint, from the cache or computed (the admin page
    uses this too). The cache key holds every input: today, the period (where it applies)
    and the limit."""
    spec = FIGURES[name]
    if not spec.dated:
        period = selectors.ALL_TIME
    params = {"today": today, "from": period.start, "to": period.end, "limit": limit}

    def compute() -> dict[str, Any]:
        return spec.serializer(spec.compute(today, period, limit)).data

    return cached(name, params, compute)


# ------------------------------------------------------------------------------ schema
def _parameters(period_doc: str | None) -> list[OpenApiParameter]:
    if period_doc is None:
        period_doc = (
            "Accepted (and checked) like on every dashboard endpoint, but these figures are the "
            "current state and do not depend on it."
        )
    limit_doc = (
        f"The most rows each list in the answer holds (1–{MAX_LIMIT}, default {DEFAULT_LIST_LIMIT}); "
        "counts are always complete."
    )
    return [
        OpenApiParameter(
            "from",
            DATE_QUERY_SCHEMA,
            description=f"First day, inclusive (`YYYY-MM-DD` or an ISO datetime). {period_doc}",
        ),
        OpenApiParameter(
            "to",
            DATE_QUERY_SCHEMA,
            description=f"Last day, inclusive; not before `from`. {period_doc}",
        ),
        OpenApiParameter(
            "limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, description=limit_doc
        ),
    ]


WORK_ORDER_PERIOD = (
    "Selects work orders by `due_date` (those without one are left out once a bound is given)."
)
INSPECTION_PERIOD = "Selects inspections by the day of `inspected_at` in the server's time zone."
STATS_PERIOD = (
    "Selects work orders by `due_date` and inspections by the day of `inspected_at`; equipment, "
    "employees and inventory are the current state."
)


def dashboard_schema(name: str, summary: str, description: str, period_doc: str | None):
    return extend_schema(
        tags=["dashboard"],
        summary=summary,
        description=description
        + "\n\nFigures may come from a cache of up to a minute, invalidated by every write to the "
        'records they count. "Today" is the date in the server\'s time zone.',
        parameters=_parameters(period_doc),
        responses={200: FIGURES[name].serializer},
        examples=[OpenApiExample(f"{summary} (example)", value=EXAMPLES[name], response_only=True)],
    )


# ------------------------------------------------------------------------------ views
class DashboardView(ApiViewMixin, APIView):
    figures_name: str = ""

    def get_required_perms(self) -> list[str]:
        return list(FIGURES[self.figures_name].perms)

    def get(self, request, *args, **kwargs):
        query = DashboardQuery(request.query_params, default_limit=list_limit())
        data = figures(
            self.figures_name,
            today=timezone.localdate(),
            period=selectors.Period(query.start, query.end),
            limit=query.limit,
        )
        return Response(data)


class StatsView(DashboardView):
    figures_name = "stats"

    @dashboard_schema(
        "stats",
        "Dashboard overview",
        "Work orders by status and overdue, equipment by status and service overdue, inspection "
        "pass/fail rates, certifications expiring (within 30 days) and expired, and the low-stock "
        "items (quantity <= reorder level), largest shortfall first.",
        STATS_PERIOD,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class WorkOrdersView(DashboardView):
    figures_name = "workorders"

    @dashboard_schema(
        "workorders",
        "Work orders: by status, by client, overdue, due soon",
        "Counts by status; the clients with the most work orders (total, open, overdue); the "
        "overdue orders (due before today, not completed/cancelled), longest overdue first; and the "
        "open orders due from today to today + 7 days, soonest first. The full lists are "
        "`GET /api/v1/workorders/?overdue=true` and `?due_from=…&due_to=…`.",
        WORK_ORDER_PERIOD,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EquipmentView(DashboardView):
    figures_name = "equipment"

    @dashboard_schema(
        "equipment",
        "Equipment: by status, service overdue",
        "Counts by status, how many have no service schedule, and the equipment whose next service "
        "was due before today, longest overdue first.",
        None,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class InspectionsView(DashboardView):
    figures_name = "inspections"

    @dashboard_schema(
        "inspections",
        "Inspections: pass/fail rates by defect type, inspector and method",
        "Pass and fail rates overall (passes / (passes + fails), 4 decimals, null when there are "
        "none), failures by defect type (every type, with its share of the failures), rates by "
        "method (every method) and by inspector (the inspectors with the most inspections).",
        INSPECTION_PERIOD,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class InventoryAlertsView(DashboardView):
    figures_name = "inventory-alerts"

    @dashboard_schema(
        "inventory-alerts",
        "Inventory: low-stock alerts",
        "The items at or below their reorder level (quantity <= reorder_level), largest shortfall "
        "(reorder_level − quantity) first, with how many there are, how many items in all and how "
        "many are out of stock.",
        None,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EmployeesView(DashboardView):
    figures_name = "employees"

    @dashboard_schema(
        "employees",
        "Employees: by role, certification status",
        "Counts by certification status (valid, expiring = today to today + 30 days, expired = "
        "before today, none); the roles with the most employees, each with its status counts; "
        "and the certifications expiring (soonest first) and expired (most recent first).",
        None,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# ------------------------------------------------------------------------------ welding
WELDING_PERMS = (
    "staff.view_welderqualification",
    "workorders.view_weld",
    "workorders.view_weldactivity",
    "inspections.view_inspection",
    "inspections.view_weldfinding",
    "equipment.view_equipmentcalibration",
    "machines.view_workshopentry",
)


def welding_window(request, *, default_limit: int) -> tuple[welding.KpiWindow, int]:
    """The welding dashboard's window and list limit from the query string (422 naming every
    bad parameter)."""
    query = out.WeldingQuery(
        request, default_limit=default_limit, methods=welding.METHODS, default_methods=welding.DEFAULT_METHODS
    )
    start, end = welding.default_window(query.start, query.end, query.as_of)
    if start > end:
        raise UnprocessableEntity({"from": ["Must be on or before `to` (which defaults to as_of)."]})
    return welding.KpiWindow(start=start, end=end, methods=query.methods, as_of=query.as_of), query.limit


def welding_data(window: welding.KpiWindow, *, limit: int) -> dict[str, Any]:
    """The serialized welding figures, from the cache or computed (the admin page uses this
    too). The key holds every input: the window, the methods, as_of, the limit and today
    (the awaiting-NDT list is today's state)."""
    params = {
        "from": window.start,
        "to": window.end,
        "methods": ",".join(window.methods),
        "as_of": window.as_of,
        "limit": limit,
        "today": timezone.localdate(),
    }

    def compute() -> dict[str, Any]:
        return out.DashboardWeldingSerializer(welding.welding_figures(window, limit=limit)).data

    return cached("welding", params, compute)


WELDING_422 = OpenApiResponse(
    ErrorSerializer,
    description="A bad parameter (`from`, `to`, `methods`, `as_of`, `limit`, or an unknown one), named in `errors`.",
    examples=[
        OpenApiExample(
            "VALIDATION_ERROR",
            value={
                "detail": "methods: Unknown method(s): XR. One or more of VT, PT, MT, UT, RT.",
                "error_code": "VALIDATION_ERROR",
                "timestamp": "2025-09-15T09:30:00Z",
                "request_id": "0b5c8f0e3a5d4c1e",
                "errors": {"methods": ["Unknown method(s): XR. One or more of VT, PT, MT, UT, RT."]},
            },
        )
    ],
)


class WeldingView(ApiViewMixin, APIView):
    def get_required_perms(self) -> list[str]:
        return list(WELDING_PERMS)

    @extend_schema(
        tags=["dashboard"],
        summary="Welding: qualifications, repair rates (R11), first-pass yield, NDT, calibration",
        description=(
            'WELDING.md §4 "Dashboard" and R11. Repair rates are over the welds whose FIRST '
            "inspection by one of `methods` falls in [from, to] (local days): joint = failed ÷ welds; "
            "length = Σ rejected findings' length_mm ÷ Σ examined length (the inspection's, else the "
            "weld's; welds with neither are counted in `length_unknown` and left out of both sums); "
            "grouped by welder (non-tack, non-repair entries; a weld counts once per welder), process "
            "and WPS. First-pass yield: welds whose first inspection by any method is in the window "
            "and passed ÷ those welds. Rates have 4 decimals (half up), null when nothing is counted. "
            "Qualifications and calibrations are as of `as_of`; `awaiting_ndt` is the current state "
            "(R10 status `welded`); productivity counts the weld log and the machine logs dated in "
            "the window.\n\nFigures may come from a cache of up to a minute, invalidated by every write "
            "to the records they count."
        ),
        parameters=[
            OpenApiParameter(
                "from",
                DATE_QUERY_SCHEMA,
                description=f"First day, inclusive (default: {welding.DEFAULT_DAYS} days ending with `to`).",
            ),
            OpenApiParameter("to", DATE_QUERY_SCHEMA, description="Last day, inclusive (default: `as_of`)."),
            OpenApiParameter(
                "methods",
                str,
                description="Comma-separated NDT methods whose first inspection defines the repair-rate "
                f"population: {', '.join(welding.METHODS)} (default {','.join(welding.DEFAULT_METHODS)}).",
            ),
            OpenApiParameter(
                "as_of",
                DATE_QUERY_SCHEMA,
                description="The day qualifications and calibrations are judged on (default today).",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=f"The most items each list with a count holds (default {DEFAULT_LIST_LIMIT}).",
            ),
        ],
        responses={200: out.DashboardWeldingSerializer, 422: WELDING_422},
        examples=[OpenApiExample("Welding dashboard (example)", value=WELDING_EXAMPLE, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        window, limit = welding_window(request, default_limit=list_limit())
        return Response(welding_data(window, limit=limit))
