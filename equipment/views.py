from django.db import connection

from equipment.filters import EquipmentFilter
from equipment.models import Equipment
from equipment.serializers import EquipmentSerializer
from workshop.api.viewsets import ModelViewSet
from workshop.imports.export import ExcelExportMixin
from workshop.imports.views import ExcelImportMixin

# Computed by the database: an UPDATE does not return it, so the saved instance has to
# re-read it before the response shows it.
GENERATED_FIELDS = ["next_service_due"]


class EquipmentViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Welding equipment and its service schedule."""

    excel_resource = "equipment"

    queryset = Equipment.objects.all()
    serializer_class = EquipmentSerializer
    filterset_class = EquipmentFilter
    search_fields = ["equipment_id", "name"]
    ordering_fields = [
        "equipment_id",
        "name",
        "status",
        "last_service_date",
        "service_interval_days",
        "next_service_due",
        "created_at",
        "updated_at",
    ]

    def perform_create(self, serializer):
        super().perform_create(serializer)
        # The INSERT returns generated columns where the database can (PostgreSQL, SQLite
        # 3.35+); elsewhere the new value has to be read back.
        if not connection.features.can_return_columns_from_insert:
            serializer.instance.refresh_from_db(fields=GENERATED_FIELDS)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance.refresh_from_db(fields=GENERATED_FIELDS)
