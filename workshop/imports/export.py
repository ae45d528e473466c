"""Exports: every row a list's filters select, as .xlsx or .csv (filled in by the export work)."""


class ExcelExportMixin:
    """Adds `GET /<resource>/export/?<list filters>&format=xlsx|csv` to a ViewSet that sets
    `excel_resource` (a key of workshop.imports.spec.registry())."""

    excel_resource: str = ""
