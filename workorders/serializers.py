from django.apps import apps
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from equipment.models import Equipment
from inspections.models import Inspection
from inspections.serializers import NestedFindingSerializer
from staff import welding_choices as welding
from staff.models import Employee
from workorders.models import Layer, Weld, WeldActivity, WorkOrder, WorkOrderStatus, Wps, completion_time
from workorders.selectors import WeldTest, weld_status
from workshop.api.fields import (
    ChoiceListField,
    JSONObjectField,
    LenientChoiceField,
    LenientDateField,
    SlugRelatedField,
    TextField,
)
from workshop.api.serializers import ModelSerializer, Serializer
from workshop.roles import user_may_record_history


class FailureSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class CheckSerializer(serializers.Serializer):
    """The welder check (R7): ok, the matched (or closest) qualification, what failed, what
    to know."""

    ok = serializers.BooleanField()
    qualification = serializers.CharField(allow_null=True)
    failures = FailureSerializer(many=True)
    warnings = FailureSerializer(many=True)


class OverrideSerializer(serializers.Serializer):
    reason = serializers.CharField()
    by = serializers.IntegerField(allow_null=True, help_text="The user who overrode the check.")
    at = serializers.DateTimeField()


class InspectionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Inspection
        fields = ["id", "inspection_id", "result", "defect_type", "inspected_at"]
        read_only_fields = fields


class WorkOrderSerializer(ModelSerializer):
    assigned_welder = SlugRelatedField(
        slug_field="employee_id",
        queryset=Employee.objects.all(),
        allow_null=True,
        required=False,
        help_text="The assigned employee's `employee_id` (e.g. `EMP-01`), or null.",
    )
    # allow_null and no default: with a default, DRF drops the field from PATCH answers.
    assigned_welder_name = serializers.CharField(
        source="assigned_welder.name", read_only=True, allow_null=True
    )
    is_overdue = serializers.SerializerMethodField(
        help_text="Due before today and not completed or cancelled."
    )
    completed_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the order was completed (ISO 8601). Set when the status becomes `completed`, "
        "cleared (null) when it leaves it. Managers and admins may send an earlier time for a "
        "completed order (history kept elsewhere), never one in the future; other roles may only "
        "send it back unchanged (else 422). Null or left out: worked out from the status.",
    )
    inspections = InspectionSummarySerializer(many=True, read_only=True, source="listed_inspections")
    wps = SlugRelatedField(
        slug_field="wps_id",
        queryset=Wps.objects.all(),
        allow_null=True,
        required=False,
        help_text="The WPS's `wps_id`, or null. With an assigned welder, the welder check runs.",
    )
    assignment_check = JSONObjectField(
        read_only=True,
        allow_null=True,
        help_text="The welder check `{ok, qualification, failures, warnings}` when the WPS or the "
        "welder was last set (null: no WPS or no welder).",
    )
    assignment_override = serializers.SerializerMethodField(
        help_text="`{reason, by, at}` when a manager saved an assignment the check refused, else null."
    )
    override_reason = TextField(
        write_only=True,
        required=False,
        allow_blank=True,
        min_length=10,
        max_length=500,
        help_text="Managers and admins only (else 403): saves an assignment the welder check "
        "refuses, keeping the reason, who and when. 10–500 characters.",
    )

    schema_example = {
        "id": 1,
        "order_id": "WO-1000",
        "client": "Client A",
        "description": "Pipe welding, 6in sch 40",
        "status": "in_progress",
        "due_date": "2025-12-05",
        "completed_at": None,
        "assigned_welder": "EMP-01",
        "assigned_welder_name": "John Doe",
        "is_overdue": False,
        "wps": "WPS-135-01",
        "quality_level": "C",
        "ndt_extent_percent": 10,
        "assignment_check": {"ok": True, "qualification": "ISO-135-01", "failures": [], "warnings": []},
        "assignment_override": None,
        "inspections": [
            {
                "id": 1,
                "inspection_id": "QC-100",
                "result": "pass",
                "defect_type": None,
                "inspected_at": "2025-11-24T14:30:00Z",
            }
        ],
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "order_id",
            "client",
            "description",
            "status",
            "due_date",
            "completed_at",
            "assigned_welder",
            "assigned_welder_name",
            "is_overdue",
            "inspections",
            "wps",
            "quality_level",
            "ndt_extent_percent",
            "assignment_check",
            "assignment_override",
            "override_reason",
            "created_at",
            "updated_at",
            "created_by",
        ]

    @extend_schema_field(OverrideSerializer(allow_null=True))
    def get_assignment_override(self, obj: WorkOrder) -> dict | None:
        if not obj.assignment_override_reason:
            return None
        return OverrideSerializer(
            {
                "reason": obj.assignment_override_reason,
                "by": obj.assignment_override_by_id,
                "at": obj.assignment_override_at,
            }
        ).data

    def validate(self, attrs):
        override_reason = attrs.pop("override_reason", None)
        attrs = super().validate(attrs)
        if override_reason is not None:
            attrs["override_reason"] = override_reason
        instance = self.instance
        request = self.context.get("request")
        try:
            attrs["completed_at"] = completion_time(
                status=attrs.get("status", instance.status if instance else WorkOrderStatus.PENDING),
                previous_status=instance.status if instance else None,
                stored=instance.completed_at if instance else None,
                given=attrs.get("completed_at"),
                may_set=user_may_record_history(request.user if request else None, WorkOrder),
                now=timezone.now(),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                {k: get_error_detail(DjangoValidationError(v)) for k, v in exc.error_dict.items()}
            ) from exc
        return attrs

    def get_is_overdue(self, obj: WorkOrder) -> bool:
        # "Today" once per response, not once per row.
        today = getattr(self, "_today", None)
        if today is None:
            today = self._today = timezone.localdate()
        return obj.overdue_on(today)


