import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from machines.models import WorkshopEntry
from tests.contract import ROLES, ExtraAction, ResourceContract, assert_error
from tests.events.conftest import without_live_events
from tests.factories import ExcelImportFactory, WorkshopEntryFactory
from workshop.imports.models import ExcelImport
from workshop.imports.views import ExcelImportViewSet

URL = "/api/v1/imports/"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _with_file(**kwargs) -> ExcelImport:
    return ExcelImportFactory(
        file=ContentFile(b"PK\x03\x04 not really a workbook", name="robot-log.xlsx"), **kwargs
    )


class TestExcelImportContract(ResourceContract):
    url = URL
    viewset = ExcelImportViewSet
    factory = ExcelImportFactory
    actions = frozenset({"list", "retrieve", "destroy"})
    sort_field = "finished_at"
    max_list_queries = 3  # auth user, count, page (template is its id only)

    def make_listed(self):
        return _with_file(errors=[{"row": 3, "column": "Date", "message": "Not a date."}])

    def extra_actions(self):
        # Reading the stored file is reading the import: every role.
        # Local storage streams the file; S3 redirects to a presigned link.
        success = 302 if settings.STORAGE_BACKEND == "s3" else 200
        return [
            ExtraAction("file", "get", "file/", allowed=frozenset(ROLES), make=_with_file, success=success)
        ]


@pytest.mark.django_db
class TestExcelImportSpecifics:
    def test_fields_and_file_link(self, api):
        excel_import = _with_file(
            status="failed",
            rows_total=4,
            rows_rejected=1,
            errors=[{"row": 3, "column": "Date", "message": "Not a date."}],
            dry_run=True,
        )
        body = api.get(f"{URL}{excel_import.pk}/").json()
        assert set(body) == {
            "id", "template", "resource", "filename", "file", "status", "rows_total", "rows_created",
            "rows_updated", "rows_rejected", "errors", "dry_run", "finished_at", "created_at", "updated_at",
            "created_by",
        }  # fmt: skip
        assert body["file"] == f"http://testserver/api/v1/imports/{excel_import.pk}/file"
        assert body["template"] == excel_import.template_id
        assert body["status"] == "failed" and body["dry_run"] is True
        assert (body["rows_total"], body["rows_rejected"]) == (4, 1)
        assert body["errors"] == [{"row": 3, "column": "Date", "message": "Not a date."}]
        listed = api.get(URL).json()["items"][0]
        assert listed == body

    def test_file_is_null_without_a_stored_file(self, api):
        excel_import = ExcelImportFactory(template=None, resource="workorders")
        body = api.get(f"{URL}{excel_import.pk}/").json()
        assert body["file"] is None and body["template"] is None and body["resource"] == "workorders"

    def test_no_post_put_patch(self, api):
        excel_import = ExcelImportFactory()
        assert_error(api.post(URL, {"filename": "x.xlsx"}, format="json"), 405, "METHOD_NOT_ALLOWED")
        assert_error(
            api.put(f"{URL}{excel_import.pk}/", {"status": "failed"}, format="json"),
            405,
            "METHOD_NOT_ALLOWED",
        )
        assert_error(
            api.patch(f"{URL}{excel_import.pk}/", {"status": "failed"}, format="json"),
            405,
            "METHOD_NOT_ALLOWED",
        )
        excel_import.refresh_from_db()
        assert excel_import.status == "succeeded" and ExcelImport.objects.count() == 1

    def test_delete_removes_file_and_entries_after_commit(self, api, django_capture_on_commit_callbacks):
        excel_import = _with_file()
        name = excel_import.file.name
        assert name and default_storage.exists(name)
        created = WorkshopEntryFactory.create_batch(
            2, template=excel_import.template, excel_import=excel_import
        )
        manual = WorkshopEntryFactory(template=excel_import.template, excel_import=None)
        other_import = _with_file(template=excel_import.template)
        other_entry = WorkshopEntryFactory(template=excel_import.template, excel_import=other_import)

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = api.delete(f"{URL}{excel_import.pk}/")
            assert response.status_code == 200
            assert response.json() == {"message": "Excel import deleted successfully"}
            assert default_storage.exists(name)  # not before the delete is committed
        assert len(without_live_events(callbacks)) == 1
        without_live_events(callbacks)[0]()

        assert not default_storage.exists(name)
        assert not ExcelImport.objects.filter(pk=excel_import.pk).exists()
        assert not WorkshopEntry.objects.filter(pk__in=[e.pk for e in created]).exists()
        assert set(WorkshopEntry.objects.values_list("pk", flat=True)) == {manual.pk, other_entry.pk}
        assert default_storage.exists(other_import.file.name)
        assert_error(api.get(f"{URL}{excel_import.pk}/"), 404, "NOT_FOUND")

    def test_delete_without_file(self, api, django_capture_on_commit_callbacks):
        excel_import = ExcelImportFactory(template=None, resource="items")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert api.delete(f"{URL}{excel_import.pk}/").status_code == 200
        assert without_live_events(callbacks) == []
        assert not ExcelImport.objects.exists()

    def test_storage_failure_after_commit_does_not_fail_the_delete(
        self, api, django_capture_on_commit_callbacks, monkeypatch
    ):
        excel_import = _with_file()
        storage = excel_import.file.storage

        def broken(name):
            raise OSError("storage unreachable")

        monkeypatch.setattr(storage, "delete", broken)
        with django_capture_on_commit_callbacks(execute=True):
            assert api.delete(f"{URL}{excel_import.pk}/").status_code == 200
        assert not ExcelImport.objects.filter(pk=excel_import.pk).exists()

    def test_filters_and_search(self, api):
        a = ExcelImportFactory(status="succeeded", filename="cell-nov.xlsx")
        b = ExcelImportFactory(status="failed", template=a.template, filename="cell-dec.xlsx")
        c = ExcelImportFactory(status="pending", template=None, resource="workorders", filename="orders.xlsx")
        d = ExcelImportFactory(status="processing", template=None, resource="items", filename="stock.xls")

        def ids(**params):
            response = api.get(URL, params)
            assert response.status_code == 200, response.json()
            return [i["id"] for i in response.json()["items"]]

        assert ids(status="failed") == [b.pk]
        assert ids(status="Succeeded,pending") == [a.pk, c.pk]
        assert ids(status="processing, failed") == [b.pk, d.pk]
        assert ids(template=a.template_id) == [a.pk, b.pk]
        assert ids(template=999999) == []
        assert ids(resource="WorkOrders") == [c.pk]
        assert ids(resource="items,workorders") == [c.pk, d.pk]
        assert ids(resource="equipment") == []
        assert ids(search="cell-") == [a.pk, b.pk]
        assert ids(search="items") == [d.pk]
        assert ids(sort_by="filename") == [b.pk, a.pk, c.pk, d.pk]
        for bad in (
            {"status": "done"},
            {"status": "failed,nope"},
            {"template": "abc"},
            {"template_id": 1},
            {"resource": "bogus"},
            {"resource": "items,bogus"},
        ):
            assert_error(api.get(URL, bad), 422, "VALIDATION_ERROR")
        body = assert_error(api.get(URL, {"resource": "bogus"}), 422, "VALIDATION_ERROR")
        assert body["errors"] == {
            "resource": [
                "'bogus' is not one of: calibrations, consumable-lots, employees, equipment, findings, "
                "inspections, items, qualifications, weld-log, welds, workorders, wps."
            ]
        }
