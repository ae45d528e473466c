"""The admin's forms refuse what the API refuses, with the field's own message (the model's
validators), never a database error or a 500."""

import pytest

from equipment.models import Equipment
from inventory.models import Item
from machines.models import Machine
from tests.factories import ImportTemplateFactory
from workshop.imports.models import ImportSchedule


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    return response.content.decode()


@pytest.mark.django_db
class TestFieldValidators:
    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"quantity": "3000000000"}, "less than or equal to 2147483647"),
            ({"reorder_level": "3000000000"}, "less than or equal to 2147483647"),
            ({"quantity": "-1"}, "greater than or equal to 0"),
        ],
    )
    def test_item_numbers(self, admin_client, values, message):
        form = {
            "item_id": "INV-9",
            "item_name": "Wire",
            "quantity": 0,
            "unit": "kg",
            "reorder_level": 0,
            **values,
        }
        assert message in errors_of(admin_client.post("/admin/inventory/item/add/", form))
        assert not Item.objects.exists()

    def test_equipment_interval_over_the_integer_range(self, admin_client):
        form = {
            "equipment_id": "EQ-9",
            "name": "MIG",
            "status": "operational",
            "service_interval_days": "3000000000",
        }
        assert "less than or equal to 2147483647" in errors_of(
            admin_client.post("/admin/equipment/equipment/add/", form)
        )
        assert not Equipment.objects.exists()

    @pytest.mark.parametrize(("field", "value", "limit"), [("hour", 24, 23), ("minute", 60, 59)])
    def test_schedule_time(self, admin_client, field, value, limit):
        template = ImportTemplateFactory()
        form = {
            "template": template.pk,
            "source": "log.xlsx",
            "hour": 6,
            "minute": 30,
            "active": "on",
            field: value,
        }
        body = errors_of(admin_client.post("/admin/imports/importschedule/add/", form))
        assert f"less than or equal to {limit}" in body and "Constraint" not in body
        assert not ImportSchedule.objects.exists()

    def test_machine_metadata_with_a_nul_character(self, admin_client):
        form = {
            "name": "Robot",
            "code": "RC-9",
            "type": "robot",
            "metadata": '{"a": "\\u0000"}',
            "templates-TOTAL_FORMS": "0",
            "templates-INITIAL_FORMS": "0",
        }
        assert "Null characters are not allowed." in errors_of(
            admin_client.post("/admin/machines/machine/add/", form)
        )
        assert not Machine.objects.exists()
