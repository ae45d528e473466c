"""`as_of` (WELDING.md conventions), one parser for every read that takes it: left out is today,
a date is that day, given empty it is left out (as every query parameter), and anything else — a
blank value too (the schema says `format: date`) — is a 422 naming `as_of`."""

import pytest

from tests.contract import assert_error
from tests.factories import EmployeeFactory, EquipmentFactory, WelderQualificationFactory, WeldFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls():
    employee = EmployeeFactory()
    WelderQualificationFactory(employee=employee)
    weld = WeldFactory()
    equipment = EquipmentFactory()
    return [
        "/api/v1/qualifications/",
        "/api/v1/employees/",
        f"/api/v1/employees/{employee.pk}/",
        "/api/v1/equipment/",
        f"/api/v1/equipment/{equipment.pk}/",
        f"/api/v1/welds/{weld.pk}/eligible-welders/",
    ]


@pytest.mark.parametrize("bad", [" ", "2025-13-01", "soon"])
def test_a_bad_or_blank_as_of_is_422(api, urls, bad):
    for url in urls:
        body = assert_error(api.get(url, {"as_of": bad}), 422, "VALIDATION_ERROR")
        assert list(body["errors"]) == ["as_of"], (url, body)


def test_a_date_or_nothing_is_fine(api, urls):
    for url in urls:
        assert api.get(url, {"as_of": "2025-06-01"}).status_code == 200, url
        assert api.get(url).status_code == 200, url
        assert api.get(url, {"as_of": ""}).json() == api.get(url).json(), url


def test_bulk_confirm_takes_certificate_numbers_as_text(client_for):
    manager = client_for("manager")
    body = assert_error(
        manager.post(
            "/api/v1/qualifications/confirm/",
            {"qualification_ids": [0], "confirmed_on": "2025-09-01"},
            format="json",
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert list(body["errors"]) == ["qualification_ids[0]"], body
