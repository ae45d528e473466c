from staff.filters import EmployeeFilter
from staff.models import Employee
from staff.serializers import EmployeeSerializer
from workshop.api.viewsets import ModelViewSet


class EmployeeViewSet(ModelViewSet):
    """Welders and other staff, with their certification."""

    queryset = Employee.objects.all()
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    search_fields = ["employee_id", "name", "role"]
    ordering_fields = ["employee_id", "name", "role", "certification_expiry", "created_at", "updated_at"]
