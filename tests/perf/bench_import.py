"""Benchmark: importing a 100k-row work-order .xlsx against openpyxl merely reading it, on PostgreSQL.

    /tmp/venv/bin/python tests/perf/bench_import.py [--help]

One run, one database, one file:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated, and
   200 employees (the welders the file names);
2. a generated work-order workbook, written with openpyxl's write-only mode: 100,000 rows with
   the shop's headers, statuses as values and as labels ("In Progress", "on_hold", …), due
   dates as date cells (a tenth as ISO text, a twentieth empty), and welders by name (60 %),
   by employee_id (30 %) or none;
3. alternating rounds (`--rounds`) of:
     openpyxl   `load_workbook(read_only=True)`, every row's values: the floor;
     calamine   python-calamine opening the workbook and reading every row;
     import     `workshop.imports.service.store_import()` into work orders (an ImportRun), as the API
                calls it: the upload checks (zip, XML, extent), calamine, header matching,
                every cell through the API's fields, welders looked up, `bulk_create`, the
                stored file and the ExcelImport record — rolled back after each round so
                every round inserts the same 100k rows;
   and a report of the medians, import / openpyxl (target <= 2) and openpyxl / calamine;
4. where the import's time goes (each stage timed once), and its peak memory, measured in a
   child process that does nothing else (ru_maxrss; target <= 300 MB) — with the process's
   memory before the import, which Python, Django and the libraries take anyway;
5. a pyinstrument profile of one import (--no-profile to skip);
6. stops the PostgreSQL it started and removes the temp folder.

Exit status 0 whether or not the targets are met; non-zero only when the benchmark could not run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
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
    pip_install,
    production_environment,
    say,
    setup_django,
    step,
    use_database,
)

TIME_TARGET = 2.0
MEMORY_TARGET_MB = 300
EMPLOYEE_PREFIX = "BEMP-"
ORDER_PREFIX = "BWO-"
STATUSES = ["Pending", "In Progress", "on_hold", "Completed", "cancelled", "pending", "In progress"]


# ------------------------------------------------------------------------------- data
def employees(count: int) -> list[tuple[str, str]]:
    return [(f"{EMPLOYEE_PREFIX}{n:03d}", f"Welder {n:03d} Smith") for n in range(count)]


def write_workbook(path: Path, rows: int, staff: list[tuple[str, str]], seed_value: int) -> None:
    from openpyxl import Workbook

    rng = random.Random(seed_value)
    start = dt.date(2025, 1, 1)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("WorkOrders")
    sheet.append(["OrderID", "Client", "Description", "Status", "DueDate", "AssignedWelder"])
    for n in range(rows):
        employee_id, name = staff[rng.randrange(len(staff))]
        pick = rng.random()
        welder = name if pick < 0.6 else employee_id if pick < 0.9 else None
        due = start + dt.timedelta(days=rng.randrange(-400, 400))
        pick = rng.random()
        due_cell = due if pick < 0.85 else due.isoformat() if pick < 0.95 else None
        sheet.append(
            [
                f"{ORDER_PREFIX}{n:06d}",
                f"Client {rng.randrange(60):02d}",
                f"Job {n}: {rng.choice(['pipe', 'beam', 'tank', 'gate', 'frame'])} welding",
                rng.choice(STATUSES),
                due_cell,
                welder,
            ]
        )
    book.save(path)


def create_employees(staff: list[tuple[str, str]]) -> None:
    from staff.models import Employee

    existing = set(
        Employee.objects.filter(employee_id__startswith=EMPLOYEE_PREFIX).values_list("employee_id", flat=True)
    )
    Employee.objects.bulk_create(
        Employee(employee_id=employee_id, name=name, role="Welder")
        for employee_id, name in staff
        if employee_id not in existing
    )


# ------------------------------------------------------------------------------- the three jobs
def read_openpyxl(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    count = 0
    for _values in book.worksheets[0].iter_rows(values_only=True):
        count += 1
    book.close()
    return count


def read_calamine(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    with path.open("rb") as handle:
        sheet = CalamineWorkbook.from_filelike(handle).get_sheet_by_index(0)
    count = 0
    for _values in sheet.iter_rows():
        count += 1
    return count


def import_once(path: Path, *, keep: bool = False, run=None):
    """The service's run, as `POST /api/v1/workorders/import/` calls it (or `run`, another
    resource's); rolled back unless `keep`."""
    from django.core.files import File
    from django.db import transaction

    from workshop.imports.service import ImportRun, store_import

    class Rollback(Exception):
        pass

    record = None
    try:
        with transaction.atomic(), path.open("rb") as handle:
            record = store_import(
                upload=File(handle, name=path.name),
                filename=path.name,
                run=run or ImportRun(resource="workorders"),
            )
            if not keep:
                raise Rollback
    except Rollback:
        pass
    return record


