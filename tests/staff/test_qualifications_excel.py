"""Qualifications in Excel (WELDING.md §5): the shop's headers, export → import unchanged,
one bad row → 422 with its row error and nothing written."""

import datetime as dt
import io

import openpyxl
import pytest

from staff.models import QualificationEvent, WelderQualification
from tests.contract import assert_error
from tests.factories import EmployeeFactory, QualificationEventFactory, WelderQualificationFactory
from tests.workbooks import workbook_upload

QUALS = "/api/v1/qualifications/"
HEADERS = [
    "QualificationID",
    "EmployeeID",
    "Standard",
    "Process",
    "ProductForms",
    "WeldTypes",
    "FillerGroups",
    "ThicknessMin",
    "ThicknessMax",
    "DiameterMin",
    "DiameterMax",
    "Positions",
    "TestDate",
    "Method",
    "LastConfirmed",
]


def snapshot():
    return list(
        WelderQualification.objects.order_by("qualification_id").values_list(
            "qualification_id",
            "employee__employee_id",
            "standard",
            "process",
            "product_forms",
            "weld_types",
            "filler_groups",
            "thickness_min_mm",
            "thickness_max_mm",
            "diameter_min_mm",
            "diameter_max_mm",
            "positions",
            "test_date",
            "revalidation_method",
            "updated_at",
        )
    )


def upload(api, rows, **data):
    return api.post(f"{QUALS}import/", {"file": workbook_upload(rows), **data}, format="multipart")


@pytest.mark.django_db
class TestExcel:
    def make(self):
        emp = EmployeeFactory(employee_id="EMP-01")
        q1 = WelderQualificationFactory(qualification_id="ISO-135-01", employee=emp)
        QualificationEventFactory(qualification=q1, kind="confirmation", on_date=dt.date(2025, 9, 1))
        WelderQualificationFactory(
            qualification_id="ASME-141-02",
            employee=emp,
            standard="asme_ix",
            revalidation_method="",
            process="141",
            product_forms=["P", "T"],
            positions=["PA", "H-L045"],
            filler_groups=[],
            thickness_max_mm=None,
            diameter_min_mm=25,
        )

    def test_csv_export_has_the_headers(self, api):
        self.make()
        response = api.get(f"{QUALS}export/", {"format": "csv"})
        content = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
        assert content[0].split(",") == HEADERS and len(content) == 3

    @pytest.mark.parametrize("fmt", ["xlsx"])
    def test_export_then_import_changes_nothing(self, api, fmt):
        self.make()
        response = api.get(f"{QUALS}export/", {"format": fmt})
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
        if fmt == "xlsx":
            rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.values)
            assert list(rows[0]) == HEADERS
            assert rows[1][:7] == ("ASME-141-02", "EMP-01", "asme_ix", "141", "P, T", "BW, FW", None) or rows[
                2
            ][:7] == ("ASME-141-02", "EMP-01", "asme_ix", "141", "P, T", "BW, FW", None)
        before = snapshot()
        name = f"q.{fmt}"
        from django.core.files.uploadedfile import SimpleUploadedFile

        result = api.post(
            f"{QUALS}import/",
            {"file": SimpleUploadedFile(name, content, "application/octet-stream")},
            format="multipart",
        )
        assert result.status_code == 201, result.json()
        assert (result.json()["rows_created"], result.json()["rows_updated"]) == (0, 0)
        assert snapshot() == before

    def test_import_creates_with_labels(self, api):
        EmployeeFactory(employee_id="EMP-07")
        rows = [
            HEADERS,
            [
                "ISO-135-07",
                "EMP-07",
                "iso_9606_1",
                "MAG",
                "P",
                "BW, FW",
                "FM1",
                3,
                20,
                None,
                None,
                "PA, 3G",
                dt.date(2025, 3, 10),
                "9.3b",
            ],
        ]
        response = upload(api, rows)
        assert response.status_code == 201, response.json()
        q = WelderQualification.objects.get(qualification_id="ISO-135-07")
        assert (q.process, q.positions, q.employee.employee_id) == ("135", ["PA", "PF"], "EMP-07")
        body = api.get(f"{QUALS}{q.pk}/", {"as_of": "2025-06-01"}).json()
        assert body["status"] == "valid" and body["continuity_due"] == "2025-09-10"

    def test_a_bad_row_is_422_and_nothing_is_written(self, api):
        EmployeeFactory(employee_id="EMP-07")
        good = [
            "ISO-135-07",
            "EMP-07",
            "iso_9606_1",
            "135",
            "P",
            "BW",
            "",
            3,
            20,
            None,
            None,
            "PA",
            dt.date(2025, 3, 10),
            "9.3b",
        ]
        rows = [
            HEADERS,
            good,
            [
                "ISO-135-08",
                "EMP-07",
                "iso_9606_1",
                "135",
                "P",
                "BW",
                "",
                20,
                3,
                None,
                None,
                "PA",
                dt.date(2025, 3, 10),
                "9.3b",
            ],
            [
                "ISO-135-09",
                "EMP-99",
                "asme_ix",
                "135",
                "P",
                "BW",
                "",
                3,
                20,
                None,
                None,
                "PZ",
                dt.date(2025, 3, 10),
                "",
            ],
        ]
        body = assert_error(upload(api, rows), 422, "VALIDATION_ERROR")
        rows_with_errors = {e["row"] for e in body["errors"]}
        assert rows_with_errors == {3, 4}, body["errors"]
        assert not WelderQualification.objects.exists()

    @pytest.mark.parametrize("role", ["operator", "viewer"])
    def test_operator_and_viewer_may_not_import(self, client_for, role):
        EmployeeFactory(employee_id="EMP-07")
        rows = [
            HEADERS,
            [
                "ISO-135-07",
                "EMP-07",
                "iso_9606_1",
                "135",
                "P",
                "BW",
                "",
                3,
                20,
                None,
                None,
                "PA",
                dt.date(2025, 3, 10),
                "9.3b",
            ],
        ]
        assert_error(upload(client_for(role), rows), 403, "FORBIDDEN")
        assert not WelderQualification.objects.exists()


def qualification_row(last_confirmed, *, qid="ISO-135-07", standard="iso_9606_1", method="9.3b"):
    return [
        qid, "EMP-07", standard, "135", "P", "BW, FW", "FM1", 3, 20, None, None, "PA",
        dt.date(2025, 3, 10), method, last_confirmed,
    ]  # fmt: skip


@pytest.mark.django_db
class TestLastConfirmed:
    """`LastConfirmed` (WELDING.md §5) records a confirmation with the override reason
    "imported"; an export writes the latest confirmation or revalidation back."""

    def confirmations(self):
        return list(
            QualificationEvent.objects.order_by("on_date").values_list(
                "qualification__qualification_id", "kind", "on_date", "override_reason"
            )
        )

    def test_it_records_a_confirmation_that_moves_the_due_date(self, api):
        EmployeeFactory(employee_id="EMP-07")
        response = upload(api, [HEADERS, qualification_row(dt.date(2025, 9, 1))])
        assert response.status_code == 201, response.json()
        assert self.confirmations() == [("ISO-135-07", "confirmation", dt.date(2025, 9, 1), "imported")]
        q = WelderQualification.objects.get()
        body = api.get(f"{QUALS}{q.pk}/", {"as_of": "2025-10-01"}).json()
        assert (body["continuity_due"], body["status"]) == ("2026-03-01", "valid")
        # A later date on an existing qualification: the row is updated, one more confirmation.
        again = upload(api, [HEADERS, qualification_row(dt.date(2026, 2, 20))]).json()
        assert (again["rows_total"], again["rows_created"], again["rows_updated"]) == (1, 0, 1)
        assert [c[2] for c in self.confirmations()] == [dt.date(2025, 9, 1), dt.date(2026, 2, 20)]
        # The same or an earlier date changes nothing.
        same = upload(api, [HEADERS, qualification_row(dt.date(2025, 12, 1))]).json()
        assert (same["rows_total"], same["rows_updated"]) == (1, 0)
        assert len(self.confirmations()) == 2

    def test_the_export_writes_the_latest_and_a_dry_run_writes_nothing(self, api):
        EmployeeFactory(employee_id="EMP-07")
        q = WelderQualificationFactory(
            qualification_id="ISO-135-07", employee=EmployeeFactory(employee_id="EMP-08")
        )
        QualificationEventFactory(qualification=q, kind="confirmation", on_date=dt.date(2025, 9, 1))
        QualificationEventFactory(qualification=q, kind="revalidation", on_date=dt.date(2026, 2, 1))
        content = b"".join(api.get(f"{QUALS}export/", {"format": "xlsx"}).streaming_content)
        rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.values)
        assert rows[0][-1] == "LastConfirmed" and rows[1][-1] == dt.datetime(2026, 2, 1)
        dry = api.post(
            f"{QUALS}import/",
            {"file": workbook_upload([HEADERS, qualification_row(dt.date(2026, 3, 1))]), "dry_run": "true"},
            format="multipart",
        )
        assert dry.status_code == 201, dry.json()
        assert dry.json()["rows_updated"] == 1
        assert len(self.confirmations()) == 2

    @pytest.mark.parametrize(
        ("row", "message"),
        [
            (qualification_row(dt.date(2025, 3, 9)), "before the test date"),
            (qualification_row(dt.date(2999, 1, 1)), "future"),
            (
                qualification_row(dt.date(2025, 9, 1), qid="ASME-135-07", standard="asme_ix", method=""),
                "ISO 9606-1",
            ),
            (qualification_row("soon"), "date"),
        ],
    )
    def test_a_bad_last_confirmed_is_a_row_error_and_nothing_is_written(self, api, row, message):
        EmployeeFactory(employee_id="EMP-07")
        body = assert_error(
            upload(api, [HEADERS, qualification_row(None, qid="ISO-135-06"), row]), 422, "VALIDATION_ERROR"
        )
        assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "LastConfirmed")], body["errors"]
        assert message.lower() in body["errors"][0]["message"].lower()
        assert not WelderQualification.objects.exists() and not QualificationEvent.objects.exists()
