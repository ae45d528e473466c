from django.utils import timezone
from rest_framework import serializers

from inspections.models import Inspection
from staff.models import Employee
from workorders.models import WorkOrder
from workshop.api.fields import SlugRelatedField
from workshop.api.serializers import ModelSerializer


class InspectionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Inspection
        fields = ["id", "inspection_id", "result", "defect_type", "inspected_at"]
        read_only_fields = fields


class WorkOrderSerializer(ModelSerializer):
    assigned_welder = SlugRelatedField(
        slug_field="employee_id",
        queryset=Employee.objects.all(),
        allow_null=True,
        required=False,
        help_text="The assigned employee's `employee_id` (e.g. `EMP-01`), or null.",
    )
    # allow_null and no default: with a default, DRF drops the field from PATCH answers.
    assigned_welder_name = serializers.CharField(
        source="assigned_welder.name", read_only=True, allow_null=True
    )
    is_overdue = serializers.SerializerMethodField(
        help_text="Due before today and not completed or cancelled."
    )
    inspections = InspectionSummarySerializer(many=True, read_only=True, source="listed_inspections")

    schema_example = {
        "id": 1,
        "order_id": "WO-1000",
        "client": "Client A",
        "description": "Pipe welding, 6in sch 40",
        "status": "in_progress",
        "due_date": "2025-12-05",
        "assigned_welder": "EMP-01",
        "assigned_welder_name": "John Doe",
        "is_overdue": False,
        "inspections": [
            {
                "id": 1,
                "inspection_id": "QC-100",
                "result": "pass",
                "defect_type": None,
                "inspected_at": "2025-11-24T14:30:00Z",
            }
        ],
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "order_id",
            "client",
            "description",
            "status",
            "due_date",
            "assigned_welder",
            "assigned_welder_name",
            "is_overdue",
            "inspections",
            "created_at",
            "updated_at",
            "created_by",
        ]

    def get_is_overdue(self, obj: WorkOrder) -> bool:
        # "Today" once per response, not once per row.
        today = getattr(self, "_today", None)
        if today is None:
            today = self._today = timezone.localdate()
        return obj.overdue_on(today)
