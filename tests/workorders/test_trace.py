"""`GET welds/{id}/trace` (WELDING.md §4, case 38) through HTTP: the weld, its work order and
WPS, every weld-log entry with its welder, qualification (status that day), lot and heat,
machine (calibration state that day), check and override, every inspection with its
findings — in a number of queries that does not grow with the weld's history."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.contract import assert_error
from tests.factories import (
    ConsumableLotFactory,
    EmployeeFactory,
    EquipmentCalibrationFactory,
    EquipmentFactory,
    InspectionFactory,
    UserFactory,
    WeldActivityFactory,
    WelderQualificationFactory,
    WeldFactory,
    WeldFindingFactory,
)
from tests.workorders.test_welding_api import entry, shop  # noqa: F401 - `shop`: §6's fixtures
from workorders.models import Weld

pytestmark = pytest.mark.django_db

LOG = "/api/v1/weld-log/"
INSPECTIONS = "/api/v1/inspections/"


@pytest.fixture
def sec6(request):
    """WELDING.md §6's fixtures (`shop` of test_welding_api): Q1 for EMP-01, WPS-135-01, W1 …"""
    return request.getfixturevalue("shop")


def trace_url(weld) -> str:
    return f"/api/v1/welds/{weld.pk}/trace/"


def trace(client, weld) -> dict:
    response = client.get(trace_url(weld))
    assert response.status_code == 200, response.content[:1000]
    return response.json()


def log(client, **fields) -> dict:
    response = client.post(LOG, entry(**fields), format="json")
    assert response.status_code == 201, response.content[:1000]
    return response.json()


def inspect(client, inspection_id, method, at, *, findings=(), **fields) -> dict:
    body = {
        "inspection_id": inspection_id,
        "order_id": "WO-1000",
        "weld_id": "W1",
        "inspector": "Inspector X",
        "method": method,
        "inspected_at": at,
        "result": "fail" if any(f["verdict"] == "reject" for f in findings) else "pass",
        "findings": list(findings),
        **fields,
    }
    response = client.post(INSPECTIONS, body, format="json")
    assert response.status_code == 201, response.content[:1000]
    return response.json()


def machine(**fields):
    """A machine validated on 2025-01-10 for a year (interval 365 days)."""
    equipment = EquipmentFactory(calibration_interval_days=365, **fields)
    EquipmentCalibrationFactory(equipment=equipment, performed_on=dt.date(2025, 1, 10))
    return equipment


