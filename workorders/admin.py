from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from inspections.models import Inspection
from workorders import services
from workorders.models import Weld, WeldActivity, WorkOrder, Wps, WpsStatus, completion_time, overdue_q
from workorders.serializers import WeldTraceSerializer
from workorders.trace import trace_queryset, weld_trace
from workshop import errors
from workshop.admin import TimeStampedAdmin
from workshop.roles import user_may_record_history


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_q())
        if self.value() == "no":
            return queryset.exclude(overdue_q())
        return queryset


class InspectionInline(admin.TabularInline):
    model = Inspection
    fields = ["inspection_id", "inspector", "result", "defect_type", "method", "inspected_at"]
    extra = 0
    show_change_link = True


class WorkOrderAdminForm(forms.ModelForm):
    """`completed_at` through the same rule as the API and the import
    (`workorders.models.completion_time`): left as it is, it follows the status."""

    may_record_history = False  # set per request by WorkOrderAdmin.get_form

    class Meta:
        model = WorkOrder
        fields = [
            "order_id",
            "client",
            "description",
            "status",
            "due_date",
            "completed_at",
            "assigned_welder",
        ]

    def clean(self):
        cleaned = super().clean()
        if "status" not in cleaned or "completed_at" not in cleaned:  # already an error
            return cleaned
        stored = self.instance if self.instance.pk is not None else None
        # A field left as it was is no choice: the widget drops microseconds, so compare what
        # the form says changed, not the values.
        given = cleaned["completed_at"] if "completed_at" in self.changed_data else None
        try:
            cleaned["completed_at"] = completion_time(
                status=cleaned["status"],
                previous_status=stored.status if stored else None,
                stored=stored.completed_at if stored else None,
                given=given,
                may_set=self.may_record_history,
                now=timezone.now(),
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        self._check_assignment(cleaned, stored)
        return cleaned

    def _check_assignment(self, cleaned, stored) -> None:
        """A work order with a WPS (set through the API) keeps a qualified welder: changing the
        welder here runs the assignment check (R7) as the API does, and a refusal is a form
        error on the welder (overrides, with their reason, go through the API)."""
        if stored is None or stored.wps_id is None or "assigned_welder" not in self.changed_data:
            return
        try:
            self.assignment = services.workorder_assignment_checked(
                order=stored, wps=stored.wps, welder=cleaned.get("assigned_welder")
            )
        except errors.Refused as exc:
            self.add_error("assigned_welder", str(exc.detail))

    def save(self, commit=True):
        for name, value in (getattr(self, "assignment", None) or {}).items():
            setattr(self.instance, name, value)
        return super().save(commit)


@admin.register(WorkOrder)
class WorkOrderAdmin(TimeStampedAdmin):
    form = WorkOrderAdminForm
    list_display = [
        "order_id",
        "client",
        "status",
        "due_date",
        "completed_at",
        "assigned_welder",
        "is_overdue",
    ]
    list_filter = ["status", OverdueFilter, "due_date", "completed_at"]
    search_fields = ["order_id", "client", "description"]
    list_select_related = ["assigned_welder"]
    autocomplete_fields = ["assigned_welder"]
    readonly_fields = ["is_overdue"]
    date_hierarchy = "due_date"
    inlines = [InspectionInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.may_record_history = user_may_record_history(request.user, WorkOrder)
        return form

    @admin.display(boolean=True, description="overdue")
    def is_overdue(self, obj):
        return obj.is_overdue


# ---------------------------------------------------------------------------- welding (§8)
def _codes(items) -> str:
    return ", ".join(f"{i['code']} ({i['message']})" for i in items or ()) or "—"


@admin.register(Wps)
class WpsAdmin(TimeStampedAdmin):
    """An approved (or superseded) WPS is shown read-only but for its status: it changes only
    by being superseded, as through the API."""

    list_display = ["wps_id", "revision", "status", "process", "root_process", "filler_group"]
    list_filter = ["status", "process"]
    search_fields = ["wps_id", "pqr_ref", "filler_designation"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status in services.LOCKED_WPS:
            editable = {"status"} if obj.status == WpsStatus.APPROVED else set()
            fields += [f.name for f in Wps._meta.fields if f.editable and f.name not in editable]
        return fields


class WeldActivityInline(admin.TabularInline):
    """The weld's log, read only: entries are written through the API or an import, where the
    welder check runs."""

    model = WeldActivity
    fields = ["welder", "process", "layer", "welded_on", "check_ok", "overridden"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="check ok")
    def check_ok(self, obj):
        return (obj.check_result or {}).get("ok")


@admin.register(Weld)
class WeldAdmin(TimeStampedAdmin):
    list_display = [
        "weld_id",
        "order",
        "wps",
        "joint_type",
        "product_form",
        "thickness_mm",
        "position",
        "trace_link",
    ]
    list_filter = ["joint_type", "product_form", "quality_level"]
    search_fields = ["weld_id", "order__order_id"]
    list_select_related = ["order", "wps"]
    autocomplete_fields = ["order", "wps"]
    readonly_fields = ["trace_link"]
    inlines = [WeldActivityInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            services.weld_recheck_entries(weld=obj)

    @admin.display(description="trace")
    def trace_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:workorders_weld_trace", args=[obj.pk])
        return format_html('<a href="{}">Trace</a>', url)

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/trace/",
                self.admin_site.admin_view(self.trace_view),
                name="workorders_weld_trace",
            )
        ]
        return own + super().get_urls()

    def trace_view(self, request, object_id):
        """The weld traced end to end, read only: the API's `GET welds/{id}/trace`, the same
        selector and representation, on an admin page (for whoever may view welds here)."""
        if not str(object_id).isdigit():
            raise Http404("No such weld.")
        weld = get_object_or_404(trace_queryset(), pk=object_id)
        if not self.has_view_permission(request, weld):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"Trace of weld {weld.weld_id}",
            "opts": self.model._meta,
            "weld": weld,
            "trace": WeldTraceSerializer(weld_trace(weld)).data,
        }
        return TemplateResponse(request, "workorders/admin/weld_trace.html", context)


@admin.register(WeldActivity)
class WeldActivityAdmin(TimeStampedAdmin):
    """The weld log, read only here (the welder check runs on the API's and the import's
    writes): each entry with its check — ok, failures, warnings — and override."""

    list_display = ["weld", "welder", "process", "layer", "welded_on", "check_ok", "overridden"]
    list_filter = ["process", "layer", "overridden", "welded_on"]
    search_fields = ["weld__weld_id", "welder__employee_id", "welder__name"]
    list_select_related = ["weld", "welder"]
    readonly_fields = [
        "check_ok",
        "check_qualification",
        "check_failures",
        "check_warnings",
        "override_reason",
        "override_by",
        "override_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="check ok")
    def check_ok(self, obj):
        return (obj.check_result or {}).get("ok")

    @admin.display(description="matched qualification")
    def check_qualification(self, obj):
        return (obj.check_result or {}).get("qualification") or "—"

    @admin.display(description="failures")
    def check_failures(self, obj):
        return _codes((obj.check_result or {}).get("failures"))

    @admin.display(description="warnings")
    def check_warnings(self, obj):
        return _codes((obj.check_result or {}).get("warnings"))
