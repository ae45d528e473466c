"""History in Excel files (SPEC §6): a work order's `CompletedAt` (exported and imported, by
the rule of tests/workorders/test_completed_at.py), and `CreatedAt` — import only, any
resource, for the records a file creates, managers and admins only."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Item
from tests.contract import assert_error
from tests.factories import EmployeeFactory, ItemFactory, WorkOrderFactory
from tests.imports import workbooks as wb
from tests.imports.test_export import csv_rows, csv_saved_as_xlsx, export_ok, snapshot, xlsx_rows
from tests.imports.test_reader import stored_files
from workorders.models import WorkOrder
from workshop.imports.models import ExcelImport

DEMO = Path(django_settings.BASE_DIR) / "workshop" / "demo"
PAST = dt.datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATELIMIT_ENABLE = False


def post(client, resource: str, data: bytes, dry_run: bool = False):
    body = {"file": wb.upload(data)}
    if dry_run:
        body["dry_run"] = "true"
    return client.post(f"/api/v1/{resource}/import/", body, format="multipart")


def created(response) -> dict:
    assert response.status_code == 201, response.content[:2000]
    return response.json()


def refused(response) -> list[dict]:
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert body["detail"].endswith("nothing was imported.")
    return body["errors"]


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.mark.django_db
class TestCompletedAt:
    def test_the_shops_file_completes_its_completed_orders_at_import_time(self, api):
        for resource, name in [("employees", "03_Personnel.xlsx"), ("workorders", "01_WorkOrders.xlsx")]:
            before = timezone.now()
            created(post(api, resource, (DEMO / name).read_bytes()))
        times = dict(WorkOrder.objects.values_list("order_id", "completed_at"))
        assert {k for k, v in times.items() if v is not None} == {"WO-1001", "WO-1004"}  # "Completed"
        assert all(before <= times[k] <= timezone.now() for k in ("WO-1001", "WO-1004"))
        # Imported again: nothing changes (no new time for orders that stay completed).
        assert (
            created(post(api, "workorders", (DEMO / "01_WorkOrders.xlsx").read_bytes()))["rows_updated"] == 0
        )
        assert dict(WorkOrder.objects.values_list("order_id", "completed_at")) == times

    def test_a_manager_imports_completion_times(self, client_for, settings):
        settings.TIME_ZONE = "Europe/Berlin"
        rows = [
            ["OrderID", "Client", "Status", "Completed At"],
            ["WO-1", "A", "Completed", dt.datetime(2025, 3, 1, 8, 0)],  # a date-time cell: local time
            ["WO-2", "A", "completed", "2025-03-01T12:30:15.123456Z"],  # the export's text
            ["WO-3", "A", "completed", dt.date(2025, 3, 2)],  # a date: its local midnight
            ["WO-4", "A", "completed", None],  # empty: completed now
            ["WO-5", "A", "pending", None],
        ]
        before = timezone.now()
        assert created(post(client_for("manager"), "workorders", wb.xlsx(rows)))["rows_created"] == 5
        times = dict(WorkOrder.objects.values_list("order_id", "completed_at"))
        assert times["WO-1"] == local(2025, 3, 1, 8, 0)
        assert times["WO-2"] == PAST
        assert times["WO-3"] == local(2025, 3, 2)
        assert times["WO-4"] >= before
        assert times["WO-5"] is None

    def test_status_changes_by_import_set_and_clear_it(self, api):
        WorkOrderFactory(order_id="WO-1", client="A", status="in_progress")
        WorkOrderFactory(order_id="WO-2", client="A", status="completed", completed_at=PAST)
        rows = [["OrderID", "Client", "Status"], ["WO-1", "A", "Completed"], ["WO-2", "A", "On Hold"]]
        before = timezone.now()
        assert created(post(api, "workorders", wb.xlsx(rows)))["rows_updated"] == 2
        assert WorkOrder.objects.get(order_id="WO-1").completed_at >= before
        assert WorkOrder.objects.get(order_id="WO-2").completed_at is None

    def test_an_exported_completed_order_edited_to_in_progress_clears_it(self, api):
        """The export's CompletedAt left in the file while the status changes: the time as it
        stands is no choice of its own (as a whole record PUT back through the API)."""
        WorkOrderFactory(order_id="WO-1", client="A", status="completed", completed_at=PAST)
        rows = [list(row) for row in xlsx_rows(export_ok(api, "workorders"))]
        rows[1][3] = "In Progress"
        assert created(post(api, "workorders", wb.xlsx(rows)))["rows_updated"] == 1
        assert WorkOrder.objects.get().completed_at is None

    @pytest.mark.parametrize(
        ("status", "value", "message"),
        [
            ("completed", "2999-01-01T00:00:00Z", "Cannot be in the future."),
            ("pending", "2025-03-01T00:00:00Z", "Only a completed order has a completion time"),
            ("completed", "last Tuesday", "Datetime has wrong format"),
        ],
    )
    def test_bad_times_are_row_errors_and_nothing_is_written(self, api, status, value, message):
        rows = [
            ["OrderID", "Client", "Status", "CompletedAt"],
            ["WO-1", "A", "completed", None],
            ["WO-2", "A", status, value],
        ]
        errors = refused(post(api, "workorders", wb.xlsx(rows)))
        assert [(e["row"], e["column"]) for e in errors] == [(3, "CompletedAt")]
        assert errors[0]["message"].startswith(message)
        assert not WorkOrder.objects.exists() and not ExcelImport.objects.exists()

    def test_an_operator_may_not_set_it_but_may_send_it_back(self, client_for):
        operator = client_for("operator")
        me = EmployeeFactory(employee_id="EMP-9", user=operator.user)
        WorkOrderFactory(
            order_id="WO-1", client="A", status="completed", completed_at=PAST, assigned_welder=me
        )
        # Their export, imported back: the times are as they stand, fine.
        content = export_ok(operator, "workorders")
        result = created(
            operator.post("/api/v1/workorders/import/", {"file": wb.upload(content)}, format="multipart")
        )
        assert (result["rows_updated"], result["rows_created"]) == (0, 0)
        # A new time, on their own order or on a new one: refused, nothing written.
        rows = [
            ["OrderID", "Client", "Status", "CompletedAt"],
            ["WO-1", "A", "completed", "2025-02-01T00:00:00Z"],
            ["WO-2", "B", "completed", "2025-02-01T00:00:00Z"],
            ["WO-3", "C", "completed", None],  # the status alone: fine, completed now
        ]
        errors = refused(post(operator, "workorders", wb.xlsx(rows)))
        assert [(e["row"], e["column"]) for e in errors] == [(2, "CompletedAt"), (3, "CompletedAt")]
        assert all(e["message"].startswith("Your role may not set the completion time") for e in errors)
        assert list(WorkOrder.objects.values_list("order_id", "completed_at")) == [("WO-1", PAST)]

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_export_then_import_keeps_every_time(self, api, fmt, settings):
        settings.TIME_ZONE = "Europe/Berlin"
        WorkOrderFactory(order_id="WO-1", status="completed", completed_at=PAST)
        WorkOrderFactory(order_id="WO-2", status="completed", completed_at=PAST.replace(microsecond=0))
        WorkOrderFactory(order_id="WO-3", status="completed", completed_at=None)  # before the field existed
        WorkOrderFactory(order_id="WO-4", status="in_progress")
        before = snapshot(WorkOrder)
        content = export_ok(api, "workorders", fmt)
        if fmt == "csv":
            assert [row[-1] for row in csv_rows(content)] == [
                "CompletedAt",
                "2025-03-01T13:30:15.123456+01:00",
                "2025-03-01T13:30:15+01:00",
                "",
                "",
            ]
            content = csv_saved_as_xlsx(content)
        result = created(post(api, "workorders", content))
        assert (result["rows_total"], result["rows_created"], result["rows_updated"]) == (4, 0, 0)
        assert snapshot(WorkOrder) == before


@pytest.mark.django_db
class TestCreatedAt:
    def test_a_manager_loads_past_records(self, client_for, settings):
        settings.TIME_ZONE = "Europe/Berlin"
        manager = client_for("manager")
        rows = [
            ["OrderID", "Client", "Status", "DueDate", "CreatedAt", "CompletedAt"],
            [
                "WO-1",
                "A",
                "Completed",
                dt.date(2024, 1, 20),
                dt.date(2024, 1, 5),
                dt.datetime(2024, 1, 19, 16, 0),
            ],
            ["WO-2", "B", "Pending", None, "2024-02-01T09:15:00+01:00", None],
            ["WO-3", "C", "Pending", None, None, None],  # empty: created now
        ]
        before = timezone.now()
        assert created(post(manager, "workorders", wb.xlsx(rows)))["rows_created"] == 3
        orders = {o.order_id: o for o in WorkOrder.objects.all()}
        assert orders["WO-1"].created_at == local(2024, 1, 5)
        assert orders["WO-1"].completed_at == local(2024, 1, 19, 16, 0)
        assert orders["WO-2"].created_at == local(2024, 2, 1, 9, 15)
        assert orders["WO-3"].created_at >= before
        assert all(o.created_by == manager.user for o in orders.values())
        # The API shows it, and filters by it.
        body = manager.get("/api/v1/workorders/", {"created_to": "2024-12-31"}).json()
        assert [i["order_id"] for i in body["items"]] == ["WO-1", "WO-2"]
        assert body["items"][0]["created_at"] == "2024-01-05T00:00:00+01:00"

    def test_every_resource_takes_it(self, api):
        rows = [
            ["ItemID", "ItemName", "Quantity", "Created_At"],
            ["INV-1", "Rods", 5, "2024-06-01T00:00:00Z"],
        ]
        assert created(post(api, "items", wb.xlsx(rows)))["rows_created"] == 1
        assert Item.objects.get().created_at == dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
        rows = [["EmployeeID", "Name", "CreatedAt"], ["EMP-1", "Ann", "2024-06-02T00:00:00Z"]]
        created(post(api, "employees", wb.xlsx(rows)))
        from staff.models import Employee

        assert Employee.objects.get().created_at == dt.datetime(2024, 6, 2, tzinfo=dt.UTC)

    def test_the_command_takes_it(self, tmp_path):
        path = tmp_path / "orders.xlsx"
        path.write_bytes(wb.xlsx([["OrderID", "Client", "CreatedAt"], ["WO-1", "A", "2024-06-01T00:00:00Z"]]))
        call_command("import_excel", "workorders", str(path), stdout=io.StringIO())
        assert WorkOrder.objects.get().created_at == dt.datetime(2024, 6, 1, tzinfo=dt.UTC)

    def test_a_dry_run_writes_nothing(self, api):
        rows = [["OrderID", "Client", "CreatedAt"], ["WO-1", "A", "2024-06-01T00:00:00Z"]]
        assert created(post(api, "workorders", wb.xlsx(rows), dry_run=True))["rows_created"] == 1
        assert not WorkOrder.objects.exists()

    @pytest.mark.parametrize("cells", [["2024-06-01T00:00:00Z"], [None]])
    def test_an_operators_file_with_the_column_is_refused(self, client_for, cells):
        """Even with empty cells: the column says the file means to load history."""
        operator = client_for("operator")
        rows = [["OrderID", "Client", "Created At"], ["WO-1", "A", *cells]]
        response = post(operator, "workorders", wb.xlsx(rows))
        errors = refused(response)
        assert errors == [
            {
                "row": 1,
                "column": "Created At",
                "message": "Your role may not import CreatedAt (when records were created): only managers "
                "and admins load past records. Remove the column.",
            }
        ]
        assert not WorkOrder.objects.exists() and not ExcelImport.objects.exists()
        assert stored_files(django_settings) == []

    def test_on_a_record_that_exists_it_must_be_its_own(self, api):
        """An import never changes when a record was created: the same time (a history file
        loaded again) or an empty cell is fine, another one is a row error."""
        rows = [["OrderID", "Client", "CreatedAt"], ["WO-1", "A", "2024-06-01T00:00:00Z"]]
        created(post(api, "workorders", wb.xlsx(rows)))
        again = created(post(api, "workorders", wb.xlsx(rows)))
        assert (again["rows_created"], again["rows_updated"]) == (0, 0)
        rows = [["OrderID", "Client", "CreatedAt"], ["WO-1", "B", None]]
        assert created(post(api, "workorders", wb.xlsx(rows)))["rows_updated"] == 1
        rows = [["OrderID", "Client", "CreatedAt"], ["WO-1", "C", "2024-07-01T00:00:00Z"]]
        errors = refused(post(api, "workorders", wb.xlsx(rows)))
        assert [(e["row"], e["column"]) for e in errors] == [(2, "CreatedAt")]
        assert errors[0]["message"].startswith("WO-1 exists, created at 2024-06-01T00:00:00+00:00: an import")
        order = WorkOrder.objects.get()
        assert (order.client, order.created_at) == ("B", dt.datetime(2024, 6, 1, tzinfo=dt.UTC))

    def test_a_future_creation_time_is_a_row_error(self, api):
        rows = [["OrderID", "Client", "CreatedAt"], ["WO-1", "A", "2999-01-01T00:00:00Z"]]
        errors = refused(post(api, "workorders", wb.xlsx(rows)))
        assert errors == [{"row": 2, "column": "CreatedAt", "message": "Cannot be in the future."}]
        assert not WorkOrder.objects.exists()

    def test_exports_do_not_write_it(self, api):
        ItemFactory()
        assert "CreatedAt" not in xlsx_rows(export_ok(api, "items"))[0]

    def test_no_query_per_row(self, api):
        queries = {}
        for count in (5, 50):  # (SQLite splits bigger INSERTs by its parameter limit)
            WorkOrder.objects.all().delete()
            rows = [["OrderID", "Client", "Status", "CreatedAt", "CompletedAt"]] + [
                [f"WO-{n}", "A", "completed", "2024-06-01T00:00:00Z", "2024-06-02T00:00:00Z"]
                for n in range(count)
            ]
            with CaptureQueriesContext(connection) as captured:
                assert created(post(api, "workorders", wb.xlsx(rows)))["rows_created"] == count
            # The history versions are one INSERT per batch (SQLite: its parameter limit).
            queries[count] = len([q for q in captured if "_historical" not in q["sql"]])
            versions = [q for q in captured if q["sql"].startswith('INSERT INTO "workorders_historical')]
            assert len(versions) <= 1 + count * len(WorkOrder.history.model._meta.concrete_fields) // 999
        assert queries[50] <= queries[5]
        assert set(WorkOrder.objects.values_list("created_at", "completed_at")) == {
            (dt.datetime(2024, 6, 1, tzinfo=dt.UTC), dt.datetime(2024, 6, 2, tzinfo=dt.UTC))
        }
