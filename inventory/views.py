from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from inventory.filters import ConsumableLotFilter, ItemFilter, StockMovementFilter
from inventory.models import ConsumableLot, Item, StockMovement
from inventory.serializers import (
    ConsumableLotSerializer,
    ItemSerializer,
    StockAdjustmentResultSerializer,
    StockAdjustmentSerializer,
    StockMovementSerializer,
)
from inventory.services import item_adjust_stock, item_create, item_update
from workshop.api.serializers import ErrorSerializer
from workshop.api.viewsets import ModelViewSet, ReadOnlyViewSet
from workshop.imports.export import ExcelExportMixin
from workshop.imports.views import ExcelImportMixin

ADJUST_EXAMPLE_ITEM = {
    "id": 7,
    "item_id": "INV-001",
    "item_name": "Welding rods E7018",
    "quantity": 45,
    "unit": "kg",
    "reorder_level": 50,
    "is_low_stock": True,
    "created_at": "2025-11-20T08:00:00Z",
    "updated_at": "2025-11-25T09:30:00Z",
    "created_by": 1,
}
ADJUST_EXAMPLE_MOVEMENT = {
    "id": 31,
    "item": "INV-001",
    "delta": -5,
    "quantity_after": 45,
    "reason": "consumption",
    "order_id": "WO-1001",
    "lot_id": "LOT-2025-017",
    "note": "Root pass",
    "created_at": "2025-11-25T09:30:00Z",
    "updated_at": "2025-11-25T09:30:00Z",
    "created_by": 2,
}


class ItemViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Consumables in stock. `quantity` changes are recorded in the stock-movement ledger:
    creating an item with stock records a `receipt`, editing `quantity` records a
    `correction`, and `POST /items/{id}/adjust` records receipts and consumption."""

    excel_resource = "items"

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    search_fields = ["item_id", "item_name", "unit"]
    ordering_fields = [
        "item_id",
        "item_name",
        "quantity",
        "unit",
        "reorder_level",
        "is_low_stock",
        "created_at",
        "updated_at",
    ]

    def perform_create(self, serializer):
        serializer.instance = item_create(item=Item(**serializer.validated_data), user=self.request.user)

    def perform_update(self, serializer):
        serializer.instance = item_update(
            item=serializer.instance, data=serializer.validated_data, user=self.request.user
        )

    @extend_schema(
        summary="Adjust an item's stock",
        description=(
            "Adds `delta` to the item's quantity (negative to take stock) and records a stock "
            "movement. `reason` is `receipt` (delta > 0), `consumption` (delta < 0) or `correction` "
            "(either sign); `order_id` links the movement to a work order, `lot_id` to the consumable lot "
            "received or taken (one of this item's lots). Concurrent adjustments "
            "are applied one after the other, none is lost.\n\n"
            "Answers `200` with the item as it is now and the movement just recorded. "
            "Taking more than is in stock is `409 CONFLICT` and changes nothing; a zero delta, a "
            "delta whose sign does not match the reason, an unknown `order_id` or `lot_id`, or a lot of "
            "another item is `422`."
        ),
        request=StockAdjustmentSerializer,
        responses={
            200: StockAdjustmentResultSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Not enough stock for the delta (`CONFLICT`); nothing is changed.",
                examples=[
                    OpenApiExample(
                        "Not enough stock",
                        value={
                            "detail": "Not enough stock: INV-001 has 3 kg, cannot take 5.",
                            "error_code": "CONFLICT",
                            "timestamp": "2025-11-25T09:30:00Z",
                            "request_id": "0b5c8f0e3a5d4c1e",
                        },
                    )
                ],
            ),
            422: OpenApiResponse(
                ErrorSerializer,
                description="Invalid values (`VALIDATION_ERROR`): zero delta, a delta whose sign does "
                "not match the reason, an unknown reason, `order_id` or `lot_id`, a lot of another "
                "item; nothing is changed.",
                examples=[
                    OpenApiExample(
                        "Zero delta",
                        value={
                            "detail": "delta: Must not be zero.",
                            "error_code": "VALIDATION_ERROR",
                            "timestamp": "2025-11-25T09:30:00Z",
                            "request_id": "0b5c8f0e3a5d4c1e",
                            "errors": {"delta": ["Must not be zero."]},
                        },
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "Consumption for a work order",
                value={
                    "delta": -5,
                    "reason": "consumption",
                    "order_id": "WO-1001",
                    "lot_id": "LOT-2025-017",
                    "note": "Root pass",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Receipt of a delivery", value={"delta": 100, "reason": "receipt"}, request_only=True
            ),
            OpenApiExample(
                "Adjusted",
                value={"item": ADJUST_EXAMPLE_ITEM, "movement": ADJUST_EXAMPLE_MOVEMENT},
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="adjust",
        serializer_class=StockAdjustmentSerializer,
        required_perms=["inventory.add_stockmovement"],
    )
    def adjust(self, request, pk=None):
        """Adjusts the stock: `200 {"item": <item>, "movement": <stock movement>}`."""
        item = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        movement = item_adjust_stock(item_id=item.pk, user=request.user, **serializer.validated_data)
        result = StockAdjustmentResultSerializer(
            {"item": movement.item, "movement": movement}, context=self.get_serializer_context()
        )
        return Response(result.data)


class StockMovementViewSet(ReadOnlyViewSet):
    """The stock ledger, read only: one row per change of an item's quantity."""

    queryset = StockMovement.objects.select_related("item", "work_order", "lot")
    serializer_class = StockMovementSerializer
    filterset_class = StockMovementFilter
    search_fields = ["item__item_id", "item__item_name", "work_order__order_id", "lot__lot_id", "note"]
    ordering_fields = ["delta", "quantity_after", "reason", "created_at", "updated_at"]


class ConsumableLotViewSet(ExcelImportMixin, ExcelExportMixin, ModelViewSet):
    """Lots (batches, heats) of filler material with their EN 10204 certificates: what a
    weld-log entry used, so a lot can be recalled. Written by managers and admins; a lot named
    by a weld-log entry or a stock movement cannot be deleted (`409`)."""

    excel_resource = "consumable-lots"

    queryset = ConsumableLot.objects.select_related("item")
    serializer_class = ConsumableLotSerializer
    filterset_class = ConsumableLotFilter
    search_fields = ["lot_id", "designation", "aws_class", "heat_number", "certificate_no", "item__item_id"]
    ordering_fields = {
        "lot_id": "lot_id",
        "item": "item__item_id",
        "designation": "designation",
        "filler_group": "filler_group",
        "heat_number": "heat_number",
        "certificate_type": "certificate_type",
        "expires_on": "expires_on",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
