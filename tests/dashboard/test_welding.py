"""`GET /api/v1/dashboard/welding` (WELDING.md §4 "Dashboard", R11; cases 35 and 36), through
HTTP; the KPIs also against an independent computation over a random shop."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.contract import assert_error
from tests.factories import (
    EmployeeFactory,
    EquipmentCalibrationFactory,
    EquipmentFactory,
    ImportTemplateFactory,
    InspectionFactory,
    QualificationEventFactory,
    WeldActivityFactory,
    WelderQualificationFactory,
    WeldFactory,
    WeldFindingFactory,
    WorkOrderFactory,
    WorkshopEntryFactory,
    WpsFactory,
)
from workorders.models import Weld
from workorders.selectors import with_weld_status

URL = "/api/v1/dashboard/welding"
AS_OF = dt.date(2025, 11, 30)
WINDOW = {"from": "2025-11-01", "to": "2025-11-30", "as_of": AS_OF.isoformat()}


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A local (TIME_ZONE) moment on that day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def get(client, **params) -> dict:
    response = client.get(URL, {**WINDOW, **params})
    assert response.status_code == 200, response.content[:500]
    return response.json()


def shot(weld, *, method="RT", day=dt.date(2025, 11, 10), hour=10, rejected=(), accepted=(), examined=None):
    """An inspection of `weld`: failed when it has rejected findings ((code, length_mm) pairs)."""
    inspection = InspectionFactory(
        work_order=weld.order,
        weld=weld,
        method=method,
        result="fail" if rejected else "pass",
        defect_type="porosity" if rejected else None,
        inspected_at=at(day, hour),
        examined_length_mm=examined,
    )
    for code, length in rejected:
        WeldFindingFactory(inspection=inspection, code=code, verdict="reject", length_mm=length)
    for code, length in accepted:
        WeldFindingFactory(inspection=inspection, code=code, verdict="accept", length_mm=length)
    return inspection


def welded(weld, welder, *, process="135", layer="complete", day=dt.date(2025, 11, 5), arc=None):
    return WeldActivityFactory(
        weld=weld, welder=welder, process=process, layer=layer, welded_on=day, arc_seconds=arc
    )


@pytest.fixture
def case35(db):
    """WELDING.md case 35: 10 welds RT'd, 2 failed, 500 mm each, rejected 30 + 20 mm."""
    welder = EmployeeFactory(employee_id="EMP-01", name="John Doe")
    wps = WpsFactory(wps_id="WPS-135-01")
    order = WorkOrderFactory(order_id="WO-1000")
    welds = []
    for n in range(10):
        weld = WeldFactory(weld_id=f"W{n + 1}", order=order, wps=wps, length_mm=500)
        welded(weld, welder)
        welds.append(weld)
    shot(welds[0], rejected=[("2011", 30)])
    shot(welds[1], rejected=[("401", 20)])
    for weld in welds[2:]:
        shot(weld)
    return welds


