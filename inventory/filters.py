from django.db.models import Exists, OuterRef
from django.utils import timezone

from inventory.models import ConsumableLot, Item, MovementReason, StockMovement, lot_expired_q
from workorders.models import Weld, WeldActivity
from workorders.selectors import WELD_STATUSES
from workshop.api.filters import (
    BaseFilterSet,
    ChoiceListFilter,
    LenientDateFilter,
    StrictBooleanFilter,
    django_filters,
)


class ItemFilter(BaseFilterSet):
    low_stock = StrictBooleanFilter(field_name="is_low_stock", help_text="`quantity <= reorder_level`.")

    class Meta:
        model = Item
        fields = ["low_stock"]


class StockMovementFilter(BaseFilterSet):
    item = django_filters.CharFilter(
        field_name="item__item_id", lookup_expr="iexact", help_text="An item's `item_id`."
    )
    reason = ChoiceListFilter(choices=MovementReason.choices, help_text="One reason or a comma list.")
    order_id = django_filters.CharFilter(
        field_name="work_order__order_id", lookup_expr="iexact", help_text="A work order's `order_id`."
    )
    lot = django_filters.CharFilter(
        field_name="lot__lot_id", lookup_expr="iexact", help_text="A consumable lot's `lot_id`."
    )

    class Meta:
        model = StockMovement
        fields = ["item", "reason", "order_id", "lot"]


class ConsumableLotFilter(BaseFilterSet):
    item = django_filters.CharFilter(
        field_name="item__item_id", lookup_expr="iexact", help_text="An item's `item_id`."
    )
    filler_group = django_filters.CharFilter(lookup_expr="iexact", help_text="e.g. `FM1`.")
    heat_number = django_filters.CharFilter(lookup_expr="iexact")
    expired = StrictBooleanFilter(
        method="filter_expired",
        help_text="Expired as of `as_of`: `expires_on` before that day (lots without one never expire).",
    )
    as_of = LenientDateFilter(
        method="filter_as_of", help_text="The day `expired` is judged on (YYYY-MM-DD, default today)."
    )
    expires_before = LenientDateFilter(
        field_name="expires_on", lookup_expr="lt", help_text="`expires_on` before this day."
    )
    expires_after = LenientDateFilter(
        field_name="expires_on", lookup_expr="gt", help_text="`expires_on` after this day."
    )

    class Meta:
        model = ConsumableLot
        fields = [
            "item",
            "filler_group",
            "heat_number",
            "expired",
            "as_of",
            "expires_before",
            "expires_after",
        ]

    def filter_as_of(self, queryset, name, value):
        return queryset  # read by `expired`

    def filter_expired(self, queryset, name, value):
        day = self.form.cleaned_data.get("as_of") or timezone.localdate()
        return queryset.filter(lot_expired_q(day)) if value else queryset.exclude(lot_expired_q(day))


class RecallFilter(django_filters.FilterSet):
    """The recall list's filters (`consumable-lots/{id}/welds/` and its export), on the welds
    of `inventory.recall.recall_welds`."""

    status = ChoiceListFilter(
        choices=[(s, s) for s in WELD_STATUSES],
        method="filter_status",
        help_text="R10 weld statuses, comma-separated: planned, welded, rejected, repaired, accepted.",
    )
    order_id = django_filters.CharFilter(
        field_name="order__order_id", lookup_expr="iexact", help_text="A work order's `order_id`."
    )
    client = django_filters.CharFilter(
        field_name="order__client", lookup_expr="iexact", help_text="The work order's client."
    )
    welder = django_filters.CharFilter(
        method="filter_welder", help_text="An `employee_id` who used this lot on the weld."
    )

    class Meta:
        model = Weld
        fields = ["status", "order_id", "client", "welder"]

    def __init__(self, data=None, queryset=None, *, lot: ConsumableLot, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.lot = lot

    def filter_status(self, queryset, name, value):
        return queryset.filter(weld_status__in=value) if value else queryset

    def filter_welder(self, queryset, name, value):
        used = WeldActivity.objects.filter(
            weld_id=OuterRef("pk"), consumable_lot_id=self.lot.pk, welder__employee_id__iexact=value
        )
        return queryset.filter(Exists(used))
