from workorders.views import WorkOrderViewSet


def register(router) -> None:
    router.register("workorders", WorkOrderViewSet, basename="workorder")