# ------------------------------------------------------------------------------ R11
@pytest.mark.django_db
class TestRepairRate:
    def test_case_35(self, api, case35):
        rate = get(api)["repair_rate"]
        assert rate["joint"] == 0.2
        assert rate["length"] == 0.01
        assert (rate["welds"], rate["failed"], rate["length_unknown"]) == (10, 2, 0)
        assert rate["rejected_length_mm"] == 50
        assert rate["examined_length_mm"] == 5000

    def test_case_35_json_numbers(self, api, case35):
        body = api.get(URL, WINDOW).content.decode()
        assert '"joint":0.2' in body.replace(" ", "")
        assert '"length":0.01' in body.replace(" ", "")

    def test_grouped_by_welder_process_and_wps(self, api, case35):
        other = EmployeeFactory(employee_id="EMP-02", name="Jane Smith")
        wps = WpsFactory(wps_id="WPS-141-01", process="141")
        weld = WeldFactory(order=case35[0].order, wps=wps, length_mm=1000)
        welded(weld, other, process="141", layer="root")
        welded(weld, other, process="141", layer="cap")  # the same welder twice: one weld
        welded(weld, case35[0].activities.first().welder, process="141", layer="tack")  # tack: not counted
        shot(weld, rejected=[("100", 100)])
        # a weld of the case whose repair was made by EMP-02: the repairer is not a welder of it
        welded(case35[0], other, layer="repair", day=dt.date(2025, 11, 12))
        rate = get(api)["repair_rate"]
        assert (rate["welds"], rate["failed"]) == (11, 3)
        by_welder = {g["employee_id"]: g for g in rate["by_welder"]}
        assert set(by_welder) == {"EMP-01", "EMP-02"}
        assert (by_welder["EMP-01"]["welds"], by_welder["EMP-01"]["joint"]) == (10, 0.2)
        assert by_welder["EMP-01"]["name"] == "John Doe"
        assert (
            by_welder["EMP-02"]["welds"],
            by_welder["EMP-02"]["joint"],
            by_welder["EMP-02"]["length"],
        ) == (
            1,
            1.0,
            0.1,
        )
        by_process = {g["process"]: g for g in rate["by_process"]}
        assert by_process["135"]["welds"] == 10 and by_process["141"]["welds"] == 1
        by_wps = {g["wps_id"]: g for g in rate["by_wps"]}
        assert by_wps["WPS-135-01"]["length"] == 0.01
        assert by_wps["WPS-141-01"]["joint"] == 1.0

    def test_a_weld_with_two_welders_counts_once_for_each(self, api):
        a, b = EmployeeFactory(employee_id="EMP-A"), EmployeeFactory(employee_id="EMP-B")
        weld = WeldFactory(length_mm=200)
        welded(weld, a, layer="root")
        welded(weld, b, layer="fill", process="136")
        shot(weld, rejected=[("2011", 10)])
        rate = get(api)["repair_rate"]
        assert [(g["employee_id"], g["welds"], g["failed"]) for g in rate["by_welder"]] == [
            ("EMP-A", 1, 1),
            ("EMP-B", 1, 1),
        ]
        assert [(g["process"], g["welds"]) for g in rate["by_process"]] == [("135", 1), ("136", 1)]
        assert rate["welds"] == 1 and rate["length"] == 0.05

    def test_only_the_first_inspection_counts(self, api):
        weld = WeldFactory(length_mm=500)
        welded(weld, EmployeeFactory())
        shot(weld, day=dt.date(2025, 11, 3), rejected=[("2011", 40)])
        shot(weld, day=dt.date(2025, 11, 9))  # the re-shot after the repair passes
        rate = get(api)["repair_rate"]
        assert (rate["welds"], rate["failed"], rate["length"]) == (1, 1, 0.08)

    def test_a_first_inspection_before_the_window_keeps_the_weld_out(self, api):
        weld = WeldFactory()
        shot(weld, day=dt.date(2025, 10, 20), rejected=[("2011", 40)])
        shot(weld, day=dt.date(2025, 11, 9))
        assert get(api)["repair_rate"]["welds"] == 0

    def test_methods(self, api):
        weld = WeldFactory()
        welded(weld, EmployeeFactory())
        shot(weld, method="VT", day=dt.date(2025, 11, 2), rejected=[("5011", 25)])
        shot(weld, method="RT", day=dt.date(2025, 11, 4))
        default = get(api)
        assert (default["repair_rate"]["welds"], default["repair_rate"]["failed"]) == (1, 0)
        assert default["methods"] == ["UT", "RT"]
        assert default["findings_by_code"] == []
        vt = get(api, methods="vt")
        assert (vt["repair_rate"]["welds"], vt["repair_rate"]["failed"]) == (1, 1)
        assert vt["repair_rate"]["length"] == 0.05
        assert [r["code"] for r in vt["findings_by_code"]] == ["5011"]
        both = get(api, methods="RT,VT")  # the first by either: the VT failure
        assert both["repair_rate"]["failed"] == 1
        assert both["methods"] == ["VT", "RT"]

    def test_window_edges_are_local_midnights(self, api, settings):
        settings.TIME_ZONE = "Europe/Berlin"
        inside_first = WeldFactory()
        shot(inside_first, day=dt.date(2025, 11, 1), hour=0)  # 00:00 Berlin = 23:00 UTC the day before
        inside_last = WeldFactory()
        InspectionFactory(
            work_order=inside_last.order,
            weld=inside_last,
            method="RT",
            inspected_at=timezone.make_aware(dt.datetime(2025, 11, 30, 23, 59, 59)),
        )
        before = WeldFactory()
        InspectionFactory(
            work_order=before.order,
            weld=before,
            method="RT",
            inspected_at=timezone.make_aware(dt.datetime(2025, 10, 31, 23, 59, 59)),
        )
        after = WeldFactory()
        shot(after, day=dt.date(2025, 12, 1), hour=0)
        rate = get(api)["repair_rate"]
        assert rate["welds"] == 2
        assert get(api, **{"from": "2025-10-31", "to": "2025-10-31"})["repair_rate"]["welds"] == 1
        assert get(api, **{"from": "2025-12-01", "to": "2025-12-01"})["repair_rate"]["welds"] == 1

    def test_length_unknown(self, api):
        no_length = WeldFactory(length_mm=None)
        shot(no_length, rejected=[("2011", 15)])
        examined = WeldFactory(length_mm=None)
        shot(examined, rejected=[("2011", 15)], examined=300)  # the inspection's length counts
        rate = get(api)["repair_rate"]
        assert (rate["welds"], rate["failed"], rate["length_unknown"]) == (2, 2, 1)
        assert rate["joint"] == 1.0
        assert rate["length"] == 0.05  # 15 / 300: the unknown weld's 15 mm left out too
        assert rate["rejected_length_mm"] == 15

    def test_inspection_length_wins_over_the_welds(self, api):
        weld = WeldFactory(length_mm=1000)
        shot(weld, rejected=[("2011", 10)], accepted=[("2012", 99)], examined=250)
        assert get(api)["repair_rate"]["length"] == 0.04  # accepted findings do not count

    def test_rounding_is_half_up_to_4_decimals(self, api):
        # 1 failed of 3 → 0.33333… → 0.3333; length 1 / 16000 = 0.0000625 → 0.0001
        welds = [WeldFactory(length_mm=8000), WeldFactory(length_mm=4000), WeldFactory(length_mm=4000)]
        shot(welds[0], rejected=[("2011", 1)])
        shot(welds[1])
        shot(welds[2])
        rate = get(api)["repair_rate"]
        assert rate["joint"] == 0.3333
        assert rate["length"] == 0.0001

    def test_null_on_an_empty_population(self, api):
        body = get(api)
        rate = body["repair_rate"]
        assert rate["joint"] is None and rate["length"] is None
        assert rate["by_welder"] == rate["by_process"] == rate["by_wps"] == []
        assert body["first_pass_yield"] is None
        assert body["first_pass"] == {"inspected": 0, "passed": 0}
        assert body["findings_by_code"] == []

    def test_no_known_length_gives_a_null_length_rate(self, api):
        shot(WeldFactory(length_mm=None), rejected=[("2011", 5)])
        rate = get(api)["repair_rate"]
        assert (rate["joint"], rate["length"], rate["length_unknown"]) == (1.0, None, 1)

    def test_welds_without_a_wps(self, api):
        shot(WeldFactory(wps=None), rejected=[("2011", 5)])
        assert get(api)["repair_rate"]["by_wps"][-1]["wps_id"] is None


