"""`/metrics` in process (SPEC §5): who may read it, what it holds.

The series are counted in this process's default registry (no PROMETHEUS_MULTIPROC_DIR here),
shared by every test: each test compares a series before and after what it does. On the
PostgreSQL run the database series come from the PostgreSQL wrapper behind psycopg's pool and
the cache series from django-redis on a real Redis; on the SQLite run from the SQLite wrapper
and the local-memory cache. The multiprocess side (gunicorn, several workers) is
test_metrics_gunicorn.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.db import connection, connections
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.contract import assert_error
from tests.workshop.logs import rendered_log_lines
from tests.workshop.test_security import manage
from workshop import metrics

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-" + "x" * 40


def scrape(client=None, **extra) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape: {(name, sorted labels): value}."""
    response = (client or Client()).get("/metrics", **extra)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def with_label(samples: dict, name: str, label: str) -> set[str]:
    return {dict(labels).get(label) for (sample, labels) in samples if sample == name}


# ----------------------------------------------------------------------------- access
@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_loopback_reads_metrics_in_prometheus_format(address):
    response = Client().get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 200
    text = response.content.decode()
    assert "# TYPE django_http_requests_total_by_method_total counter" in text
    assert "# TYPE django_http_requests_latency_seconds_by_view_method histogram" in text
    assert response["Cache-Control"] == "no-store"


def test_openmetrics_when_the_scraper_asks_for_it():
    response = Client().get("/metrics", HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().rstrip().endswith("# EOF")


def unknown_url_body(response) -> dict:
    """A refusal is exactly an unknown URL's answer: the spec's 404 body."""
    body = assert_error(response, 404, "NOT_FOUND")
    assert body["detail"] == "No such URL: /metrics"
    assert b"django_http" not in response.content
    return body


@pytest.mark.parametrize("address", ["10.0.0.7", "192.168.1.20", "2001:db8::1", "127.0.0.2"])
def test_any_other_address_gets_the_unknown_url_404(address):
    unknown_url_body(Client().get("/metrics", REMOTE_ADDR=address))


def test_a_refused_post_is_404_too_not_a_csrf_403():
    unknown_url_body(Client(enforce_csrf_checks=True).post("/metrics", REMOTE_ADDR="10.0.0.7"))


def test_an_allowed_client_may_only_read():
    response = Client(enforce_csrf_checks=True).post("/metrics")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response["Allow"] == "GET, HEAD"


def test_the_token_opens_it_from_anywhere(settings):
    settings.METRICS_TOKEN = TOKEN
    client = Client(REMOTE_ADDR="203.0.113.5")
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}").status_code == 200
    for wrong in (f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Token {TOKEN}", TOKEN, "Bearer ", ""):
        unknown_url_body(client.get("/metrics", HTTP_AUTHORIZATION=wrong))


def test_without_a_token_setting_no_token_opens_it(settings):
    settings.METRICS_TOKEN = ""
    unknown_url_body(Client(REMOTE_ADDR="203.0.113.5").get("/metrics", HTTP_AUTHORIZATION="Bearer "))


def test_allowed_networks(settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "2001:db8::/32"]
    assert Client().get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="2001:db8::5").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="::ffff:10.1.1.1").status_code == 200  # IPv4-mapped
    unknown_url_body(Client().get("/metrics", REMOTE_ADDR="127.0.0.1"))  # loopback no longer listed


