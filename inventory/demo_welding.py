"""Demo consumable lots (WELDING.md §1) for `seed_demo`: three lots of the shop's filler
materials with their EN 10204 certificates, one of them expired, so a new user sees lots
(and the `LOT_EXPIRED` warning) working.

`seed_lots(items)` takes the items the demo loaded (02_Inventory: `INV-001 Welding Rods
(Type A)`), keeps the filler materials among them (by name: rods, wire, electrodes, filler),
and spreads the lots over them. Loaded once: lots whose `lot_id` exists are left as they are.
Expiry dates are relative to today, so the expired lot stays expired and the others stay
valid whenever the demo is loaded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import structlog
from django.db import transaction
from django.utils import timezone

from inventory.models import CertificateType, ConsumableLot, Item

log = structlog.get_logger(__name__)

FILLER_NAME = re.compile(r"\b(rods?|wires?|electrodes?|filler)\b", re.IGNORECASE)

# (lot_id, designation, aws_class, filler_group, heat_number, certificate type, certificate no,
#  days from today to expiry: negative = expired)
DEMO_LOTS = (
    (
        "LOT-DEMO-01",
        "ISO 2560-A E 42 4 B 42 H5",
        "E7018",
        "FM1",
        "H4471",
        CertificateType.T31,
        "C-24-0117",
        540,
    ),
    (
        "LOT-DEMO-02",
        "ISO 2560-A E 42 4 B 42 H5",
        "E7018",
        "FM1",
        "H4502",
        CertificateType.T31,
        "C-24-0188",
        300,
    ),
    (
        "LOT-DEMO-03",
        "ISO 2560-A E 38 2 B 32 H10",
        "E7016",
        "FM1",
        "H3990",
        CertificateType.T22,
        "C-22-0951",
        -30,
    ),
)


def is_filler(item: Item) -> bool:
    """A filler material, by its name: welding rods, wire, electrodes."""
    return bool(FILLER_NAME.search(item.item_name))


@transaction.atomic
def seed_lots(items: Iterable[Item], *, today: dt.date | None = None) -> list[ConsumableLot]:
    """Creates the demo lots (one expired) for the filler items among `items`, round robin.
    Returns the lots created (none when there is no filler item, or when they exist)."""
    today = today or timezone.localdate()
    fillers = sorted((item for item in items if is_filler(item)), key=lambda item: item.item_id)
    if not fillers:
        log.info("demo.lots_skipped", reason="no filler items")
        return []
    existing = set(
        ConsumableLot.objects.filter(lot_id__in=[row[0] for row in DEMO_LOTS]).values_list(
            "lot_id", flat=True
        )
    )
    lots = [
        ConsumableLot(
            lot_id=lot_id,
            item=fillers[n % len(fillers)],
            designation=designation,
            aws_class=aws_class,
            filler_group=filler_group,
            heat_number=heat_number,
            certificate_type=certificate_type,
            certificate_no=certificate_no,
            expires_on=today + dt.timedelta(days=days),
        )
        for n, (
            lot_id,
            designation,
            aws_class,
            filler_group,
            heat_number,
            certificate_type,
            certificate_no,
            days,
        ) in (enumerate(DEMO_LOTS))
        if lot_id not in existing
    ]
    for lot in lots:
        lot.full_clean()
    created = ConsumableLot.objects.bulk_create(lots)
    log.info("demo.lots_created", lots=len(created), items=[item.item_id for item in fillers])
    return created
