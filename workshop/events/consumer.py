"""The live-events socket, `/ws/v1/events` (SPEC §5; protocol in docs/events.md).

Connect: `?ticket=<from POST /api/v1/auth/ws-ticket>` or the Django session (same-origin
browsers); optional `&topics=a,b` (subscribe at once) and `&last_event_id=<id>` (replay).
Refusals are sent as close codes after accepting, so that browsers see them: 4401 (no,
unknown, used or expired ticket; inactive user), 4403 (an `Origin` outside the allowed hosts
and CORS origins). A socket whose user is deactivated or deleted closes with 4401; one that
does not read its events fast enough closes with 4408 (reconnect with `last_event_id`).

Client → server: `{"type": "subscribe", "topics": [...]}`, `{"type": "unsubscribe",
"topics": [...]}`, `{"type": "ping"}`. Server → client: `subscribed` (the topics now
subscribed), `event`, `reset`, `error`, `pong`.

Sockets use no channel layer: their process's hub (hub.py) reads the shared stream once and
offers every entry to each socket, events and control entries alike (`user.changed`: the
user was saved on some host — re-check them). A channel per socket in channels-redis failed
at 1,000 sockets on two workers (read timeouts, "Too many connections"; docs/events.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from urllib.parse import parse_qs, urlparse

import structlog
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import OriginValidator
from django.conf import settings

from workshop import metrics
from workshop.events import tickets
from workshop.events.hub import Event, hub
from workshop.events.publish import CONTROL_TOPIC, USER_CHANGED
from workshop.events.resources import resources, topics
from workshop.events.streams import format_id, parse_id

log = structlog.get_logger(__name__)

UNAUTHORIZED, FORBIDDEN, TOO_SLOW, SERVER_ERROR = 4401, 4403, 4408, 1011
DASHBOARD_EVENT = "dashboard.changed"
DASHBOARD_INTERVAL = 1.0  # seconds: dashboard.changed at most once a second per socket
MAX_PENDING = 2000  # events queued for one socket before it counts as too slow
MAX_MESSAGE_CHARS = 16 * 1024
SEES_EVERY_OWNER = frozenset({"admin", "manager"})


def on_connect(consumer: EventsConsumer) -> None:
    """A socket was accepted: /metrics' connections gauge."""
    metrics.websocket_opened()


def on_disconnect(consumer: EventsConsumer) -> None:
    """An accepted socket closed."""
    metrics.websocket_closed()


def origin_allowed(origin: str) -> bool:
    """Whether a browser on `origin` may open a socket: its host is one of ALLOWED_HOSTS, or
    it is one of CORS_ALLOWED_ORIGINS (scheme, host and port)."""
    parsed = urlparse(origin)
    if not parsed.scheme or not parsed.hostname:
        return False  # "null" (sandboxed pages, files) and garbage
    allowed = [*settings.ALLOWED_HOSTS, *settings.CORS_ALLOWED_ORIGINS]
    return OriginValidator(None, allowed).validate_origin(parsed)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


@database_sync_to_async
def _redeem(ticket: str):
    return tickets.redeem(ticket)


@database_sync_to_async
def _access(user_id):
    """The user as stored now, their role and the permissions it holds."""
    from django.contrib.auth import get_user_model

    from workshop.roles import role_permissions, user_role

    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None or not user.is_active:
        return None, None, frozenset()
    role = user_role(user)
    perms = frozenset() if user.is_superuser or role is None else role_permissions(role)
    return user, role, perms


IDLE, STARTING, READY = "idle", "starting", "ready"


