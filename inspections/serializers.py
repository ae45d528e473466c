from rest_framework import serializers

from inspections.models import DefectType, Inspection, InspectionResult
from workorders.models import Weld, WorkOrder
from workshop.api.fields import LenientChoiceField, SlugRelatedField
from workshop.api.serializers import ModelSerializer


class InspectionSerializer(ModelSerializer):
    order_id = SlugRelatedField(
        slug_field="order_id",
        source="work_order",
        queryset=WorkOrder.objects.all(),
        help_text="The inspected work order's `order_id` (e.g. `WO-1000`).",
    )
    weld_id = SlugRelatedField(
        slug_field="weld_id",
        source="weld",
        queryset=Weld.objects.all(),
        allow_null=True,
        required=False,
        help_text="The examined weld's `weld_id` (one of the work order's welds), or null.",
    )
    defect_type = LenientChoiceField(
        choices=DefectType.choices,
        allow_null=True,
        required=False,
        help_text='Required for a `fail`, null for a `pass`; `"None"` or `""` mean null.',
    )

    schema_example = {
        "id": 2,
        "inspection_id": "QC-101",
        "order_id": "WO-1000",
        "weld_id": "WO-1000-W02",
        "inspector": "Inspector X",
        "result": "fail",
        "defect_type": "porosity",
        "method": "UT",
        "inspected_at": "2025-11-24T14:30:00Z",
        "notes": "Cluster porosity at 3 o'clock, repair and re-test.",
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = Inspection
        fields = [
            "id",
            "inspection_id",
            "order_id",
            "weld_id",
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

    def validate(self, attrs):
        # A PUT replaces the record: a defect type it does not send is the default, null (so a
        # PUT of a failed inspection as a `pass` need not send `"defect_type": null`). A PATCH
        # changes only what it sends, and `{"result": "pass"}` alone on a failed one is a 422.
        if not self.partial and attrs.get("result") == InspectionResult.PASS and "defect_type" not in attrs:
            attrs["defect_type"] = None
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            # The model names the weld by its field (`weld`); the API and the file by `weld_id`.
            if isinstance(exc.detail, dict) and "weld" in exc.detail:
                exc.detail["weld_id"] = exc.detail.pop("weld")
            raise
