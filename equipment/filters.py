import django_filters
from django.db.models import Q
from django.utils import timezone

from equipment.calibrations import statuses_of
from equipment.models import (
    EQUIPMENT_STATUS_ALIASES,
    CalibrationKind,
    CalibrationResult,
    CalibrationStatus,
    Equipment,
    EquipmentCalibration,
    EquipmentStatus,
    service_overdue_q,
)
from workshop.api.filters import BaseFilterSet, ChoiceListFilter, LenientDateFilter, StrictBooleanFilter


class AsOfFilter(LenientDateFilter):
    """`as_of=YYYY-MM-DD`: the day computed values answer for (the view reads it); filters
    nothing by itself."""

    def filter(self, qs, value):
        return qs


class EquipmentFilter(BaseFilterSet):
    status = ChoiceListFilter(
        choices=EquipmentStatus.choices,
        aliases=EQUIPMENT_STATUS_ALIASES,
        help_text="One status or a comma list.",
    )
    service_overdue = StrictBooleanFilter(method="filter_service_overdue")
    as_of = AsOfFilter(label="The day calibration_status answers for (default today).")
    # Computed as of `as_of`: declared last, so it sees the other filters.
    calibration_status = ChoiceListFilter(
        choices=CalibrationStatus.choices,
        method="filter_calibration_status",
        help_text="One calibration status as of `as_of`, or a comma list.",
    )

    class Meta:
        model = Equipment
        fields = ["status", "service_overdue", "as_of", "calibration_status"]

    def filter_service_overdue(self, queryset, name, value):
        # Not `exclude()`: the generated column is declared non-null, so NOT (due < today)
        # would drop the equipment that has no next service date.
        query = service_overdue_q()
        return queryset.filter(query if value else ~query | Q(next_service_due__isnull=True))

    def filter_calibration_status(self, queryset, name, value):
        """Worked out in bulk (two queries) for the rows the other filters kept."""
        if not value:
            return queryset
        on = self.form.cleaned_data.get("as_of") or timezone.localdate()
        wanted = set(value)
        ids = [pk for pk, status in statuses_of(queryset, on=on).items() if status in wanted]
        return queryset.filter(pk__in=ids)


class EquipmentCalibrationFilter(BaseFilterSet):
    equipment = django_filters.CharFilter(
        field_name="equipment__equipment_id", lookup_expr="iexact", help_text="A machine's `equipment_id`."
    )
    kind = ChoiceListFilter(choices=CalibrationKind.choices, help_text="`validation` or `calibration`.")
    result = ChoiceListFilter(choices=CalibrationResult.choices, help_text="`pass` or `fail`.")
    performed_from = LenientDateFilter(
        field_name="performed_on", lookup_expr="gte", help_text="`performed_on` on or after this day."
    )
    performed_to = LenientDateFilter(
        field_name="performed_on", lookup_expr="lte", help_text="`performed_on` on or before this day."
    )

    class Meta:
        model = EquipmentCalibration
        fields = ["equipment", "kind", "result", "performed_from", "performed_to"]
