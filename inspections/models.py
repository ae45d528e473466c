from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from inspections import finding_rules as rules
from staff.welding_choices import DEFAULT_QUALITY_LEVEL, NdtMethod, QualityLevel
from workorders.models import WorkOrder
from workshop.history.records import record_history
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


InspectionMethod = NdtMethod  # one vocabulary for a weld's required NDT and an inspection's method


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
    report_no = models.CharField(
        "report no.", max_length=100, blank=True, default="", help_text="The NDT report's number."
    )
    examined_length_mm = models.DecimalField(
        "examined length (mm)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="The length examined; blank: the whole weld.",
    )

    history = record_history()

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

    def quality_level(self) -> str:
        """The ISO 5817 level its findings are judged at, unless a finding names its own: the
        weld's, else the work order's, else C."""
        if self.weld_id is not None:
            return self.weld.quality_level or DEFAULT_QUALITY_LEVEL
        if self.work_order_id is not None:
            return self.work_order.quality_level or DEFAULT_QUALITY_LEVEL
        return DEFAULT_QUALITY_LEVEL

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


class Verdict(models.TextChoices):
    ACCEPT = rules.ACCEPT, "Accept"
    REJECT = rules.REJECT, "Reject"


class WeldFinding(TimeStampedModel):
    """An ISO 6520-1 imperfection an inspection found (WELDING.md §1). The inspection's
    `result` and `defect_type` follow from its findings (R9, inspections/finding_rules.py)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField("ISO 6520-1 code", max_length=5, choices=rules.CODE_CHOICES, db_index=True)
    size_mm = models.DecimalField(
        "size (mm)", max_digits=8, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    length_mm = models.DecimalField(
        "length (mm)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    location = models.CharField(max_length=200, blank=True, default="")
    quality_level = models.CharField(
        max_length=1,
        choices=QualityLevel.choices,
        blank=True,
        default="",
        help_text="ISO 5817 level judged against; blank: the weld's (else the work order's, else C).",
    )
    verdict = models.CharField(max_length=6, choices=Verdict.choices, db_index=True)

    history = record_history()

    class Meta:
        ordering = ["id"]
        verbose_name = "weld finding"
        permissions = [
            ("change_own_weldfinding", "Can change findings they created"),
            *excel_permissions("weldfinding", "findings"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.verdict}"

    @property
    def group(self) -> int | None:
        return rules.CODES[self.code].group if self.code in rules.CODES else None

    @property
    def label(self) -> str:
        return rules.CODES[self.code].label if self.code in rules.CODES else ""

    def as_rule(self) -> rules.Finding:
        return rules.Finding(self.code, self.verdict, self.quality_level)
