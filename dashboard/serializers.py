"""The dashboard's query parameters and answers (the schema documents these shapes).

The selectors compute plain dicts; these serializers translate them (dates as `YYYY-MM-DD`,
rates as numbers with 4 decimals) and describe them in the OpenAPI schema.
"""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from equipment.models import EquipmentStatus
from inspections.models import DefectType, InspectionMethod
from staff.models import CertificationStatus
from workorders.models import WorkOrderStatus
from workshop.api.exceptions import UnprocessableEntity
from workshop.api.fields import parse_lenient_date
from workshop.api.filters import parse_as_of, reject_repeated
from workshop.api.params import given_names

MAX_LIMIT = 1000


# ------------------------------------------------------------------------------ query
class DashboardQuery:
    """`from`, `to` (dates, inclusive) and `limit` from the query string; anything else, a
    malformed date, `from` after `to` or a limit outside 1–1000 is a 422."""

    ALLOWED = ("from", "to", "limit", "format")

    def __init__(self, query_params, *, default_limit: int):
        params = {name: query_params.get(name) for name in query_params}
        unknown = sorted(given_names(query_params) - set(self.ALLOWED))
        errors: dict[str, list[str]] = {
            name: [f"Unknown query parameter. Allowed: {', '.join(self.ALLOWED[:3])}."] for name in unknown
        }
        if not errors:
            reject_repeated(query_params)
        self.start = self._date(params, "from", errors)
        self.end = self._date(params, "to", errors)
        self.limit = self._limit(params, default_limit, errors)
        if self.start and self.end and self.start > self.end and not errors:
            errors["from"] = ["Must be on or before `to`."]
        if errors:
            raise UnprocessableEntity(errors)

    @staticmethod
    def _date(params, name, errors):
        raw = (params.get(name) or "").strip()
        if not raw:
            return None
        parsed = parse_lenient_date(raw)
        if parsed is None:
            errors[name] = ["Enter a date as YYYY-MM-DD (or an ISO datetime)."]
        return parsed

    @staticmethod
    def _limit(params, default, errors):
        raw = (params.get("limit") or "").strip()
        if not raw:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            errors["limit"] = [f"Must be a whole number from 1 to {MAX_LIMIT}."]
            return default
        return int(raw)


# ------------------------------------------------------------------------------ helpers
def _one_of(choices) -> str:
    # A plain string in the schema: another enum named `status` would collide with the
    # resources' own (drf-spectacular names enums by field name).
    return "One of: " + ", ".join(f"`{value}`" for value in choices.values) + "."


def _rate(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        min_value=Decimal(0),
        max_value=Decimal(1),
        allow_null=True,
        coerce_to_string=False,
        help_text=help_text,
    )


SUCCESS_RATE_DOC = "passed / (passed + failed), 4 decimals; null when there are none."
FAILURE_RATE_DOC = "failed / (passed + failed), 4 decimals; null when there are none."


def _counts(name: str, choices, help_text: str) -> type[serializers.Serializer]:
    """A serializer with one integer per choice value."""
    fields = {value: serializers.IntegerField(help_text=f"{help_text} {label}.") for value, label in choices}
    return type(name, (serializers.Serializer,), fields)


WorkOrderStatusCounts = _counts("DashboardWorkOrderStatusCounts", WorkOrderStatus.choices, "Work orders")
EquipmentStatusCounts = _counts("DashboardEquipmentStatusCounts", EquipmentStatus.choices, "Equipment")
CertificationCounts = _counts(
    "DashboardCertificationCounts", CertificationStatus.choices, "Employees whose certification is"
)


class DashboardRatesSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    pass_rate = _rate(SUCCESS_RATE_DOC)
    fail_rate = _rate(FAILURE_RATE_DOC)


# ------------------------------------------------------------------------------ stats
class DashboardStatsWorkOrdersSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    on_hold = serializers.IntegerField()
    completed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Due before today (TIME_ZONE), not completed or cancelled.")


class DashboardStatsEquipmentSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    operational = serializers.IntegerField()
    maintenance = serializers.IntegerField()
    out_of_order = serializers.IntegerField()
    service_overdue = serializers.IntegerField(help_text="Next service due before today.")


class DashboardStatsEmployeesSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    certifications_expiring = serializers.IntegerField(help_text="Expiring today or within 30 days.")
    certifications_expired = serializers.IntegerField(help_text="Expired before today.")


class DashboardInventoryAlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item_id = serializers.CharField()
    item_name = serializers.CharField()
    quantity = serializers.IntegerField()
    reorder_level = serializers.IntegerField()
    unit = serializers.CharField()
    shortfall = serializers.IntegerField(
        help_text="reorder_level − quantity: how far below the reorder level (0 = exactly at it, "
        "which is low stock too)."
    )


