"""`GET /api/v1/analytics/inventory`: what each item consumes and receives, and when it runs out.

Per item and bucket (movements whose `created_at` falls on one of its local days):

- `consumption`: the quantity taken by `consumption` movements, as a positive number (their
  `delta` is negative in the ledger);
- `receipts`: the quantity added by `receipt` movements.

Corrections (a quantity edited by hand or by an import) are neither. The item's
`consumption` and `receipts` are the same over the whole range.

The forecast is about **now**, from the item's current `quantity`, whatever `from`/`to`:

- `average_daily_consumption`: the consumption of the `window_days` local days ending today
  (today included) divided by `window_days` (4 decimals; 0 when nothing was consumed);
- `days_of_stock`: `quantity` ÷ that average (computed from the exact average, `quantity ×
  window_days ÷ consumption`, then rounded to 2 decimals); `null` when nothing was consumed
  in the window, 0 when the quantity is 0;
- `stockout_date`: today + the whole days of `days_of_stock` (`null` with it, and when that
  date would be after 9999-12-31);
- `reorder_now`: `days_of_stock` <= `lead_time_days`, or the item is low on stock
  (`is_low_stock`: quantity at or below its reorder level) — so an item never consumed is
  to reorder only when it is low on stock.

Every item is listed, sorted by `days_of_stock` (as given, 2 decimals) ascending, the items
never consumed in the window last, ties by `item_id`; `limit` caps the items in the answer,
`count` is the number of items. Three queries whatever the table sizes: the window's
consumption of every item (grouped), the items, and the buckets of the items listed
(grouped by item, reason and period).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from rest_framework import serializers

from dashboard.analytics import serializers as out
from dashboard.analytics.buckets import Buckets, as_date, local_date, period_of
from dashboard.analytics.query import AnalyticsQuery, Number
from dashboard.analytics.views import Endpoint
from inventory.models import Item, MovementReason, StockMovement
from workshop.api.filters import local_day_start
from workshop.imports.export import DATE, NUMBER, OTHER, TableColumn

PARAMETERS = {
    "window_days": Number(
        30, 1, 3650, "Days (ending today, included) whose consumption gives the average daily consumption."
    ),
    "lead_time_days": Number(
        14, 0, 3650, "`reorder_now` when the days of stock are at most this many (or the item is low)."
    ),
    "limit": Number(100, 1, 1000, "At most this many items in the answer (`count` is all of them)."),
}

CONSUMPTION, RECEIPT = MovementReason.CONSUMPTION.value, MovementReason.RECEIPT.value
ITEM_FIELDS = ("id", "item_id", "item_name", "unit", "quantity", "reorder_level", "is_low_stock")


def rounded(numerator: int, denominator: int, places: int) -> Decimal:
    """A non-negative `numerator / denominator` to `places` decimals, half up, exactly (whole
    numbers only: no float, no intermediate rounding, no Fraction to normalise)."""
    scale = 10**places
    whole = (2 * numerator * scale + denominator) // (2 * denominator)
    return Decimal(whole).scaleb(-places)


def forecast(
    *, quantity: int, consumed: int, window_days: int, lead_time_days: int, low: bool, today: dt.date
) -> dict[str, Any]:
    """The forecast figures of one item from its quantity and its window's consumption."""
    average = rounded(consumed, window_days, 4)
    days_of_stock = stockout = None
    if consumed > 0:
        days_of_stock = rounded(quantity * window_days, consumed, 2)
        whole_days = int(days_of_stock)
        if whole_days <= dt.date.max.toordinal() - today.toordinal():
            stockout = today + dt.timedelta(days=whole_days)
    return {
        "average_daily_consumption": average,
        "days_of_stock": days_of_stock,
        "stockout_date": stockout,
        "reorder_now": bool(low) or (days_of_stock is not None and days_of_stock <= lead_time_days),
    }


