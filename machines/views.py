from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser

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
from machines.services import excel_import_delete, excel_import_file_response
from workshop.api.viewsets import ModelViewSet, ReadDeleteViewSet, ReadUpdateDeleteViewSet
from workshop.imports.service import template_runner
from workshop.imports.views import IDEMPOTENCY_PARAMETER, ImportUploadSerializer, upload_response


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

    @extend_schema(
        summary="Upload a machine log through this template",
        description="Stores the file and maps each row of its first sheet through the template's "
        "`mapping` into a workshop entry; answers the import record. A mapped column missing from "
        "the sheet is a 422. Also reachable as `POST /api/v1/upload/{id}`.",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ExcelImportSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "Uploaded",
                value={"id": 3, "template": 1, "status": "succeeded", "rows_total": 120, "rows_created": 120},
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="upload",
        parser_classes=[MultiPartParser],
        required_perms=["machines.add_excelimport"],
        extra_error_codes=("413", "415"),
    )
    def upload(self, request, pk=None):
        template = self.get_object()
        return upload_response(self, request, run=template_runner(template, request.user), template=template)


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

    @extend_schema(
        summary="Download the stored upload",
        description="The file as uploaded: streamed from local storage, or a redirect to a "
        "short-lived presigned link on S3.",
        responses={
            # FileResponse names the type after the stored file's extension.
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            (200, "application/vnd.ms-excel"): OpenApiTypes.BINARY,
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            302: OpenApiResponse(description="Redirect to a presigned S3 link."),
        },
    )
    @action(detail=True, methods=["get"], url_path="file")
    def file(self, request, pk=None):
        return excel_import_file_response(excel_import=self.get_object())


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
