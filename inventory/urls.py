from inventory.views import ConsumableLotViewSet, ItemViewSet, StockMovementViewSet


def register(router) -> None:
    router.register("items", ItemViewSet, basename="item")
    router.register("stock-movements", StockMovementViewSet, basename="stockmovement")
    router.register("consumable-lots", ConsumableLotViewSet, basename="consumablelot")
