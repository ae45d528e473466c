"""Celery tasks: one message's attempt, and the sweep beat sends every few seconds."""

from __future__ import annotations

from workshop.celery import app
from workshop.webhooks import services


@app.task(name="webhooks.deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver(message_id: int) -> None:
    """An attempt at this message, if it is due and no other worker holds it: safe to run twice."""
    services.message_deliver(message_id=message_id)


@app.task(name="webhooks.deliver_due", ignore_result=True)
def deliver_due() -> int:
    """Retries that are due, and messages whose worker was lost (their lease ran out)."""
    return services.messages_deliver_due()


@app.task(name="webhooks.clean_up", ignore_result=True)
def clean_up() -> int:
    """Finished deliveries older than WEBHOOK_RETENTION_DAYS."""
    return services.messages_clean_up()