# ------------------------------------------------------------------------------ case 38
def test_case_38_trace_shows_wps_welder_qualification_lot_heat_equipment_findings(api, sec6):
    sec6.emp1.stamp = "JD1"
    sec6.emp1.save()
    ConsumableLotFactory(lot_id="LOT-4471", heat_number="H4471", certificate_no="CERT-1")
    machine(equipment_id="EQ-07", name="MIG 7")
    root = log(api, consumable_lot="LOT-4471", equipment="EQ-07", arc_seconds=1800)
    inspect(
        api,
        "QC-RT1",
        "RT",
        "2025-06-03T10:00:00Z",
        report_no="RT-0112",
        examined_length_mm=500,
        findings=[{"code": "2011", "verdict": "reject", "length_mm": 30, "location": "120 mm"}],
    )
    repair = log(api, layer="repair", welded_on="2025-06-04", consumable_lot="LOT-4471", equipment="EQ-07")
    inspect(api, "QC-RT2", "RT", "2025-06-05T10:00:00Z", report_no="RT-0113")
    inspect(api, "QC-VT1", "VT", "2025-06-02T08:00:00Z")

    body = trace(api, sec6.w1)

    assert set(body) == {"weld", "work_order", "wps", "entries", "inspections"}
    weld = body["weld"]
    assert (weld["weld_id"], weld["status"], weld["quality_level"], weld["length_mm"]) == (
        "W1",
        "accepted",
        "C",
        500,
    )
    assert weld["ndt_required"] == ["VT", "RT"]
    assert weld["repair_count"] == 1
    assert body["work_order"]["order_id"] == "WO-1000"
    assert set(body["work_order"]) == {
        "order_id",
        "client",
        "description",
        "status",
        "due_date",
        "quality_level",
    }
    wps = body["wps"]
    assert (wps["wps_id"], wps["status"], wps["process"], wps["filler_group"]) == (
        "WPS-135-01",
        "approved",
        "135",
        "FM1",
    )
    assert (wps["thickness_min_mm"], wps["thickness_max_mm"]) == (3, 30)

    assert [e["id"] for e in body["entries"]] == [root["id"], repair["id"]]
    first = body["entries"][0]
    assert (first["layer"], first["process"], first["welded_on"], first["arc_seconds"]) == (
        "root",
        "135",
        "2025-06-01",
        1800,
    )
    assert first["welder"] == {"employee_id": "EMP-01", "name": sec6.emp1.name, "stamp": "JD1"}
    assert first["qualification"] == {
        "qualification_id": "ISO-135-01",
        "standard": "iso_9606_1",
        "designation": sec6.q1.designation,
        "process": "135",
        "matched": True,
        "status": "valid",
        "effective_until": "2025-09-10",
    }
    assert first["consumable_lot"]["lot_id"] == "LOT-4471"
    assert first["consumable_lot"]["heat_number"] == "H4471"
    assert first["consumable_lot"]["certificate_no"] == "CERT-1"
    assert first["consumable_lot"]["expired_that_day"] is False
    assert first["equipment"] == {
        "equipment_id": "EQ-07",
        "name": "MIG 7",
        "calibration_status": "valid",
        "calibration_due": "2026-01-10",
        "validated": True,
    }
    assert first["check"] == {"ok": True, "qualification": "ISO-135-01", "failures": [], "warnings": []}
    assert first["override"] is None

    # by inspected_at, then id: VT (06-02), RT fail (06-03), RT pass (06-05)
    assert [(i["inspection_id"], i["result"], i["repair_cycle"]) for i in body["inspections"]] == [
        ("QC-VT1", "pass", 0),
        ("QC-RT1", "fail", 0),
        ("QC-RT2", "pass", 1),
    ]
    failed = body["inspections"][1]
    assert (failed["method"], failed["report_no"], failed["examined_length_mm"], failed["defect_type"]) == (
        "RT",
        "RT-0112",
        500,
        "porosity",
    )
    assert failed["inspector"] == "Inspector X"
    [finding] = failed["findings"]
    assert {k: v for k, v in finding.items() if k != "id"} == {
        "code": "2011",
        "group": 2,
        "label": finding["label"],
        "size_mm": None,
        "length_mm": 30,
        "location": "120 mm",
        "quality_level": "",
        "verdict": "reject",
    }
    assert finding["label"]  # the ISO 6520-1 term
    assert body["inspections"][2]["findings"] == []


def test_entries_are_chronological_then_by_id(api, sec6):
    later = log(api, welded_on="2025-06-10")
    earlier = log(api, welded_on="2025-06-01")
    same_day = log(api, welded_on="2025-06-01", layer="cap")
    assert [e["id"] for e in trace(api, sec6.w1)["entries"]] == [earlier["id"], same_day["id"], later["id"]]


# ------------------------------------------------------------------------------ overrides
def test_an_overridden_entry_shows_its_failures_and_the_override(client_for, sec6):
    manager = client_for("manager")
    Weld.objects.filter(pk=sec6.w1.pk).update(thickness_mm=25)
    reason = "Client concession CC-17 for 25 mm"
    posted = log(manager, override_reason=reason)

    [traced] = trace(manager, sec6.w1)["entries"]
    assert traced["id"] == posted["id"]
    assert traced["check"]["ok"] is False
    assert [f["code"] for f in traced["check"]["failures"]] == ["THICKNESS_RANGE"]
    assert traced["override"]["reason"] == reason
    assert traced["override"]["by"] == posted["override"]["by"] is not None
    assert traced["override"]["at"]
    # nothing matched: the qualification the check named, its status that day
    assert traced["qualification"]["qualification_id"] == "ISO-135-01"
    assert traced["qualification"]["matched"] is False
    assert traced["qualification"]["status"] == "valid"