@pytest.mark.django_db
class TestFirstPassYield:
    def test_first_inspection_by_any_method(self, api):
        a, b, c = WeldFactory(), WeldFactory(), WeldFactory()
        shot(a, method="VT", day=dt.date(2025, 11, 2))
        shot(a, method="RT", day=dt.date(2025, 11, 3), rejected=[("2011", 5)])  # not the first
        shot(b, method="VT", day=dt.date(2025, 11, 2), rejected=[("5011", 5)])
        shot(c, method="RT", day=dt.date(2025, 10, 2))  # first shot before the window
        shot(c, method="VT", day=dt.date(2025, 11, 2), rejected=[("5011", 5)])
        body = get(api)
        assert body["first_pass"] == {"inspected": 2, "passed": 1}
        assert body["first_pass_yield"] == 0.5
        assert get(api, methods="VT")["first_pass_yield"] == 0.5  # methods do not change it

    def test_inspections_of_no_weld_do_not_count(self, api):
        InspectionFactory(method="RT", inspected_at=at(dt.date(2025, 11, 2)))
        assert get(api)["first_pass"]["inspected"] == 0


# ------------------------------------------------------------------------------ the rest
@pytest.mark.django_db
class TestQualifications:
    def test_case_36_expiring_in(self, api):
        # ASME (no valid_until): effective_until = continuity_due = test_date + 6 months
        for days in (20, 50, 80, 100):
            due = AS_OF + dt.timedelta(days=days)
            WelderQualificationFactory(
                standard="asme_ix", revalidation_method="", test_date=_six_months_before(due)
            )
        quals = get(api)["qualifications"]
        assert quals["expiring_in"] == {"30": 1, "60": 2, "90": 3}
        assert (quals["valid"], quals["expiring"], quals["total"]) == (3, 1, 4)

    def test_counts_by_status_and_lists(self, api):
        john = EmployeeFactory(employee_id="EMP-01", name="John Doe")
        # ISO 9606-1 9.3b tested 2025-06-15: continuity due 2025-12-15 (15 days left: at risk)
        WelderQualificationFactory(qualification_id="ISO-A", employee=john, test_date=dt.date(2025, 6, 15))
        # tested 2025-07-10: due 2026-01-10 (41 days: not at risk)
        WelderQualificationFactory(qualification_id="ISO-B", employee=john, test_date=dt.date(2025, 7, 10))
        # tested 2025-03-10, never confirmed: due 2025-09-10 → lapsed 81 days
        WelderQualificationFactory(qualification_id="ISO-C", employee=john, test_date=dt.date(2025, 3, 10))
        # tested 2025-05-01, lapsed 2025-11-01 → 29 days
        WelderQualificationFactory(qualification_id="ISO-D", test_date=dt.date(2025, 5, 1))
        revoked = WelderQualificationFactory(qualification_id="ISO-E", test_date=dt.date(2025, 9, 1))
        QualificationEventFactory(qualification=revoked, kind="revocation", on_date=dt.date(2025, 10, 1))
        WelderQualificationFactory(qualification_id="ISO-F", test_date=dt.date(2025, 11, 20))
        body = get(api)
        quals = body["qualifications"]
        assert {k: quals[k] for k in ("valid", "expiring", "lapsed", "revoked", "expired", "pending")} == {
            "valid": 2,
            "expiring": 1,
            "lapsed": 2,
            "revoked": 1,
            "expired": 0,
            "pending": 0,
        }
        assert body["continuity_at_risk"] == {
            "count": 1,
            "items": [
                {
                    "qualification_id": "ISO-A",
                    "employee_id": "EMP-01",
                    "name": "John Doe",
                    "process": "135",
                    "continuity_due": "2025-12-15",
                    "days_left": 15,
                }
            ],
        }
        assert body["lapsed"]["count"] == 2
        assert [(r["qualification_id"], r["days_lapsed"]) for r in body["lapsed"]["items"]] == [
            ("ISO-D", 29),
            ("ISO-C", 81),
        ]
        assert [r["qualification_id"] for r in get(api, limit=1)["lapsed"]["items"]] == ["ISO-D"]

    def test_as_of_moves_the_standings(self, api):
        WelderQualificationFactory(test_date=dt.date(2025, 3, 10))  # due 2025-09-10
        assert get(api, as_of="2025-06-01")["qualifications"]["valid"] == 1
        assert get(api, as_of="2025-08-20")["qualifications"]["expiring"] == 1
        assert get(api, as_of="2025-09-11")["qualifications"]["lapsed"] == 1