# ---------------------------------------------------------------------------- welding (§8)
PROCESS_FIELD = {"choices": welding.Process.choices, "aliases": welding.PROCESS_ALIASES}
POSITION_FIELD = {"choices": welding.Position.choices, "aliases": welding.POSITION_ALIASES}


@extend_schema_field(OpenApiTypes.STR)
class LazySlugRelatedField(SlugRelatedField):
    """A record of an app above this one (inventory builds on workorders) by its business
    key, its model looked up when the field is used, not when this module is imported."""

    def __init__(self, *, model: str, **kwargs):
        self.model_label = model
        super().__init__(**kwargs)

    def get_queryset(self):
        return apps.get_model(self.model_label).objects.all()


def override_reason_field(what: str) -> serializers.CharField:
    return TextField(
        write_only=True,
        required=False,
        allow_blank=True,
        min_length=10,
        max_length=500,
        help_text=f"Managers and admins only (else 403): saves {what} the welder check refuses, "
        "keeping the reason, who and when. 10–500 characters.",
    )


class WpsSerializer(ModelSerializer):
    process = LenientChoiceField(**PROCESS_FIELD, help_text="ISO 4063 number or label (135, MAG, TIG …).")
    root_process = LenientChoiceField(
        **PROCESS_FIELD, required=False, allow_blank=True, help_text="A root run's own process, or empty."
    )
    product_forms = ChoiceListField(choices=welding.ProductForm.choices, allow_empty=False)
    weld_types = ChoiceListField(choices=welding.WeldType.choices, allow_empty=False)
    positions = ChoiceListField(
        **POSITION_FIELD, allow_empty=False, help_text="ISO 6947 positions; ASME 1G…6G are mapped."
    )
    material_groups = serializers.ListField(
        child=TextField(max_length=20),
        required=False,
        help_text="ISO/TR 15608 groups, e.g. 1.1, 8.1.",
    )
    parameters = JSONObjectField(
        required=False, help_text="Welding parameters (current, voltage, speed …), a JSON object."
    )

    schema_example = {
        "id": 1,
        "wps_id": "WPS-135-01",
        "revision": "A",
        "status": "approved",
        "pqr_ref": "PQR-12",
        "process": "135",
        "root_process": "",
        "product_forms": ["P", "T"],
        "weld_types": ["BW", "FW"],
        "material_groups": ["1.1"],
        "filler_group": "FM1",
        "filler_designation": "ISO 14341-A G 42 4 M21 3Si1",
        "shielding_gas": "M21",
        "thickness_min_mm": "3.00",
        "thickness_max_mm": "30.00",
        "diameter_min_mm": None,
        "diameter_max_mm": None,
        "positions": ["PA", "PB", "PC", "PF"],
        "preheat_min_c": None,
        "interpass_max_c": 250,
        "parameters": {},
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = Wps
        fields = [
            "id",
            "wps_id",
            "revision",
            "status",
            "pqr_ref",
            "process",
            "root_process",
            "product_forms",
            "weld_types",
            "material_groups",
            "filler_group",
            "filler_designation",
            "shielding_gas",
            "thickness_min_mm",
            "thickness_max_mm",
            "diameter_min_mm",
            "diameter_max_mm",
            "positions",
            "preheat_min_c",
            "interpass_max_c",
            "parameters",
            "created_at",
            "updated_at",
            "created_by",
        ]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        low = attrs.get("thickness_min_mm", getattr(self.instance, "thickness_min_mm", None))
        high = attrs.get("thickness_max_mm", getattr(self.instance, "thickness_max_mm", None))
        if low is not None and high is not None and high < low:
            raise serializers.ValidationError({"thickness_max_mm": ["Must not be below thickness_min_mm."]})
        low = attrs.get("diameter_min_mm", getattr(self.instance, "diameter_min_mm", None))
        high = attrs.get("diameter_max_mm", getattr(self.instance, "diameter_max_mm", None))
        if low is not None and high is not None and high < low:
            raise serializers.ValidationError({"diameter_max_mm": ["Must not be below diameter_min_mm."]})
        return attrs


# What a weld's representation reads of its entries and inspections (the viewset prefetches these).
ENTRY_FIELDS = ("id", "layer", "welded_on", "weld_id", "welder__employee_id")
TEST_FIELDS = ("id", "weld_id", "method", "result", "inspected_at")


class WeldSerializer(ModelSerializer):
    order_id = SlugRelatedField(
        slug_field="order_id",
        source="order",
        queryset=WorkOrder.objects.all(),
        help_text="The work order's `order_id` (e.g. `WO-1000`).",
    )
    wps = SlugRelatedField(
        slug_field="wps_id",
        queryset=Wps.objects.all(),
        allow_null=True,
        required=False,
        help_text="The WPS's `wps_id`, or null.",
    )
    position = LenientChoiceField(**POSITION_FIELD)
    quality_level = LenientChoiceField(
        choices=welding.QualityLevel.choices,
        required=False,
        help_text="ISO 5817 B, C or D; left out on creation: the work order's, else C.",
    )
    ndt_required = ChoiceListField(
        choices=welding.NdtMethod.choices, required=False, help_text='Default ["VT"].'
    )
    status = serializers.SerializerMethodField(
        help_text=(
            "R10: planned (no weld-log entry); rejected (a required method's latest inspection "
            "failed); repaired (a repair entry since that failure, no newer inspection); accepted "
            "(every required method's latest inspection passed); else welded."
        )
    )
    welders = serializers.SerializerMethodField(help_text="The employee_ids of the weld-log entries.")
    repair_count = serializers.SerializerMethodField(help_text="Weld-log entries of layer repair.")

    schema_example = {
        "id": 1,
        "weld_id": "WO-1000-W01",
        "order_id": "WO-1000",
        "wps": "WPS-135-01",
        "joint_type": "BW",
        "product_form": "P",
        "thickness_mm": "10.00",
        "diameter_mm": None,
        "position": "PF",
        "length_mm": "500.00",
        "quality_level": "C",
        "ndt_required": ["VT", "RT"],
        "status": "welded",
        "welders": ["EMP-01"],
        "repair_count": 0,
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = Weld
        fields = [
            "id",
            "weld_id",
            "order_id",
            "wps",
            "joint_type",
            "product_form",
            "thickness_mm",
            "diameter_mm",
            "position",
            "length_mm",
            "quality_level",
            "ndt_required",
            "status",
            "welders",
            "repair_count",
            "created_at",
            "updated_at",
            "created_by",
        ]

    def validate(self, attrs):
        if self.instance is None and "quality_level" not in attrs and attrs.get("order") is not None:
            attrs["quality_level"] = attrs["order"].quality_level or welding.DEFAULT_QUALITY_LEVEL
        if self.instance is None and "ndt_required" not in attrs:
            attrs["ndt_required"] = ["VT"]
        return super().validate(attrs)

    def _entries(self, obj: Weld) -> list:
        listed = getattr(obj, "listed_activities", None)
        if listed is None:
            listed = obj.listed_activities = list(obj.activities.select_related("welder").only(*ENTRY_FIELDS))
        return listed

    def _tests(self, obj: Weld) -> list:
        listed = getattr(obj, "listed_tests", None)
        if listed is None:
            listed = obj.listed_tests = list(obj.inspections.only(*TEST_FIELDS))
        return listed

    def get_status(self, obj: Weld) -> str:
        tests = [WeldTest(i.method, i.result == "pass", i.inspected_at, i.pk) for i in self._tests(obj)]
        return weld_status(obj.ndt_required or [], self._entries(obj), tests)

    def get_welders(self, obj: Weld) -> list[str]:
        return list(dict.fromkeys(sorted(e.welder.employee_id for e in self._entries(obj))))

    def get_repair_count(self, obj: Weld) -> int:
        return sum(1 for e in self._entries(obj) if e.layer == Layer.REPAIR)


class WeldActivitySerializer(ModelSerializer):
    weld = SlugRelatedField(
        slug_field="weld_id", queryset=Weld.objects.all(), help_text="The weld's weld_id."
    )
    welder = SlugRelatedField(
        slug_field="employee_id", queryset=Employee.objects.all(), help_text="The welder's employee_id."
    )
    process = LenientChoiceField(
        **PROCESS_FIELD, required=False, help_text="ISO 4063; left out: the weld's WPS process."
    )
    consumable_lot = LazySlugRelatedField(
        model="inventory.ConsumableLot",
        slug_field="lot_id",
        allow_null=True,
        required=False,
        help_text="The consumable lot's lot_id, or null.",
    )
    equipment = SlugRelatedField(
        slug_field="equipment_id",
        queryset=Equipment.objects.all(),
        allow_null=True,
        required=False,
        help_text="The machine's equipment_id, or null.",
    )
    qualification = serializers.SlugRelatedField(
        slug_field="qualification_id",
        read_only=True,
        allow_null=True,
        help_text="The qualification the check matched (null: none matched, the entry was overridden).",
    )
    check = serializers.SerializerMethodField(
        help_text="The welder check as it ran when the entry was last written (null: never checked)."
    )
    override = OverrideSerializer(read_only=True, allow_null=True)
    override_reason = override_reason_field("an entry")

    schema_example = {
        "id": 1,
        "weld": "WO-1000-W01",
        "welder": "EMP-01",
        "process": "135",
        "layer": "complete",
        "welded_on": "2025-06-01",
        "consumable_lot": "LOT-0001",
        "equipment": None,
        "arc_seconds": 1800,
        "qualification": "ISO-135-01",
        "check": {"ok": True, "qualification": "ISO-135-01", "failures": [], "warnings": []},
        "override": None,
        "created_at": "2025-06-01T09:15:00Z",
        "updated_at": "2025-06-01T09:15:00Z",
        "created_by": 2,
    }

    class Meta:
        model = WeldActivity
        fields = [
            "id",
            "weld",
            "welder",
            "process",
            "layer",
            "welded_on",
            "consumable_lot",
            "equipment",
            "arc_seconds",
            "qualification",
            "check",
            "override",
            "override_reason",
            "created_at",
            "updated_at",
            "created_by",
        ]

    @extend_schema_field(CheckSerializer(allow_null=True))
    def get_check(self, obj: WeldActivity) -> dict | None:
        return obj.check_result or None

    def validate_welded_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError("Cannot be after today.")
        return value

    def validate(self, attrs):
        weld = attrs.get("weld", getattr(self.instance, "weld", None))
        if "process" not in attrs and self.instance is None:
            if weld is None or weld.wps is None:
                raise serializers.ValidationError(
                    {"process": ["Required: the weld has no WPS to take it from."]}
                )
            attrs["process"] = weld.wps.process
        override_reason = attrs.pop("override_reason", None)
        attrs = super().validate(attrs)
        if override_reason is not None:
            attrs["override_reason"] = override_reason
        return attrs


class QualificationCheckSerializer(Serializer):
    """A dry run of the welder check: the entry that would be written."""

    welder = SlugRelatedField(slug_field="employee_id", queryset=Employee.objects.all())
    weld = SlugRelatedField(slug_field="weld_id", queryset=Weld.objects.all())
    process = LenientChoiceField(
        **PROCESS_FIELD, required=False, help_text="Left out: the weld's WPS process."
    )
    welded_on = LenientDateField(required=False, help_text="Left out: today.")
    consumable_lot = LazySlugRelatedField(
        model="inventory.ConsumableLot", slug_field="lot_id", allow_null=True, required=False
    )
    equipment = SlugRelatedField(
        slug_field="equipment_id", queryset=Equipment.objects.all(), allow_null=True, required=False
    )
    # The rest of a weld-log entry's body, so the entry about to be sent can be checked as it
    # is: checked for what they are, but they change nothing in the check.
    layer = LenientChoiceField(choices=Layer.choices, required=False, help_text="Not part of the check.")
    arc_seconds = serializers.IntegerField(
        min_value=0, allow_null=True, required=False, help_text="Not part of the check."
    )

    def validate(self, attrs):
        if "process" not in attrs:
            if attrs["weld"].wps is None:
                raise serializers.ValidationError(
                    {"process": ["Required: the weld has no WPS to take it from."]}
                )
            attrs["process"] = attrs["weld"].wps.process
        attrs.setdefault("welded_on", timezone.localdate())
        return attrs


class EligibleWelderSerializer(serializers.Serializer):
    employee_id = serializers.CharField()
    name = serializers.CharField()
    qualification = serializers.CharField(help_text="The matched qualification's qualification_id.")
    status = serializers.CharField(help_text="The qualification's status that day (valid or expiring).")
    effective_until = serializers.DateField()


# ------------------------------------------------------------------ GET welds/{id}/trace
class TraceWorkOrderSerializer(serializers.Serializer):
    order_id = serializers.CharField()
    client = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField(help_text="pending, in_progress, on_hold, completed or cancelled.")
    due_date = serializers.DateField(allow_null=True)
    quality_level = serializers.CharField(help_text="ISO 5817 B, C or D; empty: none set.")


class TraceWpsSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text="draft, approved or superseded.")
    process = serializers.CharField(help_text="ISO 4063.")
    root_process = serializers.CharField(help_text="A root run's own process, or empty.")

    class Meta:
        model = Wps
        fields = [
            "wps_id",
            "revision",
            "status",
            "pqr_ref",
            "process",
            "root_process",
            "product_forms",
            "weld_types",
            "filler_group",
            "filler_designation",
            "thickness_min_mm",
            "thickness_max_mm",
            "diameter_min_mm",
            "diameter_max_mm",
            "positions",
        ]
        read_only_fields = fields


class TraceWelderSerializer(serializers.Serializer):
    employee_id = serializers.CharField()
    name = serializers.CharField()
    stamp = serializers.CharField(allow_null=True, help_text="The welder's mark; null: none.")


class TraceQualificationSerializer(serializers.Serializer):
    qualification_id = serializers.CharField()
    standard = serializers.CharField()
    designation = serializers.CharField()
    process = serializers.CharField()
    matched = serializers.BooleanField(
        help_text="True: the qualification the entry's check matched. False: the check failed and "
        "the entry was overridden; this is the closest qualification the check named."
    )
    status = serializers.CharField(
        allow_null=True,
        help_text="R1 as of the entry's day (valid, expiring, lapsed, expired, revoked, pending); "
        "null when it cannot be worked out under the current settings.",
    )
    effective_until = serializers.DateField(allow_null=True, help_text="As of the entry's day.")


class TraceLotSerializer(serializers.Serializer):
    lot_id = serializers.CharField()
    designation = serializers.CharField()
    filler_group = serializers.CharField()
    heat_number = serializers.CharField()
    certificate_type = serializers.CharField(help_text="EN 10204 2.1, 2.2, 3.1 or 3.2; empty: none.")
    certificate_no = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)
    expired_that_day = serializers.BooleanField(help_text="The lot had expired on the entry's day.")


