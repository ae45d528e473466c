"""Consumable lots (WELDING.md §1, §4, §5) and stock adjustments naming a lot (§2)."""

import datetime as dt

import pytest
from django.contrib.admin.sites import site
from django.utils import timezone

from inventory.models import ConsumableLot, Item, StockMovement
from inventory.views import ConsumableLotViewSet
from tests.contract import ExtraAction, ResourceContract, assert_error
from tests.factories import ConsumableLotFactory, ItemFactory, WeldActivityFactory
from tests.imports import workbooks as wb

LOTS = "/api/v1/consumable-lots/"
MOVEMENTS = "/api/v1/stock-movements/"
HEADERS = [
    "LotID",
    "ItemID",
    "Designation",
    "AWSClass",
    "FillerGroup",
    "HeatNumber",
    "CertificateType",
    "CertificateNo",
    "ExpiresOn",
]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATELIMIT_ENABLE = False


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def upload(client, rows: list[list]):
    return client.post(f"{LOTS}import/", {"file": wb.upload(wb.xlsx(rows))}, format="multipart")


def lots_snapshot() -> list[dict]:
    return list(
        ConsumableLot.objects.order_by("lot_id").values(
            "lot_id",
            "item__item_id",
            "designation",
            "aws_class",
            "filler_group",
            "heat_number",
            "certificate_type",
            "certificate_no",
            "expires_on",
        )
    )


class TestConsumableLotContract(ResourceContract):
    url = LOTS
    viewset = ConsumableLotViewSet
    factory = ConsumableLotFactory
    business_key = "lot_id"
    sort_field = "expires_on"
    max_list_queries = 3  # auth user, count, page with its item joined
    # WELDING.md §4: lots are written by managers and admins only (the contract's default).

    def extra_actions(self):
        # The recall scope (tests/inventory/test_recall.py): every role reads and exports it.
        everyone = frozenset({"viewer", "operator", "manager", "admin"})
        return [
            ExtraAction("welds", "get", "welds/", allowed=everyone),
            ExtraAction("welds_export", "get", "welds/export/", allowed=everyone),
        ]

    def create_payload(self):
        item = ItemFactory()
        return {
            "lot_id": "LOT-2025-017",
            "item": item.item_id,
            "designation": "ISO 2560-A E 42 4 B 42 H5",
            "aws_class": "E7018",
            "filler_group": "FM1",
            "heat_number": "H4471",
            "certificate_type": "3.1",
            "certificate_no": "CERT-88231",
            "expires_on": "2027-06-30",
        }

    def patch_payload(self, obj):
        return {"heat_number": "H9999", "expires_on": "2028-01-31", "certificate_type": "3.2"}

    def invalid_payloads(self):
        item = ItemFactory(item_id="INV-LOT")
        ok = {"lot_id": "LOT-9", "item": item.item_id, "designation": "E 42 4 B 42 H5"}
        return [
            ("no designation", {"lot_id": "LOT-9", "item": item.item_id}),
            ("blank designation", {**ok, "designation": " "}),
            ("no item", {"lot_id": "LOT-9", "designation": "x"}),
            ("unknown item", {**ok, "item": "INV-404"}),
            ("item null", {**ok, "item": None}),
            ("item as a number", {**ok, "item": 1}),
            ("item as an empty string", {**ok, "item": ""}),
            ("blank lot id", {**ok, "lot_id": "  "}),
            ("lot id over 32", {**ok, "lot_id": "L" * 33}),
            ("lot id a number", {**ok, "lot_id": 17}),
            ("unknown certificate type", {**ok, "certificate_type": "3.3"}),
            ("expiry not a date", {**ok, "expires_on": "next year"}),
            ("impossible expiry", {**ok, "expires_on": "2027-02-30"}),
            ("filler group over 10", {**ok, "filler_group": "F" * 11}),
            ("designation over 200", {**ok, "designation": "D" * 201}),
        ]

    def make_protected(self):
        return WeldActivityFactory(consumable_lot=ConsumableLotFactory()).consumable_lot

    def make_listed(self):
        return self.make(aws_class="ER70S-6", expires_on=dt.date(2027, 6, 30))


