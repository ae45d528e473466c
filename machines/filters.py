from machines.models import ImportTemplate, Machine, WorkshopEntry
from workshop.api.filters import BaseFilterSet, IdFilter, StrictBooleanFilter, django_filters


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
