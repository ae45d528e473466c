"""Domain errors (workshop/errors.py): services raise them without knowing HTTP; the API's
exception handler maps each, once, to the spec's error body; commands turn them into a clear
message and a non-zero exit."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from inventory.services import item_adjust_stock
from staff.services import user_delete
from tests.contract import assert_error
from tests.factories import ItemFactory, UserFactory
from tests.workbooks import workbook_bytes
from workshop import errors
from workshop.api.exceptions import exception_handler
from workshop.imports.models import ExcelImport


def body_of(exc) -> tuple[int, dict]:
    request = RequestFactory().get("/api/v1/x/")
    request.request_id = "req-1"
    response = exception_handler(exc, {"request": request})
    return response.status_code, json.loads(json.dumps(response.data))


@pytest.mark.parametrize(
    ("exc", "status", "code", "detail", "extra"),
    [
        (errors.NotFound("No such item."), 404, "NOT_FOUND", "No such item.", None),
        (errors.Conflict("Not enough stock."), 409, "CONFLICT", "Not enough stock.", None),
        (
            errors.DuplicateResource(),
            409,
            "DUPLICATE_RESOURCE",
            "A record with this key already exists.",
            None,
        ),
        (
            errors.ServiceUnavailable("The file storage is unavailable."),
            503,
            "SERVICE_UNAVAILABLE",
            None,
            None,
        ),
        (
            errors.ValidationFailed({"delta": ["Must not be zero."]}),
            422,
            "VALIDATION_ERROR",
            "delta: Must not be zero.",
            {"delta": ["Must not be zero."]},
        ),
        (errors.ValidationFailed("Nothing to do."), 422, "VALIDATION_ERROR", "Nothing to do.", None),
        (errors.Rejected(415, "Not an Excel workbook."), 415, "UNSUPPORTED_MEDIA_TYPE", None, None),
        (
            errors.Rejected(422, "1 problem(s)", errors=[{"row": 2, "column": "A", "message": "Bad."}]),
            422,
            "VALIDATION_ERROR",
            "1 problem(s)",
            [{"row": 2, "column": "A", "message": "Bad."}],
        ),
    ],
)
def test_each_domain_error_has_one_error_body(exc, status, code, detail, extra):
    got_status, body = body_of(exc)
    assert got_status == status
    assert body["error_code"] == code and body["request_id"] == "req-1"
    assert body["detail"] == (detail or str(exc))
    assert body.get("errors") == extra
    assert set(body) == {"detail", "error_code", "timestamp", "request_id"} | ({"errors"} if extra else set())


def test_domain_errors_know_nothing_of_http_frameworks():
    assert errors.DomainError.__mro__[1] is Exception
    for cls in (errors.NotFound, errors.Conflict, errors.ValidationFailed, errors.Rejected):
        assert all(not c.__module__.startswith(("rest_framework", "django")) for c in cls.__mro__)


@pytest.mark.django_db
class TestServicesRaiseThem:
    def test_stock(self):
        item = ItemFactory(quantity=1)
        with pytest.raises(errors.Conflict, match="Not enough stock"):
            item_adjust_stock(item_id=item.pk, delta=-5, reason="consumption")
        with pytest.raises(errors.ValidationFailed) as refused:
            item_adjust_stock(item_id=item.pk, delta=0, reason="consumption")
        assert refused.value.errors == {"delta": ["Must not be zero."]}
        with pytest.raises(errors.NotFound):
            item_adjust_stock(item_id=10**9, delta=1, reason="receipt")

    def test_users(self):
        admin = UserFactory(role="admin")
        with pytest.raises(errors.Conflict, match="yourself"):
            user_delete(user=admin, actor=admin)

    def test_the_api_answers_them_as_before(self, api):
        item = ItemFactory(quantity=1, unit="kg", item_id="INV-1")
        body = assert_error(
            api.post(
                f"/api/v1/items/{item.pk}/adjust", {"delta": -5, "reason": "consumption"}, format="json"
            ),
            409,
            "CONFLICT",
        )
        assert body["detail"] == "Not enough stock: INV-1 has 1 kg, cannot take 5."


@pytest.mark.django_db
class TestCommandsCatchThem:
    def test_import_excel_with_the_storage_down(self, tmp_path, monkeypatch, settings, capsys):
        settings.MEDIA_ROOT = tmp_path / "media"
        path = tmp_path / "items.xlsx"
        path.write_bytes(workbook_bytes([["ItemID", "ItemName"], ["INV-1", "Wire"]]))
        storage_class = type(getattr(default_storage, "_wrapped", default_storage))

        def down(*args, **kwargs):
            raise ConnectionError("storage unreachable")

        monkeypatch.setattr(storage_class, "save", down)
        with pytest.raises(CommandError, match="The file storage is unavailable; nothing was imported."):
            call_command("import_excel", "items", str(path))
        assert not ExcelImport.objects.exists()

    def test_import_excel_lists_the_row_errors_of_a_rejected_file(self, tmp_path, settings, capsys):
        settings.MEDIA_ROOT = tmp_path / "media"
        path = tmp_path / "items.xlsx"
        path.write_bytes(workbook_bytes([["ItemID", "ItemName", "Quantity"], ["INV-1", "Wire", "many"]]))
        with pytest.raises(CommandError, match="1 problem"):
            call_command("import_excel", "items", str(path))
        assert "row 2, Quantity: A valid integer is required." in capsys.readouterr().err

    def test_a_template_that_is_gone_is_a_clear_refusal(self, tmp_path):
        path = tmp_path / "log.xlsx"
        path.write_bytes(workbook_bytes([["Date"], ["2025-01-01"]]))
        with pytest.raises(CommandError, match="No template '123456789'"):
            call_command("import_excel", "template:123456789", str(path))