def test_the_client_ip_is_the_apps_one_behind_trusted_proxies(settings):
    # No trusted proxy: X-Forwarded-For is the client's own word, not believed.
    settings.TRUSTED_PROXY_HOPS = 0
    unknown_url_body(Client().get("/metrics", REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="127.0.0.1"))
    # One trusted proxy on loopback: the client is the address it saw.
    settings.TRUSTED_PROXY_HOPS = 1
    unknown_url_body(Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"))
    response = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 127.0.0.1")
    assert response.status_code == 200


def test_scrapes_are_not_rate_limited(settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_GENERAL = "2/h"
    for _ in range(5):
        response = Client().get("/metrics")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response


def test_metrics_are_not_in_the_api_schema(anon):
    response = anon.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert not [path for path in response.json()["paths"] if "metrics" in path]


# ----------------------------------------------------------------------------- series
def test_a_request_is_counted_by_view_method_and_status_with_its_latency(api):
    before = scrape()
    assert api.get("/api/v1/workorders/").status_code == 200
    assert api.get("/health").status_code == 200
    assert api.delete("/api/v1/workorders/").status_code == 405
    after = scrape()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    responses = "django_http_responses_total_by_status_view_method_total"
    assert delta(responses, view="workorder-list", method="GET", status="200") == 1
    assert delta(responses, view="health", method="GET", status="200") == 1
    assert delta(responses, view="workorder-list", method="DELETE", status="405") == 1
    latency = "django_http_requests_latency_seconds_by_view_method"
    assert delta(f"{latency}_count", view="workorder-list", method="GET") == 1
    assert delta(f"{latency}_bucket", view="workorder-list", method="GET", le="+Inf") == 1
    # The finer buckets of the settings (0.5 ms up), not django-prometheus's (10 ms up).
    assert with_label(after, f"{latency}_bucket", "le") >= {"0.0005", "0.001", "30.0", "+Inf"}
    assert delta("django_http_requests_latency_including_middlewares_seconds_count") == 4  # + a scrape


def test_an_invented_method_does_not_make_a_series(anon):
    response = anon.generic("BREW", "/health")
    assert response.status_code == 405
    after = scrape()
    methods = with_label(after, "django_http_requests_latency_seconds_by_view_method_count", "method")
    assert "BREW" not in methods and "<invalid method>" in methods
    assert not [key for key in after if "BREW" in repr(key)]


def test_database_queries_are_counted_and_timed(api):
    assert type(connections["default"]).__module__.startswith("django_prometheus.db.backends.")
    labels = {"alias": "default", "vendor": connection.vendor}
    before = scrape()
    assert api.get("/api/v1/workorders/").status_code == 200
    after = scrape()
    executed = value(after, "django_db_execute_total", **labels) - value(
        before, "django_db_execute_total", **labels
    )
    timed = value(after, "django_db_query_duration_seconds_count", **labels) - value(
        before, "django_db_query_duration_seconds_count", **labels
    )
    assert executed >= 1 and timed == executed
    assert value(after, "django_db_query_duration_seconds_sum", **labels) > 0


def test_the_postgresql_wrapper_runs_on_the_pool():
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL run only")
    assert connection.settings_dict["ENGINE"] == "django_prometheus.db.backends.postgresql"
    assert connection.settings_dict["OPTIONS"].get("pool"), "the pool settings of workshop/settings.py"
    assert connection.pool is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_cache_operations_are_counted_and_timed():
    backend = "redis" if os.environ.get("REDIS_URL") else "locmem"
    assert type(caches["default"]).__module__ == "workshop.metrics"
    assert caches["default"].metrics_backend == backend
    before = scrape()
    cache.set("metrics-test", {"a": 1})
    assert cache.get("metrics-test") == {"a": 1}
    assert cache.get("metrics-test-missing") is None
    middle = scrape()
    assert cache.get_many(["metrics-test", "metrics-test-missing"]) == {"metrics-test": {"a": 1}}
    after = scrape()

    def delta(name, start, end, **labels):
        return value(end, name, **labels) - value(start, name, **labels)

    assert delta("django_cache_get_total", before, middle, backend=backend) == 2
    assert delta("django_cache_get_hits_total", before, middle, backend=backend) == 1
    assert delta("django_cache_get_misses_total", before, middle, backend=backend) == 1
    timings = "weldshop_cache_operation_duration_seconds_count"
    assert delta(timings, before, middle, backend=backend, operation="set") == 1
    assert delta(timings, before, middle, backend=backend, operation="get") == 2
    # get_many is timed as one operation, even where the backend builds it from gets.
    assert delta(timings, middle, after, backend=backend, operation="get_many") == 1
    assert delta(timings, middle, after, backend=backend, operation="get") == 0
    assert value(after, "weldshop_cache_operation_duration_seconds_sum", backend=backend, operation="get") > 0


def test_a_cached_falsy_value_is_a_hit():
    """django-prometheus's local-memory `get` answers `cached or default`; ours does not."""
    for stored in (0, "", [], False):
        cache.set("metrics-falsy", stored)
        assert cache.get("metrics-falsy", "default") == stored


def test_websocket_connections_gauge():
    before = value(scrape(), "weldshop_websocket_connections")
    metrics.websocket_opened()
    metrics.websocket_opened()
    metrics.websocket_closed()
    try:
        assert value(scrape(), "weldshop_websocket_connections") == before + 1
    finally:
        metrics.websocket_closed()
    assert value(scrape(), "weldshop_websocket_connections") == before


@pytest.fixture
def job_counts():
    registered = metrics._job_counts  # the jobs app's, put back after the test
    yield metrics.register_job_counts
    metrics.register_job_counts(registered)


def test_jobs_by_status_are_read_at_scrape_time(job_counts):
    counts = {"queued": 3, "running": 1, "failed": 2}
    job_counts(lambda: counts)
    samples = scrape()
    assert {status: value(samples, "weldshop_jobs", status=status) for status in counts} == counts
    counts["queued"] = 0  # read again at the next scrape
    assert value(scrape(), "weldshop_jobs", status="queued") == 0
    assert ("weldshop_jobs", (("status", "queued"),)) in scrape()
    job_counts(None)
    assert not with_label(scrape(), "weldshop_jobs", "status")


def test_a_failing_job_count_leaves_the_series_out_not_the_scrape(job_counts, caplog):
    def broken():
        raise RuntimeError("database down")

    job_counts(broken)
    samples = scrape()
    assert not with_label(samples, "weldshop_jobs", "status")
    assert value(samples, "django_http_requests_total_by_method_total", method="GET") > 0
    logged = [line for line in rendered_log_lines(caplog) if line.get("event") == "metrics.job_counts_failed"]
    assert logged and logged[0]["error"] == "RuntimeError"


def write_other_process_metrics(directory: Path) -> None:
    """A process with PROMETHEUS_MULTIPROC_DIR, as a gunicorn worker: its values go to files."""
    code = (
        "from prometheus_client import Counter\n"
        "Counter('weldshop_test_other_worker', 'x', ['kind']).labels('a').inc(7)\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def test_multiprocess_scrapes_read_every_workers_files_and_the_jobs(job_counts, tmp_path, monkeypatch):
    """With PROMETHEUS_MULTIPROC_DIR a scrape is built from the folder's files, and the jobs
    collector has to be on that scrape's registry, not only on the process's."""
    write_other_process_metrics(tmp_path)
    assert [path.name for path in tmp_path.iterdir() if re.match(r"counter_\d+\.db$", path.name)]
    job_counts(lambda: {"queued": 5})
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape()
    assert value(samples, "weldshop_test_other_worker_total", kind="a") == 7
    assert value(samples, "weldshop_jobs", status="queued") == 5
    # This process's own values are not in files here (it is no gunicorn worker).
    assert not with_label(samples, "django_http_requests_total_by_method_total", "method")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("METRICS_ALLOWED_IPS", "127.0.0.1,localhost"),
        ("METRICS_ALLOWED_IPS", "10.0.0.0/33"),
        ("METRICS_TOKEN", "short"),
    ],
)
def test_a_bad_metrics_setting_refuses_to_start(name, value):
    result = manage("check", **{name: value})
    assert result.returncode != 0 and name in result.stderr and "ImproperlyConfigured" in result.stderr
