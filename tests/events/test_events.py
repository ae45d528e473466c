"""Resource events (SPEC §5): `<resource>.created|updated|deleted` with the API's detail
representation, after the commit only, one per record per transaction, to the roles that may
read the resource; `import.finished` once per import; the envelope."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from tests.events.conftest import as_api
from tests.factories import EmployeeFactory, ItemFactory, WorkOrderFactory
from tests.workbooks import workbook_bytes
from workorders.models import WorkOrder

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ENVELOPE = {"type", "id", "event", "resource", "object_id", "data", "at", "actor", "request_id"}


async def test_an_api_write_sends_the_api_representation(connect, make_user):
    manager = await make_user("manager")
    socket = await connect(topics=["workorders"])
    api = await as_api(manager)
    status, created = await api("post", "/api/v1/workorders/", {"order_id": "WO-7001", "client": "Acme"})
    assert status == 201
    event = await socket.recv_event()
    assert set(event) == ENVELOPE
    assert event["event"] == "workorder.created"
    assert event["resource"] == "workorders"
    assert event["object_id"] == created["id"]
    assert event["actor"] == manager.pk
    assert event["request_id"]
    assert event["at"].endswith("Z")
    _, detail = await api("get", f"/api/v1/workorders/{created['id']}/")
    assert event["data"] == detail == created

    status, changed = await api("patch", f"/api/v1/workorders/{created['id']}/", {"status": "in_progress"})
    assert status == 200
    event = await socket.recv_event()
    assert event["event"] == "workorder.updated"
    assert event["data"] == changed

    status, _ = await api("delete", f"/api/v1/workorders/{created['id']}/")
    assert status == 200
    event = await socket.recv_event()
    assert event["event"] == "workorder.deleted"
    assert event["object_id"] == created["id"]
    assert event["data"] == changed  # the representation before the delete
    assert await socket.nothing()


async def test_the_request_id_is_the_requests(connect, make_user):
    manager = await make_user("manager")
    socket = await connect(topics=["equipment"])
    api = await as_api(manager)
    status, _ = await api(
        "post",
        "/api/v1/equipment/",
        {"equipment_id": "EQ-1", "name": "MIG 250"},
        HTTP_X_REQUEST_ID="req-events-1",
    )
    assert status == 201
    event = await socket.recv_event()
    assert event["event"] == "equipment.created"
    assert event["request_id"] == "req-events-1"


async def test_ids_only_grow(connect, make_user):
    socket = await connect(topics=["workorders"])
    for n in range(3):
        await database_sync_to_async(WorkOrderFactory)(order_id=f"WO-{n}")
    ids = [(await socket.recv_event())["id"] for _ in range(3)]
    keys = [tuple(int(part) for part in i.split("-")) for i in ids]
    assert keys == sorted(keys) and len(set(keys)) == 3


async def test_writes_outside_the_api_send_events_too_with_no_actor(connect):
    """Services, management commands and shells save rows one at a time like the API."""
    socket = await connect(topics=["workorders", "employees"])
    employee = await database_sync_to_async(EmployeeFactory)(employee_id="EMP-9")
    event = await socket.recv_event()
    assert (event["event"], event["object_id"], event["actor"]) == ("employee.created", employee.pk, None)
    order = await database_sync_to_async(WorkOrderFactory)(assigned_welder=employee)
    event = await socket.recv_event()
    assert event["event"] == "workorder.created"
    assert event["data"]["assigned_welder"] == "EMP-9"
    assert event["data"]["order_id"] == order.order_id


async def test_nothing_is_sent_before_the_commit(connect):
    socket = await connect(topics=["workorders"])
    in_transaction = []

    def write():
        with transaction.atomic():
            WorkOrderFactory(order_id="WO-PENDING")
            in_transaction.append(True)
            import time

            time.sleep(0.5)  # the socket gets nothing meanwhile (checked below)

    writer = asyncio.ensure_future(database_sync_to_async(write)())
    assert await socket.nothing(timeout=0.3)
    assert in_transaction == [True]
    await writer
    event = await socket.recv_event()
    assert event["data"]["order_id"] == "WO-PENDING"


async def test_a_rollback_sends_nothing(connect):
    socket = await connect(topics=["workorders"])

    class Undo(Exception):
        pass

    def write():
        try:
            with transaction.atomic():
                order = WorkOrderFactory(order_id="WO-GONE")
                order.status = "in_progress"
                order.save()
                raise Undo
        except Undo:
            pass

    await database_sync_to_async(write)()
    assert await socket.nothing(timeout=0.5)
    assert not await database_sync_to_async(WorkOrder.objects.filter(order_id="WO-GONE").exists)()


async def test_a_rolled_back_savepoint_sends_nothing_for_its_writes(connect):
    socket = await connect(topics=["workorders"])

    def write():
        with transaction.atomic():
            WorkOrderFactory(order_id="WO-KEPT")
            try:
                with transaction.atomic():
                    WorkOrderFactory(order_id="WO-UNDONE")
                    raise ValueError
            except ValueError:
                pass
            WorkOrderFactory(order_id="WO-AFTER")

    await database_sync_to_async(write)()
    events = [await socket.recv_event() for _ in range(2)]
    assert [e["data"]["order_id"] for e in events] == ["WO-KEPT", "WO-AFTER"]
    assert await socket.nothing()


async def test_a_failed_api_write_sends_nothing(connect, make_user):
    socket = await connect(topics=["workorders"])
    api = await as_api(await make_user("manager"))
    await database_sync_to_async(WorkOrderFactory)(order_id="WO-TAKEN")
    assert (await socket.recv_event())["event"] == "workorder.created"
    status, _ = await api("post", "/api/v1/workorders/", {"order_id": "WO-TAKEN", "client": "X"})
    assert status == 409
    assert await socket.nothing()


async def test_repeated_saves_in_one_transaction_are_one_event(connect, django_assert_max_num_queries):
    socket = await connect(topics=["workorders"])

    def write():
        with transaction.atomic():
            order = WorkOrderFactory(order_id="WO-MANY", status="pending")
            for status in ("in_progress", "on_hold", "completed"):
                order.status = status
                order.save()
            other = WorkOrderFactory(order_id="WO-OTHER")
            other.client = "Changed"
            other.save()

    await database_sync_to_async(write)()
    first, second = await socket.recv_event(), await socket.recv_event()
    assert (first["event"], first["data"]["order_id"], first["data"]["status"]) == (
        "workorder.created",
        "WO-MANY",
        "completed",
    )
    assert (second["event"], second["data"]["client"]) == ("workorder.created", "Changed")
    assert await socket.nothing()


async def test_the_representations_of_a_transaction_are_read_once(make_user):
    """One query for the rows of a resource (plus its serializer's prefetch), whatever the
    number of saves: the representation is built once per record and transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workshop.events import capture

    def write():
        orders = [WorkOrderFactory(order_id=f"WO-Q{n}", assigned_welder=None) for n in range(5)]
        with CaptureQueriesContext(connection) as queries:
            with transaction.atomic():
                for order in orders * 3:
                    order.client = f"{order.client}!"
                    order.save()
        reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
        return reads

    reads = await database_sync_to_async(write)()
    # The webhooks' lookup of the active endpoints, once per batch of events sent (the work
    # orders' events, then `dashboard.changed`).
    webhooks = [sql for sql in reads if '"webhooks_endpoint"' in sql]
    assert len(webhooks) <= 2, webhooks
    reads = [sql for sql in reads if sql not in webhooks]
    # The work orders with their welders (one query) and their inspections (the prefetch).
    assert len(reads) == 2, reads
    assert capture.publish_writes  # (module in use)


async def test_created_then_deleted_in_one_transaction_sends_nothing(connect):
    socket = await connect(topics=["workorders"])

    def write():
        with transaction.atomic():
            WorkOrderFactory(order_id="WO-BRIEF").delete()

    await database_sync_to_async(write)()
    assert await socket.nothing(timeout=0.5)


async def test_updated_then_deleted_in_one_transaction_is_deleted(connect):
    order = await database_sync_to_async(WorkOrderFactory)(order_id="WO-LAST", assigned_welder=None)
    socket = await connect(topics=["workorders"])

    def write():
        with transaction.atomic():
            order.client = "Final"
            order.save()
            WorkOrder.objects.get(pk=order.pk).delete()

    await database_sync_to_async(write)()
    event = await socket.recv_event()
    assert (event["event"], event["data"]["client"]) == ("workorder.deleted", "Final")
    assert await socket.nothing()


async def test_rows_deleted_by_a_cascade_send_no_events_of_their_own(connect, make_user):
    """An item's stock movements go with it: one `item.deleted`."""
    socket = await connect(await make_user("manager"), topics=["items", "stock-movements"])
    api = await as_api(await make_user("manager"))
    status, item = await api(
        "post", "/api/v1/items/", {"item_id": "INV-C", "item_name": "Rods", "quantity": 5}
    )
    assert status == 201
    received = {(await socket.recv_event())["event"] for _ in range(2)}
    assert received == {"item.created", "stock-movement.created"}
    status, _ = await api("delete", f"/api/v1/items/{item['id']}/")
    assert status == 200
    event = await socket.recv_event()
    assert event["event"] == "item.deleted"
    assert await socket.nothing()


async def test_a_stock_adjustment_sends_the_item_and_its_movement(connect, make_user):
    item = await database_sync_to_async(ItemFactory)(quantity=50, reorder_level=10)
    socket = await connect(topics=["items", "stock-movements"])
    api = await as_api(await make_user("operator"))
    status, reply = await api(
        "post", f"/api/v1/items/{item.pk}/adjust/", {"delta": -3, "reason": "consumption"}
    )
    assert status == 200
    events = {e["event"]: e for e in [await socket.recv_event(), await socket.recv_event()]}
    assert events["item.updated"]["data"]["quantity"] == 47
    assert events["item.updated"]["data"] == reply["item"]
    assert events["stock-movement.created"]["data"] == reply["movement"]


# ------------------------------------------------------------------------------- who receives
async def test_events_go_to_every_role_that_may_read_the_resource(connect, make_user):
    sockets = {
        role: await connect(await make_user(role), topics=["workorders"])
        for role in ("viewer", "operator", "manager", "admin")
    }
    await database_sync_to_async(WorkOrderFactory)(order_id="WO-ALL")
    for socket in sockets.values():
        assert (await socket.recv_event())["data"]["order_id"] == "WO-ALL"


async def test_user_events_go_to_admins_only(connect, make_user):
    admin, manager = await make_user("admin"), await make_user("manager")
    api = await as_api(admin)
    admin_socket = await connect(admin, topics=["users", "workorders"])
    manager_socket = await connect(manager, topics=["workorders"])
    status, user = await api(
        "post", "/api/v1/users/", {"username": "newbie", "password": "A-long-passphrase-77", "role": "viewer"}
    )
    assert status == 201
    event = await admin_socket.recv_event()
    assert (event["event"], event["data"]) == ("user.created", user)
    assert "password" not in event["data"]
    assert await manager_socket.nothing()


async def test_a_role_that_loses_a_permission_stops_receiving(connect, make_user, settings):
    """Events are filtered by the receiving user's role at delivery time."""
    from django.contrib.auth.models import Group, Permission

    viewer = await make_user("viewer")
    socket = await connect(viewer, topics=["workorders", "items"])

    def drop_view_workorder():
        Group.objects.get(name="viewer").permissions.remove(
            Permission.objects.get(codename="view_workorder", content_type__app_label="workorders")
        )
        from workshop import roles

        roles._GROUP_PERMISSIONS.clear()
        viewer.save()  # the user's sockets re-read the user and their role

    await database_sync_to_async(drop_view_workorder)()
    await database_sync_to_async(WorkOrderFactory)(order_id="WO-HIDDEN")
    await database_sync_to_async(ItemFactory)(item_id="INV-SEEN")
    event = await socket.recv_event()
    assert event["event"] == "item.created"
    assert await socket.nothing()


# ------------------------------------------------------------------------------- imports
async def test_an_import_sends_one_import_finished_and_no_event_per_row(connect, make_user):
    manager = await make_user("manager")
    socket = await connect(manager, topics=["items", "imports", "stock-movements"])
    rows = [["item_id", "item_name", "quantity", "reorder_level"]] + [
        [f"INV-{n:03d}", f"Rod {n}", 20, 5] for n in range(30)
    ]
    client = (await as_api(manager)).client

    def upload(dry_run: bool):
        from django.core.files.uploadedfile import SimpleUploadedFile

        file = SimpleUploadedFile("items.xlsx", workbook_bytes(rows))
        return client.post("/api/v1/items/import/", {"file": file, "dry_run": dry_run}, format="multipart")

    response = await database_sync_to_async(upload)(False)
    assert response.status_code == 201, response.content
    record = response.json()
    events = [await socket.recv_event() for _ in range(2)]
    assert [e["event"] for e in events] == ["import.created", "import.finished"]
    finished = events[1]
    assert finished["resource"] == "imports"
    assert finished["object_id"] == record["id"]
    # The API's representation; links are paths (an event answers no one request's host).
    assert finished["data"] == {**record, "file": f"/api/v1/imports/{record['id']}/file"}
    assert record["file"] == f"http://testserver/api/v1/imports/{record['id']}/file"
    assert (finished["data"]["rows_created"], finished["data"]["status"]) == (30, "succeeded")
    assert await socket.nothing(timeout=0.5)  # no item.created ×30, no stock movements

    # A dry run is an import too (data.dry_run tells it apart).
    response = await database_sync_to_async(upload)(True)
    assert response.status_code == 201
    events = [await socket.recv_event() for _ in range(2)]
    assert [e["event"] for e in events] == ["import.created", "import.finished"]
    assert events[1]["data"]["dry_run"] is True
    assert await socket.nothing()


async def test_import_finished_goes_out_once_when_a_record_finishes_later(connect, make_user):
    """A record made `pending` and finished later (a background job) finishes once."""
    from workshop.events.resources import resources

    model = resources()["imports"].model
    socket = await connect(await make_user("manager"), topics=["imports"])

    def run():
        record = model.objects.create(resource="items", filename="x.xlsx", status="pending")
        record.status = "processing"
        record.save()
        record.status = "succeeded"
        record.rows_total = 3
        record.save()
        record.rows_updated = 1
        record.save()  # saved again, still finished: no second import.finished
        return record.pk

    pk = await database_sync_to_async(run)()
    received = [await socket.recv_event() for _ in range(5)]
    assert [e["event"] for e in received] == [
        "import.created",
        "import.updated",
        "import.updated",
        "import.finished",
        "import.updated",
    ]
    assert received[3]["object_id"] == pk
    assert received[3]["data"]["rows_total"] == 3
    assert await socket.nothing()


async def test_welding_records_send_events_under_their_own_names(connect, make_user):
    """The welding resources are topics like any other; a WPS is `wps.created` ("wps" is its
    own singular), a weld-log entry `weld-log.created` with its check."""
    from tests.factories import WelderQualificationFactory, WeldFactory, WpsFactory

    manager = await make_user("manager")
    socket = await connect(topics=["wps", "weld-log"])
    api = await as_api(manager)
    status, wps = await api(
        "post",
        "/api/v1/wps/",
        {
            "wps_id": "WPS-EV-1",
            "process": "MAG",
            "product_forms": ["P"],
            "weld_types": ["BW"],
            "thickness_min_mm": "3",
            "positions": ["PA"],
        },
    )
    assert status == 201, wps
    event = await socket.recv_event()
    assert (event["event"], event["resource"], event["data"]) == ("wps.created", "wps", wps)

    def shop():
        WeldFactory(weld_id="W-EV-1", wps=WpsFactory(wps_id="WPS-EV-2"))
        return WelderQualificationFactory(employee__employee_id="EMP-EV-1")  # Q1: tested 2025-03-10

    await database_sync_to_async(shop)()
    await socket.recv_event()  # the factory's WPS
    status, entry = await api(
        "post", "/api/v1/weld-log/", {"weld": "W-EV-1", "welder": "EMP-EV-1", "welded_on": "2025-06-01"}
    )
    assert status == 201, entry
    event = await socket.recv_event()
    assert (event["event"], event["data"]) == ("weld-log.created", entry)
    assert event["data"]["check"]["ok"] is True
