from django.db.models import Exists, OuterRef, Q

from staff import welding_choices as welding
from workorders.models import Weld, WeldActivity, WorkOrder, WorkOrderStatus, Wps, WpsStatus, overdue_q
from workorders.selectors import WELD_STATUSES, weld_status_q, with_weld_status
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


# ---------------------------------------------------------------------------- welding (§8)
class WpsFilter(BaseFilterSet):
    status = ChoiceListFilter(choices=WpsStatus.choices, help_text="One status or a comma list.")
    process = ChoiceListFilter(
        choices=welding.Process.choices,
        aliases=welding.PROCESS_ALIASES,
        help_text="ISO 4063 numbers or labels.",
    )

    class Meta:
        model = Wps
        fields = ["status", "process"]


class WeldFilter(BaseFilterSet):
    order_id = django_filters.CharFilter(field_name="order__order_id", lookup_expr="iexact")
    status = ChoiceListFilter(
        choices=[(s, s) for s in WELD_STATUSES],
        method="filter_status",
        help_text="R10 statuses, comma-separated: planned, welded, rejected, repaired, accepted.",
    )
    welder = django_filters.CharFilter(
        method="filter_welder", help_text="An employee_id with an entry on the weld."
    )

    class Meta:
        model = Weld
        fields = ["order_id", "status", "welder"]

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        q = Q(pk__in=[])
        for status in value:
            q |= weld_status_q(status)
        return with_weld_status(queryset).filter(q)

    def filter_welder(self, queryset, name, value):
        logged = WeldActivity.objects.filter(weld_id=OuterRef("pk"), welder__employee_id__iexact=value)
        return queryset.filter(Exists(logged))


class WeldActivityFilter(BaseFilterSet):
    welder = django_filters.CharFilter(field_name="welder__employee_id", lookup_expr="iexact")
    process = ChoiceListFilter(choices=welding.Process.choices, aliases=welding.PROCESS_ALIASES)
    lot = django_filters.CharFilter(field_name="consumable_lot__lot_id", lookup_expr="iexact")
    welded_from = LenientDateFilter(field_name="welded_on", lookup_expr="gte")
    welded_to = LenientDateFilter(field_name="welded_on", lookup_expr="lte")
    overridden = StrictBooleanFilter(field_name="overridden")

    class Meta:
        model = WeldActivity
        fields = ["welder", "process", "lot", "welded_from", "welded_to", "overridden"]
