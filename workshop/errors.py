"""Domain errors: how a service refuses, in the shop's words and without HTTP.

Services (every app's `services.py`, workshop/imports) raise these. The API's exception
handler maps them, once, to the spec's error body (workshop/api/exceptions.py: `status` and
`error_code` here become the response's); management commands and background jobs catch
`DomainError` and report `str(error)`. Nothing here knows about requests or responses.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal. `status` is what it means to an HTTP client; `error_code`, when set, is a
    code more precise than the status's own (`DUPLICATE_RESOURCE` rather than `CONFLICT`)."""

    status: int = 400
    error_code: str | None = None
    default_detail = "The request could not be carried out."

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class NotFound(DomainError):
    """No such record (or no such stored file)."""

    status = 404
    default_detail = "Not found."


class Conflict(DomainError):
    """A change the current state does not allow: dependents, not enough stock, oneself."""

    status = 409
    error_code = "CONFLICT"
    default_detail = "The request conflicts with the current state."


class DuplicateResource(DomainError):
    """A business key (or other unique value) that already exists."""

    status = 409
    error_code = "DUPLICATE_RESOURCE"
    default_detail = "A record with this key already exists."


class ValidationFailed(DomainError):
    """Values the rules refuse: `errors` by field (`{"delta": ["Must not be zero."]}`), or a
    message that names no field."""

    status = 422

    def __init__(self, errors: dict[str, list[str]] | str):
        self.errors = errors
        if isinstance(errors, str):
            super().__init__(errors)
        else:
            field, messages = next(iter(errors.items()))
            super().__init__(f"{field}: {messages[0]}")


class Rejected(DomainError):
    """A file or a request refused as a whole, with the status that says why (413 too large,
    415 not an Excel file, 422 bad content) and, for a file's rows, every row error found
    (`[{row, column, message}]`)."""

    def __init__(self, status: int, detail: str, errors: list[dict] | None = None):
        self.status = status
        self.errors = errors
        super().__init__(detail)


class ServiceUnavailable(DomainError):
    """A service the work depends on (the database, the file storage) does not answer."""

    status = 503
    default_detail = "A service the API depends on is unavailable. Try again shortly."


class Refused(DomainError):
    """A refusal with its own status and code whose body carries more than the message:
    `errors` by field and `extra` top-level members merged into the error body (e.g. the
    welder check that refused a weld-log entry: `{"check": {...}}`)."""

    def __init__(
        self,
        status: int,
        error_code: str | None,
        detail: str,
        errors: dict | None = None,
        extra: dict | None = None,
    ):
        self.status = status
        self.error_code = error_code
        self.errors = errors
        self.extra = extra or {}
        super().__init__(detail)


class FieldRefusal(Refused):
    """A rule's refusal that names the field it is about, with the status and code the rule
    gives (`409 QUALIFICATION_LAPSED`, `422 CONTINUITY_EVIDENCE_MISSING`, …): the error body
    carries `errors: {field: [message]}` as a 422 of the serializers does."""

    def __init__(self, field: str, message: str, code: str | None = None, status: int = 422):
        self.field = field
        self.message = message
        super().__init__(
            status,
            code if code and code != "VALIDATION_ERROR" else None,
            f"{field}: {message}",
            errors={field: [message]},
        )
