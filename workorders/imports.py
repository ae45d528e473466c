from staff.models import Employee
from workorders.models import WorkOrder
from workorders.serializers import WorkOrderSerializer
from workshop.imports.spec import Column, Related, ResourceSpec

SPEC = ResourceSpec(
    resource="workorders",
    model=WorkOrder,
    serializer_class=WorkOrderSerializer,
    key="order_id",
    columns=(
        Column("order_id", "OrderID"),
        Column("client", "Client"),
        Column("description", "Description"),
        Column("status", "Status"),
        Column("due_date", "DueDate"),
        Column(
            "assigned_welder", "AssignedWelder", aliases=("Welder",), source="assigned_welder__employee_id"
        ),
    ),
    # The shop's file names welders ("John Doe"); exports write their employee_id.
    related={"assigned_welder": Related(Employee, keys=("employee_id", "name"))},
)
