"""Writes: endpoints (create, update, rotate the secret, ping), messages made from published
events, and the delivery of messages — claim, send, record — with retries kept in the database.

Delivery, in short (docs/webhooks.md has the whole story):

1. `messages_publish` (called once the events' transaction has committed) makes one Message
   per event per active endpoint that wants it, with its body's bytes, in a short transaction
   of its own, then `dispatch`es them: a Celery task each (`webhooks.deliver`), or a thread
   of the process when Celery runs eagerly (no broker: never inside the request).
2. `message_claim` takes a due message for one attempt: a conditional UPDATE (after `SELECT …
   FOR UPDATE SKIP LOCKED` where the database has it) sets a lease and counts the attempt, and
   an Attempt row is made — all committed before anything is sent.
3. The message is signed and POSTed (workshop/webhooks/sender.py) outside any transaction.
4. `attempt_finish` records the answer; a failure schedules the next attempt
   (`next_attempt_at`, the retry schedule with jitter, or Retry-After), a 410 or three days
   of failures disable the endpoint.
5. `messages_deliver_due` (Celery beat, every few seconds) sends what is due: retries, and
   messages whose worker was lost (their lease ran out) — again under the same webhook-id.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks import Webhook

from workshop.errors import Conflict, ValidationFailed
from workshop.webhooks import addresses, sender
from workshop.webhooks.models import (
    Attempt,
    DisabledReason,
    Endpoint,
    Message,
    MessageStatus,
    new_secret,
)
from workshop.webhooks.selectors import ALL_EVENTS, PING_EVENT, endpoints_for, known_events

log = structlog.get_logger(__name__)

# Delays before retries 1…7 (SPEC §7): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h — then given up.
RETRY_SCHEDULE = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=14),
)
MAX_ATTEMPTS = 1 + len(RETRY_SCHEDULE)
JITTER = 0.2  # each delay is ±20 %
RETRY_AFTER_MAX = dt.timedelta(hours=24)  # a longer Retry-After is cut to this
DISABLE_AFTER = dt.timedelta(days=3)  # failing (no success) this long disables the endpoint
LEASE_MARGIN = dt.timedelta(seconds=30)  # a lease lasts the timeout plus this
SWEEP_BATCH = 100  # messages a sweep sends at most


# ---------------------------------------------------------------------------------- endpoints
def check_url(url: str) -> str:
    """The URL if the SSRF and scheme rules allow it, else ValidationFailed naming `url`."""
    try:
        addresses.check(url)
    except addresses.UrlRefused as exc:
        raise ValidationFailed({"url": [str(exc)]}) from None
    return url


def check_events(events) -> list[str]:
    """Known event names (deduplicated) or ["*"], else ValidationFailed naming `events`."""
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise ValidationFailed({"events": ['Give a non-empty list of event names, or ["*"].']})
    if ALL_EVENTS in events:
        if len(events) > 1:
            raise ValidationFailed({"events": ['"*" (every event) stands alone.']})
        return [ALL_EVENTS]
    known = set(known_events())
    unknown = sorted({e for e in events if e not in known})
    if unknown:
        raise ValidationFailed(
            {
                "events": [
                    f'Unknown event(s): {", ".join(unknown)}. Known: {", ".join(sorted(known))}, or "*".'
                ]
            }
        )
    return list(dict.fromkeys(events))


@transaction.atomic
def endpoint_create(
    *, url: str, events: list[str], active: bool = True, description: str = "", created_by=None
) -> Endpoint:
    endpoint = Endpoint(
        url=check_url(url),
        events=check_events(events),
        active=active,
        description=description,
        created_by=created_by,
    )
    endpoint.save()
    log.info("webhook.endpoint_created", endpoint_id=endpoint.pk, events=endpoint.events)
    return endpoint


@transaction.atomic
def endpoint_update(*, endpoint: Endpoint, **changes) -> Endpoint:
    """Change url, events, active, description. Turning an endpoint active again clears why it
    was disabled and its run of failures."""
    if "url" in changes:
        endpoint.url = check_url(changes["url"])
    if "events" in changes:
        endpoint.events = check_events(changes["events"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "active" in changes:
        if changes["active"] and not endpoint.active:
            endpoint.disabled_reason = DisabledReason.NONE
            endpoint.failing_since = None
        endpoint.active = changes["active"]
    endpoint.save()
    log.info("webhook.endpoint_updated", endpoint_id=endpoint.pk, fields=sorted(changes))
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint) -> Endpoint:
    """A new secret, in force at once (the old one signs nothing more)."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    log.info("webhook.secret_rotated", endpoint_id=endpoint.pk)
    return endpoint


