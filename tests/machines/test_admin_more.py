"""Machines in the admin: template rows on the machine page, and the imports' pages."""

import json

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from machines.models import ImportTemplate, Machine
from tests.factories import ExcelImportFactory
from workshop.imports.models import ExcelImport


def machine_form(*templates: dict) -> dict:
    data = {
        "code": "M-9",
        "name": "Robot cell",
        "type": "robot",
        "metadata": "{}",
        "templates-TOTAL_FORMS": str(len(templates)),
        "templates-INITIAL_FORMS": "0",
        "templates-MIN_NUM_FORMS": "0",
        "templates-MAX_NUM_FORMS": "1000",
    }
    for i, template in enumerate(templates):
        data.update({f"templates-{i}-{name}": value for name, value in template.items()})
    return data


@pytest.mark.django_db
class TestTemplateInline:
    def test_a_row_without_mapping_is_a_form_error(self, admin_client):
        response = admin_client.post(
            reverse("admin:machines_machine_add"), machine_form({"name": "Daily log", "active": "on"})
        )
        assert response.status_code == 200  # the form again, with the error
        (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"]]
        assert set(formset.errors[0]) == {"mapping"}
        assert not Machine.objects.exists() and not ImportTemplate.objects.exists()

    def test_a_bad_mapping_is_a_form_error(self, admin_client):
        response = admin_client.post(
            reverse("admin:machines_machine_add"),
            machine_form({"name": "Daily log", "mapping": "[1, 2]", "active": "on"}),
        )
        assert response.status_code == 200
        (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"]]
        assert set(formset.errors[0]) == {"mapping"}
        assert not Machine.objects.exists()

    def test_a_row_with_mapping_is_created_with_its_creator(self, admin_client, admin_user):
        mapping = {"Date": "date", "Wire (kg)": "wire_kg"}
        response = admin_client.post(
            reverse("admin:machines_machine_add"),
            machine_form({"name": "Daily log", "mapping": json.dumps(mapping), "active": "on"}),
        )
        assert response.status_code == 302, response.content[:2000]
        template = ImportTemplate.objects.get()
        assert (template.machine.code, template.mapping, template.active) == ("M-9", mapping, True)
        assert template.created_by == admin_user and template.machine.created_by == admin_user


@pytest.mark.django_db
class TestExcelImportAdmin:
    def test_change_page_links_the_file_through_the_api(self, admin_client, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path / "media"
        excel_import = ExcelImportFactory(file=ContentFile(b"data", name="log.xlsx"))
        page = admin_client.get(reverse("admin:imports_excelimport_change", args=[excel_import.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert f'href="/api/v1/imports/{excel_import.pk}/file"' in html
        assert excel_import.file.url not in html and "/media/" not in html

    def test_change_page_without_a_file(self, admin_client):
        excel_import = ExcelImportFactory()
        page = admin_client.get(reverse("admin:imports_excelimport_change", args=[excel_import.pk]))
        assert page.status_code == 200
        assert "/file" not in page.content.decode()

    def test_delete_goes_back_to_the_imports_list(self, admin_client):
        excel_import = ExcelImportFactory()
        response = admin_client.post(
            reverse("admin:imports_excelimport_delete", args=[excel_import.pk]), {"post": "yes"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:imports_excelimport_changelist")
        assert not ExcelImport.objects.exists()
