"""WELDING.md §6 through HTTP: the welder check on weld-log entries (cases 17–22, 27, 28),
overrides (23, 24), work-order assignments (25, 26), every failure code, the dry run, the
eligible welders, the WPS's immutability, weld status and re-checks, imports and exports."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.contract import assert_error
from tests.factories import (
    ConsumableLotFactory,
    EmployeeFactory,
    EquipmentFactory,
    QualificationEventFactory,
    WeldActivityFactory,
    WelderQualificationFactory,
    WeldFactory,
    WorkOrderFactory,
    WpsFactory,
)
from tests.imports.test_export import export_ok, xlsx_rows
from tests.workbooks import workbook_upload
from workorders.models import Weld, WeldActivity, WorkOrder, Wps

pytestmark = pytest.mark.django_db

LOG = "/api/v1/weld-log/"
CHECK = "/api/v1/qualifications/check"


@pytest.fixture
def shop():
    """§6's fixtures: Q1 (EMP-01, ISO), EMP-02 holding 141 only, EMP-03 holding nothing,
    WPS-135-01 and W1 on WO-1000."""
    emp1 = EmployeeFactory(employee_id="EMP-01")
    q1 = WelderQualificationFactory(qualification_id="ISO-135-01", employee=emp1)
    emp2 = EmployeeFactory(employee_id="EMP-02")
    WelderQualificationFactory(qualification_id="ISO-141-01", employee=emp2, process="141")
    emp3 = EmployeeFactory(employee_id="EMP-03")
    wps = WpsFactory(wps_id="WPS-135-01")
    order = WorkOrderFactory(order_id="WO-1000")
    w1 = WeldFactory(weld_id="W1", order=order, wps=wps)
    return type(
        "Shop", (), {"emp1": emp1, "q1": q1, "emp2": emp2, "emp3": emp3, "wps": wps, "order": order, "w1": w1}
    )


def entry(**overrides):
    return {"weld": "W1", "welder": "EMP-01", "welded_on": "2025-06-01", "layer": "root", **overrides}


def refused(response, *codes) -> dict:
    body = assert_error(response, 422, "WELDER_NOT_QUALIFIED")
    assert body["check"]["ok"] is False
    found = [f["code"] for f in body["check"]["failures"]]
    for code in codes:
        assert code in found, (code, found)
    assert body["errors"]["welder"][0].startswith("EMP-")
    return body


# ------------------------------------------------------------------ cases 18–22, 27, 28, 17
def test_case_18_qualified_entry_is_201_and_matches_q1(api, shop):
    response = api.post(LOG, entry(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["process"] == "135"  # from the WPS
    assert body["qualification"] == "ISO-135-01"
    assert body["check"] == {"ok": True, "qualification": "ISO-135-01", "failures": [], "warnings": []}
    assert body["override"] is None
    assert WeldActivity.objects.get().qualification == shop.q1


def test_case_19_thickness_is_refused_with_the_check_and_nothing_written(api, shop):
    Weld.objects.filter(pk=shop.w1.pk).update(thickness_mm=25)
    body = refused(api.post(LOG, entry(), format="json"), "THICKNESS_RANGE")
    assert body["errors"]["welder"] == [
        "EMP-01 is not qualified for W1: THICKNESS_RANGE 25.0 mm outside 3.0–20.0 mm (ISO-135-01)"
    ]
    assert body["check"]["qualification"] == "ISO-135-01"
    assert not WeldActivity.objects.exists()


@pytest.mark.parametrize(
    ("weld", "code"),
    [({"position": "PE"}, "POSITION"), ({"product_form": "T", "diameter_mm": 60}, "PRODUCT_FORM")],
)
def test_cases_20_21_position_and_pipe(api, shop, weld, code):
    Weld.objects.filter(pk=shop.w1.pk).update(**weld)
    refused(api.post(LOG, entry(), format="json"), code)


def test_case_22_no_qualification_for_the_process(api, shop):
    body = refused(api.post(LOG, entry(welder="EMP-03"), format="json"), "NO_QUALIFICATION_FOR_PROCESS")
    assert body["check"]["qualification"] is None


def test_case_27_draft_wps(api, shop):
    Wps.objects.filter(pk=shop.wps.pk).update(status="draft")
    refused(api.post(LOG, entry(), format="json"), "WPS_NOT_APPROVED")


def test_case_28_lot_in_fm5(api, shop):
    ConsumableLotFactory(lot_id="LOT-FM5", filler_group="FM5")
    refused(
        api.post(LOG, entry(consumable_lot="LOT-FM5"), format="json"), "FILLER_GROUP", "FILLER_NOT_PER_WPS"
    )


def test_case_17_revoked_qualifications(api, shop):
    q2 = WelderQualificationFactory(
        qualification_id="ASME-135-02",
        employee=shop.emp1,
        standard="asme_ix",
        revalidation_method="",
        test_date=dt.date(2025, 10, 1),
    )
    for q in (shop.q1, q2):
        QualificationEventFactory(qualification=q, kind="revocation", on_date=dt.date(2025, 10, 5))
    refused(api.post(LOG, entry(welded_on="2025-10-20"), format="json"), "QUALIFICATION_REVOKED")
    assert not WeldActivity.objects.exists()


# ------------------------------------------------------------------ every failure code
def _expired(shop):
    shop.q1.revalidation_method = "9.3a"
    shop.q1.test_date = dt.date(2021, 1, 4)
    shop.q1.save()
    return entry()


def _pending(shop):
    return entry(welded_on="2025-03-01")


def _lapsed(shop):
    return entry(welded_on="2025-09-20")


def _weld_type(shop):
    shop.q1.weld_types = ["BW"]
    shop.q1.save()
    Weld.objects.filter(pk=shop.w1.pk).update(joint_type="FW")
    return entry()


def _diameter(shop):
    shop.q1.product_forms = ["P", "T"]
    shop.q1.diameter_min_mm = 100
    shop.q1.save()
    Weld.objects.filter(pk=shop.w1.pk).update(product_form="T", diameter_mm=60)
    return entry()


def _wps_process(shop):
    return entry(welder="EMP-02", process="TIG")


def _wps_range(shop):
    Wps.objects.filter(pk=shop.wps.pk).update(thickness_max_mm=8)
    return entry()


def _filler_not_per_wps(shop):
    ConsumableLotFactory(lot_id="LOT-FM2", filler_group="FM2")
    return entry(consumable_lot="LOT-FM2")


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        (_expired, "QUALIFICATION_EXPIRED"),
        (_pending, "QUALIFICATION_PENDING"),
        (_lapsed, "QUALIFICATION_LAPSED"),
        (_weld_type, "WELD_TYPE"),
        (_diameter, "DIAMETER_RANGE"),
        (_wps_process, "WPS_PROCESS"),
        (_wps_range, "WPS_RANGE"),
        (_filler_not_per_wps, "FILLER_NOT_PER_WPS"),
    ],
)
def test_every_failure_code_reaches_the_api(api, shop, setup, code):
    body = refused(api.post(LOG, setup(shop), format="json"), code)
    if code == "FILLER_NOT_PER_WPS":  # the lot's FM2 is in Q1: only the WPS refuses it
        assert [f["code"] for f in body["check"]["failures"]] == [code]


def test_warnings_never_block(api, shop):
    ConsumableLotFactory(lot_id="LOT-OLD", expires_on=dt.date(2025, 5, 1))
    body = api.post(LOG, entry(welded_on="2025-08-20", consumable_lot="LOT-OLD"), format="json").json()
    assert body["check"]["ok"] is True
    assert [w["code"] for w in body["check"]["warnings"]] == ["QUALIFICATION_EXPIRING", "LOT_EXPIRED"]
    Weld.objects.filter(pk=shop.w1.pk).update(wps=None)
    response = api.post(LOG, entry(process="135"), format="json")
    assert response.status_code == 201
    assert [w["code"] for w in response.json()["check"]["warnings"]] == ["NO_WPS"]
    assert_error(api.post(LOG, entry(), format="json"), 422, "VALIDATION_ERROR")  # no process, no WPS


# ------------------------------------------------------------------ overrides: 23, 24
def test_case_23_manager_override_is_kept_and_listed(client_for, api, shop):
    Weld.objects.filter(pk=shop.w1.pk).update(thickness_mm=25)
    manager = client_for("manager")
    response = manager.post(
        LOG, entry(override_reason="Client accepted the deviation, NCR-77"), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["override"]["by"] == manager.user.pk
    assert body["override"]["reason"] == "Client accepted the deviation, NCR-77"
    assert body["override"]["at"]
    assert body["check"]["ok"] is False
    assert [f["code"] for f in body["check"]["failures"]] == ["THICKNESS_RANGE"]
    assert body["qualification"] is None
    assert "override_reason" not in body
    WeldActivityFactory(weld=shop.w1, welder=shop.emp1)  # not overridden
    listed = api.get(LOG, {"overridden": "true"}).json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]
    assert api.get(LOG, {"overridden": "false"}).json()["total"] == 1
    assert_error(api.get(LOG, {"overridden": "maybe"}), 422, "VALIDATION_ERROR")


def test_case_24_operator_override_is_403_and_a_short_reason_422(client_for, shop):
    Weld.objects.filter(pk=shop.w1.pk).update(thickness_mm=25)
    operator = client_for("operator")
    assert_error(
        operator.post(LOG, entry(override_reason="I know what I am doing"), format="json"), 403, "FORBIDDEN"
    )
    body = assert_error(
        client_for("manager").post(LOG, entry(override_reason="ok"), format="json"), 422, "VALIDATION_ERROR"
    )
    assert "override_reason" in body["errors"]
    assert not WeldActivity.objects.exists()


def test_operator_creates_entries_and_changes_own(client_for, shop):
    operator = client_for("operator")
    response = operator.post(LOG, entry(), format="json")
    assert response.status_code == 201, response.json()
    response = operator.patch(f"{LOG}{response.json()['id']}/", {"welded_on": "2025-09-20"}, format="json")
    refused(response, "QUALIFICATION_LAPSED")  # a change runs the check again
    assert WeldActivity.objects.get().welded_on == dt.date(2025, 6, 1)


# ------------------------------------------------------------------ filters
def test_weld_log_filters(api, shop):
    lot = ConsumableLotFactory(lot_id="LOT-A")
    a = WeldActivityFactory(weld=shop.w1, welder=shop.emp1, welded_on=dt.date(2025, 6, 1), consumable_lot=lot)
    b = WeldActivityFactory(weld=shop.w1, welder=shop.emp2, process="141", welded_on=dt.date(2025, 7, 1))

    def ids(**params):
        return [i["id"] for i in api.get(LOG, params).json()["items"]]

    assert ids(welder="emp-01") == [a.pk]
    assert ids(process="TIG") == [b.pk]
    assert ids(lot="LOT-A") == [a.pk]
    assert ids(welded_from="2025-06-15") == [b.pk]
    assert ids(welded_to="2025-06-15") == [a.pk]
    assert_error(api.get(LOG, {"welded_from": "June"}), 422, "VALIDATION_ERROR")
    assert_error(api.get(LOG, {"process": "999"}), 422, "VALIDATION_ERROR")


def test_weld_log_list_queries_are_constant(api, shop, django_assert_max_num_queries):
    def add():
        q = WelderQualificationFactory()
        WeldActivityFactory(
            weld=WeldFactory(),
            welder=q.employee,
            qualification=q,
            consumable_lot=ConsumableLotFactory(),
            equipment=EquipmentFactory(),
        )

    add()
    with CaptureQueriesContext(connection) as few:
        api.get(LOG)
    for _ in range(6):
        add()
    with django_assert_max_num_queries(len(few)):
        assert api.get(LOG).json()["total"] == 7


# ------------------------------------------------------------------ work orders: 25, 26
def _current(q):
    """Q's test date 60 days ago: valid today (a work order's check is as of today)."""
    q.test_date = timezone.localdate() - dt.timedelta(days=60)
    q.save()


def test_case_25_unqualified_assignment_is_refused_and_the_order_unchanged(api, shop):
    _current(shop.q1)
    welder_before = shop.order.assigned_welder_id
    url = f"/api/v1/workorders/{shop.order.pk}/"
    body = refused(
        api.patch(url, {"wps": "WPS-135-01", "assigned_welder": "EMP-02"}, format="json"),
        "NO_QUALIFICATION_FOR_PROCESS",
    )
    assert body["errors"]["welder"][0].startswith("EMP-02 is not qualified for WO-1000")
    shop.order.refresh_from_db()
    assert shop.order.wps is None and shop.order.assigned_welder_id == welder_before
    ok = api.patch(url, {"wps": "WPS-135-01", "assigned_welder": "EMP-01"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["assignment_check"]["ok"] is True
    assert ok.json()["assignment_check"]["qualification"] == "ISO-135-01"
    assert ok.json() == api.get(url).json()
    listed = api.get("/api/v1/workorders/").json()["items"]
    assert listed[0] == ok.json()


def test_case_26_no_wps_no_check(api, shop):
    response = api.post(
        "/api/v1/workorders/",
        {"order_id": "WO-2000", "client": "A", "assigned_welder": "EMP-03"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["assignment_check"] is None
    url = f"/api/v1/workorders/{shop.order.pk}/"
    assert api.patch(url, {"assigned_welder": "EMP-03"}, format="json").status_code == 200


def test_assignment_override_and_its_roles(client_for, shop):
    url = f"/api/v1/workorders/{shop.order.pk}/"
    payload = {
        "wps": "WPS-135-01",
        "assigned_welder": "EMP-02",
        "override_reason": "Supervised by EMP-01 today",
    }
    assert_error(client_for("operator").patch(url, payload, format="json"), 403, "FORBIDDEN")
    manager = client_for("manager")
    body = manager.patch(url, payload, format="json").json()
    assert body["assignment_override"]["by"] == manager.user.pk
    assert body["assignment_check"]["ok"] is False
    assert manager.get(url).json() == body
    assert manager.get("/api/v1/workorders/").json()["items"][0] == body
    assert_error(
        manager.patch(url, {**payload, "override_reason": "ok"}, format="json"), 422, "VALIDATION_ERROR"
    )


def test_assignment_check_root_process_and_draft(api, shop):
    _current(shop.q1)
    Wps.objects.filter(pk=shop.wps.pk).update(root_process="141")
    url = f"/api/v1/workorders/{shop.order.pk}/"
    body = refused(
        api.patch(url, {"wps": "WPS-135-01", "assigned_welder": "EMP-01"}, format="json"),
        "NO_QUALIFICATION_FOR_PROCESS",
    )
    assert "root process 141" in body["check"]["failures"][0]["message"]


# ------------------------------------------------------------------ the dry run
def test_dry_run_answers_the_check_and_writes_nothing(client_for, anon, shop):
    viewer = client_for("viewer")
    response = viewer.post(
        CHECK, {"welder": "EMP-01", "weld": "W1", "welded_on": "2025-06-01"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"ok": True, "qualification": "ISO-135-01", "failures": [], "warnings": []}
    body = viewer.post(
        f"{CHECK}/", {"welder": "EMP-03", "weld": "W1", "welded_on": "2025-06-01"}, format="json"
    ).json()
    assert body["ok"] is False and body["failures"][0]["code"] == "NO_QUALIFICATION_FOR_PROCESS"
    assert not WeldActivity.objects.exists()
    assert_error(
        viewer.post(CHECK, {"welder": "EMP-404", "weld": "W1"}, format="json"), 422, "VALIDATION_ERROR"
    )
    assert_error(anon.post(CHECK, {}, format="json"), 401, "UNAUTHORIZED")
    assert_error(viewer.get(CHECK), 405, "METHOD_NOT_ALLOWED")


# ------------------------------------------------------------------ eligible welders
def test_eligible_welders(api, shop, django_assert_max_num_queries):
    url = f"/api/v1/welds/{shop.w1.pk}/eligible-welders/"
    body = api.get(url, {"as_of": "2025-06-01"}).json()
    assert body == [
        {
            "employee_id": "EMP-01",
            "name": shop.emp1.name,
            "qualification": "ISO-135-01",
            "status": "valid",
            "effective_until": "2025-09-10",
        }
    ]
    assert api.get(url, {"as_of": "2025-09-20"}).json() == []  # Q1 lapsed
    assert_error(api.get(url, {"as_of": "someday"}), 422, "VALIDATION_ERROR")
    with CaptureQueriesContext(connection) as few:
        api.get(url, {"as_of": "2025-06-01"})
    for _ in range(5):
        WelderQualificationFactory()
    with django_assert_max_num_queries(len(few)):
        assert len(api.get(url, {"as_of": "2025-06-01"}).json()) == 6


# ------------------------------------------------------------------ WPS
def test_approved_wps_is_immutable_except_superseding(api, client_for, shop):
    url = f"/api/v1/wps/{shop.wps.pk}/"
    assert_error(api.patch(url, {"filler_group": "FM2"}, format="json"), 409, "CONFLICT")
    assert_error(api.patch(url, {"status": "draft"}, format="json"), 409, "CONFLICT")
    assert_error(api.delete(url), 409, "CONFLICT")
    assert api.patch(url, {"status": "superseded"}, format="json").json()["status"] == "superseded"
    assert_error(api.patch(url, {"status": "approved"}, format="json"), 409, "CONFLICT")
    shop.wps.refresh_from_db()
    assert shop.wps.filler_group == "FM1"


def test_approve(api, client_for, shop):
    draft = WpsFactory(status="draft")
    url = f"/api/v1/wps/{draft.pk}/approve/"
    assert_error(client_for("operator").post(url), 403, "FORBIDDEN")
    assert api.post(url).json()["status"] == "approved"
    assert_error(api.post(url), 409, "CONFLICT")


def test_wps_labels_and_filters(api, shop):
    response = api.post(
        "/api/v1/wps/",
        {
            "wps_id": "WPS-141-01",
            "process": "TIG",
            "product_forms": "P, T",
            "weld_types": ["BW"],
            "thickness_min_mm": 1,
            "positions": ["1G", "3G", "PC"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["process"], response.json()["positions"]) == ("141", ["PA", "PF", "PC"])
    assert response.json()["status"] == "draft"
    assert [i["wps_id"] for i in api.get("/api/v1/wps/", {"process": "TIG"}).json()["items"]] == [
        "WPS-141-01"
    ]
    assert [i["wps_id"] for i in api.get("/api/v1/wps/", {"status": "approved"}).json()["items"]] == [
        "WPS-135-01"
    ]


# ------------------------------------------------------------------ welds
def test_weld_status_welders_repairs_and_filters(api, shop):
    planned = WeldFactory(weld_id="W2", order=shop.order)
    WeldActivityFactory(weld=shop.w1, welder=shop.emp2, layer="root")
    WeldActivityFactory(weld=shop.w1, welder=shop.emp1, layer="repair")
    w1 = api.get(f"/api/v1/welds/{shop.w1.pk}/").json()
    assert (w1["status"], w1["welders"], w1["repair_count"]) == ("welded", ["EMP-01", "EMP-02"], 1)
    assert api.get(f"/api/v1/welds/{planned.pk}/").json()["status"] == "planned"

    def ids(**params):
        return [i["weld_id"] for i in api.get("/api/v1/welds/", params).json()["items"]]

    assert ids(status="planned") == ["W2"]
    assert ids(status="welded,planned") == ["W1", "W2"]
    assert ids(welder="EMP-02") == ["W1"]
    assert ids(order_id="wo-1000") == ["W1", "W2"]
    assert ids(status="accepted,rejected,repaired") == []
    assert_error(api.get("/api/v1/welds/", {"status": "inspected"}), 422, "VALIDATION_ERROR")


def test_weld_quality_level_defaults_to_the_orders(api, shop):
    WorkOrder.objects.filter(pk=shop.order.pk).update(quality_level="B")
    base = {
        "order_id": "WO-1000",
        "joint_type": "BW",
        "product_form": "P",
        "thickness_mm": 8,
        "position": "PA",
    }
    body = api.post("/api/v1/welds/", {**base, "weld_id": "W7"}, format="json").json()
    assert (body["quality_level"], body["ndt_required"], body["wps"]) == ("B", ["VT"], None)
    other = WorkOrderFactory()
    body = api.post(
        "/api/v1/welds/", {**base, "weld_id": "W8", "order_id": other.order_id}, format="json"
    ).json()
    assert body["quality_level"] == "C"


def test_editing_a_weld_rechecks_its_entries(api, shop):
    created = api.post(LOG, entry(), format="json").json()
    response = api.patch(f"/api/v1/welds/{shop.w1.pk}/", {"thickness_mm": 25}, format="json")
    assert response.status_code == 200  # the edit is not refused
    check = api.get(f"{LOG}{created['id']}/").json()["check"]
    assert check["ok"] is False and check["failures"][0]["code"] == "THICKNESS_RANGE"
    assert api.get(f"{LOG}{created['id']}/").json()["qualification"] is None


# ------------------------------------------------------------------ imports and exports
def _upload(client, resource, rows):
    return client.post(f"/api/v1/{resource}/import/", {"file": workbook_upload(rows)}, format="multipart")


def test_case_37_weld_log_import_with_an_unqualified_row_writes_nothing(api, shop):
    header = ["WeldID", "EmployeeID", "Layer", "WeldedOn"]
    rows = [
        header,
        ["W1", "EMP-01", "root", "2025-06-01"],
        ["W1", "EMP-01", "fill", "2025-06-02"],
        ["W1", "EMP-03", "cap", "2025-06-03"],
        ["W1", "EMP-01", "cap", "2025-06-04"],
    ]
    body = assert_error(_upload(api, "weld-log", rows), 422, "VALIDATION_ERROR")
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(4, "EmployeeID")]
    assert "NO_QUALIFICATION_FOR_PROCESS" in body["errors"][0]["message"]
    assert not WeldActivity.objects.exists()
    rows[3] = ["W1", "EMP-01", "cap", "2025-06-03"]
    response = _upload(api, "weld-log", rows)
    assert response.status_code == 201, response.json()
    assert WeldActivity.objects.filter(qualification=shop.q1).count() == 4


def test_weld_log_import_override_needs_the_role(api, client_for, shop):
    rows = [
        ["WeldID", "EmployeeID", "WeldedOn", "OverrideReason"],
        ["W1", "EMP-03", "2025-06-01", "Trial weld, cut out"],
    ]
    body = assert_error(_upload(client_for("operator"), "weld-log", rows), 422, "VALIDATION_ERROR")
    assert body["errors"][0]["column"] == "OverrideReason"
    assert _upload(api, "weld-log", rows).status_code == 201
    saved = WeldActivity.objects.get()
    assert saved.overridden and saved.override_by is not None and saved.check_result["ok"] is False


def test_exports_import_back_exactly(api, shop):
    WpsFactory(wps_id="WPS-141-01", status="draft", process="141", root_process="", diameter_min_mm=20)
    WeldFactory(
        weld_id="W9", order=shop.order, wps=None, product_form="T", diameter_mm=60, ndt_required=["VT", "UT"]
    )
    api.post(
        LOG,
        entry(
            consumable_lot=ConsumableLotFactory(lot_id="LOT-1").lot_id,
            equipment=EquipmentFactory().equipment_id,
            arc_seconds=90,
        ),
        format="json",
    )
    for resource, model in (("wps", Wps), ("welds", Weld)):
        before = list(model.objects.order_by("pk").values())
        content = export_ok(api, resource)
        response = _upload(api, resource, [list(r) for r in xlsx_rows(content)])
        assert response.status_code == 201, response.json()
        assert response.json()["rows_updated"] == 0 if "rows_updated" in response.json() else True
        after = list(model.objects.order_by("pk").values())
        assert [{k: v for k, v in r.items() if k != "updated_at"} for r in after] == [
            {k: v for k, v in r.items() if k != "updated_at"} for r in before
        ]
    content = export_ok(api, "weld-log")
    rows = [list(r) for r in xlsx_rows(content)]
    assert rows[0] == [
        "ID",
        "WeldID",
        "EmployeeID",
        "Process",
        "Layer",
        "WeldedOn",
        "LotID",
        "EquipmentID",
        "ArcSeconds",
        "OverrideReason",
    ]
    fields = (
        "weld_id",
        "welder_id",
        "process",
        "layer",
        "welded_on",
        "consumable_lot_id",
        "equipment_id",
        "arc_seconds",
        "override_reason",
    )
    before = list(WeldActivity.objects.values_list(*fields))
    stored = list(WeldActivity.objects.values())
    body = _upload(api, "weld-log", rows).json()
    assert (body["rows_created"], body["rows_updated"]) == (0, 0)  # matched by ID, unchanged
    assert list(WeldActivity.objects.values()) == stored
    WeldActivity.objects.all().delete()  # the same rows without IDs are new entries
    assert _upload(api, "weld-log", [rows[0], *([None, *r[1:]] for r in rows[1:])]).status_code == 201
    assert list(WeldActivity.objects.values_list(*fields)) == before
    rows[1][0] = 999999
    body = assert_error(_upload(api, "weld-log", rows), 422, "VALIDATION_ERROR")
    assert body["errors"][0]["column"] == "ID"


def test_a_work_order_import_refuses_an_unqualified_welder(api, shop):
    _current(shop.q1)
    WorkOrder.objects.filter(pk=shop.order.pk).update(wps=shop.wps, assigned_welder=shop.emp1)
    rows = [["OrderID", "Client", "AssignedWelder"], ["WO-1000", shop.order.client, "EMP-02"]]
    body = assert_error(_upload(api, "workorders", rows), 422, "VALIDATION_ERROR")
    assert body["errors"][0]["row"] == 2 and body["errors"][0]["column"] == "AssignedWelder"
    assert "NO_QUALIFICATION_FOR_PROCESS" in body["errors"][0]["message"]
    assert WorkOrder.objects.get(pk=shop.order.pk).assigned_welder == shop.emp1


def test_a_weld_log_import_does_not_query_per_row(api, shop):
    """The welder check of an import loads every welder's qualifications, events and weld log
    once: 40 rows by 8 welders on 8 welds take the queries 4 rows take (plus SQLite's insert
    batches), and every row is checked (one unqualified welder refuses the file)."""
    welders = [shop.emp1]
    for n in range(4, 11):
        emp = EmployeeFactory(employee_id=f"EMP-{n:02d}")
        WelderQualificationFactory(qualification_id=f"ISO-135-{n:02d}", employee=emp)
        QualificationEventFactory(qualification=emp.qualifications.get(), on_date=dt.date(2025, 5, 1))
        welders.append(emp)
    welds = [shop.w1, *(WeldFactory(weld_id=f"W{n}", order=shop.order, wps=shop.wps) for n in range(2, 9))]
    header = ["WeldID", "EmployeeID", "Layer", "WeldedOn"]

    def rows(count):
        return [header] + [
            [
                welds[i % 8].weld_id,
                welders[(i // 8 + i) % 8].employee_id,
                "fill",
                dt.date(2025, 6, 1 + i % 28),
            ]
            for i in range(count)
        ]

    with CaptureQueriesContext(connection) as small:
        assert _upload(api, "weld-log", rows(4)).status_code == 201
    with CaptureQueriesContext(connection) as large:
        response = _upload(api, "weld-log", rows(40))
    assert response.status_code == 201, response.json()
    assert len(large) <= len(small) + 2, [q["sql"][:120] for q in large.captured_queries]
    assert WeldActivity.objects.filter(qualification__isnull=False).count() == 44
    body = assert_error(
        _upload(api, "weld-log", [*rows(12), ["W2", "EMP-03", "fill", "2025-06-05"]]), 422, "VALIDATION_ERROR"
    )
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(14, "EmployeeID")]


def test_an_entry_earlier_in_the_file_keeps_an_asme_chain_alive_for_a_later_row(api, shop):
    """ASME continuity counts the entries the file itself adds, as entered one by one: Q2
    (tested 2025-10-01) lapses after 2026-04-01 unless the 2026-03-15 row, earlier in the same
    file, carries it on to 2026-09-15."""
    emp = EmployeeFactory(employee_id="EMP-20")
    WelderQualificationFactory(
        qualification_id="ASME-135-20",
        employee=emp,
        standard="asme_ix",
        revalidation_method="",
        test_date=dt.date(2025, 10, 1),
    )
    header = ["WeldID", "EmployeeID", "WeldedOn"]
    late = ["W1", "EMP-20", "2026-06-01"]
    body = assert_error(_upload(api, "weld-log", [header, late]), 422, "VALIDATION_ERROR")
    assert "QUALIFICATION_LAPSED" in body["errors"][0]["message"]
    response = _upload(api, "weld-log", [header, ["W1", "EMP-20", "2026-03-15"], late])
    assert response.status_code == 201, response.json()
    assert WeldActivity.objects.filter(welder=emp, qualification__qualification_id="ASME-135-20").count() == 2


def test_a_9_3c_qualification_the_setting_no_longer_allows_is_never_matched(api, shop, settings):
    """Stored under WELDSHOP_ISO3834_PART=2, then the shop's setting becomes `none`: the
    qualification has no standing, so the check (one entry, or a file of them) finds no
    qualification instead of failing with a server error."""
    settings.WELDSHOP_ISO3834_PART = "2"
    q = WelderQualificationFactory(
        qualification_id="ISO-135-C", employee=shop.emp3, revalidation_method="9.3c"
    )
    assert api.post(LOG, entry(welder="EMP-03"), format="json").status_code == 201
    settings.WELDSHOP_ISO3834_PART = "none"
    refused(
        api.post(LOG, entry(welder="EMP-03", welded_on="2025-06-02"), format="json"),
        "NO_QUALIFICATION_FOR_PROCESS",
    )
    rows = [
        ["WeldID", "EmployeeID", "WeldedOn"],
        ["W1", "EMP-01", "2025-06-03"],
        ["W1", "EMP-03", "2025-06-03"],
    ]
    body = assert_error(_upload(api, "weld-log", rows), 422, "VALIDATION_ERROR")
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "EmployeeID")]
    assert "NO_QUALIFICATION_FOR_PROCESS" in body["errors"][0]["message"]
    assert WeldActivity.objects.filter(qualification=q).count() == 1
    assert WeldActivity.objects.count() == 1


def test_the_dry_run_takes_an_entrys_whole_body_and_refuses_unknown_fields(api, shop):
    """`POST qualifications/check` with the weld-log entry about to be sent (layer and arc
    seconds too) answers the check; a field no entry has is a 422 naming it."""
    body = entry(layer="cap", arc_seconds=900)
    response = api.post("/api/v1/qualifications/check", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["ok"] is True
    refused = assert_error(
        api.post("/api/v1/qualifications/check", {**body, "welder_id": 3}, format="json"),
        422,
        "VALIDATION_ERROR",
    )
    assert list(refused["errors"]) == ["welder_id"]
    assert_error(
        api.post("/api/v1/qualifications/check", {**body, "layer": "bead"}, format="json"),
        422,
        "VALIDATION_ERROR",
    )
