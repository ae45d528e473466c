"""The error body, once for the whole project.

Every error under `/api/`, `/health` and `/auth` is
`{"detail", "error_code", "timestamp", "request_id"}` plus `errors` where it applies.
Domain errors (workshop/errors.py, what services raise), DRF exceptions, Django exceptions,
database errors and anything unhandled all come through `exception_handler`; unknown URLs
come through `not_found` (a catch-all route).
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from workshop import errors
from workshop.sentry import report_exception

log = structlog.get_logger(__name__)

ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    428: "PRECONDITION_REQUIRED",
    429: "RATE_LIMITED",
    500: "SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class UnprocessableEntity(exceptions.ValidationError):
    """The API layer's 422 (query parameters, serializers): a `ValidationError` with a
    top-level message and optional field errors. Services raise `errors.ValidationFailed`."""


class PreconditionFailed(exceptions.APIException):
    """`If-Match` names a state the record is no longer in (workshop/api/conditional.py): 412,
    the record's current tag in the answer's `ETag`, nothing written. An HTTP precondition,
    not a domain refusal, so it lives here rather than in workshop/errors.py."""

    status_code = 412
    default_detail = (
        "The record has changed since you read it: If-Match does not name its current ETag. "
        "Read it again, then retry with the new ETag."
    )

    def __init__(self, etag: str):
        super().__init__()
        self.etag = etag


class PreconditionRequired(exceptions.APIException):
    """`REQUIRE_IF_MATCH` is on and a write on a record came without `If-Match`: 428."""

    status_code = 428
    default_detail = (
        "This server requires If-Match on changes and deletes: send the ETag of the record as you read it."
    )


def error_body(request, status_code: int, detail: str, error_code: str | None = None, errors=None) -> dict:
    body = {
        "detail": detail,
        "error_code": error_code or ERROR_CODES.get(status_code, "ERROR"),
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "request_id": getattr(request, "request_id", None),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def _unique_only(codes) -> bool:
    """True when every validation error code is a uniqueness failure."""
    flat: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        else:
            flat.append(str(node))

    walk(codes)
    return bool(flat) and all(code == "unique" for code in flat)


def flat_errors(errors: dict, prefix: str = "") -> dict[str, list]:
    """Field errors as the error body's `errors` promises them — field → list of messages —
    also for a nested body: a list's item or a nested record's field is named by its path
    (`findings[0].code`, `product_forms[1]`)."""
    flat: dict[str, list] = {}
    for key, value in errors.items():
        name = f"{prefix}[{key}]" if isinstance(key, int) else (f"{prefix}.{key}" if prefix else str(key))
        if isinstance(value, dict):
            flat.update(flat_errors(value, name))
        elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    flat.update(flat_errors(item, f"{name}[{index}]"))
                elif isinstance(item, list):
                    flat.update(flat_errors({index: item}, name))
                elif item:
                    flat.setdefault(name, []).append(item)
        else:
            flat[name] = value if isinstance(value, list) else [value]
    return flat


def _validation_response(request, exc: exceptions.ValidationError) -> Response:
    errors = exc.detail
    if isinstance(errors, list):
        # A bare message or a list of them (e.g. raised from a service): no field.
        if all(isinstance(e, str) for e in errors):
            detail = " ".join(str(e) for e in errors) or "Invalid input."
            return Response(error_body(request, 422, detail), status=422)
        errors = {"non_field_errors": errors}
    errors = flat_errors(errors)
    if _unique_only(exc.get_codes()):
        return Response(
            error_body(request, 409, _first_message(errors), "DUPLICATE_RESOURCE", errors=errors),
            status=409,
        )
    return Response(
        error_body(request, 422, _first_message(errors, prefix=True), errors=errors),
        status=422,
    )


def _first_message(errors, prefix: bool = False) -> str:
    if isinstance(errors, dict):
        for field, messages in errors.items():
            message = _first_message(messages)
            if prefix and field not in ("non_field_errors", "detail"):
                return f"{field}: {message}"
            return message
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors) if errors else "Invalid input."


def _protected_detail(exc: ProtectedError | RestrictedError) -> str:
    blockers = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    counts: dict[type, int] = {}
    for obj in blockers:
        counts[type(obj)] = counts.get(type(obj), 0) + 1
    named = sorted(
        (str(model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural), n)
        for model, n in counts.items()
    )
    listed = ", ".join(f"{n} {name}" for name, n in named)
    return f"Cannot delete this record: it still has {listed}. Remove or reassign them first."


def _count_refused(exc, context):
    """A request refused for its credentials or its role (401/403 from authentication or the
    permission check, which DRF runs before the throttles) still counts against the rate
    limits — per IP when it is anonymous or its token is bad. Past the limit it is a 429: a
    client guessing tokens or hammering endpoints it may not use is limited like any other."""
    view, request = context.get("view"), context.get("request")
    if view is None or request is None or getattr(request._request, "ratelimit_counted", False):
        return exc  # not a DRF view, or already counted (a 403 raised inside the view)
    try:
        view.check_throttles(request)
    except exceptions.Throttled as throttled:
        return throttled
    return exc


REFUSALS = (
    exceptions.NotAuthenticated,
    exceptions.AuthenticationFailed,
    exceptions.PermissionDenied,
    PermissionDenied,
)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes the error body."""
    request = context.get("request")
    if _is_browser_wanting_login(exc, request):
        # The browsable API (development): a browser gets the login page, then comes back.
        return redirect_to_login(request.get_full_path(), login_url=reverse("rest_framework:login"))
    if isinstance(exc, REFUSALS):
        exc = _count_refused(exc, context)
    response = _handle(exc, request)
    if request is not None and hasattr(request, "accepted_renderer"):
        # Errors are JSON whatever the view renders (Swagger UI's HTML, the schema's YAML).
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = "application/json"
    if response.status_code >= 500:
        log.error(
            "request.error",
            status=response.status_code,
            error=type(exc).__name__,
            view=type(context.get("view")).__name__ if context.get("view") else None,
            exc_info=response.status_code == 500,
        )
        if response.status_code == 500:
            report_exception(exc)  # answered here, so Django's own error signal never fires
    set_rollback()
    return response


