"""Benchmark: the work-order export against openpyxl's write-only floor, on PostgreSQL with 100k rows.

    /tmp/venv/bin/python tests/perf/bench_export.py [--help]

One run, one database, one process:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated, and the
   data set of bench_workorders_list.py: 100,000 work orders (5% without a due date, 60% with a
   welder out of 200 employees), then VACUUM (FREEZE, ANALYZE);
2. the six export columns of every work order read once into memory as a list of tuples
   (`values_list`, the same rows and order the export writes);
3. alternating rounds (`--rounds`) of:
     floor  openpyxl write-only mode writing those in-memory tuples (header row + 100k rows)
            to a BytesIO: no database, no conversion, no checks;
     export `workshop.imports.export.write_export()` end to end: the query (chunked iterator),
            formula neutralisation, date and text handling, the same openpyxl writer, to a BytesIO;
     API    `GET /api/v1/workorders/export/?format=xlsx` in-process (django.test.Client, JWT,
            role check, strict params, filters, sorting, FileResponse), the body read in full;
   and a report of the median times, the ratios export / floor and API / floor (taken per
   round, the median kept), and PASS/FAIL against the 1.5 target (export / floor);
4. the same for CSV (the csv module writing the tuples, against the CSV export), for information;
5. with --profile, a pyinstrument profile of one export;
6. stops the PostgreSQL it started and removes the temp folder.

The PostgreSQL helpers and the data set come from bench_workorders_list.py. Exit status 0 whether
or not the target is met; non-zero only when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_workorders_list import (  # noqa: E402
    PYINSTRUMENT_REQ,
    Postgres,
    exit_cleanly_on_sigterm,
    give_role,
    pip_install,
    production_environment,
    say,
    seed,
    setup_django,
    step,
    stop_database,
    use_database,
)

TARGET_RATIO = 1.5
EXPORT_URL = "/api/v1/workorders/export/"


def timed(func) -> float:
    gc.collect()
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def floor_xlsx(headers: list[str], rows: list[tuple]) -> int:
    from openpyxl import Workbook

    out = io.BytesIO()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(out)
    return out.tell()


def floor_csv(headers: list[str], rows: list[tuple]) -> int:
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    text.flush()
    text.detach()
    return out.tell()


def export(queryset, spec, fmt: str) -> int:
    from workshop.imports.export import write_export

    out = io.BytesIO()
    write_export(queryset, spec, fmt, out)
    return out.tell()


def api_export(client, fmt: str) -> int:
    response = client.get(EXPORT_URL, {"format": fmt})
    if response.status_code != 200:
        raise RuntimeError(f"GET {EXPORT_URL}?format={fmt}: {response.status_code}")
    return sum(len(chunk) for chunk in response.streaming_content)


def check_same_rows(queryset, spec, headers, rows) -> None:
    """The floor writes exactly what the export reads: same rows, same order, same values."""
    import datetime as dt

    import openpyxl

    from workshop.imports.export import write_export

    out = io.BytesIO()
    write_export(queryset[:2000], spec, "xlsx", out)
    out.seek(0)
    exported = list(openpyxl.load_workbook(out, read_only=True).worksheets[0].values)
    if list(exported[0]) != headers or len(exported) != 2001:
        raise RuntimeError(f"Unexpected export header or length: {exported[0]}, {len(exported)} rows")
    for got, want in zip(exported[1:], rows[:2000], strict=True):
        want = tuple(None if v == "" else v for v in want)
        got = tuple(v.date() if isinstance(v, dt.datetime) else v for v in got)  # date cells
        got += (None,) * (len(want) - len(got))  # read-only mode drops trailing empty cells
        if got != want:
            raise RuntimeError(f"The export and the floor differ: {got} != {want}")
    step("Export and floor hold the same values (first 2,000 rows checked)")


def measure(name: str, jobs: dict, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {key: [] for key in jobs}
    for job in jobs.values():  # warm-up: imports, caches, the database's buffers
        job()
    for round_no in range(rounds):
        order = list(jobs) if round_no % 2 == 0 else list(reversed(jobs))
        line = []
        for key in order:
            seconds = timed(jobs[key])
            times[key].append(seconds)
            line.append(f"{key} {seconds:6.2f} s")
        say(f"    {name} round {round_no + 1}: " + ", ".join(line))
    return times


def report(title: str, times: dict[str, list[float]], target: bool) -> None:
    line = "-" * 72
    say()
    say(line)
    say(f"  {title}")
    say(f"  {'':<44}{'median':>9}   per round")
    labels = {
        "floor": "floor: openpyxl/csv writing in-memory tuples",
        "export": "export: write_export() incl. the query",
        "api": "API: GET …/export/ in-process",
    }
    for key, runs in times.items():
        say(f"  {labels[key]:<44}{statistics.median(runs):>8.2f}s   {', '.join(f'{v:.2f}' for v in runs)}")
    for key in ("export", "api"):
        if key not in times:
            continue
        # Per round (both measured back to back, so slow drift of a shared machine cancels
        # out), and the median of the rounds is the verdict.
        ratios = [t / f for t, f in zip(times[key], times["floor"], strict=True)]
        ratio = statistics.median(ratios)
        say(
            f"  {'ratio ' + key + ' / floor (median of rounds)':<44}{ratio:>9.2f}   {', '.join(f'{r:.2f}' for r in ratios)}"
        )
        if target and key == "export":
            verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
            say(f"  {'target':<44}{'<= ' + format(TARGET_RATIO, '.2f'):>9}   {verdict}")
    say(line)


def profile(queryset, spec, html: str | None) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        if not pip_install(PYINSTRUMENT_REQ):
            say("pyinstrument is not installed: no profile")
            return
        from pyinstrument import Profiler
    say()
    step("pyinstrument profile of one .xlsx export (write_export)")
    profiler = Profiler(interval=0.001)
    profiler.start()
    export(queryset, spec, "xlsx")
    profiler.stop()
    say(profiler.output_text(unicode=True, color=False, show_all=False))
    if html:
        Path(html).write_text(profiler.output_html())
        step(f"Full profile written to {html}")


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="work orders to seed (default 100000)")
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20251126, help="random seed of the data set")
    parser.add_argument(
        "--rounds", type=int, default=5, help="measured runs of each, alternating (default 5)"
    )
    parser.add_argument("--no-api", action="store_true", help="skip the in-process API request")
    parser.add_argument("--no-csv", action="store_true", help="skip the CSV comparison")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of one export")
    parser.add_argument("--profile-html", metavar="FILE", help="also write pyinstrument's HTML report here")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp folder (PostgreSQL data)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    production_environment()
    tmp = Path(tempfile.mkdtemp(prefix="weldshop-bench-export."))
    (tmp / "static").mkdir()
    os.environ["STATIC_ROOT"] = str(tmp / "static")
    os.environ.pop("REDIS_URL", None)

    exit_cleanly_on_sigterm()
    postgres = Postgres(tmp)
    try:
        say(f"Weldshop export benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        use_database(postgres)
        setup_django(quiet_requests=True)

        import openpyxl
        from django.test import Client
        from rest_framework_simplejwt.tokens import RefreshToken

        from workorders.models import WorkOrder
        from workshop.imports.spec import registry

        user = seed(args.orders, args.employees, 0, args.seed)
        give_role(user, "viewer")
        spec = registry()["workorders"]
        queryset = WorkOrder.objects.order_by("pk")
        headers = spec.headers
        paths = [c.export_path for c in spec.columns]
        rows = list(queryset.values_list(*paths))
        if len(rows) != args.orders:
            raise RuntimeError(
                f"Expected {args.orders:,} work orders, found {len(rows):,}: use an empty database."
            )
        step(
            f"{len(rows):,} rows × {len(headers)} columns in memory for the floor; openpyxl {openpyxl.__version__}"
        )
        check_same_rows(queryset, spec, headers, rows)

        client = Client(headers={"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"})
        say()
        step(f"xlsx: {args.rounds} rounds, alternating order, after a warm-up of each")
        jobs = {
            "floor": lambda: floor_xlsx(headers, rows),
            "export": lambda: export(queryset, spec, "xlsx"),
        }
        if not args.no_api:
            jobs["api"] = lambda: api_export(client, "xlsx")
        sizes = {key: job() for key, job in jobs.items()}
        say(f"    file sizes: {', '.join(f'{k} {v / 1e6:.2f} MB' for k, v in sizes.items())}")
        xlsx_times = measure("xlsx", jobs, args.rounds)

        csv_times = None
        if not args.no_csv:
            say()
            step(f"csv: {args.rounds} rounds")
            jobs = {
                "floor": lambda: floor_csv(headers, rows),
                "export": lambda: export(queryset, spec, "csv"),
            }
            if not args.no_api:
                jobs["api"] = lambda: api_export(client, "csv")
            csv_times = measure("csv", jobs, args.rounds)

        if args.profile or args.profile_html:
            profile(queryset, spec, args.profile_html)

        report(f"xlsx, {len(rows):,} work orders × {len(headers)} columns", xlsx_times, target=True)
        if csv_times:
            report(
                f"csv, {len(rows):,} work orders × {len(headers)} columns (for information)", csv_times, False
            )
        return 0
    except RuntimeError as exc:
        say(f"ERROR: {exc}")
        return 1
    finally:
        stop_database(postgres)
        if args.keep_tmp:
            step(f"Temp folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
