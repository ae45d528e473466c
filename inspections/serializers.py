from inspections.models import DefectType, Inspection
from workorders.models import WorkOrder
from workshop.api.fields import LenientChoiceField, SlugRelatedField
from workshop.api.serializers import ModelSerializer


class InspectionSerializer(ModelSerializer):
    order_id = SlugRelatedField(
        slug_field="order_id",
        source="work_order",
        queryset=WorkOrder.objects.all(),
        help_text="The inspected work order's `order_id` (e.g. `WO-1000`).",
    )
    defect_type = LenientChoiceField(
        choices=DefectType.choices,
        allow_null=True,
        required=False,
        help_text='Required for a `fail`, null for a `pass`; `"None"` or `""` mean null.',
    )

    class Meta:
        model = Inspection
        fields = [
            "id",
            "inspection_id",
            "order_id",
            "inspector",
            "result",
            "defect_type",
            "method",
            "inspected_at",
            "notes",
            "created_at",
            "updated_at",
            "created_by",
        ]
