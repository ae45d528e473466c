"""The ASGI handler (`workshop.middleware.SyncChainASGIHandler`): the middleware chain and the
view as one sync call per request, on a request thread kept for the next request.

Driven in process as an ASGI server drives it (scope, receive, send), on `/health`, which
touches no database. tests/perf/bench_asgi_vs_wsgi.py measures what it is for.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from asgiref.sync import SyncToAsync
from django.core.handlers.asgi import ASGIHandler

from tests.workshop.test_security import manage
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


def test_requests_in_flight_together_run_on_threads_of_their_own(settings, monkeypatch):
    """Three requests that can only finish together (a barrier in the view): one thread for
    all of them would never get past it."""
    settings.ASGI_THREADS = 3
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


def test_at_most_asgi_threads_requests_run_at_once(settings, monkeypatch):
    """Six requests in flight, two slots: never more than two in the view at once, all served."""
    settings.ASGI_THREADS = 2
    running, most = 0, 0
    lock = threading.Lock()
    original = HealthView.get

    def get(self, request, *args, **kwargs):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.05)  # long enough for the others to pile up
            return original(self, request, *args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(HealthView, "get", get)
    handler = SyncChainASGIHandler()

    async def together():
        return await asyncio.gather(*(call(handler) for _ in range(6)))

    assert asyncio.run(together()) == [200] * 6
    assert most == 2


def test_asgi_threads_below_one_refuses_to_start():
    result = manage("check", ASGI_THREADS="0")
    assert result.returncode != 0 and "ASGI_THREADS" in result.stderr
