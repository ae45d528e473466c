"""Import targets: the core names a template by id (`template_id`, no foreign key) and the
machines app, which registers templates as the `template` target, keeps the promises the
foreign key kept — a template that imports or schedules name is not deleted (API and admin),
and a template deleted while an upload or a schedule is being saved never leaves a record
naming nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from machines.models import ImportTemplate, WorkshopEntry
from tests.conftest import bearer_client
from tests.contract import assert_error
from tests.factories import (
    ExcelImportFactory,
    ImportScheduleFactory,
    ImportTemplateFactory,
    UserFactory,
    WorkshopEntryFactory,
)
from tests.inventory.test_concurrency import run_together
from tests.workbooks import workbook_bytes, workbook_upload
from tests.workshop.test_write_races import postgres_only
from workshop import errors
from workshop.imports import targets
from workshop.imports.models import ExcelImport, ImportSchedule
from workshop.imports.service import ImportRun, import_stored_file, store_import

MAPPING = {"Date": "date", "Wire": "wire"}


@pytest.mark.django_db
class TestTheTemplateTarget:
    def test_machines_registers_its_templates(self):
        target = targets.template_target()
        assert target is not None and target.model is ImportTemplate
        template = ImportTemplateFactory()
        assert target.get(template.pk) == template
        assert target.get(10**12) is None and target.get(None) is None and target.get(True) is None

    def test_two_apps_registering_one_target_is_a_configuration_error(self, monkeypatch):
        target = targets.template_target()
        monkeypatch.setattr("workshop.discovery.app_attributes", lambda module, name: [(target,), (target,)])
        targets.targets.cache_clear()
        try:
            with pytest.raises(ImproperlyConfigured, match="template"):
                targets.targets()
        finally:
            targets.targets.cache_clear()

    def test_an_import_reads_its_template_through_the_target(self):
        excel_import = ExcelImportFactory()
        assert isinstance(excel_import.template_id, int)
        assert ExcelImport.objects.get(pk=excel_import.pk).template == excel_import.template
        excel_import.template = None
        assert excel_import.template_id is None and excel_import.template is None

    def test_the_api_names_the_template_by_id(self, api):
        template = ImportTemplateFactory()
        body = api.post("/api/v1/schedules/", {"template": template.pk, "source": "a.xlsx"}, format="json")
        assert body.status_code == 201 and body.json()["template"] == template.pk
        assert ImportSchedule.objects.get().template_id == template.pk
        for bad, message in (
            ("1.5", "Incorrect type"),
            (True, "Incorrect type"),
            ([template.pk], "Incorrect type"),
            (10**20, "does not exist"),
            (str(10**20), "does not exist"),
        ):
            response = api.post("/api/v1/schedules/", {"template": bad, "source": "a.xlsx"}, format="json")
            body = assert_error(response, 422, "VALIDATION_ERROR")
            assert message in body["errors"]["template"][0], bad
        assert ImportSchedule.objects.count() == 1

    def test_sorting_by_template(self, api):
        first, second = ImportTemplateFactory(), ImportTemplateFactory()
        b = ExcelImportFactory(template=second)
        a = ExcelImportFactory(template=first)
        body = api.get("/api/v1/imports/", {"sort_by": "template"}).json()
        assert [i["id"] for i in body["items"]] == [a.pk, b.pk]
        body = api.get("/api/v1/imports/", {"ordering": "-template"}).json()
        assert [i["id"] for i in body["items"]] == [b.pk, a.pk]


@pytest.mark.django_db
class TestTemplatesNamedByImportsStay:
    def test_the_api_refuses_with_every_dependent_counted(self, api):
        excel_import = ExcelImportFactory()
        WorkshopEntryFactory.create_batch(2, template=excel_import.template, excel_import=excel_import)
        ImportScheduleFactory(template=excel_import.template)
        body = assert_error(api.delete(f"/api/v1/templates/{excel_import.template_id}/"), 409, "CONFLICT")
        assert body["detail"] == (
            "Cannot delete this record: it still has 1 Excel import, 1 import schedule, 2 workshop "
            "entries. Remove or reassign them first."
        )
        assert ImportTemplate.objects.filter(pk=excel_import.template_id).exists()
        assert WorkshopEntry.objects.count() == 2 and ImportSchedule.objects.count() == 1

    def test_once_its_imports_and_schedules_are_gone_it_can_go(self, api):
        schedule = ImportScheduleFactory()
        assert_error(api.delete(f"/api/v1/templates/{schedule.template_id}/"), 409, "CONFLICT")
        assert api.delete(f"/api/v1/schedules/{schedule.pk}/").status_code == 200
        assert api.delete(f"/api/v1/templates/{schedule.template_id}/").status_code == 200
        assert not ImportTemplate.objects.exists()

    def test_the_admin_lists_them_as_protecting_it_and_deletes_nothing(self, admin_client):
        excel_import = ExcelImportFactory(filename="robot-log.xlsx")
        ImportScheduleFactory(template=excel_import.template, source="daily.xlsx")
        url = reverse("admin:machines_importtemplate_delete", args=[excel_import.template_id])
        page = admin_client.get(url).content.decode()
        assert "Excel import: robot-log.xlsx (succeeded)" in page
        assert "Import schedule: Log template" in page and " at 06:30" in page
        assert admin_client.post(url, {"post": "yes"}).status_code == 200  # the refusal again
        bulk = admin_client.post(
            reverse("admin:machines_importtemplate_changelist"),
            {"action": "delete_selected", "_selected_action": [excel_import.template_id], "post": "yes"},
        )
        assert bulk.status_code == 200
        assert ImportTemplate.objects.filter(pk=excel_import.template_id).exists()

    def test_the_admin_deletes_a_template_nothing_names(self, admin_client):
        template = ImportTemplateFactory()
        url = reverse("admin:machines_importtemplate_delete", args=[template.pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 302
        assert not ImportTemplate.objects.exists()


@pytest.mark.django_db
class TestScheduleAdminForm:
    def form(self, template_id, **values):
        return {
            "template": template_id,
            "source": "log.xlsx",
            "hour": 6,
            "minute": 30,
            "active": "on",
            **values,
        }

    def test_a_schedule_is_made_with_its_template(self, admin_client):
        template = ImportTemplateFactory(name="Robot cell daily")
        page = admin_client.get(reverse("admin:imports_importschedule_add")).content.decode()
        assert "Robot cell daily" in page  # the template is picked by name
        response = admin_client.post(reverse("admin:imports_importschedule_add"), self.form(template.pk))
        assert response.status_code == 302
        schedule = ImportSchedule.objects.get()
        assert schedule.template_id == template.pk and schedule.created_by is not None
        change = reverse("admin:imports_importschedule_change", args=[schedule.pk])
        other = ImportTemplateFactory()
        assert admin_client.post(change, self.form(other.pk)).status_code == 302
        schedule.refresh_from_db()
        assert schedule.template_id == other.pk

    @pytest.mark.parametrize("template_id", ["", "999999", "x"])
    def test_no_or_an_unknown_template_is_a_form_error(self, admin_client, template_id):
        response = admin_client.post(reverse("admin:imports_importschedule_add"), self.form(template_id))
        assert response.status_code == 200
        assert set(response.context["adminform"].form.errors) == {"template"}
        assert not ImportSchedule.objects.exists()

    def test_lists_show_and_search_the_template_name(self, admin_client):
        ImportScheduleFactory(template=ImportTemplateFactory(name="Robot cell daily"))
        ImportScheduleFactory(template=ImportTemplateFactory(name="MIG weekly"))
        for model in ("importschedule", "excelimport"):
            ExcelImportFactory(template=ImportTemplate.objects.get(name="MIG weekly"))
            page = admin_client.get(reverse(f"admin:imports_{model}_changelist"), {"q": "weekly"})
            html = page.content.decode()
            assert page.status_code == 200 and "MIG weekly" in html and "Robot cell daily" not in html


@pytest.mark.django_db
def test_a_run_reports_its_progress(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    template = ImportTemplateFactory(mapping=MAPPING)
    seen = []
    rows = [["Date", "Wire"], *([f"2025-01-{d:02d}", d] for d in range(1, 29)), [None, None], ["x", 1]]
    record = store_import(
        upload=workbook_bytes(rows),
        filename="log.xlsx",
        run=ImportRun(template_id=template.pk, progress=lambda done, total: seen.append((done, total))),
    )
    assert record.rows_total == 29
    assert seen[-1] == (29, 30)  # every data row read; the sheet's 30 rows after its header at most


def test_an_import_run_names_one_thing():
    with pytest.raises(ValueError, match="resource or through a template"):
        ImportRun()
    with pytest.raises(ValueError, match="resource or through a template"):
        ImportRun(resource="items", template_id=1)


@postgres_only
def test_a_template_deleted_while_it_is_being_named_leaves_no_record_naming_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = UserFactory(role="admin")
    for _ in range(6):
        template = ImportTemplateFactory(mapping=MAPPING)

        def task(i, template=template):
            client = bearer_client(admin)
            if i == 0:
                return client.delete(f"/api/v1/templates/{template.pk}/").status_code
            if i == 1:
                upload = workbook_upload([["Date", "Wire"], ["2025-01-01", 1]], "log.xlsx")
                return client.post(
                    f"/api/v1/templates/{template.pk}/upload/",
                    {"file": upload, "dry_run": "true"},
                    format="multipart",
                ).status_code
            return client.post(
                "/api/v1/schedules/", {"template": template.pk, "source": "log.xlsx"}, format="json"
            ).status_code

        deleted, uploaded, scheduled = run_together(task, count=3)
        assert deleted in (200, 409) and uploaded in (201, 404) and scheduled in (201, 404, 422)
        if ImportTemplate.objects.filter(pk=template.pk).exists():
            assert deleted == 409 and 201 in (uploaded, scheduled)
        else:
            assert deleted == 200 and uploaded == 404 and scheduled in (404, 422)
            assert not ExcelImport.objects.filter(template_id=template.pk).exists()
            assert not ImportSchedule.objects.filter(template_id=template.pk).exists()


@pytest.mark.django_db
class TestImportStoredFile:
    """What a background job runs: an import of a file already in the storage."""

    def test_the_record_keeps_the_stored_file(self, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path / "media"
        name = default_storage.save(
            "imports/queued/items.xlsx",
            ContentFile(workbook_bytes([["ItemID", "ItemName"], ["INV-1", "Wire"]])),
        )
        seen = []
        record = import_stored_file(
            name=name,
            filename="items.xlsx",
            run=ImportRun(resource="items", progress=lambda done, total: seen.append(done)),
        )
        assert record.file.name == name and record.rows_created == 1 and seen[-1] == 1
        assert default_storage.exists(name) and ExcelImport.objects.get().file.name == name

    def test_a_refused_file_stays_and_nothing_is_recorded(self, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path / "media"
        name = default_storage.save(
            "imports/queued/bad.xlsx", ContentFile(workbook_bytes([["Nothing"], ["x"]]))
        )
        with pytest.raises(errors.Rejected) as refused:
            import_stored_file(name=name, filename="bad.xlsx", run=ImportRun(resource="items"))
        assert refused.value.status == 422 and refused.value.errors
        assert default_storage.exists(name) and not ExcelImport.objects.exists()
        default_storage.delete(name)
        with pytest.raises(errors.NotFound):
            import_stored_file(name=name, filename="bad.xlsx", run=ImportRun(resource="items"))


@pytest.mark.django_db
def test_an_unknown_resource_is_a_domain_error():
    with pytest.raises(errors.ValidationFailed, match="No Excel resource 'bogus'"):
        store_import(upload=workbook_bytes([["A"], [1]]), filename="x.xlsx", run=ImportRun(resource="bogus"))
    assert not ExcelImport.objects.exists()
