"""The ASGI handler (`workshop.middleware.SyncChainASGIHandler`): the middleware chain and the
view as one sync call per request, on a request thread kept for the next request.

Driven in process as an ASGI server drives it (scope, receive, send), on `/health`, which
touches no database. tests/perf/bench_asgi_vs_wsgi.py measures what it is for.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import SyncToAsync
from django.core.handlers.asgi import ASGIHandler

from workshop.health import HealthView
from workshop.middleware import RequestExecutor, RequestThreads, SyncChainASGIHandler


def scope(path: str = "/health") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def call(app, path: str = "/health") -> int:
    status = 0
    received = False

    async def receive():
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope(path), receive, send)
    return status


@pytest.fixture
def sync_calls(monkeypatch):
    """Counts the event loop → thread crossings (`sync_to_async` calls)."""
    calls = []
    original = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        calls.append(self.func)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    return calls


def test_a_request_crosses_into_its_thread_three_times_not_once_per_middleware(sync_calls):
    # request_started's receivers, the chain with the view, closing the response
    assert asyncio.run(call(SyncChainASGIHandler())) == 200
    assert len(sync_calls) == 3, sync_calls
    sync_calls.clear()
    # Django's own handler with the same middleware, for comparison.
    assert asyncio.run(call(ASGIHandler())) == 200
    assert len(sync_calls) > 10


def test_the_request_thread_is_kept_for_the_next_request(monkeypatch):
    threads = []
    original = HealthView.get

    def get(self, request, *args, **kwargs):
        threads.append(threading.get_ident())
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(HealthView, "get", get)
    handler = SyncChainASGIHandler()

    async def many():
        return [await call(handler) for _ in range(5)]

    assert asyncio.run(many()) == [200] * 5
    assert len(set(threads)) == 1 and threads[0] != threading.get_ident()
    assert len(handler.threads.idle) == 1


def test_requests_in_flight_together_run_on_threads_of_their_own(monkeypatch):
    """Three requests that can only finish together (a barrier in the view): one thread for
    all of them would never get past it."""
    barrier = threading.Barrier(3, timeout=10)
    threads = set()
    original = HealthView.get

    def get(self, request, *args, **kwargs):
        threads.add(threading.get_ident())
        barrier.wait()
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(HealthView, "get", get)
    handler = SyncChainASGIHandler()

    async def together():
        return await asyncio.gather(*(call(handler) for _ in range(3)))

    assert asyncio.run(together()) == [200] * 3
    assert len(threads) == 3
    assert len(handler.threads.idle) == 3


def test_a_thread_still_busy_is_not_reused_and_idle_ones_are_capped():
    pool = RequestThreads(keep=2)
    busy = pool.acquire()
    release = threading.Event()
    started = threading.Event()

    def work():
        started.set()
        release.wait(10)

    future = busy.submit(work)
    assert started.wait(10)
    pool.release(busy)  # its request ended early (the client went away): not kept
    assert pool.idle == []
    release.set()
    future.result(timeout=10)
    assert busy.busy == 0

    executors = [pool.acquire() for _ in range(3)]
    assert all(isinstance(executor, RequestExecutor) for executor in executors)
    for executor in executors:
        pool.release(executor)
    assert pool.idle == executors[:2]
    assert pool.acquire() is executors[1]
