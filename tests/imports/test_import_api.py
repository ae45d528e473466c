"""`POST /api/v1/<resource>/import/` over HTTP (SPEC §3 "Imports and exports"): the shop's
five files as they are, dry runs, all-or-nothing with every row error in Excel's numbering,
cell conversions, upserts, Idempotency-Key, what an operator's role allows, and a query
count that does not grow with the file. Roles per endpoint are in the contract
(tests/contract.py `test_role_may_call_extra_actions`); hostile files in test_reader.py."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from equipment.models import Equipment
from inspections.models import Inspection
from inventory.models import Item, StockMovement
from staff.models import Employee
from tests.contract import assert_error
from tests.factories import (
    EmployeeFactory,
    InspectionFactory,
    ItemFactory,
    UserFactory,
    WorkOrderFactory,
)
from tests.imports import workbooks as wb
from tests.imports.test_reader import stored_files
from workorders.models import WorkOrder
from workshop.imports.models import ExcelImport

DEMO = Path(django_settings.BASE_DIR) / "workshop" / "demo"
# The shop's files, in the order they load (each needs the ones before it).
SHOP_FILES = [
    ("employees", "03_Personnel.xlsx", Employee),
    ("equipment", "05_Equipment.xlsx", Equipment),
    ("items", "02_Inventory.xlsx", Item),
    ("workorders", "01_WorkOrders.xlsx", WorkOrder),
    ("inspections", "04_QC_Logs.xlsx", Inspection),
]
WO_HEADER = ["OrderID", "Client", "Description", "Status", "DueDate", "AssignedWelder"]


def url(resource: str) -> str:
    return f"/api/v1/{resource}/import/"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATELIMIT_ENABLE = False  # these tests send many files a minute


def post(
    client, resource: str, data: bytes, name: str = "upload.xlsx", dry_run: bool | None = None, key=None
):
    body = {"file": wb.upload(data, name)}
    if dry_run is not None:
        body["dry_run"] = "true" if dry_run else "false"
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url(resource), body, format="multipart", **headers)


def created(response) -> dict:
    assert response.status_code == 201, response.content[:2000]
    return response.json()


def rejected(response, model) -> list[dict]:
    """A 422 with row errors, and nothing written: no record, no ExcelImport, no stored file."""
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert not model.objects.exists()
    assert not ExcelImport.objects.exists()
    assert stored_files(django_settings) == []
    assert isinstance(body["errors"], list)
    assert all(set(e) == {"row", "column", "message"} for e in body["errors"]), body["errors"]
    assert body["detail"] == f"{len(body['errors'])} problem(s) in the file; nothing was imported."
    return body["errors"]


def import_shop_files(client) -> dict[str, dict]:
    return {
        resource: created(post(client, resource, (DEMO / name).read_bytes(), name=name))
        for resource, name, _model in SHOP_FILES
    }


# ============================================================================ the shop's files
@pytest.mark.django_db
class TestShopFiles:
    def test_the_five_files_import_as_they_are(self, api, admin_user):
        bodies = import_shop_files(api)
        counts = {
            resource: (b["rows_total"], b["rows_created"], b["rows_updated"])
            for resource, b in bodies.items()
        }
        assert counts == {
            "employees": (3, 3, 0),
            "equipment": (3, 3, 0),
            "items": (4, 4, 0),
            "workorders": (5, 5, 0),
            "inspections": (5, 5, 0),
        }
        body = bodies["workorders"]
        assert (body["resource"], body["filename"], body["status"], body["dry_run"]) == (
            "workorders",
            "01_WorkOrders.xlsx",
            "succeeded",
            False,
        )
        assert body["file"].endswith(f"/api/v1/imports/{body['id']}/file")
        assert body["created_by"] == admin_user.pk
        assert ExcelImport.objects.count() == 5
        assert len(stored_files(django_settings)) == 5

        john = Employee.objects.get(employee_id="EMP-01")
        assert (john.name, john.role, john.certification_expiry) == (
            "John Doe",
            "Senior Welder",
            dt.date(2025, 12, 31),
        )
        assert Employee.objects.get(employee_id="EMP-03").certification_expiry == dt.date(2024, 12, 31)

        eq = {e.equipment_id: e for e in Equipment.objects.all()}
        assert eq["EQ-01"].status == "operational"
        assert eq["EQ-02"].status == "maintenance"  # "Maintenance Required"
        assert eq["EQ-02"].last_service_date == dt.date(2023, 11, 20)
        assert eq["EQ-02"].service_interval_days is None and eq["EQ-02"].next_service_due is None

        items = {i.item_id: (i.item_name, i.quantity, i.unit, i.reorder_level) for i in Item.objects.all()}
        assert items == {
            "INV-001": ("Welding Rods (Type A)", 50, "kg", 10),
            "INV-002": ("Argon Gas Cylinder", 5, "cylinders", 2),
            "INV-003": ("Safety Gloves", 20, "pairs", 5),
            "INV-004": ("Grinding Discs", 100, "units", 20),
        }
        # The ledger holds the imported stock as receipts, as the API would have written it.
        assert sorted(StockMovement.objects.values_list("item__item_id", "delta", "reason")) == [
            ("INV-001", 50, "receipt"),
            ("INV-002", 5, "receipt"),
            ("INV-003", 20, "receipt"),
            ("INV-004", 100, "receipt"),
        ]

        wo = WorkOrder.objects.select_related("assigned_welder").get(order_id="WO-1000")
        assert (wo.client, wo.description, wo.status, wo.due_date) == (
            "Client A",
            "Pipe Welding",
            "in_progress",
            dt.date(2025, 11, 25),
        )
        assert wo.assigned_welder.employee_id == "EMP-01"  # matched by the name "John Doe"
        welders = dict(WorkOrder.objects.values_list("order_id", "assigned_welder__employee_id"))
        assert welders == {
            "WO-1000": "EMP-01",
            "WO-1001": "EMP-02",
            "WO-1002": "EMP-03",
            "WO-1003": "EMP-01",
            "WO-1004": "EMP-02",
        }
        assert WorkOrder.objects.get(order_id="WO-1001").status == "completed"
        assert WorkOrder.objects.get(order_id="WO-1002").status == "pending"
        detail = api.get(f"/api/v1/workorders/{wo.pk}/").json()
        assert detail["assigned_welder"] == "EMP-01" and detail["assigned_welder_name"] == "John Doe"

        qc = {i.inspection_id: i for i in Inspection.objects.select_related("work_order")}
        assert (qc["QC-100"].result, qc["QC-100"].defect_type, qc["QC-100"].inspector) == (
            "pass",
            None,
            "Inspector X",
        )
        assert (qc["QC-102"].result, qc["QC-102"].defect_type) == ("fail", "porosity")
        assert qc["QC-102"].work_order.order_id == "WO-1002"
        assert all(i.created_by_id == admin_user.pk for i in qc.values())

    def test_importing_each_file_again_changes_nothing(self, api):
        import_shop_files(api)
        before = {
            model: dict(model.objects.values_list("pk", "updated_at"))
            for _resource, _name, model in SHOP_FILES
        }
        movements = StockMovement.objects.count()
        again = import_shop_files(api)
        for resource, body in again.items():
            assert (body["rows_created"], body["rows_updated"]) == (0, 0), resource
            assert body["rows_total"] > 0
        for model, stamps in before.items():
            assert dict(model.objects.values_list("pk", "updated_at")) == stamps, model
        assert StockMovement.objects.count() == movements
        assert ExcelImport.objects.count() == 10  # each run is recorded, and imported nothing

    def test_the_work_orders_need_the_personnel_first(self, api):
        errors = rejected(post(api, "workorders", (DEMO / "01_WorkOrders.xlsx").read_bytes()), WorkOrder)
        assert errors[0] == {"row": 2, "column": "AssignedWelder", "message": "No employee 'John Doe'."}
        assert [e["row"] for e in errors] == [2, 3, 4, 5, 6]


# ============================================================================ dry run
@pytest.mark.django_db
class TestDryRun:
    def test_counts_without_writing(self, api):
        ItemFactory(item_id="INV-001", item_name="Old name", quantity=1, unit="kg", reorder_level=1)
        stamp = Item.objects.get().updated_at
        body = created(post(api, "items", (DEMO / "02_Inventory.xlsx").read_bytes(), dry_run=True))
        assert (body["rows_total"], body["rows_created"], body["rows_updated"], body["dry_run"]) == (
            4,
            3,
            1,
            True,
        )
        item = Item.objects.get()
        assert (item.item_name, item.quantity, item.updated_at) == ("Old name", 1, stamp)
        assert not StockMovement.objects.exists()
        # The run itself is recorded (that is the answer), marked as a dry run.
        assert ExcelImport.objects.get().dry_run is True

    def test_a_dry_run_reports_the_same_errors(self, api):
        data = wb.xlsx([["ItemID", "ItemName", "Quantity"], ["INV-1", "Rods", -5]])
        errors = rejected(post(api, "items", data, dry_run=True), Item)
        assert errors == [
            {"row": 2, "column": "Quantity", "message": "Ensure this value is greater than or equal to 0."}
        ]

    def test_dry_run_must_be_a_boolean(self, api):
        response = post(api, "items", wb.xlsx([["ItemID", "ItemName"], ["INV-1", "Rods"]]), dry_run=None)
        assert response.status_code == 201
        body = {"file": wb.upload(wb.xlsx([["ItemID", "ItemName"], ["INV-2", "Rods"]])), "dry_run": "perhaps"}
        response = api.post(url("items"), body, format="multipart")
        assert assert_error(response, 422, "VALIDATION_ERROR")["errors"] == {
            "dry_run": ["Must be a valid boolean."]
        }
        assert not Item.objects.filter(item_id="INV-2").exists()


# ============================================================================ all or nothing
@pytest.mark.django_db
class TestAllOrNothing:
    def test_every_bad_row_is_reported_and_nothing_is_written(self, api):
        EmployeeFactory(employee_id="EMP-01", name="John Doe")
        rows = [
            WO_HEADER,
            ["WO-1", "Client A", "Good row", "Pending", "2025-11-25", "EMP-01"],
            ["WO-2", "Client B", "Bad status", "Almost done", "2025-11-25", "John Doe"],
            ["WO-3", "", "No client", "pending", "not a date", "Nobody Known"],
            ["WO-4", "Client C", "Good row too", "On Hold", dt.date(2025, 12, 1), None],
            ["WO-1", "Client D", "Key again", "pending", None, None],
        ]
        errors = rejected(post(api, "workorders", wb.xlsx(rows)), WorkOrder)
        assert errors == [
            {
                "row": 3,
                "column": "Status",
                "message": '"Almost done" is not a valid choice.',
            },
            {"row": 4, "column": "AssignedWelder", "message": "No employee 'Nobody Known'."},
            {"row": 4, "column": "Client", "message": "This field is required."},
            {
                "row": 4,
                "column": "DueDate",
                "message": "Date has wrong format. Use YYYY-MM-DD (an ISO datetime is accepted too).",
            },
            {"row": 6, "column": "OrderID", "message": "'WO-1' appears twice (also on row 2)."},
        ]

    def test_a_leading_empty_row_shifts_the_numbers(self, api):
        rows = [["ItemID", "ItemName", "Quantity"], ["INV-1", "Rods", "many"], ["INV-2", "", 3]]
        errors = rejected(post(api, "items", wb.xlsx(rows, blank_rows_before=1)), Item)
        assert errors == [
            {"row": 3, "column": "Quantity", "message": "A valid integer is required."},
            {"row": 4, "column": "ItemName", "message": "This field is required."},
        ]

    def test_empty_rows_between_data_keep_excel_numbers(self, api):
        rows = [["ItemID", "ItemName"], ["INV-1", "Rods"], [], [], ["INV-2", None]]
        errors = rejected(post(api, "items", wb.xlsx(rows)), Item)
        assert errors == [{"row": 5, "column": "ItemName", "message": "This field is required."}]

    def test_columns_are_named_as_the_file_spells_them(self, api):
        rows = [["item id", "ITEM_NAME", "quantity"], ["INV-1", "Rods", -1]]
        errors = rejected(post(api, "items", wb.xlsx(rows)), Item)
        assert errors == [
            {"row": 2, "column": "quantity", "message": "Ensure this value is greater than or equal to 0."}
        ]

    def test_a_missing_required_column(self, api):
        errors = rejected(
            post(api, "workorders", wb.xlsx([["OrderID", "Status"], ["WO-1", "pending"]])), WorkOrder
        )
        assert errors == [{"row": 1, "column": "Client", "message": "Required column is missing."}]

    def test_several_missing_columns_are_all_named(self, api):
        errors = rejected(post(api, "inspections", wb.xlsx([["Inspector"], ["X"]])), Inspection)
        assert errors == [
            {"row": 1, "column": "InspectionID", "message": "Required column is missing."},
            {"row": 1, "column": "OrderID", "message": "Required column is missing."},
            {"row": 1, "column": "Result", "message": "Required column is missing."},
        ]

    def test_a_header_repeated(self, api):
        rows = [["ItemID", "ItemName", "item_name"], ["INV-1", "Rods", "Rods again"]]
        errors = rejected(post(api, "items", wb.xlsx(rows)), Item)
        assert errors == [
            {"row": 1, "column": "item_name", "message": "Column C repeats the column 'ItemName' (ItemName)."}
        ]

    def test_duplicate_keys_inside_the_file(self, api):
        rows = [["ItemID", "ItemName"], ["INV-1", "A"], ["INV-2", "B"], ["INV-1", "C"], ["INV-1", "D"]]
        errors = rejected(post(api, "items", wb.xlsx(rows)), Item)
        assert errors == [
            {"row": 4, "column": "ItemID", "message": "'INV-1' appears twice (also on row 2)."},
            {"row": 5, "column": "ItemID", "message": "'INV-1' appears twice (also on row 2)."},
        ]

    def test_an_unknown_work_order(self, api):
        WorkOrderFactory(order_id="WO-1000")
        rows = [
            ["InspectionID", "OrderID", "Result"],
            ["QC-1", "WO-1000", "Pass"],
            ["QC-2", "WO-9999", "Pass"],
        ]
        errors = rejected(post(api, "inspections", wb.xlsx(rows)), Inspection)
        assert errors == [{"row": 3, "column": "OrderID", "message": "No work order 'WO-9999'."}]

    def test_an_ambiguous_welder_name(self, api):
        EmployeeFactory(employee_id="EMP-01", name="Sam Lee")
        EmployeeFactory(employee_id="EMP-02", name="Sam Lee")
        rows = [WO_HEADER, ["WO-1", "A", "", "pending", None, "Sam Lee"]]
        errors = rejected(post(api, "workorders", wb.xlsx(rows)), WorkOrder)
        assert errors == [
            {
                "row": 2,
                "column": "AssignedWelder",
                "message": "'sam lee' matches 2 employees; use the employee_id.",
            }
        ]

    def test_a_fail_without_a_defect_type(self, api):
        WorkOrderFactory(order_id="WO-1000")
        rows = [
            ["InspectionID", "OrderID", "Result", "DefectType"],
            ["QC-1", "WO-1000", "Fail", "None"],
            ["QC-2", "WO-1000", "Pass", "Crack"],
            ["QC-3", "WO-1000", "Fail", "Crack"],
        ]
        errors = rejected(post(api, "inspections", wb.xlsx(rows)), Inspection)
        assert errors == [
            {"row": 2, "column": "DefectType", "message": "A failed inspection needs a defect type."},
            {"row": 3, "column": "DefectType", "message": "A passed inspection has no defect type."},
        ]

    def test_a_fail_without_the_defect_column_names_it(self, api):
        WorkOrderFactory(order_id="WO-1000")
        rows = [["InspectionID", "OrderID", "Result"], ["QC-1", "WO-1000", "Fail"]]
        errors = rejected(post(api, "inspections", wb.xlsx(rows)), Inspection)
        assert errors == [
            {"row": 2, "column": "DefectType", "message": "A failed inspection needs a defect type."}
        ]

    def test_a_bad_update_leaves_every_record_as_it_was(self, api):
        ItemFactory(item_id="INV-1", item_name="Rods", quantity=5)
        stamp = Item.objects.get().updated_at
        rows = [["ItemID", "ItemName", "Quantity"], ["INV-1", "Rods", 7], ["INV-2", "Gloves", "lots"]]
        response = post(api, "items", wb.xlsx(rows))
        assert assert_error(response, 422, "VALIDATION_ERROR")["errors"] == [
            {"row": 3, "column": "Quantity", "message": "A valid integer is required."}
        ]
        item = Item.objects.get()
        assert (item.quantity, item.updated_at) == (5, stamp)
        assert (
            not ExcelImport.objects.exists()
            and not StockMovement.objects.filter(reason="correction").exists()
        )

    def test_batches_already_written_are_rolled_back_by_a_later_bad_row(self, api, monkeypatch):
        from workshop.imports import engine

        monkeypatch.setattr(engine, "WRITE_BATCH", 2)  # records are written two at a time
        WorkOrderFactory(order_id="WO-1000")
        header = ["InspectionID", "OrderID", "Result", "DefectType"]
        rows = [[f"QC-{n}", "WO-1000", "Pass", None] for n in range(1, 6)]
        # Cells are all valid: the last row's problem (the model's rule, and an unknown
        # order) shows only when its record is built, after two batches were written.
        bad = [["QC-6", "WO-1000", "Fail", None], ["QC-7", "WO-9999", "Pass", None]]
        with CaptureQueriesContext(connection) as queries:
            errors = rejected(post(api, "inspections", wb.xlsx([header, *rows, *bad])), Inspection)
        assert errors == [
            {"row": 7, "column": "DefectType", "message": "A failed inspection needs a defect type."},
            {"row": 8, "column": "OrderID", "message": "No work order 'WO-9999'."},
        ]
        inserts = [
            q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "inspections_inspection"')
        ]
        assert len(inserts) == 2  # written, then rolled back with the rest
        versions = [
            q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "inspections_historical')
        ]
        assert len(versions) == 2  # their history too
        assert not Inspection.history.exists()
        body = created(post(api, "inspections", wb.xlsx([header, *rows])))
        assert (body["rows_created"], Inspection.objects.count()) == (5, 5)

    def test_field_rules_are_the_apis(self, api):
        rows = [
            ["EquipmentID", "Name", "Status", "ServiceIntervalDays"],
            ["EQ-1", "x" * 201, "Broken", 0],
            ["E" * 33, "Welder", "Operational", 30],
        ]
        errors = rejected(post(api, "equipment", wb.xlsx(rows)), Equipment)
        assert errors == [
            {"row": 2, "column": "Name", "message": "Ensure this field has no more than 200 characters."},
            {
                "row": 2,
                "column": "ServiceIntervalDays",
                "message": "Ensure this value is greater than or equal to 1.",
            },
            {
                "row": 3,
                "column": "EquipmentID",
                "message": "Ensure this field has no more than 32 characters.",
            },
        ]

    def test_many_errors_are_capped_but_every_row_is_checked(self, api):
        rows = [["ItemID", "ItemName", "Quantity"]] + [[f"INV-{n}", "Rods", "x"] for n in range(1500)]
        body = assert_error(post(api, "items", wb.xlsx(rows)), 422, "VALIDATION_ERROR")
        assert body["detail"] == "1500 problems in the file; the first 1000 are listed. Nothing was imported."
        errors = body["errors"]
        assert len(errors) == 1000
        assert errors[0]["row"] == 2 and errors[-1]["row"] == 1001
        assert not Item.objects.exists() and not ExcelImport.objects.exists()

    def test_errors_found_after_the_cap_are_counted_too(self, api):
        """Cell errors (found as the rows are read) and errors found when the records are
        built (an unknown welder) are counted alike, wherever they are in the file; the
        first 1000 in the sheet's order are listed."""
        EmployeeFactory(employee_id="EMP-01")
        rows = [WO_HEADER]
        for n in range(1500):
            if n % 3 == 0:  # 500 rows: an unknown welder
                rows.append([f"WO-{n}", "A", "", "pending", None, "Nobody"])
            elif n % 3 == 1:  # 500 rows: a bad status and a bad date
                rows.append([f"WO-{n}", "A", "", "Lost", "someday", "EMP-01"])
            else:  # 500 good rows
                rows.append([f"WO-{n}", "A", "", "pending", None, "EMP-01"])
        body = assert_error(post(api, "workorders", wb.xlsx(rows)), 422, "VALIDATION_ERROR")
        assert body["detail"] == "1500 problems in the file; the first 1000 are listed. Nothing was imported."
        errors = body["errors"]
        assert len(errors) == 1000
        assert errors == sorted(errors, key=lambda e: (e["row"], e["column"]))
        assert [e["column"] for e in errors[:3]] == ["AssignedWelder", "DueDate", "Status"]
        assert errors[-1]["row"] == 1001  # 3 errors every 3 rows
        assert not WorkOrder.objects.exists()

    def test_at_the_cap_every_error_is_listed(self, api):
        rows = [["ItemID", "ItemName", "Quantity"]] + [[f"INV-{n}", "Rods", "x"] for n in range(1000)]
        errors = rejected(post(api, "items", wb.xlsx(rows)), Item)
        assert len(errors) == 1000


