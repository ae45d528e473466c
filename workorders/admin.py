from django.contrib import admin

from inspections.models import Inspection
from workorders.models import WorkOrder, overdue_q
from workshop.admin import TimeStampedAdmin


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


@admin.register(WorkOrder)
class WorkOrderAdmin(TimeStampedAdmin):
    list_display = ["order_id", "client", "status", "due_date", "assigned_welder", "is_overdue"]
    list_filter = ["status", OverdueFilter, "due_date"]
    search_fields = ["order_id", "client", "description"]
    list_select_related = ["assigned_welder"]
    autocomplete_fields = ["assigned_welder"]
    readonly_fields = ["is_overdue"]
    date_hierarchy = "due_date"
    inlines = [InspectionInline]

    @admin.display(boolean=True, description="overdue")
    def is_overdue(self, obj):
        return obj.is_overdue
