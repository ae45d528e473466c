"""Rate limits on django-ratelimit's counters in the shared cache (Redis in production, so
every worker and host counts together).

- general: `RATELIMIT_GENERAL` (100/m) per user, per client IP when anonymous — every request
  to a DRF view, those refused with 401/403 included (`exceptions._count_refused`);
- uploads and imports: `RATELIMIT_UPLOAD` (10/m) per user, on top;
- login and refresh: `RATELIMIT_AUTH` (5/m) per client IP, on top.

Over a limit → `429 RATE_LIMITED` with `Retry-After`; limited responses, like every counted
one, carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (set by the
request middleware from `request.ratelimit`). A cache outage fails open: the request goes
through and the outage is logged.

The client IP is REMOTE_ADDR, or the `X-Forwarded-For` entry `TRUSTED_PROXY_HOPS` from the
right; an IPv6 client counts by its /64.
"""

from __future__ import annotations

import ipaddress

import structlog
from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

log = structlog.get_logger(__name__)

UPLOAD_ACTIONS = {"import_excel", "upload"}


def _address(text: str) -> str:
    """An address as written by a peer or a proxy, normalised: `[v6]:port` and `v4:port`
    lose the port, an IPv4-mapped IPv6 address becomes the IPv4 one. Anything else that is
    not an address is kept as it is (it still counts as one client)."""
    text = text.strip()
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        try:
            ip = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return str(ip)
    return text


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or — behind `TRUSTED_PROXY_HOPS` proxies — the
    address the outermost trusted proxy saw, from `X-Forwarded-For`."""
    hops = settings.TRUSTED_PROXY_HOPS
    remote = _address(request.META.get("REMOTE_ADDR", "")) or "unknown"
    if hops <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if not forwarded:
        return remote
    # Each trusted proxy appended the address it saw; the client is `hops` from the right.
    return _address(forwarded[-hops] if len(forwarded) >= hops else forwarded[0])


def _client_key(request) -> str:
    """The client IP as a counter key. An IPv6 client is counted by its network
    (`RATELIMIT_IPV6_MASK`, /64 as in django-ratelimit): one host usually holds a whole /64
    and could otherwise step around a per-address limit."""
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"ip:{address}"
    if isinstance(ip, ipaddress.IPv6Address):
        mask = getattr(settings, "RATELIMIT_IPV6_MASK", 64)
        return f"ip:{ipaddress.IPv6Network((int(ip), mask), strict=False)}"
    return f"ip:{ip}"


def _user_or_ip(group, request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return _client_key(request)


def _ip(group, request) -> str:
    return _client_key(request)


def scopes(view) -> list[tuple[str, str, object]]:
    """(group, rate, key) of every limit the request counts against."""
    result = [("general", settings.RATELIMIT_GENERAL, _user_or_ip)]
    if getattr(view, "ratelimit_scope", None) == "auth":
        result.append(("auth", settings.RATELIMIT_AUTH, _ip))
    if getattr(view, "action", None) in UPLOAD_ACTIONS:
        result.append(("upload", settings.RATELIMIT_UPLOAD, _user_or_ip))
    return result


def limit_login_form(view):
    """A Django login form (the admin's, the browsable API's) with the API login's per-IP
    limit (`RATELIMIT_AUTH`) on its POSTs; over it, a 403 page (django-ratelimit's block)."""
    from django_ratelimit.decorators import ratelimit

    return ratelimit(
        group="auth", key=_ip, rate=lambda group, request: settings.RATELIMIT_AUTH, method="POST"
    )(view)


class RateLimitThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        request._request.ratelimit_counted = True  # see exceptions._count_refused
        if not settings.RATELIMIT_ENABLE or getattr(view, "ratelimit_exempt", False):
            return True
        limited = tightest = None
        for group, rate, key in scopes(view):
            try:
                usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
            except Exception as exc:  # the cache is down: fail open, loudly
                log.error("ratelimit.cache_unavailable", group=group, error=type(exc).__name__)
                return True
            if usage is None:  # RATELIMIT_FAIL_OPEN: the cache gave no count
                log.error("ratelimit.cache_unavailable", group=group, error="no count")
                return True
            info = {
                "limit": usage["limit"],
                "remaining": max(usage["limit"] - usage["count"], 0),
                "reset": max(usage["time_left"], 0),
            }
            if usage["should_limit"]:
                limited = info
                break
            if tightest is None or info["remaining"] < tightest["remaining"]:
                tightest = info
        shown = limited or tightest
        request._request.ratelimit = shown
        self.retry_after = shown["reset"] if shown else None
        if limited:
            log.warning("ratelimit.limited", client=_user_or_ip(None, request), limit=limited["limit"])
        return limited is None

    def wait(self) -> float | None:
        return max(self.retry_after or 1, 1)
