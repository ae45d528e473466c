"""The dashboard's and the analytics' results in the shared cache (Redis in production),
invalidated on writes.

- Each result is cached for `DASHBOARD_CACHE_SECONDS` (default 60; 0 turns caching off)
  under a key made of the endpoint, its parameters, today's date and a **version**.
- The version is a counter in the cache (`dashboard:version`). `invalidate()` increments it,
  so every cached result becomes unreachable at once and the next read computes afresh: a
  write shows on the next dashboard read. Old entries simply expire.
- `invalidate()` runs after the transaction of every save or delete of the models the
  dashboard counts (signals, connected in `DashboardConfig.ready`), after a stock movement
  (every quantity change leaves one, including `item_adjust_stock`'s queryset `UPDATE`),
  and after an Excel import is recorded (the engine's bulk writes send no signals).
  Anything else that writes in bulk calls `invalidate()` itself.
- Every invalidation is also a live event, `dashboard.changed` (topic `dashboard`).
- A cache outage is never an error: every cache call is guarded, logged as a warning, and
  the figures are computed directly.

With the local-memory cache (no `REDIS_URL`), each process has its own cache and its own
version: a write made in another process shows there within `DASHBOARD_CACHE_SECONDS`.
Production sets `REDIS_URL`, which every worker shares.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from workshop.events import publish

log = structlog.get_logger(__name__)

T = TypeVar("T")

VERSION_KEY = "dashboard:version"
DEFAULT_TIMEOUT = 60


def timeout() -> int:
    return int(getattr(settings, "DASHBOARD_CACHE_SECONDS", DEFAULT_TIMEOUT))


def _fresh_version() -> int:
    # A value no earlier entry can have used, even when the counter itself was evicted.
    return time.time_ns()


def _warn(operation: str, exc: Exception) -> None:
    log.warning("dashboard.cache_unavailable", operation=operation, error=type(exc).__name__)


def current_version() -> int | None:
    """The version in the cache (created when missing); None when the cache is unreachable."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, _fresh_version(), timeout=None)
            version = cache.get(VERSION_KEY)
        return version
    except Exception as exc:  # any backend's failure: redis.ConnectionError, timeouts, …
        _warn("version", exc)
        return None


def invalidate() -> None:
    """Make every cached dashboard result stale, and tell the live-events sockets
    (`dashboard.changed`, which each socket passes on at most once a second). Safe to call
    anywhere, any number of times; never raises (a cache outage is logged)."""
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no counter (never made, or evicted): start a fresh one
            if not cache.add(VERSION_KEY, _fresh_version(), timeout=None):
                cache.incr(VERSION_KEY)  # another process made it meanwhile
    except Exception as exc:
        _warn("invalidate", exc)
    # After the new version: a client that reloads on this event reads fresh figures.
    publish("dashboard.changed", topic="dashboard", data={}, on_commit=False)


def invalidate_on_commit(using: str | None = None) -> None:
    """`invalidate()` once the current transaction commits (at once outside a transaction):
    a read that ran before the commit cannot cache the old figures under the new version.
    Registered once per transaction (savepoint level), however many rows it writes."""
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and _pending(connection):
        return
    transaction.on_commit(invalidate, using=using)


def _pending(connection) -> bool:
    """Whether `invalidate` already waits for this transaction's commit at the current
    savepoint level (Django's on-commit list holds `(savepoint ids, func, robust)`)."""
    try:
        level = set(connection.savepoint_ids)
        return any(sids == level and func is invalidate for sids, func, *_ in connection.run_on_commit)
    except (AttributeError, TypeError, ValueError):  # another Django's internals: just register again
        return False


def key(name: str, params: Mapping[str, Any], version: int) -> str:
    # `k` for None, `k=v` otherwise: a parameter left out and one given blank differ (an
    # endpoint may accept the one and refuse the other inside `compute`)
    parts = ",".join(k if v is None else f"{k}={v}" for k, v in sorted(params.items()))
    return f"dashboard:{version}:{name}:{parts}"


def cached(name: str, params: Mapping[str, Any], compute: Callable[[], T]) -> T:
    """`compute()`'s result from the cache, or computed and stored. `params` must hold
    everything the result depends on (dates, limits, today)."""
    seconds = timeout()
    if seconds <= 0:
        return compute()
    version = current_version()
    if version is None:
        return compute()
    cache_key = key(name, params, version)
    try:
        hit = cache.get(cache_key)
    except Exception as exc:
        _warn("get", exc)
        return compute()
    if hit is not None:
        return hit
    value = compute()
    try:
        cache.set(cache_key, value, timeout=seconds)
    except Exception as exc:
        _warn("set", exc)
    return value
