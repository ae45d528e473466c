from machines.models import ExcelImport, ImportSchedule, ImportStatus, ImportTemplate, Machine, WorkshopEntry
from workshop.api.filters import (
    BaseFilterSet,
    ChoiceListFilter,
    IdFilter,
    StrictBooleanFilter,
    django_filters,
)


class MachineFilter(BaseFilterSet):
    type = django_filters.CharFilter(lookup_expr="iexact", help_text="e.g. MIG, TIG, robot (any case).")

    class Meta:
        model = Machine
        fields = ["type"]


class ImportTemplateFilter(BaseFilterSet):
    machine_id = IdFilter(field_name="machine_id", help_text="The machine's id.")
    active = StrictBooleanFilter(field_name="active")

    class Meta:
        model = ImportTemplate
        fields = ["machine_id", "active"]


class WorkshopEntryFilter(BaseFilterSet):
    template = IdFilter(field_name="template_id", help_text="The template's id.")
    machine = IdFilter(field_name="machine_id", help_text="The machine's id.")
    excel_import = IdFilter(field_name="excel_import_id", help_text="The import's id.")

    class Meta:
        model = WorkshopEntry
        fields = ["template", "machine", "excel_import"]


class ExcelImportFilter(BaseFilterSet):
    status = ChoiceListFilter(choices=ImportStatus.choices, help_text="One status or a comma list.")
    template = IdFilter(field_name="template_id", help_text="The template's id.")
    resource = django_filters.CharFilter(lookup_expr="iexact", help_text="e.g. workorders (any case).")

    class Meta:
        model = ExcelImport
        fields = ["status", "template", "resource"]


class ImportScheduleFilter(BaseFilterSet):
    class Meta:
        model = ImportSchedule
        fields = []
