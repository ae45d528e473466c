from rest_framework import serializers

from equipment.models import EQUIPMENT_STATUS_ALIASES, Equipment, EquipmentStatus
from workshop.api.fields import LenientChoiceField
from workshop.api.serializers import ModelSerializer


class EquipmentSerializer(ModelSerializer):
    status = LenientChoiceField(
        choices=EquipmentStatus.choices,
        aliases=EQUIPMENT_STATUS_ALIASES,
        required=False,
        help_text="`operational` (default), `maintenance` or `out_of_order`; labels such as "
        "`Maintenance Required` or `Out of Service` are accepted.",
    )
    next_service_due = serializers.DateField(
        read_only=True, allow_null=True, help_text="`last_service_date` + `service_interval_days`."
    )
    service_overdue = serializers.BooleanField(
        read_only=True, help_text="`next_service_due` is before today (in TIME_ZONE)."
    )

    schema_example = {
        "id": 1,
        "equipment_id": "EQ-01",
        "name": "MIG Welder 3000",
        "status": "operational",
        "last_service_date": "2025-09-15",
        "service_interval_days": 90,
        "next_service_due": "2025-12-14",
        "service_overdue": False,
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = Equipment
        fields = [
            "id",
            "equipment_id",
            "name",
            "status",
            "last_service_date",
            "service_interval_days",
            "next_service_due",
            "service_overdue",
            "created_at",
            "updated_at",
            "created_by",
        ]
        extra_kwargs = {
            # The column's range on PostgreSQL, so the limit does not depend on the database.
            "service_interval_days": {
                "min_value": 1,
                "max_value": 2_147_483_647,
                "help_text": "Days between services.",
            }
        }
