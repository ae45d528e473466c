"""Benchmark: a 100k-row work-order import sent with `Prefer: respond-async` (SPEC §5, issue 10).

    .venv/bin/python tests/perf/bench_import_async.py [--rows 100000] [--rounds 3]

What it measures, on one machine with real parts:

1. a throwaway PostgreSQL (bench_workorders_list.Postgres) and redis-server, migrated, 200
   employees (the welders the file names), a manager to log in as;
2. the app as the image runs it (gunicorn, 1 uvicorn worker, production mode, local files) and
   one Celery worker (`celery -A workshop worker --concurrency 1`);
3. the workbook of bench_import.py (100k rows, ~4 MB);
4. alternating rounds of
     sync    `POST /api/v1/workorders/import/` without the header (IMPORT_SYNC_MAX_ROWS raised so
             it stays in the request): the whole request's time — today's import;
     async   the same request with `Prefer: respond-async`: the time to the `202` as the client
             sees it and as the app measured it (its request log line: from the moment the
             upload was received — the body is read before the app's middleware runs — to
             the answer; target ≤ 300 ms whatever the row count), then the time until the job
             is `succeeded` (polling `/api/v1/jobs/{id}/` every 50 ms): total / sync, target ≤ 1.1;
   the work orders and import records are deleted between rounds, so every round inserts the
   same 100k rows;
5. prints the medians and stops everything.

Exit status 0 whether or not the targets are met; non-zero only when the benchmark could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_import import create_employees, employees, write_workbook  # noqa: E402
from tests.perf.bench_workorders_list import (  # noqa: E402
    Postgres,
    exit_cleanly_on_sigterm,
    free_port,
    say,
    step,
)

TARGET_202_MS = 300
TARGET_RATIO = 1.1
USERNAME, PASSWORD = "bench-async", "Bench-import-" + secrets.token_urlsafe(12)


def multipart(filename: str, content: bytes, boundary: str = "weldshop-bench") -> tuple[str, bytes]:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return f"multipart/form-data; boundary={boundary}", head + content + f"\r\n--{boundary}--\r\n".encode()


class Process:
    def __init__(self, name: str, cmd: list[str], env: dict, log: Path):
        self.name, self.cmd, self.env, self.log = name, cmd, env, log
        self.proc: subprocess.Popen | None = None

    def start(self, ready) -> None:
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                self.cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while not ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)
        step(f"{self.name} started (pid {self.proc.pid})")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def http(base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def server_duration_ms(log: Path, request_id: str) -> float | None:
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if request_id in line and '"request.finished"' in line:
            return json.loads(line)["duration_ms"]
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    exit_cleanly_on_sigterm()
    tmp = Path(tempfile.mkdtemp(prefix="weldshop-bench-async-"))
    postgres = Postgres(tmp)
    processes: list[Process] = []
    redis_port = free_port()
    try:
        say("== Set-up")
        database_url = postgres.start()
        subprocess.run(  # noqa: S603
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--daemonize", "yes", "--save", "",
             "--appendonly", "no", "--dir", str(tmp)],
            check=True,
        )  # fmt: skip
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "workshop.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "STORAGE_BACKEND": "local",
            "MEDIA_ROOT": str(tmp / "media"),
            "STATIC_ROOT": str(tmp / "static"),
            "RATELIMIT_ENABLE": "false",
            "IMPORT_SYNC_MAX_ROWS": str(10 * args.rows),  # the sync rounds stay in the request
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "UPLOAD_MAX_MB": "50",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")})
        os.environ.update(
            {"DJANGO_SECRET_KEY": env["DJANGO_SECRET_KEY"], "JWT_SIGNING_KEY": env["JWT_SIGNING_KEY"]}
        )
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", interactive=False, verbosity=0)
        staff = employees(200)
        create_employees(staff)
        call_command("create_user", role="manager", username=USERNAME, password=PASSWORD)
        (tmp / "static").mkdir()
        path = tmp / "orders.xlsx"
        started = time.perf_counter()
        write_workbook(path, args.rows, staff, 42)
        content = path.read_bytes()
        step(f"{args.rows} rows, {len(content) / 1e6:.1f} MB ({time.perf_counter() - started:.1f} s)")

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        app_log = tmp / "app.log"
        app = Process(
            "gunicorn (1 uvicorn worker)",
            [sys.executable, "-m", "gunicorn", "workshop.asgi:application", "-k", "uvicorn_worker.UvicornWorker",
             "--workers", "1", "--bind", f"127.0.0.1:{port}", "--no-control-socket", "--timeout", "600",
             "--config", str(ROOT / "gunicorn.conf.py")],
            env, app_log,
        )  # fmt: skip
        processes.append(app)

        def answers() -> bool:
            try:
                return http(base, "GET", "/health")[0] == 200
            except OSError:
                return False

        app.start(answers)
        worker_log = tmp / "worker.log"
        worker = Process(
            "celery worker (1 process)",
            [sys.executable, "-m", "celery", "-A", "workshop", "worker", "--concurrency", "1", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--hostname", f"bench-{uuid.uuid4().hex[:6]}@localhost"],
            env, worker_log,
        )  # fmt: skip
        processes.append(worker)
        worker.start(lambda: "ready." in worker_log.read_text(errors="replace"))

        _, _, login = http(
            base, "POST", "/api/v1/auth/login", json.dumps({"username": USERNAME, "password": PASSWORD}).encode(),
            {"Content-Type": "application/json"},
        )  # fmt: skip
        token = login["access_token"]
        content_type, body = multipart("orders.xlsx", content)

        from django.db import connection

        def reset() -> None:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM workorders_workorder")
                cursor.execute("DELETE FROM imports_excelimport")

        def send(prefer: bool):
            request_id = uuid.uuid4().hex
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": content_type,
                "X-Request-ID": request_id,
            }
            if prefer:
                headers["Prefer"] = "respond-async"
            started = time.perf_counter()
            status, response_headers, answer = http(base, "POST", "/api/v1/workorders/import/", body, headers)
            return status, answer, (time.perf_counter() - started) * 1000, started, request_id

        say("== Rounds")
        sync_ms, to_202_ms, to_202_server_ms, total_ms = [], [], [], []
        for number in range(1, args.rounds + 1):
            reset()
            status, answer, elapsed, _, _ = send(prefer=False)
            assert status == 201, answer
            sync_ms.append(elapsed)
            reset()
            status, answer, elapsed, started, request_id = send(prefer=True)
            assert status == 202, answer
            to_202_ms.append(elapsed)
            to_202_server_ms.append(server_duration_ms(app_log, request_id) or float("nan"))
            job_id = answer["id"]
            while True:
                _, _, job = http(
                    base, "GET", f"/api/v1/jobs/{job_id}/", headers={"Authorization": f"Bearer {token}"}
                )
                if job["status"] in ("succeeded", "failed", "cancelled"):
                    break
                time.sleep(0.05)
            assert job["status"] == "succeeded", job
            total_ms.append((time.perf_counter() - started) * 1000)
            say(
                f"round {number}: sync {sync_ms[-1]:.0f} ms; async: 202 after {to_202_ms[-1]:.0f} ms "
                f"(app: {to_202_server_ms[-1]:.0f} ms), succeeded after {total_ms[-1]:.0f} ms "
                f"({total_ms[-1] / sync_ms[-1]:.2f}x)"
            )
        say("== Result (medians)")
        ratio = statistics.median(t / s for t, s in zip(total_ms, sync_ms, strict=True))
        say(f"sync import (the whole request)          {statistics.median(sync_ms):8.0f} ms")
        say(f"async: to the 202, client                {statistics.median(to_202_ms):8.0f} ms")
        say(
            f"async: to the 202, app (upload received) {statistics.median(to_202_server_ms):8.0f} ms"
            f"   target <= {TARGET_202_MS} ms"
        )
        say(f"async: to the job's success              {statistics.median(total_ms):8.0f} ms")
        say(f"async total / sync                       {ratio:8.2f}x   target <= {TARGET_RATIO}x")
        return 0
    finally:
        for process in reversed(processes):
            process.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110
            pass
        subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown", "nosave"], capture_output=True)  # noqa: S607
        postgres.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
