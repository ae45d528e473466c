from workorders.models import WorkOrder, WorkOrderStatus, overdue_q
from workshop.api.filters import (
    BaseFilterSet,
    ChoiceListFilter,
    LenientDateFilter,
    LocalDayFilter,
    StrictBooleanFilter,
    django_filters,
)


class WorkOrderFilter(BaseFilterSet):
    status = ChoiceListFilter(choices=WorkOrderStatus.choices, help_text="One status or a comma list.")
    client = django_filters.CharFilter(lookup_expr="iexact")
    assigned_welder = django_filters.CharFilter(
        field_name="assigned_welder__employee_id",
        lookup_expr="iexact",
        help_text="An employee's employee_id.",
    )
    due_from = LenientDateFilter(field_name="due_date", lookup_expr="gte")
    due_to = LenientDateFilter(field_name="due_date", lookup_expr="lte")
    completed_from = LocalDayFilter(
        field_name="completed_at", bound="from", label="Completed on or after (date)"
    )
    completed_to = LocalDayFilter(
        field_name="completed_at", bound="to", label="Completed on or before (date)"
    )
    overdue = StrictBooleanFilter(method="filter_overdue")

    class Meta:
        model = WorkOrder
        fields = [
            "status",
            "client",
            "assigned_welder",
            "due_from",
            "due_to",
            "completed_from",
            "completed_to",
            "overdue",
        ]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())