def _envelope(*, event: str, stream_id: str | None, body: str) -> bytes:
    """The §5 envelope (`type` and `id` first, then the event's body) as bytes."""
    rest = body[1:] if len(body) > 2 else "}"
    separator = "," if rest != "}" else ""
    return f'{{"type":"event","id":{json.dumps(stream_id)}{separator}{rest}'.encode()


@transaction.atomic
def endpoint_ping(*, endpoint: Endpoint) -> Message:
    """A `webhook.ping` event to this endpoint alone (whatever events it subscribes to), sent
    after the commit like any other."""
    from workshop.events import context
    from workshop.events.publish import Message as Event

    if not endpoint.active:
        raise Conflict("The endpoint is not active: activate it to ping it.")
    actor, request_id = context.current()
    event = Event(
        event=PING_EVENT,
        topic="webhooks",
        data={"endpoint_id": endpoint.pk, "url": endpoint.url},
        resource="webhooks",
        object_id=endpoint.pk,
        actor=actor,
        request_id=request_id,
    )
    message = Message.objects.create(
        endpoint=endpoint,
        event=PING_EVENT,
        body=_envelope(event=PING_EVENT, stream_id=None, body=event.fields()["body"]),
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: dispatch([message.pk]))
    log.info("webhook.ping_queued", endpoint_id=endpoint.pk, message_id=message.pk)
    return message


@transaction.atomic
def message_redeliver(*, message: Message) -> Message:
    """A new delivery of the same message: the same body and the same webhook-id (a receiver
    that deduplicates by id sees the same message again), attempts counted afresh."""
    endpoint = message.endpoint
    if message.status == MessageStatus.PENDING:
        raise Conflict("This delivery is still being tried; redeliver it once it has succeeded or failed.")
    if not endpoint.active:
        raise Conflict("The endpoint is not active: activate it to redeliver to it.")
    copy = Message.objects.create(
        endpoint=endpoint,
        msg_id=message.msg_id,
        event=message.event,
        body=bytes(message.body),
        redelivery_of=message,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: dispatch([copy.pk]))
    log.info("webhook.redelivery_queued", endpoint_id=endpoint.pk, message_id=copy.pk, of=message.pk)
    return copy


# ---------------------------------------------------------------------- from published events
def messages_publish(entries: list[dict[str, str]], stream_ids: list, *, deferred: bool = False) -> list[int]:
    """The webhooks of events just published (`workshop.events.publish.send`): one Message per
    event per active endpoint that wants it, then sent. Called once their transaction has
    committed; inside one (an event sent at once, e.g. a job's progress) it waits for the
    commit, so a rollback sends nothing."""
    if not entries:
        return []
    if connection.in_atomic_block and not deferred:

        def later() -> None:
            messages_publish(entries, stream_ids, deferred=True)

        later.live_events = True  # one of the events' own callbacks (tests/events/conftest.py)
        transaction.on_commit(later, robust=True)
        return []
    names = {entry["event"] for entry in entries}
    wanted = endpoints_for(names)
    if not wanted:
        return []
    now = timezone.now()
    rows = []
    for index, entry in enumerate(entries):
        stream_id = stream_ids[index] if index < len(stream_ids) else None
        body = None
        for endpoint_id, subscribed in wanted:
            if ALL_EVENTS in subscribed or entry["event"] in subscribed:
                if body is None:
                    body = _envelope(event=entry["event"], stream_id=stream_id, body=entry["body"])
                rows.append(
                    Message(endpoint_id=endpoint_id, event=entry["event"], body=body, next_attempt_at=now)
                )
    if not rows:
        return []
    with transaction.atomic():
        created = Message.objects.bulk_create(rows)
    ids = [m.pk for m in created] if all(m.pk for m in created) else _ids_of(rows)
    log.info("webhook.messages_created", messages=len(ids), events=len(entries))
    dispatch(ids)
    return ids


def _ids_of(rows: list[Message]) -> list[int]:
    """Ids of rows a database did not return from bulk_create (by their unique msg_id)."""
    return list(Message.objects.filter(msg_id__in=[m.msg_id for m in rows]).values_list("pk", flat=True))