# ============================================================================ cells
@pytest.mark.django_db
class TestCellValues:
    def test_numbers_stored_as_text_and_whole_floats(self, api):
        rows = [
            ["ItemID", "ItemName", "Quantity", "ReorderLevel", "Unit"],
            ["INV-1", "Rods", "50", 10.0, "kg"],
            ["INV-2", "Discs", " 7 ", "3.0", 12],
            [1003, "Numbered", 1, 0, None],
        ]
        created(post(api, "items", wb.xlsx(rows)))
        items = {i.item_id: (i.item_name, i.quantity, i.reorder_level, i.unit) for i in Item.objects.all()}
        assert items == {
            "INV-1": ("Rods", 50, 10, "kg"),
            "INV-2": ("Discs", 7, 3, "12"),
            "1003": ("Numbered", 1, 0, ""),
        }

    def test_a_fractional_quantity_is_an_error(self, api):
        errors = rejected(
            post(api, "items", wb.xlsx([["ItemID", "ItemName", "Quantity"], ["INV-1", "R", 2.5]])), Item
        )
        assert errors == [{"row": 2, "column": "Quantity", "message": "A valid integer is required."}]

    def test_odd_cell_kinds_are_row_errors_not_crashes(self, api):
        rows = [
            ["ItemID", "ItemName", "Quantity", "ReorderLevel", "Unit"],
            ["INV-1", dt.time(10, 30), dt.timedelta(hours=5), True, dt.datetime(2025, 1, 1, 8, 0)],
            ["INV-2", "Rods", 1e308, 5, "kg"],
        ]
        errors = rejected(post(api, "items", wb.xlsx(rows)), Item)
        assert errors == [
            {"row": 2, "column": "Quantity", "message": "A valid integer is required."},
            {"row": 2, "column": "ReorderLevel", "message": "A valid integer is required."},
            {
                "row": 3,
                "column": "Quantity",
                "message": "Ensure this value is less than or equal to 2147483647.",
            },
        ]

    def test_dates_as_cells_text_and_iso_datetimes(self, api):
        rows = [
            WO_HEADER,
            ["WO-1", "A", "", "pending", dt.date(2025, 11, 25), None],
            ["WO-2", "A", "", "pending", dt.datetime(2025, 11, 26, 14, 30), None],
            ["WO-3", "A", "", "pending", "2025-11-27", None],
            ["WO-4", "A", "", "pending", "2025-11-28T00:00:00.000", None],
            ["WO-5", "A", "", "pending", "2025-11-29 08:15:00", None],
            ["WO-6", "A", "", "pending", "None", None],
            ["WO-7", "A", "", "pending", None, None],
        ]
        created(post(api, "workorders", wb.xlsx(rows)))
        assert dict(WorkOrder.objects.values_list("order_id", "due_date")) == {
            "WO-1": dt.date(2025, 11, 25),
            "WO-2": dt.date(2025, 11, 26),
            "WO-3": dt.date(2025, 11, 27),
            "WO-4": dt.date(2025, 11, 28),
            "WO-5": dt.date(2025, 11, 29),
            "WO-6": None,
            "WO-7": None,
        }

    def test_raw_excel_date_serials_are_dates(self, api):
        sheet = wb.sheet_xml(
            [
                wb.text_row(1, ["EmployeeID", "Name", "CertificationExpiry"]),
                wb.row(
                    2, wb.text("A2", "EMP-1"), wb.text("B2", "Ann"), wb.excel_date("C2", dt.date(2026, 3, 31))
                ),
            ]
        )
        created(post(api, "employees", wb.package(sheet)))
        assert Employee.objects.get().certification_expiry == dt.date(2026, 3, 31)

    def test_datetimes_for_inspected_at(self, api, settings):
        settings.TIME_ZONE = "UTC"
        WorkOrderFactory(order_id="WO-1000")
        header = ["InspectionID", "OrderID", "Result", "InspectedAt"]
        rows = [
            header,
            ["QC-1", "WO-1000", "Pass", dt.datetime(2025, 11, 25, 9, 30)],
            ["QC-2", "WO-1000", "Pass", "2025-11-25T10:45:00Z"],
            ["QC-3", "WO-1000", "Pass", "2025-11-25T12:00:00+02:00"],
            ["QC-4", "WO-1000", "Pass", dt.date(2025, 11, 26)],
            ["QC-5", "WO-1000", "Pass", "2025-11-27"],
        ]
        bad = [header, ["QC-6", "WO-1000", "Pass", "2025-13-45"], ["QC-7", "WO-1000", "Pass", "yesterday"]]
        errors = rejected(post(api, "inspections", wb.xlsx(bad)), Inspection)
        assert [(e["row"], e["column"]) for e in errors] == [(2, "InspectedAt"), (3, "InspectedAt")]
        assert errors[0]["message"].startswith("Datetime has wrong format.")
        created(post(api, "inspections", wb.xlsx(rows)))
        utc = dt.UTC
        assert dict(Inspection.objects.values_list("inspection_id", "inspected_at")) == {
            "QC-1": dt.datetime(2025, 11, 25, 9, 30, tzinfo=utc),
            "QC-2": dt.datetime(2025, 11, 25, 10, 45, tzinfo=utc),
            "QC-3": dt.datetime(2025, 11, 25, 10, 0, tzinfo=utc),
            "QC-4": dt.datetime(2025, 11, 26, 0, 0, tzinfo=utc),
            "QC-5": dt.datetime(2025, 11, 27, 0, 0, tzinfo=utc),
        }

    def test_the_word_none_and_labels(self, api):
        WorkOrderFactory(order_id="WO-1000")
        rows = [
            ["InspectionID", "OrderID", "Result", "DefectType", "Method"],
            ["QC-1", "WO-1000", "Pass", "None", "Visual Testing"],
            ["QC-2", "WO-1000", "pass", "none", "ut"],
            ["QC-3", "WO-1000", "PASS", "NULL", None],
            ["QC-4", "WO-1000", "Fail", "Porosity", "RT"],
            ["QC-5", "WO-1000", "fail", "Lack of Fusion", "Magnetic Particle Testing"],
            ["QC-6", "WO-1000", "Fail", "slag-inclusion", "PT"],
        ]
        created(post(api, "inspections", wb.xlsx(rows)))
        got = {
            i: (r, d, m)
            for i, r, d, m in Inspection.objects.values_list(
                "inspection_id", "result", "defect_type", "method"
            )
        }
        assert got == {
            "QC-1": ("pass", None, "VT"),
            "QC-2": ("pass", None, "UT"),
            "QC-3": ("pass", None, "VT"),
            "QC-4": ("fail", "porosity", "RT"),
            "QC-5": ("fail", "lack_of_fusion", "MT"),
            "QC-6": ("fail", "slag_inclusion", "PT"),
        }

    def test_formulas_are_read_as_their_cached_values(self, api):
        sheet = wb.sheet_xml(
            [
                wb.text_row(1, ["ItemID", "ItemName", "Quantity", "ReorderLevel", "Unit"]),
                wb.row(
                    2,
                    wb.text("A2", "INV-1"),
                    wb.formula("B2", '"Weld"&"ing rods"', "Welding rods", kind="str"),
                    wb.formula("C2", "10*5", 50),
                    wb.formula("D2", "SUM(C2:C2)/5", 10),
                    wb.formula("E2", 'IF(TRUE,"kg","g")', "kg", kind="str"),
                ),
                # A formula that would run something if evaluated: only its cached text counts.
                wb.row(
                    3,
                    wb.text("A3", "INV-2"),
                    wb.formula(
                        "B3",
                        'HYPERLINK("http://example.invalid","x")&WEBSERVICE("http://x")',
                        "Gloves",
                        kind="str",
                    ),
                    wb.formula("C3", "1+1", 2),
                ),
            ]
        )
        created(post(api, "items", wb.package(sheet)))
        got = {i.item_id: (i.item_name, i.quantity, i.reorder_level, i.unit) for i in Item.objects.all()}
        assert got == {"INV-1": ("Welding rods", 50, 10, "kg"), "INV-2": ("Gloves", 2, 0, "")}

    def test_a_formula_without_a_cached_value_is_an_empty_cell(self, api):
        sheet = wb.sheet_xml(
            [
                wb.text_row(1, ["ItemID", "ItemName", "Quantity"]),
                wb.row(2, wb.text("A2", "INV-1"), wb.formula("B2", '"Rods"', None, kind="str")),
            ]
        )
        errors = rejected(post(api, "items", wb.package(sheet)), Item)
        assert errors == [{"row": 2, "column": "ItemName", "message": "This field is required."}]

    def test_a_neutralised_formula_loses_its_apostrophe(self, api):
        rows = [
            ["OrderID", "Client", "Description"],
            ["WO-1", "'=1+1", "'-5 kg left"],
            ["WO-2", "'@SUM(A1)", "'+44 123"],
            ["WO-3", "'Quoted", "'"],
            ["WO-4", "=1+1 as text", "'\tindented"],
        ]
        # openpyxl would write "=1+1 as text" as a formula: the sheet is raw, all text cells.
        sheet = wb.sheet_xml([wb.text_row(n, values) for n, values in enumerate(rows, start=1)])
        created(post(api, "workorders", wb.package(sheet)))
        got = dict(WorkOrder.objects.values_list("order_id", "client"))
        assert got == {"WO-1": "=1+1", "WO-2": "@SUM(A1)", "WO-3": "'Quoted", "WO-4": "=1+1 as text"}
        descriptions = dict(WorkOrder.objects.values_list("order_id", "description"))
        # The API trims text (DRF's CharField), so the import does too, after the apostrophe.
        assert descriptions == {"WO-1": "-5 kg left", "WO-2": "+44 123", "WO-3": "'", "WO-4": "indented"}

    def test_one_escaping_apostrophe_is_dropped(self, api):
        """One `'` before another `'` or before a word otherwise read as empty is dropped
        too (the export's escape of texts that really start so); just one."""
        rows = [
            ["OrderID", "Client", "Description"],
            ["WO-1", "''=already quoted", "''"],
            ["WO-2", "'None", "'null"],
            ["WO-3", "'''x", "None"],
        ]
        sheet = wb.sheet_xml([wb.text_row(n, values) for n, values in enumerate(rows, start=1)])
        created(post(api, "workorders", wb.package(sheet)))
        got = {o: (c, d) for o, c, d in WorkOrder.objects.values_list("order_id", "client", "description")}
        assert got == {"WO-1": ("'=already quoted", "'"), "WO-2": ("None", "null"), "WO-3": ("''x", "")}

    def test_text_is_trimmed_and_headers_match_loosely(self, api):
        rows = [
            ["  Order ID ", "CLIENT", "due-date", "Assigned_Welder", "Some Note"],
            ["  WO-1  ", "  Client A ", "2025-11-25", " emp-01 ", "ignored"],
        ]
        EmployeeFactory(employee_id="EMP-01", name="John Doe")
        body = created(post(api, "workorders", wb.xlsx(rows)))
        assert body["rows_created"] == 1
        wo = WorkOrder.objects.get()
        assert (wo.order_id, wo.client, wo.due_date, wo.assigned_welder.employee_id) == (
            "WO-1",
            "Client A",
            dt.date(2025, 11, 25),
            "EMP-01",
        )

    def test_a_welder_by_name_in_any_case(self, api):
        EmployeeFactory(employee_id="EMP-01", name="John Doe")
        rows = [
            WO_HEADER,
            ["WO-1", "A", "", "pending", None, "JOHN DOE"],
            ["WO-2", "A", "", "pending", None, "emp-01"],
        ]
        created(post(api, "workorders", wb.xlsx(rows)))
        assert set(WorkOrder.objects.values_list("assigned_welder__employee_id", flat=True)) == {"EMP-01"}


