from machines.views import (
    ExcelImportViewSet,
    ImportScheduleViewSet,
    ImportTemplateViewSet,
    MachineViewSet,
    WorkshopEntryViewSet,
)


def register(router) -> None:
    """Adds this app's resources to the API router."""
    router.register("machines", MachineViewSet, basename="machine")
    router.register("templates", ImportTemplateViewSet, basename="importtemplate")
    router.register("entries", WorkshopEntryViewSet, basename="workshopentry")
    router.register("imports", ExcelImportViewSet, basename="excelimport")
    router.register("schedules", ImportScheduleViewSet, basename="importschedule")
