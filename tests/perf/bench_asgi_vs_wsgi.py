"""Benchmark: the work-order list served over ASGI against today's WSGI, same machine, same data.

    .venv/bin/python tests/perf/bench_asgi_vs_wsgi.py [--help]

One run, one database, two servers side by side (each idle while the other is measured):

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated, and
   bench_workorders_list.py's data set: 100,000 work orders, 200 employees, 20,000 inspections,
   VACUUM (FREEZE, ANALYZE);
2. WSGI: `gunicorn workshop.wsgi:application`, 2 sync workers (the HTTP-only deployment);
   ASGI: `gunicorn workshop.asgi:application -k uvicorn_worker.UvicornWorker`, 2 workers (the
   image's command). Both in production mode (DJANGO_DEBUG=false), with the project's
   gunicorn.conf.py, the psycopg pool, and each its own PROMETHEUS_MULTIPROC_DIR, as deployed;
3. a check that both answer the same 50 rows and refuse a request without the token;
4. wrk (or a Python client when wrk is missing) on
     GET /api/v1/workorders/?page_size=50&status=pending&sort_by=due_date   (JWT, viewer role)
   after a warm-up of each server, then rounds alternating which server goes first; the ratio
   ASGI / WSGI requests per second is taken per round and the median is the verdict
   (target >= 0.9);
5. each server's /metrics, scraped once: the list requests it counted across its two workers;
6. with --profile: the same request in-process, sequentially, through Django's WSGI handler and
   through the ASGI application (driven as uvicorn drives it, minus the socket): mean time per
   request of each, and a pyinstrument profile of each (threads included: the ASGI path runs
   the sync views and middleware on worker threads);
7. stops both servers and the PostgreSQL it started, removes the temp folder.

The exit status is 0 whether or not the target is met (non-zero only when the benchmark itself
could not run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_workorders_list import (  # noqa: E402
    API_PATH,
    GUNICORN_REQ,
    PYINSTRUMENT_REQ,
    Postgres,
    apt_install,
    check_quiet_machine,
    exit_cleanly_on_sigterm,
    fetch_json,
    free_port,
    give_role,
    has_module,
    pip_install,
    production_environment,
    python_once,
    say,
    seed,
    setup_django,
    silence_request_log,
    step,
    stop_database,
    use_database,
    wrk_once,
)

TARGET_RATIO = 0.9
SERVERS = {
    "wsgi": ("workshop.wsgi:application", "sync"),
    "asgi": ("workshop.asgi:application", "uvicorn_worker.UvicornWorker"),
}


class Server:
    """gunicorn serving one of the two entry points, with the project's gunicorn.conf.py."""

    def __init__(self, kind: str, tmp: Path, workers: int, multiproc: bool):
        self.kind = kind
        self.app, self.worker_class = SERVERS[kind]
        self.port = free_port()
        self.workers = workers
        self.log_path = tmp / f"{kind}.log"
        self.multiproc_dir = tmp / f"prometheus-{kind}" if multiproc else None
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if not has_module("gunicorn") and not pip_install(GUNICORN_REQ):
            raise RuntimeError(f"gunicorn is not installed ({GUNICORN_REQ}).")
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            self.app,
            "--worker-class",
            self.worker_class,
            "--workers",
            str(self.workers),
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
            "--timeout",
            "60",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]
        env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
        if self.multiproc_dir is not None:
            env["PROMETHEUS_MULTIPROC_DIR"] = str(self.multiproc_dir)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        step(
                            f"{self.kind.upper()}: gunicorn {self.app}, {self.workers} × {self.worker_class} "
                            f"on {self.base} (pid {self.proc.pid})"
                        )
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the {self.kind} server did not answer /health in 30 s:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)  # its own session: only what it started
            self.proc.wait(timeout=10)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of gunicorn's master and workers so far: steadier than
        requests per second when other processes share the cores."""
        assert self.proc is not None
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a process that just ended
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == self.proc.pid or ppid == self.proc.pid:
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def list_requests_counted(self) -> float | None:
        """The work-order list's 200s in this server's /metrics (every worker's, in one scrape)."""
        try:
            with urllib.request.urlopen(f"{self.base}/metrics", timeout=10) as response:  # noqa: S310
                text = response.read().decode()
        except urllib.error.HTTPError:
            return None
        pattern = (
            r'^django_http_responses_total_by_status_view_method_total\{(?=[^}]*method="GET")'
            r'(?=[^}]*status="200")(?=[^}]*view="workorder-list")[^}]*\} ([0-9.e+]+)$'
        )
        found = re.findall(pattern, text, flags=re.M)
        return sum(float(value) for value in found) if found else None


def check_both(servers: dict[str, Server], token: str) -> None:
    """Both servers answer the same 50 rows with the token, and 401 without it."""
    answers = {}
    for name, server in servers.items():
        status, body = fetch_json(server.base + API_PATH, {"Authorization": f"Bearer {token}"})
        anon, _ = fetch_json(server.base + API_PATH, {})
        if status != 200 or anon != 401:
            raise RuntimeError(f"{name}: {status} with the token ({body}), {anon} without it.")
        answers[name] = ([row["id"] for row in body["items"]], body["total"])
    if answers["wsgi"] != answers["asgi"] or len(answers["wsgi"][0]) != 50:
        raise RuntimeError(f"The two servers disagree: {answers}")
    step(f"Both servers answer the same 50 rows (total {answers['wsgi'][1]:,}); without the token: 401")


def load(servers: dict[str, Server], token: str, args) -> dict:
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") or apt_install("wrk") else "python"
        if client == "wrk" and shutil.which("wrk") is None:
            client = "python"
    once = wrk_once if client == "wrk" else python_once
    step(
        f"Load with {client}: {args.threads} threads, {args.connections} connections, {args.duration:g} s "
        f"per run, {args.rounds} rounds alternating the order, after a {args.warmup:g} s warm-up of each"
    )
    loadavg = check_quiet_machine()
    for server in servers.values():
        once(server.base + API_PATH, token, args.threads, args.connections, args.warmup)
    results: dict = {"wsgi": [], "asgi": [], "loadavg": loadavg, "client": client}
    for round_no in range(args.rounds):
        order = ("wsgi", "asgi") if round_no % 2 == 0 else ("asgi", "wsgi")
        for name in order:
            cpu_before = servers[name].cpu_seconds()
            result = once(servers[name].base + API_PATH, token, args.threads, args.connections, args.duration)
            requests = result["rps"] * args.duration
            result["cpu_ms"] = (servers[name].cpu_seconds() - cpu_before) * 1000 / requests if requests else 0
            results[name].append(result)
            extra = f", {result['errors']} non-2xx" if result["errors"] else ""
            extra += f", socket errors: {result['socket_errors']}" if result["socket_errors"] else ""
            say(
                f"    round {round_no + 1} {name}  {result['rps']:8.1f} req/s  "
                f"avg latency {result['latency_ms']:7.2f} ms  "
                f"server CPU {result['cpu_ms']:5.2f} ms/request{extra}"
            )
    return results


def report(results: dict, counted: dict[str, float | None]) -> None:
    wsgi = [r["rps"] for r in results["wsgi"]]
    asgi = [r["rps"] for r in results["asgi"]]
    ratios = [a / w for a, w in zip(asgi, wsgi, strict=True) if w]
    ratio = statistics.median(ratios) if ratios else float("nan")
    errors = sum(r["errors"] for r in results["wsgi"] + results["asgi"])
    line = "-" * 76
    say()
    say(line)
    say(f"  {'':<40}{'median req/s':>13}   per round")
    for label, runs in (
        ("WSGI (gunicorn, 2 sync workers)", wsgi),
        ("ASGI (gunicorn, 2 uvicorn workers)", asgi),
    ):
        say(f"  {label:<40}{statistics.median(runs):>13.1f}   {', '.join(f'{v:.0f}' for v in runs)}")
    say(
        f"  {'ratio ASGI / WSGI (median of rounds)':<40}{ratio:>13.2f}   {', '.join(f'{r:.2f}' for r in ratios)}"
    )
    say(
        f"  {'target':<40}{'>= ' + format(TARGET_RATIO, '.2f'):>13}   {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
    )
    cpu = {name: statistics.median(r["cpu_ms"] for r in results[name]) for name in ("wsgi", "asgi")}
    say(
        f"  {'server CPU ms per request (median)':<40}{'':>13}   WSGI {cpu['wsgi']:.2f}, ASGI {cpu['asgi']:.2f}, "
        f"WSGI / ASGI {cpu['wsgi'] / cpu['asgi']:.2f}"
    )
    say(f"  load client {results['client']}; load average before the runs {results['loadavg']:.2f}")
    for name, value in counted.items():
        if value is not None:
            say(f"  {name.upper()} /metrics: {value:,.0f} work-order list 200s counted over its workers")
    if errors:
        say(f"  WARNING: {errors} responses were not 2xx: the numbers are not trustworthy")
    say(line)


# ------------------------------------------------------------------------------- in-process
class AsgiDriver:
    """Calls the ASGI application as uvicorn does (scope, receive, send), without a socket."""

    def __init__(self, token: str):
        from workshop.asgi import application

        self.app = application
        path, _, query = API_PATH.partition("?")
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }

    async def one(self) -> int:
        status = 0
        sent = False

        async def receive():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)  # the client stays connected

        async def send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(dict(self.scope), receive, send)
        return status

    def run(self, n: int) -> None:
        async def many():
            for _ in range(n):
                status = await self.one()
                if status != 200:
                    raise RuntimeError(f"ASGI in-process: {status}")

        asyncio.run(many())


