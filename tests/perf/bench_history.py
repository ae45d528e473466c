"""Benchmark: what the history of every record (SPEC §7) costs a write, against the same
writes with history switched off (`SIMPLE_HISTORY_ENABLED=False`), on PostgreSQL.

    .venv/bin/python tests/perf/bench_history.py [--help]
    .venv/bin/python tests/perf/bench_history.py --rows 10000 --patches 100      # a quick run

One run, one database, one process:

1. a throwaway PostgreSQL in a temp folder (or the database in $DATABASE_URL), migrated;
2. a single-record write: alternating rounds (`--rounds`) of `--patches` PATCHes of one work
   order (`PATCH /api/v1/workorders/{id}/` in process: JWT, role check, the locked row, the
   UPDATE, its history version, the answer), with history on and off; median per request,
   the ratio against the 1.3× target;
3. an import: a `--rows`-row work-order workbook (bench_import's generator) imported through
   the service as the API calls it (`store_import`, rolled back after each round), with
   history on and off, alternating rounds; the ratio against the 1.5× target;
4. stops the PostgreSQL it started and removes the temp folder.

Exit status 0 whether or not the targets are met; non-zero only when the benchmark could not run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_workorders_list import say, step  # noqa: E402
from tests.perf.common import bench_run, http_client, report_errors, timed  # noqa: E402

PATCH_TARGET = 1.3
IMPORT_TARGET = 1.5


def history_on(on: bool) -> None:
    from django.conf import settings

    settings.SIMPLE_HISTORY_ENABLED = on


def patch_round(client, url: str, count: int, start: int) -> float:
    """Median milliseconds of `count` PATCHes."""
    times = []
    for n in range(count):
        body = f'{{"description": "round write {start + n}"}}'

        def send(body=body):
            response = client.patch(url, body, content_type="application/json")
            if response.status_code != 200:
                raise RuntimeError(f"PATCH answered {response.status_code}: {response.content[:200]!r}")

        times.append(timed(send))
    return statistics.median(times)


def measure(args) -> int:
    from tests.perf.bench_import import create_employees, employees, import_once, write_workbook
    from workorders.models import WorkOrder

    client = http_client()
    order, _created = WorkOrder.objects.get_or_create(order_id="BENCH-H-1", defaults={"client": "Bench"})
    url = f"/api/v1/workorders/{order.pk}/"
    for on in (True, False):  # warm both paths
        history_on(on)
        patch_round(client, url, 10, 0)
    step(f"{args.patches} PATCHes per round, {args.rounds} rounds per side, alternating")
    patches: dict[bool, list[float]] = {True: [], False: []}
    written = 0
    for _ in range(args.rounds):
        for on in (True, False):
            history_on(on)
            patches[on].append(patch_round(client, url, args.patches, written))
            written += args.patches
    history_on(True)
    versions = order.history.count()
    patch_ratio = statistics.median(patches[True]) / statistics.median(patches[False])

    staff = employees(200)
    create_employees(staff)
    path = Path(args.tmp) / "history-bench.xlsx"
    step(f"Writing a {args.rows:,}-row work-order workbook")
    write_workbook(path, args.rows, staff, 7)
    imports: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.import_rounds):
        for on in (True, False):
            history_on(on)
            imports[on].append(timed(lambda: import_once(path)) / 1000)
    history_on(True)
    import_ratio = statistics.median(imports[True]) / statistics.median(imports[False])

    say("")
    say(
        f"PATCH one work order: with history {statistics.median(patches[True]):.2f} ms, without "
        f"{statistics.median(patches[False]):.2f} ms → {patch_ratio:.2f}× (target ≤ {PATCH_TARGET}×; "
        f"{versions:,} versions written)"
    )
    say(
        f"Import of {args.rows:,} rows: with history {statistics.median(imports[True]):.2f} s, without "
        f"{statistics.median(imports[False]):.2f} s → {import_ratio:.2f}× (target ≤ {IMPORT_TARGET}×)"
    )
    say(f"ratios: patch {patch_ratio:.3f} import {import_ratio:.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=100_000, help="rows of the imported workbook (default 100000)"
    )
    parser.add_argument("--patches", type=int, default=300, help="PATCHes per round (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="PATCH rounds per side, alternating")
    parser.add_argument("--import-rounds", type=int, default=3, help="import rounds per side, alternating")
    parser.add_argument("--keep-tmp", action="store_true")
    args = parser.parse_args(argv)
    with bench_run(
        "history",
        "Weldshop history benchmark",
        keep_tmp=args.keep_tmp,
        quiet_requests=True,
        RATELIMIT_ENABLE="false",  # a benchmark, not a client: no 429s
    ) as tmp:
        args.tmp = str(tmp)
        return report_errors(lambda: measure(args))


if __name__ == "__main__":
    sys.exit(main())
