from django import forms
from django.contrib import admin

from inspections import finding_rules as rules
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


class WeldFindingForm(forms.ModelForm):
    class Meta:
        model = WeldFinding
        fields = ["inspection", "code", "size_mm", "length_mm", "location", "quality_level", "verdict"]

    def clean(self):
        data = super().clean()
        inspection, code, verdict = data.get("inspection"), data.get("code"), data.get("verdict")
        if inspection is not None and code and verdict:
            if self.instance.pk is not None and inspection.pk != self.instance.inspection_id:
                raise forms.ValidationError({"inspection": "A finding stays with its inspection."})
            try:
                rules.check_verdict(code, verdict, data.get("quality_level") or inspection.quality_level())
            except rules.FindingRuleError as exc:
                raise forms.ValidationError({"verdict": exc.message}) from None
        return data


@admin.register(WeldFinding)
class WeldFindingAdmin(TimeStampedAdmin):
    """Findings: saving or deleting one re-derives its inspection's result (R9)."""

    form = WeldFindingForm
    list_display = ["inspection", "code", "verdict", "size_mm", "length_mm", "location", "quality_level"]
    list_filter = ["verdict", "code", "quality_level"]
    search_fields = ["code", "location", "inspection__inspection_id", "inspection__weld__weld_id"]
    list_select_related = ["inspection"]
    autocomplete_fields = ["inspection"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.rederive([obj.inspection_id])

    def delete_model(self, request, obj):
        inspection_id = obj.inspection_id
        super().delete_model(request, obj)
        services.rederive([inspection_id])

    def delete_queryset(self, request, queryset):
        ids = set(queryset.values_list("inspection_id", flat=True))
        super().delete_queryset(request, queryset)
        services.rederive(ids)