# ============================================================================ upsert
@pytest.mark.django_db
class TestUpsert:
    def test_updates_by_business_key_and_counts(self, api, admin_user):
        other = UserFactory(role="manager")
        welder = EmployeeFactory(employee_id="EMP-01", name="John Doe")
        kept = WorkOrderFactory(
            order_id="WO-1", client="A", status="pending", assigned_welder=welder, created_by=other
        )
        changed = WorkOrderFactory(
            order_id="WO-2", client="B", status="pending", assigned_welder=None, created_by=other
        )
        kept_stamp = WorkOrder.objects.get(pk=kept.pk).updated_at
        rows = [
            ["OrderID", "Client", "Status", "AssignedWelder"],
            ["WO-1", "A", "Pending", "John Doe"],
            ["WO-2", "B", "Completed", "EMP-01"],
            ["WO-3", "C", "On Hold", None],
        ]
        body = created(post(api, "workorders", wb.xlsx(rows)))
        assert (body["rows_total"], body["rows_created"], body["rows_updated"]) == (3, 1, 1)
        assert WorkOrder.objects.get(pk=kept.pk).updated_at == kept_stamp
        changed.refresh_from_db()
        assert (changed.status, changed.assigned_welder_id, changed.created_by_id) == (
            "completed",
            welder.pk,
            other.pk,
        )
        assert changed.updated_at > kept_stamp
        new = WorkOrder.objects.get(order_id="WO-3")
        assert (new.status, new.created_by_id) == ("on_hold", admin_user.pk)

    def test_columns_left_out_are_left_alone_and_empty_cells_clear(self, api):
        WorkOrderFactory(order_id="WO-1", client="A", description="Keep me", due_date=dt.date(2025, 1, 1))
        rows = [["OrderID", "Client", "DueDate"], ["WO-1", "A", None]]
        body = created(post(api, "workorders", wb.xlsx(rows)))
        assert body["rows_updated"] == 1
        wo = WorkOrder.objects.get()
        assert (wo.description, wo.due_date) == ("Keep me", None)

    def test_a_changed_quantity_is_a_ledger_correction(self, api):
        created(post(api, "items", wb.xlsx([["ItemID", "ItemName", "Quantity"], ["INV-1", "Rods", 50]])))
        created(post(api, "items", wb.xlsx([["ItemID", "ItemName", "Quantity"], ["INV-1", "Rods", 42]])))
        assert list(
            StockMovement.objects.order_by("id").values_list("delta", "quantity_after", "reason")
        ) == [
            (50, 50, "receipt"),
            (-8, 42, "correction"),
        ]
        detail = api.get(f"/api/v1/items/{Item.objects.get().pk}/").json()
        assert (detail["quantity"], detail["is_low_stock"]) == (42, False)

    @pytest.mark.parametrize("chunk", [5000, 7])
    def test_the_rows_to_update_are_read_locked_in_id_order(self, api, monkeypatch, chunk):
        """A real import locks the records it compares with the file (PostgreSQL: `FOR
        UPDATE`, in id order, in chunks of ids when there are many keys), so its changes —
        and the stock ledger's corrections — are measured against the rows as they are."""
        from workshop.imports import engine

        monkeypatch.setattr(engine, "LOOKUP_CHUNK", chunk)
        items = [ItemFactory(item_id=f"INV-{n:02d}", quantity=n) for n in range(20)]
        rows = [["ItemID", "ItemName", "Quantity"]] + [
            [i.item_id, i.item_name, i.quantity + 1] for i in reversed(items)
        ]
        with CaptureQueriesContext(connection) as queries:
            body = created(post(api, "items", wb.xlsx(rows)))
        assert body["rows_updated"] == 20
        assert sorted(StockMovement.objects.values_list("item__item_id", "delta", "quantity_after")) == [
            (f"INV-{n:02d}", 1, n + 1) for n in range(20)
        ]
        reads = [q["sql"] for q in queries.captured_queries if 'FROM "inventory_item"' in q["sql"]]
        if connection.vendor == "postgresql":
            locked = [sql for sql in reads if "FOR UPDATE" in sql]
            assert locked and all('ORDER BY "inventory_item"."id" ASC' in sql for sql in locked)
            assert len(locked) == (1 if chunk > 20 else 3)  # ceil(20 / 7) chunks of ids

    def test_a_dry_run_locks_nothing(self, api):
        ItemFactory(item_id="INV-01", quantity=1)
        with CaptureQueriesContext(connection) as queries:
            created(
                post(
                    api,
                    "items",
                    wb.xlsx([["ItemID", "ItemName", "Quantity"], ["INV-01", "Rods", 2]]),
                    dry_run=True,
                )
            )
        assert not [q for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]

    def test_keys_are_exact(self, api):
        ItemFactory(item_id="INV-1", item_name="Rods")
        body = created(post(api, "items", wb.xlsx([["ItemID", "ItemName"], ["inv-1", "Other rods"]])))
        assert (body["rows_created"], body["rows_updated"]) == (1, 0)
        assert sorted(Item.objects.values_list("item_id", flat=True)) == ["INV-1", "inv-1"]


