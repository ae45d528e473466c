from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from workorders.models import WorkOrder
from workshop.models import TimeStampedModel, business_key_field, excel_permissions, non_blank_constraint


class InspectionResult(models.TextChoices):
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"


class DefectType(models.TextChoices):
    POROSITY = "porosity", "Porosity"
    CRACK = "crack", "Crack"
    UNDERCUT = "undercut", "Undercut"
    LACK_OF_FUSION = "lack_of_fusion", "Lack of Fusion"
    INCOMPLETE_PENETRATION = "incomplete_penetration", "Incomplete Penetration"
    SLAG_INCLUSION = "slag_inclusion", "Slag Inclusion"
    SPATTER = "spatter", "Spatter"
    DISTORTION = "distortion", "Distortion"
    OTHER = "other", "Other"


class InspectionMethod(models.TextChoices):
    VT = "VT", "Visual Testing"
    PT = "PT", "Penetrant Testing"
    MT = "MT", "Magnetic Particle Testing"
    UT = "UT", "Ultrasonic Testing"
    RT = "RT", "Radiographic Testing"


class Inspection(TimeStampedModel):
    inspection_id = business_key_field("inspection ID")
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, related_name="inspections", verbose_name="work order"
    )
    weld = models.ForeignKey(
        "workorders.Weld",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        help_text="The weld examined (one of the work order's).",
    )
    inspector = models.CharField(max_length=200, blank=True, default="", db_index=True)
    result = models.CharField(max_length=10, choices=InspectionResult.choices, db_index=True)
    # null means "no defect" (the spec's value), distinct from any defect; hence null on a CharField.
    defect_type = models.CharField(  # noqa: DJ001
        max_length=30, choices=DefectType.choices, null=True, blank=True, db_index=True
    )
    method = models.CharField(
        max_length=2, choices=InspectionMethod.choices, default=InspectionMethod.VT, db_index=True
    )
    inspected_at = models.DateTimeField(default=timezone.now, db_index=True)
    notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        permissions = [
            ("change_own_inspection", "Can change inspections they created"),
            *excel_permissions("inspection", "inspections"),
        ]
        constraints = [
            non_blank_constraint("inspection_id", "inspection"),
            models.CheckConstraint(
                condition=Q(result=InspectionResult.PASS, defect_type__isnull=True)
                | Q(result=InspectionResult.FAIL, defect_type__isnull=False),
                name="inspection_defect_matches_result",
                violation_error_message="A fail needs a defect type; a pass has none.",
            ),
        ]

    def __str__(self) -> str:
        return self.inspection_id

    def clean(self) -> None:
        if self.result == InspectionResult.FAIL and not self.defect_type:
            raise ValidationError({"defect_type": "A failed inspection needs a defect type."})
        if self.result == InspectionResult.PASS and self.defect_type:
            raise ValidationError({"defect_type": "A passed inspection has no defect type."})
        if (
            self.weld_id is not None
            and self.work_order_id is not None
            and self.weld.order_id != self.work_order_id
        ):
            raise ValidationError({"weld": "The weld is not one of the work order's."})
