from django.db.models import Q

from equipment.models import EQUIPMENT_STATUS_ALIASES, Equipment, EquipmentStatus, service_overdue_q
from workshop.api.filters import BaseFilterSet, ChoiceListFilter, StrictBooleanFilter


class EquipmentFilter(BaseFilterSet):
    status = ChoiceListFilter(
        choices=EquipmentStatus.choices,
        aliases=EQUIPMENT_STATUS_ALIASES,
        help_text="One status or a comma list.",
    )
    service_overdue = StrictBooleanFilter(method="filter_service_overdue")

    class Meta:
        model = Equipment
        fields = ["status", "service_overdue"]

    def filter_service_overdue(self, queryset, name, value):
        # Not `exclude()`: the generated column is declared non-null, so NOT (due < today)
        # would drop the equipment that has no next service date.
        query = service_overdue_q()
        return queryset.filter(query if value else ~query | Q(next_service_due__isnull=True))