def _six_months_before(day: dt.date) -> dt.date:
    """A test date whose + 6 months (clamped) is `day`, for days not at a month's end."""
    month = day.month - 6
    year = day.year + (month <= 0) * -1
    month = month + 12 if month <= 0 else month
    return dt.date(year, month, day.day)


@pytest.mark.django_db
class TestOtherFigures:
    def test_pareto(self, api):
        for codes in (["2011", "2011", "401"], ["2011", "100"], ["401"]):
            weld = WeldFactory()
            shot(weld, rejected=[(c, 5) for c in codes], accepted=[("2012", 1)])
        pareto = get(api)["findings_by_code"]
        assert [(r["code"], r["count"], r["share"], r["cumulative_share"]) for r in pareto] == [
            ("2011", 3, 0.5, 0.5),
            ("401", 2, 0.3333, 0.8333),
            ("100", 1, 0.1667, 1.0),
        ]
        assert pareto[0]["label"] == "Gas pore"

    def test_awaiting_ndt(self, api):
        welder = EmployeeFactory()
        waiting_old = WeldFactory(weld_id="W-OLD", ndt_required=["VT", "RT"])
        welded(waiting_old, welder, day=dt.date(2025, 11, 1))
        shot(waiting_old, method="VT", day=dt.date(2025, 11, 2))  # RT still missing
        waiting_new = WeldFactory(weld_id="W-NEW", ndt_required=["RT"])
        welded(waiting_new, welder, day=dt.date(2025, 11, 20))
        done = WeldFactory(ndt_required=["RT"])
        welded(done, welder)
        shot(done)
        rejected = WeldFactory(ndt_required=["RT"])
        welded(rejected, welder)
        shot(rejected, rejected=[("2011", 5)])
        WeldFactory()  # planned: no entry
        awaiting = get(api)["awaiting_ndt"]
        assert awaiting["count"] == 2
        assert [(r["weld_id"], r["last_welded_on"], r["days_waiting"]) for r in awaiting["items"]] == [
            ("W-OLD", "2025-11-01", 29),
            ("W-NEW", "2025-11-20", 10),
        ]
        assert get(api, limit=1)["awaiting_ndt"]["count"] == 2

    def test_calibration_as_of(self, api):
        EquipmentCalibrationFactory(performed_on=dt.date(2024, 12, 20))  # until 2025-12-20: due soon
        EquipmentCalibrationFactory(performed_on=dt.date(2024, 10, 1))  # ran out 2025-10-01
        EquipmentCalibrationFactory(performed_on=dt.date(2025, 6, 1), result="fail")
        EquipmentCalibrationFactory(performed_on=dt.date(2025, 8, 1))  # valid
        EquipmentFactory(calibration_interval_days=None)
        assert get(api)["calibration"] == {"overdue": 1, "due_soon": 1, "failed": 1}
        assert get(api, as_of="2025-06-01")["calibration"] == {"overdue": 0, "due_soon": 0, "failed": 1}

    def test_productivity_with_machine_logs(self, api):
        john = EmployeeFactory(employee_id="EMP-01", name="John Doe")
        jane = EmployeeFactory(employee_id="EMP-02", name="Jane Smith")
        mike = EmployeeFactory(employee_id="EMP-03", name="Mike Johnson")
        w1, w2 = WeldFactory(), WeldFactory()
        welded(w1, john, layer="root", arc=1800)
        welded(w1, john, layer="cap", arc=1800)
        welded(w2, john, layer="tack", arc=None)
        welded(w2, jane, arc=900, day=dt.date(2025, 10, 31))  # before the window
        template = ImportTemplateFactory(
            mapping={"Welder": "employee_id", "Arc (s)": "arc_seconds", "Date": "date", "Wire": "wire_kg"}
        )
        WorkshopEntryFactory(
            template=template, data={"employee_id": "EMP-01", "arc_seconds": 1800, "date": "2025-11-10"}
        )
        WorkshopEntryFactory(
            template=template,
            data={"employee_id": "EMP-03", "arc_seconds": 5400.5, "date": "2025-11-30T00:00:00"},
        )
        WorkshopEntryFactory(
            template=template, data={"employee_id": "EMP-03", "arc_seconds": 3600, "date": "2025-12-01"}
        )
        WorkshopEntryFactory(
            template=template, data={"employee_id": "EMP-03", "arc_seconds": "n/a", "date": "2025-11-10"}
        )
        WorkshopEntryFactory(
            template=template, data={"employee_id": "EMP-99", "arc_seconds": 60, "date": "2025-11-10"}
        )
        # a template that does not map all three fields does not count
        other = ImportTemplateFactory(mapping={"Welder": "employee_id", "Arc (s)": "arc_seconds"})
        WorkshopEntryFactory(template=other, data={"employee_id": "EMP-01", "arc_seconds": 99999})
        rows = get(api)["productivity"]
        assert rows == [
            {
                "employee_id": "EMP-01",
                "name": "John Doe",
                "arc_hours": 1.5,
                "welds": 2,
                "log_arc_seconds": 3600,
                "machine_arc_seconds": 1800.0,
            },
            {
                "employee_id": "EMP-03",
                "name": "Mike Johnson",
                "arc_hours": 1.5,
                "welds": 0,
                "log_arc_seconds": 0,
                "machine_arc_seconds": 5400.5,
            },
        ]
        assert jane.employee_id not in {r["employee_id"] for r in rows}
        assert mike.pk


