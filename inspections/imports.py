"""The inspections app's spreadsheets (WELDING.md §5).

- **inspections**: the shop's columns, then `WeldID`, `ISO6520` and `FindingLength`. A row
  with an `ISO6520` code records that finding (rejected if the row's result is `fail`, else
  accepted; its length `FindingLength`), unless the inspection already has a finding with that
  code (then only its length follows the file); a legacy finding (rejected, nothing but a
  code) gives way to it. A failed row without a code is the legacy input: one rejected finding
  with the defect type's first code (R9), so the shop's `04_QC_Logs.xlsx` imports as before.
  Exports write the first rejected finding (else the first finding): its code and length.
- **findings**: one row per finding, `ID` (exports write it; empty: a new finding),
  `InspectionID`, `ISO6520`, `Size`, `Length`, `Location`, `QualityLevel`, `Verdict`. Each
  imported finding re-derives its inspection's result and defect type (R9).
"""

from django.core.exceptions import ValidationError
from rest_framework import serializers

from inspections import finding_rules as rules
from inspections import services
from inspections.models import Inspection, InspectionResult, WeldFinding
from inspections.serializers import FindingCodeField, InspectionSerializer, WeldFindingSerializer
from workorders.models import Weld, WorkOrder
from workshop.history.records import CREATED, UPDATED, record_rows
from workshop.imports.spec import Column, Related, ResourceSpec


def _level(attrs: dict, current, cache: dict) -> str:
    weld = attrs.get("weld", getattr(current, "weld", None))
    order = attrs.get("work_order", getattr(current, "work_order", None))
    return Inspection(weld=weld, work_order=order).quality_level()


def prepare_inspection_row(attrs: dict, current, **context) -> None:
    """R9 on a row: its `ISO6520` finding may not be an accepted crack, and gives the defect
    type of a failed row; a changed result must agree with the inspection's findings."""
    cache = context.get("cache", {})
    code = attrs.get("iso6520")
    if attrs.get("finding_length") is not None and not code:
        raise ValidationError({"finding_length": "A finding length needs its ISO6520 code."})
    result = attrs.get("result", getattr(current, "result", None))
    changes_result = current is not None and attrs.get("result", current.result) != current.result
    changes_defect = (
        current is not None and attrs.get("defect_type", current.defect_type) != current.defect_type
    )
    stored = []
    if current is not None and (code or changes_result or changes_defect):
        stored = list(current.findings.all())
        if services.legacy_shaped(stored) and all(f.code != code for f in stored):
            stored = []  # the legacy finding gives way to the row's
    rows = [f.as_rule() for f in stored]
    if code and all(f.code != code for f in rows):  # a finding the row adds
        verdict = rules.REJECT if result == InspectionResult.FAIL else rules.ACCEPT
        try:
            rules.check_verdict(code, verdict, _level(attrs, current, cache))
        except rules.FindingRuleError as exc:
            raise ValidationError({"iso6520": exc.message}) from None
        rows.append(rules.Finding(code, verdict))
    if not rows:
        return
    try:
        decision = rules.decide(result, rows, _level(attrs, current, cache))
    except rules.FindingRuleError as exc:
        raise ValidationError({"result": exc.message}) from None
    given = attrs.get("defect_type")
    if given and decision.defect_type and given != decision.defect_type:
        raise ValidationError(
            {"defect_type": f"The findings say {decision.defect_type} (ISO6520 {code or rows[0].code})."}
        )
    attrs["defect_type"] = decision.defect_type


def write_iso6520(*, rows: list, user, write: bool) -> set[int]:
    """Each row's ISO6520 finding recorded (when `write`); the positions that change something.
    Two queries a batch, plus the writes."""
    wanted = {i: values for i, (_obj, values) in enumerate(rows) if values.get("iso6520")}
    known = [rows[i][0].pk for i in wanted if rows[i][0].pk is not None]
    stored: dict[int, list[WeldFinding]] = {}
    for finding in WeldFinding.objects.filter(inspection_id__in=known):
        stored.setdefault(finding.inspection_id, []).append(finding)
    by = user if user is not None and user.is_authenticated else None
    changing, new, lengths, drop = set(), [], [], []
    for i, values in wanted.items():
        inspection = rows[i][0]
        findings = stored.get(inspection.pk, [])
        code, length = values["iso6520"], values.get("finding_length")
        same = next((f for f in findings if f.code == code), None)
        if same is not None:
            if length is not None and same.length_mm != length:
                same.length_mm = length
                lengths.append(same)
                changing.add(i)
            continue
        if services.legacy_shaped(findings):
            drop.append(findings[0].pk)
        verdict = rules.REJECT if inspection.result == InspectionResult.FAIL else rules.ACCEPT
        new.append(
            WeldFinding(inspection=inspection, code=code, verdict=verdict, length_mm=length, created_by=by)
        )
        changing.add(i)
    if write:
        if drop:
            WeldFinding.objects.filter(pk__in=drop).delete()
        if new:
            WeldFinding.objects.bulk_create(new)
            record_rows(WeldFinding, new, CREATED)
        if lengths:
            WeldFinding.objects.bulk_update(lengths, ["length_mm", "updated_at"])
            record_rows(WeldFinding, lengths, UPDATED)
    return changing


