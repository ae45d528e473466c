import re
import time

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from inventory.filters import ConsumableLotFilter, ItemFilter, RecallFilter, StockMovementFilter
from inventory.models import ConsumableLot, Item, StockMovement
from inventory.recall import (
    read_ahead,
    recall_dicts,
    recall_reading,
    recall_rows,
    recall_summary,
    recall_welds,
)
from inventory.serializers import (
    RECALL_LOT_EXAMPLE,
    RECALL_ROW_EXAMPLE,
    ConsumableLotSerializer,
    ItemSerializer,
    RecallPageSerializer,
    RecallSummarySerializer,
    RecallWeldSerializer,
    StockAdjustmentResultSerializer,
    StockAdjustmentSerializer,
    StockMovementSerializer,
)
from inventory.services import item_adjust_stock, item_create, item_update
from workorders.selectors import WELD_STATUSES
from workshop.api.exceptions import UnprocessableEntity
from workshop.api.filters import reject_repeated
from workshop.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PAGINATION_PARAMS, EnvelopePagination
from workshop.api.serializers import ErrorSerializer
from workshop.api.viewsets import ModelViewSet, ReadOnlyViewSet
from workshop.imports.export import (
    CHUNK_SIZE,
    DATE,
    EXPORT_422_EXAMPLE,
    FORMAT_PARAMETER,
    FORMATS,
    LIST,
    NUMBER,
    ExcelExportMixin,
    JsonOnlyNegotiation,
    TableColumn,
    export_format,
    file_response,
    file_responses,
    reject_paging,
    write_table,
)
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


