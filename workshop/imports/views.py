"""The import records' API (`imports`, `schedules`), and the upload that makes them:
`POST /<resource>/import/` (shared by every Excel resource's ViewSet) and `upload_response`
(which a target's app calls from its own upload action, e.g. a template's)."""

from __future__ import annotations

import dataclasses
import re

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from workshop.api.serializers import ErrorSerializer, Serializer
from workshop.api.viewsets import ModelViewSet, ReadDeleteViewSet
from workshop.errors import ValidationFailed
from workshop.files import stored_file_response
from workshop.imports.filters import ExcelImportFilter, ImportScheduleFilter
from workshop.imports.jobs import import_job_create, import_job_replayed
from workshop.imports.models import ExcelImport, ImportSchedule
from workshop.imports.reader import check_upload
from workshop.imports.serializers import (
    ExcelImportSerializer,
    ImportErrorSerializer,
    ImportScheduleSerializer,
)
from workshop.imports.service import (
    ImportRun,
    excel_import_delete,
    excel_import_stored_upload,
    hold_template,
    previous_import,
    replay_refusal,
    store_import,
    upload_hash,
)
from workshop.imports.spec import registry
from workshop.jobs.api import PREFER_PARAMETER, accepted, prefers_async, queued_example
from workshop.jobs.serializers import JobSerializer
from workshop.roles import perm_name

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# What an upload through a target (a template's `upload` action) needs: to add an import.
UPLOAD_PERMISSION = perm_name(ExcelImport, "add")


class ImportUploadSerializer(Serializer):
    # An empty file reaches the reader, which answers 415 like for any other non-Excel file.
    file = serializers.FileField(
        allow_empty_file=True, help_text="An Excel workbook (.xlsx or .xls); the first sheet is read."
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check every row, write nothing.")


def idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed({"Idempotency-Key": ["1–128 letters, digits, '.', '_', ':' or '-'."]})
    return key


def replayed_import(request, *, run: ImportRun, upload):
    """The import this Idempotency-Key already made, if any. A key answers its first
    import again only for the same request sent again — the same resource or template, a
    dry run for a dry run, and the same file (by content) — else it is a 422: a real import
    must never silently not happen."""
    replay = previous_import(user=request.user, idempotency_key=run.idempotency_key)
    if replay is not None:
        refusal = replay_refusal(replay, run=run, file_hash=upload_hash(upload))
        if refusal is not None:
            raise ValidationFailed({"Idempotency-Key": [refusal]})
    return replay


def upload_response(view, request, *, run: ImportRun) -> Response:
    """An upload or import request end to end: the key and the form checked, then the
    Idempotency-Key's earlier answer, or the file checked (413/415 at once) and then run and
    stored — `201` with the ExcelImport record — or, with `Prefer: respond-async` or more
    than `IMPORT_SYNC_MAX_ROWS` data rows, queued as a job: `202` with the Job. `run` names
    the resource or template and the user; the form gives `dry_run`, the header the key."""
    key = idempotency_key(request)
    form = ImportUploadSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    upload = form.validated_data["file"]
    run = dataclasses.replace(run, dry_run=form.validated_data["dry_run"], idempotency_key=key)
    record = replayed_import(request, run=run, upload=upload)
    if record is not None:
        return Response(ExcelImportSerializer(record, context=view.get_serializer_context()).data, status=201)
    job = import_job_replayed(user=request.user, run=run, upload=upload)
    if job is not None:
        return accepted(job, request)
    # Asked to answer at once: the quick checks here (size, type, the zip's directory), the
    # pass over the sheet's parts on the worker, before it parses the file.
    queue = prefers_async(request)
    checked = check_upload(upload, scan=not queue)
    if queue or checked.data_rows > settings.IMPORT_SYNC_MAX_ROWS:
        job = import_job_create(run=run, upload=checked, filename=upload.name, request_id=request.request_id)
        return accepted(job, request)
    record = store_import(upload=checked, filename=upload.name, run=run)
    return Response(ExcelImportSerializer(record, context=view.get_serializer_context()).data, status=201)


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": IDEMPOTENCY_KEY.pattern},
    OpenApiParameter.HEADER,
    required=False,
    description="Send the same key again with the same file (e.g. after a time-out) to get the "
    "first answer back (the import, or the job it was queued as) instead of importing twice. A "
    "key already used for a different file, resource, template or dry-run setting is a 422.",
)


