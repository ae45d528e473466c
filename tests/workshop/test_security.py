"""Production settings: deploy checks, refused defaults, headers, CSP, body limits."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contract import assert_error

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production(**extra) -> dict:
    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "weldshop.example.com",
        **extra,
    }


def test_check_deploy_is_clean_in_production_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing,message",
    [
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY"),
        ("JWT_SIGNING_KEY", "JWT_SIGNING_KEY"),
        ("DJANGO_ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_with_development_secrets(missing, message):
    env = production()
    del env[missing]
    result = manage("check", **env)
    assert result.returncode != 0 and message in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JWT_SIGNING_KEY", "abc"),
        ("JWT_SIGNING_KEY", "change-me-jwt-signing-key-at-least-50-random-characters-00000000"),
        ("DJANGO_SECRET_KEY", "change-me-django-secret-key-at-least-50-random-characters-0000"),
    ],
    ids=["short jwt key", "placeholder jwt key", "placeholder secret key"],
)
def test_production_refuses_weak_or_placeholder_secrets(name, value):
    result = manage("check", **production(**{name: value}))
    assert result.returncode != 0 and name in result.stderr


def test_production_refuses_one_key_for_both_jobs():
    key = secrets.token_urlsafe(64)
    result = manage("check", **production(DJANGO_SECRET_KEY=key, JWT_SIGNING_KEY=key))
    assert result.returncode != 0 and "must differ" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("DJANGO_DEBUG", "ture"), ("RATELIMIT_ENABLE", "nope"), ("LOG_LEVEL", "LOUD"), ("LOG_FORMAT", "text")],
)
def test_a_misspelt_setting_refuses_to_start_naming_it(name, value):
    result = manage("check", **{name: value})
    assert result.returncode != 0 and name in result.stderr and "ImproperlyConfigured" in result.stderr


@pytest.mark.parametrize("hosts", ["*", "weldshop.example.com,*"])
def test_production_refuses_a_wildcard_host(hosts):
    result = manage("check", **production(DJANGO_ALLOWED_HOSTS=hosts))
    assert result.returncode != 0 and "DJANGO_ALLOWED_HOSTS" in result.stderr and "'*'" in result.stderr


@pytest.mark.django_db
def test_security_headers(anon):
    response = anon.get("/health")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert (
        "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )


@pytest.mark.django_db
def test_swagger_ui_has_no_inline_script(anon):
    html = anon.get("/api/docs/").content.decode()
    assert "<script>" not in html.replace(" ", "")
    script = anon.get("/api/docs/", {"script": ""})
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_cors_allows_only_listed_origins(anon, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    ok = anon.options(
        "/api/v1/workorders/", HTTP_ORIGIN="https://app.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert ok["Access-Control-Allow-Origin"] == "https://app.example.com"
    other = anon.options(
        "/api/v1/workorders/",
        HTTP_ORIGIN="https://evil.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert "Access-Control-Allow-Origin" not in other


@pytest.mark.django_db
def test_json_body_over_the_limit_is_413(api):
    body = '{"order_id": "WO-1", "client": "' + "x" * (3 * 1024 * 1024) + '"}'
    response = api.post("/api/v1/workorders/", body, content_type="application/json")
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.django_db
def test_admin_login_is_rate_limited_per_ip(client, settings):
    settings.RATELIMIT_AUTH = "3/h"
    for _ in range(3):
        response = client.post("/admin/login/", {"username": "x", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    assert client.post("/admin/login/", {"username": "x", "password": "wrong"}).status_code == 403
