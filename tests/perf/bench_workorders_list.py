"""Benchmark: the work-order list API against a bare Django view, on PostgreSQL with 100k rows.

    .venv/bin/python tests/perf/bench_workorders_list.py [--help]

One run, one server, one database:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated;
2. 100,000 work orders (about a third pending), 200 employees, 20,000 inspections, then
   VACUUM (FREEZE, ANALYZE): the settled state of a table whose rows are not all brand new
   (see tests/perf/README.md; --fresh-table keeps the just-loaded state);
3. gunicorn (2 sync workers) in production mode (DJANGO_DEBUG=false) with tests.perf.settings;
4. wrk (or a Python client when wrk is missing), alternating the two URLs after a warm-up:
     API   GET /api/v1/workorders/?page_size=50&status=pending&sort_by=due_date  (JWT)
     bare  GET /bench/bare-workorders  (same 50 rows, `.values()` + JsonResponse, no auth)
   and a table of requests per second, the ratio, and PASS/FAIL against the 0.5 target;
5. in-process: SQL queries per request, mean time per request, and a pyinstrument profile of
   the API view (falls back to cProfile when pyinstrument is not installed);
6. stops gunicorn and the PostgreSQL it started, removes the temp folder.

It is a report: the exit status is 0 whether or not the target is met (non-zero only when the
benchmark itself could not run).
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import logging
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Run as a script, sys.path[0] is tests/perf; the project's packages live at the root.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

API_PATH = "/api/v1/workorders/?page_size=50&status=pending&sort_by=due_date"
BARE_PATH = "/bench/bare-workorders"
TARGET_RATIO = 0.5
KEY_PREFIX = "BENCH-"
DB_NAME = "weldshop_bench"
GUNICORN_REQ = "gunicorn==27.0.1"
PYINSTRUMENT_REQ = "pyinstrument==5.1.3"


def say(message: str = "") -> None:
    print(message, flush=True)


def step(message: str) -> None:
    say(f"==> {message}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


def apt_install(package: str) -> bool:
    """Install a Debian package when running as root with apt-get; False if not possible."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    step(f"Installing the Debian package {package}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", package], env=env)
    except RuntimeError as exc:
        say(f"    could not install {package}: {exc}")
        return False
    return True


def pip_install(requirement: str) -> bool:
    step(f"Installing {requirement} into {sys.prefix}")
    try:
        run([sys.executable, "-m", "pip", "install", "-q", requirement])
    except RuntimeError as exc:
        say(f"    could not install {requirement}: {exc}")
        return False
    return True


def has_module(name: str) -> bool:
    return run_ok([sys.executable, "-c", f"import {name}"])


def run_ok(cmd: list[str]) -> bool:
    return subprocess.run(cmd, capture_output=True).returncode == 0  # noqa: S603


