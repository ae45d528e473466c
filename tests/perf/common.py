"""Pieces the benchmarks that compare an endpoint with hand-written SQL share
(bench_dashboard, bench_analytics, the welding ones): the run's scaffold (`bench_run`: the
environment, a throwaway PostgreSQL, Django; `report_errors`; `profile`), the raw cursor, the
in-process client, the timer and VACUUM. The servers and the seeding helpers are in
bench_workorders_list."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.perf.bench_workorders_list import (
    Postgres,
    exit_cleanly_on_sigterm,
    production_environment,
    say,
    setup_django,
    step,
    stop_database,
    use_database,
)


@contextmanager
def bench_run(
    name: str,
    title: str,
    *,
    keep_tmp: bool = False,
    database_note: str = "",
    quiet_requests: bool = False,
    local_media: bool = False,
    **environment: str,
) -> Iterator[Path]:
    """One benchmark's run: production settings (plus `environment`), no Redis, a temp folder
    (its `static/` the STATIC_ROOT; with `local_media`, its `media/` the local file storage),
    SIGTERM ending it cleanly, a throwaway PostgreSQL in the folder (or the database in
    $DATABASE_URL), Django set up; yields the folder. Afterwards the PostgreSQL it started
    stops and the folder goes (unless `keep_tmp`)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"weldshop-{name}-bench."))
    (tmp / "static").mkdir()
    folders = {"STATIC_ROOT": str(tmp / "static")}
    if local_media:
        folders |= {"MEDIA_ROOT": str(tmp / "media"), "STORAGE_BACKEND": "local"}
    production_environment(
        **{"DJANGO_SETTINGS_MODULE": "workshop.settings", "LOG_LEVEL": "WARNING", **folders, **environment}
    )
    os.environ.pop("REDIS_URL", None)
    exit_cleanly_on_sigterm()
    postgres = Postgres(tmp)
    try:
        say(f"{title} — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        use_database(postgres, database_note)
        setup_django(quiet_requests=quiet_requests)
        yield tmp
    finally:
        stop_database(postgres)
        if keep_tmp:
            step(f"Temp folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def report_errors(body: Callable[[], int]) -> int:
    """`body()`'s exit status; a RuntimeError (the benchmark could not run, or its two sides
    disagree) is said and exits 1."""
    try:
        return body()
    except RuntimeError as exc:
        say(f"ERROR: {exc}")
        return 1


def profile(fn: Callable[[], Any]) -> None:
    """A profile of one `fn()`: pyinstrument when installed, else cProfile (cumulative)."""
    try:
        from pyinstrument import Profiler  # noqa: PLC0415
    except ImportError:
        import cProfile  # noqa: PLC0415
        import pstats  # noqa: PLC0415

        profiler = cProfile.Profile()
        profiler.runcall(fn)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    else:
        profiler = Profiler()
        profiler.start()
        fn()
        profiler.stop()
        say(profiler.output_text(unicode=True, color=False))


def fetch(sql: str, params: dict) -> list[tuple]:
    """The rows of one hand-written SQL statement (a raw cursor)."""
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def http_client():
    """A test client (in process: no network, no server) holding an admin's access token."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from rest_framework_simplejwt.tokens import AccessToken  # noqa: PLC0415

    from staff.services import user_create  # noqa: PLC0415

    user = get_user_model().objects.filter(username="bench-admin").first() or user_create(
        username="bench-admin", password=os.urandom(16).hex(), role="admin"
    )
    return Client(headers={"Authorization": f"Bearer {AccessToken.for_user(user)}"})


def timed(fn: Callable[[], Any]) -> float:
    """Milliseconds `fn()` took."""
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def vacuum(tables: Iterable[str], fresh: bool) -> None:
    """VACUUM (ANALYZE) the seeded tables (`fresh`: ANALYZE only, as right after a load)."""
    from django.db import connection  # noqa: PLC0415

    command = "ANALYZE" if fresh else "VACUUM (ANALYZE)"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # See bench_workorders_list.vacuum_analyze: flushed commits let VACUUM set pages all-visible.
        cursor.execute("SET synchronous_commit TO on")
        for table in tables:
            cursor.execute(f"{command} {table}")
        cursor.execute("SELECT relallvisible, relpages FROM pg_class WHERE relname = 'workorders_workorder'")
        visible, pages = cursor.fetchone()
    step(
        f"{command} ({time.perf_counter() - started:.1f} s): {visible:,} of {pages:,} pages of "
        "workorders_workorder all-visible"
    )
