from staff.models import Employee
from staff.serializers import EmployeeSerializer
from workshop.imports.spec import Column, ResourceSpec

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
    ),
)
