"""The weld an inspection examined (WELDING.md §2): `weld_id` in the API and `WeldID` in the
inspections' Excel files. It must be one of the inspection's work order's welds."""

import pytest
from django.conf import settings

from inspections.models import Inspection
from tests.contract import assert_error
from tests.factories import InspectionFactory, WeldFactory, WorkOrderFactory
from tests.imports import workbooks as wb

URL = "/api/v1/inspections/"
SHOP_FILE = settings.BASE_DIR / "workshop" / "demo" / "04_QC_Logs.xlsx"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def welds():
    """WO-1000 with its weld W1; WO-2000 with its weld W9."""
    own = WeldFactory(weld_id="WO-1000-W01", order=WorkOrderFactory(order_id="WO-1000"))
    other = WeldFactory(weld_id="WO-2000-W09", order=WorkOrderFactory(order_id="WO-2000"))
    return own, other


def payload(**fields) -> dict:
    return {"inspection_id": "QC-1", "order_id": "WO-1000", "result": "pass", "method": "RT", **fields}


def import_file(client, rows):
    return client.post(f"{URL}import/", {"file": wb.upload(wb.xlsx(rows))}, format="multipart")


@pytest.mark.django_db
class TestWeldInTheApi:
    def test_a_weld_of_the_order(self, api, welds):
        own, _ = welds
        response = api.post(URL, payload(weld_id="WO-1000-W01"), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["weld_id"] == "WO-1000-W01"
        assert Inspection.objects.get().weld == own
        assert api.get(f"{URL}{body['id']}/").json() == body

    def test_no_weld_is_null(self, api, welds):
        body = api.post(URL, payload(), format="json").json()
        assert body["weld_id"] is None
        body = api.post(URL, payload(inspection_id="QC-2", weld_id=None), format="json").json()
        assert body["weld_id"] is None

    def test_an_operator_names_the_weld(self, client_for, welds):
        response = client_for("operator").post(URL, payload(weld_id="WO-1000-W01"), format="json")
        assert response.status_code == 201, response.json()

    @pytest.mark.parametrize(
        ("what", "weld_id"),
        [
            ("another order's weld", "WO-2000-W09"),
            ("an unknown weld", "W-404"),
            ("an empty weld id", ""),
            ("a weld id as a number", 1),
        ],
    )
    def test_bad_weld_is_422_naming_weld_id_and_writes_nothing(self, api, welds, what, weld_id):
        body = assert_error(api.post(URL, payload(weld_id=weld_id), format="json"), 422, "VALIDATION_ERROR")
        assert list(body["errors"]) == ["weld_id"], (what, body)
        assert not Inspection.objects.exists(), what

    def test_another_orders_weld_says_so(self, api, welds):
        body = assert_error(
            api.post(URL, payload(weld_id="WO-2000-W09"), format="json"), 422, "VALIDATION_ERROR"
        )
        assert body["errors"]["weld_id"] == ["The weld is not one of the work order's."]

    def test_patch_to_another_orders_weld_is_422(self, api, welds):
        own, _ = welds
        inspection = InspectionFactory(work_order=own.order, weld=own)
        before = Inspection.objects.values().get(pk=inspection.pk)
        body = assert_error(
            api.patch(f"{URL}{inspection.pk}/", {"weld_id": "WO-2000-W09"}, format="json"),
            422,
            "VALIDATION_ERROR",
        )
        assert "weld_id" in body["errors"]
        assert Inspection.objects.values().get(pk=inspection.pk) == before

    def test_moving_to_another_order_keeps_the_weld_honest(self, api, welds):
        own, other = welds
        inspection = InspectionFactory(work_order=own.order, weld=own)
        before = Inspection.objects.values().get(pk=inspection.pk)
        # The order alone: the weld stays W01, which is not WO-2000's.
        body = assert_error(
            api.patch(f"{URL}{inspection.pk}/", {"order_id": "WO-2000"}, format="json"),
            422,
            "VALIDATION_ERROR",
        )
        assert "weld_id" in body["errors"]
        assert Inspection.objects.values().get(pk=inspection.pk) == before
        # Both together: fine.
        response = api.patch(
            f"{URL}{inspection.pk}/", {"order_id": "WO-2000", "weld_id": "WO-2000-W09"}, format="json"
        )
        assert response.status_code == 200, response.json()
        inspection.refresh_from_db()
        assert (inspection.work_order, inspection.weld) == (other.order, other)

    def test_the_weld_can_be_cleared(self, api, welds):
        own, _ = welds
        inspection = InspectionFactory(work_order=own.order, weld=own)
        response = api.patch(f"{URL}{inspection.pk}/", {"weld_id": None}, format="json")
        assert response.status_code == 200 and response.json()["weld_id"] is None
        inspection.refresh_from_db()
        assert inspection.weld is None

    def test_search_by_weld(self, api, welds):
        own, _ = welds
        InspectionFactory(inspection_id="QC-W", work_order=own.order, weld=own)
        InspectionFactory(inspection_id="QC-X", work_order=own.order)
        assert [i["inspection_id"] for i in api.get(URL, {"search": "W01"}).json()["items"]] == ["QC-W"]

    def test_list_with_welds_in_constant_queries(self, api, django_assert_max_num_queries):
        for _ in range(10):
            weld = WeldFactory()
            InspectionFactory(work_order=weld.order, weld=weld)
        with django_assert_max_num_queries(4):  # auth user, count, page with order and weld joined, findings
            items = api.get(URL).json()["items"]
        assert len({i["weld_id"] for i in items}) == 10


@pytest.mark.django_db
class TestWeldIdColumn:
    HEADER = ["InspectionID", "OrderID", "WeldID", "Result", "DefectType", "Method"]

    def test_imported_with_the_weld(self, api, welds):
        own, _ = welds
        rows = [
            self.HEADER,
            ["QC-1", "WO-1000", "wo-1000-w01", "Pass", None, "RT"],
            ["QC-2", "WO-2000", None, "Fail", "Porosity", "VT"],
        ]
        response = import_file(api, rows)
        assert response.status_code == 201, response.json()
        assert dict(Inspection.objects.values_list("inspection_id", "weld__weld_id")) == {
            "QC-1": "WO-1000-W01",
            "QC-2": None,
        }

    def test_bad_welds_are_row_errors_and_nothing_is_written(self, api, welds):
        rows = [
            self.HEADER,
            ["QC-1", "WO-1000", "WO-1000-W01", "Pass", None, "RT"],
            ["QC-2", "WO-1000", "WO-2000-W09", "Pass", None, "RT"],
            ["QC-3", "WO-1000", "W-404", "Pass", None, "RT"],
        ]
        body = assert_error(import_file(api, rows), 422, "VALIDATION_ERROR")
        assert body["errors"] == [
            {"row": 3, "column": "WeldID", "message": "The weld is not one of the work order's."},
            {"row": 4, "column": "WeldID", "message": "No weld 'W-404'."},
        ]
        assert not Inspection.objects.exists()

    def test_export_writes_the_weld_and_imports_back_unchanged(self, api, welds):
        from tests.imports.test_export import body, xlsx_rows

        own, _ = welds
        InspectionFactory(inspection_id="QC-1", work_order=own.order, weld=own)
        InspectionFactory(inspection_id="QC-2", work_order=own.order)
        before = list(Inspection.objects.order_by("pk").values())
        content = body(api.get(f"{URL}export/"))
        rows = xlsx_rows(content)
        weld_column = rows[0].index("WeldID")
        assert [r[weld_column] for r in rows[1:]] == ["WO-1000-W01", None]
        response = api.post(f"{URL}import/", {"file": wb.upload(content)}, format="multipart")
        assert response.status_code == 201, response.json()
        assert (response.json()["rows_created"], response.json()["rows_updated"]) == (0, 0)
        assert list(Inspection.objects.order_by("pk").values()) == before

    def test_the_shop_file_without_the_column_still_imports(self, api):
        # 04_QC_Logs names work orders that 01_WorkOrders creates (and its welders, 03_Personnel).
        demo = SHOP_FILE.parent
        for resource, name in [("employees", "03_Personnel.xlsx"), ("workorders", "01_WorkOrders.xlsx")]:
            response = api.post(
                f"/api/v1/{resource}/import/",
                {"file": wb.upload((demo / name).read_bytes(), name)},
                format="multipart",
            )
            assert response.status_code == 201, response.json()
        response = api.post(
            f"{URL}import/", {"file": wb.upload(SHOP_FILE.read_bytes(), SHOP_FILE.name)}, format="multipart"
        )
        assert response.status_code == 201, response.json()
        assert response.json()["rows_created"] == Inspection.objects.count() > 0
        assert not Inspection.objects.filter(weld__isnull=False).exists()