# ------------------------------------------------------------------------------ parameters
@pytest.mark.django_db
class TestParameters:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"from": "2025-13-01"}, "from"),
            ({"to": "tomorrow"}, "to"),
            ({"from": "2025-12-01", "to": "2025-11-01"}, "from"),
            ({"from": "2025-12-01", "to": ""}, "from"),  # to = as_of, before from
            ({"methods": "XR"}, "methods"),
            ({"methods": " "}, "methods"),  # blank; given empty it is left out (the default)
            ({"methods": "RT,,UT"}, "methods"),
            ({"as_of": " "}, "as_of"),
            ({"as_of": "2025-02-30"}, "as_of"),
            ({"limit": "0"}, "limit"),
            ({"colour": "red"}, "colour"),
        ],
    )
    def test_bad_parameters_are_422_naming_them(self, api, settings, params, field):
        settings.DASHBOARD_CACHE_SECONDS = 60
        query = {"as_of": AS_OF.isoformat(), **params}
        body = assert_error(api.get(URL, query), 422, "VALIDATION_ERROR")
        assert field in body["errors"], body
        # nothing cached wrong: the same request again is refused again, a good one answers
        assert api.get(URL, query).status_code == 422
        assert api.get(URL, WINDOW).status_code == 200

    def test_defaults(self, api, settings):
        body = api.get(URL, {"as_of": "2025-11-30"}).json()
        assert (body["from"], body["to"], body["methods"]) == ("2025-11-01", "2025-11-30", ["UT", "RT"])
        today = timezone.localdate()
        body = api.get(URL).json()
        assert (body["to"], body["as_of"]) == (today.isoformat(), today.isoformat())
        assert body["from"] == (today - dt.timedelta(days=29)).isoformat()
        only_to = api.get(URL, {"to": "2025-03-31"}).json()
        assert only_to["from"] == "2025-03-02"

    def test_trailing_slash(self, api):
        assert api.get(URL + "/", WINDOW).status_code == 200


@pytest.mark.django_db
class TestRoles:
    @pytest.mark.parametrize("role", ["viewer", "operator", "manager"])
    def test_every_role_reads(self, client_for, role):
        assert client_for(role).get(URL, WINDOW).status_code == 200

    def test_anonymous_is_401(self, anon):
        assert anon.get(URL, WINDOW).status_code == 401

    def test_no_role_is_403(self, client_for):
        assert client_for("").get(URL, WINDOW).status_code == 403