def window_consumption(today: dt.date, window_days: int) -> dict[int, int]:
    """{item pk: quantity consumed in the `window_days` local days ending today}."""
    first = local_day_start(today - dt.timedelta(days=window_days - 1))
    end = local_day_start(today + dt.timedelta(days=1))
    rows = (
        StockMovement.objects.order_by()
        .filter(reason=CONSUMPTION, created_at__gte=first, created_at__lt=end)
        .values("item")
        .annotate(total=Sum("delta"))
        .values_list("item", "total")
    )
    return {pk: -total for pk, total in rows if total}


def compute(query: AnalyticsQuery) -> dict[str, Any]:
    window_days, lead_time_days = query["window_days"], query["lead_time_days"]
    today = query.today
    consumed = window_consumption(today, window_days)

    items = []
    for row in Item.objects.order_by().values(*ITEM_FIELDS):
        items.append(
            {
                **row,
                **forecast(
                    quantity=row["quantity"],
                    consumed=consumed.get(row["id"], 0),
                    window_days=window_days,
                    lead_time_days=lead_time_days,
                    low=row["is_low_stock"],
                    today=today,
                ),
            }
        )
    items.sort(key=lambda i: (i["days_of_stock"] is None, i["days_of_stock"] or 0, i["item_id"]))
    page = items[: query["limit"]]

    buckets = Buckets(query.start, query.end, query.interval)
    size = len(buckets)
    figures = {i["id"]: {CONSUMPTION: [0] * size, RECEIPT: [0] * size} for i in page}
    if page:
        movements = StockMovement.objects.order_by().filter(
            buckets.moments("created_at"), reason__in=(CONSUMPTION, RECEIPT)
        )
        if len(page) < len(items):
            movements = movements.filter(item__in=[i["id"] for i in page])
        for pk, reason, period, total in (
            movements.values("item", "reason", p=period_of(local_date("created_at"), query.interval))
            .annotate(total=Sum("delta"))
            .values_list("item", "reason", "p", "total")
        ):
            index = buckets.index(period)
            if index is not None and total:
                figures[pk][reason][index] += -total if reason == CONSUMPTION else total

    answer_items = []
    for item in page:
        series = figures.pop(item["id"])
        answer_items.append(
            {
                **{name: item[name] for name in ITEM_FIELDS if name != "id"},
                "buckets": [
                    {
                        "start": b.start,
                        "end": b.end,
                        "label": b.label,
                        "consumption": series[CONSUMPTION][i],
                        "receipts": series[RECEIPT][i],
                    }
                    for i, b in enumerate(buckets)
                ],
                "consumption": sum(series[CONSUMPTION]),
                "receipts": sum(series[RECEIPT]),
                **{
                    name: item[name]
                    for name in ("average_daily_consumption", "days_of_stock", "stockout_date", "reorder_now")
                },
            }
        )
    return {
        "from": query.start,
        "to": query.end,
        "interval": query.interval,
        "window_days": window_days,
        "lead_time_days": lead_time_days,
        "count": len(items),
        "items": answer_items,
    }


# ------------------------------------------------------------------------------ answer
class InventoryBucketSerializer(out.BucketSerializer):
    consumption = serializers.IntegerField(help_text="Quantity taken by `consumption` movements.")
    receipts = serializers.IntegerField(help_text="Quantity added by `receipt` movements.")


class InventoryItemSerializer(serializers.Serializer):
    item_id = serializers.CharField()
    item_name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    quantity = serializers.IntegerField(help_text="The quantity in stock now.")
    reorder_level = serializers.IntegerField()
    is_low_stock = serializers.BooleanField(help_text="Quantity at or below the reorder level.")
    buckets = InventoryBucketSerializer(many=True)
    consumption = serializers.IntegerField(help_text="Consumed over the whole range.")
    receipts = serializers.IntegerField(help_text="Received over the whole range.")
    average_daily_consumption = serializers.DecimalField(
        max_digits=30,
        decimal_places=4,
        coerce_to_string=False,
        help_text="Consumption of the `window_days` days ending today ÷ `window_days`; 4 decimals.",
    )
    days_of_stock = serializers.DecimalField(
        max_digits=30,
        decimal_places=2,
        allow_null=True,
        coerce_to_string=False,
        help_text="quantity ÷ average daily consumption, 2 decimals; null when nothing was consumed "
        "in the window.",
    )
    stockout_date = serializers.DateField(
        allow_null=True, help_text="Today + the whole days of stock; null without a forecast."
    )
    reorder_now = serializers.BooleanField(
        help_text="days_of_stock <= lead_time_days, or the item is low on stock."
    )


