"""The login limit across two gunicorn workers sharing a real Redis (SPEC §4, issue 6): the
sixth login in the window from one IP is a 429 whichever worker answers, and failed logins
count too.

Each scenario sends its first logins while one worker is held busy by a connection that never
finishes its request (a sync worker serves one connection at a time), and the rest while the
other one is: so the count provably crosses workers. gunicorn's access log names the worker
(pid) that answered each request id.

Needs `REDIS_URL` (the PostgreSQL run of scripts/test starts a redis-server and sets it). The
server gets its own SQLite file, Redis database number and key prefix.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings as django_settings

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs a real redis-server: set REDIS_URL (the PostgreSQL run of scripts/test does)",
)

ROOT = Path(django_settings.BASE_DIR)
USERNAME = "rl-gunicorn"
PASSWORD = "Spatter-and-slag-4417"
WORKERS = 2
# Loopback addresses the logins come from, one fresh address per scenario (and a spare when
# a window is about to end).
CLIENT_IPS = [f"127.0.0.{n}" for n in range(2, 12)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def own_redis_url(url: str) -> str:
    """The same Redis, another database number: the tests' `cache.clear()` flushes theirs."""
    parts = urlsplit(url)
    current = parts.path.strip("/") or "0"
    return urlunsplit(parts._replace(path="/15" if current != "15" else "/14"))


def run(args: list[str], env: dict, timeout: float = 180) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"manage.py {' '.join(args)}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    )


@dataclass
class Reply:
    request_id: str
    status: int
    headers: dict[str, str]
    body: dict
    pid: int | None = None


