import pytest

from machines.models import Machine
from machines.views import MachineViewSet
from tests.contract import ResourceContract, assert_error
from tests.factories import ImportTemplateFactory, MachineFactory, WorkshopEntryFactory

URL = "/api/v1/machines/"


class TestMachineContract(ResourceContract):
    url = URL
    viewset = MachineViewSet
    factory = MachineFactory
    business_key = "code"
    sort_field = "name"
    max_list_queries = 3  # auth user, count, page

    def create_payload(self):
        return {
            "name": "Robot cell A",
            "code": "RC-01",
            "type": "robot",
            "metadata": {"axes": 6, "vendor": "ABB"},
        }

    def patch_payload(self, obj):
        return {"type": "TIG"}

    def invalid_payloads(self):
        return [
            ("no code", {"name": "A"}),
            ("no name", {"code": "M-1"}),
            ("blank code", {"name": "A", "code": "   "}),
            ("blank name", {"name": "", "code": "M-1"}),
            ("code over 32", {"name": "A", "code": "M" * 33}),
            ("code not a string", {"name": "A", "code": ["M-1"]}),
            ("metadata a list", {"name": "A", "code": "M-1", "metadata": [1, 2]}),
            ("metadata a string", {"name": "A", "code": "M-1", "metadata": "axes=6"}),
            ("metadata a number", {"name": "A", "code": "M-1", "metadata": 6}),
            ("metadata null", {"name": "A", "code": "M-1", "metadata": None}),
        ]

    def make_protected(self):
        return ImportTemplateFactory().machine


@pytest.mark.django_db
class TestMachineSpecifics:
    def test_metadata_defaults_to_empty_object_and_code_is_trimmed(self, api):
        body = api.post(URL, {"name": "MIG 1", "code": " MIG-01 "}, format="json").json()
        assert body["code"] == "MIG-01"
        assert body["metadata"] == {} and body["type"] == ""
        assert Machine.objects.get(pk=body["id"]).code == "MIG-01"

    def test_duplicate_code_after_trimming_is_409(self, api):
        MachineFactory(code="MIG-01")
        body = assert_error(
            api.post(URL, {"name": "B", "code": "  MIG-01"}, format="json"), 409, "DUPLICATE_RESOURCE"
        )
        assert "code" in body["errors"]
        assert Machine.objects.count() == 1

    def test_changing_code_to_an_existing_one_is_409(self, api):
        MachineFactory(code="MIG-01")
        other = MachineFactory(code="MIG-02")
        assert_error(
            api.patch(f"{URL}{other.pk}/", {"code": "MIG-01"}, format="json"), 409, "DUPLICATE_RESOURCE"
        )
        other.refresh_from_db()
        assert other.code == "MIG-02"

    def test_metadata_must_stay_an_object_on_update(self, api):
        machine = MachineFactory(metadata={"axes": 6})
        body = assert_error(
            api.patch(f"{URL}{machine.pk}/", {"metadata": ["x"]}, format="json"), 422, "VALIDATION_ERROR"
        )
        assert "metadata" in body["errors"]
        machine.refresh_from_db()
        assert machine.metadata == {"axes": 6}
        body = api.patch(
            f"{URL}{machine.pk}/", {"metadata": {"axes": 7, "nested": {"a": [1]}}}, format="json"
        ).json()
        assert body["metadata"] == {"axes": 7, "nested": {"a": [1]}}

    def test_delete_with_templates_is_conflict_and_deletes_nothing(self, api):
        template = ImportTemplateFactory()
        body = assert_error(api.delete(f"{URL}{template.machine_id}/"), 409, "CONFLICT")
        assert "import template" in body["detail"]
        assert Machine.objects.filter(pk=template.machine_id).exists()
        assert template.__class__.objects.filter(pk=template.pk).exists()

    def test_delete_with_entries_is_conflict(self, api):
        entry = WorkshopEntryFactory()
        assert_error(api.delete(f"{URL}{entry.machine_id}/"), 409, "CONFLICT")
        assert Machine.objects.filter(pk=entry.machine_id).exists()

    def test_type_filter_and_search(self, api):
        mig = MachineFactory(name="Lincoln", code="MIG-01", type="MIG")
        tig = MachineFactory(name="Fronius", code="TIG-01", type="TIG")
        MachineFactory(name="Cell", code="R-01", type="robot")

        def ids(**params):
            response = api.get(URL, params)
            assert response.status_code == 200, response.json()
            return [i["id"] for i in response.json()["items"]]

        assert ids(type="mig") == [mig.pk]
        assert ids(type="TIG") == [tig.pk]
        assert ids(type="plasma") == []
        assert ids(search="fronius") == [tig.pk]
        assert ids(search="mig-0") == [mig.pk]
        assert ids(sort_by="code", order="desc", page_size=1) == [tig.pk]
        assert ids(ordering="name") == [ids(search="Cell")[0], tig.pk, mig.pk]