# ============================================================================ what a role may write
@pytest.mark.django_db
class TestOperatorRows:
    """Operators import work orders and inspections (they may create them), but an import
    changes records only as the API would let them: their own."""

    def test_an_operator_cannot_change_others_work_orders_by_import(self, client_for):
        operator = client_for("operator")
        others = WorkOrderFactory(order_id="WO-1", client="A", status="pending")
        rows = [["OrderID", "Client", "Status"], ["WO-1", "A", "cancelled"], ["WO-2", "B", "pending"]]
        body = assert_error(post(operator, "workorders", wb.xlsx(rows)), 422, "VALIDATION_ERROR")
        assert body["errors"] == [
            {
                "row": 2,
                "column": "OrderID",
                "message": "Your role may not change WO-1: only work orders of your own.",
            }
        ]
        others.refresh_from_db()
        assert others.status == "pending"
        assert not WorkOrder.objects.filter(order_id="WO-2").exists()
        # Through the API the same change is refused too.
        patch = operator.patch(f"/api/v1/workorders/{others.pk}/", {"status": "cancelled"}, format="json")
        assert_error(patch, 403, "FORBIDDEN")

    def test_an_operator_changes_their_own_and_assigned_work_orders(self, client_for):
        operator = client_for("operator")
        mine = WorkOrderFactory(order_id="WO-1", client="A", created_by=operator.user)
        me = EmployeeFactory(employee_id="EMP-9", user=operator.user)
        assigned = WorkOrderFactory(order_id="WO-2", client="B", assigned_welder=me)
        untouched = WorkOrderFactory(order_id="WO-3", client="C")
        rows = [
            ["OrderID", "Client", "Status"],
            ["WO-1", "A", "completed"],
            ["WO-2", "B", "on_hold"],
            ["WO-3", "C", "pending"],
        ]
        body = created(post(operator, "workorders", wb.xlsx(rows)))
        assert (body["rows_created"], body["rows_updated"]) == (0, 2)
        assert WorkOrder.objects.get(pk=mine.pk).status == "completed"
        assert WorkOrder.objects.get(pk=assigned.pk).status == "on_hold"
        assert WorkOrder.objects.get(pk=untouched.pk).status == "pending"  # unchanged rows are fine

    def test_an_operator_cannot_take_a_work_order_by_assigning_it_to_themselves(self, client_for):
        operator = client_for("operator")
        EmployeeFactory(employee_id="EMP-9", user=operator.user)
        others = WorkOrderFactory(order_id="WO-1", client="A")
        rows = [["OrderID", "Client", "AssignedWelder"], ["WO-1", "A", "EMP-9"]]
        assert_error(post(operator, "workorders", wb.xlsx(rows)), 422, "VALIDATION_ERROR")
        assert WorkOrder.objects.get(pk=others.pk).assigned_welder_id == others.assigned_welder_id

    def test_an_operator_cannot_change_others_inspections(self, client_for):
        operator = client_for("operator")
        InspectionFactory(inspection_id="QC-1", work_order=WorkOrderFactory(order_id="WO-1"))
        rows = [["InspectionID", "OrderID", "Result", "DefectType"], ["QC-1", "WO-1", "Fail", "Crack"]]
        body = assert_error(post(operator, "inspections", wb.xlsx(rows)), 422, "VALIDATION_ERROR")
        assert body["errors"][0]["message"] == "Your role may not change QC-1: only inspections of your own."
        assert Inspection.objects.get().result == "pass"

    def test_the_ownership_check_costs_no_query_per_row(self, client_for):
        operator = client_for("operator")
        me = EmployeeFactory(employee_id="EMP-9", user=operator.user)
        queries = {}
        for count in (5, 50):
            WorkOrder.objects.all().delete()
            for n in range(count):  # assigned to the operator: ownership reads the welder
                WorkOrderFactory(order_id=f"WO-{n}", client="A", assigned_welder=me)
            rows = [["OrderID", "Client", "Status"]] + [[f"WO-{n}", "A", "completed"] for n in range(count)]
            with CaptureQueriesContext(connection) as captured:
                assert created(post(operator, "workorders", wb.xlsx(rows)))["rows_updated"] == count
            queries[count] = len(captured)
        assert queries[50] <= queries[5]  # (the first request also warms the role permissions)


