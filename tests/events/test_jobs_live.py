"""Jobs on the live-events socket (SPEC §5): a job queued through the API tells its owner and
managers/admins its progress and its end (`job.progress`, `job.finished`, topic `jobs`), and an
import run as a job sends exactly one `import.finished`, naming the user who queued it. Jobs
run in process here; tests/events/test_two_hosts.py runs one on a real worker."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.events.conftest import as_api
from tests.factories import WorkOrderFactory
from tests.workbooks import XLSX, workbook_bytes

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
ASYNC = {"HTTP_PREFER": "respond-async"}


async def job_events(socket) -> list[dict]:
    """The socket's events up to and including `job.finished`."""
    seen = []
    while True:
        event = await socket.recv_event()
        seen.append(event)
        if event["event"] == "job.finished":
            return seen


async def test_an_export_jobs_progress_and_end_reach_its_owner_and_managers(connect, make_user):
    owner, other, manager = [await make_user(role) for role in ("operator", "operator", "manager")]
    sockets = {
        name: await connect(user, topics=["jobs"])
        for name, user in [("owner", owner), ("other", other), ("manager", manager)]
    }
    await database_sync_to_async(WorkOrderFactory.create_batch)(3)
    api = await as_api(owner)
    status, body = await api("post", "/api/v1/workorders/export/", {"format": "csv"}, **ASYNC)
    assert status == 202, body
    for name in ("owner", "manager"):
        seen = await job_events(sockets[name])
        assert {event["event"] for event in seen} == {"job.progress", "job.finished"}
        finished = seen[-1]
        assert (finished["resource"], finished["object_id"], finished["actor"]) == (
            "jobs",
            body["id"],
            owner.pk,
        )
        assert finished["data"]["status"] == "succeeded"
        assert finished["data"]["result"]["rows"] == 3
        assert finished["data"]["progress"] == {"done": 3, "total": 3}
        assert finished["request_id"]  # the request that queued it
    assert await sockets["other"].nothing()


async def test_an_import_job_sends_one_import_finished_and_no_row_events(connect, make_user):
    owner = await make_user("manager")
    socket = await connect(owner, topics=["jobs", "imports", "workorders"])
    api = await as_api(owner)
    rows = [["OrderID", "Client"]] + [[f"WO-{n}", "Harbour Steel"] for n in range(50)]
    upload = SimpleUploadedFile("orders.xlsx", workbook_bytes(rows), XLSX)
    response = await database_sync_to_async(api.client.post)(
        "/api/v1/workorders/import/", {"file": upload}, format="multipart", **ASYNC
    )
    assert response.status_code == 202
    seen = await job_events(socket)
    seen += [await socket.recv_event()] if not any(e["event"] == "import.finished" for e in seen) else []
    names = [event["event"] for event in seen]
    assert names.count("import.finished") == 1
    assert not any(name.startswith("workorder.") for name in names)  # never one per row
    finished = next(event for event in seen if event["event"] == "import.finished")
    assert finished["actor"] == owner.pk
    assert finished["data"]["rows_created"] == 50
    assert await socket.nothing()
