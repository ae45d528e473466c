from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import capfirst

from machines.models import ImportTemplate, Machine, WorkshopEntry
from machines.services import template_delete, template_protectors
from workshop.admin import TimeStampedAdmin


class ImportTemplateInline(admin.TabularInline):
    model = ImportTemplate
    fields = ["name", "mapping", "active"]
    extra = 0
    show_change_link = True


@admin.register(Machine)
class MachineAdmin(TimeStampedAdmin):
    list_display = ["code", "name", "type"]
    list_filter = ["type"]
    search_fields = ["code", "name", "type"]
    inlines = [ImportTemplateInline]


@admin.register(ImportTemplate)
class ImportTemplateAdmin(TimeStampedAdmin):
    list_display = ["name", "machine", "active", "column_count"]
    list_filter = ["active", "machine"]
    search_fields = ["name", "description", "machine__code", "machine__name"]
    list_select_related = ["machine"]
    autocomplete_fields = ["machine"]
    readonly_fields = ["column_count"]

    @admin.display(description="columns")
    def column_count(self, obj):
        return len(obj.mapping) if isinstance(obj.mapping, dict) else 0

    def get_deleted_objects(self, objs, request):
        """Import records and schedules name a template by id, not by a foreign key: the
        delete page lists them as protecting it, as it lists its entries."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        named = [p for template in objs for p in template_protectors(template)]
        protected = [*protected, *(format_html("{}: {}", capfirst(p._meta.verbose_name), p) for p in named)]
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        template_delete(template=obj)

    def delete_queryset(self, request, queryset):
        for template in queryset:
            template_delete(template=template)


@admin.register(WorkshopEntry)
class WorkshopEntryAdmin(TimeStampedAdmin):
    """Entries come from uploads: only their data can be edited here."""

    list_display = ["id", "machine", "template", "excel_import", "imported_at"]
    list_filter = ["machine", "template"]
    search_fields = ["data", "machine__code", "template__name"]
    list_select_related = ["machine", "template", "excel_import"]
    readonly_fields = ["machine", "template", "excel_import", "imported_at"]
    date_hierarchy = "imported_at"

    def has_add_permission(self, request):
        return False