def test_an_entry_with_no_qualification_at_all(client_for, sec6):
    body = log(client_for("manager"), welder="EMP-03", override_reason="Trial weld, not production")
    [traced] = trace(client_for("viewer"), sec6.w1)["entries"]
    assert traced["id"] == body["id"]
    assert traced["qualification"] is None
    assert [f["code"] for f in traced["check"]["failures"]] == ["NO_QUALIFICATION_FOR_PROCESS"]


# ------------------------------------------------------------------------------ "that day"
def test_the_machine_was_overdue_that_day_though_valid_today(api, sec6):
    equipment = EquipmentFactory(equipment_id="EQ-OLD", calibration_interval_days=365)
    EquipmentCalibrationFactory(
        equipment=equipment, performed_on=dt.date(2024, 1, 10), valid_until=dt.date(2025, 1, 10)
    )
    posted = log(api, equipment="EQ-OLD")
    assert [w["code"] for w in posted["check"]["warnings"]] == ["EQUIPMENT_VALIDATION"]
    recent = timezone.localdate() - dt.timedelta(days=30)
    EquipmentCalibrationFactory(
        equipment=equipment, performed_on=recent, valid_until=recent + dt.timedelta(days=365)
    )

    [traced] = trace(api, sec6.w1)["entries"]
    assert traced["equipment"] == {
        "equipment_id": "EQ-OLD",
        "name": equipment.name,
        "calibration_status": "overdue",
        "calibration_due": "2025-01-10",
        "validated": False,
    }
    assert [w["code"] for w in traced["check"]["warnings"]] == ["EQUIPMENT_VALIDATION"]
    assert api.get(f"/api/v1/equipment/{equipment.pk}/").json()["calibration_status"] == "valid"


def test_the_qualification_status_as_of_each_entry_day(api, sec6):
    log(api, welded_on="2025-06-01")
    log(api, welded_on="2025-08-20")  # case 2: expiring, 21 days left
    statuses = [(e["welded_on"], e["qualification"]["status"]) for e in trace(api, sec6.w1)["entries"]]
    assert statuses == [("2025-06-01", "valid"), ("2025-08-20", "expiring")]
    # today (no confirmation since): lapsed
    assert api.get(f"/api/v1/qualifications/{sec6.q1.pk}/").json()["status"] == "lapsed"


def test_an_asme_chain_as_of_each_entry_day(api, sec6):
    """ASME IX continuity (R3) as of each entry's day, as `GET qualifications/{id}?as_of=<day>`
    answers it (the entries of that day included): an entry after a lapse shows it lapsed."""
    emp = EmployeeFactory(employee_id="EMP-04")
    q = WelderQualificationFactory(
        qualification_id="ASME-135-04",
        employee=emp,
        standard="asme_ix",
        revalidation_method="",
        test_date=dt.date(2025, 1, 6),
    )
    log(api, welder="EMP-04", welded_on="2025-06-01")  # due 2025-12-01
    log(api, welder="EMP-04", welded_on="2025-11-20")  # due 2026-05-20
    log(api, welder="EMP-04", welded_on="2026-06-01", override_reason="Welded after the lapse")
    entries = trace(api, sec6.w1)["entries"]
    found = [(e["qualification"]["status"], e["qualification"]["effective_until"]) for e in entries]
    assert found == [("valid", "2025-12-01"), ("valid", "2026-05-20"), ("lapsed", "2026-05-20")]
    assert [e["qualification"]["matched"] for e in entries] == [True, True, False]
    for e in entries:
        as_of = api.get(f"/api/v1/qualifications/{q.pk}/", {"as_of": e["welded_on"]}).json()
        assert (as_of["status"], as_of["effective_until"]) == (
            e["qualification"]["status"],
            e["qualification"]["effective_until"],
        )


