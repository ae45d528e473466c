"""The import records in the admin. They name their template by id (workshop/imports/
targets.py): lists show and search its name through a subquery, and a schedule's form picks
it from the registered target's records."""

from django import forms
from django.contrib import admin
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from workshop.admin import TimeStampedAdmin
from workshop.imports.models import ExcelImport, ImportSchedule
from workshop.imports.service import excel_import_delete, hold_template
from workshop.imports.targets import template_target


class TemplateNameMixin:
    """`template_name` in lists (and `template_label` to search): the template's name,
    annotated on the list's query rather than read once per row."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        target = template_target()
        return queryset.annotate(template_label=target.label()) if target is not None else queryset

    def get_search_fields(self, request):
        fields = list(super().get_search_fields(request))
        return [*fields, "template_label"] if template_target() is not None else fields

    @admin.display(description="template", ordering="template_label")
    def template_name(self, obj):
        label = getattr(obj, "template_label", None)
        if label is not None:
            return label
        return obj.template_id if obj.template_id is not None else self.get_empty_value_display()


@admin.register(ExcelImport)
class ExcelImportAdmin(TemplateNameMixin, TimeStampedAdmin):
    """Imports come from uploads: read only here. Deleting one deletes its stored file and
    the entries it created, as the API does."""

    list_display = [
        "id",
        "filename",
        "template_name",
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
    search_fields = ["filename", "resource"]
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
            changelist = reverse("admin:imports_excelimport_changelist", current_app=self.admin_site.name)
            context = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
            response["Location"] = add_preserved_filters(context, changelist)
        return response

    def delete_model(self, request, obj):
        excel_import_delete(excel_import=obj)

    def delete_queryset(self, request, queryset):
        for excel_import in queryset:
            excel_import_delete(excel_import=excel_import)


class ImportScheduleForm(forms.ModelForm):
    """`template` chosen among the registered target's records, kept as `template_id`."""

    template = forms.ModelChoiceField(queryset=None)

    class Meta:
        model = ImportSchedule
        fields = ["source", "hour", "minute", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        target = template_target()
        field = self.fields["template"]
        field.queryset = (
            target.model._default_manager.all() if target is not None else ImportSchedule.objects.none()
        )
        field.label = target.verbose_name.capitalize() if target is not None else "Template"
        if self.instance.pk is not None:
            self.initial["template"] = self.instance.template_id
        self.order_fields(["template"])

    def clean(self):
        cleaned = super().clean()
        template = cleaned.get("template")
        if template is not None:
            self.instance.template_id = template.pk
        return cleaned


@admin.register(ImportSchedule)
class ImportScheduleAdmin(TemplateNameMixin, TimeStampedAdmin):
    form = ImportScheduleForm
    fields = ["template", "source", "hour", "minute", "active", "last_run_at", "last_status"]
    list_display = ["template_name", "source", "run_at", "active", "last_run_at", "last_status"]
    list_filter = ["active", "last_status"]
    search_fields = ["source"]
    readonly_fields = ["last_run_at", "last_status"]

    @admin.display(description="runs at", ordering="hour")
    def run_at(self, obj):
        return f"{obj.hour:02d}:{obj.minute:02d}"

    def save_model(self, request, obj, form, change):
        hold_template(obj.template_id)  # a template deleted meanwhile: the admin's transaction fails
        super().save_model(request, obj, form, change)
