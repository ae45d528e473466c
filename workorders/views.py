from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from inspections.models import Inspection
from workorders import services
from workorders.filters import WeldActivityFilter, WeldFilter, WorkOrderFilter, WpsFilter
from workorders.models import Weld, WeldActivity, WorkOrder, Wps
from workorders.selectors import workorder_list_rows
from workorders.serializers import (
    ENTRY_FIELDS,
    TEST_FIELDS,
    CheckSerializer,
    EligibleWelderSerializer,
    QualificationCheckSerializer,
    WeldActivitySerializer,
    WeldSerializer,
    WeldTraceSerializer,
    WorkOrderSerializer,
    WpsSerializer,
)
from workorders.trace import trace_queryset, weld_trace
from workshop import errors
from workshop.api.filters import parse_as_of
from workshop.api.serializers import ErrorSerializer, selected_fields
from workshop.api.viewsets import ApiViewMixin, ModelViewSet
from workshop.imports.export import ExcelExportMixin
from workshop.imports.views import ExcelImportMixin
from workshop.roles import user_has_perms

OVERRIDE_PERM = "workorders.override_weldactivity"


# ---------------------------------------------------------------------------- welding (§8)
def may_override(user) -> bool:
    return user_has_perms(user, [OVERRIDE_PERM])


def _override_reason(serializer, user) -> str:
    """The request's `override_reason`: only managers and admins may send one (403)."""
    reason = serializer.validated_data.pop("override_reason", "") or ""
    if reason and not may_override(user):
        raise PermissionDenied("Your role may not override the welder check.")
    return reason


WELDER_NOT_QUALIFIED_RESPONSE = OpenApiResponse(
    ErrorSerializer, description="WELDER_NOT_QUALIFIED: the welder check failed; the body has `check`."
)


class WorkOrderViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Jobs the shop takes in, with their QC inspections."""

    excel_resource = "workorders"

    queryset = WorkOrder.objects.select_related("assigned_welder", "wps").prefetch_related(
        Prefetch(
            "inspections",
            queryset=Inspection.objects.only(
                "id", "inspection_id", "result", "defect_type", "inspected_at", "work_order_id"
            ).order_by("id"),
            to_attr="prefetched_inspections",
        )
    )
    serializer_class = WorkOrderSerializer
    filterset_class = WorkOrderFilter
    search_fields = ["order_id", "client", "description"]
    ordering_fields = [
        "order_id",
        "client",
        "status",
        "due_date",
        "completed_at",
        "created_at",
        "updated_at",
    ]

    def _assignment(self, serializer, instance=None) -> dict:
        """The welder check of the assignment (R7) when the WPS or the welder is set or
        changed: its fields to store, or the refusal (422 WELDER_NOT_QUALIFIED, unless a
        manager or admin overrides)."""
        reason = _override_reason(serializer, self.request.user)
        data = serializer.validated_data
        values = services.workorder_assignment_checked(
            order=instance,
            wps=data["wps"] if "wps" in data else getattr(instance, "wps", None),
            welder=data["assigned_welder"]
            if "assigned_welder" in data
            else getattr(instance, "assigned_welder", None),
            override_reason=reason,
            user=self.request.user,
        )
        return values or {}

    @extend_schema(responses={201: WorkOrderSerializer, 422: WELDER_NOT_QUALIFIED_RESPONSE})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user, **self._assignment(serializer))

    def perform_update(self, serializer):
        serializer.save(**self._assignment(serializer, serializer.instance))

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        wanted = None
        if "fields" in request.query_params:  # building the serializer's fields costs ~1 ms
            wanted = selected_fields(request, list(self.get_serializer_class()().fields))
        rows = self.paginator.paginate_queryset(queryset, request, view=self, fetch=workorder_list_rows)
        if wanted is not None:
            rows = [{name: row[name] for name in wanted} for row in rows]
        return self.get_paginated_response(rows)


class WpsViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Welding procedure specifications. An approved WPS is immutable except by superseding
    it (409 CONFLICT); `approve` turns a draft into an approved WPS."""

    excel_resource = "wps"
    live_events_name = "wps"  # "wps" is singular too: events `wps.created`, not `wp.created`
    queryset = Wps.objects.all()
    serializer_class = WpsSerializer
    filterset_class = WpsFilter
    search_fields = ["wps_id", "pqr_ref", "filler_designation"]
    ordering_fields = ["wps_id", "status", "process", "created_at", "updated_at"]

    def perform_update(self, serializer):
        services.wps_change_allowed(serializer.instance, serializer.validated_data)
        super().perform_update(serializer)

    def perform_destroy(self, instance):
        if instance.status in services.LOCKED_WPS:
            raise errors.Conflict(f"{instance.wps_id} is {instance.status}: it is kept (supersede it).")
        super().perform_destroy(instance)

    @extend_schema(request=None, responses={200: WpsSerializer})
    @action(detail=True, methods=["post"], url_path="approve", required_perms=["workorders.approve_wps"])
    def approve(self, request, pk=None):
        """Approves a draft (409 for any other status)."""
        with transaction.atomic():
            wps = services.wps_approve(wps=self.get_object())
        return Response(WpsSerializer(wps, context=self.get_serializer_context()).data)


class WeldViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """The weld map: each joint of a work order, its WPS and what the weld log holds."""

    excel_resource = "welds"
    queryset = Weld.objects.select_related("order", "wps").prefetch_related(
        Prefetch(
            "activities",
            queryset=WeldActivity.objects.select_related("welder").only(*ENTRY_FIELDS).order_by("id"),
            to_attr="listed_activities",
        ),
        Prefetch("inspections", queryset=Inspection.objects.only(*TEST_FIELDS), to_attr="listed_tests"),
    )
    serializer_class = WeldSerializer
    filterset_class = WeldFilter
    search_fields = ["weld_id", "order__order_id"]
    ordering_fields = ["weld_id", "thickness_mm", "position", "created_at", "updated_at"]

    def get_queryset(self):
        if getattr(self, "action", None) == "trace_weld":
            return trace_queryset()  # the trace loads the rest itself, in bulk
        return super().get_queryset()

    def perform_update(self, serializer):
        super().perform_update(serializer)
        services.weld_recheck_entries(weld=serializer.instance)

    @extend_schema(
        summary="Eligible welders for a weld",
        filters=False,  # not the welds list's filters, sorting or paging: the list of welders is whole
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, description="The day (default today).")],
        responses={200: EligibleWelderSerializer(many=True)},
        examples=[
            OpenApiExample(
                "Eligible",
                value=[
                    {
                        "employee_id": "EMP-01",
                        "name": "John Doe",
                        "qualification": "ISO-135-01",
                        "status": "valid",
                        "effective_until": "2025-09-10",
                    }
                ],
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    @action(
        detail=True, methods=["get"], url_path="eligible-welders", pagination_class=None, filterset_class=None
    )
    def eligible_welders(self, request, pk=None):
        """Employees with a qualification passing every check for this weld on `as_of`."""
        day = parse_as_of(request)
        weld = self.get_object()
        rows = [
            {
                "employee_id": employee.employee_id,
                "name": employee.name,
                "qualification": q.qualification_id,
                "status": check.standing.status if check.standing else None,
                "effective_until": check.standing.effective_until if check.standing else None,
            }
            for employee, q, check in services.eligible_welders(weld, on=day)
        ]
        return Response(EligibleWelderSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="welds_trace_retrieve",
        summary="Trace a weld end to end",
        filters=False,  # not the welds list's filters, sorting or paging
        responses={200: WeldTraceSerializer},
        examples=[
            OpenApiExample(
                "A weld welded, rejected by RT and traced",
                value=WeldTraceSerializer.schema_example,
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    # Not named `trace`: a view's method named after an HTTP method answers it (TRACE).
    @action(
        detail=True,
        methods=["get"],
        url_path="trace",
        url_name="trace",
        pagination_class=None,
        filterset_class=None,
    )
    def trace_weld(self, request, pk=None):
        """Everything an auditor asks about one weld: the weld (R10 status), its work order and
        WPS; every weld-log entry (by day, then id) with the welder, the qualification and its
        status that day, the consumable lot and heat (expired that day?), the machine and its
        calibration state that day, the stored check and override; every inspection (by time,
        then id) with its repair cycle and findings. A fixed number of queries whatever the
        weld's history."""
        return Response(WeldTraceSerializer(weld_trace(self.get_object())).data)


class WeldActivityViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """The weld log: who welded which weld, when, in which process, with which lot and
    machine; each entry passes the welder check (R7) or carries a manager's override (R8)."""

    excel_resource = "weld-log"
    queryset = WeldActivity.objects.select_related(
        "weld__wps", "welder", "consumable_lot", "equipment", "qualification"
    )
    serializer_class = WeldActivitySerializer
    filterset_class = WeldActivityFilter
    search_fields = ["weld__weld_id", "welder__employee_id", "welder__name"]
    ordering_fields = ["welded_on", "process", "layer", "created_at", "updated_at"]
    extra_error_codes = ("422",)

    def _checked(self, serializer, instance=None) -> dict:
        reason = _override_reason(serializer, self.request.user)
        data = serializer.validated_data

        def pick(name):
            return data[name] if name in data else getattr(instance, name, None)

        return services.weld_activity_checked(
            weld=pick("weld"),
            welder=pick("welder"),
            process=pick("process"),
            welded_on=pick("welded_on"),
            lot=pick("consumable_lot"),
            equipment=pick("equipment"),
            override_reason=reason,
            user=self.request.user,
        )

    @extend_schema(responses={201: WeldActivitySerializer, 422: WELDER_NOT_QUALIFIED_RESPONSE})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user, **self._checked(serializer))

    def perform_update(self, serializer):
        serializer.save(**self._checked(serializer, serializer.instance))


class QualificationCheckView(ApiViewMixin, APIView):
    """`POST /api/v1/qualifications/check`: a dry run of the welder check (R7) for the entry
    that would be written (any role: it reads only and writes nothing)."""

    required_perms: list[str] = []  # any authenticated role

    @extend_schema(
        operation_id="qualifications_check",
        summary="Dry run of the welder check",
        request=QualificationCheckSerializer,
        responses={200: CheckSerializer},
        tags=["qualifications"],
        examples=[
            OpenApiExample(
                "An entry",
                value={"welder": "EMP-01", "weld": "WO-1000-W01", "welded_on": "2025-06-01"},
                request_only=True,
            ),
            OpenApiExample(
                "Refused",
                value={
                    "ok": False,
                    "qualification": "ISO-135-01",
                    "failures": [{"code": "THICKNESS_RANGE", "message": "25.0 mm outside 3.0–20.0 mm"}],
                    "warnings": [],
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request, *args, **kwargs):
        serializer = QualificationCheckSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = services.entry_target(
            data["weld"],
            process=data["process"],
            day=data["welded_on"],
            lot=data.get("consumable_lot"),
            equipment=data.get("equipment"),
        )
        check, _matched = services.check_welder(data["welder"], target)
        return Response(services.check_as_dict(check))
