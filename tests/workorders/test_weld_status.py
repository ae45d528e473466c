"""R10 — weld status (WELDING.md §3): case 34 through the API, and the SQL filter against the
Python rule over many random histories."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tests.factories import (
    EmployeeFactory,
    InspectionFactory,
    WeldActivityFactory,
    WeldFactory,
    WorkOrderFactory,
)
from workorders.models import Weld
from workorders.selectors import WELD_STATUSES, WeldTest, weld_status, with_weld_status

URL = "/api/v1/welds/"
QC = "/api/v1/inspections/"
UTC = dt.UTC


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2025, 6, day, hour, tzinfo=UTC)


def status_of(api, weld) -> str:
    return api.get(f"{URL}{weld.pk}/").json()["status"]


def inspect(api, weld, n, method, result, when, **extra):
    body = {
        "inspection_id": f"QC-{n}",
        "order_id": weld.order.order_id,
        "weld_id": weld.weld_id,
        "method": method,
        "result": result,
        "inspected_at": when,
        **extra,
    }
    if result == "fail":
        body.setdefault("defect_type", "porosity")
    response = api.post(QC, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.django_db
def test_case_34_fail_repair_then_pass_is_accepted(api):
    weld = WeldFactory(weld_id="W1", ndt_required=["VT", "RT"])
    assert status_of(api, weld) == "planned"
    WeldActivityFactory(weld=weld, layer="root", welded_on=dt.date(2025, 6, 1))
    assert status_of(api, weld) == "welded"
    inspect(api, weld, 1, "RT", "fail", "2025-06-02T10:00:00Z")
    assert status_of(api, weld) == "rejected"
    WeldActivityFactory(weld=weld, layer="repair", welded_on=dt.date(2025, 6, 3))
    assert status_of(api, weld) == "repaired"
    retest = inspect(api, weld, 2, "RT", "pass", "2025-06-05T10:00:00Z")
    assert retest["repair_cycle"] == 1
    assert status_of(api, weld) == "welded"  # VT, also required, not done yet
    inspect(api, weld, 3, "VT", "pass", "2025-06-05T11:00:00Z")
    body = api.get(f"{URL}{weld.pk}/").json()
    assert (body["status"], body["repair_count"]) == ("accepted", 1)
    assert [w["weld_id"] for w in api.get(URL, {"status": "accepted"}).json()["items"]] == ["W1"]
    assert api.get(URL, {"status": "rejected,repaired,welded,planned"}).json()["items"] == []


@pytest.mark.django_db
def test_a_repair_before_the_failure_does_not_repair_it(api):
    weld = WeldFactory(ndt_required=["RT"])
    WeldActivityFactory(weld=weld, layer="repair", welded_on=dt.date(2025, 6, 1))
    inspect(api, weld, 1, "RT", "fail", "2025-06-02T10:00:00Z")
    assert status_of(api, weld) == "rejected"
    # a repair the day of the failed inspection counts as after it
    WeldActivityFactory(weld=weld, layer="fill", welded_on=dt.date(2025, 6, 9))
    assert status_of(api, weld) == "rejected"
    WeldActivityFactory(weld=weld, layer="repair", welded_on=dt.date(2025, 6, 2))
    assert status_of(api, weld) == "repaired"
    inspect(api, weld, 2, "RT", "fail", "2025-06-04T10:00:00Z")  # the repair failed again
    assert status_of(api, weld) == "rejected"


@pytest.mark.django_db
def test_only_required_methods_count(api):
    weld = WeldFactory(ndt_required=["VT"])
    WeldActivityFactory(weld=weld)
    inspect(api, weld, 1, "UT", "fail", "2025-06-02T10:00:00Z")  # informative: UT not required
    inspect(api, weld, 2, "VT", "pass", "2025-06-02T11:00:00Z")
    assert status_of(api, weld) == "accepted"
    loose = WeldFactory(ndt_required=[])  # nothing required: judged by what was inspected
    WeldActivityFactory(weld=loose)
    assert status_of(api, loose) == "welded"
    inspect(api, loose, 3, "MT", "pass", "2025-06-02T10:00:00Z")
    assert status_of(api, loose) == "accepted"
    inspect(api, loose, 4, "PT", "fail", "2025-06-03T10:00:00Z")
    assert status_of(api, loose) == "rejected"


def test_the_rule_on_its_own():
    class E:  # an entry
        def __init__(self, layer, day):
            self.layer, self.welded_on = layer, dt.date(2025, 6, day)

    fail, ok = WeldTest("RT", False, at(2)), WeldTest("RT", True, at(5))
    assert weld_status(["RT"], [], [ok]) == "planned"
    assert weld_status(["RT"], [E("root", 1)], []) == "welded"
    assert weld_status(["RT"], [E("root", 1)], [fail]) == "rejected"
    assert weld_status(["RT"], [E("root", 1), E("repair", 2)], [fail]) == "repaired"
    assert weld_status(["RT"], [E("root", 1), E("repair", 3)], [fail, ok]) == "accepted"
    # the same instant: the later row decides
    assert weld_status(
        ["RT"], [E("root", 1)], [WeldTest("RT", True, at(2), 2), WeldTest("RT", False, at(2), 1)]
    ) == ("accepted")
    # a failure late in the day in UTC is the next day in a time zone east of UTC
    late = WeldTest("RT", False, dt.datetime(2025, 6, 2, 23, 30, tzinfo=UTC))
    east = dt.timezone(dt.timedelta(hours=2))
    assert weld_status(["RT"], [E("repair", 2)], [late], tz=UTC) == "repaired"
    assert weld_status(["RT"], [E("repair", 2)], [late], tz=east) == "rejected"


@pytest.mark.django_db
def test_the_sql_filter_agrees_with_the_rule_on_random_histories():
    rng = random.Random(20261207)
    order = WorkOrderFactory()
    welder = EmployeeFactory()
    expected: dict[int, str] = {}
    n = 0
    for _ in range(120):
        required = rng.sample(["VT", "PT", "MT", "UT", "RT"], rng.choice([0, 1, 1, 2, 2, 3]))
        weld = WeldFactory(order=order, ndt_required=required)
        entries = [
            WeldActivityFactory(
                weld=weld,
                welder=welder,
                layer=rng.choice(["root", "fill", "repair", "repair", "tack"]),
                welded_on=dt.date(2025, 6, rng.randint(1, 9)),
            )
            for _ in range(rng.choice([0, 1, 2, 3]))
        ]
        tests = []
        for _ in range(rng.choice([0, 1, 2, 3, 4])):
            n += 1
            method = rng.choice(required or ["VT", "UT"]) if rng.random() < 0.8 else rng.choice(["MT", "PT"])
            when = at(rng.randint(1, 9), rng.choice([0, 10, 23]))
            failed = rng.random() < 0.4
            made = InspectionFactory(
                inspection_id=f"QC-R{n}",
                work_order=order,
                weld=weld,
                method=method,
                result="fail" if failed else "pass",
                defect_type="porosity" if failed else None,
                inspected_at=when,
            )
            tests.append(WeldTest(method, not failed, when, made.pk))
        expected[weld.pk] = weld_status(required, entries, tests)
    got = dict(with_weld_status(Weld.objects.filter(order=order)).values_list("pk", "weld_status"))
    assert got == expected
    assert set(expected.values()) == set(WELD_STATUSES)  # every status was reached
