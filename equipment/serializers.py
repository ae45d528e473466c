import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from equipment import calibration_rules as cal
from equipment.calibrations import attach_calibration_states
from equipment.models import (
    EQUIPMENT_STATUS_ALIASES,
    CalibrationStatus,
    Equipment,
    EquipmentCalibration,
    EquipmentStatus,
)
from workshop.api.fields import JSONObjectField, LenientChoiceField, LenientDateField, SlugRelatedField
from workshop.api.serializers import ModelSerializer, Serializer

INT_MAX = 2_147_483_647


def as_of_of(context) -> dt.date:
    """The day a representation answers for: the view's `as_of` (already checked), else
    today (also with `context={"request": None}`)."""
    return (context or {}).get("as_of") or timezone.localdate()


class CalibrationStateListSerializer(serializers.ListSerializer):
    """A page of equipment: the calibration states worked out in bulk (one query)."""

    def to_representation(self, data):
        machines = list(data.all() if hasattr(data, "all") else data)
        missing = [m for m in machines if not hasattr(m, "calibration_state")]
        if missing:
            attach_calibration_states(missing, on=as_of_of(self.context))
        return super().to_representation(machines)


class EquipmentSerializer(ModelSerializer):
    status = LenientChoiceField(
        choices=EquipmentStatus.choices,
        aliases=EQUIPMENT_STATUS_ALIASES,
        required=False,
        help_text="`operational` (default), `maintenance` or `out_of_order`; labels such as "
        "`Maintenance Required` or `Out of Service` are accepted.",
    )
    next_service_due = serializers.DateField(
        read_only=True, allow_null=True, help_text="`last_service_date` + `service_interval_days`."
    )
    service_overdue = serializers.BooleanField(
        read_only=True, help_text="`next_service_due` is before today (in TIME_ZONE)."
    )
    calibration_due = serializers.SerializerMethodField(
        help_text="As of `as_of`: the latest calibration's `valid_until` (a failed one: its day); "
        "null when none is required or recorded."
    )
    calibration_status = serializers.SerializerMethodField(
        help_text="As of `as_of`: `not_required`, `none`, `valid`, `due_soon` (within 30 days), "
        "`overdue` or `failed`."
    )

    schema_example = {
        "id": 1,
        "equipment_id": "EQ-01",
        "name": "MIG Welder 3000",
        "status": "operational",
        "last_service_date": "2025-09-15",
        "service_interval_days": 90,
        "next_service_due": "2025-12-14",
        "service_overdue": False,
        "calibration_interval_days": 365,
        "calibration_due": "2026-01-10",
        "calibration_status": "valid",
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = Equipment
        list_serializer_class = CalibrationStateListSerializer
        fields = [
            "id",
            "equipment_id",
            "name",
            "status",
            "last_service_date",
            "service_interval_days",
            "next_service_due",
            "service_overdue",
            "calibration_interval_days",
            "calibration_due",
            "calibration_status",
            "created_at",
            "updated_at",
            "created_by",
        ]
        extra_kwargs = {
            # The column's range on PostgreSQL, so the limit does not depend on the database.
            "service_interval_days": {
                "min_value": 1,
                "max_value": INT_MAX,
                "help_text": "Days between services.",
            },
            "calibration_interval_days": {
                "min_value": 1,
                "max_value": INT_MAX,
                "help_text": "Days between calibrations or validations (null: none required).",
            },
        }

    def to_representation(self, instance):
        if not hasattr(instance, "calibration_state"):
            attach_calibration_states([instance], on=as_of_of(self.context))
        return super().to_representation(instance)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_calibration_due(self, obj):
        due = obj.calibration_state[1]
        return due.isoformat() if due is not None else None

    @extend_schema_field(serializers.ChoiceField(choices=CalibrationStatus.choices))
    def get_calibration_status(self, obj):
        return obj.calibration_state[0]


class EquipmentCalibrationSerializer(ModelSerializer):
    equipment = SlugRelatedField(
        slug_field="equipment_id",
        queryset=Equipment.objects.all(),
        help_text="The machine's `equipment_id` (e.g. `EQ-01`).",
    )
    performed_on = LenientDateField()
    valid_until = LenientDateField(
        required=False,
        allow_null=True,
        help_text="Last day it counts. Left out or null on create (or with a new `performed_on`): "
        "`performed_on` + the equipment's `calibration_interval_days`, else 365 days.",
    )
    measurements = JSONObjectField(
        required=False, help_text='Measured values, a JSON object (e.g. `{"current_a": 200.4}`).'
    )
    certificate = serializers.SerializerMethodField(
        help_text="The uploaded certificate (`POST calibrations/{id}/certificate`), or null."
    )

    schema_example = {
        "id": 1,
        "equipment": "EQ-01",
        "kind": "validation",
        "accuracy_grade": "standard",
        "performed_on": "2025-01-10",
        "certificate_no": "VAL-2025-001",
        "result": "pass",
        "valid_until": "2026-01-10",
        "measurements": {"current_a": 200.4, "voltage_v": 24.1},
        "certificate": {"filename": "VAL-2025-001.pdf", "content_type": "application/pdf"},
        "created_at": "2025-01-10T09:15:00Z",
        "updated_at": "2025-01-10T09:15:00Z",
        "created_by": 2,
    }

    class Meta:
        model = EquipmentCalibration
        fields = [
            "id",
            "equipment",
            "kind",
            "accuracy_grade",
            "performed_on",
            "certificate_no",
            "result",
            "valid_until",
            "measurements",
            "certificate",
            "created_at",
            "updated_at",
            "created_by",
        ]
        extra_kwargs = {
            "kind": {"help_text": "`validation` or `calibration` (IEC 60974-14)."},
            "accuracy_grade": {"help_text": "`standard` or `precision` (IEC 60974-14); may be empty."},
            "result": {"help_text": "`pass` or `fail`."},
        }

    def validate(self, attrs):
        # The default validity: on create, when left out or null; on a change, when null or
        # when the day changes without a new valid_until.
        performed_changed = (
            self.instance is not None
            and "performed_on" in attrs
            and (attrs["performed_on"] != self.instance.performed_on)
        )
        if attrs.get("valid_until") is None and (
            self.instance is None or "valid_until" in attrs or performed_changed
        ):
            equipment = attrs.get("equipment", getattr(self.instance, "equipment", None))
            performed_on = attrs.get("performed_on", getattr(self.instance, "performed_on", None))
            if equipment is not None and performed_on is not None:
                try:
                    attrs["valid_until"] = cal.default_valid_until(
                        performed_on, equipment.calibration_interval_days
                    )
                except OverflowError:
                    raise serializers.ValidationError(
                        {"valid_until": ["The default validity would fall after 9999-12-31."]}
                    ) from None
        return super().validate(attrs)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"filename": {"type": "string"}, "content_type": {"type": "string"}},
        }
    )
    def get_certificate(self, obj):
        if not obj.certificate:
            return None
        return {"filename": obj.certificate_filename, "content_type": obj.certificate_content_type}


class CertificateUploadSerializer(Serializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text="The certificate: a PDF, PNG or JPEG file (by content)."
    )
