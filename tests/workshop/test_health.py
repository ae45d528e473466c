import pytest
from django.db import OperationalError, connection

from tests.contract import assert_error
from workshop import health


def test_health_does_not_touch_the_database(anon):
    # No django_db mark: any database access here would raise.
    response = anon.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert anon.get("/health/").status_code == 200


@pytest.mark.django_db
def test_health_db(anon):
    body = anon.get("/health/db").json()
    assert body["status"] == "ok" and body["latency_ms"] >= 0


@pytest.mark.django_db
def test_health_db_down_is_503(anon, monkeypatch):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "check_database", down)
    assert_error(anon.get("/health/db"), 503, "SERVICE_UNAVAILABLE")


@pytest.mark.django_db
def test_health_status_checks_every_dependency(anon, settings):
    response = anon.get("/health/status")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] and body["uptime_seconds"] >= 0
    assert set(body["checks"]) == {"database", "cache", "storage", "migrations", "jobs", "channel_layer"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    text = response.content.decode()
    for secret in (
        settings.SECRET_KEY,
        settings.SIMPLE_JWT["SIGNING_KEY"],
        connection.settings_dict.get("PASSWORD") or "§",
    ):
        assert secret not in text


@pytest.mark.django_db
def test_health_status_is_503_when_the_database_fails_and_degraded_when_the_cache_does(anon, monkeypatch):
    def fail():
        raise RuntimeError("down")

    monkeypatch.setitem(health.CHECKS, "cache", (fail, False))
    body = anon.get("/health/status").json()
    assert body["status"] == "degraded" and body["checks"]["cache"]["status"] == "error"
    monkeypatch.setitem(health.CHECKS, "database", (fail, True))
    response = anon.get("/health/status")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"
