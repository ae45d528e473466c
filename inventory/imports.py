from inventory.models import ConsumableLot, Item
from inventory.serializers import ConsumableLotSerializer, ItemSerializer
from inventory.services import item_import_ledger
from workshop.imports.spec import Column, Related, ResourceSpec

SPEC = ResourceSpec(
    resource="items",
    model=Item,
    serializer_class=ItemSerializer,
    key="item_id",
    columns=(
        Column("item_id", "ItemID"),
        Column("item_name", "ItemName"),
        Column("quantity", "Quantity"),
        Column("unit", "Unit"),
        Column("reorder_level", "ReorderLevel"),
    ),
    after_write=item_import_ledger,  # imported stock shows in the ledger like any change
)

LOTS_SPEC = ResourceSpec(
    resource="consumable-lots",
    model=ConsumableLot,
    serializer_class=ConsumableLotSerializer,
    key="lot_id",
    columns=(
        Column("lot_id", "LotID"),
        Column("item", "ItemID", source="item__item_id"),
        Column("designation", "Designation"),
        Column("aws_class", "AWSClass"),
        Column("filler_group", "FillerGroup"),
        Column("heat_number", "HeatNumber"),
        Column("certificate_type", "CertificateType"),
        Column("certificate_no", "CertificateNo"),
        Column("expires_on", "ExpiresOn"),
    ),
    related={"item": Related(Item, keys=("item_id",))},
)

SPECS = (LOTS_SPEC,)
