"""Benchmark: the API under load (issue 6), gunicorn with 2 workers on PostgreSQL and Redis.

    /tmp/venv/bin/python tests/perf/bench_load.py [--help]

One run, one server, one database, one Redis:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated, and the
   data set of bench_workorders_list.py: 100,000 work orders, 200 employees, 20,000 inspections,
   then VACUUM (FREEZE, ANALYZE); plus 1,000 inventory items for the items list;
2. a throwaway redis-server (no persistence) on a free port; REDIS_URL points the app's cache,
   and so the rate-limit counters, at it;
3. gunicorn, 2 sync workers (`--no-control-socket --timeout 30 --backlog 2048`), production mode
   (DJANGO_DEBUG=false, random secrets), limits raised (RATELIMIT_GENERAL=100000000/m: the
   limiter still counts every request in Redis, it just never says no);
4. `wrk -t2 -c64 -d30s --latency` with a JWT on each endpoint in turn:
     list        GET /api/v1/workorders/?page_size=50&status=pending&sort_by=due_date
     detail      GET /api/v1/workorders/<id>/   (a Lua script rotates over 200 ids)
     items list  GET /api/v1/items/?page_size=50
   after a short warm-up of each;
5. a table of requests per second, p50 and p99 latency, non-2xx responses and socket errors,
   the Redis commands the run caused (proof the counters went through Redis), and the verdict:
   PASS when every endpoint had 0 errors (non-2xx and socket errors);
6. stops gunicorn, Redis and the PostgreSQL it started, removes the temp folder.

The PostgreSQL helpers and the data set come from bench_workorders_list.py. Exit status 0 whether
or not the target is met; non-zero only when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
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
    GUNICORN_REQ,
    KEY_PREFIX,
    Gunicorn,
    Postgres,
    apt_install,
    exit_cleanly_on_sigterm,
    fetch_json,
    free_port,
    give_role,
    has_module,
    pip_install,
    production_environment,
    run,
    say,
    seed,
    setup_django,
    step,
    use_database,
)

LIST_PATH = "/api/v1/workorders/?page_size=50&status=pending&sort_by=due_date"
DETAIL_PATH = "/api/v1/workorders/{id}/"
ITEMS_PATH = "/api/v1/items/?page_size=50"
DETAIL_IDS = 200


# ------------------------------------------------------------------------------- Redis
class Redis:
    """A throwaway redis-server: no RDB snapshots, no AOF, its folder in the temp folder."""

    def __init__(self, tmp: Path):
        self.dir = tmp / "redis"
        self.port = free_port()
        self.started = False

    def cli(self, *args: str) -> str:
        return run(["redis-cli", "-p", str(self.port), *args]).stdout

    def start(self) -> str:
        if shutil.which("redis-server") is None and not apt_install("redis-server"):
            raise RuntimeError("redis-server is not installed (Debian package redis-server).")
        self.dir.mkdir()
        run(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--daemonize",
                "yes",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
            ]
        )
        self.started = True
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.cli("ping").strip() == "PONG":
                    version = run(["redis-server", "--version"]).stdout.split()[2]
                    step(f"Redis {version} on 127.0.0.1:{self.port}")
                    return f"redis://127.0.0.1:{self.port}/0"
            except RuntimeError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer PING in 10 s (log in {self.dir})")

    def commands_processed(self) -> int:
        match = re.search(r"total_commands_processed:(\d+)", self.cli("info", "stats"))
        return int(match.group(1)) if match else 0

    def keys(self) -> int:
        return int(self.cli("dbsize").strip() or 0)

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True)  # noqa: S603, S607
        step("Redis stopped")


# ------------------------------------------------------------------------------- gunicorn
class LoadGunicorn(Gunicorn):
    """bench_workorders_list's server with the issue's options: a 30 s worker timeout and a
    2048-connection listen backlog (64 clients on 2 sync workers queue in the backlog)."""

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
            "30",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]
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
                        step(
                            f"gunicorn {self.workers} sync workers on {self.base} "
                            f"(timeout 30 s, backlog 2048, pid {self.proc.pid})"
                        )
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /health in 30 s:\n{self.log_path.read_text()[-3000:]}")


# ------------------------------------------------------------------------------- data
def seed_items(n_items: int) -> None:
    from inventory.models import Item

    prefix = f"{KEY_PREFIX}IT"
    existing = Item.objects.filter(item_id__startswith=prefix).count()
    if existing == n_items:
        step(f"Reusing {existing:,} {prefix}* items")
        return
    if existing:
        raise RuntimeError(f"The database holds {existing:,} {prefix}* items, not {n_items:,}.")
    Item.objects.bulk_create(
        Item(
            item_id=f"{prefix}{i:05d}",
            item_name=f"Filler rod ER70S-{i % 9} {i:05d}",
            quantity=(i * 37) % 500,
            unit="kg",
            reorder_level=(i * 13) % 120,
        )
        for i in range(n_items)
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_item")
    step(f"Seeded {n_items:,} items")


def check_max_connections(workers: int) -> None:
    """Sync workers hold at most one database connection each (CONN_MAX_AGE keeps it open);
    with this process's own one they must fit, with the superuser slots left over."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        max_conn = int(cursor.fetchone()[0])
        cursor.execute("SHOW superuser_reserved_connections")
        reserved = int(cursor.fetchone()[0])
    needed = workers + 1
    if needed > max_conn - reserved:
        raise RuntimeError(
            f"PostgreSQL max_connections {max_conn} (−{reserved} reserved) is below the {needed} needed."
        )
    step(f"PostgreSQL max_connections {max_conn}: enough for {workers} sync workers (1 connection each)")


