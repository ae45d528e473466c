"""What schemathesis (scripts/fuzz) found, pinned as plain HTTP tests: each case answered
something the OpenAPI schema does not allow."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from staff.models import Employee
from tests.factories import EmployeeFactory, EquipmentFactory, ItemFactory, WorkOrderFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def test_unknown_url_with_a_session_cookie_is_a_json_404_not_a_csrf_page(admin_user):
    # An unsafe method with a session cookie used to meet Django's CSRF check first: HTML 403.
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.delete("/api/v1/workorders/0.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error_code"] == "NOT_FOUND"


@pytest.mark.parametrize("fmt", ["multipart", "urlencoded"])
def test_write_endpoints_take_json_only(api, fmt):
    # Forms turned "" into null and "0" into text where the schema says otherwise.
    if fmt == "multipart":
        response = api.post("/api/v1/workorders/", {"order_id": "WO-9", "client": "X"}, format="multipart")
    else:
        response = api.generic(
            "POST",
            "/api/v1/workorders/",
            "order_id=WO-9&client=X",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 415
    assert response.json()["error_code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize(
    ("url", "payload"),
    [
        ("/api/v1/employees/", {"employee_id": 7, "name": "Ann"}),
        ("/api/v1/employees/", {"employee_id": "EMP-7", "name": "Ann", "role": 0}),
        ("/api/v1/items/", {"item_id": "INV-7", "item_name": "Rods", "quantity": 1, "unit": 5}),
    ],
)
def test_a_json_number_is_not_text(api, url, payload):
    before = Employee.objects.count()
    response = api.post(url, payload, format="json")
    assert response.status_code == 422
    assert response.json()["error_code"] == "VALIDATION_ERROR"
    assert set(response.json()["errors"]) & set(payload)
    assert Employee.objects.count() == before


def test_stock_adjustment_note_must_be_text(api):
    item = ItemFactory(quantity=5)
    response = api.post(
        f"/api/v1/items/{item.pk}/adjust/", {"delta": 1, "reason": "receipt", "note": 0}, format="json"
    )
    assert response.status_code == 422
    assert "note" in response.json()["errors"]
    item.refresh_from_db()
    assert item.quantity == 5


@pytest.mark.parametrize("welder", ["", 0])
def test_business_key_reference_must_be_a_non_empty_text(api, welder):
    EmployeeFactory(employee_id="0")  # a number must not find it either
    order = WorkOrderFactory()
    response = api.patch(f"/api/v1/workorders/{order.pk}/", {"assigned_welder": welder}, format="json")
    assert response.status_code == 422
    assert "assigned_welder" in response.json()["errors"]
    order.refresh_from_db()
    assert order.assigned_welder is not None


def test_business_key_reference_null_still_clears_it(api):
    order = WorkOrderFactory()
    response = api.patch(f"/api/v1/workorders/{order.pk}/", {"assigned_welder": None}, format="json")
    assert response.status_code == 200
    # The PATCH answer keeps every documented field (DRF dropped a read-only one with a default).
    assert response.json()["assigned_welder"] is None
    assert "assigned_welder_name" in response.json()
    assert response.json()["assigned_welder_name"] is None


def test_dates_before_year_1000_are_written_as_iso_dates(api):
    equipment = EquipmentFactory()
    response = api.patch(
        f"/api/v1/equipment/{equipment.pk}/", {"last_service_date": "0298-01-27"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["last_service_date"] == "0298-01-27"  # strftime gave "298-01-27"
    equipment.refresh_from_db()
    assert equipment.last_service_date == dt.date(298, 1, 27)


def test_dashboard_limit_bounds_are_in_the_schema(api):
    schema = api.get("/api/schema/?format=json").json()
    params = schema["paths"]["/api/v1/dashboard/stats/"]["get"]["parameters"]
    limit = next(p for p in params if p["name"] == "limit")
    assert limit["schema"]["minimum"] == 1
    assert limit["schema"]["maximum"] >= 1
    assert api.get("/api/v1/dashboard/stats/?limit=0").status_code == 422


def test_an_id_filter_beyond_64_bits_is_a_422_not_a_500(api):
    response = api.get("/api/v1/templates/?machine_id=9245560380131326820352")
    assert response.status_code == 422
    assert "machine_id" in response.json()["errors"]


def test_a_percent_sign_in_a_bad_choice_is_echoed_not_a_500(api):
    response = api.get("/api/v1/inspections/?defect_type=%25A%5E3")
    assert response.status_code == 422
    assert "'%A^3' is not one of" in response.json()["errors"]["defect_type"][0]


# ---------------------------------------------------------------- `--checks all` (issue 14)
def test_an_action_bodys_text_refuses_a_json_number(api):
    # POST qualifications/{id}/revoke {"reason": 0} revoked it, the 0 taken as "0".
    from tests.factories import WelderQualificationFactory

    qualification = WelderQualificationFactory()
    response = api.post(
        f"/api/v1/qualifications/{qualification.pk}/revoke/",
        {"reason": 0, "revoked_on": "2026-01-05"},
        format="json",
    )
    assert response.status_code == 422 and list(response.json()["errors"]) == ["reason"]
    assert api.get(f"/api/v1/qualifications/{qualification.pk}/").json()["status"] != "revoked"


def test_fields_selects_the_answers_records_not_the_records_nested_in_them(api):
    # GET inspections/{id}/?fields=findings was a 422: the selection reached each finding.
    from tests.factories import InspectionFactory, WeldFindingFactory

    finding = WeldFindingFactory(inspection=InspectionFactory())
    body = api.get(f"/api/v1/inspections/{finding.inspection_id}/", {"fields": "id,findings"}).json()
    assert set(body) == {"id", "findings"} and body["findings"][0]["code"] == finding.code


def test_request_bodies_refuse_unknown_fields_in_the_schema_too(schema_doc):
    # An unknown body field is a 422, so a body with one is not valid by the schema.
    open_bodies = []
    for path, item in schema_doc["paths"].items():
        for method, operation in item.items():
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                ref = content["schema"].get("$ref")
                if ref is None:
                    continue  # the export's body: an object of filters
                component = schema_doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
                if component.get("additionalProperties") is not False:
                    open_bodies.append(f"{method.upper()} {path} {media}")
    assert not open_bodies, open_bodies


def test_an_exports_fields_are_an_array_of_its_columns(schema_doc):
    # `fields=0` passed the export's string pattern, then was a 422 (unknown field).
    (parameter,) = [
        p for p in schema_doc["paths"]["/api/v1/items/export/"]["get"]["parameters"] if p["name"] == "fields"
    ]
    assert parameter["schema"] == {
        "type": "array",
        "items": {"type": "string", "enum": ["item_id", "item_name", "quantity", "unit", "reorder_level"]},
    }


def test_valid_input_is_refused_only_with_codes_the_operation_documents(schema_doc):
    # `x-refuses-valid-input` (read by scripts/schemathesis.toml): only documented codes, and
    # none on a plain detail read.
    for path, item in schema_doc["paths"].items():
        for method, operation in item.items():
            for code in filter(None, operation.get("x-refuses-valid-input", "").split(",")):
                assert code in operation["responses"], (method, path, code)
                assert operation["responses"][code]["description"], (method, path, code)
    assert "x-refuses-valid-input" not in schema_doc["paths"]["/api/v1/workorders/{id}/"]["get"]
    assert schema_doc["paths"]["/api/v1/workorders/{id}/"]["delete"]["x-refuses-valid-input"] == "409"
    assert (
        "page` with `skip"
        in schema_doc["paths"]["/api/v1/workorders/"]["get"]["responses"]["422"]["description"]
    )


@pytest.fixture(scope="module")
def schema_doc():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_an_exports_fields_are_its_columns_not_the_records_fields(api):
    # GET inspections/export/?fields=finding_length was a 422: checked against the record's fields.
    response = api.get(
        "/api/v1/inspections/export/", {"fields": "inspection_id,finding_length", "format": "csv"}
    )
    assert response.status_code == 200, response.content[:300]


def test_a_patchs_finding_without_its_verdict_is_a_422_not_a_500(api):
    from tests.factories import InspectionFactory

    inspection = InspectionFactory()
    before = api.get(f"/api/v1/inspections/{inspection.pk}/").json()
    response = api.patch(
        f"/api/v1/inspections/{inspection.pk}/", {"findings": [{"code": "100"}]}, format="json"
    )
    assert response.status_code == 422, response.content[:300]
    assert list(response.json()["errors"]) == ["findings[0].verdict"]
    assert api.get(f"/api/v1/inspections/{inspection.pk}/").json() == before