class TraceEquipmentSerializer(serializers.Serializer):
    equipment_id = serializers.CharField()
    name = serializers.CharField()
    calibration_status = serializers.CharField(
        help_text="On the entry's day: not_required, none, valid, due_soon, overdue or failed."
    )
    calibration_due = serializers.DateField(allow_null=True, help_text="As known on the entry's day.")
    validated = serializers.BooleanField(
        allow_null=True,
        help_text="R7's EQUIPMENT_VALIDATION judgement for that day (null: nothing to judge).",
    )


class TraceEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    layer = serializers.CharField()
    process = serializers.CharField()
    welded_on = serializers.DateField()
    arc_seconds = serializers.IntegerField(allow_null=True)
    welder = TraceWelderSerializer()
    qualification = TraceQualificationSerializer(allow_null=True)
    consumable_lot = TraceLotSerializer(allow_null=True)
    equipment = TraceEquipmentSerializer(allow_null=True)
    check = CheckSerializer(allow_null=True, help_text="The welder check as stored with the entry.")
    override = OverrideSerializer(allow_null=True)


class TraceInspectionSerializer(serializers.ModelSerializer):
    repair_cycle = serializers.IntegerField(allow_null=True)
    findings = NestedFindingSerializer(many=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "inspection_id",
            "method",
            "result",
            "inspected_at",
            "inspector",
            "report_no",
            "examined_length_mm",
            "defect_type",
            "repair_cycle",
            "findings",
        ]
        read_only_fields = fields


