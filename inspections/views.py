from django.db import transaction
from django.db.models import F

from inspections import services
from inspections.filters import InspectionFilter, WeldFindingFilter
from inspections.models import Inspection, WeldFinding
from inspections.serializers import InspectionSerializer, WeldFindingSerializer
from workshop.api.viewsets import ModelViewSet
from workshop.imports.export import ExcelExportMixin
from workshop.imports.views import ExcelImportMixin


class InspectionViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Quality-control inspections of the welds of a work order, with their ISO 6520-1
    findings (which decide `result` and `defect_type`: R9)."""

    excel_resource = "inspections"

    # `order_id` is annotated so that lists can be sorted by it.
    queryset = (
        Inspection.objects.select_related("work_order", "weld")
        .prefetch_related("findings")
        .annotate(order_id=F("work_order__order_id"), repair_cycle=services.repair_cycle_expression())
    )
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    search_fields = ["inspection_id", "inspector", "notes", "work_order__order_id", "weld__weld_id"]
    ordering_fields = [
        "inspection_id",
        "order_id",
        "inspector",
        "result",
        "defect_type",
        "method",
        "inspected_at",
        "created_at",
        "updated_at",
    ]


class WeldFindingViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """ISO 6520-1 findings of inspections. A write re-derives its inspection's `result` and
    `defect_type` (R9), or is refused with 422."""

    excel_resource = "findings"

    queryset = WeldFinding.objects.select_related("inspection__weld")
    serializer_class = WeldFindingSerializer
    filterset_class = WeldFindingFilter
    search_fields = ["code", "location", "inspection__inspection_id", "inspection__weld__weld_id"]
    ordering_fields = ["code", "verdict", "size_mm", "length_mm", "created_at", "updated_at"]

    @transaction.atomic
    def perform_destroy(self, instance):
        inspection_id = instance.inspection_id
        instance.delete()
        services.rederive([inspection_id])
