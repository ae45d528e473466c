"""Webhook endpoints, the messages sent to them (one per endpoint per event) and each
attempt at sending one.

A `Message` holds the exact bytes of the body, serialized once when the event is published;
every attempt signs and sends those bytes under the message's `webhook-id` (`msg_…`), so a
receiver sees the same id and body on every retry. When to try next is kept here
(`next_attempt_at`), not in the broker, and a worker that takes a message holds a lease
(`lease_until`) on it: a worker killed mid-send loses nothing, the lease runs out and the
next sweep sends the message again, under the same id.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models

from workshop.models import TimeStampedModel

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
MESSAGE_ID_PREFIX = "msg_"


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format."""
    import base64

    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return MESSAGE_ID_PREFIX + uuid.uuid4().hex


class DisabledReason(models.TextChoices):
    NONE = "", "Not disabled"
    GONE = "gone", "The endpoint answered 410 Gone"
    FAILING = "failing", "Every delivery failed for 3 days"


class Endpoint(TimeStampedModel):
    url = models.CharField("URL", max_length=2000)  # checked by services.check_url (SSRF rules)
    # Event names (`workorder.created`, …) or ["*"] for every event.
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=500, blank=True, default="")
    # Never shown after the answer that made it (create, rotate-secret); never logged.
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    disabled_reason = models.CharField(
        max_length=20, choices=DisabledReason.choices, blank=True, default="", editable=False
    )
    # The first failure of the current run of failures (null after a success).
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return "*" in self.events or event in self.events


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # to be sent (again) at next_attempt_at
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # given up: every retry failed, a 410, or the endpoint removed


class Message(models.Model):
    """One delivery: one event to one endpoint."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="messages")
    # The `webhook-id` header. A redelivery keeps its original's (docs/webhooks.md).
    msg_id = models.CharField(max_length=40, default=new_message_id, db_index=True)
    event = models.CharField(max_length=100)
    body = models.BinaryField()  # the exact bytes signed and sent
    status = models.CharField(max_length=20, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    redelivery_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_message_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.msg_id})"


class Attempt(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)  # null: under way, or its worker was lost
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")  # the first 1 KB of the answer
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="webhook_attempt_unique_number")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.message_id}"
