"""Benchmark: live-events fan-out (issue 10) — 1,000 sockets subscribed to `workorders`,
100 updates through the API, latency from each update's 200 to each socket's receipt.

    .venv/bin/python tests/perf/bench_events.py [--help]

One run, one server, one database, one Redis:

1. a throwaway PostgreSQL (or the database in $DATABASE_URL) and redis-server, as in
   bench_load.py; migrated; a manager (who writes) and a viewer (whose sockets listen);
2. gunicorn with 2 uvicorn workers (`workshop.asgi:application -k uvicorn_worker.UvicornWorker`),
   production mode, limits raised so that the 1,000 ticket requests are not refused;
3. 1,000 tickets (`POST /api/v1/auth/ws-ticket`), then `--procs` client processes (asyncio,
   the `websockets` library, permessage-deflate as browsers negotiate it unless
   `--no-compression`) open the sockets with `?ticket=…&topics=workorders` and wait for the ack;
4. 100 `PATCH /api/v1/workorders/<id>/` one after the other (`--interval` seconds apart, default
   0: each as soon as the previous answered), each setting `client` to `bench-<n>`; the time of
   each 200 is taken with CLOCK_MONOTONIC, which every process on the machine shares;
5. each socket notes when each `workorder.updated` arrives; latency = receipt − the update's
   200 (an event can arrive before the writer has read its 200: counted as 0 and reported);
6. p50, p99, max, events lost (must be 0) and the verdict (target p99 ≤ 250 ms); stops
   everything it started.

Exit status 0 whether or not the target is met; non-zero only when the benchmark could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_P99_MS = 250.0
BENCH_CLIENT = re.compile(r'"client":"bench-(\d+)"')


# ------------------------------------------------------------------------------- client process
async def listen(url: str, tickets: list[str], updates: int, compression: bool, timeout: float) -> dict:
    """One client process: open a socket per ticket, report READY, then note the arrival time
    of each update's event on each socket."""
    from websockets.asyncio.client import connect

    sockets = []
    opening = asyncio.Semaphore(50)

    async def open_one(ticket: str):
        async with opening:
            ws = await connect(
                f"{url}?ticket={ticket}&topics=workorders",
                compression="deflate" if compression else None,
                proxy=None,
                open_timeout=60,
                max_queue=None,
                ping_interval=None,
            )
            ack = json.loads(await ws.recv())
            assert ack["type"] == "subscribed", ack
            return ws

    sockets = await asyncio.gather(*(open_one(t) for t in tickets))
    print("READY", flush=True)
    arrivals: list[list[tuple[int, float]]] = [[] for _ in sockets]

    async def read(index: int, ws) -> None:
        seen = arrivals[index]
        while len(seen) < updates:
            text = await ws.recv()
            now = time.monotonic()
            match = BENCH_CLIENT.search(text)
            if match and '"event":"workorder.updated"' in text:
                seen.append((int(match.group(1)), now))

    try:
        await asyncio.wait_for(asyncio.gather(*(read(i, ws) for i, ws in enumerate(sockets))), timeout)
    except TimeoutError:
        pass
    for ws in sockets:
        await ws.close()
    return {"arrivals": arrivals}


def client_main() -> int:
    config = json.loads(sys.stdin.readline())
    result = asyncio.run(
        listen(config["url"], config["tickets"], config["updates"], config["compression"], config["timeout"])
    )
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


# ------------------------------------------------------------------------------- the run
def post_json(port: int, path: str, body, token: str | None = None, method: str = "POST") -> tuple[int, dict]:
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