def _is_browser_wanting_login(exc, request) -> bool:
    """An anonymous GET that negotiated the browsable API's HTML (a browser, `BROWSABLE_API`
    on): not a JSON client, so a 401 body would leave it with no way to log in."""
    return (
        isinstance(exc, exceptions.NotAuthenticated)
        and request is not None
        and request.method == "GET"
        and getattr(settings, "BROWSABLE_API", False)
        and getattr(getattr(request, "accepted_renderer", None), "format", None) == "api"
    )


def handle_exception(exc: BaseException, request=None) -> Response:
    """The answer the API gives for `exc`, outside a view too (a background job keeps it as
    its `error`): the same mapping as every request's."""
    return _handle(exc, request)


# PostgreSQL's deadlock_detected and serialization_failure: two transactions wanted the same
# rows in opposite orders; the database stopped one. Not an outage: a conflict to retry.
WRITE_CONFLICT_SQLSTATES = {"40P01", "40001"}


def _is_write_conflict(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in WRITE_CONFLICT_SQLSTATES


def _handle(exc, request) -> Response:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = errors.Rejected(413, "The request body is too large.")
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("The request could not be processed.")
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = errors.Conflict(_protected_detail(exc))
    elif isinstance(exc, IntegrityError):
        text = str(exc).lower()
        if "unique" in text or "duplicate" in text:
            exc = errors.DuplicateResource()
        else:
            exc = exceptions.ValidationError("The values break a rule of the data model.")
    elif isinstance(exc, OperationalError) and _is_write_conflict(exc):
        exc = errors.Conflict("Another request changed the same records at the same moment. Try again.")
    elif isinstance(exc, OperationalError | InterfaceError):
        exc = errors.ServiceUnavailable("The database is unavailable. Try again shortly.")
    elif isinstance(exc, DatabaseError):
        exc = exceptions.APIException("The server could not complete the request.")
        exc.status_code = 500

    if isinstance(exc, errors.ValidationFailed):
        exc = exceptions.ValidationError(exc.errors)
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(request, exc)
    if isinstance(exc, errors.DomainError):
        return _domain_response(request, exc)

    if not isinstance(exc, exceptions.APIException):
        return Response(error_body(request, 500, "The server could not complete the request."), status=500)

    status_code = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else _first_message(exc.detail)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        status_code = 401
        detail = str(detail)
    if isinstance(exc, exceptions.ParseError):
        status_code = 400
    if status_code == 500:
        detail = "The server could not complete the request."
    response = Response(error_body(request, status_code, str(detail)), status=status_code)
    if getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, PreconditionFailed) and exc.etag:
        response["ETag"] = exc.etag
    return response


def _domain_response(request, exc: errors.DomainError) -> Response:
    """A service's refusal: its status, its code (or the status's), its detail, the row
    errors of a rejected file or a refusal's field errors, and a refusal's extra members."""
    row_errors = exc.errors if isinstance(exc, errors.Rejected | errors.Refused) else None
    body = error_body(request, exc.status, str(exc.detail), exc.error_code, errors=row_errors)
    if isinstance(exc, errors.Refused):
        body.update({k: v for k, v in exc.extra.items() if k not in body})
    return Response(body, status=exc.status)


@csrf_exempt  # an unknown URL is a JSON 404, whatever the method or cookies
def not_found(request, *args, **kwargs):
    """The catch-all route for unknown URLs under /api/, /health and /auth."""
    return JsonResponse(error_body(request, 404, f"No such URL: {request.path}"), status=404)


API_PREFIXES = ("/api/", "/health", "/auth")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def json_error_response(request, status_code: int, detail: str) -> JsonResponse:
    """For Django-level errors outside DRF views (middleware, handler500)."""
    return JsonResponse(error_body(request, status_code, detail), status=status_code)


def response_for_unhandled(request, exc: Exception) -> JsonResponse | None:
    """The JSON answer to an exception no DRF view handled, on API paths (None elsewhere:
    the admin keeps Django's pages)."""
    if not is_api_path(request.path):
        return None
    if isinstance(exc, OperationalError | InterfaceError):
        log.error("request.database_unavailable", error=type(exc).__name__)
        return json_error_response(request, 503, "The database is unavailable. Try again shortly.")
    log.error("request.error", status=500, error=type(exc).__name__, exc_info=exc)
    report_exception(exc)
    return json_error_response(request, 500, "The server could not complete the request.")


def server_error(request, *args, **kwargs):
    """handler500: JSON under the API's paths, Django's page elsewhere."""
    from django.views.defaults import server_error as html_server_error

    if is_api_path(request.path):
        return json_error_response(request, 500, "The server could not complete the request.")
    return html_server_error(request, *args, **kwargs)


def bad_request(request, exception=None, *args, **kwargs):
    """handler400 (a request Django itself refuses, e.g. a `Host` not in ALLOWED_HOSTS): JSON
    under the API's paths, Django's page elsewhere."""
    from django.views.defaults import bad_request as html_bad_request

    if is_api_path(request.path):
        return json_error_response(request, 400, "Bad request.")
    return html_bad_request(request, exception, *args, **kwargs)
