"""Prometheus metrics (SPEC §5): `/metrics`, the app's own series, and timed cache backends.

django-prometheus measures requests (its Before/After middleware: counts by view, method and
status, latency histograms), database queries (its ENGINE wrappers: `django_db_*`, durations
included) and cache hits and misses (its cache backends). This module adds:

- `/metrics` (`metrics_view`): the Prometheus text format, only for clients whose address is in
  `METRICS_ALLOWED_IPS` (the client IP as the rate limits see it: `TRUSTED_PROXY_HOPS`) or that
  send `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets the unknown URL's 404;
- multiprocess: with `PROMETHEUS_MULTIPROC_DIR` set (gunicorn, the image), every worker writes
  its values to files there and a scrape reads them all (`MultiProcessCollector`), whichever
  worker answers; without it (`manage.py serve`, the tests) the process's own registry;
- the app's series: open WebSockets (`weldshop_websocket_connections`: `websocket_opened()` /
  `websocket_closed()`), jobs by status (`weldshop_jobs`, read at scrape time from the callable
  given to `register_job_counts`), and cache operation timings
  (`weldshop_cache_operation_duration_seconds`, from the `RedisCache` / `LocMemCache` backends
  below, which also keep django-prometheus's hit/miss counters);
- `PrometheusAfterMiddleware`: django-prometheus's, with the `method` label bounded (its
  latency histogram would otherwise take any method a client invents as a new series).
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar

import prometheus_client
import structlog
from django.conf import settings
from django.core.cache.backends import locmem
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django_prometheus.cache.backends.locmem import LocMemCache as PrometheusLocMemCache
from django_prometheus.cache.backends.redis import RedisCache as PrometheusRedisCache
from django_prometheus.cache.metrics import (
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)
from django_prometheus.middleware import PrometheusAfterMiddleware as BasePrometheusAfterMiddleware
from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from workshop.api.exceptions import json_error_response, not_found
from workshop.api.ratelimit import client_ip

log = structlog.get_logger(__name__)

# --- the app's own series ---------------------------------------------------------------------
WEBSOCKET_CONNECTIONS = Gauge(
    "weldshop_websocket_connections",
    "Open WebSocket connections, over every worker.",
    # Summed over the live workers: a worker's sockets leave the sum when it dies
    # (gunicorn.conf.py's child_exit marks it dead).
    multiprocess_mode="livesum",
)

CACHE_SECONDS = Histogram(
    "weldshop_cache_operation_duration_seconds",
    "Time of each cache operation, by backend and operation.",
    ["backend", "operation"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)


def websocket_opened() -> None:
    """A WebSocket was accepted (call once per accepted socket)."""
    WEBSOCKET_CONNECTIONS.inc()


def websocket_closed() -> None:
    """An accepted WebSocket closed (call once per `websocket_opened`)."""
    WEBSOCKET_CONNECTIONS.dec()


_job_counts: Callable[[], Mapping[str, int]] | None = None


def register_job_counts(counts: Callable[[], Mapping[str, int]] | None) -> None:
    """The function `/metrics` calls at each scrape for `weldshop_jobs{status=…}`: it returns
    `{status: count}` (from the database: the same for every worker). `None` removes it."""
    global _job_counts
    _job_counts = counts


class JobsCollector:
    """`weldshop_jobs{status}`, read when scraped. A failing read (database down) leaves the
    series out of that scrape instead of failing it."""

    def describe(self):
        return []  # nothing to check at registration: the names come from the callable

    def collect(self):
        counts = _job_counts
        if counts is None:
            return
        try:
            values = dict(counts())
        except Exception as exc:
            log.error("metrics.job_counts_failed", error=type(exc).__name__)
            return
        family = GaugeMetricFamily("weldshop_jobs", "Jobs by status.", labels=["status"])
        for status, count in sorted(values.items()):
            family.add_metric([str(status)], float(count))
        yield family


JOBS = JobsCollector()
prometheus_client.REGISTRY.register(JOBS)


def multiprocess() -> bool:
    """Whether scrapes read every process's files in `PROMETHEUS_MULTIPROC_DIR`. The variable
    must be in the environment before the process starts: prometheus_client reads it when
    first imported to decide where this process's own values go."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def scrape_registry() -> CollectorRegistry:
    """What a scrape exports: every worker's files and the collectors read at scrape time in
    multiprocess mode (the process registry would only hold this worker's values); the
    process's default registry otherwise."""
    if not multiprocess():
        return prometheus_client.REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(JOBS)
    return registry