# ------------------------------------------------------------------------------ cache, queries
@pytest.mark.django_db
class TestCache:
    @pytest.fixture(autouse=True)
    def _cached(self, settings):
        settings.DASHBOARD_CACHE_SECONDS = 60

    def test_second_read_is_cached(self, api, case35):
        with CaptureQueriesContext(connection) as first:
            get(api)
        with CaptureQueriesContext(connection) as second:
            get(api)
        welding_tables = ("workorders_weld", "inspections_", "staff_welderqualification")

        def ours(captured):
            return sum(any(t in q["sql"] for t in welding_tables) for q in captured.captured_queries)

        assert ours(first) > 0
        assert ours(second) == 0

    def test_every_parameter_is_in_the_key(self, api, case35):
        WelderQualificationFactory(test_date=dt.date(2025, 3, 10))  # lapsed on 2025-09-11
        assert get(api)["repair_rate"]["welds"] == 10
        assert get(api, **{"from": "2025-11-11"})["repair_rate"]["welds"] == 0
        assert get(api, to="2025-11-09")["repair_rate"]["welds"] == 0
        assert get(api, methods="UT")["repair_rate"]["welds"] == 0
        assert get(api)["qualifications"]["lapsed"] == 1
        assert get(api, as_of="2025-06-01")["qualifications"]["valid"] == 1
        assert get(api, limit=1)["qualifications"]["lapsed"] == 1

    @pytest.mark.parametrize(
        "write",
        [
            "finding",
            "inspection",
            "activity",
            "weld",
            "qualification",
            "event",
            "calibration",
            "workshop_entry",
        ],
    )
    def test_a_write_shows_on_the_next_read(self, api, case35, write, django_capture_on_commit_callbacks):
        # each write in its own transaction (a savepoint inside the test's), as a request's
        # is: the fixture's writes already wait for the test transaction's commit
        before = get(api)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            if write == "finding":
                WeldFindingFactory(
                    inspection=case35[0].inspections.get(), code="2011", verdict="reject", length_mm=50
                )
            elif write == "inspection":
                shot(WeldFactory(), rejected=[("2011", 5)])
            elif write == "activity":
                welded(case35[3], EmployeeFactory(employee_id="EMP-NEW"))
            elif write == "weld":
                case35[0].length_mm = 1000
                case35[0].save()
            elif write == "qualification":
                WelderQualificationFactory(test_date=dt.date(2025, 11, 1))
            elif write == "event":
                q = WelderQualificationFactory(test_date=dt.date(2025, 11, 1))
            elif write == "calibration":
                EquipmentCalibrationFactory(performed_on=dt.date(2024, 1, 1))
            else:
                template = ImportTemplateFactory(
                    mapping={"W": "employee_id", "A": "arc_seconds", "D": "date"}
                )
                WorkshopEntryFactory(
                    template=template,
                    data={"employee_id": "EMP-01", "arc_seconds": 3600, "date": "2025-11-10"},
                )
        if write == "event":
            middle = get(api)
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                QualificationEventFactory(qualification=q, kind="revocation", on_date=dt.date(2025, 11, 2))
            assert get(api) != middle
        assert get(api) != before


@pytest.mark.django_db
class TestQueries:
    def build(self, n: int, offset: int) -> None:
        rng = random.Random(n)
        welders = [EmployeeFactory() for _ in range(3)]
        for i in range(n):
            weld = WeldFactory(weld_id=f"Q{offset + i}", length_mm=rng.choice([None, 400, 500]))
            welded(weld, welders[i % 3], arc=rng.randint(0, 900))
            welded(weld, welders[(i + 1) % 3], layer="tack")
            shot(weld, rejected=[("2011", 5)] if i % 3 == 0 else [], day=dt.date(2025, 11, 1 + i % 28))
            shot(weld, method="VT", day=dt.date(2025, 11, 1 + i % 28), hour=9)
            WelderQualificationFactory(employee=welders[i % 3], test_date=dt.date(2025, 1 + i % 10, 5))
            WelderQualificationFactory(
                employee=welders[i % 3],
                standard="asme_ix",
                revalidation_method="",
                test_date=dt.date(2025, 8, 1),
            )
            EquipmentCalibrationFactory(performed_on=dt.date(2025, 1 + i % 10, 1))
        template = ImportTemplateFactory(mapping={"W": "employee_id", "A": "arc_seconds", "D": "date"})
        for w in welders:
            WorkshopEntryFactory(
                template=template,
                data={"employee_id": w.employee_id, "arc_seconds": 60, "date": "2025-11-03"},
            )
        WeldActivityFactory(weld=WeldFactory(weld_id=f"QW{offset}", ndt_required=["RT"]), welder=welders[0])

    def count(self, api) -> int:
        with CaptureQueriesContext(connection) as captured:
            get(api)
        return len(captured.captured_queries)

    def test_constant_whatever_the_data(self, api, settings):
        settings.DASHBOARD_CACHE_SECONDS = 0  # the queries of computing them, not of a cache hit
        self.build(3, 0)
        small = self.count(api)
        self.build(30, 100)
        assert self.count(api) == small
        assert small <= 16


