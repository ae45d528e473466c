from equipment.models import Equipment, EquipmentCalibration
from equipment.serializers import EquipmentCalibrationSerializer, EquipmentSerializer
from workshop.imports.spec import Column, Related, ResourceSpec

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
        Column("calibration_interval_days", "CalibrationInterval", aliases=("CalibrationIntervalDays",)),
    ),
)

# WELDING.md §5, with an `ID` column first (as the weld log's): calibrations have no business
# key, so a row with an ID updates that record and a row without one adds a record.
CALIBRATIONS_SPEC = ResourceSpec(
    resource="calibrations",
    model=EquipmentCalibration,
    serializer_class=EquipmentCalibrationSerializer,
    key="id",
    key_is_id=True,
    columns=(
        Column("id", "ID"),
        Column("equipment", "EquipmentID", source="equipment__equipment_id"),
        Column("kind", "Kind"),
        Column("accuracy_grade", "Grade", aliases=("AccuracyGrade",)),
        Column("performed_on", "PerformedOn"),
        Column("certificate_no", "CertificateNo"),
        Column("result", "Result"),
        Column("valid_until", "ValidUntil"),
    ),
    related={"equipment": Related(Equipment, keys=("equipment_id",))},
)

SPECS = (CALIBRATIONS_SPEC,)
