from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from equipment import calibration_rules as cal
from equipment.calibrations import attach_calibration_states, calibrations_of
from equipment.models import Equipment, EquipmentCalibration, service_overdue_q
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


class StatesOfPageMixin:
    """The page's calibration states, worked out in bulk once (today) for the change list."""

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        self._prepare_page(list(changelist.result_list))
        return changelist


@admin.register(Equipment)
class EquipmentAdmin(StatesOfPageMixin, TimeStampedAdmin):
    list_display = [
        "equipment_id",
        "name",
        "status",
        "last_service_date",
        "service_interval_days",
        "next_service_due",
        "service_overdue",
        "calibration_interval_days",
        "calibration_status",
        "calibration_due",
    ]
    list_filter = ["status", ServiceOverdueFilter, "last_service_date"]
    search_fields = ["equipment_id", "name"]
    readonly_fields = ["next_service_due", "service_overdue", "calibration_status", "calibration_due"]
    date_hierarchy = "last_service_date"

    def _prepare_page(self, machines):
        attach_calibration_states(machines, on=timezone.localdate())

    @staticmethod
    def _state(obj):
        if obj.pk is None:
            return (None, None)
        if not hasattr(obj, "calibration_state"):
            attach_calibration_states([obj], on=timezone.localdate())
        return obj.calibration_state

    @admin.display(boolean=True, description="service overdue")
    def service_overdue(self, obj):
        return obj.service_overdue

    @admin.display(description="calibration status")
    def calibration_status(self, obj):
        return self._state(obj)[0] or "-"

    @admin.display(description="calibration due")
    def calibration_due(self, obj):
        return self._state(obj)[1] or "-"


@admin.register(EquipmentCalibration)
class EquipmentCalibrationAdmin(StatesOfPageMixin, TimeStampedAdmin):
    list_display = [
        "equipment",
        "kind",
        "accuracy_grade",
        "performed_on",
        "certificate_no",
        "result",
        "valid_until",
        "covers_today",
        "equipment_status",
        "certificate_filename",
    ]
    list_filter = ["kind", "result", "accuracy_grade", "performed_on"]
    search_fields = ["certificate_no", "equipment__equipment_id", "equipment__name"]
    list_select_related = ["equipment"]
    autocomplete_fields = ["equipment"]
    readonly_fields = ["certificate_filename", "certificate_content_type", "equipment_status"]
    date_hierarchy = "performed_on"

    def _prepare_page(self, calibrations):
        found = calibrations_of({c.equipment_id for c in calibrations})
        today = timezone.localdate()
        for c in calibrations:
            c.equipment_state = cal.calibration_status(
                c.equipment.calibration_interval_days, found.get(c.equipment_id, []), today
            )

    @admin.display(boolean=True, description="covers today")
    def covers_today(self, obj):
        today = timezone.localdate()
        return obj.result == cal.PASS and obj.performed_on <= today <= obj.valid_until

    @admin.display(description="equipment calibration status")
    def equipment_status(self, obj):
        if obj.pk is None:
            return "-"
        if not hasattr(obj, "equipment_state"):
            self._prepare_page([obj])
        return obj.equipment_state
