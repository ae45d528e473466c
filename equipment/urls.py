from equipment.views import EquipmentCalibrationViewSet, EquipmentViewSet


def register(router) -> None:
    """Adds this app's resources to the API router."""
    router.register("equipment", EquipmentViewSet, basename="equipment")
    router.register("calibrations", EquipmentCalibrationViewSet, basename="equipmentcalibration")
