"""Request context: a request id on every response and one log line per request; a chunked
request body made readable to Django; the ASGI handler that runs the middleware and views as
one synchronous call."""

import asyncio
import inspect
import re
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import structlog
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import LimitedStream

from workshop.api.ratelimit import client_ip
from workshop.events import context as events_context

log = structlog.get_logger("workshop.request")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def request_id_for(request) -> str:
    """The client's `X-Request-ID` if it is sane, else a new one."""
    sent = request.headers.get("X-Request-ID", "")
    return sent if _SANE_REQUEST_ID.match(sent) else uuid.uuid4().hex


# The API's answers (not its schema and docs, which are public and the same for everyone).
PRIVATE_PREFIXES = ("/api/v1/",)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = request_id_for(request)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request.request_id)
        events_token = events_context.bind_request(request)  # live events' actor and request id
        try:
            response = self.get_response(request)
        finally:
            events_context.unbind_request(events_token)
        response["X-Request-ID"] = request.request_id
        if request.path.startswith(PRIVATE_PREFIXES) and not response.has_header("Cache-Control"):
            # Records, tokens and files of a logged-in user: no browser or proxy keeps a copy.
            response["Cache-Control"] = "no-store"
        limit = getattr(request, "ratelimit", None)
        if limit:
            response["X-RateLimit-Limit"] = str(limit["limit"])
            response["X-RateLimit-Remaining"] = str(limit["remaining"])
            response["X-RateLimit-Reset"] = str(limit["reset"])
        user = getattr(request, "user", None)
        log.info(
            "request.finished",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            user_id=user.pk if user is not None and user.is_authenticated else None,
            client_ip=client_ip(request),  # X-Forwarded-For only as TRUSTED_PROXY_HOPS allows
        )
        structlog.contextvars.clear_contextvars()
        return response

    def process_exception(self, request, exception):
        """An exception a non-DRF view raised (DRF views answer their own): JSON on API paths."""
        from workshop.api.exceptions import response_for_unhandled

        return response_for_unhandled(request, exception)


BODY_OVER_LIMIT = "weldshop.body_over_limit"


def body_limit(content_type: str) -> int:
    """The most a request body may hold: `DATA_UPLOAD_MAX_MEMORY_SIZE` (JSON), plus
    `UPLOAD_MAX_MB` for multipart (the file and the form fields)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if content_type == "multipart/form-data":
        limit += settings.UPLOAD_MAX_MB * 1024 * 1024
    return limit


class ChunkedBodyMiddleware:
    """A body sent with `Transfer-Encoding: chunked` and no Content-Length, read under its cap.

    Django reads CONTENT_LENGTH bytes of a body and nothing else, so such a body (gunicorn
    accepts and de-chunks it) would reach the views empty and escape the size caps. This reads
    it up to its cap + 1 byte: `UPLOAD_MAX_MB` plus `DATA_UPLOAD_MAX_MEMORY_SIZE` (the form
    fields) for multipart, `DATA_UPLOAD_MAX_MEMORY_SIZE` for anything else (JSON). Over the cap
    it answers 413 `PAYLOAD_TOO_LARGE`; otherwise Django gets the bytes and their
    CONTENT_LENGTH, as if the client had sent one. Large bodies spill to a temporary file, as
    Django's uploads do. Only when the server says the input ends (`wsgi.input_terminated`,
    which gunicorn sets): elsewhere reading to the end could wait on the socket.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if getattr(request, "scope", {}).get(BODY_OVER_LIMIT):  # ASGI: BodyLimitMiddleware
            from workshop.api.exceptions import json_error_response

            return json_error_response(request, 413, "The request body is too large.")
        chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked or meta.get("CONTENT_LENGTH") or not meta.get("wsgi.input_terminated"):
            return self.get_response(request)
        limit = body_limit(request.content_type)
        with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as body:
            size = 0
            while size <= limit:
                chunk = meta["wsgi.input"].read(min(64 * 1024, limit + 1 - size))
                if not chunk:
                    break
                body.write(chunk)
                size += len(chunk)
            if size > limit:
                from workshop.api.exceptions import json_error_response

                return json_error_response(request, 413, "The request body is too large.")
            body.seek(0)
            meta["wsgi.input"], meta["CONTENT_LENGTH"] = body, str(size)
            request._stream = LimitedStream(body, size)  # what WSGIRequest made of CONTENT_LENGTH
            return self.get_response(request)


