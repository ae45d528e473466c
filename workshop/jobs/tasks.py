"""The Celery tasks: a job's run, and the periodic upkeep Celery beat sends
(`CELERY_BEAT_SCHEDULE` in settings)."""

from __future__ import annotations

from workshop.celery import app
from workshop.jobs import services
from workshop.jobs.api import error_body_for


@app.task(name="jobs.run", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(job_id: int) -> str | None:
    """Run one job (workshop.jobs.services.job_run): safe to deliver twice."""
    return services.job_run(job_id, describe=error_body_for)


@app.task(name="jobs.requeue_stale", ignore_result=True)
def requeue_stale_jobs() -> int:
    return services.jobs_requeue_stale()


@app.task(name="jobs.clean_up", ignore_result=True)
def clean_up_jobs() -> int:
    return services.jobs_clean_up()
