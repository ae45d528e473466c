"""The dashboard in the Django admin: a page with the API's figures and SVG bar charts,
linked from the admin index (for back-office staff: admins and managers)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.template.response import TemplateResponse
from django.utils import timezone

from dashboard import selectors, trends
from dashboard.charts import DataTable, Series, bar_chart, count_text, percent_text, series_chart
from dashboard.serializers import DashboardQuery
from dashboard.views import FIGURES, WELDING_PERMS, figures, list_limit, welding_data, welding_window
from equipment.models import EquipmentStatus
from inspections.models import DefectType, InspectionMethod
from staff.models import CertificationStatus
from workorders.models import WorkOrderStatus
from workshop.api.exceptions import UnprocessableEntity

# The admin index (admin/index.html) with a link to the dashboard above the apps. The
# admin app comes first in INSTALLED_APPS, so an app template of the same name would never
# be found: the site points at ours instead, and ours extends the original.
admin.site.index_template = "dashboard/admin/index.html"

ADMIN_PERMS = sorted({perm for spec in FIGURES.values() for perm in spec.perms})

STATUS_TONES = {
    WorkOrderStatus.PENDING: "info",
    WorkOrderStatus.IN_PROGRESS: "ok",
    WorkOrderStatus.ON_HOLD: "warn",
    WorkOrderStatus.COMPLETED: "done",
    WorkOrderStatus.CANCELLED: "muted",
}
EQUIPMENT_TONES = {
    EquipmentStatus.OPERATIONAL: "ok",
    EquipmentStatus.MAINTENANCE: "warn",
    EquipmentStatus.OUT_OF_ORDER: "bad",
}
CERTIFICATION_TONES = {
    CertificationStatus.VALID: "ok",
    CertificationStatus.EXPIRING: "warn",
    CertificationStatus.EXPIRED: "bad",
    CertificationStatus.NONE: "muted",
}


def _charts(data: dict) -> dict:
    work_orders, equipment = data["workorders"], data["equipment"]
    inspections, employees = data["inspections"], data["employees"]
    wo_labels = dict(WorkOrderStatus.choices)
    eq_labels = dict(EquipmentStatus.choices)
    defect_labels = dict(DefectType.choices)
    method_labels = dict(InspectionMethod.choices)
    cert_labels = dict(CertificationStatus.choices)
    return {
        "work_orders": bar_chart(
            "Work orders by status",
            [
                *((wo_labels[s], n, STATUS_TONES[s]) for s, n in work_orders["by_status"].items()),
                ("Overdue", work_orders["overdue"]["count"], "bad"),
                ("Due in the next 7 days", work_orders["due_next_7_days"]["count"], "warn"),
            ],
        ),
        "clients": bar_chart(
            "Clients with the most work orders",
            [(row["client"], row["total"], "info") for row in work_orders["by_client"]["items"]],
        ),
        "equipment": bar_chart(
            "Equipment by status",
            [
                *((eq_labels[s], n, EQUIPMENT_TONES[s]) for s, n in equipment["by_status"].items()),
                ("Service overdue", equipment["service_overdue"]["count"], "bad"),
            ],
        ),
        "results": bar_chart(
            "Inspection results",
            [("Passed", inspections["pass_rate"], "ok"), ("Failed", inspections["fail_rate"], "bad")],
            percent=True,
        ),
        "defects": bar_chart(
            "Failures by defect type",
            [
                (defect_labels.get(r["defect_type"], r["defect_type"]), r["count"], "bad")
                for r in inspections["by_defect_type"]
            ],
        ),
        "methods": bar_chart(
            "Pass rate by method",
            [
                (method_labels.get(r["method"], r["method"]), r["pass_rate"], "ok")
                for r in inspections["by_method"]
            ],
            percent=True,
        ),
        "inspectors": bar_chart(
            "Pass rate by inspector",
            [(r["inspector"], r["pass_rate"], "ok") for r in inspections["by_inspector"]["items"]],
            percent=True,
        ),
        "certifications": bar_chart(
            "Certifications",
            [
                (cert_labels[s], n, CERTIFICATION_TONES[s])
                for s, n in employees["certification_status"].items()
            ],
        ),
        "roles": bar_chart(
            "Employees by role", [(r["role"], r["total"], "info") for r in employees["by_role"]["items"]]
        ),
        "alerts": bar_chart(
            "Shortfall of low-stock items",
            [(f"{r['item_id']} {r['item_name']}", r["shortfall"], "bad") for r in data["inventory"]["items"]],
        ),
    }


def _percent(rate) -> str:
    return "–" if rate is None else f"{float(rate) * 100:.1f} %"


def dashboard_page(request):
    """GET /admin/dashboard/ (behind `admin.site.admin_view`: staff only, else the admin login)."""
    if not request.user.has_perms(ADMIN_PERMS):
        raise PermissionDenied
    errors: dict = {}
    try:
        query = DashboardQuery(request.GET, default_limit=min(list_limit(), 10))
        period = selectors.Period(query.start, query.end)
        limit = query.limit
    except UnprocessableEntity as exc:
        errors = exc.detail
        period, limit = selectors.ALL_TIME, min(list_limit(), 10)
    today = timezone.localdate()
    data = {
        "workorders": figures("workorders", today=today, period=period, limit=limit),
        "equipment": figures("equipment", today=today, limit=limit),
        "inspections": figures("inspections", today=today, period=period, limit=limit),
        "employees": figures("employees", today=today, limit=limit),
        "inventory": figures("inventory-alerts", today=today, limit=limit),
    }
    context = {
        **admin.site.each_context(request),
        "title": "Workshop dashboard",
        "today": today,
        "period": period,
        "query_from": request.GET.get("from", ""),
        "query_to": request.GET.get("to", ""),
        "errors": {name: " ".join(str(m) for m in messages) for name, messages in errors.items()},
        "data": data,
        "charts": _charts(data),
        "pass_rate_text": _percent(data["inspections"]["pass_rate"]),
        "trends": trends.trends(today),
    }
    return TemplateResponse(request, "dashboard/admin/dashboard.html", context)


# ------------------------------------------------------------------------------ welding
def _welding_charts(data: dict) -> dict:
    rate = data["repair_rate"]
    pareto = data["findings_by_code"]
    expiring = data["qualifications"]["expiring_in"]
    labels = [f"{r['code']} {r['label']}" for r in pareto]
    return {
        "by_welder": bar_chart(
            "Joint repair rate by welder",
            [
                (f"{g['employee_id']} {g['name']}", g["joint"], "bad")
                for g in sorted(rate["by_welder"], key=lambda g: (-(g["joint"] or 0), g["employee_id"]))
            ],
            percent=True,
            summary=f"{rate['welds']:,} welds whose first inspection by {', '.join(data['methods'])} "
            f"is from {data['from']} to {data['to']}.",
        ),
        "pareto": series_chart(
            "Pareto of ISO 6520 findings (rejected)",
            labels,
            [
                Series("Rejected findings", [r["count"] for r in pareto], "bad"),
                Series(
                    "Cumulative share",
                    [r["cumulative_share"] for r in pareto],
                    "info",
                    kind="line",
                    axis="right",
                ),
            ],
            wrap_labels=True,
            summary=f"{sum(r['count'] for r in pareto):,} rejected findings.",
            table=DataTable(
                caption="Rejected findings by ISO 6520 code",
                headers=("Code", "Findings", "Share", "Cumulative share"),
                rows=tuple(
                    (
                        label,
                        count_text(r["count"]),
                        percent_text(r["share"]),
                        percent_text(r["cumulative_share"]),
                    )
                    for label, r in zip(labels, pareto, strict=True)
                ),
            ),
        ),
        "expiring": bar_chart(
            "Qualifications expiring (still valid)",
            [(f"Within {days} days", expiring[str(days)], tone) for days, tone in EXPIRING_TONES],
            summary=f"As of {data['as_of']}; cumulative.",
        ),
    }


EXPIRING_TONES = ((30, "bad"), (60, "warn"), (90, "info"))


def welding_dashboard_page(request):
    """GET /admin/dashboard/welding/ (behind `admin.site.admin_view`: staff only): the API's
    welding figures (`dashboard.views.welding_data`, the same cache) with SVG charts."""
    if not request.user.has_perms(WELDING_PERMS):
        raise PermissionDenied
    errors: dict = {}
    limit = min(list_limit(), 10)
    try:
        window, limit = welding_window(_Query(request.GET), default_limit=limit)
    except UnprocessableEntity as exc:
        errors = exc.detail
        window, limit = welding_window(_Query({}), default_limit=limit)
    data = welding_data(window, limit=limit)
    context = {
        **admin.site.each_context(request),
        "title": "Welding dashboard",
        "query": {name: request.GET.get(name, "") for name in ("from", "to", "methods", "as_of")},
        "errors": {name: " ".join(str(m) for m in messages) for name, messages in errors.items()},
        "data": data,
        "charts": _welding_charts(data),
        "joint_text": _percent(data["repair_rate"]["joint"]),
        "length_text": _percent(data["repair_rate"]["length"]),
        "fpy_text": _percent(data["first_pass_yield"]),
    }
    return TemplateResponse(request, "dashboard/admin/welding.html", context)


class _Query:
    """The admin form's GET parameters where `welding_window` expects a DRF request; a field
    left empty in the form means its default (the API refuses a blank ` ` `as_of` or `methods`)."""

    def __init__(self, params):
        kept = params.copy() if hasattr(params, "copy") else dict(params)
        for name in list(kept):
            if not str(kept.get(name) or "").strip():
                del kept[name]
        self.query_params = kept if hasattr(kept, "getlist") else QueryDict(mutable=True)
