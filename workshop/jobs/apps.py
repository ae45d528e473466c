from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "workshop.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from importlib import import_module

        # The handlers of each kind of job (the Excel engine's: imports, uploads, exports).
        import_module("workshop.imports.jobs")