def sync_imported_inspections(*, created: list, updated: list, user) -> None:
    """The legacy rule for the rows written: a failed inspection without findings gets its
    legacy finding; a legacy finding follows a changed result or defect type."""
    touched = [*created, *(obj for obj, changed, _old in updated if {"result", "defect_type"} & set(changed))]
    for start in range(0, len(touched), 2000):
        services.sync_legacy(touched[start : start + 2000], user=user)


SPEC = ResourceSpec(
    resource="inspections",
    model=Inspection,
    serializer_class=InspectionSerializer,
    key="inspection_id",
    columns=(
        Column("inspection_id", "InspectionID"),
        Column("order_id", "OrderID", source="work_order__order_id"),
        Column("inspector", "Inspector"),
        Column("result", "Result"),
        Column("defect_type", "DefectType"),
        Column("method", "Method"),
        Column("inspected_at", "InspectedAt"),
        Column("notes", "Notes"),
        # WELDING.md §5 (after the shop's own)
        Column("weld_id", "WeldID", source="weld__weld_id"),
        Column("report_no", "ReportNo"),
        Column("examined_length_mm", "ExaminedLength"),
        Column("iso6520", "ISO6520", aliases=("ISO 6520", "FindingCode"), virtual=True),
        Column("finding_length", "FindingLength", virtual=True),
    ),
    related={"order_id": Related(WorkOrder, keys=("order_id",)), "weld_id": Related(Weld, keys=("weld_id",))},
    prepare_row=prepare_inspection_row,
    prepare_row_context=True,
    virtual_fields={
        "iso6520": FindingCodeField(
            required=False,
            allow_null=True,
            allow_blank=True,
            help_text="An ISO 6520-1 finding: rejected on a failed row, else accepted.",
        ),
        "finding_length": serializers.DecimalField(
            max_digits=10,
            decimal_places=2,
            min_value=0,
            required=False,
            allow_null=True,
            help_text="The ISO6520 finding's length (mm).",
        ),
    },
    virtual_exports={
        "iso6520": services.first_finding("code"),
        "finding_length": services.first_finding("length_mm"),
    },
    write_virtual=write_iso6520,
    after_write=sync_imported_inspections,
)


def prepare_finding_row(attrs: dict, current, **context) -> None:
    inspection = attrs.get("inspection", getattr(current, "inspection", None))
    if current is not None and inspection is not None and inspection.pk != current.inspection_id:
        raise ValidationError({"inspection": "A finding stays with its inspection: delete it and add one."})
    code = attrs.get("code", getattr(current, "code", None))
    verdict = attrs.get("verdict", getattr(current, "verdict", None))
    if code is None or verdict is None or inspection is None:
        return
    cache = context.get("cache", {})
    levels = cache.setdefault("levels", {})
    level = attrs.get("quality_level", getattr(current, "quality_level", ""))
    if not level:
        if inspection.pk not in levels:
            levels[inspection.pk] = inspection.quality_level()
        level = levels[inspection.pk]
    try:
        rules.check_verdict(code, verdict, level)
    except rules.FindingRuleError as exc:
        raise ValidationError({"verdict": exc.message}) from None


def rederive_imported(*, created: list, updated: list, user) -> None:
    services.rederive({f.inspection_id for f in created} | {f.inspection_id for f, _c, _o in updated})


FINDINGS_SPEC = ResourceSpec(
    resource="findings",
    model=WeldFinding,
    serializer_class=WeldFindingSerializer,
    key="id",  # no business key; a row without an ID is a new finding
    key_is_id=True,
    columns=(
        Column("id", "ID"),
        Column("inspection_id", "InspectionID", source="inspection__inspection_id"),
        Column("code", "ISO6520", aliases=("Code",)),
        Column("size_mm", "Size"),
        Column("length_mm", "Length"),
        Column("location", "Location"),
        Column("quality_level", "QualityLevel"),
        Column("verdict", "Verdict"),
    ),
    related={"inspection_id": Related(Inspection, keys=("inspection_id",))},
    prepare_row=prepare_finding_row,
    prepare_row_context=True,
    after_write=rederive_imported,
)
SPECS = (FINDINGS_SPEC,)
