from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from machines.models import ExcelImport, ImportSchedule, ImportStatus, ImportTemplate, Machine, WorkshopEntry
from workshop.api.fields import LenientChoiceField
from workshop.api.serializers import ModelSerializer


class MachineSerializer(ModelSerializer):
    class Meta:
        model = Machine
        fields = ["id", "name", "code", "type", "metadata", "created_at", "updated_at", "created_by"]


class ImportTemplateSerializer(ModelSerializer):
    """`mapping`: Excel column header → field name in the entry's data (the model's
    `clean()` checks it is a non-empty object of non-empty strings)."""

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
