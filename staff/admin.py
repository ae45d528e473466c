from django.contrib import admin

from staff.models import CertificationStatus, Employee, certification_status_q
from workshop.admin import TimeStampedAdmin


class CertificationStatusFilter(admin.SimpleListFilter):
    title = "certification"
    parameter_name = "certification_status"

    def lookups(self, request, model_admin):
        return CertificationStatus.choices

    def queryset(self, request, queryset):
        if self.value() in CertificationStatus.values:
            return queryset.filter(certification_status_q(self.value()))
        return queryset


@admin.register(Employee)
class EmployeeAdmin(TimeStampedAdmin):
    list_display = ["employee_id", "name", "role", "certification_expiry", "certification_status", "user"]
    list_filter = ["role", CertificationStatusFilter]
    search_fields = ["employee_id", "name", "role"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["certification_status"]

    @admin.display(description="certification")
    def certification_status(self, obj):
        return CertificationStatus(obj.certification_status).label
