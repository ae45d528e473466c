"""SPEC §4 "Nothing lost": deleting an import while the file storage is down deletes nothing
(no record gone with its file left behind) and says so with a 503."""

import pytest
from django.core.files.storage import default_storage

from machines.models import WorkshopEntry
from tests.contract import assert_error
from tests.factories import ImportTemplateFactory
from tests.machines.test_uploads import upload
from workshop.imports.models import ExcelImport


@pytest.mark.django_db
def test_deleting_an_import_while_storage_is_down_deletes_nothing(
    api, monkeypatch, django_capture_on_commit_callbacks
):
    template = ImportTemplateFactory(mapping={"Date": "date"})
    body = upload(api, template, [["Date"], ["a"], ["b"]]).json()
    record = ExcelImport.objects.get(pk=body["id"])
    storage_class = type(
        default_storage._wrapped if hasattr(default_storage, "_wrapped") else default_storage
    )

    def down(*args, **kwargs):
        raise ConnectionError("storage unreachable")

    with monkeypatch.context() as patched:
        patched.setattr(storage_class, "exists", down)
        patched.setattr(storage_class, "delete", down)
        with django_capture_on_commit_callbacks(execute=True):
            assert_error(api.delete(f"/api/v1/imports/{record.pk}/"), 503, "SERVICE_UNAVAILABLE")
    assert ExcelImport.objects.filter(pk=record.pk).exists()
    assert WorkshopEntry.objects.filter(excel_import=record).count() == 2
    assert default_storage.exists(record.file.name)

    # Once the storage is back, the delete goes through and takes the file with it.
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/imports/{record.pk}/").status_code == 200
    assert not ExcelImport.objects.filter(pk=record.pk).exists()
    assert not default_storage.exists(record.file.name)