class BodyLimitMiddleware:
    """ASGI: a request body without a Content-Length (`Transfer-Encoding: chunked`), read under
    its cap (`body_limit`) before Django sees it, as `ChunkedBodyMiddleware` does under WSGI.

    Django's ASGI handler reads a whole body, however long, and takes its length from the
    Content-Length header only: a chunked body would escape the caps and reach the views as
    if empty. Here it is buffered up to its cap + 1 byte and handed on with its
    `content-length`; past the cap the rest is not read, and the request reaches Django marked
    (`BODY_OVER_LIMIT`), where `ChunkedBodyMiddleware` answers 413 with the request id and the
    log line every answer has. A body with a Content-Length is Django's to check, as before.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        if b"content-length" in headers or b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            return await self.app(scope, receive, send)
        content_type = headers.get(b"content-type", b"").decode("latin1").split(";")[0].strip().lower()
        limit = body_limit(content_type)
        with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as body:
            size, over = 0, False
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    over = True
                    break
                body.write(chunk)
                if not message.get("more_body", False):
                    break
            if over:
                scope = {**scope, BODY_OVER_LIMIT: True}
                return await self.app(scope, _replay(None, 0, receive), send)
            body.seek(0)
            scope = {
                **scope,
                "headers": [*scope["headers"], (b"content-length", str(size).encode("ascii"))],
            }
            return await self.app(scope, _replay(body, size, receive), send)


def _replay(body, size: int, receive_more, chunk_size: int = 64 * 1024):
    """An ASGI `receive` that hands over a buffered body again, then the connection's own
    messages (Django waits on them for a disconnect while it answers)."""
    remaining, done = size, False

    async def receive():
        nonlocal remaining, done
        if not done:
            chunk = body.read(min(chunk_size, remaining)) if remaining > 0 else b""
            remaining -= len(chunk)
            done = remaining <= 0
            return {"type": "http.request", "body": chunk, "more_body": not done}
        while True:  # past the cap, the rest of a body is not kept
            message = await receive_more()
            if message["type"] != "http.request":
                return message

    return receive


# asgiref 3.13 lets a ThreadSensitiveContext run on an executor it is given; with an older one
# each request gets a new thread, as Django's own handler does.
REUSABLE_REQUEST_THREADS = "executor" in inspect.signature(ThreadSensitiveContext).parameters


class RequestExecutor(ThreadPoolExecutor):
    """One thread that runs one request's sync code (asgiref's thread-sensitive calls), and
    knows whether it is still running any."""

    def __init__(self):
        super().__init__(max_workers=1, thread_name_prefix="weldshop-request")
        self.busy = 0
        self._busy_lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        with self._busy_lock:
            self.busy += 1

        def run():
            try:
                return fn(*args, **kwargs)
            finally:
                with self._busy_lock:
                    self.busy -= 1

        return super().submit(run)


class RequestThreads:
    """Request threads kept for the next request instead of one new thread per request (what
    `ThreadSensitiveContext()` does: it starts a thread for the request and another to join
    it, about 0.6 ms a request). Used from the event loop only. A thread still running a
    request that ended early (the client went away) is let go, not reused; past `keep` idle
    threads, the extra ones are let go too."""

    def __init__(self, keep: int = 16):
        self.keep = keep
        self.idle: list[RequestExecutor] = []

    def acquire(self) -> RequestExecutor:
        return self.idle.pop() if self.idle else RequestExecutor()

    def release(self, executor: RequestExecutor) -> None:
        if executor.busy or len(self.idle) >= self.keep:
            executor.shutdown(wait=False)
        else:
            self.idle.append(executor)


class RequestSlots:
    """At most `size` requests of one server process in their middleware and view at once
    (`ASGI_THREADS`); the others wait their turn on the event loop, where waiting costs
    nothing. Dozens of request threads taking turns on one interpreter lock spend their time
    switching: with 32 requests in flight per process the work-order list took 15–50 % more
    server CPU per request than on sync workers, against 2–16 % with four at a time
    (tests/perf/bench_asgi_vs_wsgi.py `--connections 64`). A few at once still run one
    request while others wait on the database. A request whose client went away leaves its
    slot at once, though its thread finishes the work."""

    def __init__(self, size: int):
        self.size = size
        self._semaphore: asyncio.Semaphore | None = None
        self._loop = None

    async def __aenter__(self):
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # one semaphore per event loop (one in a server process)
            self._semaphore, self._loop = asyncio.Semaphore(self.size), loop
        await self._semaphore.acquire()

    async def __aexit__(self, *exc):
        self._semaphore.release()


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler, with the middleware chain built as under WSGI (one synchronous
    call per request: middleware, view, middleware) on a request thread kept for the next.

    Django's own handler builds the chain for async: each middleware that can run either way
    then runs as a coroutine and calls its sync `process_request`/`process_response` through
    `sync_to_async`. With our chain (sync-only middleware near the top, a sync view at the
    bottom) a request crossed between the event loop and its thread about fifteen times, and
    two threads were started for it; together about a third of the work-order list's time on
    ASGI (tests/perf/bench_asgi_vs_wsgi.py). At most `ASGI_THREADS` requests run their chain
    at once (`RequestSlots`). Everything else is Django's: each request has a thread of its own
    while it runs, the signals, streaming, disconnects. An async view would still work (Django
    runs it through `async_to_sync`), just not natively: there is none.
    """

    def __init__(self):
        super().__init__()
        self.threads = RequestThreads()
        self.slots = RequestSlots(settings.ASGI_THREADS)

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def handle(self, scope, receive, send):
        if not REUSABLE_REQUEST_THREADS:  # pragma: no cover - asgiref < 3.13
            return await super().handle(scope, receive, send)
        executor = self.threads.acquire()
        try:
            # Every thread-sensitive call of the request (signals, the chain, closing the
            # response) runs on this executor's one thread.
            async with ThreadSensitiveContext(executor=executor):
                await super().handle(scope, receive, send)
        finally:
            self.threads.release(executor)

    async def get_response_async(self, request):
        async with self.slots:
            return await sync_to_async(self.get_response, thread_sensitive=True)(request)
