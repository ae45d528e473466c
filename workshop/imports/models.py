"""The import records the core keeps: every upload or import run (`ExcelImport`) and the daily
imports from the drop folder (`ImportSchedule`).

A file is imported either into a resource's rows (`resource`, e.g. `workorders`) or through a
record of an import target that a domain app registers (workshop/imports/targets.py): a
machine's log template, whose id is kept in `template_id`. It is a plain indexed integer, not
a foreign key, so the core needs no domain app; the target's app refuses to delete a record
that imports or schedules still name (409, as a protecting foreign key did), and the
`template` property reads the record through the registered target."""

from __future__ import annotations

import os
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import get_valid_filename

from workshop.history.records import record_history
from workshop.models import TimeStampedModel


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


def template_key(*, required: bool) -> models.BigIntegerField:
    """The id of a record of the `template` import target (a machine's log template)."""
    return models.BigIntegerField(
        "template",
        null=not required,
        blank=not required,
        db_index=True,
        help_text="The id of the template the file was imported through.",
    )


class TargetRecord(models.Model):
    """`template`: the record `template_id` names, read through the registered import target
    (None when there is none, or no app registers templates). Setting it sets `template_id`;
    `ExcelImport(template=t)` works as it did with a foreign key."""

    class Meta:
        abstract = True

    @property
    def template(self):
        pk = self.template_id
        cached = self.__dict__.get("_template")
        if cached is not None and cached.pk == pk:
            return cached
        if pk is None:
            return None
        from workshop.imports.targets import template_target

        target = template_target()
        record = target.get(pk) if target is not None else None
        self.__dict__["_template"] = record
        return record

    @template.setter
    def template(self, record) -> None:
        self.template_id = record.pk if record is not None else None
        self.__dict__["_template"] = record


class ExcelImport(TargetRecord, TimeStampedModel):
    """One upload or import run: the stored file, its outcome and its row errors."""

    template_id = template_key(required=False)
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

    history = record_history()

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


class ImportSchedule(TargetRecord, TimeStampedModel):
    """A daily import of a file from the drop folder through a template."""

    template_id = template_key(required=True)
    source = models.CharField(
        max_length=255, help_text="A file name inside the drop folder or S3 prefix (never a path)."
    )
    hour = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(23)])
    minute = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(59)])
    active = models.BooleanField(default=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(  # noqa: DJ001 - null: not run yet (the API's null)
        max_length=20, choices=ImportStatus.choices, null=True, blank=True, default=None
    )

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "import schedule"
        constraints = [
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="importschedule_hour_range"),
            models.CheckConstraint(condition=models.Q(minute__lte=59), name="importschedule_minute_range"),
        ]

    def __str__(self) -> str:
        # Lists annotate the template's name (`template_label`): no query per row there.
        name = getattr(self, "template_label", None) or self.template or f"template {self.template_id}"
        return f"{name} at {self.hour:02d}:{self.minute:02d}"

    def clean(self) -> None:
        source = self.source or ""
        if not source.strip() or "/" in source or "\\" in source or source in (".", "..") or "\x00" in source:
            raise ValidationError({"source": "A plain file name inside the drop folder, not a path."})
