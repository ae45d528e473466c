from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from workorders.models import WorkOrder
from workshop.history.records import record_history
from workshop.models import (
    WHOLE_NUMBER,
    TimeStampedModel,
    business_key_field,
    excel_permissions,
    non_blank_constraint,
)


class Item(TimeStampedModel):
    item_id = business_key_field("item ID")
    item_name = models.CharField(max_length=200, db_index=True)
    quantity = models.IntegerField(default=0, db_index=True, validators=WHOLE_NUMBER)
    unit = models.CharField(max_length=50, blank=True, default="")
    reorder_level = models.IntegerField(default=0, validators=WHOLE_NUMBER)
    is_low_stock = models.GeneratedField(
        expression=Q(quantity__lte=F("reorder_level")),
        output_field=models.BooleanField(),
        db_persist=True,
        db_index=True,
        verbose_name="low stock",
    )

    history = record_history()

    class Meta:
        ordering = ["id"]
        permissions = excel_permissions("item", "items")
        constraints = [
            non_blank_constraint("item_id", "item"),
            non_blank_constraint("item_name", "item"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="item_quantity_not_negative"),
            models.CheckConstraint(condition=Q(reorder_level__gte=0), name="item_reorder_level_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.item_name}"


class MovementReason(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    CONSUMPTION = "consumption", "Consumption"
    CORRECTION = "correction", "Correction"


class StockMovement(TimeStampedModel):
    """One change of an item's quantity: the ledger behind `Item.quantity`."""

    # The ledger is the item's own history: deleting the item deletes it (SPEC §2 lists no
    # protection for items; an import's entries go with the import alike).
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="movements")
    delta = models.IntegerField()
    quantity_after = models.IntegerField()
    reason = models.CharField(max_length=20, choices=MovementReason.choices, db_index=True)
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="stock_movements"
    )
    # The lot taken or received (WELDING.md §2): its item is the movement's item. A lot in the
    # ledger is traceability evidence, so it cannot be deleted while a movement names it.
    lot = models.ForeignKey(
        "ConsumableLot", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    note = models.CharField(max_length=500, blank=True, default="")

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "stock movement"
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="stockmovement_delta_not_zero"),
            models.CheckConstraint(
                condition=Q(quantity_after__gte=0), name="stockmovement_quantity_after_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.delta:+d}"


class CertificateType(models.TextChoices):
    """EN 10204 inspection documents."""

    T21 = "2.1", "2.1 (declaration of compliance)"
    T22 = "2.2", "2.2 (test report)"
    T31 = "3.1", "3.1 (inspection certificate)"
    T32 = "3.2", "3.2 (inspection certificate, third party)"


def lot_expired_q(on: dt.date | None = None) -> Q:
    """Lots expired on day `on` (default today): `expires_on` before that day (a lot is usable
    on its expiry day). The Python twin: `ConsumableLot.expired_on`."""
    return Q(expires_on__lt=on or timezone.localdate())


class ConsumableLot(TimeStampedModel):
    """A lot (batch, heat) of a filler material on the shelf: what a weld-log entry used, so a
    lot can be recalled."""

    lot_id = business_key_field("lot ID")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots")
    designation = models.CharField(max_length=200, help_text="e.g. ISO 2560-A E 42 4 B 42 H5.")
    aws_class = models.CharField("AWS class", max_length=50, blank=True, default="")
    filler_group = models.CharField(max_length=10, blank=True, default="", help_text="e.g. FM1.")
    heat_number = models.CharField(max_length=50, blank=True, default="", db_index=True)
    certificate_type = models.CharField(max_length=3, choices=CertificateType.choices, blank=True, default="")
    certificate_no = models.CharField(max_length=100, blank=True, default="")
    expires_on = models.DateField(null=True, blank=True, db_index=True)

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "consumable lot"
        permissions = excel_permissions("consumablelot", "consumable lots")
        constraints = [
            non_blank_constraint("lot_id", "consumablelot"),
            non_blank_constraint("designation", "consumablelot"),
        ]

    def __str__(self) -> str:
        return self.lot_id

    def expired_on(self, on: dt.date | None = None) -> bool:
        """Whether the lot is expired on day `on` (default today); see `lot_expired_q`."""
        return self.expires_on is not None and self.expires_on < (on or timezone.localdate())