# ============================================================================ Idempotency-Key
@pytest.mark.django_db
class TestIdempotencyKey:
    ROWS = [["ItemID", "ItemName", "Quantity"], ["INV-1", "Rods", 5]]
    # Built once: openpyxl stamps the time of saving, so two builds a second apart differ.
    FILE = wb.xlsx(ROWS)

    def test_the_same_key_answers_the_first_import_again(self, api):
        first = created(post(api, "items", self.FILE, key="import-2025-11-25.1"))
        again = created(post(api, "items", self.FILE, name="renamed.xlsx", key="import-2025-11-25.1"))
        assert again["id"] == first["id"] and again == first
        assert ExcelImport.objects.count() == 1
        assert list(Item.objects.values_list("item_id", "quantity")) == [("INV-1", 5)]
        assert StockMovement.objects.count() == 1
        assert len(stored_files(django_settings)) == 1

    def test_the_same_key_with_a_different_file_is_422(self, api):
        first = created(post(api, "items", self.FILE, key="import-2025-11-25.1"))
        other = wb.xlsx([["ItemID", "ItemName", "Quantity"], ["INV-1", "Rods", 99], ["INV-2", "Gloves", 1]])
        body = assert_error(post(api, "items", other, key="import-2025-11-25.1"), 422, "VALIDATION_ERROR")
        assert body["errors"] == {
            "Idempotency-Key": ["This Idempotency-Key was already used for a different file."]
        }
        # Nothing imported, and the key still answers its own file.
        assert list(Item.objects.values_list("item_id", "quantity")) == [("INV-1", 5)]
        assert ExcelImport.objects.count() == 1 and len(stored_files(django_settings)) == 1
        assert created(post(api, "items", self.FILE, key="import-2025-11-25.1")) == first

    def test_a_replay_still_needs_its_file(self, api):
        created(post(api, "items", self.FILE, key="k0"))
        response = api.post(url("items"), {}, format="multipart", HTTP_IDEMPOTENCY_KEY="k0")
        assert "file" in assert_error(response, 422, "VALIDATION_ERROR")["errors"]

    def test_a_new_key_imports_again(self, api):
        created(post(api, "items", self.FILE, key="a"))
        body = created(
            post(api, "items", wb.xlsx([["ItemID", "ItemName", "Quantity"], ["INV-1", "Rods", 6]]), key="b")
        )
        assert body["rows_updated"] == 1
        assert ExcelImport.objects.count() == 2

    @pytest.mark.parametrize("key", ["has space", "x" * 129, "ünïcode", "semi;colon", ""])
    def test_an_invalid_key_is_422(self, api, key):
        response = post(api, "items", self.FILE, key=key)
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert "Idempotency-Key" in body["errors"]
        assert not Item.objects.exists() and not ExcelImport.objects.exists()

    def test_users_have_their_own_keys(self, client_for):
        manager, other_manager = client_for("manager"), client_for("manager")
        first = created(post(manager, "items", self.FILE, key="same-key"))
        second = created(
            post(
                other_manager,
                "items",
                wb.xlsx([["ItemID", "ItemName", "Quantity"], ["INV-1", "Rods", 8]]),
                key="same-key",
            )
        )
        assert second["id"] != first["id"]
        assert second["rows_updated"] == 1 and Item.objects.get().quantity == 8
        assert ExcelImport.objects.filter(idempotency_key="same-key").count() == 2

    def test_a_rejected_import_does_not_use_up_the_key(self, api):
        bad = wb.xlsx([["ItemID", "ItemName", "Quantity"], ["INV-1", "Rods", -1]])
        assert_error(post(api, "items", bad, key="retry-me"), 422, "VALIDATION_ERROR")
        body = created(post(api, "items", self.FILE, key="retry-me"))
        assert body["rows_created"] == 1

    def test_a_key_used_elsewhere_is_422_not_the_other_answer(self, api):
        created(post(api, "items", self.FILE, key="k1"))
        response = post(api, "employees", wb.xlsx([["EmployeeID", "Name"], ["EMP-1", "Ann"]]), key="k1")
        assert "Idempotency-Key" in assert_error(response, 422, "VALIDATION_ERROR")["errors"]
        assert not Employee.objects.exists()

    def test_a_dry_run_key_does_not_swallow_the_real_import(self, api):
        created(post(api, "items", self.FILE, dry_run=True, key="k2"))
        response = post(api, "items", self.FILE, dry_run=False, key="k2")
        assert_error(response, 422, "VALIDATION_ERROR")
        assert not Item.objects.exists()
        again = created(post(api, "items", self.FILE, dry_run=True, key="k2"))
        assert again["dry_run"] is True and ExcelImport.objects.count() == 1


