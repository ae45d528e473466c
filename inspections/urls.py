from inspections.views import InspectionViewSet, WeldFindingViewSet


def register(router) -> None:
    """Adds this app's resources to the API router."""
    router.register("inspections", InspectionViewSet, basename="inspection")
    router.register("findings", WeldFindingViewSet, basename="weldfinding")