def test_an_expired_lot_is_flagged_on_the_days_after_its_expiry(api, sec6):
    ConsumableLotFactory(lot_id="LOT-OLD", expires_on=dt.date(2025, 5, 1))
    log(api, welded_on="2025-05-01", consumable_lot="LOT-OLD")  # usable on its expiry day
    log(api, welded_on="2025-06-01", consumable_lot="LOT-OLD")
    entries = trace(api, sec6.w1)["entries"]
    assert [e["consumable_lot"]["expired_that_day"] for e in entries] == [False, True]
    assert [[w["code"] for w in e["check"]["warnings"]] for e in entries] == [[], ["LOT_EXPIRED"]]
    assert entries[1]["consumable_lot"]["expires_on"] == "2025-05-01"


# ------------------------------------------------------------------------------ edges, roles
def test_a_planned_weld_without_wps(api):
    weld = WeldFactory(wps=None)
    body = trace(api, weld)
    assert body["weld"]["status"] == "planned"
    assert (body["wps"], body["entries"], body["inspections"]) == (None, [], [])
    assert body["work_order"]["order_id"] == weld.order.order_id


def test_entry_without_lot_or_machine(api, sec6):
    log(api)
    [traced] = trace(api, sec6.w1)["entries"]
    assert (traced["consumable_lot"], traced["equipment"]) == (None, None)


def test_an_unknown_weld_is_404(api):
    assert_error(api.get("/api/v1/welds/999999/trace/"), 404, "NOT_FOUND")


def test_every_role_reads_it_and_anonymous_is_401(client_for, anon, sec6):
    for role in ("viewer", "operator", "manager"):
        assert client_for(role).get(trace_url(sec6.w1)).status_code == 200, role
    assert_error(anon.get(trace_url(sec6.w1)), 401, "UNAUTHORIZED")


# ------------------------------------------------------------------------------ queries
def grow(weld, n: int, *, start: int = 0) -> None:
    """`n` more of everything: welders (ISO and ASME), lots, machines with calibrations,
    entries (some overridden), inspections with findings."""
    for i in range(start, start + n):
        welder = EmployeeFactory()
        iso = WelderQualificationFactory(employee=welder)
        asme = WelderQualificationFactory(
            employee=EmployeeFactory(),
            standard="asme_ix",
            revalidation_method="",
            test_date=dt.date(2025, 1, 6),
        )
        lot = ConsumableLotFactory(expires_on=dt.date(2025, 5, 1) if i % 2 else None)
        equipment = machine()
        EquipmentCalibrationFactory(equipment=equipment, performed_on=dt.date(2025, 4, 1), result="fail")
        day = dt.date(2025, 4, 1) + dt.timedelta(days=i)
        check = {"ok": True, "qualification": iso.qualification_id, "failures": [], "warnings": []}
        WeldActivityFactory(
            weld=weld,
            welder=welder,
            welded_on=day,
            qualification=iso,
            consumable_lot=lot,
            equipment=equipment,
            check_result=check,
        )
        WeldActivityFactory(
            weld=weld,
            welder=asme.employee,
            welded_on=day,
            layer="fill",
            check_result={**check, "ok": False, "qualification": asme.qualification_id},
            override_reason="Reason long enough",
            override_by=UserFactory(),
            override_at=timezone.now(),
        )
        inspection = InspectionFactory(work_order=weld.order, weld=weld, method="RT" if i % 2 else "VT")
        for code in ("2011", "401", "5011"):
            WeldFindingFactory(inspection=inspection, code=code, verdict="accept")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_history(api, django_assert_max_num_queries):
    weld = WeldFactory()
    grow(weld, 1)
    url = trace_url(weld)
    api.get(url)  # warm up (the user's permissions are cached per request anyway)
    small = count_queries(api, url)
    grow(weld, 15, start=1)
    with django_assert_max_num_queries(small):
        body = api.get(url).json()
    assert len(body["entries"]) == 32 and len(body["inspections"]) == 16
    assert sum(len(i["findings"]) for i in body["inspections"]) == 48
    assert len({e["consumable_lot"]["lot_id"] for e in body["entries"] if e["consumable_lot"]}) == 16
    assert count_queries(api, url) == small
    # the user, the weld (with its order and WPS), then entries, qualifications, events,
    # weld-log days, calibrations, inspections, findings
    assert small <= 9, small


