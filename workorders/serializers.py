from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from inspections.models import Inspection
from staff.models import Employee
from workorders.models import WorkOrder, WorkOrderStatus, completion_time
from workshop.api.fields import SlugRelatedField
from workshop.api.serializers import ModelSerializer
from workshop.roles import user_may_record_history


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
    completed_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the order was completed (ISO 8601). Set when the status becomes `completed`, "
        "cleared (null) when it leaves it. Managers and admins may send an earlier time for a "
        "completed order (history kept elsewhere), never one in the future; other roles may only "
        "send it back unchanged (else 422). Null or left out: worked out from the status.",
    )
    inspections = InspectionSummarySerializer(many=True, read_only=True, source="listed_inspections")

    schema_example = {
        "id": 1,
        "order_id": "WO-1000",
        "client": "Client A",
        "description": "Pipe welding, 6in sch 40",
        "status": "in_progress",
        "due_date": "2025-12-05",
        "completed_at": None,
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
            "completed_at",
            "assigned_welder",
            "assigned_welder_name",
            "is_overdue",
            "inspections",
            "created_at",
            "updated_at",
            "created_by",
        ]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance
        request = self.context.get("request")
        try:
            attrs["completed_at"] = completion_time(
                status=attrs.get("status", instance.status if instance else WorkOrderStatus.PENDING),
                previous_status=instance.status if instance else None,
                stored=instance.completed_at if instance else None,
                given=attrs.get("completed_at"),
                may_set=user_may_record_history(request.user if request else None, WorkOrder),
                now=timezone.now(),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                {k: get_error_detail(DjangoValidationError(v)) for k, v in exc.error_dict.items()}
            ) from exc
        return attrs

    def get_is_overdue(self, obj: WorkOrder) -> bool:
        # "Today" once per response, not once per row.
        today = getattr(self, "_today", None)
        if today is None:
            today = self._today = timezone.localdate()
        return obj.overdue_on(today)
