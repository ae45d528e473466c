"""`alert.low_stock`, the debounced `dashboard.changed`, and events published by code
(`workshop.events.publish`: jobs' progress to their owner and managers/admins)."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from tests.events.conftest import as_api
from tests.factories import ItemFactory, WorkOrderFactory
from tests.workbooks import workbook_bytes
from workshop import events

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


# ------------------------------------------------------------------------------ alert.low_stock
async def test_an_adjustment_down_to_the_reorder_level_alerts_once(connect, make_user):
    item = await database_sync_to_async(ItemFactory)(
        item_id="INV-LOW", quantity=12, reorder_level=10, unit="kg"
    )
    socket = await connect(topics=["alerts"])
    api = await as_api(await make_user("operator"))

    async def adjust(delta: int):
        status, _ = await api(
            "post", f"/api/v1/items/{item.pk}/adjust/", {"delta": delta, "reason": "correction"}
        )
        assert status == 200

    await adjust(-1)  # 11: still above
    assert await socket.nothing()
    await adjust(-1)  # 10: at the reorder level → the alert
    alert = await socket.recv_event()
    assert alert["event"] == "alert.low_stock"
    assert (alert["resource"], alert["object_id"]) == ("items", item.pk)
    assert alert["data"] == {
        "id": item.pk,
        "item_id": "INV-LOW",
        "item_name": item.item_name,
        "quantity": 10,
        "reorder_level": 10,
        "unit": "kg",
        "shortfall": 0,
    }
    await adjust(-4)  # already low: no new alert
    assert await socket.nothing()
    await adjust(+20)  # back above
    await adjust(-19)  # 7: falls again
    assert (await socket.recv_event())["data"]["quantity"] == 7
    assert await socket.nothing()


async def test_editing_an_item_to_low_stock_alerts(connect, make_user):
    item = await database_sync_to_async(ItemFactory)(quantity=20, reorder_level=5)
    socket = await connect(topics=["alerts"])
    api = await as_api(await make_user("manager"))
    status, _ = await api("patch", f"/api/v1/items/{item.pk}/", {"item_name": "Renamed"})
    assert status == 200
    assert await socket.nothing()
    status, _ = await api(
        "patch", f"/api/v1/items/{item.pk}/", {"reorder_level": 25}
    )  # the level rises past it
    assert status == 200
    alert = await socket.recv_event()
    assert (alert["event"], alert["data"]["shortfall"]) == ("alert.low_stock", 5)


async def test_a_new_item_already_low_is_not_an_alert(connect, make_user):
    socket = await connect(topics=["alerts"])
    api = await as_api(await make_user("manager"))
    status, _ = await api(
        "post", "/api/v1/items/", {"item_id": "INV-NEW", "item_name": "Rods", "quantity": 0}
    )
    assert status == 201
    assert await socket.nothing()


async def test_an_import_that_takes_items_to_low_stock_alerts_for_each(connect, make_user):
    await database_sync_to_async(ItemFactory)(item_id="INV-A", quantity=50, reorder_level=10)
    await database_sync_to_async(ItemFactory)(item_id="INV-B", quantity=50, reorder_level=10)
    await database_sync_to_async(ItemFactory)(item_id="INV-C", quantity=5, reorder_level=10)
    manager = await make_user("manager")
    socket = await connect(manager, topics=["alerts"])
    client = (await as_api(manager)).client
    rows = [
        ["item_id", "item_name", "quantity", "reorder_level"],
        ["INV-A", "A", 3, 10],
        ["INV-B", "B", 40, 10],
        ["INV-C", "C", 1, 10],
    ]

    def upload():
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(
            "/api/v1/items/import/",
            {"file": SimpleUploadedFile("i.xlsx", workbook_bytes(rows))},
            format="multipart",
        )

    response = await database_sync_to_async(upload)()
    assert response.status_code == 201, response.content
    alert = await socket.recv_event()
    assert (alert["event"], alert["data"]["item_id"], alert["data"]["quantity"]) == (
        "alert.low_stock",
        "INV-A",
        3,
    )
    assert await socket.nothing()  # B stays above, C was low already


async def test_a_refused_adjustment_alerts_nothing(connect, make_user):
    item = await database_sync_to_async(ItemFactory)(quantity=12, reorder_level=10)
    socket = await connect(topics=["alerts", "items"])
    api = await as_api(await make_user("operator"))
    status, _ = await api("post", f"/api/v1/items/{item.pk}/adjust/", {"delta": -13, "reason": "consumption"})
    assert status == 409
    assert await socket.nothing()


# ------------------------------------------------------------------------------ dashboard.changed
async def test_dashboard_changes_are_told_at_most_once_a_second_and_the_last_one_always(connect):
    socket = await connect(topics=["dashboard"])
    started = time.monotonic()
    for n in range(5):  # five committed writes in quick succession
        await database_sync_to_async(WorkOrderFactory)(order_id=f"WO-D{n}", assigned_welder=None)
    first = await socket.recv_event()
    assert first["event"] == "dashboard.changed"
    assert (first["resource"], first["object_id"], first["data"]) == (None, None, {})
    assert time.monotonic() - started < 1
    trailing = await socket.recv_event(timeout=3)  # the changes after it, told once, a second later
    assert trailing["event"] == "dashboard.changed"
    assert time.monotonic() - started >= 0.9
    assert trailing["id"] > first["id"]
    assert await socket.nothing(timeout=1.3)


async def test_a_change_after_a_quiet_second_is_told_at_once(connect):
    socket = await connect(topics=["dashboard"])
    await database_sync_to_async(WorkOrderFactory)(assigned_welder=None)
    await socket.recv_event()
    await asyncio.sleep(1.1)
    started = time.monotonic()
    await database_sync_to_async(WorkOrderFactory)(assigned_welder=None)
    await socket.recv_event()
    assert time.monotonic() - started < 0.5


async def test_the_dashboard_is_invalidated_before_the_event_is_sent(connect, make_user, settings):
    """A client that reloads the dashboard on the event reads the new figures."""
    settings.DASHBOARD_CACHE_SECONDS = 60
    viewer = await make_user("viewer")
    api = await as_api(viewer)
    socket = await connect(viewer, topics=["dashboard"])
    status, before = await api("get", "/api/v1/dashboard/stats")
    assert status == 200
    await database_sync_to_async(WorkOrderFactory)(assigned_welder=None)
    await socket.recv_event()
    _, after = await api("get", "/api/v1/dashboard/stats")
    assert after["work_orders"]["total"] == before["work_orders"]["total"] + 1


# ------------------------------------------------------------------------------ publish()
async def test_job_events_go_to_their_owner_and_managers_and_admins(connect, make_user):
    owner, other, manager, admin = [await make_user(r) for r in ("operator", "operator", "manager", "admin")]
    sockets = {
        name: await connect(user, topics=["jobs"])
        for name, user in [("owner", owner), ("other", other), ("manager", manager), ("admin", admin)]
    }

    def progress():
        with transaction.atomic():
            events.publish(
                "job.progress",
                topic="jobs",
                resource="jobs",
                object_id=7,
                data={"id": 7, "progress": {"done": 5, "total": 10}},
                owner_id=owner.pk,
                on_commit=False,
            )

    await database_sync_to_async(progress)()
    for name in ("owner", "manager", "admin"):
        event = await sockets[name].recv_event()
        assert (event["event"], event["object_id"], event["data"]["progress"]) == (
            "job.progress",
            7,
            {"done": 5, "total": 10},
        )
    assert await sockets["other"].nothing()


async def test_on_commit_false_is_sent_inside_the_transaction(connect):
    socket = await connect(topics=["jobs"])
    sent_inside = []

    def run():
        with transaction.atomic():
            events.publish("job.progress", topic="jobs", data={"done": 1}, on_commit=False)
            events.publish("job.finished", topic="jobs", data={"done": 2})  # after the commit
            time.sleep(0.4)
            sent_inside.append(True)

    task = asyncio.ensure_future(database_sync_to_async(run)())
    early = await socket.recv_event(timeout=0.35)
    assert early["event"] == "job.progress"
    assert not sent_inside
    await task
    assert (await socket.recv_event())["event"] == "job.finished"


async def test_publish_after_a_rollback_sends_nothing(connect):
    socket = await connect(topics=["jobs"])

    def run():
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("job.finished", topic="jobs", data={})
            raise RuntimeError

    await database_sync_to_async(run)()
    assert await socket.nothing(timeout=0.5)


async def test_publish_refuses_an_unknown_topic():
    with pytest.raises(ValueError):
        events.publish("nope.happened", topic="nope", data={})


async def test_the_actor_of_a_job_can_be_bound(connect, make_user):
    user = await make_user("manager")
    socket = await connect(user, topics=["workorders"])

    def run():
        with events.acting(user_id=user.pk, request_id="job-42"):
            WorkOrderFactory(assigned_welder=None)

    await database_sync_to_async(run)()
    event = await socket.recv_event()
    assert (event["actor"], event["request_id"]) == (user.pk, "job-42")