# ------------------------------------------------------------------------------- PostgreSQL
class Postgres:
    """A throwaway PostgreSQL cluster in `tmp`, trust auth, no durability (it is thrown away)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.data = tmp / "pg"
        self.run_dir = tmp / "pgrun"  # socket and log, owned by the server's user
        self.bin: Path | None = None
        self.as_pg: list[str] = []
        self.port = free_port()
        self.started = False

    @staticmethod
    def find_bin() -> Path | None:
        found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
        if not found:
            return None
        found.sort(key=lambda p: int(re.search(r"/postgresql/(\d+)/", p).group(1)))
        return Path(found[-1]).parent

    def start(self) -> str:
        self.bin = self.find_bin()
        if self.bin is None and apt_install("postgresql"):
            self.bin = self.find_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (Debian package postgresql); set DATABASE_URL.")
        self.tmp.chmod(0o755)  # the postgres user must traverse it
        self.data.mkdir()
        self.run_dir.mkdir()
        if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.run_dir, "postgres", "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        run(
            [
                *self.as_pg,
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--no-locale",
            ]
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.run_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            # The script vacuums after seeding itself; an autovacuum run would only add noise.
            "-c autovacuum=off"
        )
        run(
            [
                *self.as_pg,
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.run_dir / "pg.log"),
                "-w",
                "-t",
                "30",
                "start",
                "-o",
                options,
            ]
        )
        self.started = True
        run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DB_NAME])
        version = run([str(self.bin / "postgres"), "--version"]).stdout.strip()
        step(f"{version} on 127.0.0.1:{self.port} (data in {self.data})")
        return f"postgres://postgres@127.0.0.1:{self.port}/{DB_NAME}"

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        subprocess.run(  # noqa: S603
            [*self.as_pg, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
            capture_output=True,
        )
        step("PostgreSQL stopped")


# ------------------------------------------------------------------------------- gunicorn
class Gunicorn:
    def __init__(self, tmp: Path, workers: int):
        self.port = free_port()
        self.workers = workers
        self.log_path = tmp / "gunicorn.log"
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
            "workshop.wsgi:application",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]
        # The app's per-request JSON log lines go to a file, as they would go to a collector.
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.proc.returncode}):\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        step(f"gunicorn {self.workers} sync workers on {self.base} (pid {self.proc.pid})")
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /health in 30 s:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # the master stops its workers
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only what it started
            self.proc.wait()
        step("gunicorn stopped")


# ------------------------------------------------------------------------------- data
WELDING_JOBS = (
    "Pipe spool, 6in sch 40, root and cap passes (TIG/MIG)",
    "Structural beam splice, full penetration butt weld",
    "Pressure vessel nozzle, PWHT required",
    "Stainless handrail repair, grind and polish",
    "Trailer chassis crack repair, MT after welding",
    "Tank floor patch plates, vacuum box test",
)
STATUS_WEIGHTS = {"pending": 34, "in_progress": 20, "on_hold": 6, "completed": 30, "cancelled": 10}
DEFECTS = ("porosity", "crack", "undercut", "lack_of_fusion", "slag_inclusion", "spatter")


def seed(n_orders: int, n_employees: int, n_inspections: int, seed_value: int, freeze: bool = True):
    """Bulk-create the data set (skipped when it is already there); returns the bench user."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from inspections.models import Inspection
    from staff.models import Employee
    from workorders.models import WorkOrder

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"email": "bench@example.com"}
    )
    user.set_unusable_password()
    user.save()

    existing = WorkOrder.objects.filter(order_id__startswith=KEY_PREFIX).count()
    if existing == n_orders:
        step(f"Reusing {existing:,} {KEY_PREFIX}* work orders already in the database")
        vacuum_analyze(freeze)
        return user
    if existing:
        raise RuntimeError(
            f"The database holds {existing:,} {KEY_PREFIX}* work orders, not {n_orders:,}: "
            "use an empty database."
        )

    rng = random.Random(seed_value)
    started = time.perf_counter()
    today = timezone.localdate()
    now = timezone.now()
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    batch = 5000
    with transaction.atomic():
        employees = Employee.objects.bulk_create(
            Employee(
                employee_id=f"{KEY_PREFIX}E{i:04d}",
                name=f"Welder {i:04d}",
                role="Welder",
                certification_expiry=today + dt_days(rng.randint(-60, 700)),
            )
            for i in range(n_employees)
        )
        welder_ids = [e.pk for e in employees]
        for start in range(0, n_orders, batch):
            WorkOrder.objects.bulk_create(
                [
                    WorkOrder(
                        order_id=f"{KEY_PREFIX}{i:06d}",
                        client=f"Client {rng.randrange(400):03d}",
                        description=rng.choice(WELDING_JOBS),
                        status=rng.choices(statuses, weights)[0],
                        due_date=None if rng.random() < 0.05 else today + dt_days(rng.randint(-400, 400)),
                        assigned_welder_id=rng.choice(welder_ids) if rng.random() < 0.6 else None,
                        created_by=user,
                    )
                    for i in range(start, min(start + batch, n_orders))
                ],
                batch_size=batch,
            )
        order_ids = list(
            WorkOrder.objects.filter(order_id__startswith=KEY_PREFIX).values_list("id", flat=True)
        )
        for start in range(0, n_inspections, batch):
            rows = []
            for i in range(start, min(start + batch, n_inspections)):
                failed = rng.random() < 0.2
                rows.append(
                    Inspection(
                        inspection_id=f"{KEY_PREFIX}I{i:06d}",
                        work_order_id=rng.choice(order_ids),
                        inspector=f"Inspector {rng.randrange(12)}",
                        result="fail" if failed else "pass",
                        defect_type=rng.choice(DEFECTS) if failed else None,
                        method=rng.choice(("VT", "PT", "MT", "UT", "RT")),
                        inspected_at=now - dt_days(rng.randint(0, 400)),
                        created_by=user,
                    )
                )
            Inspection.objects.bulk_create(rows, batch_size=batch)
    vacuum_analyze(freeze)
    pending = WorkOrder.objects.filter(status="pending").count()
    step(
        f"Seeded {n_orders:,} work orders ({pending:,} pending), {n_employees} employees, "
        f"{n_inspections:,} inspections ({time.perf_counter() - started:.1f} s)"
    )
    return user