class EventsConsumer(AsyncWebsocketConsumer):
    user = None
    # No channel layer (an alias that names none): events and nudges come from the stream.
    channel_layer_alias = "live-events-use-no-channel-layer"

    # ------------------------------------------------------------------ connection
    async def connect(self):
        self.topics: set[str] = set()
        self.role = None
        self.perms: frozenset[str] = frozenset()
        self.state = IDLE  # → STARTING (first subscription, replay) → READY
        self.joined = False
        self.rechecking = False  # re-reading the user after a `user.changed`
        self.recheck_again = False
        self.cursor: tuple[int, int] = (0, 0)  # the last event handled (sent or not for us)
        self.last_sent: tuple[int, int] = (0, 0)  # the last id sent to the client
        self.buffer: list[Event] = []
        self.out: asyncio.Queue = asyncio.Queue()
        self.writer: asyncio.Task | None = None
        self.dashboard_sent_at = -DASHBOARD_INTERVAL
        self.dashboard_pending: Event | None = None
        self.dashboard_timer: asyncio.TimerHandle | None = None
        self.closing = False
        self.counted = False  # on_connect was called (so on_disconnect will be)
        self.gone = False
        self.query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))

        origin = _header(self.scope, b"origin")
        if origin is not None and not origin_allowed(origin):
            return await self._refuse(FORBIDDEN, "origin")
        ticket = self._param("ticket")
        if ticket is not None:
            try:
                user = await _redeem(ticket)
            except tickets.TicketStoreUnavailable:
                return await self._refuse(SERVER_ERROR, "ticket_store_unavailable")
        else:
            user = await self._session_user() if self._same_origin(origin) else None
        if user is None or not user.is_authenticated or not user.is_active:
            return await self._refuse(UNAUTHORIZED, "ticket" if ticket is not None else "no_credentials")
        self.user, self.role, self.perms = await _access(user.pk)
        if self.user is None:
            return await self._refuse(UNAUTHORIZED, "inactive")
        try:
            await hub().join(self)  # from now on, every entry of the stream is offered to it
        except Exception as exc:  # the stream's Redis is unreachable
            log.error("events.stream_unavailable", error=type(exc).__name__)
            return await self._refuse(SERVER_ERROR, "stream_unavailable")
        self.joined = True
        await self.accept()
        self.writer = asyncio.create_task(self._write())
        self.counted = True
        on_connect(self)
        log.info("events.socket_opened", user_id=self.user.pk, pid=os.getpid())
        wanted = self._param("topics")
        if wanted is not None:
            await self._subscribe([t for t in wanted.split(",") if t], "subscribe")

    async def _refuse(self, code: int, reason: str) -> None:
        log.info("events.socket_refused", code=code, reason=reason)
        self.closing = True
        await self.accept()
        await self.close(code=code)

    async def _session_user(self):
        """The user of the Django session cookie, if any. Read here, once, rather than by
        channels' AuthMiddlewareStack, whose session wrapper would sit on every message the
        socket sends."""
        from importlib import import_module

        from channels.auth import get_user
        from django.http.cookie import parse_cookie

        cookie = _header(self.scope, b"cookie")
        key = parse_cookie(cookie).get(settings.SESSION_COOKIE_NAME) if cookie else None
        if not key:
            return None
        store = import_module(settings.SESSION_ENGINE).SessionStore(key)
        return await get_user({"session": store})

    def _param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def _same_origin(self, origin: str | None) -> bool:
        """The session counts only for the app's own pages (or a client that sends no
        Origin): a page on another origin must get a ticket."""
        if origin is None:
            return True
        host = _header(self.scope, b"host")
        return host is not None and urlparse(origin).netloc.lower() == host.lower()

    async def disconnect(self, code):
        if self.user is None or self.gone:
            return  # refused before it was accepted as a user's socket
        self.gone = self.closing = True
        if self.joined:
            hub().leave(self)
        if self.dashboard_timer is not None:
            self.dashboard_timer.cancel()
        if self.writer is not None:
            self.writer.cancel()
        if self.counted:
            on_disconnect(self)
        log.info("events.socket_closed", user_id=self.user.pk, code=code)

    # ------------------------------------------------------------------ client messages
    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > MAX_MESSAGE_CHARS:
            return self._error("BAD_REQUEST", "Send JSON text messages of at most 16 KB.")
        try:
            message = json.loads(text_data)
        except ValueError:
            return self._error("BAD_REQUEST", "The message is not JSON.")
        if not isinstance(message, dict):
            return self._error("BAD_REQUEST", 'A message is a JSON object with a "type".')
        kind = message.get("type")
        if kind == "ping":
            return self._send_json({"type": "pong"})
        if kind in ("subscribe", "unsubscribe"):
            wanted = message.get("topics")
            if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
                return self._error("VALIDATION_ERROR", '"topics" must be a list of topic names.')
            return await self._subscribe(wanted, kind)
        return self._error(
            "BAD_REQUEST", 'Unknown message type; send "subscribe", "unsubscribe" or "ping".', got=kind
        )

    async def _subscribe(self, wanted: list[str], kind: str) -> None:
        known = topics()
        unknown = sorted({t for t in wanted if t not in known})
        if unknown:
            return self._error(
                "UNKNOWN_TOPIC",
                f"Unknown topic(s): {', '.join(unknown)}. Topics: {', '.join(sorted(known))}.",
                topics=unknown,
            )
        if kind == "unsubscribe":
            self.topics -= set(wanted)
            return self._ack()
        refused = sorted(t for t in set(wanted) if not self._may_subscribe(t))
        if refused:
            return self._error(
                "FORBIDDEN_TOPIC", f"Your role may not read: {', '.join(refused)}.", topics=refused
            )
        self.topics |= set(wanted)
        if self.state != IDLE:
            return self._ack()
        await self._start()

    def _may_subscribe(self, topic: str) -> bool:
        if not self.user.is_superuser and self.role is None:
            return False
        resource = resources().get(topic)
        return resource is None or self._may(resource.perm)

    async def _start(self) -> None:
        """The first subscription: join the live stream, then replay what the client missed
        (`last_event_id`) or tell it to reload (`reset`), then hand over to live events —
        every event once, in order: live ones that arrive meanwhile wait in `buffer`, and
        any id already replayed is skipped."""
        self.state = STARTING
        try:
            await self._catch_up(hub().reader)
        except Exception as exc:  # the stream's Redis went away mid-replay
            log.error("events.stream_unavailable", error=type(exc).__name__)
            self.closing = True
            await self.close(code=SERVER_ERROR)
            return
        self.state = READY
        self._release()

    async def _catch_up(self, stream) -> None:
        """Where this socket starts: replay from `last_event_id`, or a reset, or now."""
        asked = self._param("last_event_id")
        start = parse_id(asked) if asked is not None else None
        reset_reason = None
        if asked is not None:
            if start is None:
                reset_reason = "unknown_id"
            elif start[0] < (time.time() - settings.EVENTS_REPLAY_SECONDS) * 1000:
                reset_reason = "too_old"
            elif not await stream.exists(asked):
                reset_reason = "unknown_id"
        if start is None or reset_reason is not None:
            start = parse_id(await stream.last_id())
        self.cursor = start
        self._ack()
        if reset_reason is not None:
            self._send_json({"type": "reset", "reason": reset_reason, "last_event_id": format_id(start)})
        elif asked is not None:
            await self._replay(stream)

    def _release(self) -> None:
        """Hand the events held meanwhile on, unless something still holds them."""
        if self.state != READY or self.rechecking or self.closing:
            return
        waiting, self.buffer = self.buffer, []
        for event in waiting:
            self._handle(event)

    async def _replay(self, stream) -> None:
        while not self.closing:
            page = await stream.range_after(format_id(self.cursor))
            if not page:
                return
            for entry in page:
                self._handle(Event.from_entry(entry))
            await self.out.join()  # sent before the next page is read

    # ------------------------------------------------------------------ events
    def offer(self, event: Event) -> None:
        """Called by the hub with every entry of the stream, in order."""
        if self.closing:
            return
        if event.topic == CONTROL_TOPIC:
            if event.event == USER_CHANGED and event.owner_id == self.user.pk:
                self._recheck()
            return
        if self.state == IDLE:
            return  # nothing subscribed yet: the first subscription sets where it starts
        if self.state == STARTING or self.rechecking:
            self.buffer.append(event)
            if len(self.buffer) > MAX_PENDING:
                self._too_slow()
            return
        self._handle(event)

    def _handle(self, event: Event) -> None:
        if event.key <= self.cursor:
            return  # replayed already
        self.cursor = event.key
        if not self._wants(event):
            return
        if event.event == DASHBOARD_EVENT:
            return self._dashboard(event)
        self._enqueue(event.envelope, event.key)

    def _wants(self, event: Event) -> bool:
        if event.topic not in self.topics:
            return False
        if not self.user.is_superuser and self.role is None:
            return False
        if event.perm and not self._may(event.perm):
            return False
        return event.owner_id is None or event.owner_id == self.user.pk or self._sees_every_owner()

    def _may(self, perm: str) -> bool:
        return self.user.is_superuser or perm in self.perms

    def _sees_every_owner(self) -> bool:
        return self.user.is_superuser or self.role in SEES_EVERY_OWNER

    def _dashboard(self, event: Event) -> None:
        """At most one `dashboard.changed` a second; one that comes sooner waits for the end
        of the second (newer ones replace it), so the last change is always told."""
        now = time.monotonic()
        if self.dashboard_timer is None and now - self.dashboard_sent_at >= DASHBOARD_INTERVAL:
            self.dashboard_sent_at = now
            self._enqueue(event.envelope, event.key)
            return
        self.dashboard_pending = event
        if self.dashboard_timer is None:
            delay = max(0.0, self.dashboard_sent_at + DASHBOARD_INTERVAL - now)
            self.dashboard_timer = asyncio.get_running_loop().call_later(delay, self._dashboard_due)

    def _dashboard_due(self) -> None:
        self.dashboard_timer = None
        event, self.dashboard_pending = self.dashboard_pending, None
        if event is None or self.closing:
            return
        self.dashboard_sent_at = time.monotonic()
        # Its id: never lower than one already sent, so a client that resumes from the last
        # id it got neither misses nor repeats anything.
        key = max(event.key, self.last_sent)
        self._enqueue(event.text(format_id(key)), key)

    # ------------------------------------------------------------------ sending
    def _enqueue(self, text: str, key: tuple[int, int] | None = None) -> None:
        if self.closing:
            return
        if key is not None:
            self.last_sent = max(self.last_sent, key)
        self.out.put_nowait(text)
        if self.out.qsize() > MAX_PENDING:
            self._too_slow()

    def _send_json(self, message: dict) -> None:
        self._enqueue(json.dumps(message, separators=(",", ":")))

    def _error(self, code: str, detail: str, **extra) -> None:
        self._send_json({"type": "error", "error_code": code, "detail": detail, **extra})

    def _ack(self) -> None:
        self._send_json(
            {"type": "subscribed", "topics": sorted(self.topics), "last_event_id": format_id(self.cursor)}
        )

    def _too_slow(self) -> None:
        """More events wait for this client than it reads: close it (4408); it reconnects
        with `last_event_id` and gets what it missed from the stream."""
        if self.closing:
            return
        log.warning("events.socket_too_slow", user_id=self.user.pk, pending=self.out.qsize())
        self.closing = True
        self.buffer = []
        asyncio.get_running_loop().create_task(self.close(code=TOO_SLOW))

    async def _write(self) -> None:
        """Sends the socket's queue in order (one writer per socket: a slow client holds up
        only itself). Runs until the socket is gone; once closing, it only empties the queue."""
        while True:
            text = await self.out.get()
            try:
                if not self.closing:
                    await self.base_send({"type": "websocket.send", "text": text})
            except Exception:  # the client has gone; disconnect() follows
                self.closing = True
            finally:
                self.out.task_done()

    # ------------------------------------------------------------------ the user changed
    def _recheck(self) -> None:
        """The user was saved or deleted (on any host): read them again before handing on
        more events, so that what follows the change is filtered by the new role (and a
        deactivated or deleted user's socket closes)."""
        if self.rechecking:
            self.recheck_again = True
            return
        self.rechecking = True
        asyncio.get_running_loop().create_task(self._reread_user())

    async def _reread_user(self) -> None:
        while True:
            self.recheck_again = False
            user, role, perms = await _access(self.user.pk)
            if user is None:
                log.info("events.socket_user_gone", user_id=self.user.pk)
                self.closing = True
                await self.close(code=UNAUTHORIZED)
                return
            self.user, self.role, self.perms = user, role, perms
            if not self.recheck_again:
                break
        self.rechecking = False
        self._release()