def in_process(token: str, args) -> None:
    from django.test import Client

    silence_request_log()
    client = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
    driver = AsgiDriver(token)
    for _ in range(20):
        if client.get(API_PATH).status_code != 200:
            raise RuntimeError("WSGI in-process: not 200")
    driver.run(20)

    def wsgi_run(n: int) -> None:
        for _ in range(n):
            client.get(API_PATH)

    say()
    step(f"In-process, sequential, {args.profile_requests} requests each (no socket, no HTTP parsing)")
    means = {}
    for name, fn in (("WSGI", wsgi_run), ("ASGI", driver.run)):
        started = time.perf_counter()
        fn(args.profile_requests)
        means[name] = (time.perf_counter() - started) * 1000 / args.profile_requests
    say(f"    WSGI {means['WSGI']:.2f} ms, ASGI {means['ASGI']:.2f} ms per request")

    try:
        from pyinstrument import Profiler
    except ImportError:
        if not (args.install and pip_install(PYINSTRUMENT_REQ)):
            say("    (pyinstrument is not installed: no profile)")
            return
        from pyinstrument import Profiler
    for name, fn in (("WSGI", wsgi_run), ("ASGI", driver.run)):
        session = profile_all_threads(Profiler, fn, args.profile_requests)
        say()
        step(f"pyinstrument, {name}: {args.profile_requests} requests, every thread (tree)")
        say("\n".join(render(session, flat=False).splitlines()[: args.profile_lines]))
        step(f"pyinstrument, {name}: self time per function, top 30")
        flat = render(session, flat=True)
        say("\n".join([line for line in flat.splitlines() if line[:1].isdigit()][:30]))


