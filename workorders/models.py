from __future__ import annotations

import datetime as dt

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


class WorkOrder(TimeStampedModel):
    order_id = business_key_field("order ID")
    client = models.CharField(max_length=200, db_index=True)
    description = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=20, choices=WorkOrderStatus.choices, default=WorkOrderStatus.PENDING, db_index=True
    )
    due_date = models.DateField(null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)  # TMP
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