# ------------------------------------------------------------------------------ independent
def _round(numerator, denominator) -> float | None:
    if not denominator:
        return None
    value = (Decimal(str(numerator)) / Decimal(str(denominator))).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return float(value)


@pytest.mark.django_db
def test_kpis_match_an_independent_computation(api, settings):
    """A random shop (seeded), every R11 figure worked out again in plain Python from what
    the factories were given, compared with the endpoint's."""
    settings.TIME_ZONE = "Europe/Berlin"
    rng = random.Random(20251130)
    welders = [EmployeeFactory(employee_id=f"EMP-{n:02d}") for n in range(6)]
    wpss = [WpsFactory(wps_id=f"WPS-{n}") for n in range(3)] + [None]
    processes = ["135", "136", "141"]
    codes = ["2011", "401", "100", "5011", "302"]
    start, end = dt.date(2025, 11, 1), dt.date(2025, 11, 30)
    methods = ("PT", "UT", "RT")
    welds = []  # (weld model, length, wps id, entries, inspections)
    for n in range(80):
        length = rng.choice([None, 300, 500, 750])
        wps = rng.choice(wpss)
        weld = WeldFactory(weld_id=f"R{n}", length_mm=length, wps=wps)
        entries = []
        for _ in range(rng.randint(0, 4)):
            entry = {
                "welder": rng.choice(welders),
                "process": rng.choice(processes),
                "layer": rng.choice(["tack", "root", "fill", "cap", "complete", "repair"]),
                "day": dt.date(2025, 10, 15) + dt.timedelta(days=rng.randint(0, 50)),
                "arc": rng.choice([None, rng.randint(0, 3000)]),
            }
            welded(
                weld,
                entry["welder"],
                process=entry["process"],
                layer=entry["layer"],
                day=entry["day"],
                arc=entry["arc"],
            )
            entries.append(entry)
        shots = []
        for _ in range(rng.randint(0, 3)):
            moment = timezone.make_aware(
                dt.datetime(2025, 10, 20) + dt.timedelta(minutes=rng.randint(0, 50 * 24 * 60))
            )
            if rng.random() < 0.2 and shots:
                moment = shots[0]["at"]  # a tie: the lower id comes first
            rejected = [
                (rng.choice(codes), rng.choice([None, 5, 12.5, 40])) for _ in range(rng.choice([0, 0, 1, 2]))
            ]
            accepted = [(rng.choice(codes[:2]), 3)] if rng.random() < 0.3 else []
            examined = rng.choice([None, None, 200, 450])
            inspection = InspectionFactory(
                work_order=weld.order,
                weld=weld,
                method=rng.choice(["VT", "PT", "UT", "RT"]),
                result="fail" if rejected else "pass",
                defect_type="porosity" if rejected else None,
                inspected_at=moment,
                examined_length_mm=examined,
            )
            for code, mm in rejected:
                WeldFindingFactory(inspection=inspection, code=code, verdict="reject", length_mm=mm)
            for code, mm in accepted:
                WeldFindingFactory(inspection=inspection, code=code, verdict="accept", length_mm=mm)
            shots.append(
                {
                    "id": inspection.pk,
                    "at": moment,
                    "method": inspection.method,
                    "rejected": rejected,
                    "examined": examined,
                }
            )
        welds.append((weld, length, wps.wps_id if wps else None, entries, shots))

    body = get(api, **{"from": start.isoformat(), "to": end.isoformat(), "methods": ",".join(methods)})

    def in_window(moment):
        return start <= timezone.localtime(moment).date() <= end

    # --- the independent computation
    groups: dict = {"all": {}, "welder": {}, "process": {}, "wps": {}}

    def add(kind, key, failed, rejected_mm, examined):
        g = groups[kind].setdefault(
            key, {"welds": 0, "failed": 0, "unknown": 0, "rej": Decimal(0), "exam": Decimal(0)}
        )
        g["welds"] += 1
        g["failed"] += failed
        if examined is None:
            g["unknown"] += 1
        else:
            g["rej"] += rejected_mm
            g["exam"] += Decimal(str(examined))

    fp_inspected = fp_passed = 0
    pareto: dict[str, int] = {}
    for _weld, length, wps_id, entries, shots in welds:
        ordered = sorted(shots, key=lambda s: (s["at"], s["id"]))
        if ordered and in_window(ordered[0]["at"]):
            fp_inspected += 1
            fp_passed += not ordered[0]["rejected"]
        for s in shots:
            if s["method"] in methods and in_window(s["at"]):
                for code, _mm in s["rejected"]:
                    pareto[code] = pareto.get(code, 0) + 1
        by_methods = [s for s in ordered if s["method"] in methods]
        if not by_methods or not in_window(by_methods[0]["at"]):
            continue
        first = by_methods[0]
        failed = 1 if first["rejected"] else 0
        rejected_mm = sum((Decimal(str(mm)) for _, mm in first["rejected"] if mm is not None), Decimal(0))
        examined = first["examined"] if first["examined"] is not None else length
        add("all", None, failed, rejected_mm, examined)
        hands = [e for e in entries if e["layer"] not in ("tack", "repair")]
        for employee_id in {e["welder"].employee_id for e in hands}:
            add("welder", employee_id, failed, rejected_mm, examined)
        for process in {e["process"] for e in hands}:
            add("process", process, failed, rejected_mm, examined)
        add("wps", wps_id, failed, rejected_mm, examined)

    def expected(g):
        return {
            "welds": g["welds"],
            "failed": g["failed"],
            "joint": _round(g["failed"], g["welds"]),
            "length": _round(g["rej"], g["exam"]),
            "length_unknown": g["unknown"],
            "rejected_length_mm": float(g["rej"]),
            "examined_length_mm": float(g["exam"]),
        }

    def actual(row):
        return {
            k: row[k]
            for k in (
                "welds",
                "failed",
                "joint",
                "length",
                "length_unknown",
                "rejected_length_mm",
                "examined_length_mm",
            )
        }

    rate = body["repair_rate"]
    assert groups["all"], "the random shop should have a population"
    assert actual(rate) == expected(groups["all"][None])
    assert {r["employee_id"]: actual(r) for r in rate["by_welder"]} == {
        k: expected(g) for k, g in groups["welder"].items()
    }
    assert {r["process"]: actual(r) for r in rate["by_process"]} == {
        k: expected(g) for k, g in groups["process"].items()
    }
    assert {r["wps_id"]: actual(r) for r in rate["by_wps"]} == {
        k: expected(g) for k, g in groups["wps"].items()
    }
    assert body["first_pass"] == {"inspected": fp_inspected, "passed": fp_passed}
    assert body["first_pass_yield"] == _round(fp_passed, fp_inspected)

    total = sum(pareto.values())
    ordered_codes = sorted(pareto, key=lambda c: (-pareto[c], c))
    running = 0
    expected_pareto = []
    for code in ordered_codes:
        running += pareto[code]
        expected_pareto.append((code, pareto[code], _round(pareto[code], total), _round(running, total)))
    assert [
        (r["code"], r["count"], r["share"], r["cumulative_share"]) for r in body["findings_by_code"]
    ] == expected_pareto

    arc: dict[str, int] = {}
    weld_sets: dict[str, set] = {}
    for weld, _length, _wps, entries, _shots in welds:
        for e in entries:
            if start <= e["day"] <= end:
                key = e["welder"].employee_id
                arc[key] = arc.get(key, 0) + (e["arc"] or 0)
                weld_sets.setdefault(key, set()).add(weld.pk)
    assert {
        r["employee_id"]: (r["log_arc_seconds"], r["welds"], r["arc_hours"]) for r in body["productivity"]
    } == {
        k: (
            arc[k],
            len(weld_sets[k]),
            float((Decimal(arc[k]) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)),
        )
        for k in arc
    }