# ------------------------------------------------------------------------------- load
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]


def detail_script(path: Path, ids: list[int]) -> Path:
    """A wrk Lua script rotating over `ids` (each wrk thread starts at its own offset)."""
    prefix, suffix = DETAIL_PATH.split("{id}")
    path.write_text(
        "local ids = {" + ",".join(map(str, ids)) + "}\n"
        "local i = 0\n"
        "function setup(thread)\n"
        "  thread:set('offset', math.random(#ids))\n"
        "end\n"
        "function init(args)\n"
        "  i = offset or 0\n"
        "end\n"
        "function request()\n"
        "  i = i % #ids + 1\n"
        f"  return wrk.format(nil, '{prefix}' .. ids[i] .. '{suffix}')\n"
        "end\n"
    )
    return path


def wrk(url: str, token: str, args, seconds: float, script: Path | None = None) -> dict:
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
    ]
    if script is not None:
        cmd += ["-s", str(script)]
    out = run([*cmd, url]).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    total = re.search(r"(\d+) requests in", out)
    if not (rps and p50 and p99 and total):
        raise RuntimeError(f"Cannot read wrk's output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(map(int, sock.groups())) if sock else 0
    return {
        "rps": float(rps.group(1)),
        "p50": _ms(*p50.groups()),
        "p99": _ms(*p99.groups()),
        "requests": int(total.group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors,
        "socket_detail": sock.group(0) if sock else "",
    }


def check_endpoints(base: str, token: str, endpoints: dict) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for name, (path, _script) in endpoints.items():
        status, body = fetch_json(base + path, headers)
        if status != 200:
            raise RuntimeError(f"{name}: GET {path} answered {status}: {body}")
    status, _ = fetch_json(base + LIST_PATH, {})
    if status != 401:
        raise RuntimeError(f"The list without a token answered {status}, not 401.")
    step(f"All {len(endpoints)} endpoints answer 200 with the token; without it: 401")


def load(base: str, token: str, endpoints: dict, redis: Redis, args) -> dict:
    load_avg = os.getloadavg()[0]
    if load_avg > 0.5:
        say(f"    WARNING: load average {load_avg:.2f} before the runs: other processes share the CPUs")
    step(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency per endpoint, "
        f"after a {args.warmup:g} s warm-up of each"
    )
    results = {}
    for name, (path, script) in endpoints.items():
        wrk(base + path, token, args, args.warmup, script)
        before = redis.commands_processed()
        result = wrk(base + path, token, args, args.duration, script)
        result["redis_commands"] = redis.commands_processed() - before - 1  # minus the INFO itself
        results[name] = result
        say(
            f"    {name:<8} {result['rps']:9.1f} req/s  p50 {result['p50']:7.2f} ms  "
            f"p99 {result['p99']:7.2f} ms  non-2xx {result['non_2xx']}  socket errors {result['socket_errors']}"
        )
    results["_loadavg"] = load_avg
    return results


def report(results: dict, args, redis_keys: int) -> None:
    rows = {k: v for k, v in results.items() if not k.startswith("_")}
    line = "-" * 104
    say()
    say(line)
    say(f"  {'endpoint':<70}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>8}{'sock err':>9}")
    labels = {
        "list": "GET " + LIST_PATH,
        "detail": "GET " + DETAIL_PATH.format(id=f"<{DETAIL_IDS} ids>"),
        "items": "GET " + ITEMS_PATH,
    }
    for name, r in rows.items():
        say(
            f"  {labels[name]:<70}{r['rps']:>8.1f}{r['p50']:>9.2f}{r['p99']:>9.2f}"
            f"{r['non_2xx']:>8}{r['socket_errors']:>9}"
        )
    for name, r in rows.items():
        per_request = r["redis_commands"] / r["requests"] if r["requests"] else 0
        say(
            f"  {name}: {r['requests']:,} requests, {r['redis_commands']:,} Redis commands "
            f"({per_request:.2f} per request){'; ' + r['socket_detail'] if r['socket_errors'] else ''}"
        )
    errors = sum(r["non_2xx"] + r["socket_errors"] for r in rows.values())
    say(
        f"  gunicorn {args.workers} sync workers, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:g}s; {redis_keys} keys in Redis; load average before {results['_loadavg']:.2f}"
    )
    verdict = "PASS" if errors == 0 else "FAIL"
    say(f"  target: 0 errors (non-2xx + socket errors) on every endpoint: {errors} errors  {verdict}")
    say(line)


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="work orders to seed (default 100000)")
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--inspections", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=1000, help="inventory items to seed (default 1000)")
    parser.add_argument("--seed", type=int, default=20251126, help="random seed of the data set")
    parser.add_argument(
        "--role",
        choices=("viewer", "operator", "manager", "admin", "superuser"),
        default="viewer",
        help="the bench user's role (default viewer)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    parser.add_argument("--duration", type=float, default=30, help="seconds per endpoint (default 30)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per endpoint (default 3)")
    parser.add_argument("--no-items", action="store_true", help="skip the items list")
    parser.add_argument(
        "--no-install",
        dest="install",
        action="store_false",
        help="never install missing tools (postgresql, redis-server, wrk, gunicorn)",
    )
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp folder (logs, data)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.install:
        globals()["apt_install"] = lambda package: False
        globals()["pip_install"] = lambda requirement: False

    production_environment(
        LOG_FORMAT=os.environ.get("LOG_FORMAT", "json"),
        # Limits raised, not off: every request still counts in Redis.
        RATELIMIT_GENERAL="100000000/m",
    )
    tmp = Path(tempfile.mkdtemp(prefix="weldshop-bench-load."))
    (tmp / "static").mkdir()
    os.environ["STATIC_ROOT"] = str(tmp / "static")

    exit_cleanly_on_sigterm()

    postgres = Postgres(tmp)
    redis = Redis(tmp)
    server = LoadGunicorn(tmp, args.workers)
    try:
        say(f"Weldshop load benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        if shutil.which("wrk") is None and not apt_install("wrk"):
            raise RuntimeError("wrk is not installed (Debian package wrk).")
        use_database(postgres)
        os.environ["REDIS_URL"] = redis.start()  # before Django reads its settings
        setup_django(quiet_requests=True)

        from django.conf import settings
        from django.db import connections
        from rest_framework_simplejwt.tokens import RefreshToken

        from workorders.models import WorkOrder

        if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
            raise RuntimeError(f"The cache is {settings.CACHES['default']['BACKEND']}, not Redis.")
        user = seed(args.orders, args.employees, args.inspections, args.seed)
        if not args.no_items:
            seed_items(args.items)
        give_role(user, args.role)
        token = str(RefreshToken.for_user(user).access_token)
        ids = list(
            WorkOrder.objects.filter(order_id__startswith=KEY_PREFIX)
            .order_by("?")
            .values_list("pk", flat=True)[:DETAIL_IDS]
        )
        check_max_connections(args.workers)
        connections.close_all()

        endpoints = {
            "list": (LIST_PATH, None),
            "detail": (DETAIL_PATH.format(id=ids[0]), detail_script(tmp / "detail.lua", ids)),
        }
        if not args.no_items:
            endpoints["items"] = (ITEMS_PATH, None)

        server.start()
        check_endpoints(server.base, token, endpoints)
        results = load(server.base, token, endpoints, redis, args)
        redis_keys = redis.keys()
        server.stop()
        log = server.log_path.read_text(errors="replace")
        if "Traceback" in log or "WORKER TIMEOUT" in log:
            say(f"    WARNING: gunicorn's log has errors:\n{log[-3000:]}")
        fail_open = log.count("ratelimit.cache_unavailable")
        if fail_open:  # the limiter failed open: those requests did not count in Redis
            say(f"    WARNING: {fail_open} requests found Redis unavailable (ratelimit.cache_unavailable)")
        report(results, args, redis_keys)
        return 0
    except RuntimeError as exc:
        say(f"ERROR: {exc}")
        return 1
    finally:
        server.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        redis.stop()
        postgres.stop()
        if args.keep_tmp:
            step(f"Temp folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
