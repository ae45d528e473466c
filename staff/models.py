from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from staff import welding_choices as welding
from staff import welding_rules as rules
from workshop.history.records import record_history
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
    stamp = models.CharField(
        max_length=16,
        null=True,
        blank=True,
        unique=True,
        help_text="The welder's own mark on the welds they make (unique); none for other staff.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
        help_text="The login user this employee is.",
    )

    history = record_history()

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


# ---------------------------------------------------------------------------- welding (§8)
MM = {"max_digits": 8, "decimal_places": 2}


def mm_field(verbose_name: str, *, required: bool = False, help_text: str = "") -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        **MM,
        null=not required,
        blank=not required,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=help_text,
    )


class WelderQualification(TimeStampedModel):
    """A welder's performance qualification (ISO 9606-1 certificate, ASME IX WPQ, AWS D1.1
    record), with the ranges as printed on it. Its standing on a day (status, valid_until,
    continuity_due) is worked out by `staff.welding_rules`, never stored."""

    qualification_id = business_key_field("qualification ID")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="qualifications")
    standard = models.CharField(max_length=12, choices=welding.Standard.choices)
    designation = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text='As on the certificate, e.g. "ISO 9606-1 135 P BW FM1 S t10 PF ss nb".',
    )
    process = models.CharField(max_length=4, choices=welding.Process.choices, db_index=True)
    product_forms = models.JSONField(validators=[welding.ChoiceList("staff.welding_choices.ProductForm")])
    weld_types = models.JSONField(validators=[welding.ChoiceList("staff.welding_choices.WeldType")])
    filler_groups = models.JSONField(
        default=list, blank=True, help_text="e.g. FM1, FM2; empty: not stated (not checked)."
    )
    positions = models.JSONField(validators=[welding.ChoiceList("staff.welding_choices.Position")])
    thickness_min_mm = mm_field("minimum thickness (mm)", required=True)
    thickness_max_mm = mm_field("maximum thickness (mm)", help_text="Empty: unlimited.")
    diameter_min_mm = mm_field("minimum pipe diameter (mm)")
    diameter_max_mm = mm_field("maximum pipe diameter (mm)", help_text="Empty: unlimited.")
    test_date = models.DateField(db_index=True)
    examiner = models.CharField(max_length=200, blank=True, default="")
    revalidation_method = models.CharField(
        max_length=4,
        choices=welding.RevalidationMethod.choices,
        blank=True,
        default="",
        help_text="ISO 9606-1 only: how validity is kept (§9.3 a, b or c).",
    )

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "welder qualification"
        permissions = [
            ("manage_welderqualification", "Can confirm, revalidate, renew and revoke qualifications"),
            *excel_permissions("welderqualification", "welder qualifications"),
        ]
        constraints = [
            non_blank_constraint("qualification_id", "welderqualification"),
            models.CheckConstraint(
                condition=Q(thickness_max_mm__isnull=True) | Q(thickness_max_mm__gte=F("thickness_min_mm")),
                name="welderqualification_thickness_range",
            ),
            models.CheckConstraint(
                condition=Q(diameter_max_mm__isnull=True)
                | Q(diameter_min_mm__isnull=True)
                | Q(diameter_max_mm__gte=F("diameter_min_mm")),
                name="welderqualification_diameter_range",
            ),
        ]
        indexes = [models.Index(fields=["employee", "process"], name="qualification_welder_process")]

    def __str__(self) -> str:
        return self.qualification_id

    def clean(self) -> None:
        """Rules across fields (the API and the Excel import both run it): the test not in the
        future, the ranges in order, a revalidation route for ISO 9606-1 only and one R2
        accepts (9.3c needs ISO 3834-2 or -3: `WELDSHOP_ISO3834_PART`)."""
        errors: dict[str, list[str]] = {}
        if self.test_date is not None and self.test_date > timezone.localdate():
            errors["test_date"] = ["Must not be after today."]
        low, high = self.thickness_min_mm, self.thickness_max_mm
        if low is not None and high is not None and high < low:
            errors["thickness_max_mm"] = ["Must not be less than thickness_min_mm."]
        low, high = self.diameter_min_mm, self.diameter_max_mm
        if low is not None and high is not None and high < low:
            errors["diameter_max_mm"] = ["Must not be less than diameter_min_mm."]
        if self.standard in (rules.ASME_IX, rules.AWS_D1_1) and self.revalidation_method:
            errors["revalidation_method"] = ["Only for ISO 9606-1 qualifications; leave it empty."]
        elif self.standard == rules.ISO_9606_1:
            try:
                rules.valid_until(
                    rules.Qualification(
                        standard=self.standard,
                        process=self.process,
                        test_date=self.test_date or timezone.localdate(),
                        revalidation_method=self.revalidation_method or None,
                    ),
                    iso3834_part=settings.WELDSHOP_ISO3834_PART,
                )
            except rules.RuleError as exc:
                errors[exc.field] = [exc.message]
        if errors:
            raise ValidationError(errors)

    def as_rule(self) -> rules.Qualification:
        return rules.Qualification(
            standard=self.standard,
            process=self.process,
            test_date=self.test_date,
            revalidation_method=self.revalidation_method or None,
        )

    def covers(self) -> rules.Covers:
        return rules.Covers(
            product_forms=frozenset(self.product_forms or ()),
            weld_types=frozenset(self.weld_types or ()),
            positions=frozenset(self.positions or ()),
            filler_groups=frozenset(self.filler_groups or ()),
            thickness_min=self.thickness_min_mm,
            thickness_max=self.thickness_max_mm,
            diameter_min=self.diameter_min_mm,
            diameter_max=self.diameter_max_mm,
        )


class EventKind(models.TextChoices):
    CONFIRMATION = rules.CONFIRMATION, "Confirmation"
    REVALIDATION = rules.REVALIDATION, "Revalidation"
    RENEWAL = rules.RENEWAL, "Renewal"
    REVOCATION = rules.REVOCATION, "Revocation"


class QualificationEvent(TimeStampedModel):
    """What happened to a qualification: confirmed (ISO §9.2), revalidated (§9.3b), renewed
    (ASME/AWS), revoked. Written by the qualification's actions only (and the import's
    `LastConfirmed`); read-only in the API."""

    qualification = models.ForeignKey(WelderQualification, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices, db_index=True)
    on_date = models.DateField(db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True, default="")
    evidence = models.JSONField(default=list, blank=True, help_text="The weld-log entries (ids) it rests on.")
    override_reason = models.CharField(max_length=500, blank=True, default="")

    history = record_history()

    class Meta:
        ordering = ["on_date", "id"]
        verbose_name = "qualification event"

    def __str__(self) -> str:
        return f"{self.qualification_id} {self.kind} {self.on_date}"

    def as_rule(self) -> rules.Event:
        return rules.Event(kind=self.kind, on_date=self.on_date)
