from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "workshop.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from importlib import import_module

        from workshop.jobs.services import job_counts
        from workshop.metrics import register_job_counts

        # The handlers of each kind of job (the Excel engine's: imports, uploads, exports).
        import_module("workshop.imports.jobs")
        # /metrics: weldshop_jobs{status} at each scrape.
        register_job_counts(job_counts)
