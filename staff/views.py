from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.exceptions import PermissionDenied

from staff.filters import EmployeeFilter, UserFilter
from staff.models import Employee
from staff.serializers import EmployeeSerializer, UserSerializer, UserUpdateSerializer
from staff.services import user_create, user_delete, user_update
from workshop.api.serializers import MessageSerializer
from workshop.api.viewsets import ModelViewSet
from workshop.imports.export import ExcelExportMixin
from workshop.imports.views import ExcelImportMixin
from workshop.roles import ADMIN, user_role


class EmployeeViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Welders and other staff, with their certification."""

    excel_resource = "employees"

    queryset = Employee.objects.all()
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    search_fields = ["employee_id", "name", "role"]
    ordering_fields = ["employee_id", "name", "role", "certification_expiry", "created_at", "updated_at"]


@extend_schema_view(update=extend_schema(request=UserUpdateSerializer))
class UserViewSet(ModelViewSet):
    """Login users and their roles (admins only: the `auth.*_user` permissions)."""

    queryset = get_user_model().objects.select_related("employee").prefetch_related("groups")
    serializer_class = UserSerializer
    filterset_class = UserFilter
    search_fields = ["username", "email", "employee__employee_id", "employee__name"]
    ordering_fields = ["username", "email", "is_active", "last_login", "date_joined"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = user_create(
            username=data["username"],
            password=data["password"],
            role=data.get("role"),
            email=data.get("email", ""),
            is_active=data.get("is_active", True),
            employee=data.get("employee"),
        )

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        self._recheck_actor(request.user, kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        return super().update(request, *args, **kwargs)

    @extend_schema(responses={200: MessageSerializer})
    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        self._recheck_actor(request.user, kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        return super().destroy(request, *args, **kwargs)

    def _recheck_actor(self, actor, target_pk) -> None:
        """Locks the acting admin's row and the target's (in id order: no deadlock) and reads
        the actor's role again: two admins demoting or deactivating each other at once take
        turns, and the second is refused (403) as they would be one after the other."""
        ids = sorted({actor.pk, *([int(target_pk)] if str(target_pk).isdigit() else [])})
        locked = {
            user.pk: user
            for user in get_user_model().objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        fresh = locked.get(actor.pk)
        if fresh is None or not fresh.is_active or user_role(fresh) != ADMIN:
            raise PermissionDenied("Your role may not do this.")

    def perform_update(self, serializer):
        serializer.instance = user_update(
            user=serializer.instance, actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        user_delete(user=instance, actor=self.request.user)
