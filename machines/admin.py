from django.contrib import admin
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from machines.models import ExcelImport, ImportSchedule, ImportTemplate, Machine, WorkshopEntry
from machines.services import excel_import_delete
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


@admin.register(ExcelImport)
class ExcelImportAdmin(TimeStampedAdmin):
    """Imports come from uploads: read only here. Deleting one deletes its stored file and
    the entries it created, as the API does."""

    list_display = [
        "id",
        "filename",
        "template",
        "resource",
        "status",
        "rows_total",
        "rows_created",
        "rows_updated",
        "rows_rejected",
        "dry_run",
        "finished_at",
    ]
    list_filter = ["status", "resource", "dry_run"]
    search_fields = ["filename", "resource", "template__name"]
    list_select_related = ["template"]
    exclude = ["file"]  # its storage URL is not served in production: the API streams it
    readonly_fields = [
        "template",
        "resource",
        "filename",
        "stored_file",
        "status",
        "rows_total",
        "rows_created",
        "rows_updated",
        "rows_rejected",
        "errors",
        "dry_run",
        "finished_at",
    ]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="file")
    def stored_file(self, obj):
        if not obj.file:
            return self.get_empty_value_display()
        return format_html('<a href="{}">{}</a>', reverse("excelimport-file", args=[obj.pk]), obj.filename)

    def response_delete(self, request, obj_display, obj_id):
        """Back to the imports list (the default sends those who may not change imports, i.e.
        everyone, to the admin index)."""
        response = super().response_delete(request, obj_display, obj_id)
        if isinstance(response, HttpResponseRedirect) and self.has_view_permission(request):
            changelist = reverse("admin:machines_excelimport_changelist", current_app=self.admin_site.name)
            context = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
            response["Location"] = add_preserved_filters(context, changelist)
        return response

    def delete_model(self, request, obj):
        excel_import_delete(excel_import=obj)

    def delete_queryset(self, request, queryset):
        for excel_import in queryset:
            excel_import_delete(excel_import=excel_import)


@admin.register(ImportSchedule)
class ImportScheduleAdmin(TimeStampedAdmin):
    list_display = ["template", "source", "run_at", "active", "last_run_at", "last_status"]
    list_filter = ["active", "last_status"]
    search_fields = ["source", "template__name"]
    list_select_related = ["template"]
    autocomplete_fields = ["template"]
    readonly_fields = ["last_run_at", "last_status"]

    @admin.display(description="runs at", ordering="hour")
    def run_at(self, obj):
        return f"{obj.hour:02d}:{obj.minute:02d}"
