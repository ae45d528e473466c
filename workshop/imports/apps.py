from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """The Excel engine and its records (ExcelImport, ImportSchedule): part of the core,
    installed as its own app so that it owns its tables and migrations."""

    name = "workshop.imports"
    label = "imports"
    verbose_name = "Excel imports"
