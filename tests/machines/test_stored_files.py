"""A stored upload comes back as what it is, whatever it was named; a NUL in a log's cell
does not break the import."""

import pytest

from machines.models import WorkshopEntry
from tests.factories import ImportTemplateFactory
from tests.machines.test_uploads import upload
from tests.workbooks import workbook_upload

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["page.html", "image.svg", "robot log.xlsx"])
def test_a_download_has_the_type_of_its_content_not_of_its_name(api, settings, name):
    template = ImportTemplateFactory(mapping={"Date": "date"})
    response = api.post(
        f"/api/v1/templates/{template.pk}/upload/",
        {"file": workbook_upload([["Date"], ["a"]], name)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    download = api.get(f"/api/v1/imports/{response.json()['id']}/file")
    if settings.STORAGE_BACKEND == "s3":
        assert download.status_code == 302
        assert "response-content-type=application%2Foctet-stream" in download["Location"]
        assert "response-content-disposition=attachment" in download["Location"]
    else:
        assert download.status_code == 200
        assert download["Content-Type"] == XLSX_TYPE
        assert download["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
def test_a_nul_in_a_logged_cell_is_dropped(api):
    template = ImportTemplateFactory(mapping={"Date": "date", "Note": "note"})
    # "_x0000_" is how an .xlsx writes a NUL character; the reader decodes it.
    response = upload(api, template, [["Date", "Note"], ["2025-11-25", "a_x0000_b"]])
    assert response.status_code == 201, response.content
    assert WorkshopEntry.objects.get().data["note"] == "ab"