# Uploads and imports may answer with a job (SPEC §5): the header that asks for it, and the 202.
UPLOAD_PARAMETERS = [IDEMPOTENCY_PARAMETER, PREFER_PARAMETER]
QUEUED_DESCRIPTION = (
    "Queued as a background job: sent with `Prefer: respond-async`, or the sheet has more than "
    "`IMPORT_SYNC_MAX_ROWS` data rows (20,000 by default). `Location` is the job "
    "(`/api/v1/jobs/{id}/`); its `result` names the import (`import_id`) once it has run, its "
    "`error` is the 422 (every row error) or other refusal that ended it."
)
QUEUED = OpenApiResponse(JobSerializer, description=QUEUED_DESCRIPTION)
# An upload's 422 has two shapes: the form's own fields (`file`, `dry_run`: the usual object of
# field → messages) or the file's rows (a list of `{row, column, message}`). One of them, by
# the type of `errors`, so a generated client parses either.
IMPORT_422 = OpenApiResponse(
    PolymorphicProxySerializer(
        component_name="ImportValidationError",
        serializers=[ErrorSerializer, ImportErrorSerializer],
        resource_type_field_name=None,
    ),
    description="`VALIDATION_ERROR`: a bad form field (`errors` an object, as everywhere) or bad rows "
    "(`errors` a list of every row error; nothing was imported).",
    examples=[
        OpenApiExample(
            "Bad rows",
            value={
                "detail": "2 problem(s) in the file; nothing was imported.",
                "error_code": "VALIDATION_ERROR",
                "timestamp": "2025-11-25T09:30:00Z",
                "request_id": "0b5c8f0e3a5d4c1e",
                "errors": [
                    {"row": 3, "column": "Client", "message": "This field is required."},
                    {"row": 7, "column": "DueDate", "message": "Enter a date as YYYY-MM-DD."},
                ],
            },
            response_only=True,
            status_codes=["422"],
        ),
        OpenApiExample(
            "Bad form field",
            value={
                "detail": "file: No file was submitted.",
                "error_code": "VALIDATION_ERROR",
                "timestamp": "2025-11-25T09:30:00Z",
                "request_id": "0b5c8f0e3a5d4c1e",
                "errors": {"file": ["No file was submitted."]},
            },
            response_only=True,
            status_codes=["422"],
        ),
    ],
)
QUEUED_EXAMPLE = queued_example("import")


class ExcelImportMixin:
    """Adds `POST /<resource>/import/` to a ViewSet that sets `excel_resource`."""

    excel_resource: str = ""

    @property
    def excel_spec(self):
        return registry()[self.excel_resource]

    def get_required_perms(self) -> list[str] | None:
        if self.action == "import_excel":
            return [perm_name(self.excel_spec.model, "import")]
        return super().get_required_perms()

    @extend_schema(
        summary="Import rows from an Excel file",
        description="Upsert by business key, all-or-nothing: one bad row is a 422 listing every row "
        "error (`{row, column, message}`, rows numbered as Excel shows them; past 1000 errors, the "
        "first 1000, and the message gives the total) and nothing is written. "
        "Headers match field names or the shop's own headers, ignoring case, spaces and underscores. "
        "With `Prefer: respond-async`, or past `IMPORT_SYNC_MAX_ROWS` rows, the file is checked "
        "(413/415 at once) and the import queued as a job: `202` with the job.",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ExcelImportSerializer, 202: QUEUED, 422: IMPORT_422},
        parameters=UPLOAD_PARAMETERS,
        examples=[
            OpenApiExample(
                "Imported",
                value={"id": 7, "status": "succeeded", "rows_total": 5, "rows_created": 5, "rows_updated": 0},
                response_only=True,
                status_codes=["201"],
            ),
            QUEUED_EXAMPLE,
        ],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser],
        extra_error_codes=("413", "415"),
    )
    def import_excel(self, request, *args, **kwargs):
        return upload_response(
            self, request, run=ImportRun(resource=self.excel_resource, user=request.user, check_rights=True)
        )


class ExcelImportViewSet(ReadDeleteViewSet):
    """Uploads and imports with their outcome. Deleting one deletes its stored file and
    the entries it created (an undo of a template upload)."""

    queryset = ExcelImport.objects.all()
    serializer_class = ExcelImportSerializer
    filterset_class = ExcelImportFilter
    search_fields = ["filename", "resource"]
    # API name → database path where they differ (the template is kept by its id).
    ordering_fields = {
        "template": "template_id",
        "resource": "resource",
        "filename": "filename",
        "status": "status",
        "rows_total": "rows_total",
        "rows_created": "rows_created",
        "rows_updated": "rows_updated",
        "rows_rejected": "rows_rejected",
        "dry_run": "dry_run",
        "finished_at": "finished_at",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }

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
        return stored_file_response(excel_import_stored_upload(excel_import=self.get_object()))


class ImportScheduleViewSet(ModelViewSet):
    """Daily imports of a file from the drop folder through a template."""

    queryset = ImportSchedule.objects.all()
    serializer_class = ImportScheduleSerializer
    filterset_class = ImportScheduleFilter
    search_fields = ["source"]
    ordering_fields = {
        "template": "template_id",
        "source": "source",
        "hour": "hour",
        "minute": "minute",
        "active": "active",
        "last_run_at": "last_run_at",
        "last_status": "last_status",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }

    def perform_create(self, serializer):
        hold_template(serializer.validated_data["template_id"])
        super().perform_create(serializer)

    def perform_update(self, serializer):
        if "template_id" in serializer.validated_data:
            hold_template(serializer.validated_data["template_id"])
        super().perform_update(serializer)
