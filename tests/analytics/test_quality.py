import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inspections.models import DefectType, Inspection, InspectionMethod
from tests.analytics import expected
from tests.analytics.conftest import BASE, as_json_numbers
from tests.contract import assert_error
from tests.factories import EmployeeFactory, InspectionFactory, WorkOrderFactory

URL = f"{BASE}quality"
TODAY = dt.datetime(2026, 12, 6, 12, 0, 0)
START, END = dt.date(2026, 7, 15), dt.date(2026, 12, 6)


def answer(api, **params):
    response = api.get(URL, params)
    assert response.status_code == 200, response.json()
    return as_json_numbers(response.json())


def inspect(at: dt.datetime, **kwargs) -> Inspection:
    return InspectionFactory(inspected_at=timezone.make_aware(at), **kwargs)


@pytest.mark.parametrize("interval", ["day", "week", "month"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_figures_match_an_independent_computation(api, inspection_history, freeze, interval, zone):
    with override_settings(TIME_ZONE=zone), timezone.override(zone):
        freeze(timezone.make_aware(TODAY))
        data = answer(api, **{"from": START, "to": END, "interval": interval})
        want = expected.quality(START, END, interval)
        assert data["buckets"] == want["buckets"]
        assert data["totals"] == want["totals"]
        assert data["pareto"] == want["pareto"]
        assert data["totals"]["inspections"] > 100 and data["totals"]["fails"] > 20  # the data says something
        assert (data["from"], data["to"], data["interval"], data["group_by"]) == (
            str(START),
            str(END),
            interval,
            None,
        )
        assert "groups" not in data


@pytest.mark.parametrize("group_by", ["method", "inspector", "welder", "client", "defect_type"])
@pytest.mark.parametrize(("zone", "interval"), [("UTC", "month"), ("Europe/Berlin", "week")])
def test_every_group_by_matches_an_independent_computation(
    api, inspection_history, freeze, group_by, zone, interval
):
    with override_settings(TIME_ZONE=zone), timezone.override(zone):
        freeze(timezone.make_aware(TODAY))
        data = answer(api, **{"from": START, "to": END, "interval": interval, "group_by": group_by})
        want = expected.quality(START, END, interval, group_by=group_by)
        assert data["group_by"] == group_by
        assert [g["key"] for g in data["groups"]] == [g["key"] for g in want["groups"]]
        assert data["groups"] == want["groups"]
        # the whole series and the Pareto do not depend on the grouping
        assert data["totals"] == want["totals"] and data["pareto"] == want["pareto"]
        sizes = {
            "method": len(InspectionMethod.values),
            "defect_type": len(DefectType.values) + 1,  # and null: the passes
            "inspector": 20,  # 24 inspectors and none: the top 20
            "client": 20,  # 24 clients
            "welder": 9,  # 8 welders and none
        }
        assert len(data["groups"]) == sizes[group_by]
        totals = [g["totals"]["inspections"] for g in data["groups"]]
        assert totals == sorted(totals, reverse=True)
        if group_by in ("method", "defect_type", "welder"):  # every inspection is in one group
            assert sum(totals) == data["totals"]["inspections"]
        for group in data["groups"]:
            assert len(group["buckets"]) == len(data["buckets"])


def test_group_keys_are_stored_values_and_null_for_none(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    welder = EmployeeFactory(employee_id="EMP-7")
    theirs = WorkOrderFactory(client="Acme", assigned_welder=welder)
    nobodys = WorkOrderFactory(client="Zed", assigned_welder=None)
    at = dt.datetime(2026, 12, 1, 10, 0)
    inspect(at, work_order=theirs, inspector="", method="UT")
    inspect(at, work_order=nobodys, inspector="Kim", method="UT", failed=True)
    inspect(at, work_order=nobodys, inspector="Lee", method="RT", result="fail", defect_type="crack")

    def groups(group_by):
        data = answer(api, **{"from": "2026-12-01", "to": "2026-12-06", "group_by": group_by})
        return {g["key"]: g["totals"] for g in data["groups"]}, [g["key"] for g in data["groups"]]

    by_welder, order = groups("welder")
    assert order == [None, "EMP-7"]  # 2 before 1
    assert by_welder[None] == {"inspections": 2, "passes": 0, "fails": 2, "pass_rate": 0.0}
    assert by_welder["EMP-7"]["pass_rate"] == 1.0
    _, order = groups("inspector")
    assert order == ["Kim", "Lee", None]  # ties by key, null last
    _, order = groups("client")
    assert order == ["Zed", "Acme"]
    by_method, order = groups("method")
    assert order == ["UT", "RT", "MT", "PT", "VT"]  # every method, zeros by code
    assert by_method["VT"] == {"inspections": 0, "passes": 0, "fails": 0, "pass_rate": None}
    by_defect, order = groups("defect_type")
    assert order[:3] == ["crack", "porosity", None]
    assert by_defect[None] == {"inspections": 1, "passes": 1, "fails": 0, "pass_rate": 1.0}
    assert by_defect["crack"]["pass_rate"] == 0.0
    assert sorted(order[3:]) == sorted(set(DefectType.values) - {"crack", "porosity"})


def test_one_second_past_local_midnight_is_the_next_day(api, db, freeze):
    with override_settings(TIME_ZONE="Europe/Berlin"), timezone.override("Europe/Berlin"):
        freeze(timezone.make_aware(TODAY))
        inspect(dt.datetime(2026, 11, 10, 23, 59, 59))
        inspect(dt.datetime(2026, 11, 11, 0, 0, 1), failed=True)
        inspect(dt.datetime(2026, 11, 9, 0, 0, 0), failed=True)
        inspect(dt.datetime(2026, 11, 8, 23, 59, 59))  # before the range
        data = answer(api, **{"from": "2026-11-09", "to": "2026-11-11", "interval": "day"})
        assert [(b["start"], b["inspections"], b["passes"], b["fails"]) for b in data["buckets"]] == [
            ("2026-11-09", 1, 0, 1),
            ("2026-11-10", 1, 1, 0),
            ("2026-11-11", 1, 0, 1),
        ]
        assert data["totals"] == {"inspections": 3, "passes": 1, "fails": 2, "pass_rate": 0.3333}
        assert data["pareto"] == [
            {"defect_type": "porosity", "count": 2, "share": 1.0, "cumulative_share": 1.0}
        ]
    # in UTC (an hour behind) 23:59:59 and 00:00:01 are both on the 10th, midnight on the 8th
    data = answer(api, **{"from": "2026-11-09", "to": "2026-11-11", "interval": "day"})
    assert [b["inspections"] for b in data["buckets"]] == [0, 2, 0]


@pytest.mark.parametrize("interval", ["day", "week", "month"])
def test_an_empty_range_has_every_bucket_and_null_rates(api, db, freeze, interval):
    freeze(timezone.make_aware(TODAY))
    inspect(dt.datetime(2026, 12, 5, 9, 0), failed=True)  # outside the range asked
    data = answer(
        api, **{"from": "2026-10-15", "to": "2026-11-20", "interval": interval, "group_by": "method"}
    )
    want = expected.quality(dt.date(2026, 10, 15), dt.date(2026, 11, 20), interval, group_by="method")
    assert data["buckets"] == want["buckets"]
    assert len(data["buckets"]) == {"day": 37, "week": 6, "month": 2}[interval]
    assert all(b["inspections"] == 0 and b["pass_rate"] is None for b in data["buckets"])
    assert data["totals"] == {"inspections": 0, "passes": 0, "fails": 0, "pass_rate": None}
    assert data["pareto"] == []
    assert [g["key"] for g in data["groups"]] == sorted(InspectionMethod.values)
    assert data["groups"] == want["groups"]
    data = answer(api, **{"from": "2026-10-15", "to": "2026-11-20", "group_by": "inspector"})
    assert data["groups"] == []


def test_pareto_largest_first_ties_by_type_cumulative_from_counts(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    at = dt.datetime(2026, 12, 2, 8, 0)
    for defect, n in (("porosity", 3), ("crack", 3), ("undercut", 1)):
        for _ in range(n):
            inspect(at, result="fail", defect_type=defect)
    inspect(at)  # passes are not defects
    inspect(dt.datetime(2026, 11, 20, 8, 0), result="fail", defect_type="spatter")  # before the range
    data = answer(api, **{"from": "2026-12-01", "to": "2026-12-06"})
    assert data["pareto"] == [
        {"defect_type": "crack", "count": 3, "share": 0.4286, "cumulative_share": 0.4286},
        # 6/7, not 0.4286 + 0.4286
        {"defect_type": "porosity", "count": 3, "share": 0.4286, "cumulative_share": 0.8571},
        {"defect_type": "undercut", "count": 1, "share": 0.1429, "cumulative_share": 1.0},
    ]
    assert data["pareto"] == expected.quality(dt.date(2026, 12, 1), dt.date(2026, 12, 6), "week")["pareto"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "welders"}, "group_by"),
        ({"group_by": "employee"}, "group_by"),
        ({"group_by": "work_order"}, "group_by"),
        ({"interval": "quarter"}, "interval"),
        ({"sort_by": "pass_rate"}, "sort_by"),
        ({"from": "2026-12-06", "to": "2026-12-01"}, "from"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_parameters_are_422(api, db, params, field):
    response = api.get(URL, params)
    assert field in assert_error(response, 422, "VALIDATION_ERROR")["errors"]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_csv_and_xlsx_tables_neutralise_formulas(api, inspection_history, freeze):
    freeze(timezone.make_aware(TODAY))
    params = {"from": "2026-09-01", "to": "2026-12-06", "interval": "month", "group_by": "client"}
    data = answer(api, **params)
    assert "=cmd()" in [g["key"] for g in data["groups"]]
    expected_rows = [
        (
            "all",
            "",
            b["start"],
            b["end"],
            b["label"],
            b["inspections"],
            b["passes"],
            b["fails"],
            b["pass_rate"],
        )
        for b in data["buckets"]
    ] + [
        (
            "client",
            g["key"],
            b["start"],
            b["end"],
            b["label"],
            b["inspections"],
            b["passes"],
            b["fails"],
            b["pass_rate"],
        )
        for g in data["groups"]
        for b in g["buckets"]
    ]
    header = ["Series", "Key", "Start", "End", "Label", "inspections", "passes", "fails", "pass_rate"]

    response = api.get(URL, {**params, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="analytics-quality-2026-09-01-2026-12-06-'
    )
    rows = csv_rows(b"".join(response.streaming_content))
    assert rows[0] == header
    assert len(rows) == 1 + len(expected_rows)
    for got, want in zip(rows[1:], expected_rows, strict=True):
        key = "'=cmd()" if want[1] == "=cmd()" else want[1]  # the leading apostrophe
        assert got[:5] == [want[0], key, *want[2:5]]
        assert [float(v) if v else None for v in got[5:]] == list(want[5:])
    assert any(row[1] == "'=cmd()" for row in rows)

    response = api.get(URL, {**params, "format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = list(sheet.values)
    assert list(rows[0]) == header
    for got, want in zip(rows[1:], expected_rows, strict=True):
        assert got[0] == want[0] and (got[1] or "") == want[1]
        assert (got[2].date().isoformat(), got[3].date().isoformat(), got[4]) == want[2:5]
        assert list(got[5:]) == list(want[5:])
    cells = [c for row in sheet.iter_rows(min_col=2, max_col=2) for c in row if c.value == "=cmd()"]
    assert cells and {c.data_type for c in cells} == {"s"}  # text, not a formula


def _many_inspections(tag: str, count: int, people: int) -> None:
    """`count` inspections over the range of `people` welders, 2 x `people` clients and
    `people` + 3 inspectors."""
    welders = [EmployeeFactory(employee_id=f"EMP-{tag}{i:03d}") for i in range(people)]
    orders = [
        WorkOrderFactory(client=f"Client {tag}{i:03d}", assigned_welder=welders[i % people])
        for i in range(people * 2)
    ]
    start = timezone.make_aware(dt.datetime(2026, 7, 1, 0, 0, 7))
    Inspection.objects.bulk_create(
        Inspection(
            inspection_id=f"QC-{tag}{i:05d}",
            work_order=orders[i % len(orders)],
            inspector=f"Inspector {tag}{i % (people + 3):03d}",
            result="fail" if i % 4 == 0 else "pass",
            defect_type=DefectType.values[i % len(DefectType.values)] if i % 4 == 0 else None,
            method=InspectionMethod.values[i % len(InspectionMethod.values)],
            inspected_at=start + dt.timedelta(hours=i * 7 % 3700),
        )
        for i in range(count)
    )


@pytest.mark.parametrize("group_by", [None, "method", "inspector", "welder", "client", "defect_type"])
def test_constant_queries_whatever_the_rows(api, db, settings, django_assert_max_num_queries, group_by):
    settings.DASHBOARD_CACHE_SECONDS = 0
    params = {
        "from": "2026-07-01",
        "to": "2026-12-06",
        "interval": "day",
        **({"group_by": group_by} if group_by else {}),
    }
    _many_inspections("A", 10, 2)
    with CaptureQueriesContext(connection) as few:
        assert api.get(URL, params).status_code == 200
    _many_inspections("B", 3000, 40)
    # the user, the series, the top keys and their series (group_by inspector/welder/client), the Pareto
    with django_assert_max_num_queries(5), CaptureQueriesContext(connection) as many:
        data = answer(api, **params)
    assert len(many) == len(few)
    assert data["totals"]["inspections"] == 3010
    if group_by:
        assert data["groups"]


def test_any_role_reads_anonymous_does_not(client_for, anon, db):
    for role in ("admin", "manager", "operator", "viewer"):
        assert client_for(role).get(URL, {"group_by": "welder"}).status_code == 200
    assert anon.get(URL).status_code == 401
