"""Who caused an event: the request being served, or an actor bound explicitly (a job).

`RequestContextMiddleware` binds each request (`bind_request`), so events from any write made
while serving it carry the request's user (`actor`) and `X-Request-ID` (`request_id`). A
background job binds its own: `with acting(user_id=job.created_by_id, request_id=…):`.
Management commands bind nothing: their events have `actor: null`.

The `source` of a write (`current_source()`, kept in each history record): `import` inside
`sourcing("import")` (the import engine), `job` inside `acting(...)`, `admin` or `api` for a
request (by its path), else `command` (management commands, shells).
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Any

_request: ContextVar[Any] = ContextVar("weldshop_events_request", default=None)
_acting: ContextVar[tuple[int | None, str | None] | None] = ContextVar("weldshop_events_acting", default=None)
_source: ContextVar[str | None] = ContextVar("weldshop_events_source", default=None)

API, ADMIN, IMPORT, JOB, COMMAND = "api", "admin", "import", "job", "command"
SOURCES = (API, ADMIN, IMPORT, JOB, COMMAND)


def bind_request(request):
    """Bind the request being served; returns the token for `unbind_request`."""
    return _request.set(request)


def unbind_request(token) -> None:
    _request.reset(token)


@contextlib.contextmanager
def acting(*, user_id: int | None, request_id: str | None = None):
    """Events published inside the block have this actor and request id."""
    token = _acting.set((user_id, request_id))
    try:
        yield
    finally:
        _acting.reset(token)


def current() -> tuple[int | None, str | None]:
    """`(actor, request_id)` for an event published now."""
    bound = _acting.get()
    if bound is not None:
        return bound
    request = _request.get()
    if request is None:
        return None, None
    # DRF puts the user it authenticated (JWT) on the Django request; the admin and the
    # browsable API have the session's.
    user = getattr(request, "user", None)
    actor = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    return actor, getattr(request, "request_id", None)


@contextlib.contextmanager
def sourcing(source: str):
    """Writes made inside the block have this `source` (one of SOURCES)."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def current_source() -> str:
    """What is writing now: an explicit `sourcing(...)`, a job, a request (admin or API), or
    a command."""
    bound = _source.get()
    if bound is not None:
        return bound
    if _acting.get() is not None:
        return JOB
    request = _request.get()
    if request is None:
        return COMMAND
    return ADMIN if getattr(request, "path", "").startswith("/admin/") else API
