from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from inspections.models import Inspection
from workorders.models import WorkOrder, completion_time, overdue_q
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
        return cleaned


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
