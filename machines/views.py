from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser

from machines.filters import ImportTemplateFilter, MachineFilter, WorkshopEntryFilter
from machines.models import ImportTemplate, Machine, WorkshopEntry
from machines.serializers import ImportTemplateSerializer, MachineSerializer, WorkshopEntrySerializer
from machines.services import template_delete
from workshop.api.viewsets import ModelViewSet, ReadUpdateDeleteViewSet
from workshop.imports.serializers import ExcelImportSerializer
from workshop.imports.service import ImportRun
from workshop.imports.views import (
    IMPORT_422,
    QUEUED,
    QUEUED_EXAMPLE,
    UPLOAD_PARAMETERS,
    UPLOAD_PERMISSION,
    ImportUploadSerializer,
    upload_response,
)


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

    def perform_destroy(self, instance):
        template_delete(template=instance)

    @extend_schema(
        summary="Upload a machine log through this template",
        description="Stores the file and maps each row of its first sheet through the template's "
        "`mapping` into a workshop entry; answers the import record. A mapped column missing from "
        "the sheet is a 422. Also reachable as `POST /api/v1/upload/{id}`. With "
        "`Prefer: respond-async`, or past `IMPORT_SYNC_MAX_ROWS` rows, queued as a job (`202`).",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ExcelImportSerializer, 202: QUEUED, 422: IMPORT_422},
        parameters=UPLOAD_PARAMETERS,
        examples=[
            OpenApiExample(
                "Uploaded",
                value={"id": 3, "template": 1, "status": "succeeded", "rows_total": 120, "rows_created": 120},
                response_only=True,
                status_codes=["201"],
            ),
            QUEUED_EXAMPLE,
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="upload",
        parser_classes=[MultiPartParser],
        required_perms=[UPLOAD_PERMISSION],
        extra_error_codes=("413", "415"),
        conditional=False,  # creates an import; the template is not changed (no If-Match)
    )
    def upload(self, request, pk=None):
        template = self.get_object()
        return upload_response(self, request, run=ImportRun(template_id=template.pk, user=request.user))


class WorkshopEntryViewSet(ReadUpdateDeleteViewSet):
    """Rows of machine logs, created by template uploads. Only `data` can be edited:
    `template`, `machine`, `excel_import` and `imported_at` are fixed by the import."""

    queryset = WorkshopEntry.objects.all()
    serializer_class = WorkshopEntrySerializer
    filterset_class = WorkshopEntryFilter
    search_fields = ["data"]
    ordering_fields = ["template", "machine", "excel_import", "imported_at", "created_at", "updated_at"]
