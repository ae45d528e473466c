"""Jobs on a real Celery worker (SPEC §5): queued through the API, run by `celery -A workshop
worker` on the same PostgreSQL, Redis and S3; a worker killed mid-job (SIGKILL) loses no job
and applies none twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.factories import UserFactory
from tests.imports.test_export import csv_rows
from tests.jobs.test_export_jobs import download
from tests.jobs.worker import Worker, needs_services, wait_for
from workorders.models import WorkOrder
from workshop.jobs import services
from workshop.jobs.models import Job, JobStatus

pytestmark = [needs_services, pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/workorders/export/"
ASYNC = {"HTTP_PREFER": "respond-async"}


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    instance = Worker(tmp_path_factory.mktemp("worker")).start()
    yield instance
    instance.stop()


@pytest.fixture
def manager(client_for, worker):
    """A manager's client; after the test no job is left running on the worker (a job still
    writing would hold locks the database's flush between tests waits on)."""
    yield client_for("manager")
    try:
        wait_for(
            lambda: not Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists(),
            timeout=120,
            what="the worker's jobs to end",
        )
    except AssertionError:
        worker.kill()
        worker.start()


def make_orders(count: int) -> None:
    WorkOrder.objects.bulk_create(
        [
            WorkOrder(order_id=f"WO-{n:06d}", client=f"Client {n % 50}", status="pending")
            for n in range(count)
        ],
        batch_size=5000,
    )


def status_of(job_id: int) -> str:
    return Job.objects.values_list("status", flat=True).get(pk=job_id)


def finished(job_id: int):
    job = Job.objects.get(pk=job_id)
    return job if job.is_finished else None


def test_an_export_job_runs_on_the_worker(worker, manager):
    make_orders(30)
    response = manager.post(URL, {"client": "Client 7", "format": "csv"}, format="json", **ASYNC)
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    job = wait_for(lambda: finished(job_id), what="the job to finish")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.attempts, job.result["rows"]) == (1, 1)
    rows = csv_rows(download(manager, job_id))
    assert [row[0] for row in rows[1:]] == ["WO-000007"]
    assert f'"job_id": {job_id}' in worker.text()  # the worker's JSON log names it


def test_a_pool_process_killed_mid_job_is_retried_to_success(worker, manager):
    """SIGKILL of the process running the job (an out-of-memory kill): its transaction dies
    with its connection, the message goes back to the queue (acks_late,
    reject_on_worker_lost), and the job runs again, to success, once."""
    make_orders(120_000)
    response = manager.post(URL, {"format": "xlsx"}, format="json", **ASYNC)
    job_id = response.json()["id"]

    def half_way():
        progress = cache.get(f"jobs:progress:{job_id}") or {}
        return 0 < progress.get("done", 0) < 120_000

    wait_for(half_way, timeout=60, interval=0.05, what="the export to be under way")
    worker.kill_child()
    job = wait_for(lambda: finished(job_id), timeout=120, what="the retried job to finish")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.attempts == 2
    assert job.result["rows"] == 120_000
    assert "WorkerLostError" in worker.text() or "Process 'ForkPoolWorker" in worker.text()


def test_a_job_of_a_lost_worker_is_sent_again_by_the_upkeep(worker, manager, tmp_path):
    """A whole worker killed (a lost host): its message stays unacknowledged in Redis until
    the visibility timeout (hours); the periodic `jobs.requeue_stale` finds the running job no
    worker holds and sends it again; another worker runs it."""
    doomed = Worker(tmp_path).start()
    worker.stop()  # only the doomed worker takes the job
    try:
        make_orders(120_000)
        job_id = manager.post(URL, {"format": "xlsx"}, format="json", **ASYNC).json()["id"]
        wait_for(lambda: status_of(job_id) == JobStatus.RUNNING, what="the job to start")
        wait_for(lambda: (cache.get(f"jobs:progress:{job_id}") or {}).get("done"), what="progress")
        doomed.kill()
    finally:
        doomed.kill()
        worker.start()
    assert status_of(job_id) == JobStatus.RUNNING  # nobody will finish it on their own
    later = timezone.now() + dt.timedelta(minutes=2)
    wait_for(lambda: services.jobs_requeue_stale(now=later) == 1, timeout=30, what="the stale job")
    job = wait_for(lambda: finished(job_id), timeout=120, what="the job to finish on the new worker")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.attempts, job.result["rows"]) == (2, 120_000)
    assert services.jobs_requeue_stale(now=later) == 0


def test_cancelling_a_running_job_rolls_it_back(worker, manager):
    make_orders(120_000)
    job_id = manager.post(URL, {"format": "xlsx"}, format="json", **ASYNC).json()["id"]
    wait_for(lambda: (cache.get(f"jobs:progress:{job_id}") or {}).get("done"), what="progress")
    answer = manager.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert answer.status_code == 200
    assert answer.json()["status"] == "running"  # asked; the worker stops at its next report
    job = wait_for(lambda: finished(job_id), timeout=60, what="the job to stop")
    assert job.status == JobStatus.CANCELLED
    assert not job.output_file and job.result is None


def test_the_owner_sees_only_their_jobs(worker, client_for):
    viewer = client_for("viewer")
    make_orders(3)
    own = viewer.post(URL, {"format": "csv"}, format="json", **ASYNC).json()["id"]
    other = UserFactory(role="viewer")
    Job.objects.create(kind="export", params={}, created_by=other)
    wait_for(lambda: finished(own), what="the job")
    assert [item["id"] for item in viewer.get("/api/v1/jobs/").json()["items"]] == [own]


def big_workbook(count: int) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["OrderID", "Client", "Status"])
    for n in range(count):
        sheet.append([f"WO-{n:06d}", f"Client {n % 50}", "pending"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_import_killed_mid_way_is_applied_once(worker, manager):
    """The import's rows and its record are one transaction with the job's success: a worker
    killed mid-import leaves none of them; the retry imports every row, once."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from workshop.imports.models import ExcelImport

    rows = 60_000
    upload = SimpleUploadedFile("orders.xlsx", big_workbook(rows))
    response = manager.post("/api/v1/workorders/import/", {"file": upload}, format="multipart", **ASYNC)
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    # Asked to answer at once: the rows are counted by the worker, as it reads the sheet.
    assert response.json()["progress"] == {"done": 0, "total": None}

    def half_way():
        done = (cache.get(f"jobs:progress:{job_id}") or {}).get("done", 0)
        return 0 < done < rows

    wait_for(half_way, timeout=60, interval=0.05, what="the import to be under way")
    worker.kill_child()
    assert not WorkOrder.objects.exists() and not ExcelImport.objects.exists()  # nothing half-written
    job = wait_for(lambda: finished(job_id), timeout=180, what="the retried import to finish")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.attempts == 2
    assert WorkOrder.objects.count() == rows
    record = ExcelImport.objects.get()
    assert (record.pk, record.rows_created) == (job.result["import_id"], rows)
    assert (job.progress_done, job.progress_total) == (rows, rows)