class AsgiGunicorn:
    """gunicorn with uvicorn workers on the ASGI app, as the image runs it."""

    def __init__(self, tmp: Path, workers: int):
        from tests.perf.bench_workorders_list import free_port

        self.port = free_port()
        self.workers = workers
        self.log_path = tmp / "gunicorn.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        from tests.perf.bench_workorders_list import step

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
            "--backlog",
            "2048",
            "--graceful-timeout",
            "5",
        ]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.proc.returncode}):\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        step(
                            f"gunicorn {self.workers} uvicorn workers on 127.0.0.1:{self.port} (pid {self.proc.pid})"
                        )
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /health in 40 s:\n{self.log_path.read_text()[-3000:]}")

    def cpu_seconds(self) -> float:
        """User + system CPU of the workers (their /proc stat), for the report."""
        total = 0.0
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        ticks = os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks
            except (OSError, IndexError, ValueError):
                continue
        return total

    def stop(self) -> None:
        import signal

        from tests.perf.bench_workorders_list import step

        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only what it started
            self.proc.wait()
        step("gunicorn stopped")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(args) -> dict:
    from tests.perf.bench_load import Redis
    from tests.perf.bench_workorders_list import (
        Postgres,
        exit_cleanly_on_sigterm,
        production_environment,
        say,
        setup_django,
        step,
        use_database,
    )

    exit_cleanly_on_sigterm()
    tmp = Path(tempfile.mkdtemp(prefix="weldshop-bench-events-"))
    postgres, redis, server, clients = Postgres(tmp), Redis(tmp), None, []
    try:
        production_environment(
            REDIS_URL=redis.start(),
            RATELIMIT_GENERAL="100000000/m",
            RATELIMIT_AUTH="100000000/m",
            LOG_LEVEL="WARNING",
        )
        use_database(postgres)
        setup_django(quiet_requests=True)
        from django.contrib.auth import get_user_model
        from rest_framework_simplejwt.tokens import RefreshToken

        from workorders.models import WorkOrder
        from workshop.roles import set_user_role

        users = {}
        for name, role in (("bench-events-writer", "manager"), ("bench-events-reader", "viewer")):
            user, _ = get_user_model().objects.get_or_create(username=name)
            set_user_role(user, role)
            user.save()
            users[role] = str(RefreshToken.for_user(user).access_token)
        order, _ = WorkOrder.objects.get_or_create(
            order_id="BENCH-EVENTS-1", defaults={"client": "bench-start"}
        )
        from django.db import connections

        connections.close_all()

        server = AsgiGunicorn(tmp, args.workers)
        server.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            replies = list(
                pool.map(
                    lambda _: post_json(server.port, "/api/v1/auth/ws-ticket", None, users["viewer"]),
                    range(args.clients),
                )
            )
        assert all(status == 200 for status, _ in replies), {status for status, _ in replies}
        tickets = [body["ticket"] for _, body in replies]
        step(f"{len(tickets)} tickets ({time.perf_counter() - started:.1f} s)")

        started = time.perf_counter()
        url = f"ws://127.0.0.1:{server.port}/ws/v1/events"
        share = (len(tickets) + args.procs - 1) // args.procs
        for index in range(args.procs):
            proc = subprocess.Popen(  # noqa: S603
                [sys.executable, __file__, "--client-process"],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            config = {
                "url": url,
                "tickets": tickets[index * share : (index + 1) * share],
                "updates": args.updates,
                "compression": not args.no_compression,
                "timeout": args.updates * max(args.interval, 0.05) + 60,
            }
            proc.stdin.write(json.dumps(config) + "\n")
            proc.stdin.flush()
            clients.append(proc)
        for proc in clients:
            line = proc.stdout.readline().strip()
            if line != "READY":
                raise RuntimeError(f"a client process did not get its sockets open: {line!r}")
        step(
            f"{len(tickets)} sockets open and subscribed in {args.procs} processes ({time.perf_counter() - started:.1f} s)"
        )
        time.sleep(1)

        answered: dict[int, float] = {}
        sent_at: dict[int, float] = {}
        api_ms = []
        server_cpu_before = server.cpu_seconds()
        started = time.perf_counter()
        for n in range(args.updates):
            sent = sent_at[n] = time.monotonic()
            status, body = post_json(
                server.port,
                f"/api/v1/workorders/{order.pk}/",
                {"client": f"bench-{n}"},
                users["manager"],
                "PATCH",
            )
            answered[n] = time.monotonic()
            api_ms.append((answered[n] - sent) * 1000)
            assert status == 200, body
            if args.interval:
                time.sleep(args.interval)
        writing = time.perf_counter() - started
        step(f"{args.updates} updates in {writing:.1f} s (API p50 {percentile(api_ms, 0.5):.1f} ms)")

        latencies, from_request, early, received = [], [], 0, 0
        client_cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for proc in clients:
            out, _ = proc.communicate(timeout=args.updates * max(args.interval, 0.05) + 120)
            result = json.loads(out.strip().splitlines()[-1])
            for arrivals in result["arrivals"]:
                numbers = [n for n, _ in arrivals]
                received += len(set(numbers))
                for n, at in arrivals:
                    delta = (at - answered[n]) * 1000
                    if delta < 0:
                        early += 1
                    latencies.append(max(0.0, delta))
                    from_request.append((at - sent_at[n]) * 1000)
        client_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = server.cpu_seconds() - server_cpu_before
        expected = args.updates * len(tickets)
        results = {
            "sockets": len(tickets),
            "updates": args.updates,
            "expected": expected,
            "received": received,
            "lost": expected - received,
            "early": early,
            "p50_ms": percentile(latencies, 0.50) if latencies else None,
            "p90_ms": percentile(latencies, 0.90) if latencies else None,
            "p99_ms": percentile(latencies, 0.99) if latencies else None,
            "max_ms": max(latencies) if latencies else None,
            "from_request_p50_ms": percentile(from_request, 0.50) if from_request else None,
            "from_request_p99_ms": percentile(from_request, 0.99) if from_request else None,
            "server_cpu_s": round(server_cpu, 1),
            "client_cpu_s": round(
                client_cpu.ru_utime
                + client_cpu.ru_stime
                - client_cpu_before.ru_utime
                - client_cpu_before.ru_stime,
                1,
            ),
            "api_p50_ms": percentile(api_ms, 0.5),
            "api_p99_ms": percentile(api_ms, 0.99),
            "writing_s": writing,
            "compression": not args.no_compression,
            "interval_s": args.interval,
        }
        say()
        say(json.dumps(results, indent=2))
        verdict = "PASS" if results["lost"] == 0 and results["p99_ms"] <= TARGET_P99_MS else "FAIL"
        say(
            f"\n{verdict}: p50 {results['p50_ms']:.1f} ms, p99 {results['p99_ms']:.1f} ms "
            f"(target ≤ {TARGET_P99_MS:.0f}), max {results['max_ms']:.1f} ms, lost {results['lost']} of {expected}, "
            f"{early} before the writer read its 200; from the request sent: p50 "
            f"{results['from_request_p50_ms']:.1f} ms, p99 {results['from_request_p99_ms']:.1f} ms; CPU: server "
            f"workers {results['server_cpu_s']} s, clients {results['client_cpu_s']} s (while writing and reading)"
        )
        return results
    finally:
        for proc in clients:
            if proc.poll() is None:
                proc.kill()
        if server is not None:
            server.stop()
        redis.stop()
        from tests.perf.bench_workorders_list import stop_database

        stop_database(postgres)
        if not args.keep_tmp:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000, help="sockets (default 1000)")
    parser.add_argument("--updates", type=int, default=100, help="API updates (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--procs", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between updates (default 0)")
    parser.add_argument("--no-compression", action="store_true", help="sockets without permessage-deflate")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp folder (logs)")
    parser.add_argument("--client-process", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.client_process:
        return client_main()
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
