from django.apps import AppConfig

# Models whose rows the dashboard counts (saves and deletes), plus a stock movement: every
# quantity change leaves one, also `item_adjust_stock`'s queryset UPDATE, which sends no signal.
WATCHED_MODELS = (
    "workorders.WorkOrder",
    "equipment.Equipment",
    "inspections.Inspection",
    "staff.Employee",
    "inventory.Item",
    "inventory.StockMovement",
    # the welding dashboard (WELDING.md §4)
    "workorders.Wps",
    "workorders.Weld",
    "workorders.WeldActivity",
    "staff.WelderQualification",
    "staff.QualificationEvent",
    "inspections.WeldFinding",
    "equipment.EquipmentCalibration",
    "inventory.ConsumableLot",
    "machines.ImportTemplate",
    "machines.WorkshopEntry",
)
# The Excel import engine writes rows with bulk_create/bulk_update (no signals); every import
# saves its ExcelImport record in the same transaction. Deleting one leaves the rows it made.
IMPORT_MODEL = "imports.ExcelImport"


def data_changed(sender, using=None, **kwargs) -> None:
    """post_save/post_delete: the dashboard's cached figures are stale once this commits."""
    from dashboard.cache import invalidate_on_commit

    invalidate_on_commit(using)


def import_saved(sender, instance, using=None, **kwargs) -> None:
    """An import (not a dry run) wrote rows the dashboard counts: a resource's, or a machine
    log's entries through its template (the welding dashboard's arc hours)."""
    if (instance.resource or instance.template_id) and not instance.dry_run:
        data_changed(sender, using=using)


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        # Cache invalidation, not domain logic (see dashboard/cache.py).
        from django.db.models.signals import post_delete, post_save

        for label in WATCHED_MODELS:
            model = self.apps.get_model(label)
            post_save.connect(data_changed, sender=model, dispatch_uid=f"dashboard.{label}.save")
            post_delete.connect(data_changed, sender=model, dispatch_uid=f"dashboard.{label}.delete")
        post_save.connect(
            import_saved, sender=self.apps.get_model(IMPORT_MODEL), dispatch_uid="dashboard.import"
        )
