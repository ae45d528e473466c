from django.db.models import Prefetch

from inspections.models import Inspection
from workorders.filters import WorkOrderFilter
from workorders.models import WorkOrder
from workorders.selectors import workorder_list_rows
from workorders.serializers import WorkOrderSerializer
from workshop.api.serializers import selected_fields
from workshop.api.viewsets import ModelViewSet
from workshop.imports.export import ExcelExportMixin
from workshop.imports.views import ExcelImportMixin


class WorkOrderViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Jobs the shop takes in, with their QC inspections."""

    excel_resource = "workorders"

    queryset = WorkOrder.objects.select_related("assigned_welder").prefetch_related(
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

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        wanted = None
        if "fields" in request.query_params:  # building the serializer's fields costs ~1 ms
            wanted = selected_fields(request, list(self.get_serializer_class()().fields))
        rows = self.paginator.paginate_queryset(queryset, request, view=self, fetch=workorder_list_rows)
        if wanted is not None:
            rows = [{name: row[name] for name in wanted} for row in rows]
        return self.get_paginated_response(rows)
