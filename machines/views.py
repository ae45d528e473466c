from machines.filters import (
    ExcelImportFilter,
    ImportScheduleFilter,
    ImportTemplateFilter,
    MachineFilter,
    WorkshopEntryFilter,
)
from machines.models import ExcelImport, ImportSchedule, ImportTemplate, Machine, WorkshopEntry
from machines.serializers import (
    ExcelImportSerializer,
    ImportScheduleSerializer,
    ImportTemplateSerializer,
    MachineSerializer,
    WorkshopEntrySerializer,
)
from machines.services import excel_import_delete
from workshop.api.viewsets import ModelViewSet, ReadDeleteViewSet, ReadUpdateDeleteViewSet


class MachineViewSet(ModelViewSet):
    """Welding machines and robot cells whose logs the shop imports."""

    queryset = Machine.objects.all()
    serializer_class = MachineSerializer
    filterset_class = MachineFilter
    search_fields = ["name", "code", "type"]
    ordering_fields = ["name", "code", "type", "created_at", "updated_at"]


class ImportTemplateViewSet(ModelViewSet):
    """How a machine's Excel log maps onto workshop entries."""

    queryset = ImportTemplate.objects.all()
    serializer_class = ImportTemplateSerializer
    filterset_class = ImportTemplateFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "machine", "active", "created_at", "updated_at"]


class WorkshopEntryViewSet(ReadUpdateDeleteViewSet):
    """Rows of machine logs, created by template uploads. Only `data` can be edited:
    `template`, `machine`, `excel_import` and `imported_at` are fixed by the import."""

    queryset = WorkshopEntry.objects.all()
    serializer_class = WorkshopEntrySerializer
    filterset_class = WorkshopEntryFilter
    search_fields = ["data"]
    ordering_fields = ["template", "machine", "excel_import", "imported_at", "created_at", "updated_at"]


class ExcelImportViewSet(ReadDeleteViewSet):
    """Uploads and imports with their outcome. Deleting one deletes its stored file and
    the entries it created (an undo of a template upload)."""

    queryset = ExcelImport.objects.all()
    serializer_class = ExcelImportSerializer
    filterset_class = ExcelImportFilter
    search_fields = ["filename", "resource"]
    ordering_fields = [
        "template",
        "resource",
        "filename",
        "status",
        "rows_total",
        "rows_created",
        "rows_updated",
        "rows_rejected",
        "dry_run",
        "finished_at",
        "created_at",
        "updated_at",
    ]

    def perform_destroy(self, instance):
        excel_import_delete(excel_import=instance)


class ImportScheduleViewSet(ModelViewSet):
    """Daily imports of a file from the drop folder through a template."""

    queryset = ImportSchedule.objects.all()
    serializer_class = ImportScheduleSerializer
    filterset_class = ImportScheduleFilter
    search_fields = ["source"]
    ordering_fields = [
        "template",
        "source",
        "hour",
        "minute",
        "active",
        "last_run_at",
        "last_status",
        "created_at",
        "updated_at",
    ]
