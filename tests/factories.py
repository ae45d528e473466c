"""factory-boy factories for every model."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from equipment.models import Equipment, EquipmentCalibration
from inspections.models import Inspection, WeldFinding
from inventory.models import ConsumableLot, Item, StockMovement
from machines.models import ImportTemplate, Machine, WorkshopEntry
from staff.models import Employee, QualificationEvent, WelderQualification
from workorders.models import Weld, WeldActivity, WorkOrder, Wps
from workshop.imports.models import ExcelImport, ImportSchedule
from workshop.jobs.models import Job, JobKind, JobStatus
from workshop.roles import set_user_role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_active = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        """`UserFactory(role="operator")`: the user's role group (default viewer; "" for none)."""
        if create:
            obj.save()
            set_user_role(obj, "viewer" if extracted is None else (extracted or None))
            obj.save()


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    employee_id = factory.Sequence(lambda n: f"EMP-{n:03d}")
    name = factory.Faker("name")
    role = "Welder"
    certification_expiry = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder

    order_id = factory.Sequence(lambda n: f"WO-{1000 + n}")
    client = factory.Sequence(lambda n: f"Client {n % 5}")
    description = "Pipe welding"
    status = "pending"
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    assigned_welder = factory.SubFactory(EmployeeFactory)


class EquipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Equipment

    equipment_id = factory.Sequence(lambda n: f"EQ-{n:03d}")
    name = factory.Sequence(lambda n: f"MIG Welder {n}")
    status = "operational"
    last_service_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=10))
    service_interval_days = 90


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspection

    inspection_id = factory.Sequence(lambda n: f"QC-{100 + n}")
    work_order = factory.SubFactory(WorkOrderFactory)
    inspector = "Inspector X"
    result = "pass"
    defect_type = None
    method = "VT"

    class Params:
        failed = factory.Trait(result="fail", defect_type="porosity")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    item_id = factory.Sequence(lambda n: f"INV-{n:03d}")
    item_name = factory.Sequence(lambda n: f"Welding rods {n}")
    quantity = 50
    unit = "kg"
    reorder_level = 10


class StockMovementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockMovement

    item = factory.SubFactory(ItemFactory)
    delta = 5
    quantity_after = 55
    reason = "receipt"


class MachineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Machine

    name = factory.Sequence(lambda n: f"Robot cell {n}")
    code = factory.Sequence(lambda n: f"M-{n:03d}")
    type = "robot"
    metadata = factory.LazyFunction(dict)


class ImportTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportTemplate

    name = factory.Sequence(lambda n: f"Log template {n}")
    machine = factory.SubFactory(MachineFactory)
    mapping = factory.LazyFunction(lambda: {"Date": "date", "Wire (kg)": "wire_kg"})
    active = True


class ExcelImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExcelImport

    template = factory.SubFactory(ImportTemplateFactory)
    filename = "log.xlsx"
    status = "succeeded"


class WorkshopEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkshopEntry

    template = factory.SubFactory(ImportTemplateFactory)
    machine = factory.SelfAttribute("template.machine")
    excel_import = None
    data = factory.LazyFunction(lambda: {"date": "2025-11-25", "wire_kg": 1.5})


class ImportScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportSchedule

    template = factory.SubFactory(ImportTemplateFactory)
    source = "robot-log.xlsx"
    hour = 6
    minute = 30


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    kind = JobKind.EXPORT
    status = JobStatus.QUEUED
    params = factory.LazyFunction(
        lambda: {"resource": "workorders", "format": "xlsx", "query": {}, "fields": None}
    )


# ---------------------------------------------------------------------------- welding (§8)
# Defaults follow WELDING.md §6's fixtures: Q1 (ISO 9606-1, 9.3b, 135, P, BW+FW, FM1/FM2,
# 3–20 mm, PA/PB/PC/PF) and WPS-135-01 (approved, 135, P+T, BW/FW, FM1, 3–30 mm, all positions).
class WpsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wps

    wps_id = factory.Sequence(lambda n: f"WPS-135-{n:02d}")
    status = "approved"
    process = "135"
    product_forms = factory.LazyFunction(lambda: ["P", "T"])
    weld_types = factory.LazyFunction(lambda: ["BW", "FW"])
    filler_group = "FM1"
    thickness_min_mm = 3
    thickness_max_mm = 30
    positions = factory.LazyFunction(
        lambda: ["PA", "PB", "PC", "PD", "PE", "PF", "PG", "PH", "PJ", "H-L045", "J-L045"]
    )


class WelderQualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WelderQualification

    qualification_id = factory.Sequence(lambda n: f"ISO-135-{n:02d}")
    employee = factory.SubFactory(EmployeeFactory)
    standard = "iso_9606_1"
    revalidation_method = "9.3b"
    process = "135"
    product_forms = factory.LazyFunction(lambda: ["P"])
    weld_types = factory.LazyFunction(lambda: ["BW", "FW"])
    filler_groups = factory.LazyFunction(lambda: ["FM1", "FM2"])
    positions = factory.LazyFunction(lambda: ["PA", "PB", "PC", "PF"])
    thickness_min_mm = 3
    thickness_max_mm = 20
    test_date = dt.date(2025, 3, 10)


class QualificationEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualificationEvent

    qualification = factory.SubFactory(WelderQualificationFactory)
    kind = "confirmation"
    on_date = dt.date(2025, 9, 1)


class WeldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Weld

    weld_id = factory.Sequence(lambda n: f"W{n + 1}")
    order = factory.SubFactory(WorkOrderFactory)
    wps = factory.SubFactory(WpsFactory)
    joint_type = "BW"
    product_form = "P"
    thickness_mm = 10
    position = "PF"
    length_mm = 500
    ndt_required = factory.LazyFunction(lambda: ["VT", "RT"])


class ConsumableLotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsumableLot

    lot_id = factory.Sequence(lambda n: f"LOT-{n:04d}")
    item = factory.SubFactory(ItemFactory)
    designation = "ISO 14341-A G 42 4 M21 3Si1"
    filler_group = "FM1"
    heat_number = factory.Sequence(lambda n: f"H{4400 + n}")
    certificate_type = "3.1"


class WeldActivityFactory(factory.django.DjangoModelFactory):
    """A weld-log entry written straight to the table (no check): for setting up history."""

    class Meta:
        model = WeldActivity

    weld = factory.SubFactory(WeldFactory)
    welder = factory.SubFactory(EmployeeFactory)
    process = "135"
    layer = "complete"
    welded_on = dt.date(2025, 6, 1)


class EquipmentCalibrationFactory(factory.django.DjangoModelFactory):
    """A passing validation of a machine, valid a year from when it was performed."""

    class Meta:
        model = EquipmentCalibration

    equipment = factory.SubFactory(EquipmentFactory, calibration_interval_days=365)
    kind = "validation"
    accuracy_grade = "standard"
    performed_on = dt.date(2025, 1, 10)
    certificate_no = factory.Sequence(lambda n: f"VAL-{n:04d}")
    result = "pass"
    valid_until = factory.LazyAttribute(lambda o: o.performed_on + dt.timedelta(days=365))


class WeldFindingFactory(factory.django.DjangoModelFactory):
    """An ISO 6520-1 finding, written directly (no re-derivation of its inspection's result:
    the default, an accepted gas pore on a passed inspection, is consistent)."""

    class Meta:
        model = WeldFinding

    inspection = factory.SubFactory(InspectionFactory)
    code = "2011"
    verdict = "accept"
