"""Who may open the live-events socket (SPEC §5): a ticket from `POST /api/v1/auth/ws-ticket`
(single use, 60 s) or the Django session of a same-origin page; close codes 4401 and 4403."""

from __future__ import annotations

import threading

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.db import connections

from tests.events.conftest import issue_ticket, open_socket
from workshop.events import tickets

pytestmark = pytest.mark.django_db(transaction=True)


# ----------------------------------------------------------------------------- the ticket API
def test_a_logged_in_user_gets_a_ticket_valid_for_60_seconds(client_for):
    response = client_for("viewer").post("/api/v1/auth/ws-ticket")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ticket", "expires_in"}
    assert body["expires_in"] == 60
    assert len(body["ticket"]) >= 40


def test_tickets_need_a_login(anon):
    response = anon.post("/api/v1/auth/ws-ticket")
    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHORIZED"


def test_every_ticket_is_new(client_for):
    api = client_for("viewer")
    first, second = (api.post("/api/v1/auth/ws-ticket").json()["ticket"] for _ in range(2))
    assert first != second


def test_the_ticket_api_is_rate_limited(client_for, settings):
    settings.RATELIMIT_GENERAL = "2/h"
    api = client_for("viewer")
    answers = [api.post("/api/v1/auth/ws-ticket").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


class BrokenCache:
    """A cache whose server does not answer."""

    def __getattr__(self, name):
        def broken(*args, **kwargs):
            raise ConnectionError("cache down")

        return broken


def test_a_ticket_store_outage_is_503(client_for, monkeypatch):
    monkeypatch.setattr(tickets, "cache", BrokenCache())
    response = client_for("viewer").post("/api/v1/auth/ws-ticket")
    assert response.status_code == 503
    assert response.json()["error_code"] == "SERVICE_UNAVAILABLE"


def test_the_ticket_api_is_in_the_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/auth/ws-ticket/"]["post"]
    assert operation["summary"]
    assert {"200", "401", "429"} <= set(operation["responses"])


# ------------------------------------------------------------------------- redeeming tickets
def test_a_ticket_is_good_for_one_use_even_when_raced(django_user_model):
    from tests.factories import UserFactory

    user = UserFactory(role="viewer")
    for _ in range(5):
        ticket = issue_ticket(user)
        start = threading.Barrier(8)
        winners = []

        def redeem(ticket=ticket, start=start, winners=winners):
            start.wait()
            try:
                found = tickets.redeem(ticket)
                if found is not None:
                    winners.append(found.pk)
            finally:
                connections.close_all()  # this thread's connection goes back

        threads = [threading.Thread(target=redeem) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert winners == [user.pk]


def test_an_expired_ticket_is_refused(monkeypatch):
    from tests.factories import UserFactory

    user = UserFactory(role="viewer")
    ticket = issue_ticket(user)
    now = tickets.time.time()
    monkeypatch.setattr(tickets.time, "time", lambda: now + 61)
    assert tickets.redeem(ticket) is None
    monkeypatch.undo()
    assert tickets.redeem(ticket) is None  # and it is used up


# ------------------------------------------------------------------------------- the socket
@pytest.mark.asyncio
async def test_no_ticket_is_closed_4401():
    socket, accepted = await open_socket("/ws/v1/events")
    assert accepted  # accepted, then closed: browsers only see a close code after an accept
    assert await socket.closed_with() == 4401


@pytest.mark.asyncio
async def test_an_unknown_ticket_is_closed_4401():
    socket, _ = await open_socket("/ws/v1/events?ticket=not-a-ticket")
    assert await socket.closed_with() == 4401


@pytest.mark.asyncio
async def test_a_ticket_opens_one_socket_only(make_user):
    user = await make_user("viewer")
    ticket = await database_sync_to_async(issue_ticket)(user)
    first, _ = await open_socket(f"/ws/v1/events?ticket={ticket}")
    await first.send({"type": "ping"})
    assert await first.recv() == {"type": "pong"}
    second, _ = await open_socket(f"/ws/v1/events?ticket={ticket}")
    assert await second.closed_with() == 4401
    await first.close()


@pytest.mark.asyncio
async def test_an_expired_ticket_is_closed_4401(make_user, monkeypatch):
    user = await make_user("viewer")
    ticket = await database_sync_to_async(issue_ticket)(user)
    now = tickets.time.time()
    monkeypatch.setattr(tickets.time, "time", lambda: now + tickets.TICKET_SECONDS + 1)
    socket, _ = await open_socket(f"/ws/v1/events?ticket={ticket}")
    assert await socket.closed_with() == 4401


@pytest.mark.asyncio
async def test_a_ticket_of_a_user_deactivated_since_is_closed_4401(make_user):
    user = await make_user("viewer")
    ticket = await database_sync_to_async(issue_ticket)(user)
    await database_sync_to_async(get_user_model().objects.filter(pk=user.pk).update)(is_active=False)
    socket, _ = await open_socket(f"/ws/v1/events?ticket={ticket}")
    assert await socket.closed_with() == 4401


@pytest.mark.asyncio
async def test_a_ticket_store_outage_closes_1011(make_user, monkeypatch):
    user = await make_user("viewer")
    ticket = await database_sync_to_async(issue_ticket)(user)
    monkeypatch.setattr(tickets, "cache", BrokenCache())
    socket, _ = await open_socket(f"/ws/v1/events?ticket={ticket}")
    assert await socket.closed_with() == 1011


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "null", "http://localhost.evil.example", "file://"],
)
async def test_an_origin_outside_the_allowed_hosts_is_closed_4403(make_user, origin):
    user = await make_user("viewer")
    ticket = await database_sync_to_async(issue_ticket)(user)
    socket, _ = await open_socket(f"/ws/v1/events?ticket={ticket}", headers=[(b"origin", origin.encode())])
    assert await socket.closed_with() == 4403
    # The ticket was not spent on the refused socket.
    again, _ = await open_socket(f"/ws/v1/events?ticket={ticket}")
    await again.send({"type": "ping"})
    assert await again.recv() == {"type": "pong"}
    await again.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:8000", "https://testserver"])
