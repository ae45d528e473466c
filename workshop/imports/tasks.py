"""Celery beat's task of the Excel engine: scheduled imports (`CELERY_BEAT_SCHEDULE`)."""

from __future__ import annotations

from workshop.celery import app


@app.task(name="imports.queue_due_schedules", ignore_result=True)
def queue_due_schedules() -> int:
    from workshop.imports.jobs import queue_due_schedules as queue

    return queue()
