"""The Job: one piece of background work (an import, a template upload, an export, a
scheduled import) as its clients see it — its kind, status, progress, result or error."""

from __future__ import annotations

import os
import uuid

from django.db import models
from django.utils import timezone
from django.utils.text import get_valid_filename

from workshop.models import TimeStampedModel


class JobKind(models.TextChoices):
    IMPORT = "import", "Import"
    TEMPLATE_UPLOAD = "template_upload", "Template upload"
    EXPORT = "export", "Export"
    SCHEDULED_IMPORT = "scheduled_import", "Scheduled import"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


def job_file_path(instance, filename: str) -> str:
    """`jobs/YYYY/MM/<uuid>-<sanitised name>`: unique, and safe whatever the client sent."""
    name = get_valid_filename(os.path.basename(filename or "file"))[-100:] or "file"
    today = timezone.now()
    return f"jobs/{today:%Y}/{today:%m}/{uuid.uuid4().hex}-{name}"


class Job(TimeStampedModel):
    kind = models.CharField(max_length=20, choices=JobKind.choices, db_index=True)
    status = models.CharField(
        max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    # What the job works on (the resource, template, filters, dry run …); not shown to clients.
    params = models.JSONField(default=dict, blank=True)
    # The uploaded file a job reads (imports) or the file it writes (exports).
    input_file = models.FileField(upload_to=job_file_path, max_length=500, blank=True)
    output_file = models.FileField(upload_to=job_file_path, max_length=500, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # How many times a worker started it (a worker that dies leaves it to the next attempt).
    attempts = models.PositiveSmallIntegerField(default=0)
    request_id = models.CharField(max_length=128, blank=True, default="")
    # The client's Idempotency-Key: the same request again answers this job.
    idempotency_key = models.CharField(max_length=128, null=True, blank=True, editable=False)  # noqa: DJ001 (null: no key, outside the unique constraint)

    class Meta:
        ordering = ["id"]
        permissions = [
            ("view_all_job", "Can view and cancel every user's jobs"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="job_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=models.Q(progress_total__isnull=True)
                | models.Q(progress_done__lte=models.F("progress_total")),
                name="job_progress_within_total",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="job_status_created")]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.kind}, {self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED
