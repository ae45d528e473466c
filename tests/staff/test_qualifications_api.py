"""Welder qualifications through the API (WELDING.md §1, §3 R1–R6, §4, §6 cases 1–17)."""

import datetime as dt

import pytest
from django.test import override_settings

from staff.models import QualificationEvent, WelderQualification
from staff.views import QualificationEventViewSet, WelderQualificationViewSet
from tests.contract import DOMAIN_WRITERS, ExtraAction, ResourceContract, assert_error
from tests.factories import (
    EmployeeFactory,
    InspectionFactory,
    QualificationEventFactory,
    WeldActivityFactory,
    WelderQualificationFactory,
    WeldFactory,
)

QUALS = "/api/v1/qualifications/"
EVENTS = "/api/v1/qualification-events/"
D = dt.date


def url(q, action: str = "") -> str:
    return f"{QUALS}{q.pk}/{action + '/' if action else ''}"


def standing(api, q, as_of: str) -> dict:
    response = api.get(url(q), {"as_of": as_of})
    assert response.status_code == 200, response.json()
    return response.json()


def q1(**kwargs):
    """Q1 of §6: ISO-135-01, EMP-01, ISO 9606-1 route 9.3b, tested 2025-03-10."""
    employee = kwargs.pop("employee", None) or EmployeeFactory(employee_id="EMP-01")
    return WelderQualificationFactory(qualification_id="ISO-135-01", employee=employee, **kwargs)


def q2(employee=None, **kwargs):
    """Q2 of §6: ASME-135-02, EMP-01, ASME IX, tested 2025-10-01."""
    kwargs = {"qualification_id": "ASME-135-02", "test_date": D(2025, 10, 1), **kwargs}
    return WelderQualificationFactory(
        employee=employee or EmployeeFactory(employee_id="EMP-01"),
        standard="asme_ix",
        revalidation_method="",
        **kwargs,
    )


def entry(employee, day, process="135", **kwargs):
    return WeldActivityFactory(welder=employee, welded_on=day, process=process, **kwargs)


def payload(**changes) -> dict:
    EmployeeFactory._meta.model.objects.get_or_create(employee_id="EMP-Q1", defaults={"name": "Q Welder"})
    body = {
        "qualification_id": "ISO-135-77",
        "employee": "EMP-Q1",
        "standard": "iso_9606_1",
        "designation": "ISO 9606-1 135 P BW FM1 S t10 PF ss nb",
        "process": "135",
        "product_forms": ["P"],
        "weld_types": ["BW", "FW"],
        "filler_groups": ["FM1", "FM2"],
        "positions": ["PA", "PF"],
        "thickness_min_mm": 3,
        "thickness_max_mm": 20,
        "test_date": "2025-03-10",
        "revalidation_method": "9.3b",
    }
    body.update(changes)
    return body


class TestQualificationContract(ResourceContract):
    url = QUALS
    viewset = WelderQualificationViewSet
    factory = WelderQualificationFactory
    business_key = "qualification_id"
    sort_field = "test_date"
    # auth user, count, page (employee joined), events, weld log of the ASME/AWS ones
    max_list_queries = 5

    def make_listed(self):
        q = self.make()
        QualificationEventFactory(qualification=q, kind="confirmation", on_date=D(2025, 9, 1))
        asme = self.make(standard="asme_ix", revalidation_method="", employee=q.employee)
        entry(asme.employee, D(2025, 6, 1))
        return q

    def create_payload(self):
        return payload()

    def excel_upload(self):
        """A one-row workbook of `create_payload()`, its lists as a cell's comma text."""
        from tests.workbooks import workbook_upload
        from workshop.imports.spec import registry

        spec = registry()[self.viewset.excel_resource]
        body = self.create_payload()
        columns = [c for c in spec.columns if c.field in body]
        cells = [", ".join(v) if isinstance(v, list) else v for v in (body[c.field] for c in columns)]
        return workbook_upload([[c.header for c in columns], cells])

    def patch_payload(self, obj):
        return {"examiner": "TÜV Nord", "positions": ["PA", "3G"]}

    def invalid_payloads(self):
        ok = payload()
        return [
            ("test date after today", {**ok, "test_date": "2999-01-01"}),
            ("thickness range reversed", {**ok, "thickness_min_mm": "20", "thickness_max_mm": "3"}),
            ("diameter range reversed", {**ok, "diameter_min_mm": "100", "diameter_max_mm": "50"}),
            ("ISO without a route", {**ok, "revalidation_method": ""}),
            ("route on an ASME qualification", {**ok, "standard": "asme_ix"}),
            ("route 9.3c without ISO 3834-2/-3", {**ok, "revalidation_method": "9.3c"}),
            ("unknown process", {**ok, "process": "999"}),
            ("unknown position", {**ok, "positions": ["PZ"]}),
            ("no product forms", {**ok, "product_forms": []}),
            ("unknown employee", {**ok, "employee": "EMP-NOPE"}),
            ("unknown standard", {**ok, "standard": "en_287"}),
            ("a filler group that is a number", {**ok, "filler_groups": [0]}),
            ("filler groups as a text, not a list", {**ok, "filler_groups": "FM1, FM2"}),
            ("negative thickness", {**ok, "thickness_min_mm": "-1"}),
        ]

    def extra_actions(self):
        managers = DOMAIN_WRITERS
        return [
            ExtraAction(
                "confirm",
                "post",
                "confirm/",
                allowed=managers,
                success=201,
                body={"confirmed_on": "2025-09-01", "override_reason": "supervisor saw the welds"},
            ),
            ExtraAction(
                "confirm_many",
                "post",
                "confirm/",
                allowed=managers,
                success=201,
                detail=False,
                body={
                    "qualification_ids": ["ISO-135-00"],
                    "confirmed_on": "2025-09-01",
                    "override_reason": "supervisor saw the welds",
                },
                make=lambda: WelderQualificationFactory(qualification_id="ISO-135-00"),
            ),
            ExtraAction(
                "revalidate",
                "post",
                "revalidate/",
                allowed=managers,
                success=201,
                body={"revalidated_on": "2027-02-01"},
                make=_revalidatable,
            ),
            ExtraAction(
                "renew",
                "post",
                "renew/",
                allowed=managers,
                success=201,
                body={"test_date": "2026-12-01"},
                make=lambda: WelderQualificationFactory(standard="asme_ix", revalidation_method=""),
            ),
            ExtraAction(
                "revoke",
                "post",
                "revoke/",
                allowed=managers,
                success=201,
                body={"reason": "failed bend test"},
            ),
            ExtraAction(
                "continuity",
                "get",
                "continuity/",
                allowed=frozenset({"viewer", "operator", "manager", "admin"}),
            ),
        ]


def _revalidatable():
    """Q1 with confirmations current and two RT-passed welds in the window (case 13)."""
    q = WelderQualificationFactory()
    for day in (D(2025, 9, 1), D(2026, 3, 1), D(2026, 8, 25)):
        QualificationEventFactory(qualification=q, kind="confirmation", on_date=day)
    for day in (D(2026, 10, 5), D(2027, 1, 20)):
        weld = WeldFactory()
        InspectionFactory(work_order=weld.order, weld=weld, method="RT", result="pass")
        entry(q.employee, day, weld=weld)
    return q


class TestQualificationEventContract(ResourceContract):
    url = EVENTS
    viewset = QualificationEventViewSet
    factory = QualificationEventFactory
    actions = frozenset({"list", "retrieve"})
    sort_field = "on_date"
    max_list_queries = 3  # auth user, count, page (qualification and user joined)

    def make_listed(self):
        return self.make(evidence=[1, 2], override_reason="supervisor saw it")


# ------------------------------------------------------------------------------ §6 cases 1–17
@pytest.mark.django_db
class TestQ1Iso:
    def test_case_1_valid(self, api):
        body = standing(api, q1(), "2025-06-01")
        assert body["valid_until"] == "2027-03-10"
        assert body["continuity_due"] == "2025-09-10"
        assert body["effective_until"] == "2025-09-10"
        assert body["status"] == "valid"
        assert body["employee"] == "EMP-01"

    def test_case_2_expiring(self, api):
        body = standing(api, q1(), "2025-08-20")
        assert (body["status"], body["days_left"]) == ("expiring", 21)

    def test_case_3_lapsed(self, api):
        assert standing(api, q1(), "2025-09-11")["status"] == "lapsed"

    def test_case_4_confirm_with_evidence(self, api):
        q = q1()
        log = entry(q.employee, D(2025, 8, 15))
        entry(q.employee, D(2025, 8, 16), process="141")  # another process: no evidence
        response = api.post(url(q, "confirm"), {"confirmed_on": "2025-09-01"}, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["qualification"]["continuity_due"] == "2026-03-01"
        assert body["qualification"]["status"] == "valid"
        event = body["event"]
        assert event["kind"] == "confirmation" and event["on_date"] == "2025-09-01"
        assert event["evidence"] == [log.pk] and event["by"] == api.user.username
        assert event["override_reason"] == ""
        assert standing(api, q, "2025-12-01")["continuity_due"] == "2026-03-01"
        assert api.get(f"{EVENTS}{event['id']}/").json() == event

    def test_case_5_no_evidence_then_override(self, api):
        q = q1()
        entry(q.employee, D(2025, 8, 15), override_reason="manager said so", process="135")
        body = assert_error(
            api.post(url(q, "confirm"), {"confirmed_on": "2025-09-01"}, format="json"),
            422,
            "CONTINUITY_EVIDENCE_MISSING",
        )
        assert "confirmed_on" in body["errors"]
        assert not QualificationEvent.objects.exists()
        response = api.post(
            url(q, "confirm"),
            {"confirmed_on": "2025-09-01", "override_reason": "welded on site, log lost"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["event"]["override_reason"] == "welded on site, log lost"
        assert response.json()["event"]["evidence"] == []

    @pytest.mark.parametrize("reason", ["ok", "x" * 501, ""])
    def test_override_reason_length_is_422(self, api, reason):
        q = q1()
        body = assert_error(
            api.post(
                url(q, "confirm"), {"confirmed_on": "2025-09-01", "override_reason": reason}, format="json"
            ),
            422,
            "VALIDATION_ERROR",
        )
        assert "override_reason" in body["errors"]
        assert not QualificationEvent.objects.exists()

    def test_case_6_confirm_after_due_is_409(self, api):
        q = q1()
        entry(q.employee, D(2025, 8, 15))
        body = assert_error(
            api.post(url(q, "confirm"), {"confirmed_on": "2025-09-15"}, format="json"),
            409,
            "QUALIFICATION_LAPSED",
        )
        assert "confirmed_on" in body["errors"]
        assert not QualificationEvent.objects.exists()

    def test_confirm_before_anchor_is_422(self, api):
        q = q1()
        assert_error(
            api.post(url(q, "confirm"), {"confirmed_on": "2025-03-01"}, format="json"),
            422,
            "VALIDATION_ERROR",
        )

    def test_confirm_asme_is_422(self, api):
        q = q2()
        body = assert_error(
            api.post(url(q, "confirm"), {"confirmed_on": "2025-12-01"}, format="json"),
            422,
            "VALIDATION_ERROR",
        )
        assert "qualification" in body["errors"]

    @pytest.mark.parametrize("role", ["operator", "viewer"])
    def test_case_7_operator_and_viewer_confirm_is_403(self, client_for, role):
        q = q1()
        entry(q.employee, D(2025, 8, 15))
        assert_error(
            client_for(role).post(url(q, "confirm"), {"confirmed_on": "2025-09-01"}, format="json"),
            403,
            "FORBIDDEN",
        )
        assert not QualificationEvent.objects.exists()

    def test_continuity_shows_the_confirmations_and_their_entries(self, api):
        q = q1()
        log = entry(q.employee, D(2025, 8, 15))
        assert api.post(url(q, "confirm"), {"confirmed_on": "2025-09-01"}, format="json").status_code == 201
        body = api.get(url(q, "continuity"), {"as_of": "2025-10-01"}).json()
        assert (body["anchor"], body["continuity_due"], body["status"]) == (
            "2025-09-01",
            "2026-03-01",
            "valid",
        )
        assert body["evidence"] == [
            {
                "kind": "confirmation",
                "on_date": "2025-09-01",
                "override_reason": "",
                "entries": [
                    {"id": log.pk, "welded_on": "2025-08-15", "weld": log.weld.weld_id, "process": "135"}
                ],
            }
        ]
        before = api.get(url(q, "continuity"), {"as_of": "2025-08-31"}).json()
        assert (before["anchor"], before["continuity_due"], before["evidence"]) == (
            "2025-03-10",
            "2025-09-10",
            [],
        )

    def test_bad_dates_are_422(self, api):
        q = q1()
        body = assert_error(
            api.post(url(q, "confirm"), {"confirmed_on": "soon"}, format="json"), 422, "VALIDATION_ERROR"
        )
        assert "confirmed_on" in body["errors"]
        body = assert_error(api.get(url(q), {"as_of": "2025-13-01"}), 422, "VALIDATION_ERROR")
        assert "as_of" in body["errors"]
        body = assert_error(api.get(QUALS, {"as_of": "yesterday"}), 422, "VALIDATION_ERROR")
        assert "as_of" in body["errors"]
        assert_error(api.get(url(q, "continuity"), {"as_of": "x"}), 422, "VALIDATION_ERROR")


@pytest.mark.django_db
class TestBulkConfirm:
    def test_all_or_nothing(self, api):
        a = q1()
        entry(a.employee, D(2025, 8, 15))
        b = WelderQualificationFactory(qualification_id="ISO-135-09")  # its welder has no entry
        body = assert_error(
            api.post(
                f"{QUALS}confirm/",
                {"qualification_ids": ["ISO-135-01", "ISO-135-09"], "confirmed_on": "2025-09-01"},
                format="json",
            ),
            422,
            "CONTINUITY_EVIDENCE_MISSING",
        )
        assert "ISO-135-09" in body["detail"]
        assert not QualificationEvent.objects.exists()
        entry(b.employee, D(2025, 8, 20))
        response = api.post(
            f"{QUALS}confirm/",
            {"qualification_ids": ["ISO-135-01", "ISO-135-09"], "confirmed_on": "2025-09-01"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert sorted(q["qualification_id"] for q in body["qualifications"]) == ["ISO-135-01", "ISO-135-09"]
        assert {q["continuity_due"] for q in body["qualifications"]} == {"2026-03-01"}
        assert len(body["events"]) == 2 and QualificationEvent.objects.count() == 2

    def test_unknown_id_is_422(self, api):
        q1()
        body = assert_error(
            api.post(
                f"{QUALS}confirm/",
                {"qualification_ids": ["ISO-135-01", "NOPE"], "confirmed_on": "2025-09-01"},
                format="json",
            ),
            422,
            "VALIDATION_ERROR",
        )
        assert "qualification_ids" in body["errors"]
        assert_error(
            api.post(
                f"{QUALS}confirm/", {"qualification_ids": [], "confirmed_on": "2025-09-01"}, format="json"
            ),
            422,
            "VALIDATION_ERROR",
        )
        assert not QualificationEvent.objects.exists()

    def test_operator_is_403(self, client_for):
        q1()
        assert_error(
            client_for("operator").post(
                f"{QUALS}confirm/",
                {
                    "qualification_ids": ["ISO-135-01"],
                    "confirmed_on": "2025-09-01",
                    "override_reason": "x" * 12,
                },
                format="json",
            ),
            403,
            "FORBIDDEN",
        )


@pytest.mark.django_db
class TestQ2Asme:
    def setup_chain(self):
        q = q2()
        entry(q.employee, D(2026, 3, 1))
        entry(q.employee, D(2026, 5, 1))
        return q

    def test_case_8_lapsed(self, api):
        body = standing(api, self.setup_chain(), "2026-11-02")
        assert body["status"] == "lapsed" and body["continuity_due"] == "2026-11-01"
        assert body["valid_until"] is None

    def test_case_9_due_day_is_expiring(self, api):
        body = standing(api, self.setup_chain(), "2026-11-01")
        assert (body["status"], body["days_left"]) == ("expiring", 0)

    def test_case_10_other_process_counts_for_nothing(self, api):
        q = self.setup_chain()
        entry(q.employee, D(2026, 10, 1), process="141")
        assert standing(api, q, "2026-11-02")["status"] == "lapsed"

    def test_case_11_month_end(self, api):
        q = q2()
        for day in (D(2026, 3, 1), D(2026, 8, 31)):
            entry(q.employee, day)
        assert standing(api, q, "2026-09-01")["continuity_due"] == "2027-02-28"

    def test_case_12_override_no_then_renew(self, api):
        q = self.setup_chain()
        entry(q.employee, D(2026, 12, 1), override_reason="manager override, unqualified")
        assert standing(api, q, "2026-12-02")["status"] == "lapsed"
        response = api.post(url(q, "renew"), {"test_date": "2026-12-10"}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["qualification"]["continuity_due"] == "2027-06-10"
        assert response.json()["event"]["kind"] == "renewal"
        assert standing(api, q, "2027-01-01")["continuity_due"] == "2027-06-10"

    def test_renew_before_test_and_iso_are_422(self, api):
        q = q2()
        body = assert_error(
            api.post(url(q, "renew"), {"test_date": "2025-01-01"}, format="json"), 422, "VALIDATION_ERROR"
        )
        assert "test_date" in body["errors"]
        assert_error(
            api.post(url(q1(employee=q.employee), "renew"), {"test_date": "2026-01-01"}, format="json"),
            422,
            "VALIDATION_ERROR",
        )
        assert not QualificationEvent.objects.exists()

    def test_continuity_shows_the_chain(self, api):
        q = q2()
        first = entry(q.employee, D(2026, 3, 1))
        second = entry(q.employee, D(2026, 5, 1))
        entry(q.employee, D(2026, 4, 1), process="141")
        entry(q.employee, D(2026, 4, 2), override_reason="override, not evidence")
        entry(q.employee, D(2026, 12, 1))  # after the lapse: nothing
        response = api.get(url(q, "continuity"), {"as_of": "2026-12-02"})
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["anchor"] == "2026-05-01" and body["continuity_due"] == "2026-11-01"
        assert body["status"] == "lapsed"
        assert [e["id"] for e in body["evidence"]] == [first.pk, second.pk]
        assert body["evidence"][0]["weld"] == first.weld.weld_id
        early = api.get(url(q, "continuity"), {"as_of": "2026-04-01"}).json()
        assert early["anchor"] == "2026-03-01" and [e["id"] for e in early["evidence"]] == [first.pk]


@pytest.mark.django_db
class TestRevalidationExpiryRevocation:
    def test_case_13_revalidate(self, api):
        q = _revalidatable()
        response = api.post(url(q, "revalidate"), {"revalidated_on": "2027-02-01"}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["qualification"]["valid_until"] == "2029-03-10"
        assert response.json()["event"]["kind"] == "revalidation"
        assert len(response.json()["event"]["evidence"]) == 2
        assert standing(api, q, "2027-02-02")["valid_until"] == "2029-03-10"

    def test_case_14_one_weld_is_422(self, api):
        q = WelderQualificationFactory()
        for day in (D(2025, 9, 1), D(2026, 3, 1), D(2026, 8, 25)):
            QualificationEventFactory(qualification=q, kind="confirmation", on_date=day)
        weld = WeldFactory()
        InspectionFactory(work_order=weld.order, weld=weld, method="RT", result="pass")
        entry(q.employee, D(2026, 10, 5), weld=weld)
        other = WeldFactory()  # inspected, but failed: no evidence
        InspectionFactory(work_order=other.order, weld=other, method="RT", failed=True)
        entry(q.employee, D(2027, 1, 20), weld=other)
        assert_error(
            api.post(url(q, "revalidate"), {"revalidated_on": "2027-02-01"}, format="json"),
            422,
            "REVALIDATION_EVIDENCE_MISSING",
        )
        assert QualificationEvent.objects.filter(kind="revalidation").count() == 0

    def test_revalidate_after_valid_until_is_409_and_early_is_422(self, api):
        q = _revalidatable()
        assert_error(
            api.post(url(q, "revalidate"), {"revalidated_on": "2027-03-11"}, format="json"),
            409,
            "QUALIFICATION_LAPSED",
        )
        assert_error(
            api.post(url(q, "revalidate"), {"revalidated_on": "2026-08-01"}, format="json"),
            422,
            "VALIDATION_ERROR",
        )

    def test_case_15_expired(self, api):
        q = WelderQualificationFactory(revalidation_method="9.3a", test_date=D(2023, 5, 1))
        assert standing(api, q, "2026-05-02")["status"] == "expired"

    @override_settings(WELDSHOP_ISO3834_PART="none")
    def test_case_16_route_9_3c_without_3834_is_422(self, api):
        body = assert_error(
            api.post(QUALS, payload(revalidation_method="9.3c"), format="json"), 422, "VALIDATION_ERROR"
        )
        assert "revalidation_method" in body["errors"]
        assert not WelderQualification.objects.exists()

    @override_settings(WELDSHOP_ISO3834_PART="2")
    def test_route_9_3c_with_3834_2(self, api):
        response = api.post(QUALS, payload(revalidation_method="9.3c"), format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["valid_until"] is None

    def test_case_17_revoked_then_second_revoke_is_409(self, api):
        employee = EmployeeFactory(employee_id="EMP-01")
        a, b = q1(employee=employee), q2(employee=employee)
        for q in (a, b):
            response = api.post(
                url(q, "revoke"),
                {"reason": "failed the bend test", "revoked_on": "2026-01-05"},
                format="json",
            )
            assert response.status_code == 201, response.json()
            assert response.json()["qualification"]["status"] == "revoked"
            assert response.json()["event"]["note"] == "failed the bend test"
        assert standing(api, a, "2026-01-05")["status"] == "revoked"
        assert standing(api, b, "2026-01-06")["status"] == "revoked"
        assert standing(api, b, "2026-01-04")["status"] != "revoked"  # as of before it
        assert_error(
            api.post(url(a, "revoke"), {"reason": "again"}, format="json"), 409, "QUALIFICATION_REVOKED"
        )
        assert_error(
            api.post(
                url(a, "confirm"), {"confirmed_on": "2025-09-01", "override_reason": "x" * 12}, format="json"
            ),
            409,
            "QUALIFICATION_REVOKED",
        )
        assert_error(
            api.post(url(b, "renew"), {"test_date": "2026-12-10"}, format="json"),
            409,
            "QUALIFICATION_REVOKED",
        )
        employee_body = api.get(f"/api/v1/employees/{employee.pk}/", {"as_of": "2026-02-01"}).json()
        assert employee_body["qualification_status"] == "lapsed"

    def test_revoke_without_reason_is_422(self, api):
        q = q1()
        assert_error(api.post(url(q, "revoke"), {"reason": "  "}, format="json"), 422, "VALIDATION_ERROR")
        assert_error(api.post(url(q, "revoke"), {}, format="json"), 422, "VALIDATION_ERROR")
        assert not QualificationEvent.objects.exists()


# ------------------------------------------------------------------------------ filters
@pytest.mark.django_db
class TestFilters:
    def make_set(self):
        emp1 = EmployeeFactory(employee_id="EMP-01")
        emp2 = EmployeeFactory(employee_id="EMP-02")
        valid = q1(employee=emp1)  # on 2025-06-01: valid, due 2025-09-10 (101 days)
        fresh = WelderQualificationFactory(
            qualification_id="ISO-135-05", employee=emp2, test_date=D(2025, 5, 1)
        )
        tig = WelderQualificationFactory(
            qualification_id="ISO-141-01", employee=emp2, process="141", test_date=D(2024, 12, 20)
        )  # due 2025-06-20: expiring on 2025-06-01
        old = WelderQualificationFactory(
            qualification_id="ISO-141-02", employee=emp2, process="141", test_date=D(2024, 1, 1)
        )  # lapsed
        asme = q2(employee=emp1, qualification_id="ASME-135-09", test_date=D(2024, 1, 1))  # lapsed
        return valid, fresh, tig, old, asme

    def ids(self, api, **params):
        response = api.get(QUALS, {"as_of": "2025-06-01", **params})
        assert response.status_code == 200, response.json()
        return [i["qualification_id"] for i in response.json()["items"]], response.json()

    def test_status_employee_process_expiring_within(self, api, django_assert_max_num_queries):
        self.make_set()
        assert self.ids(api, status="expiring")[0] == ["ISO-141-01"]
        assert self.ids(api, status="valid,lapsed")[0] == [
            "ISO-135-01",
            "ISO-135-05",
            "ISO-141-02",
            "ASME-135-09",
        ]
        assert self.ids(api, employee="emp-02", process="TIG")[0] == ["ISO-141-01", "ISO-141-02"]
        assert self.ids(api, expiring_within=19)[0] == ["ISO-141-01"]
        assert self.ids(api, expiring_within=101)[0] == ["ISO-135-01", "ISO-141-01"]
        assert self.ids(api, status="lapsed", expiring_within=1000)[0] == []
        ids, body = self.ids(api, status="valid,lapsed", page_size=2, page=2)
        assert ids == ["ISO-141-02", "ASME-135-09"] and body["total"] == 4 and body["pages"] == 2
        # auth, the filters' rows and their standings (events, weld log), count, page: the page
        # takes the standings the filters worked out
        with django_assert_max_num_queries(6):
            self.ids(api, status="valid", expiring_within=200)

    def test_status_filter_queries_do_not_grow(self, api, django_assert_max_num_queries):
        self.make_set()
        late = q2(employee=EmployeeFactory(), qualification_id="ASME-135-10", test_date=D(2025, 5, 1))
        entry(late.employee, D(2025, 5, 2))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            self.ids(api, status="valid")
        for n in range(10):
            asme = WelderQualificationFactory(
                standard="asme_ix", revalidation_method="", qualification_id=f"A-{n}"
            )
            entry(asme.employee, D(2025, 5, 1))
        with CaptureQueriesContext(connection) as many:
            self.ids(api, status="valid")
        assert len(many) == len(few)

    @pytest.mark.parametrize(
        "params",
        [{"status": "great"}, {"expiring_within": "-1"}, {"expiring_within": "soon"}, {"process": "999"}],
    )
    def test_bad_filters_are_422(self, api, params):
        assert_error(api.get(QUALS, params), 422, "VALIDATION_ERROR")

    def test_event_filters(self, api):
        q = q1()
        QualificationEventFactory(qualification=q, kind="confirmation")
        QualificationEventFactory(kind="revocation", on_date=D(2025, 10, 1))
        body = api.get(EVENTS, {"qualification": "ISO-135-01"}).json()
        assert [e["qualification"] for e in body["items"]] == ["ISO-135-01"]
        assert [e["kind"] for e in api.get(EVENTS, {"kind": "revocation"}).json()["items"]] == ["revocation"]
        assert_error(api.get(EVENTS, {"kind": "nope"}), 422, "VALIDATION_ERROR")
        assert_error(api.post(EVENTS, {}, format="json"), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.django_db
class TestWrite:
    def test_labels_and_asme_positions(self, api):
        response = api.post(QUALS, payload(process="MAG", positions=["1G", "3G", "PF"]), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["process"] == "135" and body["employee"] == "EMP-Q1"
        assert body["positions"] == ["PA", "PF"]
        assert body["filler_groups"] == ["FM1", "FM2"] and body["product_forms"] == ["P"]

    def test_asme_without_route(self, api):
        response = api.post(QUALS, payload(standard="asme_ix", revalidation_method=""), format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["valid_until"] is None

    def test_patch_range_against_stored_value_is_422(self, api):
        q = q1()
        body = assert_error(
            api.patch(url(q), {"thickness_max_mm": "2"}, format="json"), 422, "VALIDATION_ERROR"
        )
        assert "thickness_max_mm" in body["errors"]
        q.refresh_from_db()
        assert q.thickness_max_mm == 20

    def test_serializer_without_request(self):
        from staff.serializers import WelderQualificationSerializer

        data = WelderQualificationSerializer(q1(), context={"request": None}).data
        assert data["status"] in {"lapsed", "expired", "valid", "expiring"}
