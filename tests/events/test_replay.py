"""Nothing lost on reconnect (SPEC §5): `?last_event_id=` replays what the socket missed, in
order, filtered like live events, then hands over to live events without a gap or a
duplicate; an id the stream no longer holds (or older than EVENTS_REPLAY_SECONDS) is a
`reset`. Also: a socket closes (4401) when its user is deactivated or deleted."""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model

from tests.events.conftest import as_api
from tests.factories import EquipmentFactory, ItemFactory, WorkOrderFactory
from workshop import events
from workshop.events.streams import RedisStream, stream

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def order(n: int | str):
    return WorkOrderFactory(order_id=f"WO-R{n}", assigned_welder=None)


async def test_a_reconnecting_socket_gets_what_it_missed_then_live_events(connect, make_user):
    viewer = await make_user("viewer")
    socket = await connect(viewer, topics=["workorders", "items"])
    await database_sync_to_async(order)(1)
    seen = await socket.recv_event()
    await socket.close()

    def meanwhile():
        order(2)
        ItemFactory(item_id="INV-R1")
        EquipmentFactory()  # not subscribed
        events.publish("job.finished", topic="jobs", data={}, owner_id=viewer.pk)  # not subscribed
        order(3)

    await database_sync_to_async(meanwhile)()
    again = await connect(viewer, query=f"&last_event_id={seen['id']}")
    ack = await again.subscribe("workorders", "items")
    assert ack["last_event_id"] == seen["id"]
    missed = [await again.recv_event() for _ in range(3)]
    assert [(e["event"], e["data"].get("order_id") or e["data"].get("item_id")) for e in missed] == [
        ("workorder.created", "WO-R2"),
        ("item.created", "INV-R1"),
        ("workorder.created", "WO-R3"),
    ]
    assert await again.nothing()
    await database_sync_to_async(order)(4)
    live = await again.recv_event()
    assert live["data"]["order_id"] == "WO-R4"
    assert live["id"] > missed[-1]["id"]


async def test_topics_and_last_event_id_in_the_query_string_replay_at_once(connect):
    socket = await connect(topics=["workorders"])
    await database_sync_to_async(order)(1)
    seen = await socket.recv_event()
    await database_sync_to_async(order)(2)
    again = await connect(query=f"&topics=workorders&last_event_id={seen['id']}")
    assert (await again.recv())["type"] == "subscribed"
    assert (await again.recv_event())["data"]["order_id"] == "WO-R2"


async def test_the_acks_last_event_id_is_a_resume_point(connect, make_user):
    viewer = await make_user("viewer")
    socket = await connect(viewer)
    ack = await socket.subscribe("workorders")
    await socket.close()
    await database_sync_to_async(order)(1)
    again = await connect(viewer, query=f"&last_event_id={ack['last_event_id']}")
    await again.subscribe("workorders")
    assert (await again.recv_event())["data"]["order_id"] == "WO-R1"


async def test_replay_is_filtered_by_role(connect, make_user):
    admin, viewer, other = await make_user("admin"), await make_user("viewer"), await make_user("operator")
    socket = await connect(viewer, topics=["jobs", "workorders"])
    await database_sync_to_async(order)(1)
    seen = await socket.recv_event()
    await socket.close()

    def meanwhile():
        events.publish("job.finished", topic="jobs", data={"n": 1}, owner_id=other.pk)
        events.publish("job.finished", topic="jobs", data={"n": 2}, owner_id=viewer.pk)
        admin.email = "boss@example.com"
        admin.save()  # users: admins only
        order(2)

    await database_sync_to_async(meanwhile)()
    again = await connect(viewer, query=f"&last_event_id={seen['id']}")
    await again.subscribe("jobs", "workorders")
    first, second = await again.recv_event(), await again.recv_event()
    assert (first["event"], first["data"]) == ("job.finished", {"n": 2})
    assert second["data"]["order_id"] == "WO-R2"
    assert await again.nothing()


async def test_no_gap_and_no_duplicate_while_writes_go_on_during_the_replay(connect, make_user):
    viewer = await make_user("viewer")
    socket = await connect(viewer, topics=["workorders"])
    await database_sync_to_async(order)("start")
    seen = await socket.recv_event()
    await socket.close()
    await database_sync_to_async(lambda: [order(f"before-{n}") for n in range(40)])()
    stop = threading.Event()
    written = []

    def keep_writing():
        n = 0
        while not stop.is_set() and n < 200:
            order(f"during-{n}")
            written.append(f"WO-Rduring-{n}")
            n += 1

    writer = asyncio.ensure_future(database_sync_to_async(keep_writing, thread_sensitive=False)())
    await asyncio.sleep(0.05)
    again = await connect(viewer, query=f"&last_event_id={seen['id']}")
    await again.subscribe("workorders")
    await asyncio.sleep(0.3)
    stop.set()
    await writer
    expected = [f"WO-Rbefore-{n}" for n in range(40)] + written
    received = [(await again.recv_event())["data"]["order_id"] for _ in expected]
    assert received == expected
    assert await again.nothing(timeout=0.5)


