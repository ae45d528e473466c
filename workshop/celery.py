"""The Celery app (`celery -A workshop worker`, `celery -A workshop beat`): background jobs on
the Redis broker (SPEC §5). Configured from Django's settings (`CELERY_*`); with no
`REDIS_URL` (the default run) tasks run eagerly in the calling process.
"""

from __future__ import annotations

import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")

app = Celery("workshop")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live in each app's (and the core's packages') `tasks` module.
app.autodiscover_tasks()


class Heartbeat(bootsteps.StartStopStep):
    """Each worker tells the shared cache it is alive every 15 s: /health/status counts the
    workers seen in the last minute."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker):
        from workshop.jobs.services import worker_seen

        worker_seen(worker.hostname)
        self.timer_ref = worker.timer.call_repeatedly(15.0, worker_seen, (worker.hostname,), priority=10)

    def stop(self, worker):
        from workshop.jobs.services import worker_seen

        if self.timer_ref is not None:
            self.timer_ref.cancel()
        worker_seen(worker.hostname, gone=True)


app.steps["worker"].add(Heartbeat)