def timed(func) -> float:
    gc.collect()
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def measure(jobs: dict, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {key: [] for key in jobs}
    for round_no in range(rounds):
        order = list(jobs) if round_no % 2 == 0 else list(reversed(jobs))
        line = []
        for key in order:
            seconds = timed(jobs[key])
            times[key].append(seconds)
            line.append(f"{key} {seconds:6.2f} s")
        say(f"    round {round_no + 1}: " + ", ".join(line))
    return times


def stages(path: Path) -> dict[str, float]:
    """Where one import's time goes (each stage on its own, so the sum is a little more)."""
    from django.db import transaction

    from workshop.imports.engine import run_import
    from workshop.imports.reader import open_sheet, read_upload
    from workshop.imports.spec import registry

    spec = registry()["workorders"]
    data = path.read_bytes()
    result = {}
    started = time.perf_counter()
    read_upload(data)
    result["upload checks (zip, XML parts, extent)"] = time.perf_counter() - started
    started = time.perf_counter()
    sheet = open_sheet(data, "xlsx")
    rows = list(sheet.rows)
    result["calamine: open, read and clean every row"] = time.perf_counter() - started
    sheet = open_sheet(data, "xlsx")
    started = time.perf_counter()
    run_import(spec=spec, sheet=sheet, dry_run=True)
    result["validate every row (a dry run, incl. calamine)"] = time.perf_counter() - started
    sheet = open_sheet(data, "xlsx")
    with transaction.atomic():
        started = time.perf_counter()
        outcome = run_import(spec=spec, sheet=sheet)
        result["validate and bulk write (incl. calamine)"] = time.perf_counter() - started
        transaction.set_rollback(True)
    if outcome.created != len(rows):
        raise RuntimeError(f"Expected {len(rows)} created rows, got {outcome.created}")
    return result


# ------------------------------------------------------------------------------- memory
def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"No {field} in /proc/self/status")


def child_import(path: str) -> None:
    """Runs in a fresh process: one import, then its memory as JSON on stdout. VmHWM is the
    peak resident set of this process image (getrusage's ru_maxrss is not: on Linux it keeps
    the parent's high-water mark across fork and exec)."""
    import django

    django.setup()
    from django.db import connection

    from workshop.imports.spec import registry

    registry()  # import every app's spec, serializer and model first
    connection.ensure_connection()
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    record = import_once(Path(path))
    seconds = time.perf_counter() - started
    result = {
        "before_mb": before,
        "peak_mb": _status_mb("VmHWM"),
        "seconds": seconds,
        "rows": record.rows_created,
    }
    print(json.dumps(result))


