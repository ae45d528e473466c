import pytest
from django.contrib.auth.models import Group

from inventory.models import Item, StockMovement
from inventory.services import item_adjust_stock
from tests.factories import ItemFactory, StockMovementFactory


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def form(**values) -> dict:
    return {
        "item_id": "INV-1",
        "item_name": "Wire",
        "quantity": 0,
        "unit": "kg",
        "reorder_level": 0,
        **values,
    }


@pytest.mark.django_db
class TestItemAdmin:
    def test_add_with_stock_records_a_receipt(self, admin_client, admin_user):
        response = admin_client.post("/admin/inventory/item/add/", form(quantity=12))
        assert response.status_code == 302, response.content[:2000]
        item = Item.objects.get()
        assert item.created_by == admin_user
        assert list(StockMovement.objects.values_list("delta", "quantity_after", "reason")) == [
            (12, 12, "receipt")
        ]

    def test_delete_takes_the_items_ledger(self, client, django_user_model):
        manager = django_user_model.objects.create_user("mgr", password="x" * 12, is_staff=True)
        manager.groups.add(Group.objects.get(name="manager"))
        client.force_login(manager)
        movement = StockMovementFactory()
        url = f"/admin/inventory/item/{movement.item.pk}/delete/"
        page = client.get(url)
        assert page.status_code == 200 and b"Are you sure" in page.content
        assert client.post(url, {"post": "yes"}).status_code == 302
        assert not Item.objects.exists() and not StockMovement.objects.exists()

    def test_a_stale_form_does_not_undo_a_movement_made_meanwhile(self, admin_client):
        item = ItemFactory(item_id="INV-1", quantity=0)
        page = admin_client.get(f"/admin/inventory/item/{item.pk}/change/")
        assert b'name="quantity_seen"' in page.content
        item_adjust_stock(item_id=item.pk, delta=5, reason="receipt")  # meanwhile, someone else
        response = admin_client.post(
            f"/admin/inventory/item/{item.pk}/change/", form(quantity=0, quantity_seen=0, item_name="Flux")
        )
        assert response.status_code == 302, response.content[:2000]
        item.refresh_from_db()
        assert (item.quantity, item.item_name) == (5, "Flux")
        assert list(StockMovement.objects.values_list("delta", flat=True)) == [5]

    def test_a_stale_quantity_edit_is_asked_again(self, admin_client):
        item = ItemFactory(item_id="INV-1", quantity=0)
        item_adjust_stock(item_id=item.pk, delta=5, reason="receipt")
        response = admin_client.post(
            f"/admin/inventory/item/{item.pk}/change/", form(quantity=3, quantity_seen=0)
        )
        assert response.status_code == 200 and b"changed from 0 to 5" in response.content
        item.refresh_from_db()
        assert item.quantity == 5 and StockMovement.objects.count() == 1

    def test_change_quantity_records_a_correction(self, admin_client):
        item = ItemFactory(item_id="INV-1", quantity=50)
        response = admin_client.post(
            f"/admin/inventory/item/{item.pk}/change/", form(quantity=45, item_name="Flux")
        )
        assert response.status_code == 302, response.content[:2000]
        item.refresh_from_db()
        assert (item.quantity, item.item_name) == (45, "Flux")
        assert list(StockMovement.objects.values_list("delta", "quantity_after", "reason")) == [
            (-5, 45, "correction")
        ]

    def test_negative_quantity_is_refused(self, admin_client):
        item = ItemFactory(item_id="INV-1", quantity=50)
        response = admin_client.post(f"/admin/inventory/item/{item.pk}/change/", form(quantity=-1))
        assert response.status_code == 200  # the form again, with the error
        item.refresh_from_db()
        assert item.quantity == 50 and StockMovement.objects.count() == 0

    def test_lists_and_filters(self, admin_client):
        ItemFactory(quantity=1, reorder_level=5)
        StockMovementFactory()
        assert admin_client.get("/admin/inventory/item/", {"is_low_stock__exact": "1"}).status_code == 200
        assert admin_client.get("/admin/inventory/item/", {"q": "rods"}).status_code == 200
        assert (
            admin_client.get("/admin/inventory/stockmovement/", {"reason__exact": "receipt"}).status_code
            == 200
        )


@pytest.mark.django_db
def test_the_ledger_is_read_only_in_the_admin(admin_client):
    movement = StockMovementFactory()
    assert admin_client.get("/admin/inventory/stockmovement/add/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/inventory/stockmovement/{movement.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        admin_client.get(f"/admin/inventory/stockmovement/{movement.pk}/change/").status_code == 200
    )  # view only
    assert StockMovement.objects.count() == 1
