from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from machines.models import ExcelImport, ImportSchedule, ImportStatus, ImportTemplate, Machine, WorkshopEntry
from workshop.api.fields import LenientChoiceField
from workshop.api.serializers import ModelSerializer


class MachineSerializer(ModelSerializer):
    schema_example = {
        "id": 1,
        "name": "Robot cell 1",
        "code": "RC-1",
        "type": "robot",
        "metadata": {"vendor": "Fanuc", "bay": 2},
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = Machine
        fields = ["id", "name", "code", "type", "metadata", "created_at", "updated_at", "created_by"]


class ImportTemplateSerializer(ModelSerializer):
    """`mapping`: Excel column header → field name in the entry's data (the model's
    `clean()` checks it is a non-empty object of non-empty strings)."""

    schema_example = {
        "id": 1,
        "name": "Robot cell daily log",
        "description": "The robot controller's daily export",
        "machine": 1,
        "mapping": {"Date": "date", "Wire (kg)": "wire_kg", "Arc hours": "arc_hours"},
        "active": True,
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = ImportTemplate
        fields = [
            "id",
            "name",
            "description",
            "machine",
            "mapping",
            "active",
            "created_at",
            "updated_at",
            "created_by",
        ]


class WorkshopEntrySerializer(ModelSerializer):
    """Only `data` is writable: an entry stays tied to the template, machine and import
    that produced it, so deleting the import still undoes exactly what it created and the
    machine always matches the template's."""

    schema_example = {
        "id": 1,
        "template": 1,
        "machine": 1,
        "excel_import": 4,
        "imported_at": "2025-11-25T06:30:02Z",
        "data": {"date": "2025-11-24", "wire_kg": 1.5, "arc_hours": 6.25},
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = WorkshopEntry
        fields = [
            "id",
            "template",
            "machine",
            "excel_import",
            "imported_at",
            "data",
            "created_at",
            "updated_at",
            "created_by",
        ]
        read_only_fields = ["template", "machine", "excel_import", "imported_at"]
        extra_kwargs = {"data": {"required": True}}


class RowErrorSerializer(serializers.Serializer):
    """One rejected cell or row of an import, numbered as Excel shows it."""

    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


@extend_schema_field(RowErrorSerializer(many=True))
class RowErrorsField(serializers.JSONField):
    """The stored row errors, passed through as they are."""


class ExcelImportSerializer(ModelSerializer):
    """Read only: imports are made by uploads. `file` links to the stored upload."""

    file = serializers.SerializerMethodField(help_text="Download link of the stored upload, or null.")
    errors = RowErrorsField(read_only=True)

    schema_example = {
        "id": 4,
        "template": 1,
        "resource": "",
        "filename": "robot-log.xlsx",
        "file": "https://weldshop.example.com/api/v1/imports/4/file",
        "status": "succeeded",
        "rows_total": 31,
        "rows_created": 31,
        "rows_updated": 0,
        "rows_rejected": 0,
        "errors": [],
        "dry_run": False,
        "finished_at": "2025-11-25T06:30:02Z",
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = ExcelImport
        fields = [
            "id",
            "template",
            "resource",
            "filename",
            "file",
            "status",
            "rows_total",
            "rows_created",
            "rows_updated",
            "rows_rejected",
            "errors",
            "dry_run",
            "finished_at",
            "created_at",
            "updated_at",
            "created_by",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_file(self, obj: ExcelImport) -> str | None:
        if not obj.file:
            return None
        path = reverse("excelimport-detail", kwargs={"pk": obj.pk}).rstrip("/") + "/file"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ImportScheduleSerializer(ModelSerializer):
    """`source` is a plain file name inside the drop folder (the model's `clean()`
    rejects paths); `last_run_at` and `last_status` are set by the scheduler (`""` until
    the first run)."""

    last_status = LenientChoiceField(choices=ImportStatus.choices, allow_blank=True, read_only=True)

    schema_example = {
        "id": 1,
        "template": 1,
        "source": "robot-log.xlsx",
        "hour": 6,
        "minute": 30,
        "active": True,
        "last_run_at": "2025-11-25T06:30:02Z",
        "last_status": "succeeded",
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = ImportSchedule
        fields = [
            "id",
            "template",
            "source",
            "hour",
            "minute",
            "active",
            "last_run_at",
            "last_status",
            "created_at",
            "updated_at",
            "created_by",
        ]
        read_only_fields = ["last_run_at", "last_status"]
        extra_kwargs = {"hour": {"max_value": 23}, "minute": {"max_value": 59}}
