"""Writes to the stock: every change of `Item.quantity` goes through here and leaves a
`StockMovement`, so the ledger of an item always sums to its quantity.

- `item_create` records a non-zero initial quantity as a `receipt`.
- `item_update` records a changed quantity as a `correction` (nothing when unchanged).
- `item_import_ledger` does both for an Excel import, against the rows the import locked.
- `item_adjust_stock` changes the quantity by a delta with one conditional `UPDATE`, so
  concurrent adjustments never lose an update and the quantity never goes below zero.

Each of them sends the live event `alert.low_stock` (topic `alerts`, after the commit) when an
item becomes low on stock: from above its reorder level to at or below it (a new item is not
"falling"; one already low that drops further sends nothing more).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import ConsumableLot, Item, MovementReason, StockMovement
from workshop import events
from workshop.errors import Conflict, NotFound, ValidationFailed
from workshop.history.records import CREATED, UPDATED, record_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from workorders.models import WorkOrder

log = structlog.get_logger(__name__)

# The largest quantity a PostgreSQL `integer` column holds; no quantity or delta goes beyond.
MAX_QUANTITY = 2_147_483_647


def alert_if_low(item: Item, *, quantity_before: int, reorder_level_before: int) -> None:
    """`alert.low_stock` when this change took the item from above its reorder level to at or
    below it (sent once the transaction commits)."""
    if quantity_before > reorder_level_before and item.quantity <= item.reorder_level:
        events.publish(
            "alert.low_stock",
            topic="alerts",
            resource="items",
            object_id=item.pk,
            data={
                "id": item.pk,
                "item_id": item.item_id,
                "item_name": item.item_name,
                "quantity": item.quantity,
                "reorder_level": item.reorder_level,
                "unit": item.unit,
                "shortfall": item.reorder_level - item.quantity,
            },
        )


def check_movement(*, delta: int, reason: str) -> None:
    """A movement changes something, and its sign matches its reason: a receipt adds stock,
    a consumption takes it, a correction goes either way."""
    if delta == 0:
        raise ValidationFailed({"delta": ["Must not be zero."]})
    if reason not in MovementReason.values:
        raise ValidationFailed({"reason": [f"Must be one of: {', '.join(MovementReason.values)}."]})
    if reason == MovementReason.RECEIPT and delta < 0:
        raise ValidationFailed({"delta": ["A receipt adds stock: the delta must be positive."]})
    if reason == MovementReason.CONSUMPTION and delta > 0:
        raise ValidationFailed({"delta": ["A consumption takes stock: the delta must be negative."]})


@transaction.atomic
def item_adjust_stock(
    *,
    item_id: int,
    delta: int,
    reason: str,
    work_order: WorkOrder | None = None,
    lot: ConsumableLot | None = None,
    note: str = "",
    user: AbstractBaseUser | None = None,
) -> StockMovement:
    """Adds `delta` (negative to take) to the item's quantity and records the movement.
    A `lot` (the lot received or taken) must be one of the item's lots, else `lot_id` is
    refused (422) with nothing written.

    The quantity changes in one conditional `UPDATE … SET quantity = quantity + delta WHERE
    quantity >= -delta`: the database applies concurrent adjustments one after the other on
    the row lock, and one that would go below zero matches no row and raises `Conflict`
    (409) with nothing written. Returns the movement; `movement.item` is the item as stored.
    """
    check_movement(delta=delta, reason=reason)
    if lot is not None and lot.item_id != item_id:
        raise ValidationFailed(
            {"lot_id": [f"Lot {lot.lot_id} is a lot of {lot.item.item_id}, not of the adjusted item."]}
        )
    rows = Item.objects.filter(pk=item_id, quantity__gte=-delta)
    if delta > 0:
        rows = rows.filter(quantity__lte=MAX_QUANTITY - delta)
    updated = rows.update(quantity=F("quantity") + delta, updated_at=timezone.now())
    # After our UPDATE we hold the row lock: this read sees our quantity, nobody else's.
    item = Item.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound("No such item.")
    if updated:
        record_rows(Item, [item], UPDATED)  # the UPDATE sent no signal: the item's history
    if not updated:
        log.info("stock.adjust_refused", item_id=item.item_id, delta=delta, quantity=item.quantity)
        if delta < 0:
            raise Conflict(
                f"Not enough stock: {item.item_id} has {item.quantity} {item.unit}".rstrip()
                + f", cannot take {-delta}."
            )
        raise Conflict(f"Too much stock: {item.item_id} cannot hold more than {MAX_QUANTITY}.")
    movement = StockMovement.objects.create(
        item=item,
        delta=delta,
        quantity_after=item.quantity,
        reason=reason,
        work_order=work_order,
        lot=lot,
        note=note,
        created_by=user,
    )
    events.touched(Item, item.pk)  # the UPDATE sent no signal: the item's `updated` event
    alert_if_low(item, quantity_before=item.quantity - delta, reorder_level_before=item.reorder_level)
    log.info(
        "stock.adjusted",
        item_id=item.item_id,
        delta=delta,
        reason=reason,
        quantity=item.quantity,
        lot_id=lot.lot_id if lot is not None else None,
        movement_id=movement.pk,
    )
    return movement


@transaction.atomic
def item_create(*, item: Item, user: AbstractBaseUser | None = None) -> Item:
    """Saves a new item; a non-zero initial quantity is recorded as a `receipt`."""
    if item.created_by_id is None:
        item.created_by = user
    item.save(force_insert=True)
    if item.quantity:
        StockMovement.objects.create(
            item=item,
            delta=item.quantity,
            quantity_after=item.quantity,
            reason=MovementReason.RECEIPT,
            note="Initial stock.",
            created_by=user,
        )
    item.refresh_from_db(fields=["is_low_stock"])  # computed by the database
    return item


@transaction.atomic
def item_update(*, item: Item, data: dict[str, Any], user: AbstractBaseUser | None = None) -> Item:
    """Sets the given fields of an item. A changed `quantity` is recorded as a `correction`
    of the difference, computed under a row lock so a concurrent adjustment is not lost.
    Returns the item as stored."""
    locked = Item.objects.select_for_update().get(pk=item.pk)
    before, reorder_level_before = locked.quantity, locked.reorder_level
    for name, value in data.items():
        setattr(locked, name, value)
    locked.save()
    alert_if_low(locked, quantity_before=before, reorder_level_before=reorder_level_before)
    delta = locked.quantity - before
    if delta:
        StockMovement.objects.create(
            item=locked,
            delta=delta,
            quantity_after=locked.quantity,
            reason=MovementReason.CORRECTION,
            note=f"Quantity edited from {before} to {locked.quantity}.",
            created_by=user,
        )
        log.info("stock.corrected", item_id=locked.item_id, delta=delta, quantity=locked.quantity)
    locked.refresh_from_db(fields=["is_low_stock"])
    return locked


def item_import_ledger(*, created: list[Item], updated: list[tuple[Item, set[str], dict]], user=None) -> None:
    """After an Excel import of items: the same ledger entries as the API writes — a
    `receipt` for a new item's stock, a `correction` for a changed quantity.

    Run in the import's transaction after its writes. The engine locked the updated items
    (`SELECT … FOR UPDATE`, in id order) before reading them, so `old["quantity"]` is the
    quantity the import replaces — not an earlier one that a concurrent adjustment has
    since changed — and each correction's `quantity_after` is the quantity right after it."""
    movements = [
        StockMovement(
            item=item,
            delta=item.quantity,
            quantity_after=item.quantity,
            reason=MovementReason.RECEIPT,
            note="Initial stock (Excel import).",
            created_by=user,
        )
        for item in created
        if item.quantity
    ]
    for item, changed, old in updated:
        alert_if_low(
            item,
            quantity_before=old.get("quantity", item.quantity),
            reorder_level_before=old.get("reorder_level", item.reorder_level),
        )
        if "quantity" in changed and item.quantity != old["quantity"]:
            movements.append(
                StockMovement(
                    item=item,
                    delta=item.quantity - old["quantity"],
                    quantity_after=item.quantity,
                    reason=MovementReason.CORRECTION,
                    note=f"Quantity imported: {old['quantity']} → {item.quantity}.",
                    created_by=user,
                )
            )
    StockMovement.objects.bulk_create(movements, batch_size=1000)
    record_rows(StockMovement, movements, CREATED)
