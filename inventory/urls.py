from inventory.views import ItemViewSet, StockMovementViewSet


def register(router) -> None:
    router.register("items", ItemViewSet, basename="item")
    router.register("stock-movements", StockMovementViewSet, basename="stockmovement")
