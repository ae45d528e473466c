"""gunicorn's own log lines are JSON like the app's (SPEC §4: JSON for every log line).

`gunicorn.conf.py` gives gunicorn a logger whose handlers use the app's structlog formatter.
The server runs the Dockerfile's own command (on a free loopback port) in production mode;
every line it writes on stdout and stderr, from start-up through a request to shutdown, must
be one JSON object with `event`, `level` and `timestamp`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.workshop.test_chunked_body import production_env
from tests.workshop.test_ratelimit_gunicorn import free_port, run

ROOT = Path(django_settings.BASE_DIR)
WORKERS = 2


def dockerfile_command(port: int) -> list[str]:
    """The Dockerfile's CMD, on a loopback port, with this virtualenv's gunicorn."""
    text = (ROOT / "Dockerfile").read_text()
    command = json.loads(re.search(r"^CMD (\[.*?\])", text, re.M | re.S).group(1).replace("\\\n", ""))
    assert command[0] == "gunicorn", command
    assert "gunicorn.conf.py" in command, "the image's gunicorn should name its config"
    command = [arg.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for arg in command]
    return [sys.executable, "-m", *command]


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> list[str]:
    """What gunicorn printed (stdout, then stderr) from start-up to shutdown, around one
    request to the API and an access log on stdout."""
    tmp = tmp_path_factory.mktemp("gunicorn-logging")
    env = {**production_env(tmp), "WEB_CONCURRENCY": str(WORKERS)}
    run(["migrate", "--noinput", "-v", "0"], env)
    port = free_port()
    stdout, stderr = tmp / "stdout.log", tmp / "stderr.log"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        proc = subprocess.Popen(  # noqa: S603
            [*dockerfile_command(port), "--access-logfile", "-"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while stderr.read_text().count("Booting worker") < WORKERS or not answers(port, "/health"):
            assert proc.poll() is None, f"gunicorn exited:\n{stderr.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{stderr.read_text()[-3000:]}"
            time.sleep(0.2)
        assert not answers(port, "/api/v1/workorders/")  # a 401: the app's line and a refusal
    finally:
        proc.terminate()  # the master stops its workers and logs its shutdown
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what it started
            proc.wait(timeout=10)
    return stdout.read_text().splitlines() + stderr.read_text().splitlines()


def answers(port: int, path: str) -> bool:
    with contextlib.suppress(OSError):
        connection = HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path, headers={"Connection": "close"})
            return connection.getresponse().status == 200
        finally:
            connection.close()
    return False


def test_every_line_gunicorn_prints_is_json(output):
    assert output
    for line in output:
        try:
            entry = json.loads(line)
        except ValueError:
            pytest.fail(f"not JSON: {line!r}\n" + "\n".join(output[-40:]))
        assert {"event", "level", "timestamp"} <= set(entry), line


def test_gunicorns_own_events_are_among_them(output):
    entries = [json.loads(line) for line in output]
    gunicorn = [entry["event"] for entry in entries if entry.get("logger") == "gunicorn.error"]
    assert any(event.startswith("Starting gunicorn") for event in gunicorn), gunicorn
    assert sum(event.startswith("Booting worker") for event in gunicorn) == WORKERS, gunicorn
    assert "Shutting down: Master" in gunicorn
    assert all(entry["level"] == "info" for entry in entries if entry.get("logger") == "gunicorn.error")
    # The access log (off in the image, on here) is JSON too, beside the app's request line;
    # the image's uvicorn workers write it through gunicorn's access handlers.
    access = [entry for entry in entries if entry.get("logger") in ("gunicorn.access", "uvicorn.access")]
    assert any("/api/v1/workorders/" in entry["event"] for entry in access), access
    requests = [entry for entry in entries if entry["event"] == "request.finished"]
    assert {(entry["path"], entry["status"]) for entry in requests} >= {("/api/v1/workorders/", 401)}
