"""R9 on the records: an inspection's result and defect type follow from its findings
(inspections/finding_rules.py decides; this module reads and writes, in bulk).

- **Legacy** input (`{result: fail, defect_type}` and no findings) becomes one rejected
  finding with the defect type's first ISO 6520-1 code. A finding that says no more than that
  (rejected; no size, length, location or quality level of its own: "legacy-shaped") stands
  for the defect type, so a later legacy write moves it along: `pass` removes it, another
  defect type recodes it. Old clients and the shop's `04_QC_Logs.xlsx` keep working.
- Any other findings decide: `result` is `fail` iff one is rejected, `defect_type` that of the
  first rejected one (`rederive` after a finding's write).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from inspections import finding_rules as rules
from inspections.models import Inspection, InspectionResult, WeldFinding
from workshop.history.records import CREATED, UPDATED, record_rows


def legacy_shaped(findings: list) -> bool:
    """Whether the findings are the one a legacy defect type makes (or could have made)."""
    if len(findings) != 1:
        return False
    f = findings[0]
    return (
        f.verdict == rules.REJECT
        and f.size_mm is None
        and f.length_mm is None
        and not f.location
        and not f.quality_level
    )


def sync_legacy(inspections: Iterable[Inspection], user=None) -> None:
    """After a legacy write (no findings sent): the legacy finding made, moved or removed so
    the findings say what `result`/`defect_type` say. Three queries at most, whatever the
    number of inspections; findings that are not legacy-shaped are left alone (R9 was checked
    before the write)."""
    inspections = [i for i in inspections if i.pk is not None]
    if not inspections:
        return
    by_inspection: dict[int, list[WeldFinding]] = defaultdict(list)
    for finding in WeldFinding.objects.filter(inspection_id__in=[i.pk for i in inspections]):
        by_inspection[finding.inspection_id].append(finding)
    new, recode, drop = [], [], []
    for inspection in inspections:
        findings = by_inspection.get(inspection.pk, [])
        failed = inspection.result == InspectionResult.FAIL and inspection.defect_type
        if not findings:
            if failed:
                by = user if user is not None and getattr(user, "is_authenticated", False) else None
                new.append(
                    WeldFinding(
                        inspection=inspection,
                        code=rules.legacy_code(inspection.defect_type),
                        verdict=rules.REJECT,
                        created_by=by or inspection.created_by,
                    )
                )
        elif legacy_shaped(findings):
            finding = findings[0]
            if not failed:
                drop.append(finding.pk)
            elif rules.defect_type_of(finding.code) != inspection.defect_type:
                finding.code = rules.legacy_code(inspection.defect_type)
                recode.append(finding)
    if new:
        WeldFinding.objects.bulk_create(new)
        record_rows(WeldFinding, new, CREATED)
    if recode:
        WeldFinding.objects.bulk_update(recode, ["code", "updated_at"])
        record_rows(WeldFinding, recode, UPDATED)
    if drop:
        WeldFinding.objects.filter(pk__in=drop).delete()


def decision_for(inspection: Inspection, findings: list, result: str | None = None) -> rules.Decision:
    return rules.decide(result, [f.as_rule() for f in findings], inspection.quality_level())


def rederive(inspection_ids: Iterable[int]) -> None:
    """After findings were written: each inspection's result and defect type from its
    findings (none left: a pass)."""
    ids = set(inspection_ids)
    if not ids:
        return
    inspections = {
        i.pk: i for i in Inspection.objects.select_related("weld", "work_order").filter(pk__in=ids)
    }
    by_inspection: dict[int, list[WeldFinding]] = defaultdict(list)
    for finding in WeldFinding.objects.filter(inspection_id__in=ids):
        by_inspection[finding.inspection_id].append(finding)
    changed = []
    for pk, inspection in inspections.items():
        decision = decision_for(inspection, by_inspection.get(pk, []))
        if (inspection.result, inspection.defect_type) != (decision.result, decision.defect_type):
            inspection.result, inspection.defect_type = decision.result, decision.defect_type
            changed.append(inspection)
    if changed:
        Inspection.objects.bulk_update(changed, ["result", "defect_type", "updated_at"])
        record_rows(Inspection, changed, UPDATED)


def repair_cycle_expression():
    """How many inspections of the same weld by the same method came before (by inspection
    time, then id); null for an inspection of no weld."""
    earlier = (
        Inspection.objects.filter(weld_id=OuterRef("weld_id"), method=OuterRef("method"))
        .filter(
            Q(inspected_at__lt=OuterRef("inspected_at"))
            | Q(inspected_at=OuterRef("inspected_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("weld_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Case(
        When(weld__isnull=True, then=Value(None)),
        default=Coalesce(Subquery(earlier, output_field=IntegerField()), Value(0)),
        output_field=IntegerField(),
    )


def repair_cycle_of(inspection: Inspection) -> int | None:
    if inspection.weld_id is None:
        return None
    return (
        Inspection.objects.filter(weld_id=inspection.weld_id, method=inspection.method)
        .filter(
            Q(inspected_at__lt=inspection.inspected_at)
            | Q(inspected_at=inspection.inspected_at, pk__lt=inspection.pk)
        )
        .count()
    )


def first_finding(field: str):
    """An export column's value: the first rejected finding's `field`, else the first
    finding's. A length is read as a float: the same number on every database (a decimal from
    a subquery keeps its places on PostgreSQL, not on SQLite)."""
    value = Subquery(
        WeldFinding.objects.filter(inspection_id=OuterRef("pk"))
        .order_by(F("verdict").desc(), "pk")
        .values(field)[:1],
        output_field=WeldFinding._meta.get_field(field),
    )
    if isinstance(WeldFinding._meta.get_field(field), DecimalField):
        return Cast(value, FloatField())
    return value
