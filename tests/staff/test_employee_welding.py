"""Employees' welding side (WELDING.md §2): stamp, qualification_status, qualifications."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from staff.models import Employee
from tests.contract import assert_error
from tests.factories import EmployeeFactory, WeldActivityFactory, WelderQualificationFactory

EMPLOYEES = "/api/v1/employees/"
D = dt.date
ROLE = "Pipe welder"  # the weld log's factories make other employees (work orders' welders)


def welders():
    """On 2025-06-01: EMP-01 qualified (Q1 valid), EMP-02 expiring (141 due 2025-06-20),
    EMP-03 lapsed, EMP-04 none (no qualification), EMP-05 an ASME welder kept alive."""
    e1, e2, e3 = (EmployeeFactory(employee_id=f"EMP-0{n}", role=ROLE) for n in (1, 2, 3))
    EmployeeFactory(employee_id="EMP-04", role=ROLE)
    e5 = EmployeeFactory(employee_id="EMP-05", role=ROLE)
    WelderQualificationFactory(qualification_id="ISO-135-01", employee=e1)
    WelderQualificationFactory(
        qualification_id="ISO-141-01", employee=e2, process="141", test_date=D(2024, 12, 20)
    )
    WelderQualificationFactory(qualification_id="ISO-135-03", employee=e3, test_date=D(2024, 1, 1))
    asme = WelderQualificationFactory(
        qualification_id="ASME-135-05",
        employee=e5,
        standard="asme_ix",
        revalidation_method="",
        test_date=D(2024, 1, 1),
    )
    for day in (D(2024, 5, 1), D(2024, 10, 1), D(2025, 3, 1)):
        WeldActivityFactory(welder=e5, welded_on=day)
    return asme


@pytest.mark.django_db
class TestQualificationStatus:
    def test_list_and_detail(self, api):
        welders()
        body = api.get(EMPLOYEES, {"as_of": "2025-06-01", "page_size": 100, "role": ROLE}).json()
        by_id = {e["employee_id"]: e for e in body["items"]}
        status = {k: v["qualification_status"] for k, v in by_id.items()}
        assert status == {
            "EMP-01": "qualified",
            "EMP-02": "expiring",
            "EMP-03": "lapsed",
            "EMP-04": "none",
            "EMP-05": "qualified",
        }
        assert by_id["EMP-01"]["qualifications"] == [
            {
                "qualification_id": "ISO-135-01",
                "process": "135",
                "status": "valid",
                "effective_until": "2025-09-10",
            }
        ]
        assert by_id["EMP-05"]["qualifications"][0]["effective_until"] == "2025-09-01"
        detail = api.get(f"{EMPLOYEES}{by_id['EMP-02']['id']}/", {"as_of": "2025-06-01"}).json()
        assert detail == by_id["EMP-02"]
        # As of another day, another answer.
        later = api.get(f"{EMPLOYEES}{by_id['EMP-01']['id']}/", {"as_of": "2025-09-11"}).json()
        assert later["qualification_status"] == "lapsed"

    def test_filter(self, api):
        welders()

        def ids(**params):
            response = api.get(EMPLOYEES, {"as_of": "2025-06-01", "role": ROLE, **params})
            assert response.status_code == 200, response.json()
            return [e["employee_id"] for e in response.json()["items"]]

        assert ids(qualification_status="qualified") == ["EMP-01", "EMP-05"]
        assert ids(qualification_status="expiring,lapsed") == ["EMP-02", "EMP-03"]
        assert ids(qualification_status="none") == ["EMP-04"]
        assert ids(qualification_status="none,qualified", page_size=1, page=3) == ["EMP-05"]
        assert_error(api.get(EMPLOYEES, {"qualification_status": "great"}), 422, "VALIDATION_ERROR")
        body = assert_error(api.get(EMPLOYEES, {"as_of": "2025-02-30"}), 422, "VALIDATION_ERROR")
        assert "as_of" in body["errors"]
        assert_error(
            api.get(f"{EMPLOYEES}{Employee.objects.first().pk}/", {"as_of": "x"}), 422, "VALIDATION_ERROR"
        )

    def test_list_queries_constant(self, api, django_assert_max_num_queries):
        welders()
        with CaptureQueriesContext(connection) as few:
            api.get(EMPLOYEES, {"as_of": "2025-06-01"})
        for n in range(10):
            e = EmployeeFactory()
            q = WelderQualificationFactory(
                employee=e, standard="asme_ix", revalidation_method="", qualification_id=f"A-{n}"
            )
            WeldActivityFactory(welder=e, welded_on=D(2025, 5, 1))
            WelderQualificationFactory(employee=e, qualification_id=f"I-{n}")
            assert q.pk
        # auth, the filter's standings (qualifications, events, weld log), count, page, the
        # page's standings (qualifications, events, weld log)
        with django_assert_max_num_queries(9):
            api.get(EMPLOYEES, {"as_of": "2025-06-01", "qualification_status": "qualified,none"})
        with CaptureQueriesContext(connection) as many:
            api.get(EMPLOYEES, {"as_of": "2025-06-01"})
        assert len(many) == len(few)


@pytest.mark.django_db
class TestStamp:
    def test_write_blank_and_duplicate(self, api):
        a, b = EmployeeFactory(), EmployeeFactory()
        response = api.patch(f"{EMPLOYEES}{a.pk}/", {"stamp": "JD7"}, format="json")
        assert response.status_code == 200 and response.json()["stamp"] == "JD7"
        body = assert_error(
            api.patch(f"{EMPLOYEES}{b.pk}/", {"stamp": "JD7"}, format="json"), 409, "DUPLICATE_RESOURCE"
        )
        assert "stamp" in body["errors"]
        for blank in ("", "  ", None):
            response = api.patch(f"{EMPLOYEES}{b.pk}/", {"stamp": blank}, format="json")
            assert response.status_code == 200, (blank, response.json())
            assert response.json()["stamp"] is None
        assert api.patch(f"{EMPLOYEES}{a.pk}/", {"stamp": ""}, format="json").json()["stamp"] is None
        assert Employee.objects.filter(stamp__isnull=True).count() == 2
        assert_error(
            api.patch(f"{EMPLOYEES}{a.pk}/", {"stamp": "X" * 17}, format="json"), 422, "VALIDATION_ERROR"
        )

    def test_qualification_status_is_read_only(self, api):
        e = EmployeeFactory()
        response = api.patch(
            f"{EMPLOYEES}{e.pk}/", {"qualification_status": "qualified", "qualifications": []}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["qualification_status"] == "none"


@pytest.mark.django_db
def test_employee_serializer_without_request_answers_for_today():
    """Live events serialize records without a request: then "today"."""
    from staff.serializers import EmployeeSerializer

    employee = EmployeeFactory()
    today = timezone.localdate()
    WelderQualificationFactory(employee=employee, test_date=today - dt.timedelta(days=3 * 366))
    data = EmployeeSerializer(employee, context={"request": None}).data
    assert data["qualification_status"] == "lapsed"  # tested 3 years ago: 9.3b, valid 24 months
    assert data["qualifications"][0]["status"] == "expired"


@pytest.mark.django_db
def test_admin_status_filter_and_columns(admin_client):
    from django.urls import reverse

    today = timezone.localdate()
    WelderQualificationFactory(qualification_id="ISO-OLD", test_date=today - dt.timedelta(days=3 * 366))
    WelderQualificationFactory(qualification_id="ISO-NEW", test_date=today - dt.timedelta(days=7 * 31))
    changelist = reverse("admin:staff_welderqualification_changelist")
    # Today: ISO-OLD expired (9.3b, 24 months), ISO-NEW lapsed (never confirmed in 6 months).
    page = admin_client.get(changelist, {"status": "lapsed"}).content.decode()
    assert "ISO-NEW" in page and "ISO-OLD" not in page and "Lapsed" in page
    page = admin_client.get(changelist, {"status": "expired"}).content.decode()
    assert "ISO-OLD" in page and "ISO-NEW" not in page
    assert admin_client.get(changelist, {"process__exact": "141"}).status_code == 200