# ============================================================================ queries
@pytest.mark.django_db
class TestQueryCount:
    @staticmethod
    def work_orders(count: int, client: str = "Client") -> bytes:
        statuses = ["Pending", "In Progress", "On Hold", "Completed", "Cancelled"]
        rows = [WO_HEADER]
        for n in range(count):
            welder = f"Welder {n % 12}" if n % 2 else f"EMP-{n % 12:02d}"  # by name or by id
            due = dt.date(2025, 1, 1) + dt.timedelta(days=n)
            rows.append([f"WO-{1000 + n}", f"{client} {n % 7}", f"Job {n}", statuses[n % 5], due, welder])
        return wb.xlsx(rows)

    @staticmethod
    def insert_batches(rows: int, model=WorkOrder) -> int:
        """The INSERT statements `rows` new work orders (or their versions) take on this database."""
        limit = connection.features.max_query_params
        if not limit:
            return 1
        per_statement = max(1, limit // len(model._meta.concrete_fields))
        return -(-rows // per_statement)

    def test_an_import_does_not_query_per_row(self, api, django_assert_max_num_queries):
        for n in range(12):
            EmployeeFactory(employee_id=f"EMP-{n:02d}", name=f"Welder {n}")
        with CaptureQueriesContext(connection) as small:
            body = created(post(api, "workorders", self.work_orders(20)))
        assert body["rows_created"] == 20
        # 200 rows, the first 20 of them already there and changed. The only growth allowed is
        # in batches: SQLite takes 999 parameters a statement, so 180 new rows of a work
        # order's columns are several inserts (PostgreSQL: one).
        # History: one INSERT per batch of versions, for the created rows and the updated ones.
        growth = 2 + self.insert_batches(180) - 1 + self.insert_batches(180, WorkOrder.history.model)
        with django_assert_max_num_queries(len(small) + growth):
            body = created(post(api, "workorders", self.work_orders(200, client="Other")))
        assert (body["rows_created"], body["rows_updated"]) == (180, 20)
        with django_assert_max_num_queries(len(small) + growth):
            body = created(post(api, "workorders", self.work_orders(200, client="Other")))
        assert (body["rows_created"], body["rows_updated"]) == (0, 0)
        assert WorkOrder.objects.filter(assigned_welder__employee_id="EMP-05").count() == 200 // 12 + 1

    def test_related_lookups_are_chunked_not_per_row(self, api, monkeypatch):
        from workshop.imports import engine

        monkeypatch.setattr(engine, "LOOKUP_CHUNK", 7)
        for n in range(30):
            WorkOrderFactory(order_id=f"WO-{n}")
        rows = [["InspectionID", "OrderID", "Result"]] + [[f"QC-{n}", f"WO-{n}", "Pass"] for n in range(30)]
        with CaptureQueriesContext(connection) as queries:
            body = created(post(api, "inspections", wb.xlsx(rows)))
        assert body["rows_created"] == 30
        lookups = [q["sql"] for q in queries.captured_queries if 'FROM "workorders_workorder"' in q["sql"]]
        assert len(lookups) == 5  # ceil(30 / 7) chunks
        assert dict(Inspection.objects.values_list("inspection_id", "work_order__order_id")) == {
            f"QC-{n}": f"WO-{n}" for n in range(30)
        }


def test_timezone_sanity():
    # The expectations above assume the project's default time zone.
    assert timezone.get_default_timezone_name() == django_settings.TIME_ZONE


@pytest.mark.django_db
def test_both_shapes_of_an_import_422_match_the_documented_schema(api):
    """A bad form field (`errors` an object) and bad rows (`errors` a list of row errors)
    each match exactly one branch of the 422's documented `oneOf`: a generated client
    parses either instead of raising."""
    import jsonschema
    from drf_spectacular.generators import SchemaGenerator

    schema = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    for path in ("/api/v1/workorders/import/", "/api/v1/templates/{id}/upload/", "/api/v1/upload/{id}/"):
        documented = schema["paths"][path]["post"]["responses"]["422"]["content"]["application/json"][
            "schema"
        ]
        assert documented == {"$ref": "#/components/schemas/ImportValidationError"}, path
    validator = jsonschema.Draft7Validator(
        {"$ref": "#/components/schemas/ImportValidationError", "components": schema["components"]}
    )
    form = assert_error(api.post(url("workorders"), {}, format="multipart"), 422, "VALIDATION_ERROR")
    rows = assert_error(
        post(api, "workorders", wb.xlsx([["OrderID", "Client"], ["WO-1", ""]])), 422, "VALIDATION_ERROR"
    )
    assert isinstance(form["errors"], dict) and isinstance(rows["errors"], list)
    for body in (form, rows):
        validator.validate(body)  # oneOf: exactly one branch
