from staff.models import Employee, WelderQualification
from staff.serializers import EmployeeSerializer, WelderQualificationSerializer
from workshop.imports.spec import Column, Related, ResourceSpec

SPEC = ResourceSpec(
    resource="employees",
    model=Employee,
    serializer_class=EmployeeSerializer,
    key="employee_id",
    columns=(
        Column("employee_id", "EmployeeID"),
        Column("name", "Name"),
        Column("role", "Role"),
        Column("certification_expiry", "CertificationExpiry", aliases=("Certification",)),
        Column("stamp", "Stamp", aliases=("WelderStamp",)),
    ),
)

QUALIFICATIONS_SPEC = ResourceSpec(
    resource="qualifications",
    model=WelderQualification,
    serializer_class=WelderQualificationSerializer,
    key="qualification_id",
    columns=(
        Column("qualification_id", "QualificationID", aliases=("CertificateNo",)),
        Column("employee", "EmployeeID", aliases=("Welder",), source="employee__employee_id"),
        Column("standard", "Standard"),
        Column("process", "Process"),
        Column("product_forms", "ProductForms"),
        Column("weld_types", "WeldTypes"),
        Column("filler_groups", "FillerGroups"),
        Column("thickness_min_mm", "ThicknessMin"),
        Column("thickness_max_mm", "ThicknessMax"),
        Column("diameter_min_mm", "DiameterMin"),
        Column("diameter_max_mm", "DiameterMax"),
        Column("positions", "Positions"),
        Column("test_date", "TestDate"),
        Column("revalidation_method", "Method", aliases=("RevalidationMethod",)),
    ),
    related={"employee": Related(Employee, keys=("employee_id",))},
)
SPECS = (QUALIFICATIONS_SPEC,)
