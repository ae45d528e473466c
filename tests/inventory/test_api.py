import pytest
from drf_spectacular.generators import SchemaGenerator

from inventory.models import Item, StockMovement
from inventory.views import ItemViewSet, StockMovementViewSet
from tests.contract import ExtraAction, ResourceContract, assert_error
from tests.factories import ItemFactory, StockMovementFactory, WorkOrderFactory

ITEMS = "/api/v1/items/"
MOVEMENTS = "/api/v1/stock-movements/"


def adjust_url(item) -> str:
    return f"{ITEMS}{item.pk}/adjust"


def ledger(item) -> list[tuple]:
    return list(
        StockMovement.objects.filter(item=item)
        .order_by("id")
        .values_list("delta", "quantity_after", "reason")
    )


class TestItemContract(ResourceContract):
    url = ITEMS
    viewset = ItemViewSet
    factory = ItemFactory
    business_key = "item_id"
    sort_field = "quantity"
    max_list_queries = 3  # auth user, count, page

    def extra_actions(self):
        # SPEC: operators make stock adjustments; viewers write nothing.
        return [
            ExtraAction(
                "adjust",
                "post",
                "adjust/",
                allowed=frozenset({"operator", "manager", "admin"}),
                body={"delta": 2, "reason": "receipt"},
            )
        ]

    def create_payload(self):
        return {
            "item_id": "INV-900",
            "item_name": "Argon 50 l",
            "quantity": 12,
            "unit": "bottle",
            "reorder_level": 4,
        }

    def patch_payload(self, obj):
        return {"item_name": "Welding rods E7018", "reorder_level": 60}

    def invalid_payloads(self):
        ok = {"item_id": "INV-9", "item_name": "Wire"}
        return [
            ("negative quantity", {**ok, "quantity": -1}),
            ("negative reorder level", {**ok, "reorder_level": -1}),
            ("quantity not a number", {**ok, "quantity": "lots"}),
            ("fractional quantity", {**ok, "quantity": 1.5}),
            ("quantity null", {**ok, "quantity": None}),
            ("quantity a boolean", {**ok, "quantity": True}),
            ("quantity over the integer range", {**ok, "quantity": 2**31}),
            ("reorder level not a number", {**ok, "reorder_level": "ten"}),
            ("blank key", {**ok, "item_id": "   "}),
            ("key over 32", {**ok, "item_id": "I" * 33}),
            ("no name", {"item_id": "INV-9"}),
            ("blank name", {**ok, "item_name": ""}),
        ]

    def make_protected(self):
        return None  # an item's movements are its own history and go with it


class TestStockMovementContract(ResourceContract):
    url = MOVEMENTS
    viewset = StockMovementViewSet
    factory = StockMovementFactory
    actions = frozenset({"list", "retrieve"})
    sort_field = "created_at"
    max_list_queries = 3  # auth user, count, page with item and work order joined

    def make_listed(self):
        return self.make(work_order=WorkOrderFactory(), delta=-5, quantity_after=45, reason="consumption")


