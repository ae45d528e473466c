"""Error tracking with sentry-sdk (SPEC §5): on when `SENTRY_DSN` is set, off otherwise.

`init_sentry` is called once, from the settings. What reaches Sentry:

- unhandled errors: those the error handler turns into a 500 (`report_exception`, called from
  `workshop.api.exceptions`: DRF views and API paths answer their own 500s, so Django's signal
  never fires for them), those Django itself answers (the admin), and failed Celery tasks;
- each with the tags `request_id` (the id in the response's `X-Request-ID` and the log lines,
  from the structlog context `workshop.middleware` binds), the environment
  (`SENTRY_ENVIRONMENT`) and the release (`weldshop@<version>`);
- performance traces only with `SENTRY_TRACES_SAMPLE_RATE` above 0 (default 0: none).

No personal data: no user but their id, no cookies, no request bodies, no local variables of
the stack frames, no client IP; `Authorization`, `Cookie` and forwarding headers are dropped,
and query parameters keep only their names (a value may be a token, a ws-ticket or a name
typed in a search) except a few harmless list parameters. sentry-sdk 2.75 spells this
`data_collection` (`send_default_pii`, which it still reads as False when unset, is deprecated
there); `before_send` below removes the same data again whatever an integration added.
Log records are not sent (their lines carry client IPs, and errors are reported above).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import structlog

FILTERED = "[Filtered]"
DROPPED_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-csrftoken",
        "x-forwarded-for",
        "x-real-ip",
        "forwarded",
        "via",
        "remote-addr",
    }
)
# Query parameters whose values are kept: list controls, never a person or a secret.
KEPT_QUERY_VALUES = frozenset(
    {"page", "page_size", "skip", "limit", "sort_by", "order", "ordering", "format", "status", "fields"}
)


def init_sentry(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> bool:
    """Start sentry-sdk when a DSN is given; True if it was started. Nothing happens without
    one: no client, no integration patched."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations import DidNotEnable
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    integrations = [
        DjangoIntegration(transaction_style="url", middleware_spans=False, signals_spans=False),
        # Our log lines are JSON with client IPs; errors are reported explicitly instead.
        LoggingIntegration(level=None, event_level=None),
    ]
    try:
        from sentry_sdk.integrations.celery import CeleryIntegration
    except DidNotEnable:  # pragma: no cover - Celery is a dependency
        pass
    else:
        integrations.append(CeleryIntegration())
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=f"weldshop@{release}",
        # 0 turns tracing off entirely (no transaction is even started).
        traces_sample_rate=traces_sample_rate or None,
        integrations=integrations,
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "denylist", "terms": sorted(DROPPED_HEADERS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "allowlist", "terms": sorted(KEPT_QUERY_VALUES)},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
    )
    return True


def report_exception(exc: BaseException) -> None:
    """Send an error the handler answered itself (a 500) to Sentry; nothing when it is off."""
    import sentry_sdk

    sentry_sdk.capture_exception(exc)


def _scrub_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(key, value if key in KEPT_QUERY_VALUES else FILTERED) for key, value in pairs])


def before_send(event: dict, hint: dict | None = None) -> dict:
    """The request id as a tag; anything personal out, whichever integration put it in."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value for name, value in headers.items() if name.lower() not in DROPPED_HEADERS
            }
        if isinstance(request.get("query_string"), str):
            request["query_string"] = _scrub_query(request["query_string"])
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if user.get("id") is not None else {}
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        before_breadcrumb(crumb)
    for exception in (event.get("exception") or {}).get("values", []):
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    return event


def before_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    """Breadcrumbs keep what happened, not the data: SQL without parameters, URLs without
    query strings."""
    crumb.pop("data", None)
    if crumb.get("category") not in ("query", "redis") and isinstance(crumb.get("message"), str):
        crumb["message"] = crumb["message"].split("?", 1)[0]
    return crumb
