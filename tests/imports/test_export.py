"""`GET /api/v1/<resource>/export/` and `manage.py export_excel`, checked by reading the files
back with openpyxl, python-calamine and the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from python_calamine import CalamineWorkbook

from inspections.models import Inspection
from staff.models import Employee
from tests.conftest import bearer_client
from tests.contract import ROLES, assert_error
from tests.factories import (
    ConsumableLotFactory,
    EmployeeFactory,
    EquipmentFactory,
    InspectionFactory,
    ItemFactory,
    UserFactory,
    WorkOrderFactory,
)
from tests.imports import workbooks as wb
from workorders.models import WorkOrder
from workshop.imports.export import ooxml_escape
from workshop.imports.spec import registry

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
TODAY = timezone.localdate
HOSTILE = ["=1+1", "+44 123", "-5 kg", "@cmd", "\tx", "\rx", '=HYPERLINK("http://x")', "#N/A"]


def url(resource: str) -> str:
    return f"/api/v1/{resource}/export/"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def xlsx_sheet(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]


def xlsx_rows(content: bytes) -> list[tuple]:
    return list(xlsx_sheet(content).values)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, for Excel
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def calamine_rows(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def export_ok(client, resource: str, fmt: str = "xlsx", **params) -> bytes:
    response = client.get(url(resource), {"format": fmt, **params})
    assert response.status_code == 200, response.content[:500] if not response.streaming else ""
    assert response["Content-Type"] == (XLSX_TYPE if fmt == "xlsx" else CSV_TYPE)
    return body(response)


# ------------------------------------------------------------------------ what each resource writes
# Each maker creates two records and returns the rows it expects, in "neutral" values:
# str, int, date, aware datetime, None. `as_xlsx` / `as_csv` turn them into what the file holds.
def make_employees():
    EmployeeFactory(
        employee_id="EMP-01",
        name="John Doe",
        role="Senior Welder",
        certification_expiry=dt.date(2025, 12, 31),
        stamp="JD7",
    )
    EmployeeFactory(employee_id="EMP-02", name="Jane Smith", role="", certification_expiry=None)
    return [
        ("EMP-01", "John Doe", "Senior Welder", dt.date(2025, 12, 31), "JD7"),
        ("EMP-02", "Jane Smith", None, None, None),
    ]


def make_equipment():
    EquipmentFactory(
        equipment_id="EQ-01",
        name="MIG Welder 3000",
        status="operational",
        last_service_date=dt.date(2024, 1, 15),
        service_interval_days=90,
        calibration_interval_days=365,
    )
    EquipmentFactory(
        equipment_id="EQ-02",
        name="TIG Master",
        status="maintenance",
        last_service_date=None,
        service_interval_days=None,
    )
    return [
        ("EQ-01", "MIG Welder 3000", "operational", dt.date(2024, 1, 15), 90, 365),
        ("EQ-02", "TIG Master", "maintenance", None, None, None),
    ]


def make_items():
    ItemFactory(
        item_id="INV-001", item_name="Welding Rods (Type A)", quantity=50, unit="kg", reorder_level=10
    )
    ItemFactory(item_id="INV-002", item_name="Argon Gas Cylinder", quantity=0, unit="", reorder_level=2)
    return [
        ("INV-001", "Welding Rods (Type A)", 50, "kg", 10),
        ("INV-002", "Argon Gas Cylinder", 0, None, 2),
    ]


def make_workorders():
    welder = EmployeeFactory(employee_id="EMP-01", name="John Doe")
    WorkOrderFactory(
        order_id="WO-1000",
        client="Client A",
        description="Pipe Welding",
        status="in_progress",
        due_date=dt.date(2025, 11, 25),
        assigned_welder=welder,
    )
    WorkOrderFactory(
        order_id="WO-1001",
        client="Client B",
        description="",
        status="pending",
        due_date=None,
        assigned_welder=None,
    )
    return [
        ("WO-1000", "Client A", "Pipe Welding", "in_progress", dt.date(2025, 11, 25), "EMP-01", None),
        ("WO-1001", "Client B", None, "pending", None, None, None),
    ]


INSPECTED_AT = dt.datetime(2025, 11, 25, 9, 30, 0, 123456, tzinfo=dt.UTC)


def make_inspections():
    order = WorkOrderFactory(order_id="WO-1000")
    InspectionFactory(
        inspection_id="QC-100",
        work_order=order,
        inspector="Inspector X",
        result="fail",
        defect_type="porosity",
        method="UT",
        inspected_at=INSPECTED_AT,
        notes="Root pass\nre-weld",
        report_no="UT-7",
        examined_length_mm=250,
    )
    # Its findings (issue 13): the export writes the first rejected one's code and length.
    from tests.factories import WeldFindingFactory

    qc100 = Inspection.objects.get(inspection_id="QC-100")
    WeldFindingFactory(inspection=qc100, code="5011", verdict="accept", length_mm=5)
    WeldFindingFactory(inspection=qc100, code="2013", verdict="reject", length_mm=30)
    InspectionFactory(
        inspection_id="QC-101",
        work_order=order,
        inspector="",
        result="pass",
        defect_type=None,
        method="VT",
        inspected_at=INSPECTED_AT.replace(microsecond=0),
        notes="",
    )
    return [
        (
            "QC-100",
            "WO-1000",
            "Inspector X",
            "fail",
            "porosity",
            "UT",
            INSPECTED_AT,
            "Root pass\nre-weld",
            None,
            "UT-7",
            Decimal("250.00"),  # decimal fields: with their places
            "2013",
            30.0,  # the first rejected finding's length
        ),
        (
            "QC-101",
            "WO-1000",
            None,
            "pass",
            None,
            "VT",
            INSPECTED_AT.replace(microsecond=0),
            None,
            None,
            None,
            None,
            None,
            None,
        ),
    ]


MAKERS = {
    "employees": make_employees,
    "equipment": make_equipment,
    "items": make_items,
    "workorders": make_workorders,
    "inspections": make_inspections,
}
# The shop's headers (the same as in the shop's own files), written out here rather than read
# from the specs, so that the test checks them.
HEADERS = {
    "employees": ["EmployeeID", "Name", "Role", "CertificationExpiry", "Stamp"],
    "equipment": [
        "EquipmentID",
        "Name",
        "Status",
        "LastServiceDate",
        "ServiceIntervalDays",
        "CalibrationInterval",
    ],
    "items": ["ItemID", "ItemName", "Quantity", "Unit", "ReorderLevel"],
    "workorders": ["OrderID", "Client", "Description", "Status", "DueDate", "AssignedWelder", "CompletedAt"],
    "inspections": [
        "InspectionID",
        "OrderID",
        "Inspector",
        "Result",
        "DefectType",
        "Method",
        "InspectedAt",
        "Notes",
        "WeldID",
        "ReportNo",
        "ExaminedLength",
        "ISO6520",
        "FindingLength",
    ],
}
# What the API shows for INSPECTED_AT with TIME_ZONE=Europe/Berlin (set by the tests below).
API_TEXT = {
    INSPECTED_AT: "2025-11-25T10:30:00.123456+01:00",
    INSPECTED_AT.replace(microsecond=0): "2025-11-25T10:30:00+01:00",
}


def as_xlsx(value):
    if isinstance(value, dt.datetime):
        return API_TEXT[value]
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())  # openpyxl reads date cells as datetimes
    return value


def as_csv(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return API_TEXT[value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.mark.django_db
@pytest.mark.usefixtures("berlin")
class TestEveryResource:
    @pytest.mark.parametrize("resource", list(MAKERS))
    def test_xlsx_has_the_shop_headers_and_the_rows(self, api, resource):
        expected = MAKERS[resource]()
        response = api.get(url(resource))  # xlsx is the default
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX_TYPE
        assert re.fullmatch(
            rf'attachment; filename="{resource}-\d{{8}}-\d{{6}}\.xlsx"', response["Content-Disposition"]
        )
        stamp = re.search(r"-(\d{8})-", response["Content-Disposition"]).group(1)
        assert stamp == timezone.localdate().strftime("%Y%m%d")
        assert response["Cache-Control"] == "no-store"
        content = body(response)
        assert int(response["Content-Length"]) == len(content)
        rows = xlsx_rows(content)
        assert list(rows[0]) == HEADERS[resource] == registry()[resource].headers
        assert rows[1:] == [tuple(as_xlsx(v) for v in row) for row in expected]
        # python-calamine (the import's reader for .xls) reads the same values.
        cal = calamine_rows(content)
        assert cal[0] == HEADERS[resource]
        assert [[None if v == "" else v for v in row] for row in cal[1:]] == [
            [API_TEXT[v] if isinstance(v, dt.datetime) else v for v in row] for row in expected
        ]

    @pytest.mark.parametrize("resource", list(MAKERS))
    def test_csv_has_the_shop_headers_and_the_rows(self, api, resource):
        expected = MAKERS[resource]()
        response = api.get(url(resource), {"format": "csv"})
        assert response.status_code == 200
        assert response["Content-Type"] == CSV_TYPE
        assert re.fullmatch(
            rf'attachment; filename="{resource}-\d{{8}}-\d{{6}}\.csv"', response["Content-Disposition"]
        )
        content = body(response)
        assert b"\r\n" in content  # RFC 4180 line ends
        rows = csv_rows(content)
        assert rows[0] == HEADERS[resource]
        assert rows[1:] == [[as_csv(v) for v in row] for row in expected]

    def test_dates_are_date_cells(self, api):
        make_workorders()
        sheet = xlsx_sheet(export_ok(api, "workorders"))
        cell = sheet["E2"]
        assert cell.is_date and cell.number_format == "yyyy-mm-dd"
        assert sheet["E3"].value is None
        assert sheet["A1"].font.bold
        assert sheet.freeze_panes == "A2"

    def test_datetimes_are_the_api_text_in_both_formats(self, api):
        make_inspections()
        inspection = Inspection.objects.get(inspection_id="QC-100")
        shown = api.get(f"/api/v1/inspections/{inspection.pk}/").json()["inspected_at"]
        assert shown == "2025-11-25T10:30:00.123456+01:00"
        assert xlsx_rows(export_ok(api, "inspections"))[1][6] == shown
        assert csv_rows(export_ok(api, "inspections", "csv"))[1][6] == shown

    def test_utc_datetimes_end_in_z(self, api, settings):
        settings.TIME_ZONE = "UTC"
        make_inspections()
        assert csv_rows(export_ok(api, "inspections", "csv"))[1][6] == "2025-11-25T09:30:00.123456Z"

    def test_no_rows_is_just_the_header(self, api):
        assert xlsx_rows(export_ok(api, "items")) == [tuple(HEADERS["items"])]
        assert csv_rows(export_ok(api, "items", "csv")) == [HEADERS["items"]]

    def test_format_is_case_insensitive(self, api):
        make_items()
        assert csv_rows(export_ok(api, "items", "CSV"))[0] == HEADERS["items"]

    def test_trailing_slash_is_optional(self, api):
        make_items()
        response = api.get("/api/v1/items/export", {"format": "csv"})
        assert response.status_code == 200
        assert csv_rows(body(response))[0] == HEADERS["items"]


# ------------------------------------------------------------------------ filters
@pytest.mark.django_db
class TestFilters:
    @pytest.fixture
    def orders(self):
        today = TODAY()
        return {
            "late": WorkOrderFactory(
                order_id="WO-1", status="pending", due_date=today - dt.timedelta(days=3)
            ),
            "soon": WorkOrderFactory(
                order_id="WO-2", status="pending", due_date=today + dt.timedelta(days=3)
            ),
            "late_busy": WorkOrderFactory(
                order_id="WO-3", status="in_progress", due_date=today - dt.timedelta(days=1), client="Acme"
            ),
            "done": WorkOrderFactory(
                order_id="WO-4", status="completed", due_date=today - dt.timedelta(days=9)
            ),
        }

    @staticmethod
    def keys(content: bytes, fmt: str = "xlsx") -> list[str]:
        rows = xlsx_rows(content) if fmt == "xlsx" else csv_rows(content)
        return [row[0] for row in rows[1:]]

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_status(self, api, orders, fmt):
        assert self.keys(export_ok(api, "workorders", fmt, status="pending"), fmt) == ["WO-1", "WO-2"]
        content = export_ok(api, "workorders", fmt, status="pending,In Progress")
        assert self.keys(content, fmt) == ["WO-1", "WO-2", "WO-3"]

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_overdue(self, api, orders, fmt):
        assert self.keys(export_ok(api, "workorders", fmt, overdue="true"), fmt) == ["WO-1", "WO-3"]
        assert self.keys(export_ok(api, "workorders", fmt, overdue="false"), fmt) == ["WO-2", "WO-4"]

    def test_filters_combine_with_search_and_sorting(self, api, orders):
        content = export_ok(api, "workorders", overdue="true", sort_by="due_date", order="asc")
        assert self.keys(content) == ["WO-1", "WO-3"]
        content = export_ok(api, "workorders", ordering="-due_date")
        assert self.keys(content) == ["WO-2", "WO-3", "WO-1", "WO-4"]
        assert self.keys(export_ok(api, "workorders", search="acme")) == ["WO-3"]

    def test_same_rows_as_the_list(self, api, orders):
        params = {"status": "pending,in_progress", "sort_by": "due_date", "order": "desc"}
        listed = [row["order_id"] for row in api.get("/api/v1/workorders/", params).json()["items"]]
        assert self.keys(export_ok(api, "workorders", **params)) == listed

    def test_every_row_not_a_page(self, api):
        WorkOrder.objects.bulk_create(WorkOrder(order_id=f"WO-{i:04d}", client="A") for i in range(120))
        assert len(self.keys(export_ok(api, "workorders"))) == 120

    def test_inspections_filters(self, api):
        order = WorkOrderFactory(order_id="WO-9")
        InspectionFactory(inspection_id="QC-1", work_order=order, failed=True)
        InspectionFactory(inspection_id="QC-2", result="pass")
        assert self.keys(export_ok(api, "inspections", result="fail")) == ["QC-1"]
        assert self.keys(export_ok(api, "inspections", order_id="WO-9", sort_by="order_id")) == ["QC-1"]

    def test_other_resources_filters(self, api):
        ItemFactory(item_id="INV-1", quantity=1, reorder_level=5)
        ItemFactory(item_id="INV-2", quantity=9, reorder_level=5)
        assert self.keys(export_ok(api, "items", "csv", low_stock="true"), "csv") == ["INV-1"]
        EquipmentFactory(equipment_id="EQ-1", status="maintenance")
        EquipmentFactory(equipment_id="EQ-2")
        assert self.keys(export_ok(api, "equipment", status="Maintenance Required")) == ["EQ-1"]
        EmployeeFactory(employee_id="EMP-1", certification_expiry=TODAY() - dt.timedelta(days=1))
        EmployeeFactory(employee_id="EMP-2")
        assert self.keys(export_ok(api, "employees", certification_status="expired")) == ["EMP-1"]

    def test_fields_selects_columns_and_keeps_the_key(self, api, orders):
        rows = xlsx_rows(export_ok(api, "workorders", fields="status,client", status="completed"))
        assert rows == [("OrderID", "Client", "Status"), ("WO-4", orders["done"].client, "completed")]
        rows = csv_rows(export_ok(api, "workorders", "csv", fields="due_date", status="completed"))
        assert rows == [["OrderID", "DueDate"], ["WO-4", (TODAY() - dt.timedelta(days=9)).isoformat()]]


@pytest.mark.django_db
class TestBadRequests:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"status": "finished"}, "status"),
            ({"overdue": "maybe"}, "overdue"),
            ({"due_from": "2025-13-45"}, "due_from"),
            ({"created_from": "yesterday"}, "created_from"),
            ({"colour": "red"}, "colour"),
            ({"sort_by": "colour"}, "sort_by"),
            ({"order": "sideways"}, "order"),
            ({"ordering": "-colour"}, "ordering"),
            ({"fields": "colour"}, "fields"),
            ({"fields": ","}, "fields"),
            ({"format": "pdf"}, "format"),
            ({"format": " "}, "format"),  # given empty (`format=`) it is left out: xlsx
            ({"format": "json"}, "format"),
            ({"page": "2"}, "page"),
            ({"page_size": "10"}, "page_size"),
            ({"limit": "10"}, "limit"),
        ],
    )
    def test_bad_values_are_422(self, api, params, field):
        WorkOrderFactory()
        response = api.get(url("workorders"), params)
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert field in error["errors"], error
        assert response["Content-Type"] == "application/json"

    def test_bad_format_lists_the_choices(self, api):
        error = assert_error(api.get(url("items"), {"format": "pdf"}), 422, "VALIDATION_ERROR")
        assert error["errors"] == {"format": ["Must be one of: xlsx, csv."]}

    def test_errors_stay_json_whatever_the_accept_header(self, api):
        response = api.get(url("items"), {"format": "pdf"}, HTTP_ACCEPT=XLSX_TYPE)
        assert_error(response, 422, "VALIDATION_ERROR")
        assert response["Content-Type"] == "application/json"

    def test_an_accept_header_does_not_make_it_406(self, api):
        make_items()
        response = api.get(url("items"), {"format": "csv"}, HTTP_ACCEPT="text/csv")
        assert response.status_code == 200
        assert response["Content-Type"] == CSV_TYPE

    def test_put_and_delete_are_405(self, api):
        """GET answers the file; POST too, or a job (tests/jobs/test_export_jobs.py)."""
        assert_error(api.put(url("items"), {}, format="json"), 405, "METHOD_NOT_ALLOWED")
        assert_error(api.delete(url("items")), 405, "METHOD_NOT_ALLOWED")

    def test_anonymous_is_401(self, anon):
        ItemFactory()
        for params in ({}, {"format": "xlsx"}, {"format": "csv"}, {"format": "pdf"}):
            response = anon.get(url("items"), params)
            assert_error(response, 401, "UNAUTHORIZED")
            assert response["Content-Type"] == "application/json"


# ------------------------------------------------------------------------ roles
@pytest.mark.django_db
class TestRoles:
    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("resource", list(MAKERS))
    def test_every_role_may_export(self, client_for, role, resource):
        MAKERS[resource]()
        client = client_for(role)
        for fmt in ("xlsx", "csv"):
            assert client.get(url(resource), {"format": fmt}).status_code == 200

    @pytest.mark.parametrize("resource", list(MAKERS))
    def test_no_role_is_403(self, client_for, resource):
        response = client_for("").get(url(resource))
        assert_error(response, 403, "FORBIDDEN")
        assert response["Content-Type"] == "application/json"

    def test_the_export_permission_is_what_counts(self):
        """Permissions come from the role's group: without `export_item` the viewer still
        lists items but cannot export them; other resources are untouched."""
        from django.contrib.auth.models import Group

        from workshop import roles

        ItemFactory()
        Group.objects.get(name="viewer").permissions.remove(Permission.objects.get(codename="export_item"))
        roles._GROUP_PERMISSIONS.clear()  # what a process sees within a minute
        client = bearer_client(UserFactory(role="viewer"))
        assert client.get("/api/v1/items/").status_code == 200
        assert_error(client.get(url("items")), 403, "FORBIDDEN")
        assert client.get(url("equipment")).status_code == 200

    def test_permissions_granted_outside_a_role_do_not_count(self):
        ItemFactory()
        loner = UserFactory(role="")
        loner.user_permissions.add(Permission.objects.get(codename="export_item"))
        assert_error(bearer_client(loner).get(url("items")), 403, "FORBIDDEN")

    def test_operator_exports_every_row_not_just_their_own(self, client_for):
        operator = client_for("operator")
        WorkOrderFactory(order_id="WO-MINE", created_by=operator.user)
        WorkOrderFactory(order_id="WO-THEIRS")
        rows = xlsx_rows(export_ok(operator, "workorders"))
        assert [r[0] for r in rows[1:]] == ["WO-MINE", "WO-THEIRS"]


# ------------------------------------------------------------------------ hostile values
@pytest.mark.django_db
class TestFormulaNeutralisation:
    @pytest.fixture
    def employees(self):
        for i, name in enumerate(HOSTILE):
            EmployeeFactory(employee_id=f"EMP-{i:02d}", name=name, role="=cmd|' /C calc'!A0")
        return HOSTILE

    def test_xlsx_text_cells_read_back_unchanged(self, api, employees):
        content = export_ok(api, "employees")
        sheet = xlsx_sheet(content)
        names = [sheet.cell(row=r, column=2) for r in range(2, 2 + len(employees))]
        # openpyxl does not undo OOXML's escape of a carriage return (Excel and calamine do).
        assert [c.value for c in names] == [v.replace("\r", "_x000D_") for v in employees]
        assert {c.data_type for c in names} == {"s"}  # text, not a formula ("f") or an error ("e")
        assert sheet["C2"].value == "=cmd|' /C calc'!A0" and sheet["C2"].data_type == "s"
        # No formula anywhere in the file.
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            xml = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in xml and "<f " not in xml
        # python-calamine reads the same strings.
        assert [row[1] for row in calamine_rows(content)[1:]] == employees

    def test_csv_gets_a_leading_apostrophe(self, api, employees):
        rows = csv_rows(export_ok(api, "employees", "csv"))[1:]
        expected = [("'" + v) if v[0] in "=+-@\t\r" else v for v in employees]
        assert [row[1] for row in rows] == expected
        assert rows[0][2] == "'=cmd|' /C calc'!A0"

    def test_carriage_returns_and_ooxml_escapes_survive_in_xlsx(self, api):
        values = ["a\r\nb", "\r", "x_x000D_y", "_x005F_", "_x12_", "a_b"]
        for i, name in enumerate(values):
            EmployeeFactory(employee_id=f"EMP-{i:02d}", name=name)
        content = export_ok(api, "employees")
        assert [row[1] for row in calamine_rows(content)[1:]] == values
        assert [r[1] for r in csv_rows(export_ok(api, "employees", "csv"))[1:]] == [
            "a\r\nb",
            "'\r",
            "x_x000D_y",
            "_x005F_",
            "_x12_",
            "a_b",
        ]

    def test_harmless_text_is_left_alone(self, api):
        values = ["a=b", "O'Brien", "5-10 kg", " =x", "50%", "00123", "TRUE"]
        for i, name in enumerate(values):
            EmployeeFactory(employee_id=f"EMP-{i:02d}", name=name)
        assert [r[1] for r in xlsx_rows(export_ok(api, "employees"))[1:]] == values
        assert [r[1] for r in csv_rows(export_ok(api, "employees", "csv"))[1:]] == values

    def test_every_text_column_is_neutralised(self, api):
        welder = EmployeeFactory(employee_id="@EMP")
        WorkOrderFactory(order_id="-WO", client="=A", description="+B", due_date=None, assigned_welder=welder)
        assert csv_rows(export_ok(api, "workorders", "csv"))[1] == [
            "'-WO",
            "'=A",
            "'+B",
            "pending",
            "",
            "'@EMP",
            "",
        ]
        row = xlsx_rows(export_ok(api, "workorders"))[1]
        assert (row[0], row[1], row[2], row[5]) == ("-WO", "=A", "+B", "@EMP")

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_illegal_control_characters_are_removed(self, api, fmt):
        # U+0000 is left out: PostgreSQL cannot store it in text at all.
        EmployeeFactory(employee_id="EMP-01", name="Jo\x07hn\x0b Doe\x1b", role="\x01=1+1")
        EmployeeFactory(employee_id="EMP-02", name="\x08\x0c", role="Tab\tand\nnew line")
        content = export_ok(api, "employees", fmt)
        if fmt == "xlsx":
            sheet = xlsx_sheet(content)
            assert (sheet["B2"].value, sheet["C2"].value, sheet["C2"].data_type) == ("John Doe", "=1+1", "s")
            assert (sheet["B3"].value, sheet["C3"].value) == (None, "Tab\tand\nnew line")
        else:
            rows = csv_rows(content)
            assert rows[1][1:3] == ["John Doe", "'=1+1"]
            assert rows[2][1:3] == ["", "Tab\tand\nnew line"]

    def test_unicode_survives(self, api):
        EmployeeFactory(employee_id="EMP-01", name="Zoë Øster-Łukasiewicz 溶接")
        assert xlsx_rows(export_ok(api, "employees"))[1][1] == "Zoë Øster-Łukasiewicz 溶接"
        assert csv_rows(export_ok(api, "employees", "csv"))[1][1] == "Zoë Øster-Łukasiewicz 溶接"


# ------------------------------------------------------------------------ queries
@pytest.mark.django_db
class TestQueries:
    @staticmethod
    def queries(client, resource: str, fmt: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url(resource), {"format": fmt})
            body(response)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_constant_whatever_the_row_count(self, api, fmt, django_assert_max_num_queries):
        welder = EmployeeFactory()
        order = WorkOrderFactory(assigned_welder=welder)
        InspectionFactory(work_order=order)
        one = {r: self.queries(api, r, fmt) for r in ("workorders", "inspections")}
        # Past one chunk of the database iterator (2000 rows).
        WorkOrder.objects.bulk_create(
            WorkOrder(order_id=f"WO-{i:05d}", client="A", assigned_welder=welder) for i in range(2100)
        )
        orders = list(WorkOrder.objects.values_list("pk", flat=True)[:50])
        Inspection.objects.bulk_create(
            Inspection(inspection_id=f"QC-{i:05d}", work_order_id=orders[i % 50], result="pass")
            for i in range(2100)
        )
        for resource in ("workorders", "inspections"):
            with django_assert_max_num_queries(one[resource]):
                response = api.get(url(resource), {"format": fmt})
                assert len(xlsx_rows(body(response)) if fmt == "xlsx" else csv_rows(body(response))) > 2100
        assert max(one.values()) <= 2  # the rows, and the user's permissions at most

    def test_one_query_for_the_rows_as_a_viewer(self, client_for):
        make_workorders()
        viewer = client_for("viewer")
        with CaptureQueriesContext(connection) as ctx:
            body(viewer.get(url("workorders")))
        row_queries = [q for q in ctx.captured_queries if "workorders_workorder" in q["sql"]]
        assert len(row_queries) == 1, ctx.captured_queries


# ------------------------------------------------------------------------ the command
class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
class TestCommand:
    def test_writes_the_whole_table_as_xlsx(self, tmp_path):
        expected = make_workorders()
        target = tmp_path / "orders.xlsx"
        out, err = io.StringIO(), io.StringIO()
        call_command("export_excel", "workorders", str(target), stdout=out, stderr=err)
        rows = xlsx_rows(target.read_bytes())
        assert list(rows[0]) == HEADERS["workorders"]
        assert rows[1:] == [tuple(as_xlsx(v) for v in row) for row in expected]
        assert "2 work orders" in out.getvalue() and str(target) in out.getvalue()
        assert err.getvalue() == ""  # no progress bar when stderr is not a terminal
        assert not list(tmp_path.glob("*.part"))

    def test_format_from_the_suffix_or_the_option(self, tmp_path, settings):
        settings.TIME_ZONE = "Europe/Berlin"
        expected = make_inspections()
        call_command("export_excel", "inspections", str(tmp_path / "qc.CSV"), stdout=io.StringIO())
        rows = csv_rows((tmp_path / "qc.CSV").read_bytes())
        assert rows[1:] == [[as_csv(v) for v in row] for row in expected]
        call_command(
            "export_excel", "inspections", str(tmp_path / "qc.txt"), "--format", "csv", stdout=io.StringIO()
        )
        assert (tmp_path / "qc.txt").read_bytes() == (tmp_path / "qc.CSV").read_bytes()

    def test_same_file_as_the_api(self, api, tmp_path):
        make_equipment()
        call_command("export_excel", "equipment", str(tmp_path / "eq.csv"), stdout=io.StringIO())
        assert (tmp_path / "eq.csv").read_bytes() == export_ok(api, "equipment", "csv")
        call_command("export_excel", "equipment", str(tmp_path / "eq.xlsx"), stdout=io.StringIO())
        assert xlsx_rows((tmp_path / "eq.xlsx").read_bytes()) == xlsx_rows(export_ok(api, "equipment"))

    def test_progress_bar_on_a_terminal(self, tmp_path):
        Employee.objects.bulk_create(Employee(employee_id=f"EMP-{i:04d}", name=f"W {i}") for i in range(2500))
        err = FakeTTY()
        call_command("export_excel", "employees", str(tmp_path / "e.xlsx"), stdout=io.StringIO(), stderr=err)
        assert "2500/2500" in err.getvalue()
        assert len(xlsx_rows((tmp_path / "e.xlsx").read_bytes())) == 2501

    def test_unknown_resource_lists_the_choices(self, tmp_path):
        with pytest.raises(CommandError) as info:
            call_command("export_excel", "machines", str(tmp_path / "m.xlsx"))
        message = str(info.value)
        for resource in MAKERS:
            assert resource in message
        assert not (tmp_path / "m.xlsx").exists()

    @pytest.mark.parametrize("args", [["x.pdf"], ["x"], ["x.xlsx", "--format", "pdf"]])
    def test_unknown_format_is_refused(self, tmp_path, args):
        path, *rest = args
        with pytest.raises(CommandError):
            call_command("export_excel", "items", str(tmp_path / path), *rest)
        assert list(tmp_path.iterdir()) == []

    def test_missing_folder_is_a_clear_error(self, tmp_path):
        with pytest.raises(CommandError, match="No such folder"):
            call_command("export_excel", "items", str(tmp_path / "nope" / "i.xlsx"))


# ------------------------------------------------------------------------ schema
def test_schema_documents_the_export():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for resource in MAKERS:
        operation = schema["paths"][f"/api/v1/{resource}/export/"]["get"]
        content = operation["responses"]["200"]["content"]
        # as bytes too, for generated clients
        assert set(content) == {XLSX_TYPE, "text/csv", "application/octet-stream"}
        assert all(c["schema"] == {"type": "string", "format": "binary"} for c in content.values())
        params = {p["name"]: p for p in operation["parameters"]}
        assert set(params["format"]["schema"]["enum"]) == {"xlsx", "csv"}
        assert params["format"]["schema"]["default"] == "xlsx"
        assert {"search", "sort_by", "created_from"} <= set(params)
        assert not {"page", "page_size", "skip", "limit"} & set(params)
        assert {"401", "403", "422"} <= set(operation["responses"])
        assert operation["summary"].startswith("Export ")
    params = {p["name"] for p in schema["paths"]["/api/v1/workorders/export/"]["get"]["parameters"]}
    assert {"status", "overdue", "due_from", "assigned_welder"} <= params


# ------------------------------------------------------------------------ export → import
def snapshot(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def make_everything():
    """Every resource with awkward but valid values (ones the API itself accepts)."""
    john = EmployeeFactory(
        employee_id="EMP-01", name="John Doe", role="=Senior Welder", certification_expiry=None
    )
    EmployeeFactory(
        employee_id="EMP-02", name="Zoë Øster 溶接", role="", certification_expiry=dt.date(2025, 6, 30)
    )
    EquipmentFactory(
        equipment_id="EQ-01", status="out_of_order", last_service_date=None, service_interval_days=None
    )
    eq2 = EquipmentFactory(
        equipment_id="EQ-02",
        name="#N/A",
        last_service_date=dt.date(2024, 2, 29),
        calibration_interval_days=365,
    )
    # Calibrations (issue 13): a failed one without a grade, one passing (the certificate no. a formula).
    from tests.factories import EquipmentCalibrationFactory

    EquipmentCalibrationFactory(
        equipment=eq2, result="fail", accuracy_grade="", certificate_no="", performed_on=dt.date(2024, 2, 29)
    )
    EquipmentCalibrationFactory(
        equipment=eq2,
        kind="calibration",
        accuracy_grade="precision",
        certificate_no="=VAL-1",
        valid_until=dt.date(2025, 7, 1),
    )
    ItemFactory(item_id="INV-001", item_name="+44 rods", quantity=0, unit="", reorder_level=0)
    wire = ItemFactory(item_id="INV-002", item_name="-5 kg wire", quantity=1000000, unit="kg")
    ConsumableLotFactory(
        lot_id="LOT-01",
        item=wire,
        designation="ISO 14341-A G 42 4 M21 3Si1",
        aws_class="ER70S-6",
        heat_number="0042",  # leading zeros: text, not a number
        certificate_type="3.1",
        certificate_no="=CERT-1",
        expires_on=dt.date(2024, 2, 29),
    )
    ConsumableLotFactory(
        lot_id="LOT-02",
        item=wire,
        designation="-E 42 4 B 42 H5",
        filler_group="",
        heat_number="",
        certificate_type="",
        expires_on=None,
    )
    order = WorkOrderFactory(
        order_id="WO-1000",
        client="@Acme",
        description="Line one\r\nline two_x000D_ and a tab\there",
        status="on_hold",
        due_date=dt.date(2025, 11, 25),
        assigned_welder=john,
    )
    WorkOrderFactory(order_id="WO-1001", client="=1+1", description="", due_date=None, assigned_welder=None)
    # Completed: at a recorded time (microseconds and all), and before completed_at existed (null).
    WorkOrderFactory(order_id="WO-1002", status="completed", completed_at=INSPECTED_AT, assigned_welder=None)
    WorkOrderFactory(order_id="WO-1003", status="completed", completed_at=None, assigned_welder=None)
    InspectionFactory(
        inspection_id="QC-100",
        work_order=order,
        result="fail",
        defect_type="lack_of_fusion",
        method="RT",
        inspected_at=INSPECTED_AT,
        notes='=HYPERLINK("http://x")',
    )
    InspectionFactory(
        inspection_id="QC-101",
        work_order=order,
        inspector="",
        inspected_at=dt.datetime(2025, 3, 30, 0, 59, 59, 999999, tzinfo=dt.UTC),  # just before DST
    )
    # Welding (WELDING.md §5): a WPS with a root process, a pipe weld, weld-log entries (one
    # overridden, as a manager saved it).
    from tests.factories import WeldActivityFactory, WelderQualificationFactory, WeldFactory, WpsFactory

    wps = WpsFactory(wps_id="WPS-135-01", root_process="141", diameter_min_mm=20, filler_designation="=G3Si1")
    WpsFactory(wps_id="WPS-141-01", status="draft", process="141", positions=["PA"], thickness_max_mm=None)
    weld = WeldFactory(weld_id="W1", order=order, wps=wps, product_form="T", diameter_mm=60)
    WeldFactory(weld_id="W2", order=order, wps=None, length_mm=None, ndt_required=["VT", "UT"])
    WeldActivityFactory(weld=weld, welder=john, welded_on=dt.date(2025, 6, 1), arc_seconds=90)
    WeldActivityFactory(
        weld=weld,
        welder=john,
        welded_on=dt.date(2025, 6, 2),
        layer="repair",
        override_reason="=Accepted by NCR-7",
    )
    # Findings (issue 13): on the legacy-failed QC-100, a rejected finding with every field
    # (a formula-looking location) and an accepted one; a crater crack accepted at D on QC-101.
    from inspections.models import Inspection
    from tests.factories import WeldFindingFactory

    qc100 = Inspection.objects.get(inspection_id="QC-100")
    WeldFindingFactory(
        inspection=qc100,
        code="4011",
        verdict="reject",
        size_mm=1.5,
        length_mm=20,
        location="=root",
        quality_level="B",
    )
    WeldFindingFactory(inspection=qc100, code="602", verdict="accept")
    WeldFindingFactory(
        inspection=Inspection.objects.get(inspection_id="QC-101"),
        code="104",
        verdict="accept",
        quality_level="D",
    )
    # Welding (issue 12): one qualification per standard, with and without a diameter range.
    WelderQualificationFactory(qualification_id="ISO-135-01", employee=john, filler_groups=[])
    WelderQualificationFactory(
        qualification_id="ASME-141-02",
        employee=john,
        standard="asme_ix",
        revalidation_method="",
        process="141",
        product_forms=["P", "T"],
        thickness_max_mm=None,
        diameter_min_mm=25,
        diameter_max_mm=None,
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("berlin")
def test_export_then_import_changes_nothing(api, settings):
    from tests.imports.workbooks import upload

    settings.RATELIMIT_ENABLE = False  # more resources than the 10 imports a minute allowed

    make_everything()
    for resource, spec in registry().items():
        before = snapshot(spec.model)
        content = export_ok(api, resource)
        response = api.post(
            f"/api/v1/{resource}/import/", {"file": upload(content, f"{resource}.xlsx")}, format="multipart"
        )
        assert response.status_code == 201, (resource, response.json())
        result = response.json()
        rows = len(before)
        assert (result["rows_total"], result["rows_created"], result["rows_updated"]) == (rows, 0, 0), (
            resource,
            result,
        )
        assert snapshot(spec.model) == before, resource


# Texts that start like the export's own marks — an apostrophe before a formula character or
# before another apostrophe — and words the import reads as an empty cell: all valid through
# the API, all must come back as they were.
QUOTED = [
    "'=already quoted",
    "''",
    "'",
    "''=x",
    "'''",
    "'Quoted",
    "'-5 kg",
    "'@x",
    "'+1",
    "'\t=x",
    "=x",
    "O'Brien",
    "None",
    "null",
    "NULL",
    "'None",
]


def csv_saved_as_xlsx(content: bytes) -> bytes:
    """What a spreadsheet saves after opening the .csv: the same texts, in text cells (a
    carriage return as OOXML writes it)."""
    rows = [[ooxml_escape(value) for value in row] for row in csv_rows(content)]
    return wb.package(wb.sheet_xml([wb.text_row(n, values) for n, values in enumerate(rows, start=1)]))


def import_back(client, content: bytes, fmt: str) -> dict:
    if fmt == "csv":
        content = csv_saved_as_xlsx(content)
    response = client.post("/api/v1/workorders/import/", {"file": wb.upload(content)}, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.django_db
class TestQuotedTextsRoundTrip:
    @pytest.fixture
    def orders(self, api):
        for i, value in enumerate(QUOTED):
            response = api.post(
                "/api/v1/workorders/",
                {"order_id": f"WO-{i:02d}", "client": value, "description": value},
                format="json",
            )
            assert response.status_code == 201, response.json()
            assert (response.json()["client"], response.json()["description"]) == (value, value)
        return QUOTED

    def test_the_export_adds_one_apostrophe(self, api, orders):
        expected_xlsx = {
            "'=already quoted": "''=already quoted",
            "''": "'''",
            "'-5 kg": "''-5 kg",
            "'@x": "''@x",
            "'+1": "''+1",
            "''=x": "'''=x",
            "'''": "''''",
            "'\t=x": "''\t=x",
            "None": "'None",
            "null": "'null",
            "NULL": "'NULL",
            "'None": "''None",
        }
        rows = xlsx_rows(export_ok(api, "workorders"))[1:]
        assert [row[1] for row in rows] == [expected_xlsx.get(v, v) for v in orders]
        # .csv: the same, and a formula character first gets its own `'` as before.
        expected_csv = {**expected_xlsx, "=x": "'=x"}
        rows = csv_rows(export_ok(api, "workorders", "csv"))[1:]
        assert [row[1] for row in rows] == [expected_csv.get(v, v) for v in orders]

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_export_then_import_changes_nothing(self, api, orders, fmt):
        before = snapshot(WorkOrder)
        result = import_back(api, export_ok(api, "workorders", fmt), fmt)
        assert (result["rows_total"], result["rows_updated"]) == (len(orders), 0)
        assert snapshot(WorkOrder) == before

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_leading_whitespace_is_trimmed_by_the_api_and_the_import_alike(self, api, fmt):
        """No stored text starts with a tab or a carriage return: the API trims every text,
        and so does the import. One written some other way comes back trimmed."""
        response = api.post(
            "/api/v1/workorders/",
            {"order_id": "WO-1", "client": "\t=x", "description": "\r\tx "},
            format="json",
        )
        assert (response.json()["client"], response.json()["description"]) == ("=x", "x")
        WorkOrderFactory(order_id="WO-2", client="\t=x", description="\rx")  # not through the API
        import_back(api, export_ok(api, "workorders", fmt), fmt)
        assert list(WorkOrder.objects.order_by("order_id").values_list("client", "description")) == [
            ("=x", "x"),
            ("=x", "x"),
        ]
