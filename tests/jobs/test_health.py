"""`/health/status` reports the job queue and the channel layer (SPEC §5)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import JobFactory
from workshop.celery import app
from workshop.jobs.models import JobStatus
from workshop.jobs.services import WORKERS_KEY, worker_seen


@pytest.fixture
def with_broker(monkeypatch):
    """As deployed: jobs go to a broker (nothing is sent in these tests)."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)


def jobs_check(anon) -> tuple[str, dict]:
    body = anon.get("/health/status").json()
    return body["status"], body["checks"]["jobs"]


@pytest.mark.django_db
def test_without_a_broker_jobs_run_in_process(anon):
    JobFactory(status=JobStatus.QUEUED)
    JobFactory(status=JobStatus.RUNNING)
    status, check = jobs_check(anon)
    assert status == "ok" and check["status"] == "ok"
    assert check["broker"].startswith("none")
    assert (check["queued"], check["running"]) == (1, 1)
    assert check["oldest_queued_seconds"] >= 0


@pytest.mark.django_db
def test_an_unreachable_broker_is_degraded(anon, with_broker, monkeypatch):
    nowhere = "redis://127.0.0.1:9/0"  # nothing listens there
    monkeypatch.setenv("CELERY_BROKER_URL", nowhere)  # Celery reads the variable before its settings
    monkeypatch.setitem(app.conf, "broker_url", nowhere)
    status, check = jobs_check(anon)
    assert status == "degraded"
    assert (check["status"], check["critical"]) == ("error", False)
    assert "broker is unreachable" in check["error"]


@pytest.mark.skipif(not app.conf.broker_url.startswith("redis"), reason="needs the Redis broker")
@pytest.mark.django_db
def test_workers_seen_in_the_last_minute(anon, with_broker, monkeypatch):
    status, check = jobs_check(anon)
    assert status == "degraded" and "no worker seen" in check["error"] and check["workers"] == 0
    worker_seen("w1@host")
    worker_seen("w2@host")
    status, check = jobs_check(anon)
    assert (status, check["workers"], check["broker"]) == ("ok", 2, "redis")
    worker_seen("w2@host", gone=True)
    assert jobs_check(anon)[1]["workers"] == 1
    monkeypatch.setattr("time.time", lambda: 10**10)  # a minute and more later: not counted
    assert jobs_check(anon)[1]["workers"] == 0
    cache.delete(WORKERS_KEY)


@pytest.mark.django_db
def test_the_channel_layer_round_trip(anon):
    check = anon.get("/health/status").json()["checks"]["channel_layer"]
    assert check["status"] == "ok"
    assert check["backend"] in {"RedisChannelLayer", "InMemoryChannelLayer"}


@pytest.mark.django_db
def test_metrics_count_jobs_by_status(client):
    """/metrics (from loopback) has weldshop_jobs{status} read from the jobs table."""
    JobFactory(status=JobStatus.QUEUED)
    JobFactory(status=JobStatus.QUEUED)
    JobFactory(status=JobStatus.FAILED)
    text = client.get("/metrics").content.decode()
    assert 'weldshop_jobs{status="queued"} 2.0' in text
    assert 'weldshop_jobs{status="failed"} 1.0' in text
    assert 'weldshop_jobs{status="running"} 0.0' in text