class DashboardStatsSerializer(serializers.Serializer):
    work_orders = DashboardStatsWorkOrdersSerializer()
    equipment = DashboardStatsEquipmentSerializer()
    inspections = DashboardRatesSerializer()
    employees = DashboardStatsEmployeesSerializer()
    inventory_alerts = DashboardInventoryAlertSerializer(
        many=True, help_text="Low-stock items, largest shortfall first."
    )


# ------------------------------------------------------------------------------ work orders
class DashboardClientCountsSerializer(serializers.Serializer):
    client = serializers.CharField()
    total = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Not completed or cancelled.")
    overdue = serializers.IntegerField()


class DashboardClientsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many clients there are.")
    items = DashboardClientCountsSerializer(many=True, help_text="The clients with the most work orders.")


class DashboardOrderRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.CharField()
    client = serializers.CharField()
    status = serializers.CharField(help_text=_one_of(WorkOrderStatus))
    due_date = serializers.DateField()
    assigned_welder = serializers.CharField(
        source="assigned_welder_employee_id", allow_null=True, help_text="The welder's employee_id."
    )
    assigned_welder_name = serializers.CharField(allow_null=True)


class DashboardOverdueOrderSerializer(DashboardOrderRowSerializer):
    days_overdue = serializers.IntegerField(help_text="Days since the due date.")


class DashboardDueSoonOrderSerializer(DashboardOrderRowSerializer):
    days_left = serializers.IntegerField(help_text="Days until the due date (0 = today).")


class DashboardOverdueOrdersSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    items = DashboardOverdueOrderSerializer(many=True, help_text="Longest overdue first.")


class DashboardDueSoonOrdersSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    items = DashboardDueSoonOrderSerializer(many=True, help_text="Soonest first.")


class DashboardWorkOrdersSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = WorkOrderStatusCounts()
    by_client = DashboardClientsSerializer()
    overdue = DashboardOverdueOrdersSerializer(help_text="Open work orders due before today.")
    due_next_7_days = DashboardDueSoonOrdersSerializer(
        help_text="Open work orders due from today to today + 7 days."
    )


# ------------------------------------------------------------------------------ equipment
class DashboardServiceOverdueRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    equipment_id = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField(help_text=_one_of(EquipmentStatus))
    last_service_date = serializers.DateField()
    service_interval_days = serializers.IntegerField()
    next_service_due = serializers.DateField()
    days_overdue = serializers.IntegerField(help_text="Days since the service was due.")


class DashboardServiceOverdueSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    items = DashboardServiceOverdueRowSerializer(many=True, help_text="Longest overdue first.")


class DashboardEquipmentSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = EquipmentStatusCounts()
    no_service_schedule = serializers.IntegerField(
        help_text="Without a next service date (no last service date or no interval): never overdue."
    )
    service_overdue = DashboardServiceOverdueSerializer()


# ------------------------------------------------------------------------------ inspections
class DashboardDefectTypeCountSerializer(serializers.Serializer):
    defect_type = serializers.ChoiceField(choices=DefectType.choices)
    count = serializers.IntegerField(help_text="Failed inspections with this defect.")
    share = _rate("count / failed inspections, 4 decimals; null when none failed.")


class DashboardMethodRatesSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=InspectionMethod.choices)
    total = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    pass_rate = _rate(SUCCESS_RATE_DOC)
    fail_rate = _rate(FAILURE_RATE_DOC)


class DashboardInspectorRatesSerializer(serializers.Serializer):
    inspector = serializers.CharField(help_text="As entered; empty when none was given.")
    total = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    pass_rate = _rate(SUCCESS_RATE_DOC)
    fail_rate = _rate(FAILURE_RATE_DOC)


class DashboardInspectorsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many inspectors there are.")
    items = DashboardInspectorRatesSerializer(
        many=True, help_text="The inspectors with the most inspections."
    )


class DashboardInspectionsSummarySerializer(DashboardRatesSerializer):
    by_defect_type = DashboardDefectTypeCountSerializer(
        many=True, help_text="Every defect type, most frequent first (then in the list's order)."
    )
    by_method = DashboardMethodRatesSerializer(many=True, help_text="Every method (VT, PT, MT, UT, RT).")
    by_inspector = DashboardInspectorsSerializer()


# ------------------------------------------------------------------------------ inventory
class DashboardInventorySummarySerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Low-stock items (quantity <= reorder_level).")
    total_items = serializers.IntegerField()
    out_of_stock = serializers.IntegerField(help_text="Items with quantity 0.")
    items = DashboardInventoryAlertSerializer(
        many=True, help_text="Low-stock items, largest shortfall first."
    )


