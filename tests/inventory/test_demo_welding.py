"""The demo's consumable lots (inventory/demo_welding.py), as a user of the API sees them."""

import datetime as dt

import pytest
from django.conf import settings

from inventory.demo_welding import seed_lots
from inventory.models import ConsumableLot, Item
from tests.factories import ItemFactory
from tests.imports import workbooks as wb

LOTS = "/api/v1/consumable-lots/"
INVENTORY = settings.BASE_DIR / "workshop" / "demo" / "02_Inventory.xlsx"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
class TestSeedLots:
    def test_three_lots_of_the_shops_rods_one_expired(self, api):
        response = api.post(
            "/api/v1/items/import/", {"file": wb.upload(INVENTORY.read_bytes())}, format="multipart"
        )
        assert response.status_code == 201, response.json()
        created = seed_lots(Item.objects.all(), today=dt.date(2026, 12, 6))
        assert len(created) == 3
        body = api.get(LOTS).json()
        assert body["total"] == 3
        assert {lot["item"] for lot in body["items"]} == {"INV-001"}  # the welding rods, not the gloves
        assert all(lot["designation"] and lot["certificate_type"] for lot in body["items"])
        expired = api.get(LOTS, {"expired": "true", "as_of": "2026-12-06"}).json()["items"]
        assert [lot["lot_id"] for lot in expired] == ["LOT-DEMO-03"]
        assert api.get(LOTS, {"expired": "false", "as_of": "2026-12-06"}).json()["total"] == 2

    def test_loaded_once(self):
        rods = ItemFactory(item_name="Welding Rods E7018")
        assert len(seed_lots([rods])) == 3
        before = list(ConsumableLot.objects.order_by("pk").values())
        assert seed_lots([rods]) == []
        assert list(ConsumableLot.objects.order_by("pk").values()) == before

    def test_spread_over_the_fillers_only(self):
        rods = ItemFactory(item_id="INV-1", item_name="Welding rods")
        wire = ItemFactory(item_id="INV-2", item_name="MIG wire G3Si1")
        ItemFactory(item_id="INV-3", item_name="Argon Gas Cylinder")
        seed_lots(Item.objects.all(), today=dt.date(2026, 1, 1))
        assert dict(ConsumableLot.objects.values_list("lot_id", "item__item_id")) == {
            "LOT-DEMO-01": rods.item_id,
            "LOT-DEMO-02": wire.item_id,
            "LOT-DEMO-03": rods.item_id,
        }

    def test_no_filler_item_no_lots(self):
        gloves = ItemFactory(item_name="Safety Gloves")
        assert seed_lots([gloves]) == []
        assert not ConsumableLot.objects.exists()
