from django.contrib import admin

from inspections import services
from inspections.models import Inspection, WeldFinding
from workshop.admin import TimeStampedAdmin


class WeldFindingInline(admin.TabularInline):
    """The ISO 6520-1 findings of an inspection (read here; written through the API, which
    keeps the inspection's result and defect type to them: R9)."""

    model = WeldFinding
    extra = 0
    fields = ["code", "size_mm", "length_mm", "location", "quality_level", "verdict"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(TimeStampedAdmin):
    list_display = [
        "inspection_id",
        "work_order",
        "inspector",
        "result",
        "defect_type",
        "method",
        "inspected_at",
    ]
    list_filter = ["result", "defect_type", "method", "inspected_at"]
    search_fields = ["inspection_id", "inspector", "notes", "work_order__order_id"]
    list_select_related = ["work_order"]
    autocomplete_fields = ["work_order"]
    date_hierarchy = "inspected_at"
    inlines = [WeldFindingInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.sync_legacy([form.instance], user=request.user)  # the legacy rule (R9)
