from __future__ import annotations

import datetime as dt
import os
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func
from django.utils import timezone
from django.utils.text import get_valid_filename

from equipment import calibration_rules as cal
from workshop.history.records import record_history
from workshop.models import (
    INT_MAX,
    TimeStampedModel,
    business_key_field,
    excel_permissions,
    non_blank_constraint,
)


class EquipmentStatus(models.TextChoices):
    OPERATIONAL = "operational", "Operational"
    MAINTENANCE = "maintenance", "Maintenance"
    OUT_OF_ORDER = "out_of_order", "Out of Order"


# Labels the shop's own files and older clients use.
EQUIPMENT_STATUS_ALIASES = {
    "Maintenance Required": EquipmentStatus.MAINTENANCE,
    "Under Maintenance": EquipmentStatus.MAINTENANCE,
    "Out of Service": EquipmentStatus.OUT_OF_ORDER,
    "Broken": EquipmentStatus.OUT_OF_ORDER,
}


def service_overdue_q(today: dt.date | None = None) -> models.Q:
    """Service overdue: the next service was due before today (in TIME_ZONE). Equipment
    without a next service date (no last service or no interval) is never overdue."""
    return models.Q(next_service_due__lt=today or timezone.localdate())


# `service_overdue_q` in SQL (for `workshop.sql`), parameter `today`; a test holds the two equal.
SERVICE_OVERDUE_SQL = "next_service_due < %(today)s"


class AddDays(Func):
    """`date + n days`, as an immutable expression both databases accept in a generated
    column (PostgreSQL: `date + integer`; SQLite: `date(d, '+n days')`)."""

    output_field = models.DateField()

    def as_sql(self, compiler, connection, **extra):
        return self.as_postgresql(compiler, connection, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '+' || ", **extra
        )


