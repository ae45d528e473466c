"""Template uploads, the stored file, and storage failures."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from machines.models import WorkshopEntry
from tests.contract import assert_error
from tests.factories import ImportTemplateFactory
from tests.workbooks import XLSX, workbook_bytes, workbook_upload
from workshop.imports.models import ExcelImport

MAPPING = {"Date": "date", "Wire (kg)": "wire_kg", "Operator": "operator"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, template, rows, url=None, key=None):
    url = url or f"/api/v1/templates/{template.pk}/upload/"
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(url, {"file": workbook_upload(rows, "robot log.xlsx")}, format="multipart", **headers)


@pytest.mark.django_db
class TestTemplateUpload:
    def test_rows_become_entries_linked_to_the_import(self, api):
        template = ImportTemplateFactory(mapping=MAPPING)
        rows = [
            ["Date", "Wire (kg)", "Operator", "Unmapped"],
            [dt.date(2025, 11, 25), 1.5, "Ana", "x"],
            [dt.datetime(2025, 11, 26, 7, 30), 2, "  Bo ", None],
        ]
        response = upload(api, template, rows)
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["template"] == template.pk and body["status"] == "succeeded"
        assert (
            body["rows_total"] == 2
            and body["rows_created"] == 2
            and body["file"].endswith(f"/imports/{body['id']}/file")
        )
        entries = list(WorkshopEntry.objects.order_by("pk"))
        assert [e.data for e in entries] == [
            {"date": "2025-11-25", "wire_kg": 1.5, "operator": "Ana"},
            {"date": "2025-11-26T07:30:00", "wire_kg": 2, "operator": "Bo"},
        ]
        assert {e.excel_import_id for e in entries} == {body["id"]}
        assert {e.machine_id for e in entries} == {template.machine_id}
        listed = api.get("/api/v1/entries/", {"excel_import": body["id"]}).json()
        assert listed["total"] == 2

    def test_headers_match_ignoring_case_and_spaces(self, api):
        template = ImportTemplateFactory(mapping={"Wire (kg)": "wire_kg"})
        response = upload(api, template, [["wire (KG) "], [3]])
        assert response.status_code == 201
        assert WorkshopEntry.objects.get().data == {"wire_kg": 3}

    def test_legacy_upload_url(self, api):
        template = ImportTemplateFactory(mapping={"Date": "date"})
        response = upload(api, template, [["Date"], ["2025-01-01"]], url=f"/api/v1/upload/{template.pk}")
        assert response.status_code == 201 and response.json()["template"] == template.pk
        assert_error(
            api.post("/api/v1/upload/999999", {"file": workbook_upload([["Date"], [1]])}, format="multipart"),
            404,
            "NOT_FOUND",
        )

    def test_missing_mapped_column_is_422_and_writes_nothing(self, api):
        template = ImportTemplateFactory(mapping=MAPPING)
        response = upload(api, template, [["Date", "Operator"], ["2025-01-01", "Ana"]])
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert body["errors"] == [
            {"row": 1, "column": "Wire (kg)", "message": "Mapped column is missing from the sheet."}
        ]
        assert not ExcelImport.objects.exists() and not WorkshopEntry.objects.exists()

    def test_inactive_template_and_no_rows_are_422(self, api):
        inactive = ImportTemplateFactory(mapping={"Date": "date"}, active=False)
        assert_error(upload(api, inactive, [["Date"], ["x"]]), 422, "VALIDATION_ERROR")
        active = ImportTemplateFactory(mapping={"Date": "date"})
        assert_error(upload(api, active, [["Date"]]), 422, "VALIDATION_ERROR")
        assert not ExcelImport.objects.exists()

    def test_missing_file_and_not_excel(self, api):
        template = ImportTemplateFactory()
        body = assert_error(
            api.post(f"/api/v1/templates/{template.pk}/upload/", {}, format="multipart"),
            422,
            "VALIDATION_ERROR",
        )
        assert "file" in body["errors"]
        from django.core.files.uploadedfile import SimpleUploadedFile

        fake = SimpleUploadedFile("log.xlsx", b"Date,Wire\n2025-01-01,1\n", "text/csv")
        assert_error(
            api.post(f"/api/v1/templates/{template.pk}/upload/", {"file": fake}, format="multipart"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        )
        assert not ExcelImport.objects.exists()

    def test_idempotency_key_answers_the_first_upload(self, api):
        template = ImportTemplateFactory(mapping={"Date": "date"})
        url = f"/api/v1/templates/{template.pk}/upload/"
        data = workbook_bytes([["Date"], ["a"], ["b"]])  # built once: openpyxl stamps the time
        first = api.post(
            url,
            {"file": SimpleUploadedFile("log.xlsx", data, XLSX)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="up-1",
        )
        again = api.post(
            url,
            {"file": SimpleUploadedFile("log again.xlsx", data, XLSX)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="up-1",
        )
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        assert WorkshopEntry.objects.count() == 2 and ExcelImport.objects.count() == 1
        # The same key with another file is not the same request: refused, nothing stored.
        other = api.post(
            url, {"file": workbook_upload([["Date"], ["c"]])}, format="multipart", HTTP_IDEMPOTENCY_KEY="up-1"
        )
        body = assert_error(other, 422, "VALIDATION_ERROR")
        assert body["errors"] == {
            "Idempotency-Key": ["This Idempotency-Key was already used for a different file."]
        }
        assert WorkshopEntry.objects.count() == 2 and ExcelImport.objects.count() == 1

    def test_an_idempotency_key_is_for_one_kind_of_request(self, api):
        first = ImportTemplateFactory(mapping={"Date": "date"})
        other = ImportTemplateFactory(mapping={"Date": "date"})
        rows = [["Date"], ["a"]]
        assert upload(api, first, rows, key="k-1").status_code == 201
        body = assert_error(upload(api, other, rows, key="k-1"), 422, "VALIDATION_ERROR")
        assert "Idempotency-Key" in body["errors"]
        assert WorkshopEntry.objects.filter(template=other).count() == 0

    def test_storage_down_is_503_and_writes_nothing(self, api, monkeypatch):
        template = ImportTemplateFactory(mapping={"Date": "date"})

        def down(*args, **kwargs):
            raise ConnectionError("storage unreachable")

        monkeypatch.setattr(
            type(default_storage._wrapped if hasattr(default_storage, "_wrapped") else default_storage),
            "save",
            down,
        )
        assert_error(upload(api, template, [["Date"], ["a"]]), 503, "SERVICE_UNAVAILABLE")
        assert not ExcelImport.objects.exists() and not WorkshopEntry.objects.exists()


@pytest.mark.django_db
class TestStoredFile:
    def test_download_and_delete(self, api, settings, django_capture_on_commit_callbacks):
        template = ImportTemplateFactory(mapping={"Date": "date"})
        body = upload(api, template, [["Date"], ["a"]]).json()
        record = ExcelImport.objects.get(pk=body["id"])
        assert record.file.name.startswith("imports/") and record.file.name.endswith("-robot_log.xlsx")
        response = api.get(f"/api/v1/imports/{record.pk}/file")
        if settings.STORAGE_BACKEND == "s3":
            assert response.status_code == 302 and "X-Amz-Signature" in response["Location"]
        else:
            assert response.status_code == 200
            assert b"".join(response.streaming_content).startswith(b"PK\x03\x04")
            assert 'filename="robot log.xlsx"' in response["Content-Disposition"]
        name = record.file.name
        assert default_storage.exists(name)
        with django_capture_on_commit_callbacks(execute=True):
            assert api.delete(f"/api/v1/imports/{record.pk}/").status_code == 200
        assert not default_storage.exists(name)
        assert not WorkshopEntry.objects.exists()

    def test_no_file_is_404(self, api):
        from tests.factories import ExcelImportFactory

        record = ExcelImportFactory()
        assert_error(api.get(f"/api/v1/imports/{record.pk}/file"), 404, "NOT_FOUND")
        assert_error(api.get("/api/v1/imports/999999/file"), 404, "NOT_FOUND")

    def test_anonymous_cannot_download(self, anon, api):
        template = ImportTemplateFactory(mapping={"Date": "date"})
        body = upload(api, template, [["Date"], ["a"]]).json()
        assert_error(anon.get(f"/api/v1/imports/{body['id']}/file"), 401, "UNAUTHORIZED")


@pytest.mark.django_db
def test_a_dry_run_upload_does_not_keep_its_template(api, django_capture_on_commit_callbacks):
    """A dry run wrote nothing: deleting the template deletes its dry runs (and their stored
    files, after the commit) instead of answering 409; a real upload still keeps it."""
    template = ImportTemplateFactory(mapping=MAPPING)
    rows = [["Date", "Wire (kg)", "Operator"], [dt.date(2025, 11, 25), 1.5, "Ana"]]
    url = f"/api/v1/templates/{template.pk}/upload/"
    trial = api.post(url, {"file": workbook_upload(rows), "dry_run": "true"}, format="multipart")
    assert trial.status_code == 201 and trial.json()["dry_run"] is True, trial.json()
    stored = ExcelImport.objects.get().file.name
    assert default_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/api/v1/templates/{template.pk}/")
    assert response.status_code == 200, response.json()
    assert not ExcelImport.objects.exists() and not default_storage.exists(stored)

    kept = ImportTemplateFactory(mapping=MAPPING)
    assert upload(api, kept, rows).status_code == 201
    assert_error(api.delete(f"/api/v1/templates/{kept.pk}/"), 409, "CONFLICT")
