"""`/metrics` under the image's server: gunicorn with two uvicorn workers on the ASGI app and
`PROMETHEUS_MULTIPROC_DIR` (SPEC §5, multiprocess-safe).

Requests spread over both workers are all counted in one scrape, whichever worker answers it;
each worker's share is read from its own files in the folder. gunicorn.conf.py empties the
folder of the last run's files when it starts and, when a worker dies, drops that worker's
live gauges (open WebSockets) but keeps its counters.

The server is test_chunked_body's (production mode, its own SQLite file, no Redis).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.workshop.test_chunked_body import ProductionServer

HEALTH = (
    "django_http_responses_total_by_status_view_method_total",
    {"view": "health", "method": "GET", "status": "200"},
)
STALE = "weldshop_test_stale_run"


class MetricsServer(ProductionServer):
    def __init__(self, tmp: Path):
        super().__init__(tmp, "asgi")
        self.metrics_dir = tmp / "prometheus"
        self.env["PROMETHEUS_MULTIPROC_DIR"] = str(self.metrics_dir)

    def get(self, path: str, source: str = "127.0.0.1") -> tuple[int, str]:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=15, source_address=(source, 0))
        try:
            connection.request("GET", path, headers={"Connection": "close"})
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def scrape(self) -> dict[tuple[str, tuple], float]:
        status, text = self.get("/metrics")
        assert status == 200, text[:300]
        return samples_of(text_string_to_metric_families(text))

    def booted_pids(self) -> set[int]:
        return {int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", self.error_log.read_text())}

    def health_count_of(self, pid: int) -> float:
        """The /health 200s one worker counted: its own counter file only."""
        path = self.metrics_dir / f"counter_{pid}.db"
        if not path.exists():
            return 0.0
        return value(samples_of(MultiProcessCollector.merge([str(path)])), *HEALTH)


def samples_of(families) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def value(samples: dict, name: str, labels: dict | None = None) -> float:
    return samples.get((name, tuple(sorted((labels or {}).items()))), 0.0)


def stale_files(directory: Path) -> None:
    """What a previous run leaves: a real counter file of a dead process, and a file that is
    not prometheus_client's (left alone)."""
    directory.mkdir(parents=True)
    code = f"from prometheus_client import Counter\nCounter('{STALE}', 'x').inc(41)\n"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    (file,) = directory.glob("counter_*.db")
    file.rename(directory / "counter_999999.db")
    (directory / "gauge_livesum_999999.db").write_bytes((directory / "counter_999999.db").read_bytes())
    (directory / "notes.txt").write_text("not a metrics file")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = MetricsServer(tmp_path_factory.mktemp("metrics-gunicorn"))
    stale_files(instance.metrics_dir)
    try:
        instance.start()
        yield instance
    finally:
        instance.stop()


def test_the_last_runs_files_are_gone_and_only_they(server):
    names = {path.name for path in server.metrics_dir.iterdir()}
    assert "counter_999999.db" not in names and "gauge_livesum_999999.db" not in names
    assert "notes.txt" in names
    assert not [key for key in server.scrape() if key[0].startswith(STALE)]


def test_requests_over_both_workers_are_counted_in_one_scrape(server):
    pids = server.booted_pids()
    assert len(pids) == 2, server.logs()
    before_total = value(server.scrape(), *HEALTH)
    before = {pid: server.health_count_of(pid) for pid in pids}
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(20):  # concurrent connections spread over the workers' accept loops
            statuses = list(pool.map(lambda _: server.get("/health")[0], range(40)))
            assert statuses == [200] * len(statuses)
            sent += len(statuses)
            shares = {pid: server.health_count_of(pid) - before[pid] for pid in pids}
            if all(shares.values()):
                break
    assert all(shares.values()), f"one worker answered everything: {shares}"
    assert sum(shares.values()) == sent
    # Two scrapes, whichever worker answers each: the same totals, every worker's requests.
    for _ in range(2):
        assert value(server.scrape(), *HEALTH) - before_total == sent


def test_loopback_only_by_default(server):
    status, body = server.get("/metrics", source="127.0.0.2")
    assert status == 404 and '"error_code":"NOT_FOUND"' in body.replace(" ", "")
    assert "django_http" not in body


def test_a_dead_workers_live_gauges_go_and_its_counts_stay(server):
    pids = server.booted_pids()
    victim = max(pids, key=server.health_count_of)
    counted = server.health_count_of(victim)
    assert counted > 0
    assert (server.metrics_dir / f"gauge_livesum_{victim}.db").exists()  # the WebSocket gauge
    total = value(server.scrape(), *HEALTH)

    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while len(server.booted_pids()) < 3 or (server.metrics_dir / f"gauge_livesum_{victim}.db").exists():
        assert time.monotonic() < deadline, server.logs()
        time.sleep(0.2)
    assert (server.metrics_dir / f"counter_{victim}.db").exists()
    # Counters never go down: the dead worker's requests are still in the total.
    assert value(server.scrape(), *HEALTH) == total
