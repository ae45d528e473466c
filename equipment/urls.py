from equipment.views import EquipmentViewSet


def register(router) -> None:
    """Adds this app's resources to the API router."""
    router.register("equipment", EquipmentViewSet, basename="equipment")