def give_role(user, role: str) -> None:
    """The bench user's role: a real role group (its permission check is part of the cost),
    or a superuser (whose permission checks need no query)."""
    if role == "superuser":
        user.is_superuser = True
    else:
        try:
            from workshop.roles import set_user_role
        except ImportError:  # before roles existed any authenticated user could read
            step(f"No workshop.roles in this version: the bench user has no role (wanted {role})")
            return
        set_user_role(user, role)
    user.save()
    step(f"Bench user {user.username!r} with role {role}")


def vacuum_analyze(freeze: bool) -> None:
    """Planner statistics, and (with `freeze`) the visibility map set on every page.

    Right after a bulk load the visibility map is empty: the list's `COUNT(*)` over the ~34k
    pending rows is then a bitmap heap scan reading every page (~3x slower) instead of an
    index-only scan. A table in use for a while is mostly all-visible (autovacuum), so the
    default measures that state; `--fresh-table` measures the just-loaded one."""
    from django.db import connection

    options = "FREEZE, ANALYZE" if freeze else "ANALYZE"
    with connection.cursor() as cursor:
        # Flushed commits in this session: with asynchronous commit (the throwaway server's
        # setting) each VACUUM's own commit leaves the commit-log page "not yet flushed", so
        # the next VACUUM may not set hint bits, and no page becomes all-visible.
        cursor.execute("SET synchronous_commit TO on")
        for table in ("staff_employee", "workorders_workorder", "inspections_inspection"):
            cursor.execute(f"VACUUM ({options}) {table}")
        cursor.execute(
            "SELECT relallvisible, relpages FROM pg_class WHERE relname = %s", ["workorders_workorder"]
        )
        visible, pages = cursor.fetchone()
    step(f"VACUUM ({options}): {visible} of {pages} pages of workorders_workorder all-visible")


def dt_days(days: int):
    import datetime as dt

    return dt.timedelta(days=days)


# ------------------------------------------------------------------------------- load
def fetch_json(url: str, headers: dict[str, str]) -> tuple[int, dict | None]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read()[:300].decode(errors="replace")}


