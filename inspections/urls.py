from inspections.views import InspectionViewSet


def register(router) -> None:
    """Adds this app's resources to the API router."""
    router.register("inspections", InspectionViewSet, basename="inspection")