class Server:
    # Sync workers on the WSGI app here: a connection that never finishes its request holds one
    # (worker_held). Subclasses may serve the ASGI app.
    app = "workshop.wsgi"
    worker_class = "sync"

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = free_port()
        self.redis_url = own_redis_url(os.environ["REDIS_URL"])
        self.prefix = f"weldshop-rl-{uuid.uuid4().hex[:12]}"
        self.access_log = tmp / "access.log"
        self.error_log = tmp / "gunicorn.log"
        self.app_log = tmp / "app.log"
        self.proc: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "workshop.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
            "REDIS_URL": self.redis_url,
            "CACHE_KEY_PREFIX": self.prefix,
            "STORAGE_BACKEND": "local",
            "MEDIA_ROOT": str(tmp / "media"),
            "STATIC_ROOT": str(tmp / "static"),
            "RATELIMIT_ENABLE": "true",
            "RATELIMIT_AUTH": "5/h",
            "RATELIMIT_GENERAL": "1000/h",
            "TRUSTED_PROXY_HOPS": "0",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
        }

    # ------------------------------------------------------------------ life cycle
    def prepare(self) -> None:
        run(["migrate", "--noinput", "-v", "0"], self.env)
        run(
            ["create_user", "--role", "viewer", "--username", USERNAME],
            {**self.env, "WELDSHOP_PASSWORD": PASSWORD},
        )

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            self.app,
            "--workers",
            str(WORKERS),
            "--worker-class",
            self.worker_class,
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            "%(p)s %({x-request-id}i)s %(s)s",
            "--error-logfile",
            str(self.error_log),
        ]
        with open(self.app_log, "wb") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited ({self.proc.returncode}):\n{self.logs()}"
            with contextlib.suppress(OSError):
                connection = HTTPConnection("127.0.0.1", self.port, timeout=2)
                try:
                    connection.request("GET", "/health", headers={"Connection": "close"})
                    if connection.getresponse().status == 200 and len(self.worker_pids()) == WORKERS:
                        return
                finally:
                    connection.close()
            time.sleep(0.2)
        raise AssertionError(
            f"gunicorn did not answer /health with {WORKERS} workers in 30 s:\n{self.logs()}"
        )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # the master stops its workers
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only what it started
            self.proc.wait(timeout=10)

    def forget_counters(self) -> None:
        client = redis.Redis.from_url(self.redis_url, socket_timeout=5)
        try:
            keys = list(client.scan_iter(match=f"{self.prefix}:*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    def logs(self) -> str:
        parts = []
        for path in (self.error_log, self.app_log):
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def worker_pids(self) -> set[int]:
        if not self.error_log.exists():
            return set()
        return {int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", self.error_log.read_text())}

    def counter_keys(self) -> list[bytes]:
        client = redis.Redis.from_url(self.redis_url, socket_timeout=5)
        try:
            return list(client.scan_iter(match=f"{self.prefix}:*"))
        finally:
            client.close()

    # ------------------------------------------------------------------ requests
    def login(self, ip: str, password: str) -> Reply:
        request_id = f"rl-{uuid.uuid4().hex}"
        connection = HTTPConnection("127.0.0.1", self.port, timeout=15, source_address=(ip, 0))
        try:
            connection.request(
                "POST",
                "/api/v1/auth/login",
                body=json.dumps({"username": USERNAME, "password": password}),
                headers={
                    "Content-Type": "application/json",
                    "Connection": "close",
                    "X-Request-ID": request_id,
                },
            )
            response = connection.getresponse()
            payload = response.read()
            headers = {name.lower(): value for name, value in response.getheaders()}
        finally:
            connection.close()
        return Reply(request_id, response.status, headers, json.loads(payload))

    @contextlib.contextmanager
    def worker_held(self):
        """Occupy one worker: a connection whose request never ends keeps a sync worker
        reading it until the connection closes."""
        stall = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            stall.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            time.sleep(0.3)  # an idle worker takes it at once
            yield
        finally:
            stall.close()

    def answered_by(self, replies: list[Reply]) -> None:
        """Fill in each reply's worker pid from the access log (written just after the reply)."""
        deadline = time.monotonic() + 10
        while True:
            text = self.access_log.read_text() if self.access_log.exists() else ""
            pids = {rid: int(pid) for pid, rid in re.findall(r"<(\d+)> (rl-[0-9a-f]+) \d+", text)}
            if all(reply.request_id in pids for reply in replies) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for reply in replies:
            reply.pid = pids.get(reply.request_id)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = Server(tmp_path_factory.mktemp("ratelimit-gunicorn"))
    try:
        instance.prepare()
        instance.start()
        yield instance
    finally:
        instance.stop()
        with contextlib.suppress(redis.RedisError):
            instance.forget_counters()


@pytest.fixture(scope="module")
def client_ips():
    return iter(CLIENT_IPS)


def logins_across_both_workers(server: Server, client_ips, passwords: list[str]) -> list[Reply]:
    """Send the logins from one fresh client address: the first half while one worker is
    held busy, the second half while the other is. A window ending within a minute (the
    count would restart mid-way) moves the scenario to the next address."""
    half = len(passwords) // 2
    for ip in client_ips:
        with contextlib.ExitStack() as second_held:
            with server.worker_held():  # one worker (A) is busy: the other (B) answers
                replies = [server.login(ip, passwords[0])]
                if int(replies[0].headers["x-ratelimit-reset"]) < 60:
                    continue
                replies += [server.login(ip, password) for password in passwords[1:half]]
                second_held.enter_context(server.worker_held())  # B takes this one
            # A is free again and B is busy: A answers the rest.
            replies += [server.login(ip, password) for password in passwords[half:]]
        server.answered_by(replies)
        return replies
    raise AssertionError("every client address was at the end of its rate-limit window")


def assert_on_both_workers(server: Server, replies: list[Reply]) -> None:
    half = len(replies) // 2
    first = {reply.pid for reply in replies[:half]}
    second = {reply.pid for reply in replies[half:]}
    assert len(first) == 1 and len(second) == 1 and first != second, (first, second, server.logs())
    assert first | second == server.worker_pids()


def assert_limited(reply: Reply) -> None:
    assert reply.status == 429, (reply.status, reply.body)
    assert reply.body["error_code"] == "RATE_LIMITED" and reply.body["request_id"] == reply.request_id
    assert "access_token" not in reply.body
    assert reply.headers["retry-after"].isdigit() and int(reply.headers["retry-after"]) >= 1
    assert (reply.headers["x-ratelimit-limit"], reply.headers["x-ratelimit-remaining"]) == ("5", "0")


def test_the_sixth_login_from_one_ip_is_429_whichever_worker_answers(server, client_ips):
    replies = logins_across_both_workers(server, client_ips, [PASSWORD] * 6)
    assert [reply.status for reply in replies] == [200] * 5 + [429], [(r.status, r.body) for r in replies]
    assert [reply.headers["x-ratelimit-remaining"] for reply in replies[:5]] == ["4", "3", "2", "1", "0"]
    assert all("access_token" in reply.body for reply in replies[:5])
    assert_limited(replies[5])
    assert_on_both_workers(server, replies)
    # The counters are in the shared Redis, under this server's prefix.
    assert server.counter_keys()


def test_five_wrong_passwords_use_up_the_logins_of_that_ip(server, client_ips):
    replies = logins_across_both_workers(server, client_ips, ["not-the-password"] * 5 + [PASSWORD])
    assert [reply.status for reply in replies] == [401] * 5 + [429], [(r.status, r.body) for r in replies]
    assert {reply.body["error_code"] for reply in replies[:5]} == {"UNAUTHORIZED"}
    assert_limited(replies[5])
    assert_on_both_workers(server, replies)
