from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from staff import welding_choices as welding
from staff.models import Employee, mm_field
from workshop.history.records import record_history
from workshop.models import (
    WHOLE_NUMBER,
    TimeStampedModel,
    business_key_field,
    excel_permissions,
    non_blank_constraint,
)


class WorkOrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In Progress"
    ON_HOLD = "on_hold", "On Hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


CLOSED_STATUSES = (WorkOrderStatus.COMPLETED, WorkOrderStatus.CANCELLED)


def overdue_q(today: dt.date | None = None) -> Q:
    """Overdue: due before today (in TIME_ZONE) and not completed or cancelled."""
    return Q(due_date__lt=today or timezone.localdate()) & ~Q(status__in=CLOSED_STATUSES)


def completion_time(
    *,
    status: str,
    previous_status: str | None,
    stored: dt.datetime | None,
    given: dt.datetime | None,
    may_set: bool,
    now: dt.datetime,
) -> dt.datetime | None:
    """The `completed_at` a work order gets when it is written with `status` (SPEC §6): the one
    rule for the API's serializer, the admin's form and the Excel import, which each call it
    before saving (`save()` itself decides nothing).

    - `previous_status`/`stored`: the record as stored (None, None for a new one).
    - `given`: the time the caller sent, or None when it sent none (or null, or an empty cell:
      "work it out"). A time equal to `stored` is no change either (a client sending the whole
      record back, an export imported again).
    - Worked out: the status becomes `completed` → `now`; it stays `completed` → `stored`
      (a record completed before the field existed keeps null); any other status → null.
    - Given: only with `may_set` (managers, admins, commands; `roles.user_may_record_history`),
      only for a `completed` order, and never in the future. Else a ValidationError on
      `completed_at`.
    """
    if given is not None and given != stored:
        if not may_set:
            raise ValidationError(
                {
                    "completed_at": "Your role may not set the completion time: it is set when the "
                    "status becomes completed. Leave completed_at out (or send it as it is)."
                },
                code="forbidden",
            )
        if status != WorkOrderStatus.COMPLETED:
            raise ValidationError(
                {
                    "completed_at": "Only a completed order has a completion time: set the status to completed."
                },
                code="not_completed",
            )
        if given > now:
            raise ValidationError({"completed_at": "Cannot be in the future."}, code="future")
        return given
    if status != WorkOrderStatus.COMPLETED:
        return None
    if previous_status == WorkOrderStatus.COMPLETED:
        return stored
    return now


class WorkOrder(TimeStampedModel):
    order_id = business_key_field("order ID")
    client = models.CharField(max_length=200, db_index=True)
    description = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=20, choices=WorkOrderStatus.choices, default=WorkOrderStatus.PENDING, db_index=True
    )
    due_date = models.DateField(null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(
        "completed at",
        null=True,
        blank=True,
        db_index=True,
        help_text="When the order was completed: set when its status becomes completed, cleared "
        "when it leaves it. Managers and admins may record an earlier time (history kept elsewhere); "
        "never a time in the future.",
    )
    assigned_welder = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        help_text="The employee doing the job.",
    )
    wps = models.ForeignKey(
        "workorders.Wps",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name="WPS",
        help_text="The welding procedure the job follows: the assigned welder must be qualified for it.",
    )
    quality_level = models.CharField(
        max_length=1,
        choices=welding.QualityLevel.choices,
        blank=True,
        default="",
        help_text="ISO 5817 (B, C or D).",
    )
    ndt_extent_percent = models.PositiveSmallIntegerField(
        "NDT extent (%)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Informative: the share of welds to examine by volumetric NDT.",
    )
    assignment_check = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The welder check when the welder or WPS was last set.",
    )
    assignment_override_reason = models.CharField(max_length=500, blank=True, default="", editable=False)
    assignment_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    assignment_override_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "work order"
        permissions = [
            ("change_own_workorder", "Can change work orders they created or are assigned to"),
            *excel_permissions("workorder", "work orders"),
        ]
        constraints = [
            non_blank_constraint("order_id", "workorder"),
            non_blank_constraint("client", "workorder"),
            models.CheckConstraint(
                condition=Q(ndt_extent_percent__isnull=True) | Q(ndt_extent_percent__lte=100),
                name="workorder_ndt_extent_percent_max_100",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="workorder_status_due_idx")]

    def __str__(self) -> str:
        return self.order_id

    def is_owned_by(self, user) -> bool:
        """Created by `user`, or assigned to `user`'s own employee record."""
        if super().is_owned_by(user):
            return True
        welder = self.assigned_welder
        return welder is not None and welder.user_id is not None and welder.user_id == user.pk

    def overdue_on(self, today: dt.date) -> bool:
        return self.due_date is not None and self.due_date < today and self.status not in CLOSED_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())

    @property
    def listed_inspections(self) -> list:
        """The inspections, from the list's prefetch when there was one."""
        prefetched = getattr(self, "prefetched_inspections", None)
        return prefetched if prefetched is not None else list(self.inspections.order_by("id"))