def dispatch(message_ids: list[int]) -> None:
    """Send these messages soon, never in the caller's thread: a Celery task each; with Celery
    eager (no broker, `scripts/run`), a thread of this process. A broker that does not answer
    loses nothing: the sweep sends due messages."""
    if not message_ids:
        return
    from workshop.celery import app
    from workshop.webhooks.tasks import deliver

    if app.conf.task_always_eager:
        threading.Thread(target=_deliver_in_thread, args=(list(message_ids),), daemon=True).start()
        _ensure_sweeper()
        return
    for pk in message_ids:
        try:
            deliver.delay(pk)
        except Exception as exc:
            log.warning("webhook.enqueue_failed", message_id=pk, error=type(exc).__name__)


def _deliver_in_thread(message_ids: list[int]) -> None:
    try:
        for pk in message_ids:
            message_deliver(message_id=pk)
    except Exception:
        log.exception("webhook.delivery_crashed")
    finally:
        connection.close()


_sweeper: threading.Thread | None = None
_sweeper_lock = threading.Lock()
SWEEP_SECONDS = 5.0  # as often as beat sends `webhooks.deliver_due`


def _ensure_sweeper() -> None:
    """Without a broker there is no beat: a thread of this process sends what is due every few
    seconds (retries), started with the first message dispatched."""
    global _sweeper
    with _sweeper_lock:
        if _sweeper is None or not _sweeper.is_alive():
            _sweeper = threading.Thread(target=_sweep_forever, name="webhooks-sweeper", daemon=True)
            _sweeper.start()


def _sweep_forever() -> None:
    while True:
        time.sleep(SWEEP_SECONDS)
        try:
            messages_deliver_due()
        except Exception:
            log.exception("webhook.sweep_failed")
        finally:
            connection.close()


# --------------------------------------------------------------------------------- delivery
@dataclass
class Claim:
    message: Message
    attempt: Attempt


def message_claim(*, message_id: int | None = None, now: dt.datetime | None = None) -> Claim | None:
    """Take one due message (this one, or any) for an attempt: lease it, count the attempt and
    record its start, committed before anything is sent. None: nothing due (another worker
    holds it, it is done, not due yet, or its endpoint is inactive)."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT) + LEASE_MARGIN
    due = Q(status=MessageStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True) & (
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    )
    with transaction.atomic():
        candidates = Message.objects.filter(due)
        if message_id is not None:
            candidates = candidates.filter(pk=message_id)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        pk = candidates.order_by("next_attempt_at", "pk").values_list("pk", flat=True).first()
        if pk is None:
            return None
        # The conditional UPDATE is the claim on every database (SQLite has no row locks).
        taken = Message.objects.filter(due, pk=pk).update(
            lease_until=now + lease, attempt_count=F("attempt_count") + 1
        )
        if not taken:
            return None
        message = Message.objects.select_related("endpoint").get(pk=pk)
        Attempt.objects.filter(message=message, finished_at__isnull=True).update(
            finished_at=now, error="Interrupted: the worker sending it was lost; sent again."
        )
        attempt = Attempt.objects.create(message=message, number=message.attempt_count, started_at=now)
    return Claim(message, attempt)


def sign(*, secret: str, msg_id: str, body: bytes, at: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers for this body, signed at `at`."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode("utf-8")),
    }


def message_send(claim: Claim) -> sender.Answer:
    """POST the claimed message (no transaction open): the URL checked again, its checked
    address connected to."""
    message = claim.message
    endpoint = message.endpoint
    try:
        target = addresses.check(endpoint.url, must_resolve=True)
    except addresses.UrlRefused as exc:
        return sender.Answer(None, "", 0, error=f"Refused: {exc}")
    body = bytes(message.body)
    headers = sign(secret=endpoint.secret, msg_id=message.msg_id, body=body, at=timezone.now())
    return sender.post(target, body, headers, timeout=settings.WEBHOOK_TIMEOUT)


def parse_retry_after(value: str | None, *, now: dt.datetime) -> dt.timedelta | None:
    """`Retry-After` as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return dt.timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(when - now, dt.timedelta(0))


