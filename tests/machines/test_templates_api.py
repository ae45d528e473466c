import pytest

from machines.models import ImportTemplate
from machines.views import ImportTemplateViewSet
from tests.contract import ExtraAction, ResourceContract, assert_error
from tests.factories import (
    ExcelImportFactory,
    ImportScheduleFactory,
    ImportTemplateFactory,
    MachineFactory,
    WorkshopEntryFactory,
)
from tests.workbooks import workbook_upload

URL = "/api/v1/templates/"
MAPPING = {"Date": "date", "Wire (kg)": "wire_kg", "Gas (l)": "gas_l"}


class TestImportTemplateContract(ResourceContract):
    url = URL
    viewset = ImportTemplateViewSet
    factory = ImportTemplateFactory
    sort_field = "name"
    max_list_queries = 3  # auth user, count, page (machine is its id only)

    def create_payload(self):
        machine = MachineFactory()
        return {
            "name": "Robot cell log",
            "description": "Daily export of the cell controller",
            "machine": machine.pk,
            "mapping": MAPPING,
            "active": True,
        }

    def patch_payload(self, obj):
        return {"active": False, "description": ""}

    def extra_actions(self):
        # SPEC: operators make uploads; viewers write nothing.
        return [
            ExtraAction(
                "upload",
                "post",
                "upload/",
                allowed=frozenset({"operator", "manager", "admin"}),
                success=201,
                upload=True,
            )
        ]

    def excel_upload(self):
        return workbook_upload([["Date", "Wire (kg)"], ["2025-11-25", 1.5]])

    def invalid_payloads(self):
        machine = MachineFactory().pk
        base = {"name": "T", "machine": machine}
        return [
            ("no mapping", base),
            ("no machine", {"name": "T", "mapping": MAPPING}),
            ("no name", {"machine": machine, "mapping": MAPPING}),
            ("unknown machine", {**base, "machine": 999999, "mapping": MAPPING}),
            ("machine not an id", {**base, "machine": "M-001", "mapping": MAPPING}),
            ("mapping a list", {**base, "mapping": [["Date", "date"]]}),
            ("mapping a string", {**base, "mapping": "Date=date"}),
            ("mapping a JSON string", {**base, "mapping": '{"Date": "date"}'}),
            ("mapping a number", {**base, "mapping": 1}),
            ("mapping null", {**base, "mapping": None}),
            ("mapping empty", {**base, "mapping": {}}),
            ("mapping value a number", {**base, "mapping": {"a": 1}}),
            ("mapping value an object", {**base, "mapping": {"a": {"b": "c"}}}),
            ("mapping value null", {**base, "mapping": {"a": None}}),
            ("mapping value blank", {**base, "mapping": {"Date": "  "}}),
            ("mapping header blank", {**base, "mapping": {" ": "date"}}),
            ("active not a boolean", {**base, "mapping": MAPPING, "active": "sometimes"}),
        ]

    def make_protected(self):
        return WorkshopEntryFactory().template


@pytest.mark.django_db
class TestImportTemplateSpecifics:
    def test_mapping_is_returned_as_sent_and_active_defaults_true(self, api):
        machine = MachineFactory()
        body = api.post(URL, {"name": "T", "machine": machine.pk, "mapping": MAPPING}, format="json").json()
        assert body["mapping"] == MAPPING and body["active"] is True
        assert body["machine"] == machine.pk and body["description"] == ""

    @pytest.mark.parametrize("mapping", [[], ["Date"], "x", {"a": 1}, {}, {"a": ""}])
    def test_mapping_must_stay_valid_on_update(self, api, mapping):
        template = ImportTemplateFactory(mapping=MAPPING)
        body = assert_error(
            api.patch(f"{URL}{template.pk}/", {"mapping": mapping}, format="json"), 422, "VALIDATION_ERROR"
        )
        assert "mapping" in body["errors"]
        template.refresh_from_db()
        assert template.mapping == MAPPING

    def test_delete_with_imports_is_conflict(self, api):
        excel_import = ExcelImportFactory()
        assert_error(api.delete(f"{URL}{excel_import.template_id}/"), 409, "CONFLICT")
        assert ImportTemplate.objects.filter(pk=excel_import.template_id).exists()

    def test_delete_with_schedules_is_conflict(self, api):
        schedule = ImportScheduleFactory()
        body = assert_error(api.delete(f"{URL}{schedule.template_id}/"), 409, "CONFLICT")
        assert "import schedule" in body["detail"]
        assert ImportTemplate.objects.filter(pk=schedule.template_id).exists()

    def test_delete_unused_template_leaves_machine(self, api):
        template = ImportTemplateFactory()
        assert api.delete(f"{URL}{template.pk}/").json() == {
            "message": "Import template deleted successfully"
        }
        assert template.machine.__class__.objects.filter(pk=template.machine_id).exists()

    def test_filters_and_search(self, api):
        cell, mig = MachineFactory(), MachineFactory()
        a = ImportTemplateFactory(machine=cell, name="Cell daily", active=True)
        b = ImportTemplateFactory(machine=cell, name="Cell weekly", active=False, description="Old format")
        c = ImportTemplateFactory(machine=mig, name="MIG log", active=True)

        def ids(**params):
            response = api.get(URL, params)
            assert response.status_code == 200, response.json()
            return [i["id"] for i in response.json()["items"]]

        assert ids(machine_id=cell.pk) == [a.pk, b.pk]
        assert ids(machine_id=mig.pk, active="true") == [c.pk]
        assert ids(active="false") == [b.pk]
        assert ids(active="true") == [a.pk, c.pk]
        assert ids(machine_id=999999) == []
        assert ids(search="old format") == [b.pk]
        assert ids(search="mig") == [c.pk]
        assert ids(sort_by="name", order="desc") == [c.pk, b.pk, a.pk]
        for bad in ({"machine_id": "abc"}, {"machine_id": "1.5"}, {"active": "maybe"}, {"machine": cell.pk}):
            assert_error(api.get(URL, bad), 422, "VALIDATION_ERROR")