# ---------------------------------------------------------------------------- welding (§8)
class WpsStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"


class Wps(TimeStampedModel):
    """A welding procedure specification (ISO 15609-1 / ASME QW-482). Approved, it is
    immutable except by superseding it."""

    wps_id = business_key_field("WPS ID")
    revision = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(
        max_length=12, choices=WpsStatus.choices, default=WpsStatus.DRAFT, db_index=True
    )
    pqr_ref = models.CharField(
        "PQR", max_length=100, blank=True, default="", help_text="The WPQR/PQR it rests on."
    )
    process = models.CharField(max_length=4, choices=welding.Process.choices, db_index=True)
    root_process = models.CharField(
        max_length=4,
        choices=welding.Process.choices,
        blank=True,
        default="",
        help_text="A root run's own process.",
    )
    product_forms = models.JSONField(validators=[welding.ChoiceList("staff.welding_choices.ProductForm")])
    weld_types = models.JSONField(validators=[welding.ChoiceList("staff.welding_choices.WeldType")])
    material_groups = models.JSONField(
        default=list, blank=True, help_text="ISO/TR 15608 groups, e.g. 1.1, 8.1."
    )
    filler_group = models.CharField(max_length=10, blank=True, default="", help_text="e.g. FM1.")
    filler_designation = models.CharField(max_length=100, blank=True, default="")
    shielding_gas = models.CharField(max_length=100, blank=True, default="")
    thickness_min_mm = mm_field("minimum thickness (mm)", required=True)
    thickness_max_mm = mm_field("maximum thickness (mm)", help_text="Empty: unlimited.")
    diameter_min_mm = mm_field("minimum pipe diameter (mm)")
    diameter_max_mm = mm_field("maximum pipe diameter (mm)", help_text="Empty: unlimited.")
    positions = models.JSONField(validators=[welding.ChoiceList("staff.welding_choices.Position")])
    preheat_min_c = models.IntegerField("minimum preheat (°C)", null=True, blank=True)
    interpass_max_c = models.IntegerField("maximum interpass (°C)", null=True, blank=True)
    parameters = models.JSONField(
        default=dict, blank=True, help_text="Welding parameters (current, voltage, speed …)."
    )

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "WPS"
        verbose_name_plural = "WPS"
        permissions = [("approve_wps", "Can approve a WPS"), *excel_permissions("wps", "WPS")]
        constraints = [
            non_blank_constraint("wps_id", "wps"),
            models.CheckConstraint(
                condition=Q(thickness_max_mm__isnull=True) | Q(thickness_max_mm__gte=F("thickness_min_mm")),
                name="wps_thickness_range",
            ),
            models.CheckConstraint(
                condition=Q(diameter_max_mm__isnull=True)
                | Q(diameter_min_mm__isnull=True)
                | Q(diameter_max_mm__gte=F("diameter_min_mm")),
                name="wps_diameter_range",
            ),
        ]

    def __str__(self) -> str:
        return self.wps_id


def default_ndt() -> list[str]:
    return ["VT"]


