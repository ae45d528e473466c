"""The event stream: every event, in order, with its id — what sockets read live and replay.

With `REDIS_URL`: a Redis stream (`XADD … MAXLEN ~ EVENTS_STREAM_MAXLEN`); its ids are the
events' ids, every app host appends to it and every host reads it, so an event published on
any host (or by a worker or a management command) reaches every socket on every host, in one
order. Without Redis (`scripts/run`): the same stream in this process's memory, capped alike.

Ids look like Redis stream ids, `<milliseconds>-<sequence>`, and only grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import cache

import structlog
from django.conf import settings

log = structlog.get_logger(__name__)

ID_PATTERN = re.compile(r"^(\d{1,15})-(\d{1,19})$")
PAGE = 500  # entries per read


def parse_id(value: str | None) -> tuple[int, int] | None:
    """`"1700000000000-3"` → `(1700000000000, 3)`; None when it is not a stream id."""
    match = ID_PATTERN.match(value or "")
    return (int(match[1]), int(match[2])) if match else None


def format_id(key: tuple[int, int]) -> str:
    return f"{key[0]}-{key[1]}"


@dataclass(frozen=True)
class Entry:
    id: str
    key: tuple[int, int]
    fields: dict[str, str]


def _entries(raw) -> list[Entry]:
    return [Entry(entry_id, parse_id(entry_id), fields) for entry_id, fields in raw]


class MemoryStream:
    """The stream in this process (no Redis): a capped deque; readers on any event loop are
    woken when an entry is added from any thread."""

    def __init__(self, maxlen: int):
        self._entries: deque[Entry] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._last = (0, 0)
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    # -- writing (any thread)
    def add_many(self, items: list[dict[str, str]]) -> list[str]:
        ids = []
        with self._lock:
            for fields in items:
                now = int(time.time() * 1000)
                key = (now, 0) if now > self._last[0] else (self._last[0], self._last[1] + 1)
                self._last = key
                entry = Entry(format_id(key), key, dict(fields))
                self._entries.append(entry)
                ids.append(entry.id)
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # a loop that has closed meanwhile
                loop.call_soon_threadsafe(event.set)
        return ids

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    # -- reading (async, any loop)
    def _after(self, key: tuple[int, int], count: int) -> list[Entry]:
        with self._lock:
            newer = []
            for entry in reversed(self._entries):
                if entry.key <= key:
                    break
                newer.append(entry)
        newer.reverse()
        return newer[:count]

    async def read(self, after: str, block_ms: int) -> list[Entry]:
        key = parse_id(after)
        found = self._after(key, PAGE)
        if found:
            return found
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
        try:
            found = self._after(key, PAGE)  # added between the first look and the waiter
            if not found:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter[1].wait(), block_ms / 1000)
                found = self._after(key, PAGE)
        finally:
            with self._lock:
                self._waiters.discard(waiter)
        return found

    async def range_after(self, after: str, count: int = PAGE) -> list[Entry]:
        return self._after(parse_id(after), count)

    async def exists(self, entry_id: str) -> bool:
        key = parse_id(entry_id)
        with self._lock:
            return any(entry.key == key for entry in self._entries)

    async def last_id(self) -> str:
        with self._lock:
            return self._entries[-1].id if self._entries else "0-0"

    async def close(self) -> None:
        pass


class RedisStream:
    """The stream in Redis, shared by every process and host. Writes use a synchronous client
    (they run after a transaction commits, in the request's or the job's thread); reads use an
    asyncio client bound to the reading event loop (`reader()`)."""

    def __init__(self, url: str, key: str, maxlen: int):
        self.url, self.key, self.maxlen = url, key, maxlen
        self._sync = None

    def _client(self):
        if self._sync is None:
            import redis

            self._sync = redis.Redis.from_url(
                self.url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
            )
        return self._sync

    def add_many(self, items: list[dict[str, str]]) -> list[str]:
        pipe = self._client().pipeline(transaction=False)
        for fields in items:
            pipe.xadd(self.key, fields, maxlen=self.maxlen, approximate=True)
        return pipe.execute()

    def clear(self) -> None:
        self._client().delete(self.key)

    def reader(self) -> RedisReader:
        return RedisReader(self)


class RedisReader:
    """The reading side of `RedisStream` for one event loop."""

    def __init__(self, stream: RedisStream):
        import redis.asyncio

        self.key = stream.key
        # XREAD blocks up to block_ms: the socket may wait longer than that.
        self.redis = redis.asyncio.Redis.from_url(
            stream.url, socket_timeout=30, socket_connect_timeout=2, decode_responses=True
        )

    async def read(self, after: str, block_ms: int) -> list[Entry]:
        reply = await self.redis.xread({self.key: after}, count=PAGE, block=block_ms)
        return _entries(reply[0][1]) if reply else []

    async def range_after(self, after: str, count: int = PAGE) -> list[Entry]:
        return _entries(await self.redis.xrange(self.key, min=f"({after}", max="+", count=count))

    async def exists(self, entry_id: str) -> bool:
        return bool(await self.redis.xrange(self.key, min=entry_id, max=entry_id, count=1))

    async def last_id(self) -> str:
        last = await self.redis.xrevrange(self.key, max="+", min="-", count=1)
        return last[0][0] if last else "0-0"

    async def close(self) -> None:
        await self.redis.aclose()


@cache
def stream() -> MemoryStream | RedisStream:
    """This process's stream: Redis with `REDIS_URL`, else memory."""
    if settings.REDIS_URL:
        return RedisStream(settings.REDIS_URL, settings.EVENTS_STREAM_KEY, settings.EVENTS_STREAM_MAXLEN)
    return MemoryStream(settings.EVENTS_STREAM_MAXLEN)


def reader():
    """A reader of the stream for the running event loop (close it when done)."""
    current = stream()
    return current.reader() if isinstance(current, RedisStream) else current