def check_same_rows(base: str, headers: dict[str, str]) -> None:
    """Both URLs must answer 200 with the same rows in the same order, and the API must
    refuse a request without the token (authentication is really on)."""
    api_status, api_body = fetch_json(base + API_PATH, headers)
    bare_status, bare_body = fetch_json(base + BARE_PATH, headers)
    anon_status, _ = fetch_json(base + API_PATH, {})
    if api_status != 200 or bare_status != 200:
        raise RuntimeError(
            f"Expected 200 from both URLs, got API {api_status} {api_body}, bare {bare_status} {bare_body}."
        )
    if anon_status != 401:
        raise RuntimeError(f"The API without a token answered {anon_status}, not 401.")
    api_ids = [row["id"] for row in api_body["items"]]
    bare_ids = [row["id"] for row in bare_body["items"]]
    if api_ids != bare_ids or api_body["total"] != bare_body["total"] or len(api_ids) != 50:
        raise RuntimeError(
            f"The two views disagree: API {api_ids[:5]}… total {api_body['total']}, "
            f"bare {bare_ids[:5]}… total {bare_body['total']}."
        )
    with_inspections = sum(1 for row in api_body["items"] if row["inspections"])
    step(
        f"Same 50 rows from both views (total {api_body['total']:,}; {with_inspections} of them with "
        f"inspections); API without token: 401"
    )


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk_once(url: str, token: str, threads: int, connections: int, seconds: float) -> dict:
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-H",
        f"Authorization: Bearer {token}",
        url,
    ]
    out = run(cmd).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        raise RuntimeError(f"Cannot read wrk's output:\n{out}")
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:(.*)", out)
    return {
        "rps": float(rps.group(1)),
        "latency_ms": float(latency.group(1)) * _UNITS[latency.group(2)] if latency else float("nan"),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0),
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
    }


def python_once(url: str, token: str, threads: int, connections: int, seconds: float) -> dict:
    """Fallback load: `connections` threads, each with one keep-alive connection."""
    match = re.match(r"http://([^:/]+):(\d+)(.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
    deadline = time.monotonic() + seconds
    counts = [0] * connections
    errors = [0] * connections
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        local: list[float] = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
                continue
            local.append((time.perf_counter() - started) * 1000)
            counts[index] += 1
        conn.close()
        with lock:
            latencies.extend(local)

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "rps": sum(counts) / elapsed,
        "latency_ms": statistics.fmean(latencies) if latencies else float("nan"),
        "errors": sum(errors),
        "socket_errors": "",
    }


def load_test(base: str, token: str, args) -> dict:
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") or apt_install("wrk") else "python"
        if client == "wrk" and shutil.which("wrk") is None:
            client = "python"
    once = wrk_once if client == "wrk" else python_once
    urls = {"bare": base + BARE_PATH, "api": base + API_PATH}
    step(
        f"Load with {client}: {args.threads} threads, {args.connections} connections, "
        f"{args.duration:g} s per run, {args.rounds} rounds alternating the order, "
        f"after a {args.warmup:g} s warm-up of each"
    )
    if client == "python":
        say("    (the Python client is GIL-bound: absolute numbers are low, the ratio is still indicative)")
    loadavg = check_quiet_machine()
    for name in ("bare", "api"):
        once(urls[name], token, args.threads, args.connections, args.warmup)
    results: dict = {"bare": [], "api": [], "loadavg": loadavg}
    for round_no in range(args.rounds):
        order = ("bare", "api") if round_no % 2 == 0 else ("api", "bare")
        for name in order:
            result = once(urls[name], token, args.threads, args.connections, args.duration)
            results[name].append(result)
            extra = f", {result['errors']} non-2xx" if result["errors"] else ""
            extra += f", socket errors: {result['socket_errors']}" if result["socket_errors"] else ""
            say(
                f"    round {round_no + 1} {name:<4} {result['rps']:9.1f} req/s  "
                f"avg latency {result['latency_ms']:7.2f} ms{extra}"
            )
    results["client"] = client
    return results


# ------------------------------------------------------------------------------- in-process
def production_environment(**extra: str) -> None:
    """Production mode, set before Django reads its settings: no browsable API, random
    secrets, plain HTTP on loopback (as behind a TLS-terminating load balancer); `extra`
    adds to it or overrides it."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.perf.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "JWT_ACCESS_MINUTES": "240",
            **extra,
        }
    )


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM ends the run through the `finally` blocks, so nothing is left running."""

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)


def use_database(postgres: Postgres, note: str = "") -> None:
    """The PostgreSQL in DATABASE_URL if there is one, else `postgres` started for the run."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")):
        step(f"Using the PostgreSQL database in DATABASE_URL{note}")
    else:
        os.environ["DATABASE_URL"] = postgres.start()


def setup_django(*, quiet_requests: bool = False) -> None:
    """django.setup() with the environment set so far, then migrate."""
    import django
    from django.core.management import call_command

    django.setup()
    if quiet_requests:
        silence_request_log()
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    step(f"Migrated ({time.perf_counter() - started:.1f} s)")


def stop_database(postgres: Postgres) -> None:
    """Close Django's connections (if Django got that far) and stop the PostgreSQL."""
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: S110 - Django may not be set up yet
        pass
    postgres.stop()