class WeldTraceSerializer(serializers.Serializer):
    """`GET welds/{id}/trace`: the weld, its work order, WPS, weld log and inspections."""

    schema_example = {
        "weld": {**WeldSerializer.schema_example, "weld_id": "W1", "status": "accepted", "repair_count": 1},
        "work_order": {
            "order_id": "WO-1000",
            "client": "Client 1",
            "description": "Pipe welding",
            "status": "in_progress",
            "due_date": "2025-06-30",
            "quality_level": "C",
        },
        "wps": {
            "wps_id": "WPS-135-01",
            "revision": "A",
            "status": "approved",
            "pqr_ref": "PQR-12",
            "process": "135",
            "root_process": "",
            "product_forms": ["P", "T"],
            "weld_types": ["BW", "FW"],
            "filler_group": "FM1",
            "filler_designation": "ISO 14341-A G 42 4 M21 3Si1",
            "thickness_min_mm": 3.0,
            "thickness_max_mm": 30.0,
            "diameter_min_mm": None,
            "diameter_max_mm": None,
            "positions": ["PA", "PB", "PC", "PF"],
        },
        "entries": [
            {
                "id": 1,
                "layer": "root",
                "process": "135",
                "welded_on": "2025-06-01",
                "arc_seconds": 1800,
                "welder": {"employee_id": "EMP-01", "name": "John Doe", "stamp": "JD1"},
                "qualification": {
                    "qualification_id": "ISO-135-01",
                    "standard": "iso_9606_1",
                    "designation": "ISO 9606-1 135 P BW FM1 S t10 PF ss nb",
                    "process": "135",
                    "matched": True,
                    "status": "valid",
                    "effective_until": "2025-09-10",
                },
                "consumable_lot": {
                    "lot_id": "LOT-0001",
                    "designation": "ISO 14341-A G 42 4 M21 3Si1",
                    "filler_group": "FM1",
                    "heat_number": "H4471",
                    "certificate_type": "3.1",
                    "certificate_no": "CERT-8812",
                    "expires_on": "2026-01-31",
                    "expired_that_day": False,
                },
                "equipment": {
                    "equipment_id": "EQ-007",
                    "name": "MIG Welder 7",
                    "calibration_status": "valid",
                    "calibration_due": "2026-01-10",
                    "validated": True,
                },
                "check": {"ok": True, "qualification": "ISO-135-01", "failures": [], "warnings": []},
                "override": None,
            }
        ],
        "inspections": [
            {
                "id": 2,
                "inspection_id": "QC-101",
                "method": "RT",
                "result": "fail",
                "inspected_at": "2025-06-03T10:00:00Z",
                "inspector": "Inspector X",
                "report_no": "RT-2025-0112",
                "examined_length_mm": 500.0,
                "defect_type": "porosity",
                "repair_cycle": 0,
                "findings": [
                    {
                        "id": 7,
                        "code": "2013",
                        "group": 2,
                        "label": "Clustered (localized) porosity",
                        "size_mm": 2.5,
                        "length_mm": 30.0,
                        "location": "120 mm from the datum",
                        "quality_level": "",
                        "verdict": "reject",
                    }
                ],
            }
        ],
    }

    weld = WeldSerializer()
    work_order = TraceWorkOrderSerializer()
    wps = TraceWpsSerializer(allow_null=True)
    entries = TraceEntrySerializer(many=True)
    inspections = TraceInspectionSerializer(many=True)
