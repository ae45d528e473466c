"""Calibrations through HTTP (WELDING.md §1, §2, §4, §5; cases 29 and 30): the resource and
its roles, the certificate file, the equipment's calibration status as of `as_of`, the
weld log's EQUIPMENT_VALIDATION warning, imports and exports, query counts."""

import datetime as dt
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from equipment.models import Equipment, EquipmentCalibration
from equipment.views import EquipmentCalibrationViewSet
from tests.contract import DOMAIN_WRITERS, ExtraAction, ResourceContract, assert_error
from tests.factories import (
    EmployeeFactory,
    EquipmentCalibrationFactory,
    EquipmentFactory,
    WelderQualificationFactory,
    WeldFactory,
    WorkOrderFactory,
    WpsFactory,
)
from tests.imports.test_export import export_ok, xlsx_rows
from tests.workbooks import workbook_upload
from workorders.models import WeldActivity

pytestmark = pytest.mark.django_db

URL = "/api/v1/calibrations/"
EQUIPMENT = "/api/v1/equipment/"
LOG = "/api/v1/weld-log/"
D = dt.date


@pytest.fixture(autouse=True)
def _fresh_media(settings, tmp_path):
    """Certificates land in a fresh temp MEDIA_ROOT (local storage), so none is left over."""
    settings.MEDIA_ROOT = tmp_path / "media"


