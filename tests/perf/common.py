"""Pieces the benchmarks that compare an endpoint with hand-written SQL share
(bench_dashboard, bench_analytics): the raw cursor, the in-process client, the timer and
VACUUM. The servers and the seeding helpers are in bench_workorders_list."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from tests.perf.bench_workorders_list import step


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