def _trim_to(count: int) -> None:
    current = stream()
    if isinstance(current, RedisStream):
        current._client().xtrim(current.key, maxlen=count, approximate=False)
    else:
        while len(current._entries) > count:
            current._entries.popleft()


@pytest.mark.parametrize("last_event_id", ["1-0", "garbage", "99999999999999-0"])
async def test_an_id_the_stream_does_not_hold_is_a_reset(connect, last_event_id):
    await database_sync_to_async(order)(1)
    socket = await connect(query=f"&last_event_id={last_event_id}")
    ack = await socket.subscribe("workorders")
    reset = await socket.recv()
    assert reset["type"] == "reset"
    assert reset["last_event_id"] == ack["last_event_id"]
    await database_sync_to_async(order)(2)  # live events follow the reset
    assert (await socket.recv_event())["data"]["order_id"] == "WO-R2"


async def test_an_id_trimmed_from_the_stream_is_a_reset(connect):
    socket = await connect(topics=["workorders"])
    await database_sync_to_async(order)(1)
    seen = await socket.recv_event()
    await database_sync_to_async(lambda: [order(n) for n in range(2, 5)])()
    await database_sync_to_async(_trim_to)(1)
    again = await connect(query=f"&last_event_id={seen['id']}")
    await again.subscribe("workorders")
    assert (await again.recv())["type"] == "reset"


async def test_an_id_older_than_the_replay_window_is_a_reset(connect, settings):
    socket = await connect(topics=["workorders"])
    await database_sync_to_async(order)(1)
    seen = await socket.recv_event()
    await asyncio.sleep(0.01)
    settings.EVENTS_REPLAY_SECONDS = 0
    again = await connect(query=f"&last_event_id={seen['id']}")
    await again.subscribe("workorders")
    reset = await again.recv()
    assert (reset["type"], reset["reason"]) == ("reset", "too_old")


# -------------------------------------------------------------------------------- deactivation
async def test_deactivating_a_user_closes_their_sockets(connect, make_user):
    admin, viewer, bystander = await make_user("admin"), await make_user("viewer"), await make_user("viewer")
    api = await as_api(admin)
    sockets = [await connect(viewer, topics=["workorders"]) for _ in range(2)]
    other = await connect(bystander, topics=["workorders"])
    status, _ = await api("patch", f"/api/v1/users/{viewer.pk}/", {"is_active": False})
    assert status == 200
    for socket in sockets:
        assert await socket.closed_with() == 4401
    await other.send({"type": "ping"})
    assert await other.recv() == {"type": "pong"}


async def test_a_user_deactivated_outside_the_api_is_closed_too(connect, make_user):
    """The admin, a shell or a command saves the user: the same signal closes the sockets."""
    viewer = await make_user("viewer")
    socket = await connect(viewer, topics=["workorders"])

    def deactivate():
        user = get_user_model().objects.get(pk=viewer.pk)
        user.is_active = False
        user.save()

    await database_sync_to_async(deactivate)()
    assert await socket.closed_with() == 4401


async def test_deleting_a_user_closes_their_sockets(connect, make_user):
    admin, viewer = await make_user("admin"), await make_user("viewer")
    api = await as_api(admin)
    socket = await connect(viewer, topics=["workorders"])
    status, _ = await api("delete", f"/api/v1/users/{viewer.pk}/")
    assert status == 200
    assert await socket.closed_with() == 4401


async def test_a_demoted_admin_stops_getting_user_events(connect, make_user):
    admin, boss = await make_user("admin"), await make_user("admin")
    socket = await connect(admin, topics=["users"])
    api = await as_api(boss)
    status, _ = await api("patch", f"/api/v1/users/{admin.pk}/", {"role": "manager"})
    assert status == 200
    # The change itself is told while still an admin; the socket re-reads the user after it
    # (the nudge follows the transaction's events in the stream), and filters what comes next.
    assert (await socket.recv_event())["event"] == "user.updated"
    status, _ = await api("patch", f"/api/v1/users/{boss.pk}/", {"email": "boss@example.com"})
    assert status == 200
    assert await socket.nothing(timeout=0.5)
