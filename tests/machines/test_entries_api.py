import pytest

from machines.models import WorkshopEntry
from machines.views import WorkshopEntryViewSet
from tests.contract import ResourceContract, assert_error
from tests.factories import ExcelImportFactory, ImportTemplateFactory, WorkshopEntryFactory

URL = "/api/v1/entries/"


class TestWorkshopEntryContract(ResourceContract):
    url = URL
    viewset = WorkshopEntryViewSet
    factory = WorkshopEntryFactory
    actions = frozenset({"list", "retrieve", "update", "partial_update", "destroy"})
    sort_field = "imported_at"
    max_list_queries = 3  # auth user, count, page (related records are ids only)

    def make_listed(self):
        excel_import = ExcelImportFactory()
        return self.make(template=excel_import.template, excel_import=excel_import)

    def update_payload(self, obj):
        return {"data": {"date": "2025-12-01", "wire_kg": 2.25}}

    def patch_payload(self, obj):
        return {"data": {"date": "2025-12-02"}}


@pytest.mark.django_db
class TestWorkshopEntrySpecifics:
    def test_no_post(self, api):
        template = ImportTemplateFactory()
        payload = {"template": template.pk, "machine": template.machine_id, "data": {"a": "b"}}
        assert_error(api.post(URL, payload, format="json"), 405, "METHOD_NOT_ALLOWED")
        assert WorkshopEntry.objects.count() == 0

    def test_entry_shows_its_origin(self, api):
        excel_import = ExcelImportFactory()
        entry = WorkshopEntryFactory(
            template=excel_import.template, excel_import=excel_import, data={"wire_kg": 1.5}
        )
        body = api.get(f"{URL}{entry.pk}/").json()
        assert body["template"] == excel_import.template_id
        assert body["machine"] == excel_import.template.machine_id
        assert body["excel_import"] == excel_import.pk
        assert body["data"] == {"wire_kg": 1.5}
        assert body["imported_at"]

    def test_data_is_replaced_and_origin_is_read_only(self, api):
        entry = WorkshopEntryFactory()
        other = ImportTemplateFactory()
        other_import = ExcelImportFactory()
        body = api.patch(
            f"{URL}{entry.pk}/",
            {
                "data": {"wire_kg": 3, "note": "re-measured"},
                "template": other.pk,
                "machine": other.machine_id,
                "excel_import": other_import.pk,
                "imported_at": "2000-01-01T00:00:00Z",
            },
            format="json",
        ).json()
        assert body["data"] == {"wire_kg": 3, "note": "re-measured"}
        entry.refresh_from_db()
        assert entry.data == {"wire_kg": 3, "note": "re-measured"}
        assert (entry.template_id, entry.machine_id, entry.excel_import_id) == (
            body["template"],
            body["machine"],
            None,
        )
        assert entry.template_id != other.pk and entry.imported_at.year != 2000

    @pytest.mark.parametrize("data", [[1, 2], "wire=3", 3, None, True])
    def test_data_must_be_an_object(self, api, data):
        entry = WorkshopEntryFactory(data={"wire_kg": 1.5})
        for method in (api.patch, api.put):
            body = assert_error(
                method(f"{URL}{entry.pk}/", {"data": data}, format="json"), 422, "VALIDATION_ERROR"
            )
            assert "data" in body["errors"]
        entry.refresh_from_db()
        assert entry.data == {"wire_kg": 1.5}

    def test_put_without_data_is_422(self, api):
        entry = WorkshopEntryFactory(data={"wire_kg": 1.5})
        body = assert_error(api.put(f"{URL}{entry.pk}/", {}, format="json"), 422, "VALIDATION_ERROR")
        assert "data" in body["errors"]

    def test_delete_entry_leaves_its_import(self, api):
        excel_import = ExcelImportFactory()
        entry = WorkshopEntryFactory(template=excel_import.template, excel_import=excel_import)
        assert api.delete(f"{URL}{entry.pk}/").json() == {"message": "Workshop entry deleted successfully"}
        assert excel_import.__class__.objects.filter(pk=excel_import.pk).exists()

    def test_filters_and_search(self, api):
        first = ExcelImportFactory()
        second = ExcelImportFactory()
        a = WorkshopEntryFactory(template=first.template, excel_import=first, data={"serial": "SN-4711"})
        b = WorkshopEntryFactory(template=first.template, excel_import=None, data={"serial": "SN-0815"})
        c = WorkshopEntryFactory(template=second.template, excel_import=second, data={"serial": "SN-9999"})

        def ids(**params):
            response = api.get(URL, params)
            assert response.status_code == 200, response.json()
            return [i["id"] for i in response.json()["items"]]

        assert ids(template=first.template_id) == [a.pk, b.pk]
        assert ids(machine=second.template.machine_id) == [c.pk]
        assert ids(excel_import=first.pk) == [a.pk]
        assert ids(template=first.template_id, excel_import=second.pk) == []
        assert ids(template=999999) == []
        assert ids(search="sn-47") == [a.pk]
        assert ids(sort_by="imported_at", order="desc") == [c.pk, b.pk, a.pk]
        for bad in (
            {"template": "x"},
            {"machine": "M-001"},
            {"excel_import": "1.5"},
            {"template_id": first.template_id},
        ):
            assert_error(api.get(URL, bad), 422, "VALIDATION_ERROR")
