from django.apps import apps
from django.core.exceptions import ValidationError

from staff import welding_choices as welding
from staff.models import Employee
from workorders import services
from workorders.models import Weld, WeldActivity, WorkOrder, WorkOrderStatus, Wps, completion_time
from workorders.serializers import WeldActivitySerializer, WeldSerializer, WorkOrderSerializer, WpsSerializer
from workshop import errors
from workshop.imports.spec import Column, Related, ResourceSpec
from workshop.roles import user_has_perms


def prepare_row(attrs: dict, current: WorkOrder | None, *, may_record_history: bool, now, **_context) -> None:
    """A row's `completed_at`, by the rule the API and the admin follow (`completion_time`):
    an empty `CompletedAt` cell, or none at all, leaves it to the status."""
    attrs["completed_at"] = completion_time(
        status=attrs.get("status", current.status if current else WorkOrderStatus.PENDING),
        previous_status=current.status if current else None,
        stored=current.completed_at if current else None,
        given=attrs.get("completed_at"),
        may_set=may_record_history,
        now=now,
    )
    # The welder check of the assignment (R7), when the row sets or changes the WPS or the
    # welder: a refusal is a row error (an import does not override).
    try:
        values = services.workorder_assignment_checked(
            order=current,
            wps=attrs["wps"] if "wps" in attrs else getattr(current, "wps", None),
            welder=attrs["assigned_welder"]
            if "assigned_welder" in attrs
            else getattr(current, "assigned_welder", None),
        )
    except errors.Refused as exc:
        raise ValidationError({"assigned_welder": exc.detail}) from exc
    attrs.update(values or {})


SPEC = ResourceSpec(
    resource="workorders",
    model=WorkOrder,
    serializer_class=WorkOrderSerializer,
    key="order_id",
    columns=(
        Column("order_id", "OrderID"),
        Column("client", "Client"),
        Column("description", "Description"),
        Column("status", "Status"),
        Column("due_date", "DueDate"),
        Column(
            "assigned_welder", "AssignedWelder", aliases=("Welder",), source="assigned_welder__employee_id"
        ),
        Column("completed_at", "CompletedAt"),
    ),
    # The shop's file names welders ("John Doe"); exports write their employee_id.
    related={"assigned_welder": Related(Employee, keys=("employee_id", "name"))},
    prepare_row=prepare_row,
)


# ---------------------------------------------------------------------------- welding (§8)
def prepare_wps_row(attrs: dict, current: Wps | None, **_context) -> None:
    """An approved WPS changes only by being superseded (as through the API, where it is a
    409): a row that changes anything else is a row error."""
    if current is None:
        return
    try:
        services.wps_change_allowed(current, attrs)
    except errors.Conflict as exc:
        raise ValidationError({"status": str(exc)}) from exc


def prepare_weld_row(attrs: dict, current: Weld | None, **_context) -> None:
    """A new weld without a QualityLevel takes its work order's (else C), as through the API."""
    if current is None and "quality_level" not in attrs and attrs.get("order") is not None:
        attrs["quality_level"] = attrs["order"].quality_level or welding.DEFAULT_QUALITY_LEVEL


def recheck_welds(*, created: list, updated: list, user) -> None:
    """Changed welds' weld-log entries are checked again (as after an edit through the API)."""
    for weld, _diff, _before in updated:
        services.weld_recheck_entries(weld=weld)


WPS_SPEC = ResourceSpec(
    resource="wps",
    model=Wps,
    serializer_class=WpsSerializer,
    key="wps_id",
    columns=(
        Column("wps_id", "WPSID"),
        Column("status", "Status"),
        Column("process", "Process"),
        Column("root_process", "RootProcess"),
        Column("product_forms", "ProductForms"),
        Column("weld_types", "WeldTypes"),
        Column("filler_group", "FillerGroup"),
        Column("filler_designation", "FillerDesignation"),
        Column("thickness_min_mm", "ThicknessMin"),
        Column("thickness_max_mm", "ThicknessMax"),
        Column("diameter_min_mm", "DiameterMin"),
        Column("diameter_max_mm", "DiameterMax"),
        Column("positions", "Positions"),
        Column("pqr_ref", "PQR"),
    ),
    prepare_row=prepare_wps_row,
)

