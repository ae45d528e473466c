"""The staff app's spreadsheets: employees and welder qualifications (WELDING.md §5).

A qualification's `LastConfirmed` is no field of its own: the import records it as a
confirmation with the override reason "imported" (the paper record the shop already has,
taken on trust: no weld-log evidence), unless a confirmation or revalidation on or after that
day is already recorded — so an export imported again changes nothing; the export writes the
latest confirmation or revalidation."""

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from staff import welding_rules as rules
from staff.models import Employee, QualificationEvent, WelderQualification
from staff.serializers import EmployeeSerializer, WelderQualificationSerializer
from workshop.api.fields import LenientDateField
from workshop.history.records import CREATED, record_rows
from workshop.imports.spec import Column, Related, ResourceSpec

IMPORTED = "imported"
CONFIRMING = (rules.CONFIRMATION, rules.REVALIDATION)


def last_confirmed_expression():
    return Subquery(
        QualificationEvent.objects.filter(qualification=OuterRef("pk"), kind__in=CONFIRMING)
        .order_by("-on_date")
        .values("on_date")[:1]
    )


def prepare_qualification_row(attrs: dict, current, **_context) -> None:
    """A `LastConfirmed` on or after the test date, and not after today (a confirmation is a
    record of what happened)."""
    day = attrs.get("last_confirmed")
    if day is None:
        return
    test_date = attrs.get("test_date", getattr(current, "test_date", None))
    if test_date is not None and day < test_date:
        raise ValidationError({"last_confirmed": f"Cannot be before the test date {test_date}."})
    if day > timezone.localdate():
        raise ValidationError({"last_confirmed": "Cannot be in the future."})
    if attrs.get("standard", getattr(current, "standard", None)) not in (None, rules.ISO_9606_1):
        raise ValidationError(
            {
                "last_confirmed": "Only ISO 9606-1 qualifications are confirmed; leave it empty for ASME and AWS."
            }
        )


def record_imported_confirmations(*, rows: list, user, write: bool) -> set[int]:
    """The rows whose `LastConfirmed` is later than every confirmation or revalidation on
    record: one confirmation each (when `write`). Two queries a batch."""
    wanted = {
        i: values["last_confirmed"] for i, (_obj, values) in enumerate(rows) if values.get("last_confirmed")
    }
    known_pks = [rows[i][0].pk for i in wanted if rows[i][0].pk is not None]
    latest: dict[int, object] = {}
    for pk, day in (
        QualificationEvent.objects.filter(qualification_id__in=known_pks, kind__in=CONFIRMING)
        .order_by("on_date")
        .values_list("qualification_id", "on_date")
    ):
        latest[pk] = day
    changing = {
        i
        for i, day in wanted.items()
        if rows[i][0].pk is None or latest.get(rows[i][0].pk) is None or latest[rows[i][0].pk] < day
    }
    if write and changing:
        by = user if user is not None and user.is_authenticated else None
        created = QualificationEvent.objects.bulk_create(
            QualificationEvent(
                qualification=rows[i][0],
                kind=rules.CONFIRMATION,
                on_date=wanted[i],
                by=by,
                created_by=by,
                note="LastConfirmed from a spreadsheet",
                override_reason=IMPORTED,
            )
            for i in sorted(changing)
        )
        record_rows(QualificationEvent, created, CREATED)
    return changing


SPEC = ResourceSpec(
    resource="employees",
    model=Employee,
    serializer_class=EmployeeSerializer,
    key="employee_id",
    columns=(
        Column("employee_id", "EmployeeID"),
        Column("name", "Name"),
        Column("role", "Role"),
        Column("certification_expiry", "CertificationExpiry", aliases=("Certification",)),
        Column("stamp", "Stamp", aliases=("WelderStamp",)),
    ),
)

QUALIFICATIONS_SPEC = ResourceSpec(
    resource="qualifications",
    model=WelderQualification,
    serializer_class=WelderQualificationSerializer,
    key="qualification_id",
    columns=(
        Column("qualification_id", "QualificationID", aliases=("CertificateNo",)),
        Column("employee", "EmployeeID", aliases=("Welder",), source="employee__employee_id"),
        Column("standard", "Standard"),
        Column("process", "Process"),
        Column("product_forms", "ProductForms"),
        Column("weld_types", "WeldTypes"),
        Column("filler_groups", "FillerGroups"),
        Column("thickness_min_mm", "ThicknessMin"),
        Column("thickness_max_mm", "ThicknessMax"),
        Column("diameter_min_mm", "DiameterMin"),
        Column("diameter_max_mm", "DiameterMax"),
        Column("positions", "Positions"),
        Column("test_date", "TestDate"),
        Column("revalidation_method", "Method", aliases=("RevalidationMethod",)),
        Column("last_confirmed", "LastConfirmed", aliases=("Confirmed",), virtual=True),
    ),
    related={"employee": Related(Employee, keys=("employee_id",))},
    prepare_row=prepare_qualification_row,
    virtual_fields={
        "last_confirmed": LenientDateField(
            required=False,
            allow_null=True,
            help_text="The latest confirmation (or revalidation) on paper: recorded as a confirmation "
            'with the override reason "imported".',
        )
    },
    virtual_exports={"last_confirmed": last_confirmed_expression()},
    write_virtual=record_imported_confirmations,
)
SPECS = (QUALIFICATIONS_SPEC,)
