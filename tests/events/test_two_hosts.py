"""Two app hosts and a worker (SPEC §5, issue 10): two server processes (gunicorn with uvicorn
workers, and `manage.py serve`) and one Celery worker, on the same PostgreSQL, Redis and S3
server, as more hosts behind a load balancer would run. A write through host A reaches a
socket on host B; an import queued on A is run by the worker, and its progress and its end
reach the socket on B.

The PostgreSQL run of scripts/test only (real services)."""

from __future__ import annotations

import json
import os
import uuid
from http.client import HTTPConnection

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.events.servers import PASSWORD, Server, own_redis_url
from tests.events.test_server_sockets import recv, subscribe
from tests.factories import UserFactory
from tests.jobs.worker import Worker, database_url, needs_services
from tests.workbooks import workbook_bytes
from tests.workshop.test_chunked_body import multipart
from workorders.models import WorkOrder
from workshop.imports.models import ExcelImport
from workshop.jobs.models import Job

pytestmark = [needs_services, pytest.mark.django_db(transaction=True)]
ROWS = 3000


def host_env(tmp, redis_url: str, prefix: str) -> dict[str, str]:
    """What every host of one deployment shares: the database, Redis (cache, broker, events)
    and the S3 bucket of the run — the same variables, as on real hosts."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CACHE_KEY_PREFIX": prefix,
        "RATELIMIT_GENERAL": "100000/h",
        "RATELIMIT_UPLOAD": "100000/h",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "STATIC_ROOT": str(tmp / "static"),
    }


def upload(server: Server, path: str, token: str, content: bytes) -> tuple[int, dict]:
    content_type, body = multipart({"file": ("orders.xlsx", content)})
    connection = HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": content_type,
                "Prefer": "respond-async",
            },
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.fixture
def hosts(tmp_path):
    redis_url = own_redis_url(os.environ["REDIS_URL"], db=12)
    env = host_env(tmp_path, redis_url, f"weldshop-2h-{uuid.uuid4().hex[:8]}")
    a = Server(tmp_path, env, "gunicorn", workers=2)
    b = Server(tmp_path, env, "serve")
    worker = Worker(tmp_path, env=env)
    try:
        yield a.start(), b.start(), worker.start()
    finally:
        for process in (a, b, worker):
            process.stop()


def test_a_write_on_one_host_and_a_job_on_the_worker_reach_a_socket_on_the_other(hosts):
    a, b, worker = hosts
    user = UserFactory(username="two-hosts", role="manager")
    # Hashed as the servers hash (the tests' own hasher is a fast one they do not know).
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    token = a.login("two-hosts")  # a token from A works on B: the same keys and database
    with b.socket(token) as ws:
        subscribe(ws, "workorders", "jobs", "imports")

        status, created = a.request(
            "POST", "/api/v1/workorders/", {"order_id": "WO-2H", "client": "C"}, token
        )
        assert status == 201, created
        event = recv(ws)
        assert (event["event"], event["data"]) == ("workorder.created", created)

        rows = [["OrderID", "Client"]] + [[f"WO-2H-{n:05d}", "Harbour Steel"] for n in range(ROWS)]
        status, job = upload(a, "/api/v1/workorders/import/", token, workbook_bytes(rows))
        assert status == 202, job
        seen = []
        while not any(e["event"] == "job.finished" for e in seen) or not any(
            e["event"] == "import.finished" for e in seen
        ):
            seen.append(recv(ws, timeout=60))
        progress = [e for e in seen if e["event"] == "job.progress"]
        assert progress and all(e["object_id"] == job["id"] for e in progress)
        assert progress[-1]["data"]["progress"]["total"] == ROWS
        finished = next(e for e in seen if e["event"] == "job.finished")
        assert finished["data"]["status"] == "succeeded", finished["data"]
        assert finished["data"]["progress"] == {"done": ROWS, "total": ROWS}
        imported = next(e for e in seen if e["event"] == "import.finished")
        assert imported["data"]["rows_created"] == ROWS
        assert not any(e["event"] == "workorder.created" for e in seen)  # one event, not one per row

    assert f'"job_id": {job["id"]}' in worker.text()  # the worker ran it, not a server
    assert Job.objects.get(pk=job["id"]).attempts == 1
    assert WorkOrder.objects.count() == ROWS + 1
    record = ExcelImport.objects.get()
    assert record.file.name  # stored in the bucket every host reads
    assert record.file.storage.exists(record.file.name)
