import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from machines.models import WorkshopEntry
from tests.factories import ExcelImportFactory, ImportScheduleFactory, WorkshopEntryFactory
from workshop.imports.models import ExcelImport

# The import records are the core's (app label "imports"), the rest the machines app's.
APP = {"excelimport": "imports", "importschedule": "imports"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", ["machine", "importtemplate", "workshopentry", "excelimport", "importschedule"]
)
def test_changelists_load(admin_client, model):
    excel_import = ExcelImportFactory()
    WorkshopEntryFactory(template=excel_import.template, excel_import=excel_import)
    ImportScheduleFactory(template=excel_import.template)
    app = APP.get(model, "machines")
    response = admin_client.get(reverse(f"admin:{app}_{model}_changelist"), {"q": "x"})
    assert response.status_code == 200
    response = admin_client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_change_pages_load(admin_client):
    entry = WorkshopEntryFactory(excel_import=ExcelImportFactory())
    schedule = ImportScheduleFactory(template=entry.template)
    for model, pk in [
        ("machine", entry.machine_id),
        ("importtemplate", entry.template_id),
        ("workshopentry", entry.pk),
        ("excelimport", entry.excel_import_id),
        ("importschedule", schedule.pk),
    ]:
        url = reverse(f"admin:{APP.get(model, 'machines')}_{model}_change", args=[pk])
        assert admin_client.get(url).status_code == 200, model


@pytest.mark.django_db
def test_template_mapping_is_validated_in_admin(admin_client):
    entry = WorkshopEntryFactory()
    url = reverse("admin:machines_importtemplate_change", args=[entry.template_id])
    response = admin_client.post(
        url,
        {"name": "T", "description": "", "machine": entry.machine_id, "mapping": "[1, 2]", "active": "on"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert set(response.context["adminform"].form.errors) == {"mapping"}
    entry.template.refresh_from_db()
    assert entry.template.mapping == {"Date": "date", "Wire (kg)": "wire_kg"}


@pytest.mark.django_db
def test_imports_and_entries_cannot_be_added_in_admin(admin_client):
    assert admin_client.get(reverse("admin:imports_excelimport_add")).status_code == 403
    assert admin_client.get(reverse("admin:machines_workshopentry_add")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_admin_bulk_delete_of_imports_deletes_files_and_entries(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    excel_import = ExcelImportFactory(file=ContentFile(b"data", name="log.xlsx"))
    WorkshopEntryFactory(template=excel_import.template, excel_import=excel_import)
    name = excel_import.file.name
    assert default_storage.exists(name)
    response = admin_client.post(
        reverse("admin:imports_excelimport_changelist"),
        {"action": "delete_selected", "_selected_action": [excel_import.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not ExcelImport.objects.exists() and not WorkshopEntry.objects.exists()
    assert not default_storage.exists(name)
