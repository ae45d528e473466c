"""`manage.py seed_demo` loads the welding demo (staff/demo_welding.py) through the imports, so a
new user sees it working (issue 12): qualifications expiring, one lapsed welder, an overridden
weld-log entry, an expired lot's warning — whatever day the demo is loaded."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from staff import demo_welding
from staff.models import QualificationEvent, WelderQualification
from workorders.models import Weld, WeldActivity, Wps

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    out = io.StringIO()
    call_command("seed_demo", "--no-users", stdout=out)
    return out.getvalue()


def items(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.json()
    return response.json()["items"]


def test_the_command_loads_one_workbook_per_resource(seeded):
    for name, count in [
        ("06_WPS.xlsx", 3),
        ("07_ConsumableLots.xlsx", 3),
        ("08_Qualifications.xlsx", 4),
        ("09_Welds.xlsx", 5),
        ("11_Calibrations.xlsx", 2),
        ("10_WeldLog.xlsx", 8),
        ("12_WeldInspections.xlsx", 6),
    ]:
        assert f"{name}: {count} new, 0 updated" in seeded
    assert "11_CalibrationIntervals.xlsx: 0 new, 2 updated" in seeded


def test_a_new_user_sees_expiring_lapsed_and_overridden(seeded, api):
    statuses = {
        q["qualification_id"]: (q["status"], q["days_left"]) for q in items(api, "/api/v1/qualifications/")
    }
    assert (
        statuses["ISO-135-01"][0] == "expiring" and 5 <= statuses["ISO-135-01"][1] <= 15
    )  # ~10 by month lengths
    assert statuses["ISO-135-04"][0] == "expiring" and 0 < statuses["ISO-135-04"][1] <= 30
    assert statuses["ASME-141-02"][0] == "valid"
    assert statuses["ISO-135-03"][0] == "lapsed"
    welders = {e["employee_id"]: e["qualification_status"] for e in items(api, "/api/v1/employees/")}
    assert welders == {"EMP-01": "expiring", "EMP-02": "qualified", "EMP-03": "lapsed"}
    assert [q["qualification_id"] for q in items(api, "/api/v1/qualifications/", status="lapsed")] == [
        "ISO-135-03"
    ]
    overridden = items(api, "/api/v1/weld-log/", overridden="true")
    assert [(e["weld"], e["welder"]) for e in overridden] == [("W-1003-02", "EMP-01")]
    assert overridden[0]["override"]["reason"] == demo_welding.OVERRIDE
    assert "THICKNESS_RANGE" in [f["code"] for f in overridden[0]["check"]["failures"]]
    warned = [
        e
        for e in items(api, "/api/v1/weld-log/")
        if "LOT_EXPIRED" in [w["code"] for w in e["check"]["warnings"]]
    ]
    assert [e["consumable_lot"] for e in warned] == ["LOT-3990"]
    # The imported LastConfirmed dates are confirmations with the reason "imported".
    assert set(QualificationEvent.objects.values_list("kind", "override_reason")) == {
        ("confirmation", "imported")
    }


def test_the_demo_is_dated_from_the_day_it_runs():
    """Records of the past (tests, confirmations, welds) are before the day it runs, whatever
    the day (a month's end included); only lots expire after it."""
    for day in (dt.date(2031, 8, 31), dt.date(2028, 2, 29)):
        for resource, _name, rows in demo_welding.WORKBOOKS:
            dates = [cell for row in rows(day)[1:] for cell in row if isinstance(cell, dt.date)]
            if resource in ("qualifications", "weld-log"):
                assert dates and all(cell < day for cell in dates), resource
            if resource == "consumable-lots":
                assert sorted(cell > day for cell in dates) == [False, True, True]


def test_a_second_run_changes_nothing(seeded):
    before = [m.objects.count() for m in (Wps, WelderQualification, QualificationEvent, Weld, WeldActivity)]
    out = io.StringIO()
    call_command("seed_demo", "--no-users", stdout=out)
    assert "10_WeldLog.xlsx: already loaded" in out.getvalue()
    assert [
        m.objects.count() for m in (Wps, WelderQualification, QualificationEvent, Weld, WeldActivity)
    ] == before


def test_a_new_user_sees_every_weld_status_a_finding_and_a_lapsed_validation(seeded, api):
    """Issue 13 in the demo: the R10 statuses, ISO 6520 findings, a machine whose validation
    ran out (and the weld-log warning it gives), and a welding dashboard with figures."""
    statuses = {w["weld_id"]: w["status"] for w in items(api, "/api/v1/welds/")}
    assert statuses == {
        "W-1000-01": "accepted",
        "W-1000-02": "rejected",
        "W-1003-01": "repaired",
        "W-1003-02": "welded",
        "W-1002-01": "planned",
    }
    for weld, code in [("W-1000-02", "2011"), ("W-1003-01", "5011")]:
        assert [(f["code"], f["verdict"]) for f in items(api, "/api/v1/findings/", weld=weld)] == [
            (code, "reject")
        ]
    machines = {e["equipment_id"]: e["calibration_status"] for e in items(api, "/api/v1/equipment/")}
    assert (machines["EQ-01"], machines["EQ-02"]) == ("valid", "overdue")
    late = [
        e for e in items(api, "/api/v1/weld-log/", welder="EMP-02", page_size=100) if e["weld"] == "W-1000-02"
    ]
    assert late and all("EQUIPMENT_VALIDATION" in [w["code"] for w in e["check"]["warnings"]] for e in late)
    dashboard = api.get("/api/v1/dashboard/welding").json()
    assert dashboard["calibration"]["overdue"] == 1
    assert dashboard["repair_rate"]["joint"] == 1.0  # W-1000-02's RT, the one first shot in 30 days
    weld = Weld.objects.get(weld_id="W-1000-02")
    trace = api.get(f"/api/v1/welds/{weld.pk}/trace/").json()
    assert [i["findings"][0]["code"] for i in trace["inspections"] if i["result"] == "fail"] == ["2011"]
