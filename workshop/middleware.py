"""Request context: a request id on every response and one log line per request."""

import re
import time
import uuid

import structlog

from workshop.api.ratelimit import client_ip

log = structlog.get_logger("workshop.request")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def request_id_for(request) -> str:
    """The client's `X-Request-ID` if it is sane, else a new one."""
    sent = request.headers.get("X-Request-ID", "")
    return sent if _SANE_REQUEST_ID.match(sent) else uuid.uuid4().hex


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