def retry_delay(
    attempt_number: int,
    *,
    retry_after: dt.timedelta | None = None,
    jitter: Callable[[], float] = random.random,
) -> dt.timedelta | None:
    """How long after failed attempt `attempt_number` (from 1) to try again; None: give up.
    The schedule's delay ±20 %, or what the receiver's Retry-After asked (at most 24 h)."""
    if attempt_number >= MAX_ATTEMPTS:
        return None
    if retry_after is not None:
        return max(min(retry_after, RETRY_AFTER_MAX), dt.timedelta(seconds=1))
    base = RETRY_SCHEDULE[attempt_number - 1]
    return base * (1 - JITTER + 2 * JITTER * jitter())


def attempt_finish(claim: Claim, answer: sender.Answer, *, now: dt.datetime | None = None) -> Message:
    """Record the attempt's answer and what follows: done, the next attempt, or given up;
    the endpoint disabled after a 410 or three days of failures."""
    now = now or timezone.now()
    success = answer.status is not None and 200 <= answer.status < 300
    with transaction.atomic():
        Attempt.objects.filter(pk=claim.attempt.pk).update(
            finished_at=now,
            response_status=answer.status,
            duration_ms=answer.duration_ms,
            response_body=answer.body,
            error=answer.error[:500],
        )
        message = Message.objects.select_for_update(of=("self",)).filter(pk=claim.message.pk).first()
        if message is None:
            return claim.message  # its endpoint was deleted meanwhile
        if message.attempt_count != claim.attempt.number or message.status != MessageStatus.PENDING:
            return message  # another worker took it over meanwhile (this one's lease ran out)
        endpoint = Endpoint.objects.select_for_update().filter(pk=message.endpoint_id).first()
        if endpoint is None:
            return message
        message.lease_until = None
        if success:
            message.status, message.finished_at, message.next_attempt_at = MessageStatus.SUCCEEDED, now, None
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since", "updated_at"])
        else:
            gone = answer.status == 410
            delay = (
                None
                if gone
                else retry_delay(
                    claim.attempt.number, retry_after=parse_retry_after(answer.retry_after, now=now)
                )
            )
            if delay is None:
                message.status, message.finished_at, message.next_attempt_at = MessageStatus.FAILED, now, None
            else:
                message.next_attempt_at = now + delay
            _endpoint_failed(endpoint, now=now, gone=gone)
        message.save(update_fields=["status", "finished_at", "next_attempt_at", "lease_until"])
    log.info(
        "webhook.attempt",
        endpoint_id=message.endpoint_id,
        message_id=message.pk,
        webhook_id=message.msg_id,
        attempt=claim.attempt.number,
        status_code=answer.status,
        duration_ms=answer.duration_ms,
        error=answer.error or None,
        outcome=str(message.status),
    )
    return message


def _endpoint_failed(endpoint: Endpoint, *, now: dt.datetime, gone: bool) -> None:
    fields = []
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        fields.append("failing_since")
    reason = DisabledReason.GONE if gone else None
    if reason is None and now - endpoint.failing_since >= DISABLE_AFTER:
        reason = DisabledReason.FAILING
    if reason is not None and endpoint.active:
        endpoint.active, endpoint.disabled_reason = False, reason
        fields += ["active", "disabled_reason"]
        log.warning("webhook.endpoint_disabled", endpoint_id=endpoint.pk, reason=reason)
    if fields:
        endpoint.save(update_fields=[*fields, "updated_at"])


def message_deliver(*, message_id: int | None = None, now: dt.datetime | None = None) -> Message | None:
    """One attempt at this message (or the next due one), if it is due: claim, send, record."""
    claim = message_claim(message_id=message_id, now=now)
    if claim is None:
        return None
    answer = message_send(claim)
    return attempt_finish(claim, answer, now=None if now is None else max(now, timezone.now()))


def messages_deliver_due(*, now: dt.datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Send what is due (retries; messages whose worker was lost): at most `limit`."""
    sent = 0
    while sent < limit:
        if message_deliver(now=now) is None:
            break
        sent += 1
    return sent


def messages_clean_up(*, now: dt.datetime | None = None) -> int:
    """Delete finished deliveries (and their attempts) older than WEBHOOK_RETENTION_DAYS."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    old = Message.objects.filter(
        status__in=[MessageStatus.SUCCEEDED, MessageStatus.FAILED], finished_at__lt=cutoff
    )
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(old.values_list("pk", flat=True)[:1000])
            if not batch:
                break
            Message.objects.filter(redelivery_of__in=batch).update(redelivery_of=None)
            Attempt.objects.filter(message__in=batch).delete()
            Message.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
    if deleted:
        log.info("webhook.deliveries_cleaned_up", deliveries=deleted)
    return deleted
