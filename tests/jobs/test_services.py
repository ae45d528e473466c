"""How a job runs (workshop/jobs/services.py), in process: run once whatever is delivered
twice, give up after JOB_MAX_ATTEMPTS interrupted starts, keep the API's error body, stop and
roll back on cancellation, clean up after itself."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from tests.factories import JobFactory, WorkOrderFactory
from workshop.jobs import services
from workshop.jobs.models import Job, JobStatus
from workshop.jobs.tasks import run_job

pytestmark = pytest.mark.django_db


def export_job(**params) -> Job:
    base = {"resource": "workorders", "format": "csv", "query": {}, "fields": None}
    return JobFactory(params={**base, **params}, request_id="req-42")


def test_a_job_runs_once_however_often_it_is_delivered():
    WorkOrderFactory()
    job = export_job()
    assert run_job(job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    first = (job.result, job.output_file.name, job.attempts, job.finished_at)
    assert run_job(job.pk) is None  # the message again (a redelivery): nothing to do
    job.refresh_from_db()
    assert (job.result, job.output_file.name, job.attempts, job.finished_at) == first
    assert job.attempts == 1


def test_a_job_interrupted_too_often_fails_with_a_reason(settings):
    job = export_job()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=settings.JOB_MAX_ATTEMPTS)
    assert run_job(job.pk) is None
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at
    assert job.error["error_code"] == "SERVICE_UNAVAILABLE"  # its workers kept dying
    assert f"started {settings.JOB_MAX_ATTEMPTS} times" in job.error["detail"]
    assert job.error["request_id"] == "req-42"
    assert not job.output_file


def test_an_interrupted_job_is_run_again_from_the_start():
    WorkOrderFactory()
    job = export_job()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1)  # its worker died
    assert run_job(job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert (job.attempts, job.result["rows"]) == (2, 1)


def test_a_refusal_fails_the_job_with_the_apis_error_body():
    """The request checked the filters; should they fail later (here: a field the spec does
    not have), the job keeps the 422 the API would have answered."""
    job = export_job(fields=["no_such_field"])
    assert run_job(job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert set(job.error) == {"detail", "error_code", "timestamp", "request_id", "errors"}
    assert (job.error["error_code"], job.error["request_id"]) == ("VALIDATION_ERROR", "req-42")
    assert "fields" in job.error["errors"]
    assert job.result is None and not job.output_file


def test_an_unexpected_error_fails_the_job_without_details(monkeypatch):
    def boom(job, progress):
        raise RuntimeError("secret internals")

    monkeypatch.setitem(services.HANDLERS, "export", services.Handler(run=boom, label="Export"))
    job = export_job()
    assert run_job(job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.error["error_code"] == "SERVER_ERROR"
    assert "secret" not in str(job.error)


def test_a_cancellation_stops_the_work_and_rolls_it_back():
    WorkOrderFactory()
    job = export_job()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    cache.set(f"jobs:cancel:{job.pk}", True)  # asked while it was about to start
    assert run_job(job.pk) == JobStatus.CANCELLED
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.finished_at
    assert job.result is None and not job.output_file
    assert cache.get(f"jobs:cancel:{job.pk}") is None


def test_a_job_cancelled_before_it_starts_is_not_run():
    job = export_job()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.CANCELLED)
    assert run_job(job.pk) is None
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.attempts == 0


def test_progress_is_told_through_the_cache_and_cleared_at_the_end():
    WorkOrderFactory.create_batch(3)
    job = export_job()
    seen = []
    original = services.Progress.__call__

    def spy(self, done, total=None):
        original(self, done, total)
        seen.append(cache.get(f"jobs:progress:{job.pk}"))

    services.Progress.__call__ = spy
    try:
        run_job(job.pk)
    finally:
        services.Progress.__call__ = original
    assert seen[0] == {"done": 0, "total": 3} and seen[-1] == {"done": 3, "total": 3}
    assert cache.get(f"jobs:progress:{job.pk}") is None
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (3, 3)


def test_clean_up_deletes_old_finished_jobs_and_their_files(settings):
    old = timezone.now() - dt.timedelta(days=settings.JOB_RETENTION_DAYS + 1)
    gone = JobFactory(status=JobStatus.SUCCEEDED, finished_at=old)
    gone.output_file.save("old.csv", ContentFile(b"a\r\n"), save=True)
    name = gone.output_file.name
    recent = JobFactory(status=JobStatus.FAILED, finished_at=timezone.now())
    running = JobFactory(status=JobStatus.RUNNING)
    assert services.jobs_clean_up() == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}
    assert not default_storage.exists(name)


@pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked, reason="row locks that skip need PostgreSQL"
)
def test_requeue_sends_running_jobs_no_worker_holds_again():
    WorkOrderFactory()
    job = export_job()
    fresh = export_job()
    Job.objects.filter(pk__in=[job.pk, fresh.pk]).update(status=JobStatus.RUNNING, attempts=1)
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=5))
    assert services.jobs_requeue_stale() == 1  # in process here: it runs at once
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)
    assert Job.objects.get(pk=fresh.pk).status == JobStatus.RUNNING  # seen a moment ago