@pytest.mark.django_db
class TestAdjust:
    def test_receipt(self, api):
        item = ItemFactory(quantity=10, reorder_level=20, unit="kg")
        response = api.post(
            adjust_url(item), {"delta": 15, "reason": "receipt", "note": "Delivery 4711"}, format="json"
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert set(body) == {"item", "movement"}
        assert body["item"]["id"] == item.pk
        assert body["item"]["quantity"] == 25 and body["item"]["is_low_stock"] is False
        movement = StockMovement.objects.get()
        assert body["movement"] == {
            "id": movement.pk,
            "item": item.item_id,
            "delta": 15,
            "quantity_after": 25,
            "reason": "receipt",
            "order_id": None,
            "lot_id": None,
            "note": "Delivery 4711",
            "created_at": body["movement"]["created_at"],
            "updated_at": body["movement"]["updated_at"],
            "created_by": api.user.pk,
        }
        assert api.get(f"{ITEMS}{item.pk}/").json() == body["item"]
        assert api.get(f"{MOVEMENTS}{movement.pk}/").json() == body["movement"]

    def test_consumption_for_a_work_order_with_label_and_slash(self, api):
        item = ItemFactory(quantity=12, reorder_level=10)
        order = WorkOrderFactory(order_id="WO-1001")
        response = api.post(
            f"{adjust_url(item)}/",
            {"delta": -3, "reason": "Consumption", "order_id": "WO-1001"},
            format="json",
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["item"]["quantity"] == 9 and body["item"]["is_low_stock"] is True
        assert body["movement"]["reason"] == "consumption"
        assert body["movement"]["order_id"] == "WO-1001"
        assert body["movement"]["note"] == ""
        assert StockMovement.objects.get().work_order == order

    def test_correction_either_way_and_taking_everything(self, api):
        item = ItemFactory(quantity=5)
        assert (
            api.post(adjust_url(item), {"delta": 2, "reason": "correction"}, format="json").status_code == 200
        )
        assert (
            api.post(adjust_url(item), {"delta": -7, "reason": "correction"}, format="json").status_code
            == 200
        )
        item.refresh_from_db()
        assert item.quantity == 0
        assert ledger(item) == [(2, 7, "correction"), (-7, 0, "correction")]

    @pytest.mark.parametrize(
        ("what", "body", "field"),
        [
            ("zero delta", {"delta": 0, "reason": "correction"}, "delta"),
            ("no delta", {"reason": "receipt"}, "delta"),
            ("delta null", {"delta": None, "reason": "receipt"}, "delta"),
            ("delta not a number", {"delta": "five", "reason": "receipt"}, "delta"),
            ("fractional delta", {"delta": 1.5, "reason": "receipt"}, "delta"),
            ("delta a boolean", {"delta": True, "reason": "receipt"}, "delta"),
            ("delta over the integer range", {"delta": 2**31, "reason": "receipt"}, "delta"),
            ("no reason", {"delta": 1}, "reason"),
            ("unknown reason", {"delta": 1, "reason": "theft"}, "reason"),
            ("reason null", {"delta": 1, "reason": None}, "reason"),
            ("negative receipt", {"delta": -1, "reason": "receipt"}, "delta"),
            ("positive consumption", {"delta": 1, "reason": "consumption"}, "delta"),
            ("unknown work order", {"delta": -1, "reason": "consumption", "order_id": "WO-404"}, "order_id"),
            ("note too long", {"delta": 1, "reason": "receipt", "note": "x" * 501}, "note"),
            ("note null", {"delta": 1, "reason": "receipt", "note": None}, "note"),
        ],
    )
    def test_bad_input_is_422_and_writes_nothing(self, api, what, body, field):
        WorkOrderFactory(order_id="WO-1")
        item = ItemFactory(quantity=10)
        before = Item.objects.values().get(pk=item.pk)
        response = api.post(adjust_url(item), body, format="json")
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert field in error["errors"], (what, error)
        assert StockMovement.objects.count() == 0, what
        assert Item.objects.values().get(pk=item.pk) == before, what

    def test_body_not_an_object_is_422(self, api):
        item = ItemFactory(quantity=10)
        assert_error(api.post(adjust_url(item), [1, 2], format="json"), 422, "VALIDATION_ERROR")
        assert StockMovement.objects.count() == 0

    def test_malformed_json_is_400(self, api):
        item = ItemFactory(quantity=10)
        response = api.post(adjust_url(item), "{delta: -1", content_type="application/json")
        assert_error(response, 400, "BAD_REQUEST")
        assert StockMovement.objects.count() == 0

    def test_below_zero_is_409_and_writes_nothing(self, api):
        item = ItemFactory(quantity=3, unit="kg")
        before = Item.objects.values().get(pk=item.pk)
        response = api.post(adjust_url(item), {"delta": -5, "reason": "consumption"}, format="json")
        body = assert_error(response, 409, "CONFLICT")
        assert body["detail"] == f"Not enough stock: {item.item_id} has 3 kg, cannot take 5."
        assert StockMovement.objects.count() == 0
        assert Item.objects.values().get(pk=item.pk) == before

    def test_past_the_integer_range_is_409(self, api):
        item = ItemFactory(quantity=2**31 - 10)
        body = assert_error(
            api.post(adjust_url(item), {"delta": 11, "reason": "receipt"}, format="json"), 409, "CONFLICT"
        )
        assert body["detail"].startswith("Too much stock")
        item.refresh_from_db()
        assert item.quantity == 2**31 - 10 and StockMovement.objects.count() == 0

    def test_missing_item_is_404(self, api):
        response = api.post(f"{ITEMS}999999/adjust", {"delta": 1, "reason": "receipt"}, format="json")
        assert_error(response, 404, "NOT_FOUND")
        assert StockMovement.objects.count() == 0

    def test_anonymous_is_401(self, anon):
        item = ItemFactory(quantity=10)
        assert_error(
            anon.post(adjust_url(item), {"delta": 1, "reason": "receipt"}, format="json"), 401, "UNAUTHORIZED"
        )
        assert StockMovement.objects.count() == 0

    def test_get_is_405(self, api):
        assert_error(api.get(adjust_url(ItemFactory())), 405, "METHOD_NOT_ALLOWED")

    def test_query_count_is_bounded(self, api, django_assert_max_num_queries):
        item = ItemFactory(quantity=100)
        WorkOrderFactory(order_id="WO-7")
        payload = {"delta": -1, "reason": "consumption", "order_id": "WO-7"}
        # auth user, item, work order, update, read back, insert (+ savepoint pair in the test
        # transaction), the item read again for the answer's new ETag (SPEC §7)
        with django_assert_max_num_queries(9 + 2):  # + the item's and the movement's history versions
            assert api.post(adjust_url(item), payload, format="json").status_code == 200

    def test_ledger_sums_to_quantity(self, api):
        created = api.post(
            ITEMS, {"item_id": "INV-1", "item_name": "Wire", "quantity": 40}, format="json"
        ).json()
        item = Item.objects.get(pk=created["id"])
        api.post(adjust_url(item), {"delta": -15, "reason": "consumption"}, format="json")
        api.post(adjust_url(item), {"delta": 30, "reason": "receipt"}, format="json")
        api.patch(f"{ITEMS}{item.pk}/", {"quantity": 50}, format="json")
        api.post(adjust_url(item), {"delta": -60, "reason": "consumption"}, format="json")  # refused
        item.refresh_from_db()
        assert item.quantity == 50
        assert ledger(item) == [
            (40, 40, "receipt"),
            (-15, 25, "consumption"),
            (30, 55, "receipt"),
            (-5, 50, "correction"),
        ]
        assert sum(delta for delta, _, _ in ledger(item)) == item.quantity


@pytest.mark.django_db
class TestItemLedger:
    def test_create_with_stock_records_a_receipt(self, api):
        body = api.post(
            ITEMS, {"item_id": "INV-1", "item_name": "Wire", "quantity": 7, "reorder_level": 7}, format="json"
        ).json()
        assert body["is_low_stock"] is True
        movement = StockMovement.objects.get()
        assert (movement.item_id, movement.delta, movement.quantity_after, movement.reason) == (
            body["id"],
            7,
            7,
            "receipt",
        )
        assert movement.created_by_id == api.user.pk

    def test_create_without_stock_records_nothing(self, api):
        body = api.post(ITEMS, {"item_id": "INV-1", "item_name": "Wire"}, format="json").json()
        assert body["quantity"] == 0 and body["reorder_level"] == 0 and body["is_low_stock"] is True
        assert StockMovement.objects.count() == 0

    def test_patch_quantity_records_a_correction(self, api):
        item = ItemFactory(quantity=50, reorder_level=10)
        body = api.patch(f"{ITEMS}{item.pk}/", {"quantity": 8}, format="json").json()
        assert body["quantity"] == 8 and body["is_low_stock"] is True
        movement = StockMovement.objects.get()
        assert (movement.delta, movement.quantity_after, movement.reason) == (-42, 8, "correction")
        assert movement.created_by_id == api.user.pk
        assert movement.note == "Quantity edited from 50 to 8."

    def test_put_quantity_records_a_correction(self, api):
        item = ItemFactory(quantity=5, reorder_level=10)
        payload = {
            "item_id": item.item_id,
            "item_name": "Flux",
            "quantity": 30,
            "unit": "kg",
            "reorder_level": 10,
        }
        body = api.put(f"{ITEMS}{item.pk}/", payload, format="json").json()
        assert body["quantity"] == 30 and body["is_low_stock"] is False and body["item_name"] == "Flux"
        assert ledger(item) == [(25, 30, "correction")]

    def test_unchanged_quantity_records_nothing(self, api):
        item = ItemFactory(quantity=50)
        assert api.patch(f"{ITEMS}{item.pk}/", {"quantity": 50}, format="json").status_code == 200
        assert api.patch(f"{ITEMS}{item.pk}/", {"item_name": "Other"}, format="json").status_code == 200
        payload = {"item_id": item.item_id, "item_name": "Flux", "quantity": 50}
        assert api.put(f"{ITEMS}{item.pk}/", payload, format="json").status_code == 200
        assert StockMovement.objects.count() == 0

    def test_bad_quantity_on_update_is_422_and_writes_nothing(self, api):
        item = ItemFactory(quantity=50)
        for quantity in (-1, "many", None):
            response = api.patch(f"{ITEMS}{item.pk}/", {"quantity": quantity}, format="json")
            assert "quantity" in assert_error(response, 422, "VALIDATION_ERROR")["errors"]
        item.refresh_from_db()
        assert item.quantity == 50 and StockMovement.objects.count() == 0

    def test_reorder_level_change_updates_low_stock(self, api):
        item = ItemFactory(quantity=10, reorder_level=5)
        body = api.patch(f"{ITEMS}{item.pk}/", {"reorder_level": 10}, format="json").json()
        assert body["is_low_stock"] is True
        assert StockMovement.objects.count() == 0

    def test_low_stock_is_read_only(self, api):
        item = ItemFactory(quantity=50, reorder_level=10)
        body = api.patch(f"{ITEMS}{item.pk}/", {"is_low_stock": True}, format="json").json()
        assert body["is_low_stock"] is False

    def test_deleting_an_item_deletes_its_ledger_and_nothing_else(self, api):
        body = api.post(ITEMS, {"item_id": "INV-1", "item_name": "Wire", "quantity": 3}, format="json").json()
        assert (
            api.post(
                f"{ITEMS}{body['id']}/adjust", {"delta": -1, "reason": "consumption"}, format="json"
            ).status_code
            == 200
        )
        other = StockMovementFactory()
        response = api.delete(f"{ITEMS}{body['id']}/")
        assert response.status_code == 200 and response.json() == {"message": "Item deleted successfully"}
        assert not Item.objects.filter(pk=body["id"]).exists()
        assert list(StockMovement.objects.values_list("pk", flat=True)) == [other.pk]

    def test_a_work_order_with_stock_movements_is_still_protected(self, api):
        movement = StockMovementFactory(work_order=WorkOrderFactory(), delta=-1, reason="consumption")
        error = assert_error(api.delete(f"/api/v1/workorders/{movement.work_order.pk}/"), 409, "CONFLICT")
        assert "1 stock movement." in error["detail"]

    def test_update_query_count_is_bounded(self, api, django_assert_max_num_queries):
        item = ItemFactory(quantity=50)
        # auth user, item, lock, update, insert movement, read low stock (+ two savepoint pairs)
        with django_assert_max_num_queries(10 + 2):  # + the item's and the movement's history versions
            assert api.patch(f"{ITEMS}{item.pk}/", {"quantity": 40}, format="json").status_code == 200


@pytest.mark.django_db
class TestItemFilters:
    def test_low_stock_boundary(self, api):
        below = ItemFactory(quantity=4, reorder_level=5)
        equal = ItemFactory(quantity=5, reorder_level=5)
        above = ItemFactory(quantity=6, reorder_level=5)

        def ids(**params):
            return [i["id"] for i in api.get(ITEMS, params).json()["items"]]

        assert ids(low_stock="true") == [below.pk, equal.pk]
        assert ids(low_stock="false") == [above.pk]
        assert ids(low_stock="True", sort_by="quantity", order="desc") == [equal.pk, below.pk]
        assert ids() == [below.pk, equal.pk, above.pk]
        items = api.get(ITEMS).json()["items"]
        assert [i["is_low_stock"] for i in items] == [True, True, False]

    @pytest.mark.parametrize("value", ["maybe", "2", "tru"])
    def test_bad_low_stock_is_422(self, api, value):
        ItemFactory()
        response = api.get(ITEMS, {"low_stock": value})
        assert "low_stock" in assert_error(response, 422, "VALIDATION_ERROR")["errors"]

    def test_search(self, api):
        ItemFactory(item_id="INV-1", item_name="Welding rods E7018")
        wire = ItemFactory(item_id="INV-2", item_name="MIG wire 1.0 mm")
        assert [i["id"] for i in api.get(ITEMS, {"search": "mig wire"}).json()["items"]] == [wire.pk]


@pytest.mark.django_db
class TestStockMovementFilters:
    def test_filters(self, api):
        rods = ItemFactory(item_id="INV-1")
        wire = ItemFactory(item_id="INV-2")
        order = WorkOrderFactory(order_id="WO-1001")
        receipt = StockMovementFactory(item=rods, delta=5, quantity_after=55, reason="receipt")
        used = StockMovementFactory(
            item=rods, delta=-2, quantity_after=53, reason="consumption", work_order=order
        )
        fixed = StockMovementFactory(item=wire, delta=-1, quantity_after=49, reason="correction")

        def ids(**params):
            response = api.get(MOVEMENTS, params)
            assert response.status_code == 200, response.json()
            return [i["id"] for i in response.json()["items"]]

        assert ids(item="inv-1") == [receipt.pk, used.pk]
        assert ids(reason="consumption,Correction") == [used.pk, fixed.pk]
        assert ids(order_id="WO-1001") == [used.pk]
        assert ids(item="INV-404") == []
        assert ids(sort_by="delta") == [used.pk, fixed.pk, receipt.pk]
        body = api.get(f"{MOVEMENTS}{used.pk}/").json()
        assert body["item"] == "INV-1" and body["order_id"] == "WO-1001"
        assert_error(api.get(MOVEMENTS, {"reason": "theft"}), 422, "VALIDATION_ERROR")

    def test_no_writes(self, api):
        movement = StockMovementFactory()
        url = f"{MOVEMENTS}{movement.pk}/"
        assert_error(api.patch(url, {"delta": 1}, format="json"), 405, "METHOD_NOT_ALLOWED")
        assert_error(api.delete(url), 405, "METHOD_NOT_ALLOWED")
        assert StockMovement.objects.get().delta == movement.delta


def test_adjust_is_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/items/{id}/adjust/"]["post"]
    assert operation["summary"] == "Adjust an item's stock"
    body = operation["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/StockAdjustmentRequest"}
    assert body["examples"]
    responses = operation["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StockAdjustmentResult"
    }
    assert {"400", "401", "404", "409", "422"} <= set(responses)
    assert "Not enough stock" in responses["409"]["description"]
    request = schema["components"]["schemas"]["StockAdjustmentRequest"]
    assert set(request["properties"]) == {"delta", "reason", "order_id", "lot_id", "note"}
    assert set(request["required"]) == {"delta", "reason"}
    movements = schema["paths"]["/api/v1/stock-movements/"]
    assert set(movements) == {"get"}
