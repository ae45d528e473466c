from django.db.models import F

from inspections.filters import InspectionFilter
from inspections.models import Inspection
from inspections.serializers import InspectionSerializer
from workshop.api.viewsets import ModelViewSet
from workshop.imports.export import ExcelExportMixin
from workshop.imports.views import ExcelImportMixin


class InspectionViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Quality-control inspections of the welds of a work order."""

    excel_resource = "inspections"

    # `order_id` is annotated so that lists can be sorted by it.
    queryset = Inspection.objects.select_related("work_order", "weld").annotate(
        order_id=F("work_order__order_id")
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