WELD_SPEC = ResourceSpec(
    resource="welds",
    model=Weld,
    serializer_class=WeldSerializer,
    key="weld_id",
    columns=(
        Column("weld_id", "WeldID"),
        Column("order_id", "OrderID", source="order__order_id"),
        Column("wps", "WPSID", source="wps__wps_id"),
        Column("joint_type", "JointType"),
        Column("product_form", "ProductForm"),
        Column("thickness_mm", "Thickness"),
        Column("diameter_mm", "Diameter"),
        Column("position", "Position"),
        Column("length_mm", "Length"),
        Column("ndt_required", "NDT"),
    ),
    related={"order_id": Related(WorkOrder, keys=("order_id",)), "wps": Related(Wps, keys=("wps_id",))},
    prepare_row=prepare_weld_row,
    after_write=recheck_welds,
)


def _differs(obj, name: str, value) -> bool:
    field = obj._meta.get_field(name)
    if field.is_relation:
        return getattr(obj, field.attname) != (value.pk if value is not None else None)
    return getattr(obj, name) != value


def _checker(related: dict, cache: dict) -> services.EntryChecker:
    """One welder check for the whole file: the welders and welds its rows name, loaded once."""
    if "checker" not in cache:

        def records(column: str) -> list:
            return [r for r in (related or {}).get(column, {}).values() if not isinstance(r, str)]

        cache["checker"] = services.EntryChecker(records("welder"), records("weld"), records("equipment"))
    return cache["checker"]


def prepare_weld_log_row(
    attrs: dict, current: WeldActivity | None, *, user=None, related=None, cache=None, **_context
) -> None:
    """Every row runs the welder check (R7) as an entry through the API would: a row that
    fails is a row error under EmployeeID (the refusal's sentence), unless it carries an
    OverrideReason from a user who may override (managers, admins; others: a row error)."""
    reason = (attrs.pop("override_reason", "") or "").strip()
    if current is not None and not any(_differs(current, name, value) for name, value in attrs.items()):
        return  # the entry as it is (an export imported back): its check stands
    if reason and user is not None and not user_has_perms(user, ["workorders.override_weldactivity"]):
        raise ValidationError({"override_reason": "Your role may not override the welder check."})
    checker = _checker(related, cache) if cache is not None else None  # also sets the welds' WPS
    weld = attrs.get("weld", getattr(current, "weld", None))
    if "process" not in attrs:
        if weld is None or weld.wps is None:
            raise ValidationError({"process": "Required: the weld has no WPS to take it from."})
        attrs["process"] = weld.wps.process
    try:
        attrs.update(
            services.weld_activity_checked(
                weld=weld,
                welder=attrs["welder"],
                process=attrs["process"],
                welded_on=attrs["welded_on"],
                lot=attrs.get("consumable_lot"),
                equipment=attrs.get("equipment"),
                override_reason=reason,
                user=user,
                checker=checker,
            )
        )
    except errors.Refused as exc:
        raise ValidationError({"welder": exc.detail}) from exc


WELD_LOG_SPEC = ResourceSpec(
    resource="weld-log",
    model=WeldActivity,
    serializer_class=WeldActivitySerializer,
    key="id",  # a log: no business key; a row without an ID is a new entry
    key_is_id=True,
    columns=(
        Column("id", "ID"),
        Column("weld", "WeldID", source="weld__weld_id"),
        Column("welder", "EmployeeID", source="welder__employee_id"),
        Column("process", "Process"),
        Column("layer", "Layer"),
        Column("welded_on", "WeldedOn"),
        Column("consumable_lot", "LotID", source="consumable_lot__lot_id"),
        Column("equipment", "EquipmentID", source="equipment__equipment_id"),
        Column("arc_seconds", "ArcSeconds"),
        Column("override_reason", "OverrideReason"),
    ),
    related={
        "weld": Related(Weld, keys=("weld_id",)),
        "welder": Related(Employee, keys=("employee_id",)),
        # inventory builds on workorders: its model by name, not by import
        "consumable_lot": Related(apps.get_model("inventory", "ConsumableLot"), keys=("lot_id",)),
        "equipment": Related(apps.get_model("equipment", "Equipment"), keys=("equipment_id",)),
    },
    prepare_row=prepare_weld_log_row,
    prepare_row_context=True,
)

SPECS = (WPS_SPEC, WELD_SPEC, WELD_LOG_SPEC)
