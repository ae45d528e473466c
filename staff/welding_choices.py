"""The welding vocabulary of WELDING.md §1, shared by every app's welding models: processes
(ISO 4063), positions (ISO 6947), product forms, weld types, quality levels, standards.

Processes and positions are stored as their numbers/codes; the API and the imports also take
the labels and the ASME positions (`ALIASES`, for `LenientChoiceField(aliases=...)`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.module_loading import import_string

from staff import welding_rules as rules


class Process(models.TextChoices):
    """ISO 4063 reference numbers."""

    P111 = "111", "SMAW"
    P114 = "114", "FCAW-S"
    P121 = "121", "SAW"
    P131 = "131", "MIG"
    P135 = "135", "MAG"
    P136 = "136", "FCAW"
    P138 = "138", "MCAW"
    P141 = "141", "TIG"
    P15 = "15", "PAW"
    P311 = "311", "OFW"


# Other names the shop and the certificates use for a process.
PROCESS_ALIASES = {"GMAW": "135", "GTAW": "141", "MMA": "111", "FCAW-G": "136", "PLASMA": "15"}


class Position(models.TextChoices):
    """ISO 6947 welding positions."""

    PA = "PA", "PA (flat)"
    PB = "PB", "PB (horizontal-vertical)"
    PC = "PC", "PC (horizontal)"
    PD = "PD", "PD (horizontal-overhead)"
    PE = "PE", "PE (overhead)"
    PF = "PF", "PF (vertical up)"
    PG = "PG", "PG (vertical down)"
    PH = "PH", "PH (pipe, vertical up)"
    PJ = "PJ", "PJ (pipe, vertical down)"
    H_L045 = "H-L045", "H-L045 (pipe at 45°, up)"
    J_L045 = "J-L045", "J-L045 (pipe at 45°, down)"


# ASME positions → ISO 6947 (ISO 6947 Annex B, WELDING.md S4): 3G is taken as PF (uphill, the
# usual qualification); fillets likewise.
POSITION_ALIASES = {
    "1G": "PA",
    "2G": "PC",
    "3G": "PF",
    "4G": "PE",
    "6G": "H-L045",
    "1F": "PA",
    "2F": "PB",
    "3F": "PF",
    "4F": "PD",
}


class ProductForm(models.TextChoices):
    PLATE = "P", "Plate"
    PIPE = "T", "Pipe"


class WeldType(models.TextChoices):
    BUTT = "BW", "Butt weld"
    FILLET = "FW", "Fillet weld"


class QualityLevel(models.TextChoices):
    """ISO 5817 quality levels."""

    B = "B", "B (stringent)"
    C = "C", "C (intermediate)"
    D = "D", "D (moderate)"


DEFAULT_QUALITY_LEVEL = QualityLevel.C


class Standard(models.TextChoices):
    ISO_9606_1 = rules.ISO_9606_1, "ISO 9606-1"
    ASME_IX = rules.ASME_IX, "ASME IX"
    AWS_D1_1 = rules.AWS_D1_1, "AWS D1.1"


class RevalidationMethod(models.TextChoices):
    A = "9.3a", "9.3a (retest every 3 years)"
    B = "9.3b", "9.3b (revalidation every 2 years)"
    C = "9.3c", "9.3c (continuity, ISO 3834-2/-3)"


class NdtMethod(models.TextChoices):
    """The NDT methods: a weld's `ndt_required` and an inspection's `method`
    (`inspections.models.InspectionMethod` is this class)."""

    VT = "VT", "Visual Testing"
    PT = "PT", "Penetrant Testing"
    MT = "MT", "Magnetic Particle Testing"
    UT = "UT", "Ultrasonic Testing"
    RT = "RT", "Radiographic Testing"


class QualificationStatus(models.TextChoices):
    """R1: a qualification on a day."""

    REVOKED = rules.REVOKED, "Revoked"
    PENDING = rules.PENDING, "Pending"
    EXPIRED = rules.EXPIRED, "Expired"
    LAPSED = rules.LAPSED, "Lapsed"
    EXPIRING = rules.EXPIRING, "Expiring"
    VALID = rules.VALID, "Valid"


class WelderStatus(models.TextChoices):
    """An employee's best standing across their qualifications (WELDING.md §2)."""

    QUALIFIED = "qualified", "Qualified"
    EXPIRING = "expiring", "Expiring"
    LAPSED = "lapsed", "Lapsed"
    NONE = "none", "None"


def welder_status(statuses) -> str:
    """The best of an employee's qualification statuses: any valid → qualified, else any
    expiring → expiring, else any that ever held (lapsed, expired, revoked) → lapsed, else none
    (no qualification, or only pending ones)."""
    statuses = set(statuses)
    if rules.VALID in statuses:
        return WelderStatus.QUALIFIED
    if rules.EXPIRING in statuses:
        return WelderStatus.EXPIRING
    if statuses & {rules.LAPSED, rules.EXPIRED, rules.REVOKED}:
        return WelderStatus.LAPSED
    return WelderStatus.NONE


@deconstructible
class ChoiceList:
    """A model validator for a JSON array of `choices` values (`product_forms`, `positions`):
    a list, of known values, without repeats, not empty when `required`. `choices` is the
    TextChoices' dotted path (migrations store it)."""

    def __init__(self, choices: str, required: bool = True):
        self.choices = choices
        self.required = required

    def __eq__(self, other) -> bool:
        return isinstance(other, ChoiceList) and (self.choices, self.required) == (
            other.choices,
            other.required,
        )

    def __call__(self, value) -> None:
        allowed = import_string(self.choices).values
        if not isinstance(value, list):
            raise ValidationError("Must be a list.", code="not_a_list")
        if self.required and not value:
            raise ValidationError("Name at least one.", code="empty")
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ValidationError(
                f"Unknown: {', '.join(map(str, unknown))}. One of: {', '.join(allowed)}.",
                code="invalid_choice",
            )
        if len(set(value)) != len(value):
            raise ValidationError("Each value once.", code="repeated")
