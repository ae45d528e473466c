"""A comma-list parameter given as repeated keys (`status=a&status=b`, as openapi-python-client
sends arrays whatever the schema's `explode: false`) counts as its comma list; any other
parameter given twice stays a 422 (which one counts would be a guess)."""

from __future__ import annotations

from tests.factories import WorkOrderFactory

URL = "/api/v1/workorders/"


def _ids(response):
    assert response.status_code == 200, response.json()
    return sorted(row["order_id"] for row in response.json()["items"])


def test_a_choice_list_as_repeated_keys_is_its_comma_list(api):
    WorkOrderFactory(order_id="WO-P", status="pending")
    WorkOrderFactory(order_id="WO-H", status="on_hold")
    WorkOrderFactory(order_id="WO-C", status="completed")
    repeated = _ids(api.get(URL + "?status=pending&status=on_hold"))
    assert repeated == _ids(api.get(URL + "?status=pending,on_hold")) == ["WO-H", "WO-P"]


def test_fields_as_repeated_keys_is_its_comma_list(api):
    WorkOrderFactory(order_id="WO-F")
    response = api.get(URL + "?fields=order_id&fields=status")
    assert response.status_code == 200, response.json()
    assert set(response.json()["items"][0]) == {"order_id", "status"}


def test_a_bad_value_in_repeated_keys_is_a_422_naming_the_parameter(api):
    response = api.get(URL + "?status=pending&status=molten")
    assert response.status_code == 422
    body = response.json()
    assert body["error_code"] == "VALIDATION_ERROR" and "status" in body["errors"]


def test_any_other_parameter_twice_is_still_a_422(api):
    response = api.get(URL + "?search=a&search=b")
    assert response.status_code == 422
    assert "more than once" in response.json()["errors"]["search"][0]
