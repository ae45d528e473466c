"""The recall scope of a consumable lot (WELDING.md §4): `GET consumable-lots/{id}/welds/` and
its file, `GET consumable-lots/{id}/welds/export/?format=xlsx|csv`."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from tests.contract import assert_error
from tests.factories import (
    ConsumableLotFactory,
    EmployeeFactory,
    InspectionFactory,
    WeldActivityFactory,
    WeldFactory,
    WorkOrderFactory,
)

LOTS = "/api/v1/consumable-lots/"
HEADERS = [
    "WeldID",
    "OrderID",
    "Client",
    "OrderStatus",
    "WPSID",
    "WeldStatus",
    "FirstWeldedOn",
    "LastWeldedOn",
    "Welders",
    "Entries",
]
FIELDS = [
    "weld_id",
    "order_id",
    "client",
    "order_status",
    "wps",
    "status",
    "first_welded_on",
    "last_welded_on",
    "welders",
    "entries",
]


def welds_url(lot) -> str:
    return f"{LOTS}{lot.pk}/welds/"


def export_url(lot) -> str:
    return f"{LOTS}{lot.pk}/welds/export/"


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def scope(db):
    """Lot L1 used on three welds of two work orders (two clients), lot L2 on one of them and
    on a weld of its own, and a lot nobody used."""
    emp1, emp2, emp3 = (EmployeeFactory(employee_id=f"EMP-{n}") for n in (1, 2, 3))
    wo_a = WorkOrderFactory(order_id="WO-2001", client="Acme Steel", status="in_progress")
    wo_b = WorkOrderFactory(order_id="WO-2002", client="Borealis Pipe", status="completed")
    l1, l2, unused = (ConsumableLotFactory(lot_id=name) for name in ("L1", "L2", "L-UNUSED"))

    a1 = WeldFactory(weld_id="A1", order=wo_a, ndt_required=["VT", "RT"])
    a2 = WeldFactory(weld_id="A2", order=wo_a, wps=None, ndt_required=["RT"])
    b1 = WeldFactory(weld_id="B1", order=wo_b, ndt_required=["VT"])
    other = WeldFactory(weld_id="B2", order=wo_b)
    WeldFactory(weld_id="A3", order=wo_a)  # planned, no entries: never in a recall

    def entry(weld, welder, lot, day, layer="complete"):
        return WeldActivityFactory(weld=weld, welder=welder, consumable_lot=lot, welded_on=day, layer=layer)

    # A1: root by EMP-2, cap by EMP-1 with L1; a fill with L2 (in both recalls); VT and RT passed.
    entry(a1, emp2, l1, dt.date(2025, 6, 2), "root")
    entry(a1, emp1, l1, dt.date(2025, 6, 5), "cap")
    entry(a1, emp3, l2, dt.date(2025, 6, 3), "fill")
    InspectionFactory(work_order=wo_a, weld=a1, method="VT")
    InspectionFactory(work_order=wo_a, weld=a1, method="RT")
    # A2: EMP-3 with L1; its RT failed: rejected.
    entry(a2, emp3, l1, dt.date(2025, 6, 4))
    InspectionFactory(work_order=wo_a, weld=a2, method="RT", failed=True)
    # B1: EMP-1 with L1, not inspected yet: welded.
    entry(b1, emp1, l1, dt.date(2025, 5, 30))
    # B2: only L2 and an entry without a lot.
    entry(other, emp2, l2, dt.date(2025, 6, 1))
    entry(other, emp2, None, dt.date(2025, 6, 2))
    return {"l1": l1, "l2": l2, "unused": unused, "a1": a1}


L1_ROWS = [
    {
        "weld_id": "A1",
        "order_id": "WO-2001",
        "client": "Acme Steel",
        "order_status": "in_progress",
        "status": "accepted",
        "first_welded_on": "2025-06-02",
        "last_welded_on": "2025-06-05",
        "welders": ["EMP-1", "EMP-2"],
        "entries": 2,
    },
    {
        "weld_id": "A2",
        "order_id": "WO-2001",
        "client": "Acme Steel",
        "order_status": "in_progress",
        "wps": None,
        "status": "rejected",
        "first_welded_on": "2025-06-04",
        "last_welded_on": "2025-06-04",
        "welders": ["EMP-3"],
        "entries": 1,
    },
    {
        "weld_id": "B1",
        "order_id": "WO-2002",
        "client": "Borealis Pipe",
        "order_status": "completed",
        "status": "welded",
        "first_welded_on": "2025-05-30",
        "last_welded_on": "2025-05-30",
        "welders": ["EMP-1"],
        "entries": 1,
    },
]


def without_wps(rows):
    return [{k: v for k, v in row.items() if k != "wps" or v is None} for row in rows]


def test_the_recall_lists_every_weld_that_used_the_lot(api, scope):
    response = api.get(welds_url(scope["l1"]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"items", "total", "page", "page_size", "pages", "lot"}
    assert (body["total"], body["page"], body["pages"]) == (3, 1, 1)
    items = body["items"]
    assert [list(row) for row in items] == [FIELDS] * 3
    assert items[0]["wps"] == scope["a1"].wps.wps_id
    assert [{k: v for k, v in row.items() if k != "wps" or v is None} for row in items] == L1_ROWS
    assert body["lot"] == {
        "lot_id": "L1",
        "item": scope["l1"].item.item_id,
        "designation": scope["l1"].designation,
        "heat_number": scope["l1"].heat_number,
        "welds": 3,
        "work_orders": 2,
        "clients": 2,
    }


def test_a_weld_with_entries_of_two_lots_is_in_both_recalls_with_that_lots_entries_only(api, scope):
    body = api.get(welds_url(scope["l2"])).json()
    assert [(r["weld_id"], r["welders"], r["entries"], r["first_welded_on"]) for r in body["items"]] == [
        ("A1", ["EMP-3"], 1, "2025-06-03"),
        ("B2", ["EMP-2"], 1, "2025-06-01"),
    ]
    assert body["lot"]["welds"] == 2
    assert (body["lot"]["work_orders"], body["lot"]["clients"]) == (2, 2)


def test_an_unused_lot_has_an_empty_recall(api, scope):
    body = api.get(welds_url(scope["unused"])).json()
    assert body["items"] == [] and body["total"] == 0 and body["pages"] == 0
    assert (body["lot"]["welds"], body["lot"]["work_orders"], body["lot"]["clients"]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("query", "welds"),
    [
        ({"status": "rejected"}, ["A2"]),
        ({"status": "accepted,welded"}, ["A1", "B1"]),
        ({"order_id": "wo-2002"}, ["B1"]),
        ({"client": "acme steel"}, ["A1", "A2"]),
        ({"welder": "EMP-1"}, ["A1", "B1"]),
        ({"welder": "EMP-3"}, ["A2"]),  # EMP-3's A1 entry used L2, not L1
        ({"client": "Acme Steel", "status": "rejected"}, ["A2"]),
        ({"status": "planned"}, []),
    ],
)
def test_filters(api, scope, query, welds):
    body = api.get(welds_url(scope["l1"]), query).json()
    assert [row["weld_id"] for row in body["items"]] == welds
    assert body["total"] == len(welds)
    assert body["lot"]["welds"] == 3  # the summary is the whole scope


def test_pages(api, scope):
    body = api.get(welds_url(scope["l1"]), {"page_size": 2, "page": 2}).json()
    assert [row["weld_id"] for row in body["items"]] == ["B1"]
    assert (body["total"], body["page"], body["page_size"], body["pages"]) == (3, 2, 2, 2)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "broken"}, "status"),
        ({"sort_by": "weld_id"}, "sort_by"),
        ({"colour": "red"}, "colour"),
        ({"page_size": 0}, "page_size"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_bad_parameters_are_422(api, scope, query, field):
    body = assert_error(api.get(welds_url(scope["l1"]), query), 422, "VALIDATION_ERROR")
    assert field in body["errors"]


def test_unknown_lot_is_404(api, db):
    assert_error(api.get(f"{LOTS}999999/welds/"), 404, "NOT_FOUND")
    assert_error(api.get(f"{LOTS}999999/welds/export/"), 404, "NOT_FOUND")


def test_anonymous_is_401(anon, scope):
    assert_error(anon.get(welds_url(scope["l1"])), 401, "UNAUTHORIZED")
    assert_error(anon.get(export_url(scope["l1"])), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("role", ["viewer", "operator", "manager"])
def test_every_role_reads_and_exports_the_recall(client_for, scope, role):
    client = client_for(role)
    assert client.get(welds_url(scope["l1"])).status_code == 200
    assert client.get(export_url(scope["l1"])).status_code == 200


def test_a_user_without_a_role_is_403(client_for, scope):
    client = client_for("")
    assert_error(client.get(welds_url(scope["l1"])), 403, "FORBIDDEN")
    assert_error(client.get(export_url(scope["l1"])), 403, "FORBIDDEN")


def xlsx_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.values]
    width = len(rows[0])
    return [row + [None] * (width - len(row)) for row in rows]  # read-only mode drops trailing blanks


def json_as_cells(row: dict) -> list:
    """A JSON row as the file holds it: days as dates, the welders as one comma list."""
    cells = []
    for name in FIELDS:
        value = row[name]
        if name.endswith("welded_on"):
            value = dt.datetime.fromisoformat(value)  # openpyxl reads a date cell as a datetime
        elif name == "welders":
            value = ", ".join(value)
        cells.append(value)
    return cells


def test_the_xlsx_holds_the_json_rows(api, scope):
    rows = api.get(welds_url(scope["l1"])).json()["items"]
    response = api.get(export_url(scope["l1"]), {"format": "xlsx", "status": "accepted,rejected,welded"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="recall-L1-') and disposition.endswith('.xlsx"')
    assert response["Cache-Control"] == "no-store"
    cells = xlsx_rows(body_of(response))
    assert cells[0] == HEADERS
    assert cells[1:] == [json_as_cells(row) for row in rows]


def test_the_xlsx_is_the_default_and_filters_apply(api, scope):
    response = api.get(export_url(scope["l1"]), {"client": "Borealis Pipe"})
    cells = xlsx_rows(body_of(response))
    assert [row[0] for row in cells] == ["WeldID", "B1"]


def test_the_csv_holds_the_same_rows(api, scope):
    rows = api.get(welds_url(scope["l1"])).json()["items"]
    response = api.get(export_url(scope["l1"]), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = body_of(response).decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text)))
    assert read[0] == HEADERS
    expected = [
        ["" if row[f] is None else ", ".join(row[f]) if f == "welders" else str(row[f]) for f in FIELDS]
        for row in rows
    ]
    assert read[1:] == expected


def test_an_unused_lot_exports_the_header_only(api, scope):
    cells = xlsx_rows(body_of(api.get(export_url(scope["unused"]))))
    assert cells == [HEADERS]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"format": "pdf"}, "format"), ({"page": 1}, "page"), ({"status": "nope"}, "status"), ({"x": 1}, "x")],
)
def test_bad_export_parameters_are_422(api, scope, query, field):
    body = assert_error(api.get(export_url(scope["l1"]), query), 422, "VALIDATION_ERROR")
    assert field in body["errors"]


def test_a_lot_id_unsafe_in_a_file_name(api, db):
    lot = ConsumableLotFactory(lot_id='A/B "C"')
    disposition = api.get(export_url(lot))["Content-Disposition"]
    assert 'filename="recall-A_B_C_-' in disposition


def grow(lot, welds: int, start: int) -> None:
    """`welds` more welds on new work orders (new clients), each with two entries using
    `lot` by two welders, an RT inspection, and an entry of another lot."""
    other = ConsumableLotFactory()
    for n in range(start, start + welds):
        order = WorkOrderFactory(order_id=f"WO-G{n}", client=f"Client G{n}")
        weld = WeldFactory(weld_id=f"G{n}", order=order)
        for welder in (EmployeeFactory(), EmployeeFactory()):
            WeldActivityFactory(weld=weld, welder=welder, consumable_lot=lot)
        WeldActivityFactory(weld=weld, consumable_lot=other)
        InspectionFactory(work_order=order, weld=weld, method="RT", failed=n % 2 == 0)


@pytest.mark.parametrize("export", [False, True])
def test_a_constant_number_of_queries_whatever_the_size(api, db, django_assert_max_num_queries, export):
    lot = ConsumableLotFactory()
    url = export_url(lot) if export else welds_url(lot)
    query = {"status": "rejected,accepted,welded", "welder": ""} if not export else {}
    bound = 6  # auth user (+ role), the lot, [summary, count,] the rows
    grow(lot, 2, 0)
    with django_assert_max_num_queries(bound):
        small = api.get(url, query)
    grow(lot, 25, 2)
    with django_assert_max_num_queries(bound):
        large = api.get(url, query)
    assert small.status_code == large.status_code == 200
    if export:
        assert len(xlsx_rows(body_of(large))) == 28
    else:
        assert large.json()["total"] == 27 and len(large.json()["items"]) == 27


def test_read_ahead_gives_every_row_in_order_and_hands_errors_over(db):
    from django.db import connection

    from inventory.recall import read_ahead

    assert list(read_ahead(iter(range(10)), chunk_size=3)) == list(range(10))
    assert list(read_ahead(iter([]), chunk_size=3)) == []

    def broken():
        yield 1
        raise ValueError("lost the database")

    with pytest.raises(ValueError, match="lost the database"):
        list(read_ahead(broken(), chunk_size=1))
    assert not connection.allow_thread_sharing  # given back


def test_read_ahead_stops_when_the_caller_stops(db):
    from django.db import connection

    from inventory.recall import read_ahead

    rows = read_ahead(iter(range(100_000)), chunk_size=10)
    assert next(rows) == 0
    rows.close()  # the writer failed: the reader ends too
    assert not connection.allow_thread_sharing


def test_read_ahead_reads_through_the_callers_transaction(db):
    """The reader thread sees rows this transaction wrote and has not committed."""
    from inventory.recall import read_ahead
    from workorders.models import WorkOrder

    WorkOrderFactory(order_id="WO-UNCOMMITTED")
    rows = WorkOrder.objects.values_list("order_id", flat=True).iterator(chunk_size=2)
    assert "WO-UNCOMMITTED" in list(read_ahead(rows, chunk_size=2))
