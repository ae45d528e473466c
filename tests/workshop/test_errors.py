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


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", ["/api/v1/x%0Ay/", "/api/v1/%0A", "/api/v1/workorders%0D%0A/", "/health/%0A", "/api/v1/%09tab/"]
)
def test_paths_with_control_characters_are_json_404(api, path, debug, settings):
    """A newline, carriage return or tab in the path (percent-encoded, as on the wire) is a
    JSON 404 like any unknown URL, in development (DEBUG) too."""
    settings.DEBUG = debug
    body = assert_error(api.get(path), 404, "NOT_FOUND")
    assert body["detail"].startswith("No such URL: ")


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


def test_database_down_for_real_is_503_json_and_health_stays_up():
    """A real unreachable PostgreSQL (a closed port), in a fresh process in production mode."""
    import os
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    script = """
import json, django
django.setup()
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken
token = AccessToken()
token["user_id"] = 1
client = Client()
bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
out = {}
for name, path, headers in [
    ("list", "/api/v1/workorders/", bearer),
    ("health", "/health", {}),
    ("health_db", "/health/db", {}),
    ("login", "/api/v1/auth/login", {}),
]:
    if name == "login":
        r = client.post(path, {"username": "a", "password": "b"}, content_type="application/json")
    else:
        r = client.get(path, **headers)
    out[name] = [r.status_code, r.content.decode()]
print("RESULT " + json.dumps(out))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="workshop.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        JWT_SIGNING_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/nothing",
        STORAGE_BACKEND="local",
        LOG_LEVEL="CRITICAL",
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # Its own line, found by its prefix: JSON log lines may come after it under load.
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, result.stdout[-2000:]
    out = json.loads(lines[0].removeprefix("RESULT "))
    for name in ("list", "health_db", "login"):
        status, body = out[name]
        assert status == 503, (name, status, body)
        parsed = json.loads(body)
        assert parsed["error_code"] == "SERVICE_UNAVAILABLE"
        assert "Traceback" not in body and "psycopg" not in body and "127.0.0.1" not in body
    assert out["health"][0] == 200


def test_exceptions_outside_drf_views_are_json_on_api_paths(rf):
    from django.db import OperationalError as DbDown

    from workshop.api.exceptions import server_error
    from workshop.middleware import RequestContextMiddleware

    middleware = RequestContextMiddleware(lambda request: None)
    request = rf.get("/api/v1/anything")
    request.request_id = "rid-1"
    response = middleware.process_exception(request, RuntimeError("boom /etc/secret"))
    body = json.loads(response.content)
    assert (
        response.status_code == 500
        and body["error_code"] == "SERVER_ERROR"
        and "secret" not in response.content.decode()
    )
    response = middleware.process_exception(request, DbDown("down"))
    assert response.status_code == 503 and json.loads(response.content)["error_code"] == "SERVICE_UNAVAILABLE"
    assert middleware.process_exception(rf.get("/admin/"), RuntimeError("x")) is None  # Django's page there
    assert json.loads(server_error(request).content)["error_code"] == "SERVER_ERROR"


@pytest.mark.django_db
def test_nested_and_list_errors_are_named_by_their_path(api):
    """`errors` is field → list of messages (the schema's Error), also for a list's item: a
    list of choices names the bad item (`positions[1]`), nothing written."""
    from workorders.models import Wps

    body = {
        "wps_id": "WPS-E-1",
        "process": "135",
        "product_forms": ["P"],
        "weld_types": ["BW"],
        "thickness_min_mm": "3",
        "positions": ["PA", "PZ"],
    }
    response = api.post("/api/v1/wps/", body, format="json")
    assert response.status_code == 422, response.json()
    errors = response.json()["errors"]
    assert list(errors) == ["positions[1]"], errors
    assert all(isinstance(message, str) for message in errors["positions[1]"])
    assert not Wps.objects.exists()


@pytest.mark.django_db
def test_a_null_character_in_a_reference_is_422_not_a_database_error(api):
    """PostgreSQL cannot compare text holding NUL: a business key with one is refused before
    the lookup (found by the fuzzer on a work order's WPS and a weld-log entry's weld)."""
    from tests.factories import WorkOrderFactory

    order = WorkOrderFactory()
    response = api.patch(f"/api/v1/workorders/{order.pk}/", {"wps": "WPS\x00-1"}, format="json")
    assert response.status_code == 422, response.json()
    assert list(response.json()["errors"]) == ["wps"]
    response = api.post(
        "/api/v1/weld-log/", {"weld": "W\x001", "welder": "EMP-01", "welded_on": "2025-06-01"}, format="json"
    )
    assert response.status_code == 422 and "weld" in response.json()["errors"]
