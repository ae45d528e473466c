"""The socket's protocol: subscribe/unsubscribe with an ack, errors that keep the socket open."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_subscribing_is_acknowledged_with_the_topics(connect):
    socket = await connect()
    ack = await socket.subscribe("workorders", "dashboard")
    assert ack["topics"] == ["dashboard", "workorders"]
    assert ack["last_event_id"]  # where the socket is covered from (resume point)
    ack = await socket.subscribe("alerts")
    assert ack["topics"] == ["alerts", "dashboard", "workorders"]
    await socket.send({"type": "unsubscribe", "topics": ["dashboard"]})
    ack = await socket.recv()
    assert ack["type"] == "subscribed"
    assert ack["topics"] == ["alerts", "workorders"]


async def test_every_routed_resource_is_a_topic(connect, make_user):
    from workshop.api.router import router

    admin = await make_user("admin")
    socket = await connect(admin)
    # Every routed resource but those that send no events of their own (webhook endpoints).
    names = [prefix for prefix, viewset, _basename in router.registry if prefix != "webhooks"]
    assert {"workorders", "stock-movements", "users", "imports", "schedules"} <= set(names)
    ack = await socket.subscribe(*names, "jobs", "dashboard", "alerts")
    assert set(ack["topics"]) == {*names, "jobs", "dashboard", "alerts"}


async def test_an_unknown_topic_is_an_error_and_the_socket_stays_open(connect):
    socket = await connect()
    await socket.subscribe("workorders")
    await socket.send({"type": "subscribe", "topics": ["items", "wrokorders"]})
    error = await socket.recv()
    assert error["type"] == "error"
    assert error["error_code"] == "UNKNOWN_TOPIC"
    assert error["topics"] == ["wrokorders"]
    # Nothing changed, and the socket still answers.
    await socket.send({"type": "ping"})
    assert await socket.recv() == {"type": "pong"}
    ack = await socket.subscribe("items")
    assert ack["topics"] == ["items", "workorders"]


@pytest.mark.parametrize(
    "message, code",
    [
        ("not json", "BAD_REQUEST"),
        ("[1, 2]", "BAD_REQUEST"),
        ('{"type": "subscribe"}', "VALIDATION_ERROR"),
        ('{"type": "subscribe", "topics": "workorders"}', "VALIDATION_ERROR"),
        ('{"type": "subscribe", "topics": [1]}', "VALIDATION_ERROR"),
        ('{"type": "hello"}', "BAD_REQUEST"),
        ('{"no": "type"}', "BAD_REQUEST"),
        ('{"type": "ping", "pad": "' + "x" * 20000 + '"}', "BAD_REQUEST"),
    ],
)
async def test_a_malformed_message_is_an_error_and_the_socket_stays_open(connect, message, code):
    socket = await connect()
    await socket.send(message)
    error = await socket.recv()
    assert error["type"] == "error"
    assert error["error_code"] == code
    assert error["detail"]
    await socket.send({"type": "ping"})
    assert await socket.recv() == {"type": "pong"}


async def test_binary_frames_are_an_error(connect):
    socket = await connect()
    await socket.communicator.send_to(bytes_data=b"\x00\x01")
    assert (await socket.recv())["error_code"] == "BAD_REQUEST"


async def test_a_topic_the_role_may_not_read_is_refused(connect, make_user):
    socket = await connect(await make_user("manager"))
    await socket.send({"type": "subscribe", "topics": ["workorders", "users"]})
    error = await socket.recv()
    assert error["error_code"] == "FORBIDDEN_TOPIC"
    assert error["topics"] == ["users"]
    ack = await socket.subscribe("workorders")
    assert ack["topics"] == ["workorders"]


async def test_a_user_without_a_role_may_subscribe_to_nothing(connect, make_user):
    socket = await connect(await make_user(""))
    await socket.send({"type": "subscribe", "topics": ["dashboard"]})
    assert (await socket.recv())["error_code"] == "FORBIDDEN_TOPIC"


async def test_topics_in_the_query_string_subscribe_at_once(connect):
    socket = await connect(query="&topics=workorders,items")
    ack = await socket.recv()
    assert ack["type"] == "subscribed"
    assert ack["topics"] == ["items", "workorders"]


async def test_an_unknown_topic_in_the_query_string_is_an_error(connect):
    socket = await connect(query="&topics=workorders,nope")
    error = await socket.recv()
    assert error["error_code"] == "UNKNOWN_TOPIC"
    await socket.send({"type": "ping"})
    assert await socket.recv() == {"type": "pong"}


async def test_a_socket_that_falls_behind_is_closed_4408(connect, monkeypatch):
    """More events waiting for a client than MAX_PENDING: closed, to reconnect and replay."""
    from workshop.events import consumer

    socket = await connect()
    monkeypatch.setattr(consumer, "MAX_PENDING", 0)
    await socket.send({"type": "subscribe", "topics": ["workorders"]})
    assert await socket.closed_with() == 4408


async def test_an_unreachable_stream_closes_1011(make_user, monkeypatch):
    from channels.db import database_sync_to_async

    from tests.events.conftest import issue_ticket, open_socket
    from workshop.events import hub

    class Down:
        async def last_id(self):
            raise ConnectionError("redis down")

        async def close(self):
            pass

    user = await make_user("viewer")
    ticket = await database_sync_to_async(issue_ticket)(user)
    monkeypatch.setattr(hub, "reader", Down)
    socket, _ = await open_socket(f"/ws/v1/events?ticket={ticket}")
    assert await socket.closed_with() == 1011