class Equipment(TimeStampedModel):
    equipment_id = business_key_field("equipment ID")
    name = models.CharField(max_length=200, db_index=True)
    status = models.CharField(
        max_length=20, choices=EquipmentStatus.choices, default=EquipmentStatus.OPERATIONAL, db_index=True
    )
    last_service_date = models.DateField(null=True, blank=True, db_index=True)
    service_interval_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(INT_MAX)]
    )
    calibration_interval_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(INT_MAX)],
        help_text="Days between calibrations or validations (null: none required).",
    )
    next_service_due = models.GeneratedField(
        expression=AddDays("last_service_date", "service_interval_days"),
        output_field=models.DateField(),
        db_persist=True,
        db_index=True,
        null=True,  # no last service or no interval: no date (and `exclude()` must know it)
        verbose_name="next service due",
    )

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "equipment"
        verbose_name_plural = "equipment"
        permissions = excel_permissions("equipment", "equipment")
        constraints = [
            non_blank_constraint("equipment_id", "equipment"),
            non_blank_constraint("name", "equipment"),
            models.CheckConstraint(
                condition=models.Q(service_interval_days__isnull=True)
                | models.Q(service_interval_days__gte=1),
                name="equipment_service_interval_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(calibration_interval_days__isnull=True)
                | models.Q(calibration_interval_days__gte=1),
                name="equipment_calibration_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.equipment_id} {self.name}"

    def clean(self) -> None:
        if self.service_interval_days is not None and self.service_interval_days < 1:
            # The check constraint says so too; this gives the admin and the API a message.
            raise ValidationError({"service_interval_days": "The service interval is at least 1 day."})
        # The database computes next_service_due; a date past 9999-12-31 cannot be read back
        # into Python, so refuse it here rather than fail on save or on the next read.
        if self.last_service_date is not None and self.service_interval_days is not None:
            try:
                self.last_service_date + dt.timedelta(days=self.service_interval_days)
            except OverflowError:
                raise ValidationError(
                    {"service_interval_days": "The next service would fall after 9999-12-31."}
                ) from None

    @property
    def service_overdue(self) -> bool:
        return self.next_service_due is not None and self.next_service_due < timezone.localdate()


class CalibrationKind(models.TextChoices):
    VALIDATION = "validation", "Validation"
    CALIBRATION = "calibration", "Calibration"


class AccuracyGrade(models.TextChoices):
    STANDARD = "standard", "Standard"
    PRECISION = "precision", "Precision"


class CalibrationResult(models.TextChoices):
    PASS = cal.PASS, "Pass"
    FAIL = cal.FAIL, "Fail"


class CalibrationStatus(models.TextChoices):
    NOT_REQUIRED = cal.NOT_REQUIRED, "Not required"
    NONE = cal.NONE, "None recorded"
    VALID = cal.VALID, "Valid"
    DUE_SOON = cal.DUE_SOON, "Due soon"
    OVERDUE = cal.OVERDUE, "Overdue"
    FAILED = cal.FAILED, "Failed"


def certificate_path(instance, filename: str) -> str:
    """`calibrations/YYYY/MM/<uuid>-<sanitised name>`, as imports store their uploads."""
    name = get_valid_filename(os.path.basename(filename or "certificate"))[-100:] or "certificate"
    today = timezone.now()
    return f"calibrations/{today:%Y}/{today:%m}/{uuid.uuid4().hex}-{name}"


class EquipmentCalibration(TimeStampedModel):
    """A calibration or validation of a machine (IEC 60974-14 [S8]) with its certificate: what
    proves the machine on the day of a weld."""

    equipment = models.ForeignKey(Equipment, on_delete=models.PROTECT, related_name="calibrations")
    kind = models.CharField(max_length=20, choices=CalibrationKind.choices)
    accuracy_grade = models.CharField(max_length=20, choices=AccuracyGrade.choices, blank=True, default="")
    performed_on = models.DateField(db_index=True)
    certificate_no = models.CharField(max_length=100, blank=True, default="")
    result = models.CharField(max_length=10, choices=CalibrationResult.choices, db_index=True)
    valid_until = models.DateField(
        blank=True,
        db_index=True,
        help_text="Last day it counts (default: performed_on + the equipment's interval, else 365 days).",
    )
    measurements = models.JSONField(default=dict, blank=True, help_text="Measured values (a JSON object).")
    certificate = models.FileField(upload_to=certificate_path, max_length=500, blank=True, editable=False)
    certificate_filename = models.CharField(max_length=255, blank=True, default="", editable=False)
    certificate_content_type = models.CharField(max_length=50, blank=True, default="", editable=False)

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "equipment calibration"
        permissions = excel_permissions("equipmentcalibration", "equipment calibrations")
        indexes = [models.Index(fields=["equipment", "performed_on"], name="calibration_equipment_day")]

    def __str__(self) -> str:
        return f"{self.equipment.equipment_id if self.equipment_id else '?'} {self.kind} {self.performed_on}"

    def default_valid_until(self) -> dt.date | None:
        if self.performed_on is None:
            return None
        interval = self.equipment.calibration_interval_days if self.equipment_id else None
        try:
            return cal.default_valid_until(self.performed_on, interval)
        except OverflowError:
            return None

    def clean(self) -> None:
        errors = {}
        if self.performed_on is not None and self.performed_on > timezone.localdate():
            errors["performed_on"] = "A calibration is recorded once performed: not after today."
        if self.valid_until is None and self.performed_on is not None:
            self.valid_until = self.default_valid_until()
            if self.valid_until is None:
                errors["valid_until"] = "The default validity would fall after 9999-12-31."
        if (
            self.valid_until is not None
            and self.performed_on is not None
            and self.valid_until < self.performed_on
        ):
            errors["valid_until"] = "valid_until is on or after performed_on."
        if not isinstance(self.measurements, dict):
            errors["measurements"] = 'A JSON object (e.g. {"current_a": 200.4}).'
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.valid_until is None and self.performed_on is not None:
            self.valid_until = self.default_valid_until()
        super().save(*args, **kwargs)

    def as_rule(self) -> cal.Calibration:
        return cal.Calibration(
            performed_on=self.performed_on,
            result=self.result,
            valid_until=self.valid_until,
            kind=self.kind,
            seq=self.pk or 0,
        )
