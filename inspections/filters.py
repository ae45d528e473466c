from __future__ import annotations

import django_filters

from inspections import finding_rules as rules
from inspections.models import (
    DefectType,
    Inspection,
    InspectionMethod,
    InspectionResult,
    Verdict,
    WeldFinding,
)
from workshop.api.filters import BaseFilterSet, ChoiceListFilter, LocalDayFilter


class InspectionFilter(BaseFilterSet):
    order_id = django_filters.CharFilter(
        field_name="work_order__order_id", lookup_expr="iexact", help_text="The work order's order_id."
    )
    result = ChoiceListFilter(choices=InspectionResult.choices, help_text="`pass`, `fail` or both.")
    inspector = django_filters.CharFilter(lookup_expr="iexact")
    defect_type = ChoiceListFilter(choices=DefectType.choices, help_text="One defect type or a comma list.")
    method = ChoiceListFilter(choices=InspectionMethod.choices, help_text="One method or a comma list.")
    inspected_from = LocalDayFilter(
        field_name="inspected_at", bound="from", label="Inspected on or after (date)"
    )
    inspected_to = LocalDayFilter(
        field_name="inspected_at", bound="to", label="Inspected on or before (date)"
    )

    class Meta:
        model = Inspection
        fields = [
            "order_id",
            "result",
            "inspector",
            "defect_type",
            "method",
            "inspected_from",
            "inspected_to",
        ]


class WeldFindingFilter(BaseFilterSet):
    code = ChoiceListFilter(choices=rules.CODE_CHOICES, help_text="One ISO 6520-1 code or a comma list.")
    verdict = ChoiceListFilter(choices=Verdict.choices, help_text="`accept`, `reject` or both.")
    weld = django_filters.CharFilter(
        field_name="inspection__weld__weld_id", lookup_expr="iexact", help_text="The weld's `weld_id`."
    )
    inspection_id = django_filters.CharFilter(
        field_name="inspection__inspection_id", lookup_expr="iexact", help_text="The inspection's id."
    )

    class Meta:
        model = WeldFinding
        fields = ["code", "verdict", "weld", "inspection_id"]
