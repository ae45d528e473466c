"""The import records in the API: read-only ExcelImports, and schedules."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workshop.api.fields import LenientChoiceField
from workshop.api.serializers import ModelSerializer
from workshop.imports.models import ExcelImport, ImportSchedule, ImportStatus
from workshop.imports.targets import template_target


@extend_schema_field(OpenApiTypes.INT)
class TemplateField(serializers.Field):
    """A template by its id (`template_id`): a whole number (or its digits as text) naming a
    template that exists — the checks and messages of a primary-key field, the lookup
    through the registered `template` import target."""

    default_error_messages = {
        "does_not_exist": 'Invalid pk "{pk_value}" - object does not exist.',
        "incorrect_type": "Incorrect type. Expected pk value, received {data_type}.",
    }

    def to_internal_value(self, data) -> int:
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and data.strip().isdigit())
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except ValueError:  # digits Python reads as such but int() does not (`²`)
            self.fail("incorrect_type", data_type=type(data).__name__)
        target = template_target()
        if target is None or target.get(pk) is None:
            self.fail("does_not_exist", pk_value=data)
        return pk

    def to_representation(self, value) -> int:
        return value


class RowErrorSerializer(serializers.Serializer):
    """One rejected cell or row of an import, numbered as Excel shows it."""

    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportErrorSerializer(serializers.Serializer):
    """A file refused for its rows: the error body with `errors` as the list of every row
    error (`{row, column, message}`) instead of an object of field → messages."""

    detail = serializers.CharField()
    error_code = serializers.CharField()
    timestamp = serializers.DateTimeField()
    request_id = serializers.CharField(allow_null=True)
    errors = RowErrorSerializer(many=True)


@extend_schema_field(RowErrorSerializer(many=True))
class RowErrorsField(serializers.JSONField):
    """The stored row errors, passed through as they are."""


class ExcelImportSerializer(ModelSerializer):
    """Read only: imports are made by uploads. `file` links to the stored upload."""

    template = serializers.IntegerField(source="template_id", read_only=True, allow_null=True)
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
    rejects paths); `last_run_at` and `last_status` are set by the scheduler (null until
    the first run)."""

    template = TemplateField(source="template_id")
    last_status = LenientChoiceField(
        choices=ImportStatus.choices,
        allow_null=True,
        read_only=True,
        help_text="The last run's import status; null until the first run.",
    )

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
