from workshop.imports.views import ExcelImportViewSet, ImportScheduleViewSet


def register(router) -> None:
    """Adds the import records to the API router."""
    router.register("imports", ExcelImportViewSet, basename="excelimport")
    router.register("schedules", ImportScheduleViewSet, basename="importschedule")