# ---------------------------------------------------------------------------- the recall (§4)
# Reading the recall reads the lot and the weld log; its file is an export of the lot's.
RECALL_PERMS = ["inventory.view_consumablelot", "workorders.view_weldactivity"]
RECALL_EXPORT_PERMS = ["inventory.export_consumablelot", "workorders.view_weldactivity"]
RECALL_COLUMNS = (
    TableColumn("WeldID"),
    TableColumn("OrderID"),
    TableColumn("Client"),
    TableColumn("OrderStatus"),
    TableColumn("WPSID"),
    TableColumn("WeldStatus"),
    TableColumn("FirstWeldedOn", DATE),
    TableColumn("LastWeldedOn", DATE),
    TableColumn("Welders", LIST),
    TableColumn("Entries", NUMBER),
)
RECALL_PARAMETERS = [
    OpenApiParameter(
        "status",
        {"type": "array", "items": {"type": "string", "enum": sorted(WELD_STATUSES)}},
        style="form",
        explode=False,
        description="R10 weld statuses, comma-separated: " + ", ".join(WELD_STATUSES) + ".",
    ),
    OpenApiParameter("order_id", str, description="A work order's `order_id` (any case)."),
    OpenApiParameter("client", str, description="The work order's client (whole name, any case)."),
    OpenApiParameter("welder", str, description="An `employee_id` who used this lot on the weld."),
]
RECALL_PAGE_PARAMETERS = [
    OpenApiParameter(
        "page", {"type": "integer", "minimum": 1}, description="Page number, from 1 (default 1)."
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description=f"Rows per page, 1–{MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    ),
    OpenApiParameter(
        "skip", {"type": "integer", "minimum": 0}, description="Rows to skip (instead of page)."
    ),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description="Rows per page (same as page_size).",
    ),
]
RECALL_DESCRIPTION = (
    "The recall scope of the lot: every weld with at least one weld-log entry that used it, one "
    "row per weld, sorted by work order then weld — its work order, client and order status, "
    "its WPS, its status (R10), and over its entries with this lot: the first and last day, "
    "the welders (`employee_id`s) and the number of entries.\n\n"
    "The list envelope (`items`, `total`, `page`, `page_size`, `pages`) as on every list, "
    "with `lot` beside it: the lot and its whole recall scope (welds, work orders and clients "
    "that used it, whatever the filters; `total` counts the rows the filters keep). "
    "A lot nobody used answers an empty list. Filters: `status`, `order_id`, `client`, "
    "`welder`; no sorting or search parameters (the order is fixed). An unknown parameter or a "
    "bad value is a `422`. The same rows as a file: `GET …/welds/export/`."
)
RECALL_EXPORT_DESCRIPTION = (
    "Every row of the recall scope (`GET consumable-lots/{id}/welds/`) that the filters keep, "
    "no pages, as a file: header row first, then one row per weld in the list's order. "
    "Columns: " + ", ".join(f"`{c.header}`" for c in RECALL_COLUMNS) + ". Days are date "
    "cells (`YYYY-MM-DD` in CSV); `Welders` is a comma-separated list; texts a spreadsheet "
    "would run as a formula are neutralised as in every export. "
    'Answers `Content-Disposition: attachment; filename="recall-<lot_id>-YYYYMMDD-HHMMSS.xlsx"`. '
    "Always answered in the request (no `Prefer: respond-async`)."
)
RECALL_FILE_DESCRIPTION = (
    "The recall as an attachment: an .xlsx workbook (one sheet) or a .csv (UTF-8 with a BOM)."
)
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def recall_filename(lot_id: str, fmt: str) -> str:
    """`recall-<lot_id>-YYYYMMDD-HHMMSS.<fmt>` (time in TIME_ZONE; characters other than
    letters, digits, `.`, `_`, `-` in the lot ID become `_`)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return f"recall-{_UNSAFE_IN_FILENAME.sub('_', lot_id)}-{stamp}{FORMATS[fmt].suffix}"


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

    # ------------------------------------------------------------------------ the recall
    def _recall(self, lot: ConsumableLot, params, *, accepted: tuple[str, ...]):
        """The recall's welds that the query's filters keep; an unknown or repeated parameter
        or a bad value is a 422 (as on every list)."""
        allowed = set(RecallFilter.base_filters) | set(accepted)
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise UnprocessableEntity(
                {
                    name: [f"Unknown query parameter. Allowed: {', '.join(sorted(allowed))}."]
                    for name in unknown
                }
            )
        reject_repeated(params)
        filterset = RecallFilter(params, queryset=recall_welds(lot), lot=lot)
        if not filterset.is_valid():
            raise UnprocessableEntity(dict(filterset.errors))
        return filterset.qs

    @extend_schema(
        summary="Recall scope of a lot",
        description=RECALL_DESCRIPTION,
        filters=False,  # the recall's own filters, not the lots list's
        parameters=[*RECALL_PARAMETERS, *RECALL_PAGE_PARAMETERS],
        responses={200: RecallPageSerializer},
        examples=[
            OpenApiExample(
                "A lot used on two welds of one work order",
                value={
                    "items": [
                        RECALL_ROW_EXAMPLE,
                        {
                            **RECALL_ROW_EXAMPLE,
                            "weld_id": "WO-1001-W04",
                            "status": "rejected",
                            "first_welded_on": "2025-11-21",
                            "last_welded_on": "2025-11-21",
                            "welders": ["EMP-04"],
                            "entries": 1,
                        },
                    ],
                    "total": 2,
                    "page": 1,
                    "page_size": DEFAULT_PAGE_SIZE,
                    "pages": 1,
                    "lot": {**RECALL_LOT_EXAMPLE, "welds": 2, "work_orders": 1, "clients": 1},
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="welds",
        pagination_class=None,
        filterset_class=None,
        content_negotiation_class=JsonOnlyNegotiation,
        required_perms=RECALL_PERMS,
    )
    def welds(self, request, pk=None):
        """The welds that used this lot, a page of them, with the lot's summary."""
        lot = self.get_object()
        welds = self._recall(lot, request.query_params, accepted=PAGINATION_PARAMS)
        paginator = EnvelopePagination()
        with recall_reading():
            rows = paginator.paginate_queryset(welds, request, view=self, fetch=recall_dicts)
            summary = recall_summary(lot)
        response = paginator.get_paginated_response(RecallWeldSerializer(rows, many=True).data)
        response.data["lot"] = RecallSummarySerializer(summary).data
        return response

    @extend_schema(
        summary="Export the recall scope of a lot as .xlsx or .csv",
        description=RECALL_EXPORT_DESCRIPTION,
        filters=False,
        parameters=[FORMAT_PARAMETER, *RECALL_PARAMETERS],
        responses={
            **file_responses(RECALL_FILE_DESCRIPTION),
            422: OpenApiResponse(
                ErrorSerializer,
                description="Unknown `format`, page parameters, or a bad filter value (`VALIDATION_ERROR`).",
                examples=[EXPORT_422_EXAMPLE],
            ),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="welds/export",
        pagination_class=None,
        filterset_class=None,
        renderer_classes=[JSONRenderer],  # for error bodies; the file is a FileResponse
        content_negotiation_class=JsonOnlyNegotiation,
        required_perms=RECALL_EXPORT_PERMS,
    )
    def welds_export(self, request, pk=None):
        """The recall's rows (every one the filters keep) as a file to download."""
        started = time.perf_counter()
        lot = self.get_object()
        params = request.query_params
        fmt = export_format(params)
        reject_paging(params)
        welds = self._recall(lot, params, accepted=("format",))

        def write(out) -> int:
            with recall_reading():
                rows = read_ahead(recall_rows(welds, chunk_size=CHUNK_SIZE), chunk_size=CHUNK_SIZE)
                return write_table(out, fmt, "recall", RECALL_COLUMNS, rows)

        return file_response(
            write,
            fmt=fmt,
            filename=recall_filename(lot.lot_id, fmt),
            started=started,
            event="recall.exported",
            lot_id=lot.lot_id,
        )
