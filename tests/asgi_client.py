"""The test clients over ASGI: every request the suite sends through Django's `Client` (and
DRF's `APIClient`) runs the way the app's ASGI handler runs it — an `ASGIRequest` built from an
ASGI scope, the middleware chain and the view called as one sync call through asgiref
(as `workshop.middleware.SyncChainASGIHandler` does) — instead of the WSGI path.

`scripts/test` turns it on for the PostgreSQL run (`WELDSHOP_TEST_ASGI=1`); the SQLite run
stays on WSGI, so the suite holds both entry points to the same behaviour. The tests keep
their database transaction: asgiref runs thread-sensitive sync code (the views, the ORM) in
the thread that called `async_to_sync`, which is the test's.
"""

from __future__ import annotations

import io

from asgiref.sync import async_to_sync, sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import LimitedStream
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import client as django_client
from django.utils.encoding import repercent_broken_unicode


def scope_from_environ(environ: dict) -> tuple[dict, bytes]:
    """The ASGI scope and body of the request the test client built as a WSGI environ."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if not value:
                continue
            name = key.replace("_", "-").lower()
        else:
            continue
        headers.append((name.encode("latin1"), str(value).encode("latin1")))
    body = b""
    stream = environ.get("wsgi.input")
    if stream is not None:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = stream.read(length) if length else b""
    # PATH_INFO is WSGI's latin-1 reading of the raw bytes; ASGI carries the decoded text.
    path = repercent_broken_unicode(environ.get("PATH_INFO", "/").encode("iso-8859-1")).decode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": environ.get("wsgi.url_scheme", "http"),
        "path": path,
        "raw_path": environ.get("PATH_INFO", "/").encode("iso-8859-1"),
        "root_path": environ.get("SCRIPT_NAME", ""),
        "query_string": environ.get("QUERY_STRING", "").encode("latin1"),
        "headers": headers,
        "client": (environ.get("REMOTE_ADDR", "127.0.0.1"), int(environ.get("REMOTE_PORT") or 0)),
        "server": (environ.get("SERVER_NAME", "testserver"), int(environ.get("SERVER_PORT") or 80)),
    }
    return scope, body


async def _respond(handler, environ: dict):
    if handler._middleware_chain is None:
        handler.load_middleware()  # the sync chain, as SyncChainASGIHandler builds it
    scope, body = scope_from_environ(environ)
    request_started.disconnect(close_old_connections)
    await request_started.asend(sender=handler.__class__, scope=scope)
    request_started.connect(close_old_connections)
    request = ASGIRequest(scope, LimitedStream(io.BytesIO(body), len(body)))
    request._dont_enforce_csrf_checks = not handler.enforce_csrf_checks
    force_user = getattr(handler, "_force_user", None)
    if force_user is not None or getattr(handler, "_force_token", None) is not None:
        from rest_framework.test import force_authenticate

        force_authenticate(request, force_user, handler._force_token)
    # The chain and the view in one sync call, as SyncChainASGIHandler.get_response_async.
    response = await sync_to_async(handler.get_response, thread_sensitive=True)(request)
    django_client.conditional_content_removal(request, response)
    response.wsgi_request = response.asgi_request = request
    if response.streaming:
        if response.is_async:
            response.streaming_content = django_client.aclosing_iterator_wrapper(
                response.streaming_content, response.close
            )
        else:
            response.streaming_content = django_client.closing_iterator_wrapper(
                response.streaming_content, response.close
            )
    else:
        request_finished.disconnect(close_old_connections)
        await sync_to_async(response.close)()
        request_finished.connect(close_old_connections)
    return response


def _call_over_asgi(self, environ):
    return async_to_sync(_respond)(self, environ)


def install() -> None:
    """Route every test client's requests through the ASGI path."""
    django_client.ClientHandler.__call__ = _call_over_asgi
