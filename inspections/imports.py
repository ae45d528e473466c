from inspections.models import Inspection
from inspections.serializers import InspectionSerializer
from workorders.models import Weld, WorkOrder
from workshop.imports.spec import Column, Related, ResourceSpec

SPEC = ResourceSpec(
    resource="inspections",
    model=Inspection,
    serializer_class=InspectionSerializer,
    key="inspection_id",
    columns=(
        Column("inspection_id", "InspectionID"),
        Column("order_id", "OrderID", source="work_order__order_id"),
        Column("inspector", "Inspector"),
        Column("result", "Result"),
        Column("defect_type", "DefectType"),
        Column("method", "Method"),
        Column("inspected_at", "InspectedAt"),
        Column("notes", "Notes"),
        Column("weld_id", "WeldID", source="weld__weld_id"),  # WELDING.md §5 (after the shop's own)
    ),
    related={"order_id": Related(WorkOrder, keys=("order_id",)), "weld_id": Related(Weld, keys=("weld_id",))},
)