async def test_allowed_origins_and_no_origin_get_in(make_user, origin, settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:3000"]
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    user = await make_user("viewer")
    for headers in ([(b"origin", origin.encode())], []):
        ticket = await database_sync_to_async(issue_ticket)(user)
        socket, _ = await open_socket(f"/ws/v1/events?ticket={ticket}", headers=headers)
        await socket.send({"type": "ping"})
        assert await socket.recv() == {"type": "pong"}
        await socket.close()


def _session_cookie(user) -> bytes:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.asyncio
async def test_a_same_origin_browser_gets_in_with_its_session(make_user):
    user = await make_user("viewer")
    cookie = await database_sync_to_async(_session_cookie)(user)
    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver"), (b"cookie", cookie)]
    socket, _ = await open_socket("/ws/v1/events", headers=headers)
    ack = await socket.subscribe("workorders")
    assert ack["topics"] == ["workorders"]
    await socket.close()


@pytest.mark.asyncio
async def test_a_session_from_another_allowed_origin_needs_a_ticket(make_user, settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:3000"]
    user = await make_user("viewer")
    cookie = await database_sync_to_async(_session_cookie)(user)
    headers = [(b"host", b"testserver"), (b"origin", b"http://localhost:3000"), (b"cookie", cookie)]
    socket, _ = await open_socket("/ws/v1/events", headers=headers)
    assert await socket.closed_with() == 4401


@pytest.mark.asyncio
async def test_a_session_of_a_deactivated_user_is_closed_4401(make_user):
    user = await make_user("viewer")
    cookie = await database_sync_to_async(_session_cookie)(user)
    await database_sync_to_async(get_user_model().objects.filter(pk=user.pk).update)(is_active=False)
    socket, _ = await open_socket("/ws/v1/events", headers=[(b"cookie", cookie)])
    assert await socket.closed_with() == 4401


@pytest.mark.asyncio
async def test_other_socket_paths_are_refused():
    from channels.testing import WebsocketCommunicator

    from workshop.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/v1/other")
    accepted, _ = await communicator.connect()
    assert not accepted
