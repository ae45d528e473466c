from inventory.models import Item, MovementReason, StockMovement
from workshop.api.filters import BaseFilterSet, ChoiceListFilter, StrictBooleanFilter, django_filters


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

    class Meta:
        model = StockMovement
        fields = ["item", "reason", "order_id"]