def silence_request_log() -> None:
    """The per-request log line is still built (it is part of the cost), but not printed."""
    sink = open(os.devnull, "w")  # lives as long as the process
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)


def in_process(token: str, args) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    silence_request_log()
    client = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
    for path in (API_PATH, BARE_PATH):
        for _ in range(20):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(
                    f"GET {path} in-process: {response.status_code} {response.content[:300]!r}"
                )

    say()
    step("SQL queries per request (django.test.Client, same database)")
    for name, path in (("API", API_PATH), ("bare", BARE_PATH)):
        with CaptureQueriesContext(connection) as ctx:
            client.get(path)
        say(f"    {name}: {len(ctx.captured_queries)} queries")
        for query in ctx.captured_queries:
            sql = " ".join(query["sql"].split())
            say(f"      {sql[:160]}{'…' if len(sql) > 160 else ''}")

    step(f"Mean time per request in-process ({args.profile_requests} requests each, no network)")
    means = {}
    for name, path in (("API", API_PATH), ("bare", BARE_PATH)):
        started = time.perf_counter()
        for _ in range(args.profile_requests):
            client.get(path)
        means[name] = (time.perf_counter() - started) * 1000 / args.profile_requests
    say(
        f"    API {means['API']:.2f} ms, bare {means['bare']:.2f} ms, "
        f"ratio {means['bare'] / means['API']:.2f}"
    )

    if not args.no_profile:
        profile(client, args)


def profile(client, args) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        if args.install and pip_install(PYINSTRUMENT_REQ):
            from pyinstrument import Profiler
        else:
            Profiler = None
    say()
    if Profiler is None:
        import cProfile
        import io
        import pstats

        step(f"cProfile of {args.profile_requests} API requests (pyinstrument is not installed)")
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.profile_requests):
            client.get(API_PATH)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.profile_lines)
        say(out.getvalue())
        return

    step(f"pyinstrument profile of {args.profile_requests} API requests (tree, show_all=False)")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.profile_requests):
        client.get(API_PATH)
    profiler.stop()
    tree = profiler.output_text(unicode=True, color=False, show_all=False)
    say("\n".join(tree.splitlines()[: args.profile_lines]))
    step("pyinstrument, flat (self time per function), top 25")
    flat = profiler.output_text(unicode=True, color=False, show_all=False, flat=True)
    say("\n".join([line for line in flat.splitlines() if line[:1].isdigit()][:25]))
    if args.profile_html:
        Path(args.profile_html).write_text(profiler.output_html())
        step(f"Full profile written to {args.profile_html}")


# ------------------------------------------------------------------------------- report
def report(results: dict) -> None:
    """Each round measures both URLs back to back, so the ratio is taken per round (slow drift
    of the machine, such as another job starting, then cancels out) and the median is kept."""
    bare = [r["rps"] for r in results["bare"]]
    api = [r["rps"] for r in results["api"]]
    ratios = [a / b for a, b in zip(api, bare, strict=True) if b]
    ratio = statistics.median(ratios) if ratios else float("nan")
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    errors = sum(r["errors"] for r in results["bare"] + results["api"])
    line = "-" * 72
    say()
    say(line)
    say(f"  {'':<36}{'median req/s':>13}   per round")
    for label, runs in (
        ("bare view (.values + JsonResponse)", bare),
        ("API (DRF, JWT, filters, serializer)", api),
    ):
        say(f"  {label:<36}{statistics.median(runs):>13.1f}   {', '.join(f'{v:.0f}' for v in runs)}")
    say(
        f"  {'ratio API / bare (median of rounds)':<36}{ratio:>13.2f}   {', '.join(f'{r:.2f}' for r in ratios)}"
    )
    say(f"  {'target':<36}{'>= ' + format(TARGET_RATIO, '.2f'):>13}   {verdict}")
    say(f"  load client {results['client']}; load average before the runs {results['loadavg']:.2f}")
    if errors:
        say(f"  WARNING: {errors} responses were not 2xx: the numbers are not trustworthy")
    say(line)


