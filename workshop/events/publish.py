"""Publishing events: an envelope per event, appended to the stream after the commit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone
from rest_framework.fields import DateTimeField
from rest_framework.utils.encoders import JSONEncoder

from workshop.events import context
from workshop.events.resources import resources, topics
from workshop.events.streams import stream

log = structlog.get_logger(__name__)

UNSET: Any = object()
# Entries for the sockets themselves, not for clients: `user.changed` (owner = the user).
CONTROL_TOPIC = "_control"
USER_CHANGED = "user.changed"
_AT = DateTimeField()  # the API's own rendering of a time


@dataclass
class Message:
    """One event before it has its id (the stream gives it)."""

    event: str
    topic: str
    data: Any
    resource: str | None = None
    object_id: Any = None
    actor: int | None = None
    request_id: str | None = None
    perm: str | None = None  # the permission a user needs to receive it
    owner_id: int | None = None  # only this user (and managers/admins) receives it

    def fields(self) -> dict[str, str]:
        """The stream entry: routing fields for the sockets, and the envelope's body (all but
        `type` and `id`, which the socket puts first)."""
        body = {
            "event": self.event,
            "resource": self.resource,
            "object_id": self.object_id,
            "data": self.data,
            "at": _AT.to_representation(timezone.now()),
            "actor": self.actor,
            "request_id": self.request_id,
        }
        return {
            "event": self.event,
            "topic": self.topic,
            "perm": self.perm or "",
            "owner": "" if self.owner_id is None else str(self.owner_id),
            "body": json.dumps(body, cls=JSONEncoder, separators=(",", ":"), ensure_ascii=False),
        }


def send(messages: list[Message]) -> list[str]:
    """Append the messages to the stream now; returns their ids. Never raises: an outage of
    the stream's Redis loses these events (logged), not the request that made them."""
    if not messages:
        return []
    entries = [message.fields() for message in messages]
    try:
        ids = stream().add_many(entries)
    except Exception as exc:
        log.error("events.publish_failed", events=len(messages), error=type(exc).__name__)
        ids = []
    webhooks(entries, ids)
    return ids


def webhooks(entries: list[dict[str, str]], ids: list[str]) -> None:
    """The same events to the webhook endpoints that want them (SPEC §7): the one place they
    are made, with each event's body exactly as the sockets get it. Never raises."""
    kept = [
        (entry, ids[n] if n < len(ids) else None)
        for n, entry in enumerate(entries)
        if entry["topic"] != CONTROL_TOPIC
    ]
    if not kept:
        return
    try:
        from workshop.webhooks.services import messages_publish

        messages_publish([entry for entry, _ in kept], [stream_id for _, stream_id in kept])
    except Exception:
        log.exception("events.webhooks_failed", events=len(entries))


def publish(
    event: str,
    *,
    topic: str,
    data: Any,
    object_id: Any = None,
    resource: str | None = None,
    actor: int | None = UNSET,
    request_id: str | None = UNSET,
    owner_id: int | None = None,
    perm: str | None = UNSET,
    on_commit: bool = True,
    using: str | None = None,
) -> None:
    """Send an event to the sockets subscribed to `topic`.

    - `data`: the event's payload (JSON-serialisable; times and decimals as the API renders them).
    - `resource`/`object_id`: what it is about; a routed resource's `view_*` permission then
      decides who receives it (`perm` to name another one, `perm=None` for every role).
    - `owner_id`: only that user and managers/admins receive it (`job.progress`).
    - `actor`/`request_id`: default to the request or job being served (`context`).
    - `on_commit=True` (default): sent once the current transaction commits, never if it
      rolls back (at once outside a transaction). `on_commit=False`: sent now, e.g. the
      progress of a long transaction.
    """
    if topic not in topics():
        raise ValueError(f"Unknown topic {topic!r}; one of {', '.join(sorted(topics()))}")
    bound_actor, bound_request_id = context.current()
    if perm is UNSET:
        routed = resources().get(resource or "")
        perm = routed.perm if routed is not None else None
    message = Message(
        event=event,
        topic=topic,
        data=data,
        resource=resource,
        object_id=object_id,
        actor=bound_actor if actor is UNSET else actor,
        request_id=bound_request_id if request_id is UNSET else request_id,
        perm=perm,
        owner_id=owner_id,
    )
    if on_commit:
        callback = partial(send, [message])
        callback.live_events = True
        transaction.on_commit(callback, using=using, robust=True)
    else:
        send([message])