def profile_all_threads(Profiler, fn, n: int):
    """One pyinstrument session over the calling thread and every thread started meanwhile:
    pyinstrument samples only the thread it starts in, and under ASGI the sync middleware and
    the view run on threads asgiref starts (one per request)."""
    import threading

    from pyinstrument.session import Session

    sessions = []
    lock = threading.Lock()
    original_run = threading.Thread.run
    end_request_threads()  # the kept ones started unprofiled

    def profiled_run(self):
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        try:
            original_run(self)
        finally:
            profiler.stop()
            with lock:
                sessions.append(profiler.last_session)

    main = Profiler(interval=0.0005, async_mode="disabled")
    threading.Thread.run = profiled_run
    main.start()
    try:
        fn(n)
        end_request_threads()  # a thread's session is complete when it ends
    finally:
        main.stop()
        threading.Thread.run = original_run
    combined = main.last_session
    for session in sessions:
        combined = Session.combine(combined, session)
    return combined


def end_request_threads() -> None:
    """End the request threads the ASGI handler keeps for the next requests."""
    from workshop.asgi import django_asgi_app

    threads = getattr(django_asgi_app, "threads", None)
    for executor in threads.idle if threads else []:
        executor.shutdown(wait=True)
    if threads:
        threads.idle.clear()


