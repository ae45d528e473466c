from equipment.models import Equipment
from equipment.serializers import EquipmentSerializer
from workshop.imports.spec import Column, ResourceSpec

SPEC = ResourceSpec(
    resource="equipment",
    model=Equipment,
    serializer_class=EquipmentSerializer,
    key="equipment_id",
    columns=(
        Column("equipment_id", "EquipmentID"),
        Column("name", "Name"),
        Column("status", "Status"),
        Column("last_service_date", "LastServiceDate"),
        Column("service_interval_days", "ServiceIntervalDays", aliases=("ServiceInterval",)),
    ),
)
