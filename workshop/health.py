"""Health checks (no auth): liveness, database, and a full status report."""

from __future__ import annotations

import time
import uuid

import structlog
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from workshop.errors import ServiceUnavailable

log = structlog.get_logger(__name__)
STARTED = time.monotonic()


def check_database() -> float:
    """Round trip to the database; returns the latency in ms."""
    started = time.perf_counter()
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return round((time.perf_counter() - started) * 1000, 2)


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)


def check_storage() -> None:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        if not default_storage.exists(name):
            raise RuntimeError("storage did not keep what was written")
    finally:
        default_storage.delete(name)


def check_migrations() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} unapplied migration(s)")


def check_jobs() -> dict:
    """The job queue: the broker reachable, workers seen in the last minute, the oldest queued
    job's age. Without a broker (the default run) jobs run in the app's process."""
    from workshop.jobs.services import job_queue_state

    state = job_queue_state()
    if state.get("problem"):
        raise HealthProblem(state.pop("problem"), state)
    return state


def check_channel_layer() -> dict:
    """A message through the channel layer and back (Redis, or in memory without it)."""
    import asyncio

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def round_trip() -> None:
        channel = await layer.new_channel("health.")
        await layer.send(channel, {"type": "health.ping"})
        message = await asyncio.wait_for(layer.receive(channel), timeout=2)
        if message.get("type") != "health.ping":
            raise RuntimeError("the channel layer did not return what was sent")

    async_to_sync(round_trip)()
    return {"backend": type(layer).__name__}


class HealthProblem(Exception):
    """A check that failed with figures worth showing (the job queue's)."""

    def __init__(self, message: str, details: dict):
        super().__init__(message)
        self.details = details


CHECKS = {
    "database": (check_database, True),
    "cache": (check_cache, False),
    "storage": (check_storage, False),
    "migrations": (check_migrations, True),
    "jobs": (check_jobs, False),
    "channel_layer": (check_channel_layer, False),
}


class HealthView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    ratelimit_exempt = True  # load balancers poll these
    schema_error_codes = ()  # no query to check, no limit, no database

    @extend_schema(
        tags=["health"],
        summary="Liveness (never touches the database)",
        responses={200: inline_serializer("Health", {"status": serializers.CharField()})},
        examples=[OpenApiExample("Alive", value={"status": "ok"})],
    )
    def get(self, request):
        return Response({"status": "ok"})


class HealthDatabaseView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    ratelimit_exempt = True  # load balancers poll these
    schema_error_codes = ("503",)

    @extend_schema(
        tags=["health"],
        summary="Database reachability and latency",
        responses={
            200: inline_serializer(
                "HealthDatabase", {"status": serializers.CharField(), "latency_ms": serializers.FloatField()}
            )
        },
        examples=[OpenApiExample("Reachable", value={"status": "ok", "latency_ms": 0.42})],
    )
    def get(self, request):
        try:
            latency = check_database()
        except Exception as exc:
            log.error("health.database_failed", error=type(exc).__name__)
            raise ServiceUnavailable("The database is unavailable.") from exc
        return Response({"status": "ok", "latency_ms": latency})


HEALTH_STATUS = inline_serializer(
    "HealthStatus",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded", "unavailable"]),
        "version": serializers.CharField(),
        "uptime_seconds": serializers.FloatField(),
        "checks": serializers.DictField(child=serializers.DictField()),
    },
)


class HealthStatusView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    ratelimit_exempt = True  # load balancers poll these
    schema_error_codes = ()  # its 503 is the status report itself (documented above)

    @extend_schema(
        tags=["health"],
        summary="Status, version, uptime and a check per dependency",
        responses={
            (200, "application/json"): HEALTH_STATUS,
            (503, "application/json"): OpenApiResponse(
                HEALTH_STATUS,
                description="A critical check (database, migrations) failed: the same report.",
                examples=[
                    OpenApiExample(
                        "Database down",
                        value={
                            "status": "unavailable",
                            "version": "0.1.0",
                            "uptime_seconds": 86400.0,
                            "checks": {
                                "database": {
                                    "status": "error",
                                    "critical": True,
                                    "error": "OperationalError",
                                },
                                "cache": {"status": "ok", "latency_ms": 0.31},
                                "storage": {"status": "ok", "latency_ms": 2.8},
                                "migrations": {
                                    "status": "error",
                                    "critical": True,
                                    "error": "OperationalError",
                                },
                            },
                        },
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "All well",
                value={
                    "status": "ok",
                    "version": "0.1.0",
                    "uptime_seconds": 86400.0,
                    "checks": {
                        "database": {"status": "ok", "latency_ms": 0.42},
                        "cache": {"status": "ok", "latency_ms": 0.31},
                        "storage": {"status": "ok", "latency_ms": 2.8},
                        "migrations": {"status": "ok", "latency_ms": 11.9},
                        "jobs": {
                            "status": "ok",
                            "latency_ms": 1.7,
                            "broker": "redis",
                            "workers": 2,
                            "queued": 1,
                            "running": 1,
                            "oldest_queued_seconds": 0.8,
                        },
                        "channel_layer": {"status": "ok", "latency_ms": 0.9, "backend": "RedisChannelLayer"},
                    },
                },
                status_codes=["200"],
            )
        ],
    )
    def get(self, request):
        checks = {}
        critical_failed = degraded = False
        for name, (check, critical) in CHECKS.items():
            started = time.perf_counter()
            try:
                details = check()
                details = details if isinstance(details, dict) else {}  # a check's own figures
                checks[name] = {
                    "status": "ok",
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                    **details,
                }
            except HealthProblem as exc:
                log.error("health.check_failed", check=name, error=str(exc))
                checks[name] = {"status": "error", "critical": critical, "error": str(exc), **exc.details}
                critical_failed |= critical
                degraded = True
            except Exception as exc:
                log.error("health.check_failed", check=name, error=type(exc).__name__)
                checks[name] = {"status": "error", "critical": critical, "error": type(exc).__name__}
                critical_failed |= critical
                degraded = True
        status = "unavailable" if critical_failed else ("degraded" if degraded else "ok")
        body = {
            "status": status,
            "version": settings.APP_VERSION,
            "uptime_seconds": round(time.monotonic() - STARTED, 1),
            "checks": checks,
        }
        return Response(body, status=503 if critical_failed else 200)
