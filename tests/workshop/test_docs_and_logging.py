import json

import pytest

from tests.workshop.logs import rendered_log_lines


@pytest.mark.django_db
def test_schema_and_docs_are_served_anonymously_without_a_cdn(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    for page in ("/api/docs/", "/api/redoc/"):
        html = anon.get(page).content.decode()
        assert "cdn" not in html.lower() and "unpkg" not in html.lower() and "jsdelivr" not in html.lower()
        assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.django_db
def test_every_operation_has_a_summary_and_its_error_responses(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            codes = set(operation["responses"])
            if not path.startswith("/health") and "login" not in path and "refresh" not in path:
                assert "401" in codes, (method, path)
            if "{id}" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put", "patch") and "requestBody" in operation:
                assert "422" in codes, (method, path)  # a body that can be invalid


@pytest.mark.django_db
def test_one_json_log_line_per_request(api, caplog):
    api.get("/api/v1/workorders/", HTTP_X_REQUEST_ID="log-test-1")
    lines = rendered_log_lines(caplog)
    finished = [line for line in lines if line["event"] == "request.finished"]
    assert len(finished) == 1
    entry = finished[0]
    assert entry["request_id"] == "log-test-1"
    assert entry["method"] == "GET" and entry["path"] == "/api/v1/workorders/" and entry["status"] == 200
    assert entry["user_id"] == api.user.pk and entry["duration_ms"] >= 0
    assert entry["level"] == "info" and entry["timestamp"].endswith("Z")


@pytest.mark.django_db
def test_login_is_logged_without_the_password(anon, caplog):
    anon.post("/api/v1/auth/login", {"username": "x", "password": "hunter2-secret"}, format="json")
    lines = rendered_log_lines(caplog)
    assert lines and "hunter2-secret" not in json.dumps(lines)
