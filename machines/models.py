from __future__ import annotations

import os
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import get_valid_filename

from workshop.models import TimeStampedModel, business_key_field, json_without_nul, non_blank_constraint


class Machine(TimeStampedModel):
    name = models.CharField(max_length=200, db_index=True)
    code = business_key_field("code")
    type = models.CharField(
        max_length=50, blank=True, default="", db_index=True, help_text="e.g. MIG, TIG, robot"
    )
    metadata = models.JSONField(default=dict, blank=True, validators=[json_without_nul])

    class Meta:
        ordering = ["id"]
        constraints = [non_blank_constraint("code", "machine"), non_blank_constraint("name", "machine")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if not isinstance(self.metadata, dict):
            raise ValidationError({"metadata": "Must be a JSON object."})


class ImportTemplate(TimeStampedModel):
    name = models.CharField(max_length=200, db_index=True)
    description = models.TextField(blank=True, default="")
    machine = models.ForeignKey(Machine, on_delete=models.PROTECT, related_name="templates")
    mapping = models.JSONField(
        help_text="Excel column header → field name in the entry's data.", validators=[json_without_nul]
    )
    active = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "import template"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        mapping = self.mapping
        if not isinstance(mapping, dict) or not mapping:
            raise ValidationError({"mapping": "Must be a non-empty JSON object."})
        for header, field in mapping.items():
            if not isinstance(field, str) or not header.strip() or not field.strip():
                raise ValidationError({"mapping": "Headers and field names must be non-empty strings."})


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


def upload_path(instance, filename: str) -> str:
    """`imports/YYYY/MM/<uuid>-<sanitised name>`: unique, and safe whatever the client sent."""
    name = get_valid_filename(os.path.basename(filename or "upload"))[-100:] or "upload"
    today = timezone.now()
    return f"imports/{today:%Y}/{today:%m}/{uuid.uuid4().hex}-{name}"


class ExcelImport(TimeStampedModel):
    """One upload or import run: the stored file, its outcome and its row errors."""

    template = models.ForeignKey(
        ImportTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="imports"
    )
    resource = models.CharField(max_length=32, blank=True, default="", db_index=True)
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to=upload_path, max_length=500, blank=True)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING, db_index=True
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    dry_run = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The client's Idempotency-Key: a repeated request answers this import again.
    idempotency_key = models.CharField(max_length=128, null=True, blank=True, editable=False)  # noqa: DJ001 (null: no key, outside the unique constraint)
    # SHA-256 of the file: scheduled imports never import the same content twice.
    content_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "Excel import"
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="excelimport_unique_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"


class WorkshopEntry(TimeStampedModel):
    """One row of a machine's log, mapped through its template."""

    template = models.ForeignKey(ImportTemplate, on_delete=models.PROTECT, related_name="entries")
    machine = models.ForeignKey(Machine, on_delete=models.PROTECT, related_name="entries")
    excel_import = models.ForeignKey(
        ExcelImport, on_delete=models.CASCADE, null=True, blank=True, related_name="entries"
    )
    imported_at = models.DateTimeField(auto_now_add=True, db_index=True)
    data = models.JSONField(default=dict, validators=[json_without_nul])

    class Meta:
        ordering = ["id"]
        verbose_name = "workshop entry"
        verbose_name_plural = "workshop entries"

    def __str__(self) -> str:
        return f"Entry {self.pk} of {self.machine_id}"

    def clean(self) -> None:
        if not isinstance(self.data, dict):
            raise ValidationError({"data": "Must be a JSON object."})


class ImportSchedule(TimeStampedModel):
    template = models.ForeignKey(ImportTemplate, on_delete=models.PROTECT, related_name="schedules")
    source = models.CharField(
        max_length=255, help_text="A file name inside the drop folder or S3 prefix (never a path)."
    )
    hour = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(23)])
    minute = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(59)])
    active = models.BooleanField(default=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=20, choices=ImportStatus.choices, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name = "import schedule"
        constraints = [
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="importschedule_hour_range"),
            models.CheckConstraint(condition=models.Q(minute__lte=59), name="importschedule_minute_range"),
        ]

    def __str__(self) -> str:
        return f"{self.template} at {self.hour:02d}:{self.minute:02d}"

    def clean(self) -> None:
        source = self.source or ""
        if not source.strip() or "/" in source or "\\" in source or source in (".", "..") or "\x00" in source:
            raise ValidationError({"source": "A plain file name inside the drop folder, not a path."})