# ------------------------------------------------------------------ real small files
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, grey
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """A JPEG's start (SOI, a JFIF APP0 segment) and end (EOI): what the sniffing reads."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# ------------------------------------------------------------------ the contract
class TestCalibrationContract(ResourceContract):
    url = URL
    viewset = EquipmentCalibrationViewSet
    factory = EquipmentCalibrationFactory
    sort_field = "performed_on"
    max_list_queries = 3  # auth user, count, page with its machine joined
    # WELDING.md §4: calibrations are written by managers and admins only (the contract's default).

    def create_payload(self):
        machine = EquipmentFactory(calibration_interval_days=180)
        return {
            "equipment": machine.equipment_id,
            "kind": "validation",
            "accuracy_grade": "precision",
            "performed_on": "2025-01-10",
            "certificate_no": "VAL-2025-001",
            "result": "pass",
            "valid_until": "2025-12-31",
        }

    def patch_payload(self, obj):
        return {"certificate_no": "VAL-9", "result": "fail"}

    def invalid_payloads(self):
        machine = EquipmentFactory(equipment_id="EQ-BAD")
        ok = {
            "equipment": machine.equipment_id,
            "kind": "validation",
            "performed_on": "2025-01-10",
            "result": "pass",
        }
        return [
            ("no equipment", {k: v for k, v in ok.items() if k != "equipment"}),
            ("unknown equipment", {**ok, "equipment": "EQ-404"}),
            ("equipment null", {**ok, "equipment": None}),
            ("no kind", {k: v for k, v in ok.items() if k != "kind"}),
            ("unknown kind", {**ok, "kind": "inspection"}),
            ("unknown grade", {**ok, "accuracy_grade": "coarse"}),
            ("no performed_on", {k: v for k, v in ok.items() if k != "performed_on"}),
            ("performed_on not a date", {**ok, "performed_on": "last week"}),
            ("performed_on impossible", {**ok, "performed_on": "2025-02-30"}),
            ("performed in the future", {**ok, "performed_on": "2999-01-01"}),
            ("no result", {k: v for k, v in ok.items() if k != "result"}),
            ("unknown result", {**ok, "result": "maybe"}),
            ("valid_until before performed_on", {**ok, "valid_until": "2025-01-09"}),
            ("valid_until not a date", {**ok, "valid_until": "soon"}),
            ("measurements a list", {**ok, "measurements": [1, 2]}),
            ("measurements a number", {**ok, "measurements": 3}),
            ("measurements a text", {**ok, "measurements": "200 A"}),
            ("certificate no over 100", {**ok, "certificate_no": "C" * 101}),
        ]

    def extra_actions(self):
        # The certificate's upload: the role check passes for managers and admins, whose JSON
        # body is then refused as not multipart (the real uploads are tested below).
        return [ExtraAction("upload", "post", "certificate", allowed=DOMAIN_WRITERS, success=415)]


# ------------------------------------------------------------------ the resource
class TestCalibrations:
    def test_valid_until_defaults_to_the_equipments_interval(self, api):
        machine = EquipmentFactory(equipment_id="EQ-30", calibration_interval_days=90)
        body = {"equipment": "EQ-30", "kind": "calibration", "performed_on": "2025-01-10", "result": "pass"}
        response = api.post(URL, body, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["valid_until"] == "2025-04-10"
        assert response.json()["measurements"] == {}
        assert response.json()["certificate"] is None
        machine.calibration_interval_days = None
        machine.save()
        response = api.post(URL, {**body, "valid_until": None}, format="json")
        assert response.json()["valid_until"] == "2026-01-10"  # 365 days without an interval

    def test_a_new_day_without_valid_until_moves_the_default(self, api):
        c = EquipmentCalibrationFactory(equipment__calibration_interval_days=30, performed_on=D(2025, 1, 10))
        response = api.patch(f"{URL}{c.pk}/", {"performed_on": "2025-03-01"}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["valid_until"] == "2025-03-31"
        response = api.patch(f"{URL}{c.pk}/", {"certificate_no": "X"}, format="json")
        assert response.json()["valid_until"] == "2025-03-31"  # kept as stored

    def test_measurements_are_a_json_object(self, api):
        EquipmentFactory(equipment_id="EQ-31")
        response = api.post(
            URL,
            {
                "equipment": "EQ-31",
                "kind": "validation",
                "performed_on": "2025-01-10",
                "result": "pass",
                "measurements": {"current_a": 200.4, "voltage_v": [24.0, 24.2]},
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert EquipmentCalibration.objects.get().measurements == {
            "current_a": 200.4,
            "voltage_v": [24.0, 24.2],
        }

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"equipment": "eq-a"}, {"A1", "A2"}),
            ({"kind": "calibration"}, {"A2"}),
            ({"result": "fail"}, {"B1"}),
            ({"result": "pass,fail"}, {"A1", "A2", "B1"}),
            ({"performed_from": "2025-02-01"}, {"A2", "B1"}),
            ({"performed_to": "2025-02-01"}, {"A1"}),
            ({"performed_from": "2025-02-01", "performed_to": "2025-03-01"}, {"A2"}),
        ],
    )
    def test_filters(self, api, params, expected):
        a, b = EquipmentFactory(equipment_id="EQ-A"), EquipmentFactory(equipment_id="EQ-B")
        EquipmentCalibrationFactory(equipment=a, certificate_no="A1", performed_on=D(2025, 1, 10))
        EquipmentCalibrationFactory(
            equipment=a, certificate_no="A2", kind="calibration", performed_on=D(2025, 2, 10)
        )
        EquipmentCalibrationFactory(
            equipment=b, certificate_no="B1", result="fail", performed_on=D(2025, 4, 1)
        )
        response = api.get(URL, params)
        assert response.status_code == 200, response.json()
        assert {r["certificate_no"] for r in response.json()["items"]} == expected

    @pytest.mark.parametrize(
        "params",
        [
            {"kind": "audit"},
            {"result": "ok"},
            {"performed_from": "yesterday"},
            {"performed_to": "2025-13-01"},
        ],
    )
    def test_bad_filters_are_422(self, api, params):
        assert_error(api.get(URL, params), 422, "VALIDATION_ERROR")

    def test_equipment_with_calibrations_is_not_deleted(self, api):
        c = EquipmentCalibrationFactory()
        assert_error(api.delete(f"{EQUIPMENT}{c.equipment_id}/"), 409, "CONFLICT")
        assert Equipment.objects.filter(pk=c.equipment_id).exists()


# ------------------------------------------------------------------ the certificate
class TestCertificate:
    @pytest.mark.parametrize(
        ("data", "name", "content_type"),
        [
            (PDF, "VAL-1.pdf", "application/pdf"),
            (png_bytes(), "scan.png", "image/png"),
            (jpeg_bytes(), "photo.jpg", "image/jpeg"),
            (PDF, "certificate.txt", "application/pdf"),  # typed by content, not by name
            (png_bytes(), "scan.pdf", "image/png"),
        ],
    )
    def test_upload_then_download(self, api, settings, data, name, content_type):
        c = EquipmentCalibrationFactory()
        response = api.post(f"{URL}{c.pk}/certificate", {"file": upload(data, name)}, format="multipart")
        assert response.status_code == 201, response.content
        assert response.json()["certificate"] == {"filename": name, "content_type": content_type}
        assert api.get(f"{URL}{c.pk}/").json()["certificate"]["content_type"] == content_type
        download = api.get(f"{URL}{c.pk}/certificate")
        if settings.STORAGE_BACKEND == "s3":
            assert download.status_code == 302
            assert "response-content-disposition=attachment" in download["Location"]
        else:
            assert download.status_code == 200
            assert download["Content-Type"] == content_type
            assert download["Content-Disposition"].startswith("attachment;")
            assert b"".join(download.streaming_content) == data

    @pytest.mark.parametrize(
        ("data", "name"),
        [
            (b"This is a certificate, honest.\n", "certificate.pdf"),
            (b"", "empty.pdf"),
            (b"PK\x03\x04 a zip, not a pdf", "certificate.png"),
            (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image.png"),
        ],
    )
    def test_anything_else_is_415_and_nothing_stored(self, api, data, name):
        c = EquipmentCalibrationFactory()
        response = api.post(f"{URL}{c.pk}/certificate", {"file": upload(data, name)}, format="multipart")
        assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
        c.refresh_from_db()
        assert not c.certificate
        assert c.certificate_filename == ""

    def test_over_the_upload_limit_is_413(self, api, settings):
        settings.UPLOAD_MAX_MB = 1
        c = EquipmentCalibrationFactory()
        big = PDF + b"%" * (1024 * 1024)
        response = api.post(f"{URL}{c.pk}/certificate", {"file": upload(big, "big.pdf")}, format="multipart")
        assert_error(response, 413, "PAYLOAD_TOO_LARGE")
        c.refresh_from_db()
        assert not c.certificate

    def test_no_file_is_422(self, api):
        c = EquipmentCalibrationFactory()
        assert_error(api.post(f"{URL}{c.pk}/certificate", {}, format="multipart"), 422, "VALIDATION_ERROR")

    def test_no_certificate_is_404(self, api):
        c = EquipmentCalibrationFactory()
        assert_error(api.get(f"{URL}{c.pk}/certificate"), 404, "NOT_FOUND")
        assert_error(api.get(f"{URL}{c.pk + 1}/certificate"), 404, "NOT_FOUND")

    def test_a_new_certificate_replaces_the_old_file(self, api, django_capture_on_commit_callbacks):
        c = EquipmentCalibrationFactory()
        api.post(f"{URL}{c.pk}/certificate", {"file": upload(PDF, "a.pdf")}, format="multipart")
        c.refresh_from_db()
        old = c.certificate.name
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                f"{URL}{c.pk}/certificate", {"file": upload(png_bytes(), "b.png")}, format="multipart"
            )
        assert response.status_code == 201
        assert not default_storage.exists(old)
        c.refresh_from_db()
        assert c.certificate_filename == "b.png"

    def test_deleting_the_calibration_deletes_its_file(self, api, django_capture_on_commit_callbacks):
        c = EquipmentCalibrationFactory()
        api.post(f"{URL}{c.pk}/certificate", {"file": upload(PDF, "a.pdf")}, format="multipart")
        c.refresh_from_db()
        name = c.certificate.name
        assert default_storage.exists(name)
        with django_capture_on_commit_callbacks(execute=True):
            assert api.delete(f"{URL}{c.pk}/").status_code == 200
        assert not default_storage.exists(name)

    @pytest.mark.parametrize("role", ["viewer", "operator"])
    def test_readers_download_but_do_not_upload(self, api, client_for, role, settings):
        c = EquipmentCalibrationFactory()
        api.post(f"{URL}{c.pk}/certificate", {"file": upload(PDF, "a.pdf")}, format="multipart")
        client = client_for(role)
        assert client.get(f"{URL}{c.pk}/certificate").status_code == (
            302 if settings.STORAGE_BACKEND == "s3" else 200
        )
        response = client.post(f"{URL}{c.pk}/certificate", {"file": upload(PDF, "b.pdf")}, format="multipart")
        assert_error(response, 403, "FORBIDDEN")
        c.refresh_from_db()
        assert c.certificate_filename == "a.pdf"

    def test_anonymous_is_401(self, anon):
        c = EquipmentCalibrationFactory()
        assert_error(anon.get(f"{URL}{c.pk}/certificate"), 401, "UNAUTHORIZED")


# ------------------------------------------------------------------ case 30: equipment status
class TestEquipmentStatus:
    @pytest.fixture
    def machine(self):
        machine = EquipmentFactory(equipment_id="EQ-30", calibration_interval_days=365)
        EquipmentCalibrationFactory(equipment=machine, performed_on=D(2025, 1, 10), valid_until=None)
        return machine

    @pytest.mark.parametrize(
        ("as_of", "status", "due"),
        [
            ("2025-12-20", "due_soon", "2026-01-10"),  # case 30
            ("2026-01-11", "overdue", "2026-01-10"),  # case 30
            ("2026-01-10", "due_soon", "2026-01-10"),  # the due day counts as valid
            ("2025-06-01", "valid", "2026-01-10"),
            ("2025-01-09", "none", None),  # not yet calibrated that day
        ],
    )
    def test_case_30(self, api, machine, as_of, status, due):
        body = api.get(f"{EQUIPMENT}{machine.pk}/", {"as_of": as_of}).json()
        assert (body["calibration_status"], body["calibration_due"]) == (status, due)
        listed = api.get(EQUIPMENT, {"as_of": as_of}).json()["items"]
        assert [(r["calibration_status"], r["calibration_due"]) for r in listed] == [(status, due)]

    def test_the_stored_valid_until_was_the_default(self, machine):
        assert machine.calibrations.get().valid_until == D(2026, 1, 10)

    def test_not_required_and_none(self, api):
        EquipmentFactory(equipment_id="EQ-N", calibration_interval_days=None)
        EquipmentFactory(equipment_id="EQ-R", calibration_interval_days=30)
        rows = api.get(EQUIPMENT, {"as_of": "2025-06-01"}).json()["items"]
        assert {r["equipment_id"]: r["calibration_status"] for r in rows} == {
            "EQ-N": "not_required",
            "EQ-R": "none",
        }

    def test_failed(self, api, machine):
        EquipmentCalibrationFactory(equipment=machine, performed_on=D(2025, 3, 1), result="fail")
        body = api.get(f"{EQUIPMENT}{machine.pk}/", {"as_of": "2025-03-01"}).json()
        assert (body["calibration_status"], body["calibration_due"]) == ("failed", "2025-03-01")

    @pytest.mark.parametrize("bad", ["2025-13-01", "soon", "2025-02-30"])
    def test_bad_as_of_is_422(self, api, machine, bad):
        body = assert_error(api.get(EQUIPMENT, {"as_of": bad}), 422, "VALIDATION_ERROR")
        assert "as_of" in body["errors"]
        body = assert_error(api.get(f"{EQUIPMENT}{machine.pk}/", {"as_of": bad}), 422, "VALIDATION_ERROR")
        assert "as_of" in body["errors"]

    def test_the_interval_is_writable_and_checked(self, api):
        response = api.post(
            EQUIPMENT, {"equipment_id": "EQ-W", "name": "W", "calibration_interval_days": 365}, format="json"
        )
        assert response.status_code == 201, response.json()
        assert response.json()["calibration_status"] == "none"
        pk = response.json()["id"]
        response = api.patch(f"{EQUIPMENT}{pk}/", {"calibration_interval_days": None}, format="json")
        assert response.json()["calibration_status"] == "not_required"
        for bad in (0, -1, "yearly", 1.5):
            response = api.patch(f"{EQUIPMENT}{pk}/", {"calibration_interval_days": bad}, format="json")
            assert_error(response, 422, "VALIDATION_ERROR")
        assert Equipment.objects.get(pk=pk).calibration_interval_days is None

    def test_read_only_fields_are_ignored(self, api):
        response = api.post(
            EQUIPMENT,
            {
                "equipment_id": "EQ-RO",
                "name": "W",
                "calibration_status": "valid",
                "calibration_due": "2030-01-01",
            },
            format="json",
        )
        assert response.status_code == 201
        assert (response.json()["calibration_status"], response.json()["calibration_due"]) == (
            "not_required",
            None,
        )

    @pytest.mark.parametrize(
        ("wanted", "expected"),
        [
            ("due_soon", {"EQ-30"}),
            ("overdue", {"EQ-OLD"}),
            ("failed", {"EQ-F"}),
            ("none", {"EQ-R"}),
            ("not_required", {"EQ-N"}),
            ("valid", {"EQ-V"}),
            ("overdue,failed", {"EQ-OLD", "EQ-F"}),
        ],
    )
    def test_filter_calibration_status(self, api, machine, wanted, expected):
        EquipmentFactory(equipment_id="EQ-N", calibration_interval_days=None)
        EquipmentFactory(equipment_id="EQ-R", calibration_interval_days=30)
        old = EquipmentFactory(equipment_id="EQ-OLD", calibration_interval_days=365)
        EquipmentCalibrationFactory(equipment=old, performed_on=D(2024, 1, 1))
        failed = EquipmentFactory(equipment_id="EQ-F", calibration_interval_days=365)
        EquipmentCalibrationFactory(equipment=failed, performed_on=D(2025, 12, 1), result="fail")
        valid = EquipmentFactory(equipment_id="EQ-V", calibration_interval_days=365)
        EquipmentCalibrationFactory(equipment=valid, performed_on=D(2025, 11, 1))
        response = api.get(EQUIPMENT, {"as_of": "2025-12-20", "calibration_status": wanted})
        assert response.status_code == 200, response.json()
        assert {r["equipment_id"] for r in response.json()["items"]} == expected
        assert {r["calibration_status"] for r in response.json()["items"]} <= set(wanted.split(","))

    def test_filter_with_other_filters_and_a_bad_status(self, api, machine):
        EquipmentFactory(equipment_id="EQ-M", status="maintenance", calibration_interval_days=None)
        response = api.get(EQUIPMENT, {"status": "maintenance", "calibration_status": "not_required"})
        assert [r["equipment_id"] for r in response.json()["items"]] == ["EQ-M"]
        assert_error(api.get(EQUIPMENT, {"calibration_status": "expired"}), 422, "VALIDATION_ERROR")

    def test_serializer_without_a_request_answers_for_today(self, machine):
        from equipment.serializers import EquipmentSerializer

        data = EquipmentSerializer(machine, context={"request": None}).data
        assert data["calibration_status"] == "overdue"  # 2026-01-10 is before today (tests run after)
        assert data["calibration_due"] == "2026-01-10"

    def test_list_queries_do_not_grow(self, api, django_assert_max_num_queries):
        for n in range(12):
            machine = EquipmentFactory(calibration_interval_days=365 if n % 3 else None)
            EquipmentCalibrationFactory(equipment=machine, performed_on=D(2025, 1, 1 + n))
            EquipmentCalibrationFactory(equipment=machine, performed_on=D(2025, 6, 1 + n), result="fail")
        # auth user, count, page, the page's calibrations; the filter: intervals, calibrations
        with django_assert_max_num_queries(4):
            assert len(api.get(EQUIPMENT, {"as_of": "2025-07-01"}).json()["items"]) == 12
        with django_assert_max_num_queries(6):
            response = api.get(EQUIPMENT, {"as_of": "2025-07-01", "calibration_status": "failed"})
        assert len(response.json()["items"]) == 8


# ------------------------------------------------------------------ case 29: the weld log
@pytest.fixture
def welding():
    emp = EmployeeFactory(employee_id="EMP-01")
    WelderQualificationFactory(qualification_id="ISO-135-01", employee=emp)
    wps = WpsFactory(wps_id="WPS-135-01")
    WeldFactory(weld_id="W1", order=WorkOrderFactory(order_id="WO-1000"), wps=wps)
    expired = EquipmentFactory(equipment_id="EQ-OLD", calibration_interval_days=365)
    EquipmentCalibrationFactory(equipment=expired, performed_on=D(2024, 5, 1), valid_until=D(2025, 5, 1))
    current = EquipmentFactory(equipment_id="EQ-NEW", calibration_interval_days=365)
    EquipmentCalibrationFactory(equipment=current, performed_on=D(2025, 5, 15))
    EquipmentFactory(equipment_id="EQ-FREE", calibration_interval_days=None)
    EquipmentFactory(equipment_id="EQ-NEVER", calibration_interval_days=365)
    return emp


def entry(**overrides):
    return {"weld": "W1", "welder": "EMP-01", "welded_on": "2025-06-01", "layer": "root", **overrides}


def warning_codes(body) -> list[str]:
    return [w["code"] for w in body["check"]["warnings"]]


class TestWeldLogWarning:
    def test_case_29_expired_validation_is_201_with_the_warning(self, api, welding):
        response = api.post(LOG, entry(equipment="EQ-OLD"), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["check"]["ok"] is True
        assert warning_codes(body) == ["EQUIPMENT_VALIDATION"]
        assert "2025-06-01" in body["check"]["warnings"][0]["message"]
        assert WeldActivity.objects.get().check_result["warnings"][0]["code"] == "EQUIPMENT_VALIDATION"

    @pytest.mark.parametrize(
        ("equipment", "day", "warned"),
        [
            ("EQ-NEW", "2025-06-01", False),  # validated that day
            ("EQ-NEW", "2025-05-14", True),  # the day before its first validation
            ("EQ-OLD", "2025-05-01", False),  # the last valid day
            ("EQ-FREE", "2025-06-01", False),  # nobody calibrates it: nothing to judge
            ("EQ-NEVER", "2025-06-01", True),  # needs calibration, none recorded
            (None, "2025-06-01", False),  # no machine named
        ],
    )
    def test_each_machine_state(self, api, welding, equipment, day, warned):
        response = api.post(LOG, entry(equipment=equipment, welded_on=day), format="json")
        assert response.status_code == 201, response.json()
        assert ("EQUIPMENT_VALIDATION" in warning_codes(response.json())) is warned

    def test_a_failed_latest_calibration_warns(self, api, welding):
        EquipmentCalibrationFactory(
            equipment=Equipment.objects.get(equipment_id="EQ-NEW"), performed_on=D(2025, 5, 20), result="fail"
        )
        response = api.post(LOG, entry(equipment="EQ-NEW"), format="json")
        assert warning_codes(response.json()) == ["EQUIPMENT_VALIDATION"]

    def test_the_dry_run_warns_too(self, api, welding):
        response = api.post("/api/v1/qualifications/check", entry(equipment="EQ-OLD"), format="json")
        assert response.status_code == 200, response.json()
        assert [w["code"] for w in response.json()["warnings"]] == ["EQUIPMENT_VALIDATION"]

    def test_an_import_warns_per_row_without_a_query_per_row(self, api, welding):
        machines = ["EQ-OLD", "EQ-NEW", "EQ-FREE", "EQ-NEVER"]
        for n in range(4):
            machine = EquipmentFactory(equipment_id=f"EQ-X{n}", calibration_interval_days=365)
            EquipmentCalibrationFactory(equipment=machine, performed_on=D(2025, 1, 1))
            machines.append(machine.equipment_id)
        header = ["WeldID", "EmployeeID", "Layer", "WeldedOn", "EquipmentID"]

        def rows(count):
            return [header] + [["W1", "EMP-01", "fill", "2025-06-01", machines[i % 8]] for i in range(count)]

        def upload_rows(count):
            return api.post(
                "/api/v1/weld-log/import/", {"file": workbook_upload(rows(count))}, format="multipart"
            )

        with CaptureQueriesContext(connection) as small:
            assert upload_rows(4).status_code == 201
        with CaptureQueriesContext(connection) as large:
            response = upload_rows(40)
        assert response.status_code == 201, response.json()
        assert len(large) <= len(small) + 2, [q["sql"][:120] for q in large.captured_queries]
        warned = {
            e.equipment.equipment_id
            for e in WeldActivity.objects.select_related("equipment")
            if "EQUIPMENT_VALIDATION" in [w["code"] for w in e.check_result["warnings"]]
        }
        assert warned == {"EQ-OLD", "EQ-NEVER"}

    def test_editing_the_weld_rechecks_with_the_machine(self, api, welding):
        api.post(LOG, entry(equipment="EQ-OLD"), format="json")
        weld_id = WeldActivity.objects.get().weld_id
        response = api.patch(f"/api/v1/welds/{weld_id}/", {"length_mm": 400}, format="json")
        assert response.status_code == 200, response.json()
        assert WeldActivity.objects.get().check_result["warnings"][0]["code"] == "EQUIPMENT_VALIDATION"


# ------------------------------------------------------------------ imports and exports
def _import(client, resource, rows):
    return client.post(f"/api/v1/{resource}/import/", {"file": workbook_upload(rows)}, format="multipart")


class TestExcel:
    HEADER = ["EquipmentID", "Kind", "Grade", "PerformedOn", "CertificateNo", "Result", "ValidUntil"]

    def test_import_creates_with_defaults(self, api):
        EquipmentFactory(equipment_id="EQ-01", calibration_interval_days=180)
        rows = [
            self.HEADER,
            ["EQ-01", "validation", "standard", "2025-01-10", "VAL-1", "pass", None],
            ["eq-01", "calibration", None, "2025-02-01", None, "fail", "2025-03-01"],
        ]
        response = _import(api, "calibrations", rows)
        assert response.status_code == 201, response.json()
        assert response.json()["rows_created"] == 2
        got = list(
            EquipmentCalibration.objects.order_by("id").values_list(
                "kind", "accuracy_grade", "valid_until", "result"
            )
        )
        assert got == [
            ("validation", "standard", D(2025, 7, 9), "pass"),
            ("calibration", "", D(2025, 3, 1), "fail"),
        ]

    @pytest.mark.parametrize(
        ("row", "column"),
        [
            (["EQ-404", "validation", "", "2025-01-10", "", "pass", ""], "EquipmentID"),
            (["EQ-01", "check", "", "2025-01-10", "", "pass", ""], "Kind"),
            (["EQ-01", "validation", "fine", "2025-01-10", "", "pass", ""], "Grade"),
            (["EQ-01", "validation", "", "someday", "", "pass", ""], "PerformedOn"),
            (["EQ-01", "validation", "", "2025-01-10", "", "ok", ""], "Result"),
            (["EQ-01", "validation", "", "2025-01-10", "", "pass", "2024-01-01"], "ValidUntil"),
        ],
    )
    def test_a_bad_row_writes_nothing(self, api, row, column):
        EquipmentFactory(equipment_id="EQ-01")
        good = ["EQ-01", "validation", "", "2025-01-10", "", "pass", ""]
        body = assert_error(_import(api, "calibrations", [self.HEADER, good, row]), 422, "VALIDATION_ERROR")
        assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, column)]
        assert not EquipmentCalibration.objects.exists()

    def test_export_then_import_changes_nothing(self, api):
        EquipmentCalibrationFactory(equipment__equipment_id="EQ-01", certificate_no="=1+1", accuracy_grade="")
        EquipmentCalibrationFactory(equipment__equipment_id="EQ-02", result="fail", kind="calibration")
        content = export_ok(api, "calibrations")
        rows = xlsx_rows(content)
        assert list(rows[0]) == ["ID", *self.HEADER]
        assert rows[1][1:] == (
            "EQ-01",
            "validation",
            None,
            dt.datetime(2025, 1, 10),
            "=1+1",
            "pass",
            dt.datetime(2026, 1, 10),
        )
        before = list(EquipmentCalibration.objects.order_by("id").values())
        response = api.post(
            "/api/v1/calibrations/import/",
            {"file": SimpleUploadedFile("c.xlsx", content)},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        assert (response.json()["rows_created"], response.json()["rows_updated"]) == (0, 0)
        assert list(EquipmentCalibration.objects.order_by("id").values()) == before

    @pytest.mark.parametrize("role", ["viewer", "operator"])
    def test_readers_export_but_do_not_import(self, client_for, role):
        EquipmentCalibrationFactory()
        client = client_for(role)
        assert client.get(f"{URL}export/").status_code == 200
        EquipmentFactory(equipment_id="EQ-01")
        response = _import(
            client, "calibrations", [self.HEADER, ["EQ-01", "validation", "", "2025-01-10", "", "pass", ""]]
        )
        assert_error(response, 403, "FORBIDDEN")
        assert EquipmentCalibration.objects.count() == 1

    def test_equipment_import_reads_the_calibration_interval(self, api):
        rows = [
            ["EquipmentID", "Name", "CalibrationInterval"],
            ["EQ-01", "MIG", 365],
            ["EQ-02", "TIG", None],
        ]
        response = _import(api, "equipment", rows)
        assert response.status_code == 201, response.json()
        assert dict(Equipment.objects.values_list("equipment_id", "calibration_interval_days")) == {
            "EQ-01": 365,
            "EQ-02": None,
        }
        body = assert_error(_import(api, "equipment", [rows[0], ["EQ-03", "X", 0]]), 422, "VALIDATION_ERROR")
        assert body["errors"][0]["column"] == "CalibrationInterval"


def test_status_counts_in_two_queries(django_assert_max_num_queries):
    from equipment.calibrations import status_counts

    EquipmentFactory(calibration_interval_days=None)
    EquipmentFactory(calibration_interval_days=30)
    for day, result in ((D(2025, 1, 10), "pass"), (D(2024, 1, 1), "pass"), (D(2025, 12, 1), "fail")):
        EquipmentCalibrationFactory(performed_on=day, result=result)
    with django_assert_max_num_queries(2):
        counts = status_counts(on=D(2025, 12, 20))
    assert counts == {"not_required": 1, "none": 1, "valid": 0, "due_soon": 1, "overdue": 1, "failed": 1}