InventoryAnalyticsSerializer = type(
    "AnalyticsInventorySerializer",
    (serializers.Serializer,),
    {
        **out.range_fields(),
        "window_days": serializers.IntegerField(),
        "lead_time_days": serializers.IntegerField(),
        "count": serializers.IntegerField(help_text="Every item (the answer lists at most `limit`)."),
        "items": InventoryItemSerializer(
            many=True, help_text="By days of stock (never consumed last), then item_id."
        ),
    },
)

COLUMNS = (
    TableColumn("Item ID"),
    TableColumn("Item name"),
    TableColumn("Unit"),
    TableColumn("Quantity", NUMBER),
    TableColumn("Reorder level", NUMBER),
    TableColumn("Low stock", OTHER),
    TableColumn("Start", DATE),
    TableColumn("End", DATE),
    TableColumn("Label"),
    TableColumn("consumption", NUMBER),
    TableColumn("receipts", NUMBER),
    TableColumn("average_daily_consumption", NUMBER),
    TableColumn("days_of_stock", NUMBER),
    TableColumn("stockout_date", DATE),
    TableColumn("reorder_now", OTHER),
)


def table_rows(data: dict[str, Any]):
    """One row per item and bucket, each with the item's forecast (the items in the answer's
    order)."""
    for item in data["items"]:
        head = (
            item["item_id"],
            item["item_name"],
            item["unit"],
            item["quantity"],
            item["reorder_level"],
            item["is_low_stock"],
        )
        tail = (
            item["average_daily_consumption"],
            item["days_of_stock"],
            as_date(item["stockout_date"]),
            item["reorder_now"],
        )
        for b in item["buckets"]:
            yield (
                *head,
                as_date(b["start"]),
                as_date(b["end"]),
                b["label"],
                b["consumption"],
                b["receipts"],
                *tail,
            )


ENDPOINT = Endpoint(
    name="inventory",
    summary="Stock over time: consumption and receipts per item, days of stock, reorder",
    description=__doc__.split("\n\n", 1)[1],
    compute=compute,
    serializer=InventoryAnalyticsSerializer,
    columns=COLUMNS,
    rows=table_rows,
    perms=("inventory.view_item", "inventory.view_stockmovement"),
    parameters=PARAMETERS,
    example={
        "from": "2026-11-23",
        "to": "2026-12-06",
        "interval": "week",
        "window_days": 30,
        "lead_time_days": 14,
        "count": 42,
        "items": [
            {
                "item_id": "INV-007",
                "item_name": "ER70S-6 wire 1.0 mm",
                "unit": "kg",
                "quantity": 36,
                "reorder_level": 20,
                "is_low_stock": False,
                "buckets": [
                    {
                        "start": "2026-11-23",
                        "end": "2026-11-29",
                        "label": "2026-W48",
                        "consumption": 18,
                        "receipts": 0,
                    },
                    {
                        "start": "2026-11-30",
                        "end": "2026-12-06",
                        "label": "2026-W49",
                        "consumption": 24,
                        "receipts": 15,
                    },
                ],
                "consumption": 42,
                "receipts": 15,
                "average_daily_consumption": 2.9,
                "days_of_stock": 12.41,
                "stockout_date": "2026-12-18",
                "reorder_now": True,
            }
        ],
    },
)
