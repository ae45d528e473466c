from django.db import transaction
from rest_framework import serializers

from inspections import finding_rules as rules
from inspections import services
from inspections.models import DefectType, Inspection, InspectionResult, WeldFinding
from workorders.models import Weld, WorkOrder
from workshop.api.fields import LenientChoiceField, SlugRelatedField
from workshop.api.serializers import ModelSerializer
from workshop.history.records import CREATED, record_rows


class FindingCodeField(LenientChoiceField):
    """An ISO 6520-1 code: `"2011"`, a spreadsheet's number `2011`, or its label
    (`"Gas pore"`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", rules.CODE_CHOICES)
        kwargs.setdefault("aliases", {c.label: c.code for c in rules.CODES.values()})
        kwargs.setdefault("help_text", "The ISO 6520-1 code (e.g. `2011` gas pore, `100` crack), or `other`.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, int | float) and not isinstance(data, bool) and float(data).is_integer():
            data = str(int(data))
        return super().to_internal_value(data)


class FindingFieldsMixin(serializers.Serializer):
    code = FindingCodeField()
    group = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="ISO 6520-1 group 1–6 (null for `other`)."
    )
    label = serializers.CharField(read_only=True, help_text="The code's ISO 6520-1 term.")


FINDING_FIELDS = ["code", "group", "label", "size_mm", "length_mm", "location", "quality_level", "verdict"]


class NestedFindingSerializer(FindingFieldsMixin, ModelSerializer):
    """A finding inside its inspection."""

    class Meta:
        model = WeldFinding
        fields = ["id", *FINDING_FIELDS]


class InspectionSerializer(ModelSerializer):
    order_id = SlugRelatedField(
        slug_field="order_id",
        source="work_order",
        queryset=WorkOrder.objects.all(),
        help_text="The inspected work order's `order_id` (e.g. `WO-1000`).",
    )
    weld_id = SlugRelatedField(
        slug_field="weld_id",
        source="weld",
        queryset=Weld.objects.all(),
        allow_null=True,
        required=False,
        help_text="The examined weld's `weld_id` (one of the work order's welds), or null.",
    )
    defect_type = LenientChoiceField(
        choices=DefectType.choices,
        allow_null=True,
        required=False,
        help_text="Derived from the findings when there are any (R9): the first rejected finding's. "
        "Without findings (a legacy client): required for a `fail` (it becomes one rejected finding), null "
        'for a `pass`; `"None"` or `""` mean null.',
    )
    findings = NestedFindingSerializer(
        many=True,
        required=False,
        help_text="The ISO 6520-1 findings; sent on a write, they replace the inspection's findings.",
    )
    repair_cycle = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="How many inspections of the same weld by the same method came before this one "
        "(null without a weld).",
    )

    schema_example = {
        "id": 2,
        "inspection_id": "QC-101",
        "order_id": "WO-1000",
        "weld_id": "WO-1000-W02",
        "inspector": "Inspector X",
        "result": "fail",
        "defect_type": "porosity",
        "method": "UT",
        "inspected_at": "2025-11-24T14:30:00Z",
        "notes": "Cluster porosity at 3 o'clock, repair and re-test.",
        "report_no": "UT-2025-0112",
        "examined_length_mm": 500.0,
        "findings": [
            {
                "id": 7,
                "code": "2013",
                "group": 2,
                "label": "Clustered (localized) porosity",
                "size_mm": 2.5,
                "length_mm": 30.0,
                "location": "3 o'clock, 120 mm from the datum",
                "quality_level": "",
                "verdict": "reject",
            }
        ],
        "repair_cycle": 0,
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = Inspection
        fields = [
            "id",
            "inspection_id",
            "order_id",
            "weld_id",
            "inspector",
            "result",
            "defect_type",
            "method",
            "inspected_at",
            "notes",
            "report_no",
            "examined_length_mm",
            "findings",
            "repair_cycle",
            "created_at",
            "updated_at",
            "created_by",
        ]

    def validate(self, attrs):
        # A PUT replaces the record: a defect type it does not send is the default, null (so a
        # PUT of a failed inspection as a `pass` need not send `"defect_type": null`). A PATCH
        # changes only what it sends, and `{"result": "pass"}` alone on a failed one is a 422.
        if not self.partial and attrs.get("result") == InspectionResult.PASS and "defect_type" not in attrs:
            attrs["defect_type"] = None
        self._decide(attrs)
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            # The model names the weld by its field (`weld`); the API and the file by `weld_id`.
            if isinstance(exc.detail, dict) and "weld" in exc.detail:
                exc.detail["weld_id"] = exc.detail.pop("weld")
            raise

    def _decide(self, attrs) -> None:
        """R9: findings (sent, else stored unless legacy-shaped) decide `result` must agree and
        give `defect_type`; without them the legacy rule (the model's clean()) holds."""
        instance = self.instance
        findings = attrs.get("findings")
        if findings is not None:
            # A PATCH's nested findings are partial too: the list replaces the stored one, so
            # each finding still needs its code and verdict (a 422 naming them, not a 500).
            missing = {
                f"findings[{i}].{name}": ["This field is required."]
                for i, f in enumerate(findings)
                for name in ("code", "verdict")
                if name not in f
            }
            if missing:
                raise serializers.ValidationError(missing)
            rows = [rules.Finding(f["code"], f["verdict"], f.get("quality_level") or "") for f in findings]
        elif instance is not None:
            stored = list(instance.findings.all())
            if not stored or services.legacy_shaped(stored):
                return
            rows = [f.as_rule() for f in stored]
        else:
            return
        if not rows:
            return
        candidate = Inspection(
            work_order=attrs.get("work_order", getattr(instance, "work_order", None)),
            weld=attrs.get("weld", getattr(instance, "weld", None)),
        )
        result = attrs.get("result", getattr(instance, "result", None))
        decision = rules.decide(result, rows, candidate.quality_level())
        attrs["result"], attrs["defect_type"] = decision.result, decision.defect_type

    def _write_findings(self, inspection, findings) -> None:
        user = getattr(self.context.get("request"), "user", None)
        by = user if user is not None and user.is_authenticated else None
        if findings is not None:
            inspection.findings.all().delete()
            created = WeldFinding.objects.bulk_create(
                WeldFinding(inspection=inspection, created_by=by, **data) for data in findings
            )
            record_rows(WeldFinding, created, CREATED)
        services.sync_legacy([inspection], user=by)
        if hasattr(inspection, "_prefetched_objects_cache"):
            inspection._prefetched_objects_cache.pop("findings", None)

    def create(self, validated_data):
        findings = validated_data.pop("findings", None)
        with transaction.atomic():
            inspection = super().create(validated_data)
            self._write_findings(inspection, findings)
        return inspection

    def update(self, instance, validated_data):
        findings = validated_data.pop("findings", None)
        with transaction.atomic():
            inspection = super().update(instance, validated_data)
            self._write_findings(inspection, findings)
        inspection.__dict__.pop("repair_cycle", None)  # the list's annotation, from before the change
        return inspection

    def to_representation(self, instance):
        if not hasattr(instance, "repair_cycle"):
            instance.repair_cycle = services.repair_cycle_of(instance)
        return super().to_representation(instance)


class WeldFindingSerializer(FindingFieldsMixin, ModelSerializer):
    """A finding as a resource of its own (`findings`): its write re-derives its inspection's
    result and defect type (R9), or is refused."""

    inspection_id = SlugRelatedField(
        slug_field="inspection_id",
        source="inspection",
        queryset=Inspection.objects.select_related("weld", "work_order"),
        help_text="The inspection's `inspection_id` (e.g. `QC-101`); a finding stays with its inspection.",
    )
    weld_id = serializers.CharField(
        source="inspection.weld.weld_id",
        read_only=True,
        allow_null=True,  # no weld: null (a default would be skipped in a PATCH's answer)
        help_text="The examined weld's `weld_id` (the inspection's), or null.",
    )

    schema_example = {
        "id": 7,
        "inspection_id": "QC-101",
        "weld_id": "WO-1000-W02",
        "code": "2013",
        "group": 2,
        "label": "Clustered (localized) porosity",
        "size_mm": 2.5,
        "length_mm": 30.0,
        "location": "3 o'clock, 120 mm from the datum",
        "quality_level": "",
        "verdict": "reject",
        "created_at": "2025-11-24T14:35:00Z",
        "updated_at": "2025-11-24T14:35:00Z",
        "created_by": 2,
    }

    class Meta:
        model = WeldFinding
        fields = ["id", "inspection_id", "weld_id", *FINDING_FIELDS, "created_at", "updated_at", "created_by"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance
        inspection = attrs.get("inspection", getattr(instance, "inspection", None))
        if instance is not None and inspection.pk != instance.inspection_id:
            raise serializers.ValidationError(
                {
                    "inspection_id": [
                        "A finding stays with its inspection: delete it and add one to the other."
                    ]
                }
            )
        code = attrs.get("code", getattr(instance, "code", None))
        verdict = attrs.get("verdict", getattr(instance, "verdict", None))
        level = (
            attrs.get("quality_level", getattr(instance, "quality_level", "")) or inspection.quality_level()
        )
        rules.check_verdict(code, verdict, level)
        return attrs

    def create(self, validated_data):
        with transaction.atomic():
            finding = super().create(validated_data)
            services.rederive([finding.inspection_id])
        return finding

    def update(self, instance, validated_data):
        with transaction.atomic():
            finding = super().update(instance, validated_data)
            services.rederive([finding.inspection_id])
        return finding