def check_quiet_machine() -> float:
    """The 1-minute load average; a warning when something else is using the CPUs."""
    load = os.getloadavg()[0]
    if load > 0.5:
        say(
            f"    WARNING: load average {load:.2f} before the runs: other processes share the CPUs, "
            "so the numbers are noisy (the ratio less so: each round measures both URLs back to back)"
        )
    return load


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="work orders to seed (default 100000)")
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--inspections", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20251126, help="random seed of the data set")
    parser.add_argument(
        "--role",
        choices=("viewer", "operator", "manager", "admin", "superuser"),
        default="viewer",
        help="the bench user's role (default viewer: reads everything, the common case)",
    )
    parser.add_argument(
        "--fresh-table",
        action="store_true",
        help="only ANALYZE after seeding (empty visibility map: the list's COUNT(*) reads the heap)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--threads", type=int, default=2, help="load threads (wrk -t, default 2)")
    parser.add_argument("--connections", type=int, default=8, help="connections (wrk -c, default 8)")
    parser.add_argument("--duration", type=float, default=8, help="seconds per measured run (default 8)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per URL (default 3)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="measured runs per URL, alternating (default 5)"
    )
    parser.add_argument("--profile-requests", type=int, default=200)
    parser.add_argument("--profile-lines", type=int, default=60, help="lines of the profile tree to print")
    parser.add_argument("--profile-html", metavar="FILE", help="also write pyinstrument's HTML report here")
    parser.add_argument("--no-profile", action="store_true", help="skip the profile")
    parser.add_argument("--no-load", action="store_true", help="skip gunicorn and the load test")
    parser.add_argument(
        "--no-install",
        dest="install",
        action="store_false",
        help="never install missing tools (postgresql, wrk, gunicorn, pyinstrument)",
    )
    parser.add_argument(
        "--keep-tmp", action="store_true", help="keep the temp folder (logs, PostgreSQL data)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.install:
        globals()["apt_install"] = lambda package: False
        globals()["pip_install"] = lambda requirement: False

    production_environment(
        LOG_FORMAT=os.environ.get("LOG_FORMAT", "json"),
        # Limits raised, not off: the limiter's own cost stays in the measurement.
        RATELIMIT_GENERAL="100000000/m",
    )
    tmp = Path(tempfile.mkdtemp(prefix="weldshop-bench."))
    (tmp / "static").mkdir()
    os.environ["STATIC_ROOT"] = str(tmp / "static")  # whitenoise warns when it is missing
    os.environ.pop("REDIS_URL", None)  # the list does not use the cache; keep the run self-contained

    exit_cleanly_on_sigterm()
    postgres = Postgres(tmp)
    server = Gunicorn(tmp, args.workers)
    try:
        say(f"Weldshop work-order list benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        use_database(postgres)
        setup_django(quiet_requests=True)

        from django.db import connections
        from rest_framework_simplejwt.tokens import RefreshToken

        user = seed(args.orders, args.employees, args.inspections, args.seed, freeze=not args.fresh_table)
        give_role(user, args.role)
        token = str(RefreshToken.for_user(user).access_token)
        connections.close_all()

        if not args.no_load:
            server.start()
            check_same_rows(server.base, {"Authorization": f"Bearer {token}"})
            results = load_test(server.base, token, args)
            server.stop()
            report(results)
        in_process(token, args)
        if not args.no_load:
            report(results)  # again at the end, where it is seen
        return 0
    except RuntimeError as exc:
        say(f"ERROR: {exc}")
        return 1
    finally:
        server.stop()
        stop_database(postgres)
        if args.keep_tmp:
            step(f"Temp folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
