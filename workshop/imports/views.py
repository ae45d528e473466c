"""`POST /<resource>/import/`, shared by every Excel resource's ViewSet."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from machines.serializers import ExcelImportSerializer
from workshop.api.exceptions import UnprocessableEntity
from workshop.imports.service import (
    previous_import,
    replay_refusal,
    resource_runner,
    store_import,
    upload_hash,
)
from workshop.imports.spec import registry

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class ImportUploadSerializer(serializers.Serializer):
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
        raise UnprocessableEntity({"Idempotency-Key": ["1–128 letters, digits, '.', '_', ':' or '-'."]})
    return key


def replayed_import(
    request, *, key: str | None, resource: str, template_id: int | None, upload, dry_run: bool
):
    """The import this Idempotency-Key already made, if any. A key answers its first
    import again only for the same request sent again — the same resource or template, a
    dry run for a dry run, and the same file (by content) — else it is a 422: a real import
    must never silently not happen."""
    replay = previous_import(user=request.user, idempotency_key=key)
    if replay is not None:
        refusal = replay_refusal(
            replay, resource=resource, template_id=template_id, dry_run=dry_run, file_hash=upload_hash(upload)
        )
        if refusal is not None:
            raise UnprocessableEntity({"Idempotency-Key": [refusal]})
    return replay


def upload_response(view, request, *, run, resource: str = "", template=None) -> Response:
    """An upload or import request end to end: the key and the form checked, then the
    Idempotency-Key's earlier answer, or the file run and stored; `201` with the
    ExcelImport record."""
    key = idempotency_key(request)
    form = ImportUploadSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    upload, dry_run = form.validated_data["file"], form.validated_data["dry_run"]
    record = replayed_import(
        request,
        key=key,
        resource=resource,
        template_id=getattr(template, "pk", None),
        upload=upload,
        dry_run=dry_run,
    )
    if record is None:
        record = store_import(
            upload=upload,
            filename=upload.name,
            user=request.user,
            dry_run=dry_run,
            run=run,
            resource=resource,
            template=template,
            idempotency_key=key,
        )
    return Response(ExcelImportSerializer(record, context=view.get_serializer_context()).data, status=201)


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": IDEMPOTENCY_KEY.pattern},
    OpenApiParameter.HEADER,
    required=False,
    description="Send the same key again with the same file (e.g. after a time-out) to get the "
    "first answer back instead of importing twice. A key already used for a different file, "
    "resource, template or dry-run setting is a 422.",
)


class ExcelImportMixin:
    """Adds `POST /<resource>/import/` to a ViewSet that sets `excel_resource`."""

    excel_resource: str = ""

    @property
    def excel_spec(self):
        return registry()[self.excel_resource]

    def get_required_perms(self) -> list[str] | None:
        model = self.excel_spec.model._meta
        if self.action == "import_excel":
            return [f"{model.app_label}.import_{model.model_name}"]
        return super().get_required_perms()

    @extend_schema(
        summary="Import rows from an Excel file",
        description="Upsert by business key, all-or-nothing: one bad row is a 422 listing every row "
        "error (`{row, column, message}`, rows numbered as Excel shows them; past 1000 errors, the "
        "first 1000, and the message gives the total) and nothing is written. "
        "Headers match field names or the shop's own headers, ignoring case, spaces and underscores.",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ExcelImportSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "Imported",
                value={"id": 7, "status": "succeeded", "rows_total": 5, "rows_created": 5, "rows_updated": 0},
                response_only=True,
                status_codes=["201"],
            )
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
            self,
            request,
            run=resource_runner(self.excel_spec, request.user, check_rights=True),
            resource=self.excel_resource,
        )
