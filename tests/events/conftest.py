"""Sockets on the live-events endpoint through Channels' `WebsocketCommunicator`: the whole
ASGI application (`workshop.asgi`), the real channel layer and stream of the run (Redis on the
PostgreSQL run, memory on the SQLite run), writes committed for real
(`django_db(transaction=True)`)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import types

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async

if importlib.util.find_spec("daphne") is None:
    # channels.testing's __init__ imports daphne for ChannelsLiveServerTestCase alone, which
    # this suite does not use (it starts real servers itself, test_server_sockets.py): a
    # stand-in lets the communicators import without installing another server.
    sys.modules["daphne"] = types.ModuleType("daphne")
    sys.modules["daphne.testing"] = types.SimpleNamespace(DaphneProcess=None)

from channels.testing import WebsocketCommunicator  # noqa: E402

from tests.conftest import bearer_client
from tests.factories import UserFactory
from workshop.events import tickets

TIMEOUT = 5


class Socket:
    """A client socket with helpers to read the server's JSON messages."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator

    async def recv(self, timeout: float = TIMEOUT) -> dict:
        return await self.communicator.receive_json_from(timeout=timeout)

    async def recv_event(self, timeout: float = TIMEOUT) -> dict:
        """The next message, which must be an event."""
        message = await self.recv(timeout)
        assert message["type"] == "event", message
        return message

    async def send(self, message) -> None:
        if isinstance(message, str):
            await self.communicator.send_to(text_data=message)
        else:
            await self.communicator.send_json_to(message)

    async def subscribe(self, *topics: str) -> dict:
        await self.send({"type": "subscribe", "topics": list(topics)})
        ack = await self.recv()
        assert ack["type"] == "subscribed", ack
        return ack

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def closed_with(self, timeout: float = TIMEOUT) -> int | None:
        """The close code the server sent (after accepting)."""
        while True:
            message = await self.communicator.receive_output(timeout=timeout)
            if message["type"] == "websocket.close":
                return message.get("code")

    async def close(self) -> None:
        await self.communicator.disconnect()


async def open_socket(path: str = "/ws/v1/events", headers=None) -> tuple[Socket, bool]:
    """Connect; `(socket, accepted)` (a refused socket is accepted, then closed with a code)."""
    from workshop.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers or [])
    accepted, _ = await communicator.connect(timeout=TIMEOUT)
    return Socket(communicator), accepted


def without_live_events(callbacks: list) -> list:
    """On-commit callbacks other than the live events' own (for tests that list them)."""
    return [callback for callback in callbacks if not getattr(callback, "live_events", False)]


def issue_ticket(user) -> str:
    return tickets.issue(user)["ticket"]


@pytest.fixture
def make_user():
    """`await make_user("viewer")`: a new user with that role."""

    async def make(role: str = "viewer", **kwargs):
        return await database_sync_to_async(UserFactory)(role=role, **kwargs)

    return make


@pytest_asyncio.fixture
async def connect(make_user):
    """`socket = await connect(user, topics=...)`: a socket with a fresh ticket for `user`
    (a new viewer when None), subscribed to `topics` when given."""
    opened = []

    async def make(user=None, *, topics=(), query: str = "", headers=None) -> Socket:
        user = user or await make_user("viewer")
        ticket = await database_sync_to_async(issue_ticket)(user)
        socket, accepted = await open_socket(f"/ws/v1/events?ticket={ticket}{query}", headers)
        assert accepted
        opened.append(socket)
        if topics:
            await socket.subscribe(*topics)
        return socket

    yield make
    for socket in opened:
        with contextlib.suppress(Exception):  # closed by the server already
            await socket.close()


class Api:
    """A JWT client whose calls run in a thread (the ORM is sync): `status, body = await
    api("post", path, data)`; `api.client` for anything else."""

    def __init__(self, client):
        self.client = client

    async def __call__(self, method: str, path: str, data=None, **extra):
        call = getattr(self.client, method)
        kwargs = {"format": "json"} if data is not None else {}
        response = await database_sync_to_async(call)(path, data, **kwargs, **extra)
        body = json.loads(response.content) if response.content else None
        return response.status_code, body


async def as_api(user) -> Api:
    return Api(await database_sync_to_async(bearer_client)(user))
