"""The import action every Excel resource shares (filled in by the import work)."""


class ExcelImportMixin:
    """Adds `POST /<resource>/import/` to a ViewSet that sets `excel_resource`."""

    excel_resource: str = ""
