from staff.models import Employee
from workorders.models import WorkOrder, WorkOrderStatus, completion_time
from workorders.serializers import WorkOrderSerializer
from workshop.imports.spec import Column, Related, ResourceSpec


def prepare_row(attrs: dict, current: WorkOrder | None, *, may_record_history: bool, now) -> None:
    """A row's `completed_at`, by the rule the API and the admin follow (`completion_time`):
    an empty `CompletedAt` cell, or none at all, leaves it to the status."""
    attrs["completed_at"] = completion_time(
        status=attrs.get("status", current.status if current else WorkOrderStatus.PENDING),
        previous_status=current.status if current else None,
        stored=current.completed_at if current else None,
        given=attrs.get("completed_at"),
        may_set=may_record_history,
        now=now,
    )


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
        Column("completed_at", "CompletedAt"),
    ),
    # The shop's file names welders ("John Doe"); exports write their employee_id.
    related={"assigned_welder": Related(Employee, keys=("employee_id", "name"))},
    prepare_row=prepare_row,
)
