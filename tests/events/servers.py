"""Real app servers in subprocesses for the live-events tests over real sockets: `manage.py
serve` (uvicorn, one process: what scripts/run starts) and gunicorn with uvicorn workers (what
the image runs). Each gets its own SQLite file (or shares one), key prefix and Redis database."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings as django_settings

ROOT = Path(django_settings.BASE_DIR)
PASSWORD = "Slag-and-spatter-8812"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def own_redis_url(url: str, db: int = 13) -> str:
    """The same Redis, another database number (the tests' `cache.clear()` flushes theirs)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def server_env(tmp: Path, *, database: Path, redis_url: str = "", prefix: str = "") -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": prefix or f"weldshop-ev-{uuid.uuid4().hex[:10]}",
        "STORAGE_BACKEND": "local",
        "MEDIA_ROOT": str(tmp / "media"),
        "STATIC_ROOT": str(tmp / "static"),
        "RATELIMIT_GENERAL": "100000/h",
        "RATELIMIT_AUTH": "10000/h",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }


PREPARE = """
import django, sys
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
for pair in sys.argv[1:]:
    username, role = pair.split(":")
    call_command("create_user", role=role, username=username, password=PASSWORD)
"""


def prepare_database(env: dict, users: dict[str, str]) -> None:
    """Migrate, then one user per `{username: role}`, all with PASSWORD (one process)."""
    script = f"PASSWORD = {PASSWORD!r}\n{PREPARE}"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, *(f"{u}:{r}" for u, r in users.items())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}"


class Server:
    """`kind` "serve": manage.py serve (one uvicorn process); "gunicorn": gunicorn with
    `workers` uvicorn workers."""

    def __init__(self, tmp: Path, env: dict, kind: str = "serve", workers: int = 2):
        self.tmp, self.env, self.kind, self.workers = tmp, env, kind, workers
        self.port = free_port()
        self.log = tmp / f"{kind}-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1/events"

    def start(self) -> Server:
        if self.kind == "serve":
            cmd = [sys.executable, "manage.py", "serve", "--port", str(self.port)]
        else:
            cmd = [
                sys.executable,
                "-m",
                "gunicorn",
                "workshop.asgi:application",
                "-k",
                "uvicorn_worker.UvicornWorker",
                "--workers",
                str(self.workers),
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--no-control-socket",
                "--graceful-timeout",
                "3",
            ]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"{self.kind} exited ({self.proc.returncode}):\n{self.logs()}"
            with contextlib.suppress(OSError):
                status, _ = self.request("GET", "/health")
                if status == 200:
                    return self
            time.sleep(0.2)
        raise AssertionError(f"{self.kind} did not answer /health in 40 s:\n{self.logs()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only what it started
            self.proc.wait(timeout=10)

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    # ------------------------------------------------------------------ HTTP
    def request(self, method: str, path: str, body=None, token: str | None = None) -> tuple[int, object]:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = {"Connection": "close"}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        return response.status, (json.loads(raw) if raw else None)

    def login(self, username: str) -> str:
        status, body = self.request(
            "POST", "/api/v1/auth/login", {"username": username, "password": PASSWORD}
        )
        assert status == 200, body
        return body["access_token"]

    def ticket(self, token: str) -> str:
        status, body = self.request("POST", "/api/v1/auth/ws-ticket", token=token)
        assert status == 200, body
        return body["ticket"]

    def socket(self, token: str, query: str = "", **kwargs):
        """A connected client socket (the `websockets` library), with a fresh ticket."""
        from websockets.sync.client import connect

        return connect(
            f"{self.ws_url}?ticket={self.ticket(token)}{query}",
            proxy=None,
            open_timeout=10,
            legacy=True,
            **kwargs,
        )

    def socket_pids(self) -> list[int]:
        """The worker pid of each socket opened so far (from the app's log lines)."""
        pids = []
        for line in self.logs_all().splitlines():
            if '"events.socket_opened"' in line:
                pids.append(json.loads(line)["pid"])
        return pids

    def logs_all(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
