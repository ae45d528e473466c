from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from workshop.models import TimeStampedModel, business_key_field, excel_permissions, non_blank_constraint

EXPIRING_WITHIN_DAYS = 30


class CertificationStatus(models.TextChoices):
    VALID = "valid", "Valid"
    EXPIRING = "expiring", "Expiring"
    EXPIRED = "expired", "Expired"
    NONE = "none", "None"


def certification_status_expression(today: dt.date | None = None) -> Case:
    """`certification_status` in SQL: expired before today, expiring within 30 days."""
    today = today or timezone.localdate()
    return Case(
        When(certification_expiry__isnull=True, then=Value(CertificationStatus.NONE)),
        When(certification_expiry__lt=today, then=Value(CertificationStatus.EXPIRED)),
        When(
            certification_expiry__lte=today + dt.timedelta(days=EXPIRING_WITHIN_DAYS),
            then=Value(CertificationStatus.EXPIRING),
        ),
        default=Value(CertificationStatus.VALID),
        output_field=models.CharField(),
    )


def certification_status_q(status: str, today: dt.date | None = None) -> Q:
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
    return {
        CertificationStatus.NONE: Q(certification_expiry__isnull=True),
        CertificationStatus.EXPIRED: Q(certification_expiry__lt=today),
        CertificationStatus.EXPIRING: Q(certification_expiry__gte=today, certification_expiry__lte=soon),
        CertificationStatus.VALID: Q(certification_expiry__gt=soon),
    }[status]


# `certification_status_q` and `certification_status_expression` in SQL (for `workshop.sql`),
# parameters from `certification_sql_params`; a test holds them equal.
CERTIFICATION_STATUS_WHERE_SQL = {
    CertificationStatus.NONE: "certification_expiry IS NULL",
    CertificationStatus.EXPIRED: "certification_expiry < %(today)s",
    CertificationStatus.EXPIRING: "certification_expiry >= %(today)s AND certification_expiry <= %(expiring_until)s",
    CertificationStatus.VALID: "certification_expiry > %(expiring_until)s",
}
CERTIFICATION_STATUS_SQL = (
    "CASE "
    + " ".join(
        f"WHEN {CERTIFICATION_STATUS_WHERE_SQL[status]} THEN '{status.value}'"
        for status in (CertificationStatus.NONE, CertificationStatus.EXPIRED, CertificationStatus.EXPIRING)
    )
    + f" ELSE '{CertificationStatus.VALID.value}' END"
)


def certification_sql_params(today: dt.date) -> dict[str, dt.date]:
    return {"today": today, "expiring_until": today + dt.timedelta(days=EXPIRING_WITHIN_DAYS)}


class Employee(TimeStampedModel):
    employee_id = business_key_field("employee ID")
    name = models.CharField(max_length=200, db_index=True)
    role = models.CharField(max_length=100, blank=True, default="", db_index=True)
    certification_expiry = models.DateField(null=True, blank=True, db_index=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
        help_text="The login user this employee is.",
    )

    class Meta:
        ordering = ["id"]
        permissions = excel_permissions("employee", "employees")
        constraints = [
            non_blank_constraint("employee_id", "employee"),
            non_blank_constraint("name", "employee"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.name}"

    @property
    def certification_status(self) -> str:
        if self.certification_expiry is None:
            return CertificationStatus.NONE
        today = timezone.localdate()
        if self.certification_expiry < today:
            return CertificationStatus.EXPIRED
        if self.certification_expiry <= today + dt.timedelta(days=EXPIRING_WITHIN_DAYS):
            return CertificationStatus.EXPIRING
        return CertificationStatus.VALID