# ------------------------------------------------------------------------------ employees
class DashboardRoleCountsSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="As entered; empty when none was given.")
    total = serializers.IntegerField()
    valid = serializers.IntegerField()
    expiring = serializers.IntegerField()
    expired = serializers.IntegerField()
    none = serializers.IntegerField()


class DashboardRolesSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many roles there are.")
    items = DashboardRoleCountsSerializer(many=True, help_text="The roles with the most employees.")


class DashboardCertificationRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    employee_id = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    certification_expiry = serializers.DateField()
    days_left = serializers.IntegerField(help_text="Days until expiry: 0 = today, negative = expired.")


class DashboardCertificationListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    items = DashboardCertificationRowSerializer(many=True)


class DashboardEmployeesSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    certification_status = CertificationCounts()
    expiring_within_days = serializers.IntegerField(help_text="The window of `expiring` (30).")
    by_role = DashboardRolesSerializer()
    expiring = DashboardCertificationListSerializer(
        help_text="Expiring today or within 30 days, soonest first."
    )
    expired = DashboardCertificationListSerializer(
        help_text="Expired before today, most recently expired first."
    )


# ------------------------------------------------------------------------------ welding
class WeldingQuery:
    """`GET dashboard/welding`'s parameters: `from`, `to` (dates, inclusive), `methods` (a
    comma list of NDT methods), `as_of` (workshop.api.filters.parse_as_of)
    and `limit`. Every bad one is a 422 naming it; `from` after `to` names `from`."""

    ALLOWED = ("from", "to", "methods", "as_of", "limit", "format")

    def __init__(
        self, request, *, default_limit: int, methods: tuple[str, ...], default_methods: tuple[str, ...]
    ):
        query_params = request.query_params
        params = {name: query_params.get(name) for name in query_params}
        unknown = sorted(given_names(query_params) - set(self.ALLOWED))
        errors: dict[str, list[str]] = {
            name: [f"Unknown query parameter. Allowed: {', '.join(self.ALLOWED[:5])}."] for name in unknown
        }
        if not errors:
            reject_repeated(query_params)
        self.start = DashboardQuery._date(params, "from", errors)
        self.end = DashboardQuery._date(params, "to", errors)
        self.limit = DashboardQuery._limit(params, default_limit, errors)
        self.methods = self._methods(params.get("methods"), methods, default_methods, errors)
        try:
            self.as_of = parse_as_of(request)
        except UnprocessableEntity as exc:
            errors.update(exc.detail)
            self.as_of = None
        if errors:
            raise UnprocessableEntity(errors)

    @staticmethod
    def _methods(raw, allowed, default, errors) -> tuple[str, ...]:
        if raw is None:
            return default
        given = [part.strip().upper() for part in raw.split(",")]
        if not raw.strip() or any(not part for part in given):
            errors["methods"] = [f"A comma-separated list of {', '.join(allowed)}."]
            return default
        wrong = [part for part in given if part not in allowed]
        if wrong:
            errors["methods"] = [
                f"Unknown method(s): {', '.join(wrong)}. One or more of {', '.join(allowed)}."
            ]
            return default
        return tuple(m for m in allowed if m in given)  # canonical order: one cache key per set


def _decimal(help_text: str, places: int = 2) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=20, decimal_places=places, coerce_to_string=False, help_text=help_text
    )


def _kpi(help_text: str) -> serializers.DecimalField:
    """A rate (4 decimals, half up; null on an empty population) that may exceed 1 (length)."""
    return serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, coerce_to_string=False, help_text=help_text
    )


class WeldingQualificationCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    valid = serializers.IntegerField()
    expiring = serializers.IntegerField(help_text="Valid, but effective_until is within 30 days.")
    lapsed = serializers.IntegerField()
    expired = serializers.IntegerField()
    revoked = serializers.IntegerField()
    pending = serializers.IntegerField()
    undetermined = serializers.IntegerField(
        help_text="Route 9.3c after WELDSHOP_ISO3834_PART changed: no standing can be worked out."
    )
    expiring_in = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Keys 30, 60, 90: the still-valid (valid or expiring) qualifications whose "
        "effective_until is at most that many days after as_of (cumulative).",
    )


class WeldingQualificationRowSerializer(serializers.Serializer):
    qualification_id = serializers.CharField()
    employee_id = serializers.CharField()
    name = serializers.CharField()
    process = serializers.CharField()
    continuity_due = serializers.DateField()


class WeldingAtRiskRowSerializer(WeldingQualificationRowSerializer):
    days_left = serializers.IntegerField(help_text="Days from as_of to continuity_due (0 = that day).")


class WeldingLapsedRowSerializer(WeldingQualificationRowSerializer):
    days_lapsed = serializers.IntegerField(help_text="Days from continuity_due to as_of.")


class WeldingAtRiskSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    items = WeldingAtRiskRowSerializer(many=True, help_text="Soonest due first; at most `limit`.")


class WeldingLapsedSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    items = WeldingLapsedRowSerializer(many=True, help_text="Most recently lapsed first; at most `limit`.")


class WeldingRepairFiguresSerializer(serializers.Serializer):
    welds = serializers.IntegerField(help_text="Welds whose first inspection by `methods` is in the window.")
    failed = serializers.IntegerField(help_text="Of which that first inspection failed.")
    joint = _kpi("failed ÷ welds.")
    rejected_length_mm = _decimal("Σ length_mm of the rejected findings of those first inspections.")
    examined_length_mm = _decimal("Σ examined length (the inspection's, else the weld's).")
    length = _kpi("rejected_length_mm ÷ examined_length_mm.")
    length_unknown = serializers.IntegerField(help_text="Welds with no examined length: in neither sum.")


class WeldingWelderRatesSerializer(WeldingRepairFiguresSerializer):
    employee_id = serializers.CharField()
    name = serializers.CharField()


class WeldingProcessRatesSerializer(WeldingRepairFiguresSerializer):
    process = serializers.CharField()


class WeldingWpsRatesSerializer(WeldingRepairFiguresSerializer):
    wps_id = serializers.CharField(allow_null=True, help_text="null: welds without a WPS.")


class WeldingRepairRateSerializer(WeldingRepairFiguresSerializer):
    by_welder = WeldingWelderRatesSerializer(
        many=True, help_text="Each welder with a non-tack, non-repair entry on the weld (once per weld)."
    )
    by_process = WeldingProcessRatesSerializer(many=True, help_text="The processes of those entries.")
    by_wps = WeldingWpsRatesSerializer(many=True)


class WeldingFirstPassSerializer(serializers.Serializer):
    inspected = serializers.IntegerField(
        help_text="Welds whose first inspection (any method) is in the window."
    )
    passed = serializers.IntegerField()


class WeldingFindingCountSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ISO 6520-1.")
    label = serializers.CharField()
    count = serializers.IntegerField()
    share = _kpi("count ÷ all rejected findings.")
    cumulative_share = _kpi("Running share, largest first.")


class WeldingAwaitingRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    weld_id = serializers.CharField()
    order_id = serializers.CharField()
    ndt_required = serializers.ListField(child=serializers.CharField())
    last_welded_on = serializers.DateField(allow_null=True)
    days_waiting = serializers.IntegerField(allow_null=True, help_text="Days from the last entry to as_of.")


class WeldingAwaitingSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    items = WeldingAwaitingRowSerializer(many=True, help_text="Longest waiting first; at most `limit`.")


class WeldingCalibrationSerializer(serializers.Serializer):
    overdue = serializers.IntegerField()
    due_soon = serializers.IntegerField()
    failed = serializers.IntegerField()


class WeldingProductivitySerializer(serializers.Serializer):
    employee_id = serializers.CharField()
    name = serializers.CharField()
    arc_hours = _decimal("(log_arc_seconds + machine_arc_seconds) ÷ 3600, 2 decimals.")
    welds = serializers.IntegerField(help_text="Distinct welds with an entry of theirs in the window.")
    log_arc_seconds = serializers.IntegerField()
    machine_arc_seconds = serializers.FloatField(help_text="From machine logs (WorkshopEntry).")


class DashboardWeldingSerializer(serializers.Serializer):
    from_ = serializers.DateField(help_text="First day of the window (inclusive).")
    to = serializers.DateField(help_text="Last day of the window (inclusive).")
    methods = serializers.ListField(child=serializers.CharField())
    as_of = serializers.DateField()
    qualifications = WeldingQualificationCountsSerializer()
    continuity_at_risk = WeldingAtRiskSerializer(help_text="Still valid, continuity due within 30 days.")
    lapsed = WeldingLapsedSerializer()
    repair_rate = WeldingRepairRateSerializer()
    first_pass_yield = _kpi("passed ÷ inspected (first inspection, any method).")
    first_pass = WeldingFirstPassSerializer()
    findings_by_code = WeldingFindingCountSerializer(many=True, help_text="Pareto, largest first.")
    awaiting_ndt = WeldingAwaitingSerializer()
    calibration = WeldingCalibrationSerializer(help_text="Machines by calibration status as of as_of.")
    productivity = WeldingProductivitySerializer(many=True, help_text="Most arc hours first.")

    def get_fields(self):
        # `from` is a Python keyword: declared as `from_`, answered as `from`
        return {("from" if name == "from_" else name): field for name, field in super().get_fields().items()}