# --- /metrics ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _has_token(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return False
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


def metrics_allowed(request) -> bool:
    """A client in `METRICS_ALLOWED_IPS` (addresses or networks), or with the token."""
    if _has_token(request):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


@csrf_exempt  # a refused POST must look like any unknown URL (404), not a CSRF 403
def metrics_view(request):
    """`GET /metrics`: the Prometheus text format, for allowed clients only (others: 404)."""
    if not metrics_allowed(request):
        return not_found(request)
    if request.method not in ("GET", "HEAD"):
        response = json_error_response(request, 405, f'Method "{request.method}" not allowed.')
        response["Allow"] = "GET, HEAD"
        return response
    # The text format Prometheus has always read, or OpenMetrics when the scraper asks for it.
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = HttpResponse(encoder(scrape_registry()), content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


# --- middleware -------------------------------------------------------------------------------
class PrometheusAfterMiddleware(BasePrometheusAfterMiddleware):
    """django-prometheus's After middleware with every `method` label one of the HTTP methods
    (or `<invalid method>`): its latency histogram labels by the raw request method."""

    def label_metric(self, metric, request, response=None, **labels):
        if "method" in labels:
            labels["method"] = self._method(request)
        return super().label_metric(metric, request, response, **labels)


# --- cache backends ---------------------------------------------------------------------------
TIMED_CACHE_OPERATIONS = (
    "get",
    "set",
    "add",
    "delete",
    "touch",
    "incr",
    "decr",
    "has_key",
    "get_many",
    "set_many",
    "delete_many",
    "clear",
)
# Set while an operation is timed: one that a backend builds from others (get_many from get)
# is timed once, as the caller's operation.
_timing: ContextVar[bool] = ContextVar("weldshop_cache_timing", default=False)


class TimedCacheMixin:
    """Times each cache operation into `weldshop_cache_operation_duration_seconds`."""

    metrics_backend = "cache"


def _timed(operation: str):
    def method(self, *args, **kwargs):
        call = getattr(super(TimedCacheMixin, self), operation)
        if _timing.get():
            return call(*args, **kwargs)
        token = _timing.set(True)
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            CACHE_SECONDS.labels(self.metrics_backend, operation).observe(time.perf_counter() - started)
            _timing.reset(token)

    method.__name__ = method.__qualname__ = operation
    return method


for _operation in TIMED_CACHE_OPERATIONS:
    setattr(TimedCacheMixin, _operation, _timed(_operation))


class RedisCache(TimedCacheMixin, PrometheusRedisCache):
    """django-redis, with django-prometheus's hit/miss counters and operation timings."""

    metrics_backend = "redis"


_MISSING = object()


class CountingLocMemCache(PrometheusLocMemCache):
    """django-prometheus's local-memory cache, whose `get` answers `cached or default`: a
    cached 0, "" or [] would read as missing. The same counters, Django's answer."""

    def get(self, key, default=None, version=None):
        django_cache_get_total.labels(backend="locmem").inc()
        cached = locmem.LocMemCache.get(self, key, _MISSING, version=version)
        if cached is _MISSING:
            django_cache_misses_total.labels(backend="locmem").inc()
            return default
        django_cache_hits_total.labels(backend="locmem").inc()
        return cached


class LocMemCache(TimedCacheMixin, CountingLocMemCache):
    """Django's local-memory cache, with django-prometheus's hit/miss counters and timings."""

    metrics_backend = "locmem"
