from rest_framework import serializers

from inventory.models import ConsumableLot, Item, MovementReason, StockMovement
from inventory.services import MAX_QUANTITY
from workorders.models import WorkOrder
from workshop.api.fields import LenientChoiceField, SlugRelatedField, TextField
from workshop.api.serializers import ModelSerializer, Serializer


class ItemSerializer(ModelSerializer):
    is_low_stock = serializers.BooleanField(
        read_only=True, help_text="`quantity <= reorder_level`, computed by the database."
    )

    schema_example = {
        "id": 1,
        "item_id": "INV-001",
        "item_name": "Welding Rods (Type A)",
        "quantity": 8,
        "unit": "kg",
        "reorder_level": 10,
        "is_low_stock": True,
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = Item
        fields = [
            "id",
            "item_id",
            "item_name",
            "quantity",
            "unit",
            "reorder_level",
            "is_low_stock",
            "created_at",
            "updated_at",
            "created_by",
        ]
        extra_kwargs = {
            "quantity": {
                "min_value": 0,
                "max_value": MAX_QUANTITY,
                "help_text": "Stock on hand. Changing it here records a `correction` stock movement; "
                "use `POST /api/v1/items/{id}/adjust` for receipts and consumption.",
            },
            "reorder_level": {"min_value": 0, "max_value": MAX_QUANTITY},
        }


class StockMovementSerializer(ModelSerializer):
    item = SlugRelatedField(slug_field="item_id", read_only=True, help_text="The item's `item_id`.")
    order_id = serializers.CharField(
        source="work_order.order_id",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="The work order's `order_id`, or null.",
    )
    lot_id = serializers.CharField(
        source="lot.lot_id",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="The consumable lot's `lot_id`, or null.",
    )

    schema_example = {
        "id": 7,
        "item": "INV-001",
        "delta": -2,
        "quantity_after": 8,
        "reason": "consumption",
        "order_id": "WO-1000",
        "lot_id": "LOT-2025-017",
        "note": "Root and cap passes",
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "item",
            "delta",
            "quantity_after",
            "reason",
            "order_id",
            "lot_id",
            "note",
            "created_at",
            "updated_at",
            "created_by",
        ]
        read_only_fields = fields


class StockAdjustmentSerializer(Serializer):
    """The body of `POST /api/v1/items/{id}/adjust`."""

    delta = serializers.IntegerField(
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        help_text="Change of quantity, not zero: positive for a receipt, negative for a consumption, "
        "either for a correction.",
    )
    reason = LenientChoiceField(choices=MovementReason.choices, help_text="The value or its label, any case.")
    order_id = SlugRelatedField(
        slug_field="order_id",
        queryset=WorkOrder.objects.all(),
        source="work_order",
        allow_null=True,
        required=False,
        help_text="An existing work order's `order_id` (the job the stock went to), or null.",
    )
    lot_id = SlugRelatedField(
        slug_field="lot_id",
        queryset=ConsumableLot.objects.select_related("item"),
        source="lot",
        allow_null=True,
        required=False,
        help_text="An existing consumable lot's `lot_id` (the lot received or taken), or null. "
        "The lot must be one of the adjusted item's.",
    )
    note = TextField(max_length=500, allow_blank=True, required=False, default="")


class StockAdjustmentResultSerializer(serializers.Serializer):
    """The answer of an adjustment: the item as it is now and the movement just recorded."""

    item = ItemSerializer()
    movement = StockMovementSerializer()


class ConsumableLotSerializer(ModelSerializer):
    item = SlugRelatedField(
        slug_field="item_id",
        queryset=Item.objects.all(),
        help_text="The item's `item_id` (the filler material in stock, e.g. `INV-001`).",
    )

    schema_example = {
        "id": 3,
        "lot_id": "LOT-2025-017",
        "item": "INV-001",
        "designation": "ISO 14341-A G 42 4 M21 3Si1",
        "aws_class": "ER70S-6",
        "filler_group": "FM1",
        "heat_number": "H4471",
        "certificate_type": "3.1",
        "certificate_no": "CERT-88231",
        "expires_on": "2027-06-30",
        "created_at": "2025-11-20T09:15:00Z",
        "updated_at": "2025-11-24T16:40:00Z",
        "created_by": 2,
    }

    class Meta:
        model = ConsumableLot
        fields = [
            "id",
            "lot_id",
            "item",
            "designation",
            "aws_class",
            "filler_group",
            "heat_number",
            "certificate_type",
            "certificate_no",
            "expires_on",
            "created_at",
            "updated_at",
            "created_by",
        ]
        extra_kwargs = {
            "certificate_type": {"help_text": "EN 10204 inspection document: 2.1, 2.2, 3.1 or 3.2."},
            "expires_on": {"help_text": "Last day the lot may be used (null: no expiry)."},
        }


# ---------------------------------------------------------------------------- the recall (§4)
RECALL_ROW_EXAMPLE = {
    "weld_id": "WO-1001-W03",
    "order_id": "WO-1001",
    "client": "Acme Steel",
    "order_status": "in_progress",
    "wps": "WPS-135-01",
    "status": "accepted",
    "first_welded_on": "2025-11-18",
    "last_welded_on": "2025-11-20",
    "welders": ["EMP-01", "EMP-04"],
    "entries": 3,
}
RECALL_LOT_EXAMPLE = {
    "lot_id": "LOT-2025-017",
    "item": "INV-001",
    "designation": "ISO 14341-A G 42 4 M21 3Si1",
    "heat_number": "H4471",
    "welds": 42,
    "work_orders": 7,
    "clients": 3,
}


class RecallWeldSerializer(serializers.Serializer):
    """One weld of a lot's recall scope (read only; built from `inventory.recall` rows)."""

    weld_id = serializers.CharField()
    order_id = serializers.CharField(help_text="The weld's work order.")
    client = serializers.CharField(help_text="The work order's client.")
    order_status = serializers.CharField(help_text="The work order's status.")
    wps = serializers.CharField(allow_null=True, help_text="The weld's WPS (`wps_id`), or null.")
    status = serializers.CharField(
        help_text="The weld's status (R10): planned, welded, rejected, repaired or accepted."
    )
    first_welded_on = serializers.DateField(help_text="The first weld-log day with this lot.")
    last_welded_on = serializers.DateField(help_text="The last weld-log day with this lot.")
    welders = serializers.ListField(
        child=serializers.CharField(), help_text="The `employee_id`s who used this lot on the weld, sorted."
    )
    entries = serializers.IntegerField(help_text="The weld's weld-log entries with this lot.")


class RecallSummarySerializer(serializers.Serializer):
    """The lot and its whole recall scope (whatever the filters)."""

    lot_id = serializers.CharField()
    item = serializers.CharField(help_text="The item's `item_id`.")
    designation = serializers.CharField()
    heat_number = serializers.CharField(help_text="Empty when not recorded.")
    welds = serializers.IntegerField(help_text="Welds with an entry using the lot.")
    work_orders = serializers.IntegerField(help_text="Their work orders.")
    clients = serializers.IntegerField(help_text="Their clients.")


class RecallPageSerializer(serializers.Serializer):
    """The list envelope of the recall, with the lot's summary beside it."""

    items = RecallWeldSerializer(many=True)
    total = serializers.IntegerField(help_text="Welds the filters keep.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    lot = RecallSummarySerializer()
