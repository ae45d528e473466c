"""Benchmark: the work-order list with its ETag (SPEC §7) against the same list without it.

    .venv/bin/python tests/perf/bench_etag.py [--orders 100000] [--rounds 9] [--requests 40]

The issue's target: the list with ETags at least 0.95x as fast as without. One run:

1. a throwaway PostgreSQL (or $DATABASE_URL), migrated; the work orders, employees and
   inspections of bench_workorders_list (100,000 orders by default), VACUUMed;
2. in process (Django's test client, an admin's JWT, production settings):
     GET /api/v1/workorders/?page_size=50&status=pending&sort_by=due_date
   `--rounds` x `--requests` requests per side, alternating request by request (LIST_ETAGS on:
   the body hashed, the `ETag` header; LIST_ETAGS off: the same view without it);
3. requests per second from each side's median time, the ratio with / without, PASS/FAIL
   against 0.95; for information, the hash of one page alone, a revalidation
   (`If-None-Match` with the tag: 304) and a detail GET.

A report: the exit status is 0 whether or not the target is met.
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

from tests.perf.bench_workorders_list import say, seed, step  # noqa: E402
from tests.perf.common import bench_run, http_client, report_errors, timed, vacuum  # noqa: E402

TARGET_RATIO = 0.95
URL = "/api/v1/workorders/?page_size=50&status=pending&sort_by=due_date"
TABLES = ("workorders_workorder", "staff_employee", "inspections_inspection")


def measure(args) -> int:
    from django.test import override_settings

    seed(args.orders, 200, args.orders // 5, 0.42)
    vacuum(TABLES, fresh=False)
    client = http_client()

    with override_settings(LIST_ETAGS=True):
        first = client.get(URL)
        tag = first.get("ETag")
        if not tag:
            raise RuntimeError("The list answered no ETag with LIST_ETAGS on.")
        with_body = first.content
    with override_settings(LIST_ETAGS=False):
        plain = client.get(URL)
        if "ETag" in plain or plain.content != with_body:
            raise RuntimeError("The list without ETags differs from the list with them.")

    # Requests alternate one by one (with, without, without, with, …) so both sides see the same
    # moments of a busy machine; each side's median time per request gives its rate.
    times: dict[bool, list[float]] = {True: [], False: []}

    def one(list_etags: bool) -> float:
        with override_settings(LIST_ETAGS=list_etags):
            return timed(lambda: client.get(URL))

    for _ in range(args.requests):  # warm-up
        one(True), one(False)
    for round_no in range(args.rounds):
        for n in range(args.requests):
            first = (n + round_no) % 2 == 0
            for side in (first, not first):
                times[side].append(one(side))
    rps = {side: 1000 / statistics.median(ms) for side, ms in times.items()}
    ratio = rps[True] / rps[False]
    from workshop.api.conditional import tag_of

    data = client.get(URL).json()
    hash_ms = timed(lambda: [tag_of(data, canonical=False) for _ in range(1000)]) / 1000

    def revalidate() -> None:
        for _ in range(args.requests):
            if client.get(URL, headers={"If-None-Match": tag}).status_code != 304:
                raise RuntimeError("If-None-Match with the list's tag did not answer 304.")

    revalidation = args.requests / (timed(revalidate) / 1000)
    from workorders.models import WorkOrder

    detail_url = f"/api/v1/workorders/{WorkOrder.objects.order_by('id').values_list('id', flat=True)[0]}/"
    detail = args.requests / (timed(lambda: [client.get(detail_url) for _ in range(args.requests)]) / 1000)

    line = "-" * 76
    say()
    say(line)
    say(f"  GET {URL}")
    say(f"  {args.orders:,} work orders; {args.rounds * args.requests} requests per side, alternating")
    say(f"  with ETag (LIST_ETAGS=true)        {rps[True]:8.1f} req/s  (median {1000 / rps[True]:.2f} ms)")
    say(f"  without (LIST_ETAGS=false)         {rps[False]:8.1f} req/s  (median {1000 / rps[False]:.2f} ms)")
    say(f"  ratio with / without               {ratio:8.3f}")
    say(f"  the hash of one page alone         {hash_ms:8.3f} ms")
    say(f"  target >= {TARGET_RATIO:.2f}: {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}")
    say(f"  for information: revalidation (304) {revalidation:8.1f} req/s; a detail GET {detail:8.1f} req/s")
    say(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="work orders (default 100000)")
    parser.add_argument("--rounds", type=int, default=9, help="measured rounds")
    parser.add_argument("--requests", type=int, default=40, help="requests per side per round")
    parser.add_argument("--keep-tmp", action="store_true")
    args = parser.parse_args(argv)
    step("ETags on the work-order list")
    with bench_run(
        "etag",
        "Weldshop ETag benchmark",
        keep_tmp=args.keep_tmp,
        quiet_requests=True,
        RATELIMIT_ENABLE="false",
    ):
        return report_errors(lambda: measure(args))


if __name__ == "__main__":
    sys.exit(main())