@pytest.mark.django_db
class TestLotFields:
    def test_created_lot_reads_back_with_the_item_key(self, api):
        item = ItemFactory(item_id="INV-001")
        response = api.post(
            LOTS,
            {"lot_id": " LOT-1 ", "item": "INV-001", "designation": "E 42", "certificate_type": "3.1"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["lot_id"] == "LOT-1"
        assert body["item"] == "INV-001"
        assert body["certificate_type"] == "3.1"
        assert (body["aws_class"], body["filler_group"], body["heat_number"], body["certificate_no"]) == (
            "",
            "",
            "",
            "",
        )
        assert body["expires_on"] is None
        assert ConsumableLot.objects.get().item == item

    def test_the_item_key_is_the_one_stock_movements_show(self, api):
        lot = ConsumableLotFactory(item=ItemFactory(item_id="INV-7", quantity=5))
        movement = api.post(
            f"/api/v1/items/{lot.item.pk}/adjust/", {"delta": -1, "reason": "consumption"}, format="json"
        ).json()["movement"]
        assert api.get(f"{LOTS}{lot.pk}/").json()["item"] == movement["item"] == "INV-7"

    def test_certificate_type_label_is_accepted(self, api):
        ItemFactory(item_id="INV-1")
        response = api.post(
            LOTS,
            {
                "lot_id": "LOT-1",
                "item": "INV-1",
                "designation": "x",
                "certificate_type": "3.2 (inspection certificate, third party)",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["certificate_type"] == "3.2"

    @pytest.mark.parametrize(
        ("what", "patch", "field"),
        [
            ("designation emptied", {"designation": ""}, "designation"),
            ("unknown item", {"item": "INV-404"}, "item"),
            ("bad certificate", {"certificate_type": "4.0"}, "certificate_type"),
            ("bad expiry", {"expires_on": "31/31/2027"}, "expires_on"),
        ],
    )
    def test_bad_patch_is_422_and_changes_nothing(self, api, what, patch, field):
        lot = ConsumableLotFactory()
        before = ConsumableLot.objects.values().get(pk=lot.pk)
        body = assert_error(api.patch(f"{LOTS}{lot.pk}/", patch, format="json"), 422, "VALIDATION_ERROR")
        assert field in body["errors"], (what, body)
        assert ConsumableLot.objects.values().get(pk=lot.pk) == before, what

    def test_duplicate_lot_id_on_patch_is_409(self, api):
        ConsumableLotFactory(lot_id="LOT-A")
        other = ConsumableLotFactory(lot_id="LOT-B")
        body = assert_error(
            api.patch(f"{LOTS}{other.pk}/", {"lot_id": "LOT-A"}, format="json"), 409, "DUPLICATE_RESOURCE"
        )
        assert "lot_id" in body["errors"]
        other.refresh_from_db()
        assert other.lot_id == "LOT-B"


@pytest.mark.django_db
class TestLotDelete:
    def test_a_lot_in_the_weld_log_is_409(self, api):
        entry = WeldActivityFactory(consumable_lot=ConsumableLotFactory(lot_id="LOT-R"))
        body = assert_error(api.delete(f"{LOTS}{entry.consumable_lot.pk}/"), 409, "CONFLICT")
        assert body["detail"]
        assert ConsumableLot.objects.filter(lot_id="LOT-R").exists()

    def test_a_lot_in_the_stock_ledger_is_409(self, api):
        lot = ConsumableLotFactory(item=ItemFactory(quantity=0))
        assert (
            api.post(
                f"/api/v1/items/{lot.item.pk}/adjust/",
                {"delta": 5, "reason": "receipt", "lot_id": lot.lot_id},
                format="json",
            ).status_code
            == 200
        )
        assert_error(api.delete(f"{LOTS}{lot.pk}/"), 409, "CONFLICT")
        assert ConsumableLot.objects.filter(pk=lot.pk).exists()

    def test_an_item_with_lots_cannot_be_deleted(self, api):
        lot = ConsumableLotFactory()
        assert_error(api.delete(f"/api/v1/items/{lot.item.pk}/"), 409, "CONFLICT")
        assert Item.objects.filter(pk=lot.item.pk).exists()

    def test_an_unused_lot_goes(self, api):
        lot = ConsumableLotFactory()
        assert api.delete(f"{LOTS}{lot.pk}/").json() == {"message": "Consumable lot deleted successfully"}
        assert not ConsumableLot.objects.exists()
        assert Item.objects.filter(pk=lot.item_id).exists()


@pytest.mark.django_db
class TestLotFilters:
    @pytest.fixture
    def lots(self):
        wire, rods = ItemFactory(item_id="INV-W"), ItemFactory(item_id="INV-R")
        return {
            "old": ConsumableLotFactory(
                lot_id="L-OLD",
                item=wire,
                filler_group="FM1",
                heat_number="H1",
                expires_on=dt.date(2025, 5, 31),
            ),
            "due": ConsumableLotFactory(
                lot_id="L-DUE",
                item=wire,
                filler_group="FM2",
                heat_number="H2",
                expires_on=dt.date(2025, 6, 1),
            ),
            "new": ConsumableLotFactory(
                lot_id="L-NEW",
                item=rods,
                filler_group="FM1",
                heat_number="H3",
                expires_on=dt.date(2026, 1, 1),
            ),
            "never": ConsumableLotFactory(
                lot_id="L-NEVER", item=rods, filler_group="fm5", heat_number="H3", expires_on=None
            ),
        }

    def listed(self, api, **params) -> list[str]:
        response = api.get(LOTS, params)
        assert response.status_code == 200, response.json()
        return [row["lot_id"] for row in response.json()["items"]]

    def test_item_filler_group_and_heat_number(self, api, lots):
        assert self.listed(api, item="inv-w") == ["L-OLD", "L-DUE"]
        assert self.listed(api, filler_group="FM1") == ["L-OLD", "L-NEW"]
        assert self.listed(api, filler_group="FM5") == ["L-NEVER"]
        assert self.listed(api, heat_number="h3") == ["L-NEW", "L-NEVER"]
        assert self.listed(api, item="INV-R", heat_number="H3", filler_group="fm1") == ["L-NEW"]
        assert self.listed(api, item="INV-404") == []

    def test_expired_as_of_a_day(self, api, lots):
        # A lot is usable on its expiry day; a lot without an expiry never expires.
        assert self.listed(api, expired="true", as_of="2025-06-01") == ["L-OLD"]
        assert self.listed(api, expired="false", as_of="2025-06-01") == ["L-DUE", "L-NEW", "L-NEVER"]
        assert self.listed(api, expired="true", as_of="2025-06-02") == ["L-OLD", "L-DUE"]
        assert self.listed(api, expired="true", as_of="2026-01-02") == ["L-OLD", "L-DUE", "L-NEW"]
        assert self.listed(api, expired="true", as_of="2025-05-31") == []

    def test_expired_defaults_to_today(self, api, lots):
        today = timezone.localdate()
        ConsumableLotFactory(lot_id="L-TODAY", expires_on=today)
        ConsumableLotFactory(lot_id="L-YESTERDAY", expires_on=today - dt.timedelta(days=1))
        expired = self.listed(api, expired="true", page_size=1000)
        assert "L-YESTERDAY" in expired and "L-TODAY" not in expired
        assert set(expired) == set(
            ConsumableLot.objects.filter(expires_on__lt=today).values_list("lot_id", flat=True)
        )

    def test_expires_before_and_after(self, api, lots):
        assert self.listed(api, expires_before="2025-06-01") == ["L-OLD"]
        assert self.listed(api, expires_after="2025-06-01") == ["L-NEW"]
        assert self.listed(api, expires_after="2025-05-01", expires_before="2025-12-31") == ["L-OLD", "L-DUE"]

    def test_search_by_lot_and_heat(self, api, lots):
        assert self.listed(api, search="L-DUE") == ["L-DUE"]
        assert self.listed(api, search="H3") == ["L-NEW", "L-NEVER"]

    def test_sort_by_item_and_expiry(self, api, lots):
        assert self.listed(api, sort_by="item", order="desc")[:2] == ["L-OLD", "L-DUE"]
        # (where a null expiry sorts differs between databases: leave it out)
        assert self.listed(api, ordering="-expires_on", expires_after="2000-01-01") == [
            "L-NEW",
            "L-DUE",
            "L-OLD",
        ]

    @pytest.mark.parametrize(
        "params",
        [
            {"as_of": "yesterday"},
            {"as_of": "2025-02-30"},
            {"expired": "maybe"},
            {"expires_before": "soon"},
            {"expires_after": "2025-13-01"},
            {"expired": "true", "as_of": "1.6.25x"},
        ],
    )
    def test_bad_values_are_422_naming_the_parameter(self, api, lots, params):
        body = assert_error(api.get(LOTS, params), 422, "VALIDATION_ERROR")
        bad = "as_of" if "as_of" in params else next(iter(params))
        assert bad in body["errors"], body

    def test_export_takes_the_filters(self, api, lots):
        from tests.imports.test_export import xlsx_rows

        response = api.get(f"{LOTS}export/", {"expired": "true", "as_of": "2025-06-02"})
        assert response.status_code == 200
        rows = xlsx_rows(body_of(response))
        assert rows[0] == tuple(HEADERS)
        assert [r[0] for r in rows[1:]] == ["L-OLD", "L-DUE"]


@pytest.mark.django_db
class TestLotExcel:
    def test_the_welding_columns_import(self, api):
        ItemFactory(item_id="INV-001")
        rows = [
            [
                "LotID",
                "ItemID",
                "Designation",
                "FillerGroup",
                "HeatNumber",
                "CertificateType",
                "CertificateNo",
                "ExpiresOn",
            ],
            [
                "LOT-1",
                "inv-001",
                "ISO 14341-A G 42 4 M21 3Si1",
                "FM1",
                "H4471",
                "3.1",
                "C-1",
                dt.date(2027, 6, 30),
            ],
            ["LOT-2", "INV-001", "E 42 4 B 42 H5", None, 4472, "2.2", None, "2026-01-31"],
        ]
        response = upload(api, rows)
        assert response.status_code == 201, response.json()
        assert response.json()["rows_created"] == 2
        assert lots_snapshot() == [
            {
                "lot_id": "LOT-1",
                "item__item_id": "INV-001",
                "designation": "ISO 14341-A G 42 4 M21 3Si1",
                "aws_class": "",
                "filler_group": "FM1",
                "heat_number": "H4471",
                "certificate_type": "3.1",
                "certificate_no": "C-1",
                "expires_on": dt.date(2027, 6, 30),
            },
            {
                "lot_id": "LOT-2",
                "item__item_id": "INV-001",
                "designation": "E 42 4 B 42 H5",
                "aws_class": "",
                "filler_group": "",
                "heat_number": "4472",
                "certificate_type": "2.2",
                "certificate_no": "",
                "expires_on": dt.date(2026, 1, 31),
            },
        ]

    def test_bad_rows_are_422_with_every_row_error_and_nothing_written(self, api):
        ItemFactory(item_id="INV-001")
        rows = [
            ["LotID", "ItemID", "Designation", "CertificateType", "ExpiresOn"],
            ["LOT-1", "INV-001", "E 42", "3.1", "2027-01-01"],
            ["LOT-2", "INV-404", "E 42", "3.1", None],
            ["LOT-3", "INV-001", None, "3.1", None],
            ["LOT-4", "INV-001", "E 42", "5.5", None],
            ["LOT-5", "INV-001", "E 42", None, "someday"],
            ["LOT-1", "INV-001", "E 42", None, None],
        ]
        body = assert_error(upload(api, rows), 422, "VALIDATION_ERROR")
        by_row = {(e["row"], e["column"]) for e in body["errors"]}
        assert by_row == {
            (3, "ItemID"),
            (4, "Designation"),
            (5, "CertificateType"),
            (6, "ExpiresOn"),
            (7, "LotID"),
        }, body["errors"]
        assert not ConsumableLot.objects.exists()

    def test_export_then_import_is_exact(self, api):
        from tests.imports.test_export import xlsx_rows

        wire = ItemFactory(item_id="INV-002")
        ConsumableLotFactory(
            lot_id="LOT-01",
            item=wire,
            designation="=E 42 4 B 42 H5",
            aws_class="E7018-1",
            filler_group="FM1",
            heat_number="0042",
            certificate_type="3.2",
            certificate_no="+49/7",
            expires_on=dt.date(2024, 2, 29),
        )
        ConsumableLotFactory(
            lot_id="LOT-02",
            item=ItemFactory(item_id="INV-003"),
            designation="ISO 636-A W 42 5 W3Si1",
            filler_group="",
            heat_number="",
            certificate_type="",
            expires_on=None,
        )
        before = lots_snapshot()
        content = body_of(api.get(f"{LOTS}export/"))
        assert xlsx_rows(content)[0] == tuple(HEADERS)
        # Into the same data: nothing changes.
        response = api.post(f"{LOTS}import/", {"file": wb.upload(content)}, format="multipart")
        assert response.status_code == 201, response.json()
        assert (response.json()["rows_created"], response.json()["rows_updated"]) == (0, 0)
        assert lots_snapshot() == before
        # Into an empty table: the same lots again.
        ConsumableLot.objects.all().delete()
        response = api.post(f"{LOTS}import/", {"file": wb.upload(content)}, format="multipart")
        assert response.status_code == 201, response.json()
        assert response.json()["rows_created"] == 2
        assert lots_snapshot() == before

    def test_csv_round_trip(self, api):
        ConsumableLotFactory(
            lot_id="LOT-C", heat_number="-0042", certificate_no="@x", expires_on=dt.date(2030, 1, 1)
        )
        before = lots_snapshot()
        content = body_of(api.get(f"{LOTS}export/", {"format": "csv"}))
        ConsumableLot.objects.all().delete()
        response = api.post(
            f"{LOTS}import/",
            {"file": wb.upload(wb.xlsx(_csv_as_rows(content)))},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        assert lots_snapshot() == before

    @pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("operator", 403), ("manager", 201)])
    def test_who_imports(self, client_for, role, status):
        ItemFactory(item_id="INV-1")
        response = upload(client_for(role), [["LotID", "ItemID", "Designation"], ["LOT-1", "INV-1", "x"]])
        assert response.status_code == status
        assert ConsumableLot.objects.exists() == (status == 201)

    @pytest.mark.parametrize("role", ["viewer", "operator"])
    def test_readers_export(self, client_for, role):
        ConsumableLotFactory()
        assert client_for(role).get(f"{LOTS}export/").status_code == 200

    def test_export_queries_do_not_grow(self, api, django_assert_max_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        ConsumableLotFactory()
        with CaptureQueriesContext(connection) as few:
            body_of(api.get(f"{LOTS}export/"))
        for _ in range(15):
            ConsumableLotFactory()
        with CaptureQueriesContext(connection) as many:
            body_of(api.get(f"{LOTS}export/"))
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def _csv_as_rows(content: bytes) -> list[list]:
    """A CSV export read as a spreadsheet holds it: every cell text (the import strips the
    leading apostrophe CSV exports put before formula characters)."""
    import csv
    import io

    return [list(row) for row in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))]


@pytest.mark.django_db
class TestAdjustWithLot:
    def adjust(self, client, item, **body):
        return client.post(f"/api/v1/items/{item.pk}/adjust/", body, format="json")

    def test_a_lot_of_the_item_is_recorded(self, api):
        item = ItemFactory(item_id="INV-001", quantity=10)
        lot = ConsumableLotFactory(lot_id="LOT-7", item=item)
        response = self.adjust(api, item, delta=-2, reason="consumption", lot_id="LOT-7")
        assert response.status_code == 200, response.json()
        movement = response.json()["movement"]
        assert movement["lot_id"] == "LOT-7" and movement["item"] == "INV-001"
        assert StockMovement.objects.get().lot == lot
        assert api.get(f"{MOVEMENTS}{movement['id']}/").json() == movement
        assert [m["lot_id"] for m in api.get(MOVEMENTS, {"lot": "lot-7"}).json()["items"]] == ["LOT-7"]

    def test_without_a_lot_it_is_null(self, api):
        item = ItemFactory(quantity=10)
        movement = self.adjust(api, item, delta=1, reason="receipt", lot_id=None).json()["movement"]
        assert movement["lot_id"] is None
        assert StockMovement.objects.get().lot is None

    def test_an_operator_names_a_lot(self, client_for):
        item = ItemFactory(quantity=10)
        ConsumableLotFactory(lot_id="LOT-OP", item=item)
        response = self.adjust(client_for("operator"), item, delta=-1, reason="consumption", lot_id="LOT-OP")
        assert response.status_code == 200, response.json()
        assert StockMovement.objects.get().lot.lot_id == "LOT-OP"

    @pytest.mark.parametrize(
        ("what", "lot_id"),
        [
            ("a lot of another item", "LOT-OTHER"),
            ("an unknown lot", "LOT-404"),
            ("an empty lot id", ""),
            ("a lot id as a number", 7),
        ],
    )
    def test_bad_lot_is_422_naming_lot_id_and_writes_nothing(self, api, what, lot_id):
        item = ItemFactory(item_id="INV-001", quantity=10)
        ConsumableLotFactory(lot_id="LOT-OTHER", item=ItemFactory(item_id="INV-002"))
        before = Item.objects.values().order_by("pk")
        before = list(before)
        body = assert_error(
            self.adjust(api, item, delta=-2, reason="consumption", lot_id=lot_id), 422, "VALIDATION_ERROR"
        )
        assert list(body["errors"]) == ["lot_id"], (what, body)
        assert StockMovement.objects.count() == 0, what
        assert list(Item.objects.values().order_by("pk")) == before, what

    def test_the_mismatch_names_both_items(self, api):
        item = ItemFactory(item_id="INV-001", quantity=10)
        ConsumableLotFactory(lot_id="LOT-OTHER", item=ItemFactory(item_id="INV-002"))
        body = assert_error(
            self.adjust(api, item, delta=5, reason="receipt", lot_id="LOT-OTHER"), 422, "VALIDATION_ERROR"
        )
        assert body["errors"]["lot_id"] == ["Lot LOT-OTHER is a lot of INV-002, not of the adjusted item."]

    def test_movement_list_with_lots_in_constant_queries(self, api, django_assert_max_num_queries):
        item = ItemFactory(quantity=1000)
        for _ in range(10):
            lot = ConsumableLotFactory(item=item)
            self.adjust(api, item, delta=-1, reason="consumption", lot_id=lot.lot_id)
        with django_assert_max_num_queries(3):  # auth user, count, page with item, order and lot joined
            body = api.get(MOVEMENTS).json()
        assert len({m["lot_id"] for m in body["items"]}) == 10


@pytest.mark.django_db
class TestLotAdmin:
    def test_changelist_search_and_filters(self, admin_user, client, django_assert_max_num_queries):
        client.force_login(admin_user)
        ConsumableLotFactory(lot_id="LOT-A", heat_number="H-77", expires_on=dt.date(2000, 1, 1))
        ConsumableLotFactory(lot_id="LOT-B", heat_number="H-88")
        url = "/admin/inventory/consumablelot/"
        response = client.get(url)
        assert response.status_code == 200
        assert b"LOT-A" in response.content and b"LOT-B" in response.content
        response = client.get(url, {"q": "H-77"})
        assert b"LOT-A" in response.content and b"LOT-B" not in response.content
        response = client.get(url, {"expired": "yes"})
        assert b"LOT-A" in response.content and b"LOT-B" not in response.content
        for _ in range(10):
            ConsumableLotFactory()
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200

    def test_registered(self):
        assert ConsumableLot in site._registry
