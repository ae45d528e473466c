from django.contrib import admin
from django.db.models import Q

from equipment.models import Equipment, service_overdue_q
from workshop.admin import TimeStampedAdmin


class ServiceOverdueFilter(admin.SimpleListFilter):
    title = "service overdue"
    parameter_name = "service_overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(service_overdue_q())
        if self.value() == "no":
            return queryset.filter(~service_overdue_q() | Q(next_service_due__isnull=True))
        return queryset


@admin.register(Equipment)
class EquipmentAdmin(TimeStampedAdmin):
    list_display = [
        "equipment_id",
        "name",
        "status",
        "last_service_date",
        "service_interval_days",
        "next_service_due",
        "service_overdue",
    ]
    list_filter = ["status", ServiceOverdueFilter, "last_service_date"]
    search_fields = ["equipment_id", "name"]
    readonly_fields = ["next_service_due", "service_overdue"]
    date_hierarchy = "last_service_date"

    @admin.display(boolean=True, description="service overdue")
    def service_overdue(self, obj):
        return obj.service_overdue
