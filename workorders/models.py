from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from staff.models import Employee
from workshop.models import TimeStampedModel, business_key_field, excel_permissions, non_blank_constraint


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
