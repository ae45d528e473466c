"""Imports and template uploads as jobs (SPEC §5): `Prefer: respond-async`, or a sheet over
`IMPORT_SYNC_MAX_ROWS`, answers `202` with the job; the file is checked at once; the job
imports as its user, all or nothing; Idempotency-Key answers the same job; scheduled imports
are queued by beat. Jobs run in process here (eager, as without Redis), once the request
commits; tests/jobs/test_worker.py runs them on a real worker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from machines.models import WorkshopEntry
from tests.contract import assert_error
from tests.factories import ImportScheduleFactory, ImportTemplateFactory, UserFactory, WorkOrderFactory
from tests.workbooks import XLSX, workbook_bytes, workbook_upload
from tests.workshop.test_import_commands import drop
from workorders.models import WorkOrder
from workshop.imports.jobs import queue_due_schedules
from workshop.imports.models import ExcelImport, ImportSchedule
from workshop.jobs.models import Job, JobStatus

URL = "/api/v1/workorders/import/"
ASYNC = {"HTTP_PREFER": "respond-async"}
HEADER = ["OrderID", "Client", "Status"]


@pytest.fixture(autouse=True)
def _folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_DROP_DIR = tmp_path / "drop"
    settings.IMPORT_DROP_DIR.mkdir()


def orders(count: int, client: str = "Harbour Steel") -> list[list]:
    return [HEADER] + [[f"WO-{n:04d}", client, "pending"] for n in range(count)]


def post(client, rows, capture, *, headers=None, url=URL, **data):
    """`rows` as a workbook (or the bytes of one: the same file sent again)."""
    content = rows if isinstance(rows, bytes) else workbook_bytes(rows)
    upload = SimpleUploadedFile("orders.xlsx", content, XLSX)
    with capture(execute=True):
        return client.post(url, {"file": upload, **data}, format="multipart", **(headers or {}))


@pytest.mark.django_db
class TestQueued:
    def test_prefer_respond_async_is_202_and_the_job_imports(self, api, django_capture_on_commit_callbacks):
        response = post(api, orders(3), django_capture_on_commit_callbacks, headers=ASYNC)
        assert response.status_code == 202, response.json()
        assert response["Preference-Applied"] == "respond-async"
        job = Job.objects.get()
        assert response["Location"].endswith(f"/api/v1/jobs/{job.pk}/")
        assert response.json()["kind"] == "import"
        detail = api.get(response["Location"]).json()
        assert detail["status"] == "succeeded", detail
        assert detail["progress"] == {"done": 3, "total": 3}
        record = ExcelImport.objects.get()
        assert detail["result"] == {
            "import_id": record.pk,
            "rows_total": 3,
            "rows_created": 3,
            "rows_updated": 0,
            "dry_run": False,
        }
        assert WorkOrder.objects.count() == 3
        assert (record.created_by, record.resource, record.status) == (api.user, "workorders", "succeeded")
        job.refresh_from_db()
        assert record.file and not job.input_file  # the import keeps the upload; the job lets go
        assert api.get(f"/api/v1/imports/{record.pk}/file").status_code in (200, 302)

    def test_a_large_sheet_is_queued_without_asking(self, api, settings, django_capture_on_commit_callbacks):
        settings.IMPORT_SYNC_MAX_ROWS = 2
        small = post(api, orders(2), django_capture_on_commit_callbacks)
        assert small.status_code == 201 and not Job.objects.exists()
        large = post(api, orders(3, client="Nordic Pipe"), django_capture_on_commit_callbacks)
        assert large.status_code == 202
        assert Job.objects.get().status == JobStatus.SUCCEEDED
        assert WorkOrder.objects.filter(client="Nordic Pipe").count() == 3

    @pytest.mark.parametrize(
        ("content", "status"),
        [(b"not a workbook", 415), (b"", 415)],
    )
    def test_a_bad_file_is_refused_at_once(self, api, django_capture_on_commit_callbacks, content, status):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                URL, {"file": SimpleUploadedFile("x.xlsx", content)}, format="multipart", **ASYNC
            )
        assert_error(response, status, "UNSUPPORTED_MEDIA_TYPE")
        assert not Job.objects.exists() and not ExcelImport.objects.exists()

    def test_bad_rows_fail_the_job_with_every_row_error(self, api, django_capture_on_commit_callbacks):
        rows = [HEADER, ["WO-1", "Harbour Steel", "pending"], ["WO-2", "", "melted"]]
        response = post(api, rows, django_capture_on_commit_callbacks, headers=ASYNC)
        assert response.status_code == 202
        job = Job.objects.get()
        assert job.status == JobStatus.FAILED
        assert job.error["error_code"] == "VALIDATION_ERROR"
        assert {(e["row"], e["column"]) for e in job.error["errors"]} == {(3, "Client"), (3, "Status")}
        assert job.error["request_id"] == response["X-Request-ID"]
        assert not WorkOrder.objects.exists() and not ExcelImport.objects.exists()

    def test_a_dry_run_job_writes_no_rows(self, api, django_capture_on_commit_callbacks):
        post(api, orders(2), django_capture_on_commit_callbacks, headers=ASYNC, dry_run="true")
        job = Job.objects.get()
        assert job.status == JobStatus.SUCCEEDED and job.result["dry_run"] is True
        assert not WorkOrder.objects.exists()

    def test_the_job_holds_an_operator_to_their_rights(self, client_for, django_capture_on_commit_callbacks):
        operator = client_for("operator")
        WorkOrderFactory(order_id="WO-0000", client="Someone else's")
        response = post(operator, orders(1), django_capture_on_commit_callbacks, headers=ASYNC)
        assert response.status_code == 202
        job = Job.objects.get()
        assert job.status == JobStatus.FAILED and job.error["error_code"] == "VALIDATION_ERROR"
        assert WorkOrder.objects.get().client == "Someone else's"

    def test_a_user_who_lost_their_role_cannot_have_it_run(
        self, client_for, django_capture_on_commit_callbacks
    ):
        operator = client_for("operator")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            operator.post(URL, {"file": workbook_upload(orders(1))}, format="multipart", **ASYNC)
        operator.user.is_active = False
        operator.user.save()
        for callback in callbacks:
            callback()
        job = Job.objects.get()
        assert job.status == JobStatus.FAILED and job.error["error_code"] == "FORBIDDEN"
        assert not WorkOrder.objects.exists()

    def test_a_viewer_may_not_queue_an_import(self, client_for, django_capture_on_commit_callbacks):
        response = post(client_for("viewer"), orders(1), django_capture_on_commit_callbacks, headers=ASYNC)
        assert_error(response, 403, "FORBIDDEN")
        assert not Job.objects.exists()


@pytest.mark.django_db
class TestIdempotency:
    def test_the_same_request_again_answers_the_same_job(self, api, django_capture_on_commit_callbacks):
        headers = {**ASYNC, "HTTP_IDEMPOTENCY_KEY": "nightly-42"}
        content = workbook_bytes(orders(2))
        first = post(api, content, django_capture_on_commit_callbacks, headers=headers)
        again = post(api, content, django_capture_on_commit_callbacks, headers=headers)
        assert first.status_code == again.status_code == 202
        assert first.json()["id"] == again.json()["id"]
        assert Job.objects.count() == 1 and ExcelImport.objects.count() == 1
        # Without the header too: the key names the job, whatever is asked now.
        plain = post(
            api, content, django_capture_on_commit_callbacks, headers={"HTTP_IDEMPOTENCY_KEY": "nightly-42"}
        )
        assert plain.status_code == 202, plain.json()
        assert plain.json()["id"] == first.json()["id"]

    def test_the_key_with_another_file_is_422(self, api, django_capture_on_commit_callbacks):
        headers = {**ASYNC, "HTTP_IDEMPOTENCY_KEY": "nightly-43"}
        post(api, orders(2), django_capture_on_commit_callbacks, headers=headers)
        response = post(api, orders(3), django_capture_on_commit_callbacks, headers=headers)
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert "different file" in body["errors"]["Idempotency-Key"][0]
        assert Job.objects.count() == 1

    def test_the_key_for_a_dry_run_is_not_the_real_import(self, api, django_capture_on_commit_callbacks):
        headers = {**ASYNC, "HTTP_IDEMPOTENCY_KEY": "nightly-44"}
        content = workbook_bytes(orders(2))
        post(api, content, django_capture_on_commit_callbacks, headers=headers, dry_run="true")
        response = post(api, content, django_capture_on_commit_callbacks, headers=headers)
        assert_error(response, 422, "VALIDATION_ERROR")
        assert not WorkOrder.objects.exists()

    def test_another_users_key_is_theirs(self, api, client_for, django_capture_on_commit_callbacks):
        headers = {**ASYNC, "HTTP_IDEMPOTENCY_KEY": "shared-key"}
        post(api, orders(1), django_capture_on_commit_callbacks, headers=headers)
        manager = client_for("manager")
        response = post(
            manager, orders(1, client="Other"), django_capture_on_commit_callbacks, headers=headers
        )
        assert response.status_code == 202 and Job.objects.count() == 2


@pytest.mark.django_db
class TestTemplateUploadJob:
    def test_an_upload_is_queued_and_makes_its_entries(self, api, django_capture_on_commit_callbacks):
        template = ImportTemplateFactory(mapping={"Date": "date", "Wire (kg)": "wire_kg"})
        rows = [["Date", "Wire (kg)"], [dt.date(2025, 11, 25), 1.5], [dt.date(2025, 11, 26), 2]]
        response = post(
            api, rows, django_capture_on_commit_callbacks, headers=ASYNC, url=f"/api/v1/upload/{template.pk}"
        )
        assert response.status_code == 202, response.json()
        job = Job.objects.get()
        assert (job.kind, job.status) == ("template_upload", JobStatus.SUCCEEDED)
        record = ExcelImport.objects.get(pk=job.result["import_id"])
        assert record.template_id == template.pk
        assert WorkshopEntry.objects.filter(excel_import=record).count() == 2


@pytest.mark.django_db
class TestScheduledImports:
    def schedule(self, settings, **kwargs):
        template = ImportTemplateFactory(mapping={"Date": "date", "Wire (kg)": "wire_kg"})
        drop(settings, "robot.xlsx", [["Date", "Wire (kg)"], [dt.date(2025, 11, 25), 1.5]])
        now = timezone.localtime()
        return ImportScheduleFactory(
            template=template, source="robot.xlsx", hour=now.hour, minute=0, **kwargs
        )

    def test_beat_queues_a_job_per_due_schedule_and_it_runs(
        self, settings, django_capture_on_commit_callbacks
    ):
        schedule = self.schedule(settings)
        ImportScheduleFactory(active=False)
        with django_capture_on_commit_callbacks(execute=True):
            assert queue_due_schedules() == 1
        job = Job.objects.get()
        assert (job.kind, job.status, job.created_by) == ("scheduled_import", JobStatus.SUCCEEDED, None)
        assert job.result == {"schedule_id": schedule.pk, "import_status": "succeeded", "ran": True}
        schedule.refresh_from_db()
        assert schedule.last_status == "succeeded" and schedule.last_run_at
        assert ExcelImport.objects.get().template_id == schedule.template_id
        with django_capture_on_commit_callbacks(execute=True):
            assert queue_due_schedules() == 0  # it ran today: not again

    def test_a_schedule_with_a_job_under_way_is_not_queued_twice(
        self, settings, django_capture_on_commit_callbacks
    ):
        self.schedule(settings)
        with django_capture_on_commit_callbacks(execute=False):
            assert queue_due_schedules() == 1
            assert queue_due_schedules() == 0
        assert Job.objects.get().status == JobStatus.QUEUED

    def test_a_failed_scheduled_import_is_recorded(self, settings, django_capture_on_commit_callbacks):
        schedule = self.schedule(settings)
        ImportSchedule.objects.filter(pk=schedule.pk).update(source="missing.xlsx")
        with django_capture_on_commit_callbacks(execute=True):
            queue_due_schedules()
        job = Job.objects.get()
        record = ExcelImport.objects.get()
        assert record.status == "failed"  # kept, though the job failed
        assert (job.status, job.result["import_status"], job.result["import_id"]) == (
            "failed",
            "failed",
            record.pk,
        )
        assert job.error["error_code"] == "VALIDATION_ERROR"
        assert job.error["detail"] == "The scheduled import of missing.xlsx failed."
        assert job.error["errors"] == record.errors and "missing.xlsx" in record.errors[0]["message"]
        schedule.refresh_from_db()
        assert schedule.last_status == "failed" and schedule.last_run_at


def test_no_user_left_means_no_rights_to_run(db):
    """A job whose user was deleted (created_by set null) cannot import with rights."""
    user = UserFactory(role="manager")
    job = Job.objects.create(kind="import", params={"check_rights": True}, created_by=user)
    user.delete()
    from workshop.jobs.tasks import run_job

    assert run_job(job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.error["error_code"] == "FORBIDDEN"


@pytest.mark.django_db
class TestChecksOnTheWorker:
    """With `Prefer: respond-async` the request checks size, type and the zip's directory (in
    milliseconds); the pass over every part (DOCTYPEs, how far rows reach) is the worker's,
    before it parses anything: a hostile file fails the job with the refusal the request
    would have answered, and nothing is written."""

    def test_an_xml_bomb_fails_the_job_with_415(self, api, django_capture_on_commit_callbacks):
        from tests.imports import workbooks as wb
        from tests.imports.test_reader import items_sheet

        content = items_sheet(
            wb.row(2, '<c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c>'), doctype=wb.billion_laughs()
        )
        at_once = post(api, content, django_capture_on_commit_callbacks, url="/api/v1/items/import/")
        assert_error(at_once, 415, "UNSUPPORTED_MEDIA_TYPE")
        queued = post(
            api, content, django_capture_on_commit_callbacks, url="/api/v1/items/import/", headers=ASYNC
        )
        assert queued.status_code == 202
        job = Job.objects.get()
        assert job.status == JobStatus.FAILED
        assert job.error["error_code"] == "UNSUPPORTED_MEDIA_TYPE" and "DOCTYPE" in job.error["detail"]
        assert not ExcelImport.objects.exists()

    def test_a_zip_that_is_not_a_workbook_is_refused_at_once(self, api, django_capture_on_commit_callbacks):
        import io
        import zipfile

        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("readme.txt", "not a workbook")
        response = post(api, out.getvalue(), django_capture_on_commit_callbacks, headers=ASYNC)
        assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
        assert not Job.objects.exists()
