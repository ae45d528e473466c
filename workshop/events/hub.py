"""One reader of the stream per event loop (an app server process), dispatching to the
sockets it serves.

Each uvicorn worker reads the shared stream once (`XREAD BLOCK`) and hands every event to its
own sockets in memory, which filter it by topic and role. The stream, not the channel layer,
carries events: one order for every host (what replay needs), one Redis read per event per
process whatever the number of sockets, no per-socket copy of each event in Redis.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import structlog

from workshop.events.streams import Entry, reader

log = structlog.get_logger(__name__)

BLOCK_MS = 5000


@dataclass(frozen=True)
class Event:
    """An event as a socket sees it: routing fields and the text to send as is."""

    id: str
    key: tuple[int, int]
    event: str
    topic: str
    perm: str
    owner_id: int | None
    body: str

    @classmethod
    def from_entry(cls, entry: Entry) -> Event:
        fields = entry.fields
        owner = fields.get("owner") or ""
        return cls(
            id=entry.id,
            key=entry.key,
            event=fields.get("event", ""),
            topic=fields.get("topic", ""),
            perm=fields.get("perm", ""),
            owner_id=int(owner) if owner.isdigit() else None,
            body=fields.get("body", "{}"),
        )

    @cached_property
    def envelope(self) -> str:
        """The text every socket sends (built once per event and process)."""
        return self.text(self.id)

    def text(self, entry_id: str) -> str:
        """The envelope under `entry_id`: `type` and `id` first, then the body's fields."""
        rest = self.body[1:] if len(self.body) > 2 else "}"
        separator = "," if rest != "}" else ""
        return f'{{"type":"event","id":"{entry_id}"{separator}{rest}'


class Listener(Protocol):
    def offer(self, event: Event) -> None: ...


class Hub:
    def __init__(self):
        self.listeners: set[Listener] = set()
        self.position: str | None = None
        self.task: asyncio.Task | None = None
        self.reader = None
        self._starting = asyncio.Lock()

    async def join(self, listener: Listener):
        """Start handing events to `listener`. When this returns, every event added to the
        stream from now on will be offered to it (the reader's position is fixed first)."""
        async with self._starting:
            if self.task is None or self.task.done():
                stream = reader()
                try:
                    self.position = await stream.last_id()
                except BaseException:
                    await close_quietly(stream)
                    raise
                self.reader = stream
                self.task = asyncio.create_task(self._run(stream), name="weldshop-events-hub")
            self.listeners.add(listener)
        return self.reader

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        if not self.listeners and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self, stream) -> None:
        try:
            while True:
                try:
                    entries = await stream.read(self.position, BLOCK_MS)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # Redis restarting, a network blip: read again shortly
                    log.warning("events.stream_read_failed", error=type(exc).__name__)
                    await asyncio.sleep(1)
                    continue
                for entry in entries:
                    self.position = entry.id
                    event = Event.from_entry(entry)
                    for listener in tuple(self.listeners):
                        try:
                            listener.offer(event)
                        except Exception:
                            log.exception("events.dispatch_failed")
        finally:
            await close_quietly(stream)


async def close_quietly(stream, timeout: float = 2.0) -> None:
    """Close a reader without ever hanging the loop's shutdown on it (a connection mid-`XREAD`
    on a loaded machine can take its time): at most `timeout` seconds, errors logged."""
    try:
        await asyncio.wait_for(asyncio.shield(stream.close()), timeout)
    except (TimeoutError, asyncio.CancelledError):
        log.warning("events.reader_close_slow")
    except Exception as exc:
        log.warning("events.reader_close_failed", error=type(exc).__name__)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The running event loop's hub."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found
