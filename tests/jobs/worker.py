"""A real Celery worker for the tests: `celery -A workshop worker` in its own process, on the
test database (PostgreSQL), the test run's Redis broker and S3 — what production runs.

Only where those services run (the PostgreSQL run of scripts/test: `WELDSHOP_TEST_SERVICES`);
tests using it are marked `real_worker` (jobs go to the broker instead of running in the
test's process) and need `transactional_db` (the worker reads what the test committed).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)

needs_services = pytest.mark.skipif(
    not os.environ.get("WELDSHOP_TEST_SERVICES") or not os.environ.get("REDIS_URL"),
    reason="needs the real PostgreSQL, Redis and S3 of scripts/test's first run",
)


def database_url() -> str:
    """The test database (pytest-django's `test_…`), as a URL for another process."""
    db = connection.settings_dict
    user = db["USER"] or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Worker:
    """One worker process (prefork pool of `concurrency` children); its log in `log`."""

    def __init__(self, tmp: Path, concurrency: int = 1, env: dict | None = None):
        self.log = tmp / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.concurrency = concurrency
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "workshop.settings",
            "DATABASE_URL": database_url(),
            "CACHE_KEY_PREFIX": settings.CACHE_KEY_PREFIX,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> Worker:
        offset = len(self.text())  # a restarted worker appends to its log
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "workshop",
                    "worker",
                    "--hostname",
                    self.hostname,
                    "--concurrency",
                    str(self.concurrency),
                    "--pool",
                    "prefork",
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while "ready." not in self.text()[offset:]:
            assert self.proc.poll() is None, f"the worker exited:\n{self.text()[-3000:]}"
            assert time.monotonic() < deadline, f"the worker did not start:\n{self.text()[-3000:]}"
            time.sleep(0.2)
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def children(self) -> list[int]:
        """The pool's processes (the ones that run the tasks)."""
        assert self.proc is not None
        found = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found += [int(pid) for pid in (task / "children").read_text().split()]
        return found

    def kill_child(self) -> int:
        """SIGKILL the pool process running a task, as an out-of-memory kill would."""
        children = self.children()
        assert children, "the worker has no pool process"
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # warm shutdown: the running task may finish
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL the whole worker (the main process and its pool), as a lost host would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def lines(self, pattern: str) -> list[str]:
        return re.findall(pattern, self.text())


def wait_for(predicate, timeout: float = 60, interval: float = 0.1, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
