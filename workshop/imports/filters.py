from workshop.api.filters import BaseFilterSet, ChoiceListFilter, IdFilter
from workshop.imports.models import ExcelImport, ImportSchedule, ImportStatus


class ExcelResourceFilter(ChoiceListFilter):
    """The Excel resources (`workorders`, `items`, …), read from the import registry when a
    request's filter form is built (not when this module loads, before the apps' specs)."""

    @property
    def field(self):
        if not hasattr(self, "_field"):
            from workshop.imports.spec import registry

            self.extra["choices"] = [(name, name) for name in registry()]
        return super().field


class ExcelImportFilter(BaseFilterSet):
    status = ChoiceListFilter(choices=ImportStatus.choices, help_text="One status or a comma list.")
    template = IdFilter(field_name="template_id", help_text="The template's id.")
    resource = ExcelResourceFilter(
        help_text="An Excel resource (e.g. workorders, items; any case) or a comma list of them. "
        "Template uploads have none."
    )

    class Meta:
        model = ExcelImport
        fields = ["status", "template", "resource"]


class ImportScheduleFilter(BaseFilterSet):
    class Meta:
        model = ImportSchedule
        fields = []
