import datetime as dt

import pytest
from django.utils import timezone

from staff.views import EmployeeViewSet
from tests.contract import ResourceContract, assert_error
from tests.factories import EmployeeFactory, UserFactory, WorkOrderFactory


class TestEmployeeContract(ResourceContract):
    url = "/api/v1/employees/"
    viewset = EmployeeViewSet
    factory = EmployeeFactory
    business_key = "employee_id"
    sort_field = "certification_expiry"
    # auth, count, page; the page's qualifications, their events, the weld log (ASME/AWS)
    max_list_queries = 6

    def create_payload(self):
        return {
            "employee_id": "EMP-77",
            "name": "Ada Welder",
            "role": "Senior Welder",
            "certification_expiry": "2030-01-31",
            "stamp": "AW7",
        }

    def make_listed(self):
        """A welder with an ISO qualification (confirmed) and an ASME one (kept alive by an
        entry): `qualification_status` and `qualifications` read all of it."""
        from tests.factories import QualificationEventFactory, WeldActivityFactory, WelderQualificationFactory

        employee = self.make()
        iso = WelderQualificationFactory(employee=employee)
        QualificationEventFactory(qualification=iso, on_date=dt.date(2025, 9, 1))
        WelderQualificationFactory(employee=employee, standard="asme_ix", revalidation_method="")
        WeldActivityFactory(welder=employee, welded_on=dt.date(2025, 6, 1))
        return employee

    def patch_payload(self, obj):
        return {"role": "Apprentice"}

    def invalid_payloads(self):
        return [
            ("blank key", {"employee_id": "  ", "name": "A"}),
            ("key too long", {"employee_id": "E" * 33, "name": "A"}),
            ("bad date", {"employee_id": "EMP-9", "name": "A", "certification_expiry": "31/01/2030"}),
            ("no such user", {"employee_id": "EMP-9", "name": "A", "user": 999999}),
            ("stamp too long", {"employee_id": "EMP-9", "name": "A", "stamp": "S" * 17}),
            ("stamp not text", {"employee_id": "EMP-9", "name": "A", "stamp": 7}),
        ]

    def make_protected(self):
        return WorkOrderFactory().assigned_welder


def _expiring(days):
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.mark.django_db
class TestCertificationStatus:
    def test_status_boundaries(self, api):
        cases = {"expired": -1, "expiring": 0, "expiring30": 30, "valid": 31}
        for key, days in cases.items():
            EmployeeFactory(employee_id=key, certification_expiry=_expiring(days))
        EmployeeFactory(employee_id="none", certification_expiry=None)
        body = api.get("/api/v1/employees/", {"page_size": 10}).json()
        got = {item["employee_id"]: item["certification_status"] for item in body["items"]}
        assert got == {
            "expired": "expired",
            "expiring": "expiring",
            "expiring30": "expiring",
            "valid": "valid",
            "none": "none",
        }
        for status in ("expired", "expiring", "valid", "none"):
            listed = api.get("/api/v1/employees/", {"certification_status": status}).json()["items"]
            assert {i["employee_id"] for i in listed} == {k for k, v in got.items() if v == status}
        assert_error(
            api.get("/api/v1/employees/", {"certification_status": "great"}), 422, "VALIDATION_ERROR"
        )

    def test_certification_status_is_read_only(self, api):
        employee = EmployeeFactory(certification_expiry=_expiring(-5))
        body = api.patch(
            f"/api/v1/employees/{employee.pk}/", {"certification_status": "valid"}, format="json"
        ).json()
        assert body["certification_status"] == "expired"

    def test_role_filter_and_search(self, api):
        EmployeeFactory(name="John Doe", role="Senior Welder")
        EmployeeFactory(name="Jane Smith", role="Apprentice")
        assert api.get("/api/v1/employees/", {"role": "senior welder"}).json()["total"] == 1
        assert api.get("/api/v1/employees/", {"search": "jane"}).json()["items"][0]["name"] == "Jane Smith"

    def test_user_link_is_unique(self, api):
        user = UserFactory()
        EmployeeFactory(user=user)
        response = api.post(
            "/api/v1/employees/", {"employee_id": "E-2", "name": "B", "user": user.pk}, format="json"
        )
        assert_error(response, 409, "DUPLICATE_RESOURCE")

    def test_iso_datetime_is_accepted_as_date(self, api):
        body = api.post(
            "/api/v1/employees/",
            {"employee_id": "E-3", "name": "C", "certification_expiry": "2025-11-25T00:00:00.000"},
            format="json",
        ).json()
        assert body["certification_expiry"] == "2025-11-25"
