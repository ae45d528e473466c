"""Request context: a request id on every response and one log line per request; a chunked
request body made readable to Django."""

import re
import tempfile
import time
import uuid

import structlog
from django.conf import settings
from django.core.handlers.wsgi import LimitedStream

from workshop.api.ratelimit import client_ip

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
        response = self.get_response(request)
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
        chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked or meta.get("CONTENT_LENGTH") or not meta.get("wsgi.input_terminated"):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.content_type == "multipart/form-data":
            limit += settings.UPLOAD_MAX_MB * 1024 * 1024
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