def memory(path: Path) -> dict:
    result = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child-import", str(path)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    if result.returncode != 0:
        raise RuntimeError(f"The memory run failed:\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def profile(path: Path, html: str | None) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        if not pip_install(PYINSTRUMENT_REQ):
            say("pyinstrument is not installed: no profile")
            return
        from pyinstrument import Profiler
    say()
    step("pyinstrument profile of one import (store_import, rolled back)")
    profiler = Profiler(interval=0.001)
    profiler.start()
    import_once(path)
    profiler.stop()
    say(profiler.output_text(unicode=True, color=False, show_all=False))
    if html:
        Path(html).write_text(profiler.output_html())
        step(f"Full profile written to {html}")


# ------------------------------------------------------------------------------- report
def report(times: dict[str, list[float]], mem: dict, breakdown: dict[str, float], rows: int) -> None:
    line = "-" * 78
    say()
    say(line)
    say(f"  Import of {rows:,} work orders (.xlsx) on PostgreSQL")
    say(f"  {'':<50}{'median':>9}   per round")
    labels = {
        "openpyxl": "(a) openpyxl read-only, every row: the floor",
        "calamine": "(b) python-calamine, every row",
        "import": "(c) our import end to end (store_import)",
    }
    for key, runs in times.items():
        say(f"  {labels[key]:<50}{statistics.median(runs):>8.2f}s   {', '.join(f'{v:.2f}' for v in runs)}")
    ratios = [c / a for c, a in zip(times["import"], times["openpyxl"], strict=True)]
    ratio = statistics.median(ratios)
    say(f"  {'ratio (c) / (a), median of rounds':<50}{ratio:>9.2f}   {', '.join(f'{r:.2f}' for r in ratios)}")
    say(
        f"  {'target':<50}{'<= ' + format(TIME_TARGET, '.2f'):>9}   {'PASS' if ratio <= TIME_TARGET else 'FAIL'}"
    )
    speedups = [a / b for a, b in zip(times["openpyxl"], times["calamine"], strict=True)]
    say(f"  {'calamine is faster than openpyxl by (a) / (b)':<50}{statistics.median(speedups):>8.1f}×")
    say(f"  {'(c) rows per second':<50}{rows / statistics.median(times['import']):>9,.0f}")
    say()
    say("  Where one import's time goes (stages timed separately):")
    for name, seconds in breakdown.items():
        say(f"    {name:<60}{seconds:>7.2f}s")
    say()
    peak = mem["peak_mb"]
    say(f"  Peak memory of (c) in its own process (VmHWM): {peak:,.0f} MB")
    say(f"    of which before the import (Python, Django, libraries): {mem['before_mb']:,.0f} MB")
    say(f"    so the import itself at most: {peak - mem['before_mb']:,.0f} MB")
    say(f"    import in that process: {mem['seconds']:.2f} s, {mem['rows']:,} rows")
    say(
        f"  {'target':<50}{'<= ' + str(MEMORY_TARGET_MB) + ' MB':>9}   {'PASS' if peak <= MEMORY_TARGET_MB else 'FAIL'}"
    )
    say(line)


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="work orders in the file (100000)")
    parser.add_argument("--employees", type=int, default=200, help="welders the file names (200)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating measurement rounds (3)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the file's content")
    parser.add_argument("--no-profile", action="store_true", help="skip the pyinstrument profile")
    parser.add_argument("--profile-html", help="also write the full profile as HTML here")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (the .xlsx) afterwards")
    parser.add_argument("--memory-only", action="store_true", help="only the peak-memory run")
    parser.add_argument("--child-import", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_import:
        child_import(args.child_import)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="weldshop-bench-import."))
    production_environment(
        DJANGO_SETTINGS_MODULE="workshop.settings",
        MEDIA_ROOT=str(tmp / "media"),
        STATIC_ROOT=str(tmp / "static"),
        STORAGE_BACKEND="local",
        LOG_LEVEL="WARNING",
    )
    os.environ.pop("REDIS_URL", None)

    exit_cleanly_on_sigterm()
    postgres = Postgres(tmp)
    try:
        say(f"Weldshop import benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        use_database(postgres, " (imports are rolled back)")
        setup_django()

        from importlib.metadata import version

        import openpyxl

        from workorders.models import WorkOrder

        if WorkOrder.objects.filter(order_id__startswith=ORDER_PREFIX).exists():
            raise RuntimeError(f"The database already holds {ORDER_PREFIX}* work orders: use an empty one.")
        staff = employees(args.employees)
        create_employees(staff)
        path = tmp / "work_orders.xlsx"
        started = time.perf_counter()
        write_workbook(path, args.rows, staff, args.seed)
        step(
            f"{args.rows:,} work orders written to {path.name} ({path.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s; {len(staff)} employees in the database; "
            f"openpyxl {openpyxl.__version__}, python-calamine {version('python-calamine')}"
        )
        rows = read_calamine(path) - 1
        if read_openpyxl(path) - 1 != rows or rows != args.rows:
            raise RuntimeError("openpyxl and calamine disagree on the number of rows")
        record = import_once(path)
        if (record.rows_total, record.rows_created) != (args.rows, args.rows):
            raise RuntimeError(
                f"The import did not create every row: {record.rows_total}, {record.rows_created}"
            )
        step("Warm-up done: both readers see every row; the import creates all of them")

        if args.memory_only:
            mem = memory(path)
            say(f"Peak memory (VmHWM) {mem['peak_mb']:.0f} MB, before the import {mem['before_mb']:.0f} MB")
            return 0
        say()
        step(f"{args.rounds} rounds, alternating order")
        times = measure(
            {
                "openpyxl": lambda: read_openpyxl(path),
                "calamine": lambda: read_calamine(path),
                "import": lambda: import_once(path),
            },
            args.rounds,
        )
        step("Stages of one import")
        breakdown = stages(path)
        step("Peak memory of one import, in a fresh process")
        mem = memory(path)
        report(times, mem, breakdown, args.rows)
        if not args.no_profile:
            profile(path, args.profile_html)
        return 0
    except KeyboardInterrupt:
        say("Interrupted")
        return 130
    except Exception as exc:  # a report, not a test: say what failed and exit non-zero
        say(f"The benchmark could not run: {exc}")
        return 1
    finally:
        postgres.stop()
        if args.keep:
            step(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
