"""Tickets for the live-events socket: what a client that logs in with a JWT sends as
`?ticket=` (browsers cannot send an `Authorization` header on a WebSocket).

A ticket is a random string, valid for `TICKET_SECONDS` and for one connection: it is kept
in the shared cache (Redis in production, so any app host can redeem it) under its hash, and
redeeming it deletes it — of two sockets racing with one ticket, only the one whose delete
removed it gets in. A ticket in a URL may end up in an access log; by then it is used.
"""

from __future__ import annotations

import hashlib
import secrets
import time

import structlog
from django.contrib.auth import get_user_model
from django.core.cache import cache

log = structlog.get_logger(__name__)

TICKET_SECONDS = 60


class TicketStoreUnavailable(Exception):
    """The cache that holds tickets did not answer."""


def _key(ticket: str) -> str:
    return "events:ticket:" + hashlib.sha256(ticket.encode("utf-8", "replace")).hexdigest()


def issue(user) -> dict:
    """A new ticket for `user`: `{"ticket", "expires_in"}`."""
    ticket = secrets.token_urlsafe(32)
    try:
        cache.set(
            _key(ticket),
            {"user_id": user.pk, "expires_at": time.time() + TICKET_SECONDS},
            timeout=TICKET_SECONDS,
        )
    except Exception as exc:
        log.error("events.ticket_store_unavailable", operation="set", error=type(exc).__name__)
        raise TicketStoreUnavailable from exc
    log.info("events.ticket_issued", user_id=user.pk)
    return {"ticket": ticket, "expires_in": TICKET_SECONDS}


def redeem(ticket: str):
    """The active user the ticket was issued to, or None (unknown, used, expired, or the user
    is inactive or gone). The ticket cannot be used again either way."""
    if not ticket or len(ticket) > 256:
        return None
    key = _key(ticket)
    try:
        value = cache.get(key)
        if not value or not cache.delete(key):  # used by another socket meanwhile
            return None
    except Exception as exc:
        log.error("events.ticket_store_unavailable", operation="redeem", error=type(exc).__name__)
        raise TicketStoreUnavailable from exc
    if value["expires_at"] < time.time():
        return None
    return get_user_model()._default_manager.filter(pk=value["user_id"], is_active=True).first()