# ------------------------------------------------------------------------------ the admin page
def admin_trace_url(weld) -> str:
    return reverse("admin:workorders_weld_trace", args=[weld.pk])


def test_the_admin_trace_page_shows_wps_welder_lot_heat_and_findings(client, api, sec6):
    ConsumableLotFactory(lot_id="LOT-4471", heat_number="H4471")
    machine(equipment_id="EQ-07")
    log(api, consumable_lot="LOT-4471", equipment="EQ-07")
    inspect(
        api,
        "QC-RT1",
        "RT",
        "2025-06-03T10:00:00Z",
        findings=[{"code": "2011", "verdict": "reject", "length_mm": 30}],
    )
    client.force_login(UserFactory(role="manager"))

    response = client.get(admin_trace_url(sec6.w1))
    assert response.status_code == 200
    page = response.content.decode()
    for shown in ("WPS-135-01", "EMP-01", "ISO-135-01", "H4471", "EQ-07", "QC-RT1", "2011", "rejected"):
        assert shown in page, shown
    assert not re.findall(r"<script(?![^>]*\bsrc=)", page)  # CSP: no inline script
    assert " style=" not in page
    # linked from the weld's change page and its changelist
    assert (
        admin_trace_url(sec6.w1)
        in client.get(f"/admin/workorders/weld/{sec6.w1.pk}/change/").content.decode()
    )
    assert admin_trace_url(sec6.w1) in client.get("/admin/workorders/weld/").content.decode()


def test_a_planned_weld_and_an_unknown_one_in_the_admin(admin_client):
    weld = WeldFactory(wps=None)
    page = admin_client.get(admin_trace_url(weld)).content.decode()
    assert "No WPS." in page and "the weld is planned" in page
    assert admin_client.get("/admin/workorders/weld/999999/trace/").status_code == 404
    assert admin_client.get("/admin/workorders/weld/abc/trace/").status_code == 404


def test_only_staff_who_may_view_welds_see_it(client, sec6):
    url = admin_trace_url(sec6.w1)
    client.force_login(UserFactory(role="viewer"))  # not staff: the admin's login page
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    staff = UserFactory(role="")  # staff without any permission
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get(url).status_code == 403


def test_the_admin_page_queries_do_not_grow(admin_client):
    weld = WeldFactory()
    grow(weld, 1)
    url = admin_trace_url(weld)
    admin_client.get(url)
    small = count_queries(admin_client, url)
    grow(weld, 10, start=1)
    assert count_queries(admin_client, url) == small


@pytest.mark.django_db
def test_the_http_method_trace_is_not_the_trace(api, sec6):
    """`TRACE /welds/…` is an HTTP method no operation documents: 405 with the error body,
    on the list, a weld and its trace alike (the action is not a method named `trace`)."""
    for url in ("/api/v1/welds/", f"/api/v1/welds/{sec6.w1.pk}/", trace_url(sec6.w1)):
        assert_error(api.generic("TRACE", url), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.django_db
def test_a_welder_without_a_stamp_is_null(api, sec6):
    log(api)
    entries = trace(api, sec6.w1)["entries"]
    assert sec6.emp1.stamp is None and entries[0]["welder"]["stamp"] is None
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["schemas"]["TraceWelder"]["properties"]["stamp"]["nullable"] is True