def render(session, *, flat: bool) -> str:
    from pyinstrument.renderers import ConsoleRenderer

    return ConsoleRenderer(unicode=True, color=False, show_all=False, flat=flat).render(session)


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--inspections", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20251126)
    parser.add_argument(
        "--role", default="viewer", choices=("viewer", "operator", "manager", "admin", "superuser")
    )
    parser.add_argument("--workers", type=int, default=2, help="workers of each server (default 2)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--threads", type=int, default=2, help="load threads (wrk -t, default 2)")
    parser.add_argument("--connections", type=int, default=8, help="connections (wrk -c, default 8)")
    parser.add_argument("--duration", type=float, default=8, help="seconds per measured run (default 8)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per server (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="measured runs per server (default 5)")
    parser.add_argument(
        "--no-multiproc",
        dest="multiproc",
        action="store_false",
        help="leave PROMETHEUS_MULTIPROC_DIR unset (per-worker metrics, as without the image's setting)",
    )
    parser.add_argument("--profile", action="store_true", help="in-process timings and pyinstrument profiles")
    parser.add_argument("--profile-requests", type=int, default=300)
    parser.add_argument("--profile-lines", type=int, default=70)
    parser.add_argument("--no-load", action="store_true", help="skip the servers and the load test")
    parser.add_argument("--no-install", dest="install", action="store_false")
    parser.add_argument("--keep-tmp", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.install:
        globals()["apt_install"] = lambda package: False
        globals()["pip_install"] = lambda requirement: False
    production_environment(
        LOG_FORMAT=os.environ.get("LOG_FORMAT", "json"),
        RATELIMIT_GENERAL="100000000/m",  # the limiter still counts, it never says no
    )
    tmp = Path(tempfile.mkdtemp(prefix="weldshop-bench-asgi."))
    (tmp / "static").mkdir()
    os.environ["STATIC_ROOT"] = str(tmp / "static")
    os.environ.pop("REDIS_URL", None)  # the list does not use the cache; the run stays self-contained
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # this process: the default registry

    exit_cleanly_on_sigterm()
    postgres = Postgres(tmp)
    servers = {kind: Server(kind, tmp, args.workers, args.multiproc) for kind in SERVERS}
    try:
        say(f"Weldshop ASGI vs WSGI benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        use_database(postgres)
        setup_django(quiet_requests=True)

        from django.db import connections
        from rest_framework_simplejwt.tokens import RefreshToken

        user = seed(args.orders, args.employees, args.inspections, args.seed)
        give_role(user, args.role)
        token = str(RefreshToken.for_user(user).access_token)
        connections.close_all()

        results = None
        if not args.no_load:
            for server in servers.values():
                server.start()
            check_both(servers, token)
            results = load(servers, token, args)
            counted = {name: server.list_requests_counted() for name, server in servers.items()}
            for server in servers.values():
                server.stop()
            report(results, counted)
        if args.profile:
            in_process(token, args)
            if results is not None:
                report(results, counted)
        return 0
    except RuntimeError as exc:
        say(f"ERROR: {exc}")
        for server in servers.values():
            if server.proc is not None:
                say(f"--- {server.kind} log\n{server.tail()}")
        return 1
    finally:
        for server in servers.values():
            server.stop()
        stop_database(postgres)
        if args.keep_tmp:
            step(f"Temp folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
