"""The periodic history clean-up Celery beat sends (`CELERY_BEAT_SCHEDULE`)."""

from __future__ import annotations

from workshop.celery import app
from workshop.history.services import history_prune


@app.task(name="history.prune", ignore_result=True)
def prune_history() -> int:
    """Versions past `HISTORY_RETENTION_DAYS` (none when it is unset)."""
    return sum(history_prune().values())