class Weld(TimeStampedModel):
    """One joint of a work order (the weld map)."""

    weld_id = business_key_field("weld ID")
    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="welds")
    wps = models.ForeignKey(
        Wps, on_delete=models.PROTECT, null=True, blank=True, related_name="welds", verbose_name="WPS"
    )
    joint_type = models.CharField(max_length=2, choices=welding.WeldType.choices)
    product_form = models.CharField(max_length=1, choices=welding.ProductForm.choices)
    thickness_mm = models.DecimalField(
        "thickness (mm)", max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    diameter_mm = mm_field("pipe diameter (mm)", help_text="Required for a pipe (T).")
    position = models.CharField(max_length=6, choices=welding.Position.choices)
    length_mm = mm_field("length (mm)")
    quality_level = models.CharField(
        max_length=1, choices=welding.QualityLevel.choices, default=welding.DEFAULT_QUALITY_LEVEL
    )
    ndt_required = models.JSONField(
        "NDT required",
        default=default_ndt,
        validators=[welding.ChoiceList("staff.welding_choices.NdtMethod")],
    )

    history = record_history()

    class Meta:
        ordering = ["id"]
        permissions = [
            ("change_own_weld", "Can change welds they created"),
            *excel_permissions("weld", "welds"),
        ]
        constraints = [
            non_blank_constraint("weld_id", "weld"),
            models.CheckConstraint(condition=Q(thickness_mm__gt=0), name="weld_thickness_positive"),
            models.CheckConstraint(
                condition=~Q(product_form=welding.ProductForm.PIPE) | Q(diameter_mm__isnull=False),
                name="weld_pipe_has_diameter",
            ),
        ]

    def __str__(self) -> str:
        return self.weld_id

    def clean(self) -> None:
        super().clean()
        if self.product_form == welding.ProductForm.PIPE and self.diameter_mm is None:
            raise ValidationError({"diameter_mm": "A pipe (T) needs its diameter."}, code="required")


class Layer(models.TextChoices):
    TACK = "tack", "Tack"
    ROOT = "root", "Root"
    FILL = "fill", "Fill"
    CAP = "cap", "Cap"
    COMPLETE = "complete", "Complete"
    REPAIR = "repair", "Repair"


class WeldActivity(TimeStampedModel):
    """One welder's work on a weld on a day (the weld log), with the welder check it passed
    (or the override that let it through)."""

    weld = models.ForeignKey(Weld, on_delete=models.PROTECT, related_name="activities")
    welder = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="weld_activities")
    process = models.CharField(max_length=4, choices=welding.Process.choices)
    layer = models.CharField(max_length=10, choices=Layer.choices, default=Layer.COMPLETE)
    welded_on = models.DateField(db_index=True)
    consumable_lot = models.ForeignKey(
        "inventory.ConsumableLot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="weld_activities",
    )
    equipment = models.ForeignKey(
        "equipment.Equipment", on_delete=models.PROTECT, null=True, blank=True, related_name="weld_activities"
    )
    arc_seconds = models.PositiveIntegerField(null=True, blank=True, validators=WHOLE_NUMBER)
    qualification = models.ForeignKey(
        "staff.WelderQualification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="weld_activities",
        help_text="The qualification the check matched.",
    )
    check_result = models.JSONField(
        "check", default=dict, blank=True, editable=False, help_text="The welder check as it ran (R7)."
    )
    override_reason = models.CharField(max_length=500, blank=True, default="", editable=False)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    override_at = models.DateTimeField(null=True, blank=True, editable=False)
    overridden = models.GeneratedField(
        expression=~Q(override_reason=""),
        output_field=models.BooleanField(),
        db_persist=True,
        db_index=True,
    )

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "weld-log entry"
        verbose_name_plural = "weld log"
        permissions = [
            ("change_own_weldactivity", "Can change weld-log entries they created"),
            ("override_weldactivity", "Can save a weld-log entry or assignment the welder check refuses"),
            *excel_permissions("weldactivity", "weld-log entries"),
        ]
        indexes = [
            # Continuity (R3) reads a welder's days per process, overridden entries left out:
            # in index order, without a sort (staff.qualifications.RUNS_SQL).
            models.Index(
                fields=["welder", "process", "welded_on"],
                condition=Q(override_reason=""),
                name="weldlog_continuity",
            ),
            models.Index(fields=["weld", "welded_on"], name="weldlog_weld_day"),
        ]

    def __str__(self) -> str:
        return f"{self.weld_id} {self.welder_id} {self.welded_on}"

    @property
    def override(self) -> dict | None:
        if not self.override_reason:
            return None
        return {"reason": self.override_reason, "by": self.override_by_id, "at": self.override_at}
