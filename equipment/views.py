from django.db import connection, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from equipment.filters import EquipmentCalibrationFilter, EquipmentFilter
from equipment.models import Equipment, EquipmentCalibration
from equipment.serializers import (
    CertificateUploadSerializer,
    EquipmentCalibrationSerializer,
    EquipmentSerializer,
)
from equipment.services import calibration_certificate, calibration_certificate_store, calibration_delete
from workshop.api.filters import parse_as_of
from workshop.api.viewsets import ModelViewSet
from workshop.files import stored_file_response
from workshop.imports.export import ExcelExportMixin
from workshop.imports.views import ExcelImportMixin

# Computed by the database: an UPDATE does not return it, so the saved instance has to
# re-read it before the response shows it.
GENERATED_FIELDS = ["next_service_due"]

AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.DATE, description="The day `calibration_status` answers for (default today)."
)


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF]),
    retrieve=extend_schema(parameters=[AS_OF]),
)
class EquipmentViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Welding equipment, its service schedule and its calibration state as of `as_of`."""

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
        "calibration_interval_days",
        "created_at",
        "updated_at",
    ]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "action", None) in ("list", "retrieve", "create", "update", "partial_update"):
            context["as_of"] = parse_as_of(self.request)
        return context

    def perform_create(self, serializer):
        super().perform_create(serializer)
        # The INSERT returns generated columns where the database can (PostgreSQL, SQLite
        # 3.35+); elsewhere the new value has to be read back.
        if not connection.features.can_return_columns_from_insert:
            serializer.instance.refresh_from_db(fields=GENERATED_FIELDS)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance.refresh_from_db(fields=GENERATED_FIELDS)


class EquipmentCalibrationViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Calibrations and validations of the equipment (IEC 60974-14), with a certificate file
    each: what proves a machine on the day of a weld (R7's `EQUIPMENT_VALIDATION`). Written by
    managers and admins."""

    excel_resource = "calibrations"
    lookup_value_regex = "[0-9]+"

    queryset = EquipmentCalibration.objects.select_related("equipment")
    serializer_class = EquipmentCalibrationSerializer
    filterset_class = EquipmentCalibrationFilter
    search_fields = ["certificate_no", "equipment__equipment_id", "equipment__name"]
    ordering_fields = {
        "equipment": "equipment__equipment_id",
        "kind": "kind",
        "performed_on": "performed_on",
        "valid_until": "valid_until",
        "result": "result",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }

    def get_required_perms(self):
        if getattr(self, "action", None) == "upload":  # the certificate's upload (POST)
            return ["equipment.change_equipmentcalibration"]
        return super().get_required_perms()

    def perform_destroy(self, instance):
        calibration_delete(calibration=instance)

    # One URL, two actions: POST is `upload` (so it counts against RATELIMIT_UPLOAD like every
    # upload), GET is `certificate`.
    @extend_schema(
        summary="Upload the calibration's certificate",
        description="A PDF, PNG or JPEG file (multipart `file`), typed by its content: anything else "
        "is `415`; over `UPLOAD_MAX_MB` is `413`. Replaces an earlier certificate. Managers and admins.",
        request={"multipart/form-data": CertificateUploadSerializer},
        responses={201: EquipmentCalibrationSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="certificate",
        url_name="certificate",
        parser_classes=[MultiPartParser],
    )
    def upload(self, request, pk=None):
        calibration = self.get_object()
        form = CertificateUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        with transaction.atomic():
            calibration_certificate_store(calibration=calibration, upload=upload, filename=upload.name)
        return Response(self.get_serializer(calibration).data, status=201)

    @extend_schema(
        summary="Download the calibration's certificate",
        description="The certificate as uploaded: streamed from local storage (typed by its "
        "content), or a redirect to a short-lived presigned link on S3.",
        responses={
            # Typed by its content, as it was checked on upload.
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            302: OpenApiResponse(description="Redirect to a presigned S3 link."),
        },
    )
    @upload.mapping.get
    def certificate(self, request, pk=None):
        return stored_file_response(calibration_certificate(calibration=self.get_object()))