@pytest.mark.django_db
def test_awaiting_ndt_is_r10_welded_on_random_histories(api):
    """The dashboard's set-based statement picks exactly the welds R10's SQL
    (`with_weld_status`) calls `welded`, oldest last entry first."""
    rng = random.Random(20261208)
    order = WorkOrderFactory()
    welder = EmployeeFactory()
    for n in range(150):
        required = rng.sample(["VT", "PT", "MT", "UT", "RT"], rng.choice([0, 1, 1, 2, 2, 3]))
        weld = WeldFactory(weld_id=f"A{n:03d}", order=order, ndt_required=required)
        for _ in range(rng.choice([0, 1, 2, 3])):
            welded(
                weld,
                welder,
                layer=rng.choice(["root", "fill", "repair", "tack"]),
                day=dt.date(2025, 6, rng.randint(1, 9)),
            )
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            method = rng.choice(required or ["VT", "UT"]) if rng.random() < 0.8 else rng.choice(["MT", "PT"])
            moment = at(dt.date(2025, 6, rng.randint(1, 9)), rng.choice([0, 10, 23]))
            if rng.random() < 0.4:
                shot(weld, method=method, day=moment.date(), hour=moment.hour, rejected=[("2011", 1)])
            else:
                shot(weld, method=method, day=moment.date(), hour=moment.hour)
    expected = list(
        with_weld_status(Weld.objects.all())
        .filter(weld_status="welded")
        .annotate(last=Max("activities__welded_on"))
        .order_by("last", "weld_id")
        .values_list("weld_id", flat=True)
    )
    assert 10 < len(expected) < 140
    awaiting = get(api, limit=1000)["awaiting_ndt"]
    assert awaiting["count"] == len(expected)
    assert [r["weld_id"] for r in awaiting["items"]] == expected
