from django.contrib import admin

from inspections.models import Inspection
from workshop.admin import TimeStampedAdmin


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
