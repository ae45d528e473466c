import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inspections.models import Inspection
from tests.analytics import expected
from tests.analytics.conftest import BASE, as_json_numbers, backdate
from tests.factories import EmployeeFactory, InspectionFactory, WorkOrderFactory
from workorders.models import WorkOrder

URL = f"{BASE}welders"
TODAY = dt.datetime(2026, 12, 6, 12, 0, 0)
START, END = dt.date(2026, 8, 1), dt.date(2026, 11, 15)
SORT_FIELDS = [
    "employee_id",
    "name",
    "role",
    "work_orders_completed",
    "completed_on_time",
    "on_time_rate",
    "inspections",
    "passes",
    "pass_rate",
    "first_inspected",
    "first_passed",
    "first_pass_yield",
]


def answer(api, **params):
    response = api.get(URL, params)
    assert response.status_code == 200, response.json()
    return as_json_numbers(response.json())


def aware(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize(("start", "end"), [(START, END), (dt.date(2026, 11, 20), dt.date(2026, 12, 6))])
def test_figures_match_an_independent_computation(api, inspection_history, freeze, zone, start, end):
    with override_settings(TIME_ZONE=zone), timezone.override(zone):
        freeze(timezone.make_aware(TODAY))
        data = answer(api, **{"from": start, "to": end})
        want = expected.welders(start, end)
        assert data["items"] == want  # every employee, by employee_id
        assert data["count"] == len(want) == 9
        assert (data["from"], data["to"]) == (str(start), str(end))
        assert set(data) == {"from", "to", "count", "items"}  # no buckets
        idle = data["items"][-1]
        assert idle["employee_id"] == "EMP-99" and idle["inspections"] == idle["work_orders_completed"] == 0
        assert idle["on_time_rate"] is idle["pass_rate"] is idle["first_pass_yield"] is None
        busy = [i for i in data["items"] if i["first_inspected"]]
        assert busy and any(i["first_passed"] < i["first_inspected"] for i in busy)


def test_interval_is_accepted_but_changes_nothing(api, inspection_history, freeze):
    freeze(timezone.make_aware(TODAY))
    answers = [answer(api, **{"from": START, "to": END, "interval": i}) for i in ("day", "week", "month")]
    assert answers[0] == answers[1] == answers[2]


def test_first_pass_yield_on_time_and_the_local_day(api, db, freeze):
    with override_settings(TIME_ZONE="Europe/Berlin"), timezone.override("Europe/Berlin"):
        freeze(timezone.make_aware(TODAY))
        jo = EmployeeFactory(employee_id="EMP-01", name="Jo")
        other = EmployeeFactory(employee_id="EMP-02", name="Other")
        start, end = dt.date(2026, 11, 2), dt.date(2026, 11, 8)

        def order(welder=jo, **kwargs) -> WorkOrder:
            return WorkOrderFactory(assigned_welder=welder, **kwargs)

        # first inspected before the range (failed), then passed in it: an inspection, no first
        earlier = order()
        InspectionFactory(work_order=earlier, inspected_at=aware(2026, 11, 1, 23, 59, 59), failed=True)
        InspectionFactory(work_order=earlier, inspected_at=aware(2026, 11, 3, 9, 0))
        # two at the same moment: the first by id failed
        tied = order()
        same = aware(2026, 11, 4, 10, 0)
        InspectionFactory(work_order=tied, inspected_at=same, failed=True)
        InspectionFactory(work_order=tied, inspected_at=same)
        # first passed at the range's first local moment; a later fail after the range
        passed = order()
        InspectionFactory(work_order=passed, inspected_at=aware(2026, 11, 2, 0, 0, 0))
        InspectionFactory(work_order=passed, inspected_at=aware(2026, 11, 20, 9, 0), failed=True)
        # first inspected one second past the range's last local midnight: neither
        InspectionFactory(work_order=order(), inspected_at=aware(2026, 11, 9, 0, 0, 1))
        # someone else's and nobody's work orders
        InspectionFactory(work_order=order(other), inspected_at=aware(2026, 11, 5, 9, 0), failed=True)
        InspectionFactory(work_order=order(None), inspected_at=aware(2026, 11, 5, 9, 0))
        # completed: on time at 23:59:59 of the due date, late one second past midnight,
        # without a due date (never on time), completed after the range (not counted)
        due = dt.date(2026, 11, 5)
        for completed_at, due_date in (
            (aware(2026, 11, 5, 23, 59, 59), due),
            (aware(2026, 11, 6, 0, 0, 1), due),
            (aware(2026, 11, 6, 12, 0), None),
            (aware(2026, 11, 9, 0, 0, 1), dt.date(2026, 12, 1)),
        ):
            backdate(
                order(status="completed", due_date=due_date),
                created_at=aware(2026, 10, 1, 8, 0),
                completed_at=completed_at,
            )

        data = answer(api, **{"from": start, "to": end, "interval": "day"})
        first = data["items"][0]
        assert first == {
            "employee_id": "EMP-01",
            "name": "Jo",
            "role": "Welder",
            "work_orders_completed": 3,
            "completed_on_time": 1,
            "on_time_rate": 0.3333,
            "inspections": 4,  # earlier's second, tied's two, passed's first
            "passes": 3,
            "pass_rate": 0.75,
            "first_inspected": 2,  # tied, passed
            "first_passed": 1,
            "first_pass_yield": 0.5,
        }
        assert data["items"][1]["first_inspected"] == 1 and data["items"][1]["first_pass_yield"] == 0.0
        assert data["items"] == expected.welders(start, end)


def python_sorted(items: list[dict], keys: list[tuple[str, bool]]) -> list[str]:
    """employee_ids in the order the keys give, by definition: compare two items key by key,
    a null after any value, names without case, ties by employee_id."""
    import functools  # noqa: PLC0415

    def compare(a, b) -> int:
        for name, descending in keys:
            x, y = a[name], b[name]
            if x is None and y is None:
                continue
            if x is None or y is None:
                return 1 if x is None else -1
            if isinstance(x, str) and name != "employee_id":
                x, y = x.lower(), y.lower()
            if x != y:
                return (1 if x > y else -1) * (-1 if descending else 1)
        return (a["employee_id"] > b["employee_id"]) - (a["employee_id"] < b["employee_id"])

    return [i["employee_id"] for i in sorted(items, key=functools.cmp_to_key(compare))]


@pytest.mark.parametrize("field", SORT_FIELDS)
def test_sort_by_any_field_nulls_last_ties_by_employee_id(api, inspection_history, freeze, field):
    freeze(timezone.make_aware(TODAY))
    want = expected.welders(START, END)
    for order in ("asc", "desc"):
        data = answer(api, **{"from": START, "to": END, "sort_by": field, "order": order})
        got = [i["employee_id"] for i in data["items"]]
        assert got == python_sorted(want, [(field, order == "desc")]), order
        values = [i[field] for i in data["items"]]
        if None in values:  # the idle employee's rates: last either way
            assert values[-1] is None
    # the same through `ordering`
    data = answer(api, **{"from": START, "to": END, "ordering": f"-{field}"})
    assert [i["employee_id"] for i in data["items"]] == python_sorted(want, [(field, True)])


def test_ordering_by_several_fields_and_defaults(api, inspection_history, freeze):
    freeze(timezone.make_aware(TODAY))
    want = expected.welders(START, END)
    data = answer(api, **{"from": START, "to": END, "ordering": "role,-first_pass_yield, name"})
    keys = [("role", False), ("first_pass_yield", True), ("name", False)]
    assert [i["employee_id"] for i in data["items"]] == python_sorted(want, keys)
    assert data["items"][0]["role"] == "Apprentice"
    # order alone: by employee_id that way; name sorts without regard to case
    data = answer(api, **{"from": START, "to": END, "order": "DESC"})
    assert [i["employee_id"] for i in data["items"]] == sorted((i["employee_id"] for i in want), reverse=True)
    data = answer(api, **{"from": START, "to": END, "sort_by": "name"})
    assert [i["name"] for i in data["items"]][:4] == ["alice Archer", "Bob Brown", "carl Cole", "Dana Dunn"]


def test_ties_and_nulls_with_a_few_employees(api, db, freeze):
    freeze(timezone.make_aware(TODAY))
    for employee_id in ("EMP-3", "EMP-1", "EMP-2"):
        EmployeeFactory(employee_id=employee_id, name="Same")
    welder = EmployeeFactory(employee_id="EMP-0", name="Zed")
    InspectionFactory(
        work_order=WorkOrderFactory(assigned_welder=welder), inspected_at=aware(2026, 12, 1, 9, 0)
    )
    for order in ("asc", "desc"):
        data = answer(
            api, **{"from": "2026-12-01", "to": "2026-12-06", "sort_by": "pass_rate", "order": order}
        )
        assert [i["employee_id"] for i in data["items"]] == ["EMP-0", "EMP-1", "EMP-2", "EMP-3"]
        data = answer(api, **{"from": "2026-12-01", "to": "2026-12-06", "sort_by": "name", "order": order})
        names = ["EMP-1", "EMP-2", "EMP-3"]
        assert [i["employee_id"] for i in data["items"]] == (
            names + ["EMP-0"] if order == "asc" else ["EMP-0"] + names
        )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort_by": "salary"}, "sort_by"),
        ({"sort_by": "Name"}, "sort_by"),
        ({"sort_by": "id"}, "sort_by"),
        ({"order": "up"}, "order"),
        ({"sort_by": "name", "order": "random"}, "order"),
        ({"ordering": "name,-salary"}, "ordering"),
        ({"ordering": "name", "sort_by": "role"}, "ordering"),
        ({"ordering": "name", "order": "desc"}, "ordering"),
        ({"sort_by": ["name", "role"]}, "sort_by"),
        ({"group_by": "method"}, "group_by"),
        ({"limit": "10"}, "limit"),
        ({"interval": "year"}, "interval"),
        ({"from": "2026-12-06", "to": "2026-12-01"}, "from"),
    ],
)
def test_bad_parameters_are_422(api, db, params, field):
    response = api.get(URL, params)
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["error_code"] == "VALIDATION_ERROR"
    assert field in body["errors"]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_csv_and_xlsx_tables_neutralise_formulas(api, inspection_history, freeze):
    freeze(timezone.make_aware(TODAY))
    EmployeeFactory(employee_id="@EMP", name="=cmd()", role="+Welder")
    params = {"from": START, "to": END, "sort_by": "name"}
    items = answer(api, **params)["items"]
    header = ["Employee ID", "Name", "Role", *SORT_FIELDS[3:]]

    response = api.get(URL, {**params, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="analytics-welders-2026-08-01-2026-11-15-'
    )
    rows = csv_rows(b"".join(response.streaming_content))
    assert rows[0] == header
    assert rows[1][:3] == ["'@EMP", "'=cmd()", "'+Welder"]  # "=" sorts first
    assert len(rows) == 1 + len(items)
    for got, item in zip(rows[1:], items, strict=True):
        assert got[0].removeprefix("'") == item["employee_id"]
        assert [float(v) if v else None for v in got[3:]] == [item[f] for f in SORT_FIELDS[3:]]

    response = api.get(URL, {**params, "format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = list(sheet.values)
    assert list(rows[0]) == header
    assert rows[1][:3] == ("@EMP", "=cmd()", "+Welder")
    assert {sheet.cell(row=2, column=c).data_type for c in (1, 2, 3)} == {"s"}  # text, not formulas
    for got, item in zip(rows[1:], items, strict=True):
        assert list(got[3:]) == [item[f] for f in SORT_FIELDS[3:]]


def _many(tag: str, people: int, orders: int, inspections: int) -> None:
    welders = [EmployeeFactory(employee_id=f"EMP-{tag}{i:04d}") for i in range(people)]
    now = aware(2026, 11, 1, 8, 0)
    made = WorkOrder.objects.bulk_create(
        WorkOrder(
            order_id=f"WO-{tag}{i:05d}",
            client="Acme",
            status="completed" if i % 2 else "in_progress",
            due_date=dt.date(2026, 11, 10),
            completed_at=now + dt.timedelta(hours=i % 500) if i % 2 else None,
            assigned_welder=welders[i % people],
        )
        for i in range(orders)
    )
    Inspection.objects.bulk_create(
        Inspection(
            inspection_id=f"QC-{tag}{i:05d}",
            work_order=made[i % orders],
            result="fail" if i % 3 == 0 else "pass",
            defect_type="crack" if i % 3 == 0 else None,
            inspected_at=now + dt.timedelta(hours=i % 700),
        )
        for i in range(inspections)
    )


def test_constant_queries_whatever_the_rows(api, db, settings, django_assert_max_num_queries):
    settings.DASHBOARD_CACHE_SECONDS = 0
    params = {"from": "2026-10-01", "to": "2026-12-06", "sort_by": "first_pass_yield", "order": "desc"}
    _many("A", 2, 3, 5)
    with CaptureQueriesContext(connection) as few:
        assert api.get(URL, params).status_code == 200
    _many("B", 300, 1500, 4000)
    # the user, the employees, completed orders, inspections, first inspections
    with django_assert_max_num_queries(5), CaptureQueriesContext(connection) as many:
        data = answer(api, **params)
    assert len(many) == len(few)
    assert data["count"] == 302
    assert sum(i["first_inspected"] for i in data["items"]) == 1503


def test_any_role_reads_anonymous_does_not(client_for, anon, db):
    for role in ("admin", "manager", "operator", "viewer"):
        assert client_for(role).get(URL, {"sort_by": "pass_rate"}).status_code == 200
    assert anon.get(URL).status_code == 401
