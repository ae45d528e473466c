"""The error body everywhere: unknown URLs, wrong methods, bad bodies, crashes."""

import json
import re

import pytest
from django.db import OperationalError

from tests.contract import assert_error
from tests.workshop.logs import rendered_log_lines
from workorders.views import WorkOrderViewSet


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing-here/", "/api/nope", "/health/nope", "/auth/login", "/api/v1/workorders/1/extra/"],
)
def test_unknown_urls_are_json_404(api, path):
    body = assert_error(api.get(path), 404, "NOT_FOUND")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", body["timestamp"])


def test_unknown_url_is_404_for_anonymous_too(anon):
    assert_error(anon.post("/api/v1/nothing-here/"), 404, "NOT_FOUND")


def test_wrong_method_is_405(api):
    assert_error(api.delete("/api/v1/workorders/"), 405, "METHOD_NOT_ALLOWED")
    assert_error(api.put("/api/v1/workorders/", {}, format="json"), 405, "METHOD_NOT_ALLOWED")


def test_bad_json_is_400(api):
    assert_error(api.post("/api/v1/workorders/", "{", content_type="application/json"), 400, "BAD_REQUEST")


def test_unsupported_content_type_is_415(api):
    assert_error(
        api.post("/api/v1/workorders/", "<x/>", content_type="application/xml"), 415, "UNSUPPORTED_MEDIA_TYPE"
    )


def test_request_id_is_echoed_when_sane_and_replaced_when_not(api):
    response = api.get("/api/v1/workorders/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    response = api.get("/api/v1/workorders/", HTTP_X_REQUEST_ID="bad id\nwith newline <script>")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    response = api.get("/api/v1/workorders/", HTTP_X_REQUEST_ID="x" * 500)
    assert len(response["X-Request-ID"]) == 32


def test_request_id_on_errors_matches_the_header(anon):
    response = anon.get("/api/v1/workorders/", HTTP_X_REQUEST_ID="req-42")
    body = assert_error(response, 401, "UNAUTHORIZED")
    assert body["request_id"] == "req-42"


def test_unhandled_exception_is_json_500_without_internals(api, monkeypatch, caplog):
    def boom(self, request, *args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd SELECT * FROM x")

    monkeypatch.setattr(WorkOrderViewSet, "list", boom)
    response = api.get("/api/v1/workorders/")
    body = assert_error(response, 500, "SERVER_ERROR")
    assert "secret" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    logged = rendered_log_lines(caplog)
    errors = [e for e in logged if e.get("event") == "request.error"]
    assert errors and errors[0]["request_id"] == body["request_id"] and errors[0]["level"] == "error"


def test_database_down_is_503(api, monkeypatch):
    def down(self, request, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(WorkOrderViewSet, "list", down)
    assert_error(api.get("/api/v1/workorders/"), 503, "SERVICE_UNAVAILABLE")


def test_validation_errors_carry_field_messages(api):
    body = assert_error(
        api.post("/api/v1/workorders/", {"client": "A"}, format="json"), 422, "VALIDATION_ERROR"
    )
    assert body["errors"] == {"order_id": ["This field is required."]}
    assert body["detail"].startswith("order_id:")


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/", "/api/schema/"])
def test_errors_on_the_docs_views_are_json(anon, path):
    response = anon.post(path, {}, format="json")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response["Content-Type"].startswith("application/json")
