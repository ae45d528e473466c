from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func
from django.utils import timezone

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
    next_service_due = models.GeneratedField(
        expression=AddDays("last_service_date", "service_interval_days"),
        output_field=models.DateField(),
        db_persist=True,
        db_index=True,
        null=True,  # no last service or no interval: no date (and `exclude()` must know it)
        verbose_name="next service due",
    )

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
