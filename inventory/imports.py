from inventory.models import Item
from inventory.serializers import ItemSerializer
from inventory.services import item_import_ledger
from workshop.imports.spec import Column, ResourceSpec

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
