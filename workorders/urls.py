from django.urls import re_path

from workorders.views import (
    QualificationCheckView,
    WeldActivityViewSet,
    WeldViewSet,
    WorkOrderViewSet,
    WpsViewSet,
)


def register(router) -> None:
    router.register("workorders", WorkOrderViewSet, basename="workorder")
    router.register("wps", WpsViewSet, basename="wps")
    router.register("welds", WeldViewSet, basename="weld")
    router.register("weld-log", WeldActivityViewSet, basename="weldactivity")


# Under /api/v1/ (before the router's URLs): the welder check's dry run, an operation of its
# own beside the qualifications resource (staff), not a record.
api_urlpatterns = [
    re_path(r"^qualifications/check/?$", QualificationCheckView.as_view(), name="qualifications-check"),
]
